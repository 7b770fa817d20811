/**
 * CORS, the two ways API Gateway does it.
 *
 * HTTP API (provider.httpApi.cors), https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html:
 * - "If you configure CORS for an API, API Gateway automatically sends a response to
 *   preflight OPTIONS requests, even if there isn't an OPTIONS route configured for your
 *   API. For a CORS request, API Gateway adds the configured CORS headers to the response
 *   from an integration."
 * - "If you configure CORS for an API, API Gateway ignores CORS headers returned from your
 *   backend integration."
 * - "To return CORS headers, your request must contain an origin header. For the OPTIONS
 *   method, your request must contain both an origin header and an
 *   Access-Control-Request-Method header."
 * - allowOrigins accepts exact origins, `*`, `https://*` and `http://*`.
 * The preflight answer is 204 with no body (assumed from observed responses; AWS does
 * not document the status).
 *
 * REST API (`cors:` on an `http` event): the Serverless Framework adds an OPTIONS method
 * with a MOCK integration per path (lib/plugins/aws/package/compile/events/api-gateway/lib/cors.js):
 * 200, Access-Control-Allow-Origin (the first origin, or the request's origin when it
 * matches one of several configured ones), -Allow-Headers, -Allow-Methods (ANY expands to
 * DELETE,GET,HEAD,PATCH,POST,PUT), -Allow-Credentials only when true, -Max-Age when set.
 * Actual responses carry CORS headers only if the function adds them: "To enable CORS for
 * the Lambda proxy integration, you must add Access-Control-Allow-Origin:domain-name to
 * the output headers"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
 */
import type { CorsConfig } from '../app/stack';

/** The allowed origin to send back for `origin`, or null when it is not allowed. */
export function httpApiAllowedOrigin(cors: CorsConfig, origin: string): string | null {
  for (const o of cors.allowOrigins) {
    if (o === '*') return '*';
    if (o === origin) return origin;
    if (o.endsWith('*') && origin.startsWith(o.slice(0, -1))) return origin;
  }
  return null;
}

/**
 * The HTTP API preflight answer, or null when the request is not a preflight
 * (no Origin or no Access-Control-Request-Method).
 */
export function httpApiPreflight(
  cors: CorsConfig,
  origin: string | undefined,
  requestMethod: string | undefined,
): { statusCode: number; headers: Record<string, string> } | null {
  if (!origin || !requestMethod) return null;
  const headers: Record<string, string> = {};
  const allowed = httpApiAllowedOrigin(cors, origin);
  if (allowed !== null) {
    headers['access-control-allow-origin'] = allowed;
    if (cors.allowMethods.length > 0) headers['access-control-allow-methods'] = cors.allowMethods.join(',');
    if (cors.allowHeaders.length > 0) headers['access-control-allow-headers'] = cors.allowHeaders.join(',');
    if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (cors.maxAge !== null) headers['access-control-max-age'] = String(cors.maxAge);
  }
  return { statusCode: 204, headers };
}

/** Headers an HTTP API adds to an integration response for a CORS request (Origin present). */
export function httpApiResponseCorsHeaders(cors: CorsConfig, origin: string | undefined): Record<string, string> | null {
  if (!origin) return null;
  const allowed = httpApiAllowedOrigin(cors, origin);
  if (allowed === null) return null;
  const h: Record<string, string> = { 'access-control-allow-origin': allowed };
  if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
  if (cors.exposeHeaders.length > 0) h['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  return h;
}

/** Whether a response header is a CORS header (dropped from HTTP API integration responses when CORS is configured). */
export function isCorsHeader(name: string): boolean {
  return name.length > 15 && name.slice(0, 15).toLowerCase() === 'access-control-';
}

/**
 * Merges the `cors` settings of the REST routes that share one path into the one OPTIONS
 * method the Serverless Framework creates for that path: unions, plus each route's own
 * method and OPTIONS in Allow-Methods.
 */
export function mergeRestCors(entries: ReadonlyArray<{ method: string; cors: CorsConfig }>): CorsConfig {
  const origins: string[] = [];
  const headers: string[] = [];
  const methods: string[] = [];
  const expose: string[] = [];
  let credentials = false;
  let maxAge: number | null = null;
  const add = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  for (const { method, cors } of entries) {
    for (const o of cors.allowOrigins) add(origins, o);
    for (const h of cors.allowHeaders) add(headers, h);
    for (const m of cors.allowMethods) add(methods, m.toUpperCase());
    add(methods, method.toUpperCase());
    for (const e of cors.exposeHeaders) add(expose, e);
    credentials ||= cors.allowCredentials;
    if (cors.maxAge !== null) maxAge = maxAge === null ? cors.maxAge : Math.max(maxAge, cors.maxAge);
  }
  add(methods, 'OPTIONS');
  return {
    allowOrigins: origins.length > 0 ? origins : ['*'],
    allowHeaders: headers,
    allowMethods: methods,
    exposeHeaders: expose,
    allowCredentials: credentials,
    maxAge,
  };
}

function originMatches(pattern: string, origin: string): boolean {
  if (pattern === '*' || pattern === origin) return true;
  const star = pattern.indexOf('*');
  if (star === -1) return false;
  // The Framework turns `*` into `.+` in a Java regex: prefix + at least one char + suffix.
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return origin.length > prefix.length + suffix.length && origin.startsWith(prefix) && origin.endsWith(suffix);
}

/** The REST OPTIONS mock integration's response headers. */
export function restPreflightHeaders(cors: CorsConfig, origin: string | undefined): Record<string, string> {
  let allowOrigin = cors.allowOrigins[0] ?? '*';
  if (origin && cors.allowOrigins.length > 1) {
    for (const o of cors.allowOrigins) {
      if (originMatches(o, origin)) {
        allowOrigin = origin;
        break;
      }
    }
  }
  const methods: string[] = [];
  for (const m of cors.allowMethods) {
    if (m === 'ANY') {
      for (const x of ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']) if (!methods.includes(x)) methods.push(x);
    } else if (!methods.includes(m)) methods.push(m);
  }
  const h: Record<string, string> = {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Allow-Headers': cors.allowHeaders.join(','),
    'Access-Control-Allow-Methods': methods.join(','),
  };
  if (cors.allowCredentials) h['Access-Control-Allow-Credentials'] = 'true';
  if (cors.maxAge !== null) h['Access-Control-Max-Age'] = String(cors.maxAge);
  return h;
}
