/**
 * `http` (API Gateway REST, v1 payload) and `httpApi` (API Gateway HTTP API, v2
 * payload) events -> normalized route definitions. Shapes and rules follow the
 * framework v3 (lib/plugins/aws/package/compile/events/api-gateway/ and http-api.js):
 * - `http`: `'GET users/{id}'` or `{ path, method, cors }`; leading/trailing slashes of
 *   the path are optional; methods GET POST PUT PATCH OPTIONS HEAD DELETE ANY (`*` = ANY).
 * - `httpApi`: `'GET /users/{id}'`, `'*'` (the `$default` route), or `{ method, path }`;
 *   the path must start with `/`; `path: '*'` takes no method (or `*`).
 * - paths: parameters are whole segments (`{id}`), a greedy `{name+}` only last.
 */
import type { HttpEventKind } from '../stack';
import { type DefinitionContext, isPlainObject, type KeyPath, keyPathString } from './context';
import { HTTP_CORS_DEFAULT_HEADERS, type HttpCorsInput } from './cors';
import { checkKeys } from './keys';
import { EVENT_TYPES, HTTP_API_EVENT_KEYS, HTTP_CORS_KEYS, HTTP_EVENT_KEYS } from './schema';
import { readS3Event, type S3EventDefinition } from './s3-events';
import { readStreamEvent, type StreamEventDefinition } from './stream-events';
import { readInteger } from './values';

export interface HttpEventDefinition {
  kind: HttpEventKind;
  /** Key path of the event, e.g. `functions.users.events[0].http`. */
  keys: KeyPath;
  /** Upper-case method or `ANY`. */
  method: string;
  /** Normalized path (`/`, `/users/{id}`, `/{proxy+}`). */
  path: string;
  /** The HTTP API `$default` route (`httpApi: '*'`). */
  isDefaultRoute: boolean;
  /** `http` events only: the event's own CORS settings (merged per path later). */
  cors: HttpCorsInput | null;
}

export const HTTP_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE'];
const METHOD_LIST = `${HTTP_METHODS.join(', ')}, ANY or *`;

/** The events of one function Nimbus compiles. */
export interface FunctionEvents {
  http: HttpEventDefinition[];
  streams: StreamEventDefinition[];
  s3: S3EventDefinition[];
}

/** Reads `functions.<key>.events`, keeping the HTTP, stream and s3 ones and warning about the rest. */
export function readEvents(ctx: DefinitionContext, fnKeys: KeyPath, raw: unknown): FunctionEvents {
  const keys = [...fnKeys, 'events'];
  const streams: StreamEventDefinition[] = [];
  const s3: S3EventDefinition[] = [];
  if (raw === undefined || raw === null) return { http: [], streams, s3 };
  if (!Array.isArray(raw)) ctx.invalid(keys, 'must be a list of events', { value: raw });
  const out: HttpEventDefinition[] = [];
  raw.forEach((item, i) => {
    const itemKeys = [...keys, i];
    if (!isPlainObject(item) || Object.keys(item).length !== 1) {
      ctx.invalid(itemKeys, `must be an object with exactly one event type, e.g. "- httpApi: 'GET /users'"`, { value: item });
    }
    const [type] = Object.keys(item);
    const value = item[type];
    const eventKeys = [...itemKeys, type];
    const rule = EVENT_TYPES[type];
    if (type === 'http') out.push(readHttpEvent(ctx, eventKeys, value));
    else if (type === 'httpApi') out.push(readHttpApiEvent(ctx, eventKeys, value));
    else if (type === 'stream') streams.push(readStreamEvent(ctx, eventKeys, value));
    else if (type === 's3') s3.push(readS3Event(ctx, eventKeys, value));
    else if (rule === undefined) ctx.warn(`${keyPathString(eventKeys)} is not a Serverless Framework v3 event type and is ignored`);
    else ctx.warn(`${keyPathString(eventKeys)} is not supported yet and is ignored`);
  });
  return { http: out, streams, s3 };
}

