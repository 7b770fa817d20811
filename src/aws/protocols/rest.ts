/**
 * What restJson1 and restXml share: the route table (Smithy URI patterns with
 * `{Label}`, greedy `{Label+}` and required query literals like `?uploads`),
 * and the HTTP bindings of members (httpLabel, httpQuery, httpHeader,
 * httpPrefixHeaders, httpPayload, httpResponseCode). The body codec (JSON or
 * XML) is the only difference, passed in.
 *
 * An unknown route is 404 `<UnknownOperationException/>`, what coral REST
 * services (Lambda, Bedrock, ...) answer (dynalite documents the body for
 * DynamoDB's non-POST requests; the same body is reported for bedrock-runtime
 * and cloudsearch).
 */
import { fromStrings, toHeaderString, type Decoded, type DecodedStruct } from '../codec';
import { serializationError } from '../errors';
import type { Member, StructureShape } from '../shapes';
import type { Operation, OutputValue, ServiceDefinition } from '../types';
import type { WireRequest, WireResponse } from '../wire';
import type { Resolution } from './protocol';

type Segment = { lit: string } | { label: string; greedy: boolean };

interface Route {
  name: string;
  method: string;
  segments: Segment[];
  /** Query literals the route requires (`?uploads`, `?List=ALL`): name -> value (undefined: any). */
  query: [string, string | undefined][];
  trailingSlash: boolean;
  /** A header the request must carry (lower case), e.g. S3's `x-amz-copy-source`. */
  header?: string;
  /** Sort key: routes with more literal segments and query literals win, then those that need a header. */
  weight: number;
}

function compile(name: string, method: string, pattern: string, header?: string): Route {
  const q = pattern.indexOf('?');
  const pathPart = q < 0 ? pattern : pattern.slice(0, q);
  const query: [string, string | undefined][] = [];
  if (q >= 0) {
    for (const p of pattern.slice(q + 1).split('&')) {
      if (p === '') continue;
      const eq = p.indexOf('=');
      query.push(eq < 0 ? [p, undefined] : [p.slice(0, eq), p.slice(eq + 1)]);
    }
  }
  const segments: Segment[] = pathPart
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\{([^}+]+)(\+?)\}$/.exec(s);
      return m ? { label: m[1]!, greedy: m[2] === '+' } : { lit: s };
    });
  const literals = segments.filter((s) => 'lit' in s).length;
  const weight = literals * 10 + query.length - (segments.some((s) => 'greedy' in s && s.greedy) ? 5 : 0) + (header ? 0.5 : 0);
  return { name, method, segments, query, trailingSlash: pathPart.length > 1 && pathPart.endsWith('/'), weight, ...(header ? { header: header.toLowerCase() } : {}) };
}

const routeCache = new WeakMap<ServiceDefinition, Route[]>();

function routes(service: ServiceDefinition): Route[] {
  let r = routeCache.get(service);
  if (!r) {
    r = [];
    for (const op of Object.values(service.operations) as Operation[]) {
      if (op.http) r.push(compile(op.name, op.http.method, op.http.path, op.http.header));
    }
    for (const u of service.unimplemented ?? []) r.push(compile(u.name, u.method, u.path));
    r.sort((a, b) => b.weight - a.weight);
    routeCache.set(service, r);
  }
  return r;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw serializationError(`Malformed percent-encoding in the URI: ${s}`);
  }
}

function matchRoute(route: Route, rawSegments: string[], req: WireRequest): Map<string, string> | null {
  const labels = new Map<string, string>();
  let i = 0;
  for (let j = 0; j < route.segments.length; j++) {
    const seg = route.segments[j]!;
    if ('lit' in seg) {
      if (rawSegments[i] !== seg.lit) return null;
      i++;
    } else if (seg.greedy) {
      const rest = rawSegments.slice(i);
      if (rest.length === 0 || rest.join('') === '') return null;
      labels.set(seg.label, rest.map(decodeSegment).join('/'));
      i = rawSegments.length;
    } else {
      const s = rawSegments[i];
      if (s === undefined || s === '') return null;
      labels.set(seg.label, decodeSegment(s));
      i++;
    }
  }
  // A trailing empty segment (`/path/`) matches a route without one.
  if (i < rawSegments.length && !(i === rawSegments.length - 1 && rawSegments[i] === '')) return null;
  for (const [k, v] of route.query) {
    const found = req.query.find(([qk]) => qk === k);
    if (!found || (v !== undefined && found[1] !== v)) return null;
  }
  if (route.header !== undefined && !req.headers.has(route.header)) return null;
  return labels;
}

/** Finds the operation of a REST request. A path known for another method is still unknown (AWS answers the same). */
export function resolveRest(service: ServiceDefinition, req: WireRequest): Resolution {
  const raw = req.path.split('/').slice(1);
  for (const route of routes(service)) {
    if (route.method !== req.method) continue;
    const labels = matchRoute(route, raw, req);
    if (!labels) continue;
    const op: Operation | undefined = Object.prototype.hasOwnProperty.call(service.operations, route.name) ? service.operations[route.name] : undefined;
    if (op) return { kind: 'operation', op, labels };
    return { kind: 'unimplemented', name: route.name };
  }
  return { kind: 'unknown' };
}

