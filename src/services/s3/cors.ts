/**
 * Bucket CORS as S3 applies it ("Troubleshooting CORS" and "How does Amazon S3
 * evaluate the CORS configuration on a bucket?", S3 user guide): the first
 * rule whose AllowedOrigins match the Origin (one `*` wildcard each), whose
 * AllowedMethods hold the method (the preflight's
 * Access-Control-Request-Method, else the request's own), and whose
 * AllowedHeaders cover every Access-Control-Request-Headers entry
 * (case-insensitive, one `*` wildcard each) answers.
 *
 * The answer's details follow what S3 sends, as LocalStack's snapshot tests
 * against S3 record them (localstack services/s3/cors.py): a wildcard origin
 * rule answers `Access-Control-Allow-Origin: *`, any other echoes the origin
 * with `Access-Control-Allow-Credentials: true`; `Vary` names the three
 * request headers; allowed methods are joined with ", "; requested headers
 * come back lower-cased. Refused preflights are 403 `AccessForbidden` with
 * `CORSResponse: ...` messages; a preflight without Origin is 400 BadRequest.
 */
import { ServiceError, type CorsHook, type WireRequest } from '../../aws';
import type { S3Engine } from './engine';

export interface CorsRule {
  ID?: string;
  AllowedHeaders?: string[];
  AllowedMethods: string[];
  AllowedOrigins: string[];
  ExposeHeaders?: string[];
  MaxAgeSeconds?: number;
}

export const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'] as const;

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

function forbidden(message: string, method: string, resourceType: 'BUCKET' | 'OBJECT'): ServiceError {
  return new ServiceError('AccessForbidden', 403, message, { messageKey: 'Message', fields: { Method: method, ResourceType: resourceType } });
}

/** `*` matches any run of characters (S3 allows one per AllowedOrigin / AllowedHeader). */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

/** The stored rules of a bucket config (written by PutBucketCors or AWS::S3::Bucket's provider), read defensively. */
export function rulesOf(cors: unknown[] | undefined): CorsRule[] {
  const out: CorsRule[] = [];
  for (const r of cors ?? []) {
    if (typeof r !== 'object' || r === null) continue;
    const o = r as Record<string, unknown>;
    const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
    const rule: CorsRule = { AllowedMethods: strings(o.AllowedMethods) ?? [], AllowedOrigins: strings(o.AllowedOrigins) ?? [] };
    const headers = strings(o.AllowedHeaders);
    if (headers) rule.AllowedHeaders = headers;
    const expose = strings(o.ExposeHeaders);
    if (expose) rule.ExposeHeaders = expose;
    if (typeof o.MaxAgeSeconds === 'number') rule.MaxAgeSeconds = o.MaxAgeSeconds;
    if (typeof o.ID === 'string') rule.ID = o.ID;
    out.push(rule);
  }
  return out;
}

/** The first rule allowing this origin, method and requested headers. */
export function matchRule(rules: readonly CorsRule[], origin: string, method: string, requestedHeaders: readonly string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.AllowedMethods.includes(method) &&
      r.AllowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      requestedHeaders.every((h) => (r.AllowedHeaders ?? []).some((a) => wildcardMatch(a.toLowerCase(), h))),
  );
}

/** The headers S3 answers a matching request with. */
export function corsHeaders(rule: CorsRule, origin: string, requestedHeaders: readonly string[]): Record<string, string> {
  const wildcard = rule.AllowedOrigins.includes('*');
  const h: Record<string, string> = {
    'access-control-allow-origin': wildcard ? '*' : origin,
    vary: VARY,
    'access-control-allow-methods': rule.AllowedMethods.join(', '),
  };
  if (!wildcard) h['access-control-allow-credentials'] = 'true';
  if (requestedHeaders.length > 0) h['access-control-allow-headers'] = requestedHeaders.join(', ');
  if (rule.ExposeHeaders && rule.ExposeHeaders.length > 0) h['access-control-expose-headers'] = rule.ExposeHeaders.join(', ');
  if (rule.MaxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.MaxAgeSeconds);
  return h;
}

function one(req: WireRequest, name: string): string | undefined {
  const v = req.headers.get(name);
  return v === undefined ? undefined : v.join(',');
}

function requested(req: WireRequest): string[] {
  const v = one(req, 'access-control-request-headers');
  return v === undefined ? [] : v.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '');
}

/** The bucket of a path-style (routed) request: its first segment. */
function bucketOf(req: WireRequest): string {
  const first = req.path.split('/')[1] ?? '';
  try {
    return decodeURIComponent(first);
  } catch {
    return first;
  }
}

async function rulesFor(engine: S3Engine, bucket: string): Promise<CorsRule[] | null> {
  if (bucket === '') return null;
  const b = await engine.store.getBucket(bucket);
  return b ? rulesOf(engine.config(b).cors) : null;
}

/** The endpoint's CORS hook for S3: preflights and the headers of actual requests. */
export function s3Cors(engine: S3Engine): CorsHook {
  return {
    async preflight(req) {
      const origin = one(req, 'origin');
      if (origin === undefined) throw new ServiceError('BadRequest', 400, 'Insufficient information. Origin request header needed.', { messageKey: 'Message' });
      // Without Access-Control-Request-Method the preflight asks for OPTIONS itself, which no rule allows.
      const method = one(req, 'access-control-request-method') ?? 'OPTIONS';
      const rules = await rulesFor(engine, bucketOf(req));
      if (rules === null) throw forbidden('CORSResponse: Bucket not found', method, 'BUCKET');
      if (rules.length === 0) throw forbidden('CORSResponse: CORS is not enabled for this bucket.', method, 'BUCKET');
      const headers = requested(req);
      const rule = matchRule(rules, origin, method, headers);
      if (!rule) throw forbidden(NOT_ALLOWED, method, 'OBJECT');
      return corsHeaders(rule, origin, headers);
    },
    async responseHeaders(req) {
      const origin = one(req, 'origin');
      if (origin === undefined) return {};
      const rules = await rulesFor(engine, bucketOf(req));
      if (!rules || rules.length === 0) return {};
      const method = one(req, 'access-control-request-method') ?? req.method;
      const rule = matchRule(rules, origin, method, []);
      return rule ? corsHeaders(rule, origin, []) : {};
    },
  };
}