function readMethod(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string {
  if (typeof raw !== 'string') ctx.invalid(keys, `must be one of ${METHOD_LIST}`, { value: raw });
  const m = raw.trim().toUpperCase();
  if (m === '*' || m === 'ANY') return 'ANY';
  if (!HTTP_METHODS.includes(m)) ctx.invalid(keys, `must be one of ${METHOD_LIST}`, { value: raw });
  return m;
}

/** Checks a normalized path: whole-segment parameters, greedy last, no duplicates. */
function checkPath(ctx: DefinitionContext, keys: KeyPath, path: string, raw: unknown): void {
  if (/\s/.test(path)) ctx.invalid(keys, 'must not contain whitespace', { value: raw });
  if (/[?#]/.test(path)) ctx.invalid(keys, 'must not contain a query string or fragment', { value: raw });
  if (path === '/') return;
  const segments = path.slice(1).split('/');
  const names = new Set<string>();
  segments.forEach((seg, i) => {
    if (seg === '') ctx.invalid(keys, 'must not contain an empty segment ("//")', { value: raw });
    if (!seg.includes('{') && !seg.includes('}')) return;
    const m = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(seg);
    if (!m) ctx.invalid(keys, `has an invalid path parameter "${seg}" (parameters are whole segments: {id}, or greedy {proxy+})`, { value: raw });
    if (m[2] === '+' && i !== segments.length - 1) {
      ctx.invalid(keys, `has the greedy parameter ${seg} before the last segment (a greedy parameter must be last)`, { value: raw });
    }
    if (names.has(m[1])) ctx.invalid(keys, `uses the path parameter {${m[1]}} twice`, { value: raw });
    names.add(m[1]);
  });
}

function readHttpEvent(ctx: DefinitionContext, keys: KeyPath, raw: unknown): HttpEventDefinition {
  let method: string;
  let rawPath: unknown;
  let pathKeys: KeyPath = keys;
  let cors: HttpCorsInput | null = null;
  if (typeof raw === 'string') {
    const parts = raw.trim().split(/\s+/);
    if (parts.length !== 2) ctx.invalid(keys, 'must be "METHOD path", e.g. "GET users/{id}", or an object with path and method', { value: raw });
    method = readMethod(ctx, keys, parts[0]);
    rawPath = parts[1];
  } else if (isPlainObject(raw)) {
    checkKeys(ctx, keys, raw, HTTP_EVENT_KEYS);
    if (raw.path === undefined || raw.path === null) ctx.invalid([...keys, 'path'], 'is required');
    if (raw.method === undefined || raw.method === null) ctx.invalid([...keys, 'method'], 'is required');
    method = readMethod(ctx, [...keys, 'method'], raw.method);
    rawPath = raw.path;
    pathKeys = [...keys, 'path'];
    if (raw.integration !== undefined) {
      const integration = String(raw.integration).toUpperCase().replace('-', '_');
      if (integration !== 'LAMBDA_PROXY' && integration !== 'AWS_PROXY') {
        ctx.warn(`${keyPathString([...keys, 'integration'])} ${JSON.stringify(raw.integration)} is not supported yet and is ignored (Nimbus uses the lambda-proxy integration)`);
      }
    }
    cors = readHttpCors(ctx, [...keys, 'cors'], raw.cors, method);
  } else {
    ctx.invalid(keys, 'must be "METHOD path" or an object with path and method', { value: raw });
  }
  if (typeof rawPath !== 'string') ctx.invalid(pathKeys, 'must be a string', { value: rawPath });
  // The framework strips one leading and one trailing slash; the root is ''.
  const path = `/${rawPath.trim().replace(/^\//, '').replace(/\/$/, '')}`;
  checkPath(ctx, pathKeys, path, rawPath);
  return { kind: 'http', keys, method, path, isDefaultRoute: false, cors };
}

function readHttpApiEvent(ctx: DefinitionContext, keys: KeyPath, raw: unknown): HttpEventDefinition {
  let method: string | undefined;
  let rawPath: unknown;
  let pathKeys: KeyPath = keys;
  let methodKeys: KeyPath = keys;
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (s === '*') return defaultRoute(keys);
    const m = /^(\S+)\s+(\S+)$/.exec(s);
    if (!m) ctx.invalid(keys, 'must be "METHOD /path" (e.g. "GET /users/{id}"), "*", or an object with method and path', { value: raw });
    method = readMethod(ctx, keys, m[1]);
    rawPath = m[2];
  } else if (isPlainObject(raw)) {
    checkKeys(ctx, keys, raw, HTTP_API_EVENT_KEYS);
    if (raw.path === undefined || raw.path === null) ctx.invalid([...keys, 'path'], 'is required');
    pathKeys = [...keys, 'path'];
    methodKeys = [...keys, 'method'];
    if (raw.path === '*') {
      if (raw.method !== undefined && raw.method !== null && raw.method !== '*') {
        ctx.invalid(methodKeys, 'must be "*" or omitted when path is "*" (the $default route)', { value: raw.method });
      }
      return defaultRoute(keys);
    }
    if (raw.method === undefined || raw.method === null) ctx.invalid(methodKeys, 'is required');
    method = readMethod(ctx, methodKeys, raw.method);
    rawPath = raw.path;
  } else {
    ctx.invalid(keys, 'must be "METHOD /path", "*", or an object with method and path', { value: raw });
  }
  if (typeof rawPath !== 'string') ctx.invalid(pathKeys, 'must be a string', { value: rawPath });
  if (!rawPath.startsWith('/')) ctx.invalid(pathKeys, 'must start with "/"', { value: rawPath });
  const path = rawPath.length > 1 ? rawPath.replace(/\/$/, '') : rawPath;
  checkPath(ctx, pathKeys, path, rawPath);
  return { kind: 'httpApi', keys, method, path, isDefaultRoute: false, cors: null };
}

/** `httpApi: '*'`: the framework's route key `*`, deployed as `$default`. */
function defaultRoute(keys: KeyPath): HttpEventDefinition {
  return { kind: 'httpApi', keys, method: 'ANY', path: '/{proxy+}', isDefaultRoute: true, cors: null };
}

function readStringList(ctx: DefinitionContext, keys: KeyPath, raw: unknown, allowSingle: boolean): string[] {
  if (allowSingle && typeof raw === 'string') return [raw];
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== 'string')) ctx.invalid(keys, 'must be a list of strings', { value: raw });
  return raw as string[];
}