/** Whether any route of the service matches the request's path (any method): used to tell which service an unsigned request is for. */
export function restPathMatches(service: ServiceDefinition, req: WireRequest): boolean {
  const raw = req.path.split('/').slice(1);
  return routes(service).some((r) => matchRoute(r, raw, req) !== null);
}

/**
 * Decodes the members bound to labels, query, headers and the payload; the
 * body members are decoded by `bodyDecoder` (JSON or XML).
 */
export function parseRestInput(
  op: Operation,
  req: WireRequest,
  labels: ReadonlyMap<string, string>,
  body: Buffer,
  bodyDecoder: (shape: StructureShape, body: Buffer, whole: boolean) => DecodedStruct,
): DecodedStruct {
  const out: DecodedStruct = {};
  let hasBodyMembers = false;
  for (const [name, m] of Object.entries(op.input.members) as [string, Member][]) {
    const wire = m.name ?? name;
    switch (m.location) {
      case 'label': {
        const v = labels.get(wire);
        if (v !== undefined) out[name] = fromStrings(m.shape, [v], 'label');
        break;
      }
      case 'query': {
        const values = req.query.filter(([k]) => k === wire).map(([, v]) => v);
        if (values.length > 0) out[name] = fromStrings(m.shape, values, 'query');
        break;
      }
      case 'header': {
        const values = req.headers.get(wire.toLowerCase());
        if (values !== undefined) out[name] = fromStrings(m.shape, [...values], 'header');
        break;
      }
      case 'prefixHeaders': {
        const prefix = wire.toLowerCase();
        const map: { [k: string]: Decoded } = {};
        for (const [k, v] of req.headers) if (k.startsWith(prefix)) map[k.slice(prefix.length)] = v.join(',');
        if (Object.keys(map).length > 0) out[name] = map;
        break;
      }
      case 'payload': {
        if (m.shape.kind === 'blob') {
          if (body.length > 0) out[name] = body;
        } else if (m.shape.kind === 'string') {
          if (body.length > 0) out[name] = body.toString('utf8');
        } else if (m.shape.kind === 'structure') {
          if (body.length > 0) out[name] = bodyDecoder(m.shape, body, true);
        }
        break;
      }
      case 'body':
        hasBodyMembers = true;
        break;
      default:
        break;
    }
  }
  if (hasBodyMembers && body.length > 0) Object.assign(out, bodyDecoder(op.input, body, false));
  return out;
}

/** The status, headers and payload-or-body of a REST response. */
export function serializeRestOutput(
  op: Operation,
  output: OutputValue,
  bodyEncoder: (shape: StructureShape, value: Record<string, unknown>, whole: boolean) => string,
  defaultContentType: string,
): Pick<WireResponse, 'status' | 'headers' | 'body' | 'stream'> {
  let status = op.http?.code ?? 200;
  const headers: Record<string, string> = {};
  let body: Buffer | string | undefined;
  let stream: AsyncIterable<Uint8Array> | undefined;
  let hasBodyMembers = false;
  for (const [name, m] of Object.entries(op.output.members) as [string, Member][]) {
    const v = output[name];
    const wire = m.name ?? name;
    switch (m.location) {
      case 'responseCode':
        if (typeof v === 'number') status = v;
        break;
      case 'header': {
        const s = toHeaderString(m.shape, v);
        if (s !== undefined) headers[wire.toLowerCase()] = s;
        break;
      }
      case 'prefixHeaders':
        if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Record<string, unknown>)) headers[(wire + k).toLowerCase()] = String(x);
        break;
      case 'payload':
        if (m.shape.kind === 'blob') {
          if (isAsyncIterable(v) && !Buffer.isBuffer(v)) {
            stream = v;
            body = '';
          } else body = Buffer.isBuffer(v) ? v : Buffer.alloc(0);
          // A Content-Type header member (S3's ContentType) wins over the default.
          headers['content-type'] ??= op.payloadContentType ?? 'application/octet-stream';
        } else if (m.shape.kind === 'string') {
          body = typeof v === 'string' ? v : '';
          headers['content-type'] = op.payloadContentType ?? 'text/plain';
        } else if (m.shape.kind === 'structure') {
          body = v && typeof v === 'object' ? bodyEncoder(m.shape, v as Record<string, unknown>, true) : '';
          headers['content-type'] = defaultContentType;
        }
        break;
      case 'body':
        hasBodyMembers = true;
        break;
      default:
        break;
    }
  }
  if (body === undefined) {
    if (hasBodyMembers) {
      body = bodyEncoder(op.output, output as Record<string, unknown>, false);
      headers['content-type'] = defaultContentType;
    } else body = '';
  }
  return stream ? { status, headers, body, stream } : { status, headers, body };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === 'object' && v !== null && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