/** An `http` event's `cors`, as the framework's getCors() builds it. */
function readHttpCors(ctx: DefinitionContext, keys: KeyPath, raw: unknown, method: string): HttpCorsInput | null {
  if (raw === undefined || raw === null || raw === false) return null;
  if (raw === true) {
    return { origin: '*', origins: [], headers: [...HTTP_CORS_DEFAULT_HEADERS], methods: ['OPTIONS', method], allowCredentials: false, maxAge: null };
  }
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be true, false or an object', { value: raw });
  checkKeys(ctx, keys, raw, HTTP_CORS_KEYS);
  if (raw.origin !== undefined && typeof raw.origin !== 'string') ctx.invalid([...keys, 'origin'], 'must be a string', { value: raw.origin });
  const origins = raw.origins === undefined ? null : readStringList(ctx, [...keys, 'origins'], raw.origins, false);
  const headers = raw.headers === undefined ? [...HTTP_CORS_DEFAULT_HEADERS] : readStringList(ctx, [...keys, 'headers'], raw.headers, true);
  const methods = raw.methods === undefined ? [] : readStringList(ctx, [...keys, 'methods'], raw.methods, false).map((m, i) => readMethod(ctx, [...keys, 'methods', i], m));
  if (!methods.includes('OPTIONS')) methods.push('OPTIONS');
  if (!methods.includes(method)) methods.push(method);
  if (raw.allowCredentials !== undefined && typeof raw.allowCredentials !== 'boolean') {
    ctx.invalid([...keys, 'allowCredentials'], 'must be true or false', { value: raw.allowCredentials });
  }
  const maxAge = raw.maxAge === undefined ? null : readInteger(ctx, [...keys, 'maxAge'], raw.maxAge, 1, Number.MAX_SAFE_INTEGER);
  return {
    // An explicit `origins` list replaces the default `*` origin.
    origin: typeof raw.origin === 'string' ? raw.origin : origins ? null : '*',
    origins: origins ?? [],
    headers,
    methods,
    allowCredentials: raw.allowCredentials === true,
    maxAge,
  };
}
