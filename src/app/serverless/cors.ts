/**
 * CORS as the framework v3 configures it.
 *
 * `http` (REST API): each event's `cors` (true or object) is merged per path into one
 * preflight (OPTIONS) configuration (api-gateway/lib/validate.js and cors.js): headers,
 * methods and origins are unions (the later event's entries first, lodash `_.union`),
 * `origin` is the last event's, `allowCredentials` is true if any event sets it, and
 * `maxAge` is the last one set. A comma-separated `origin` is a list of origins; `ANY`
 * in the methods stands for DELETE,GET,HEAD,PATCH,POST,PUT. The REST API's lambda-proxy
 * responses carry whatever headers the function returns, so no exposed headers.
 *
 * `httpApi` (provider.httpApi.cors, http-api.js): `true` means origins `*`, the default
 * headers, and methods OPTIONS plus every method the HTTP API's routes use (an ANY
 * route adds them all); an object overrides each part it sets.
 */
import type { CorsConfig } from '../stack';
import { type DefinitionContext, isPlainObject, type KeyPath } from './context';
import { checkKeys } from './keys';
import { HTTP_API_CORS_KEYS } from './schema';
import { readInteger } from './values';

/** Default allowed headers for `http` events' `cors: true`. */
export const HTTP_CORS_DEFAULT_HEADERS: readonly string[] = [
  'Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent',
];

/** Default allowed headers for `provider.httpApi.cors: true`. */
export const HTTP_API_CORS_DEFAULT_HEADERS: readonly string[] = [...HTTP_CORS_DEFAULT_HEADERS, 'X-Amzn-Trace-Id'];

/** The methods an `ANY` HTTP API route adds to the filled-in allowed methods, in the framework's order. */
const HTTP_API_ANY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE'];
const REST_ANY_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'];

/** One `http` event's cors settings (the framework's getCors() result). */
export interface HttpCorsInput {
  origin: string | null;
  origins: string[];
  headers: string[];
  methods: string[];
  allowCredentials: boolean;
  maxAge: number | null;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** Merges the cors settings of `http` events per path, in event order. */
export function mergeHttpCors(events: ReadonlyArray<{ path: string; cors: HttpCorsInput | null }>): Map<string, CorsConfig> {
  const acc = new Map<string, HttpCorsInput>();
  for (const { path, cors } of events) {
    if (!cors) continue;
    const prev = acc.get(path);
    if (!prev) {
      acc.set(path, { ...cors, headers: [...cors.headers], methods: [...cors.methods], origins: [...cors.origins] });
      continue;
    }
    prev.headers = union(cors.headers, prev.headers);
    prev.methods = union(cors.methods, prev.methods);
    prev.origins = union(cors.origins, prev.origins);
    prev.origin = cors.origin;
    prev.allowCredentials = prev.allowCredentials || cors.allowCredentials;
    if (cors.maxAge) prev.maxAge = cors.maxAge;
  }
  const out = new Map<string, CorsConfig>();
  for (const [path, c] of acc) {
    let origins = c.origins;
    if (c.origin && c.origin.includes(',')) origins = c.origin.split(',').map((o) => o.trim());
    out.set(path, {
      allowOrigins: origins.length > 0 ? origins : [c.origin ?? '*'],
      allowHeaders: c.headers,
      allowMethods: [...new Set(c.methods.flatMap((m) => (m === 'ANY' ? REST_ANY_METHODS : [m])))],
      exposeHeaders: [],
      allowCredentials: c.allowCredentials,
      maxAge: c.maxAge,
    });
  }
  return out;
}

/** provider.httpApi.cors as read from the definition, before methods are filled in. */
export type HttpApiCorsInput =
  | null
  | {
      allowOrigins: string[];
      allowHeaders: string[];
      /** null: fill in OPTIONS and the methods of the HTTP API's routes. */
      allowMethods: string[] | null;
      exposeHeaders: string[];
      allowCredentials: boolean;
      maxAge: number | null;
    };

function list(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw : [raw];
  if (items.some((x) => typeof x !== 'string')) ctx.invalid(keys, 'must be a string or a list of strings', { value: raw });
  return [...new Set(items as string[])];
}

export function readHttpApiCors(ctx: DefinitionContext, keys: KeyPath, raw: unknown): HttpApiCorsInput {
  if (raw === undefined || raw === null || raw === false) return null;
  const base = { allowOrigins: ['*'], allowHeaders: [...HTTP_API_CORS_DEFAULT_HEADERS], allowMethods: null, exposeHeaders: [], allowCredentials: false, maxAge: null };
  if (raw === true) return base;
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be true, false or an object', { value: raw });
  checkKeys(ctx, keys, raw, HTTP_API_CORS_KEYS);
  if (raw.allowCredentials !== undefined && typeof raw.allowCredentials !== 'boolean') {
    ctx.invalid([...keys, 'allowCredentials'], 'must be true or false', { value: raw.allowCredentials });
  }
  return {
    allowOrigins: raw.allowedOrigins === undefined ? base.allowOrigins : list(ctx, [...keys, 'allowedOrigins'], raw.allowedOrigins),
    allowHeaders: raw.allowedHeaders === undefined ? base.allowHeaders : list(ctx, [...keys, 'allowedHeaders'], raw.allowedHeaders),
    allowMethods: raw.allowedMethods === undefined ? null : list(ctx, [...keys, 'allowedMethods'], raw.allowedMethods),
    exposeHeaders: raw.exposedResponseHeaders === undefined ? [] : list(ctx, [...keys, 'exposedResponseHeaders'], raw.exposedResponseHeaders),
    allowCredentials: raw.allowCredentials === true,
    maxAge: raw.maxAge === undefined ? null : readInteger(ctx, [...keys, 'maxAge'], raw.maxAge, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The HTTP API's CorsConfig, filling in allowed methods from its routes' methods when needed. */
export function httpApiCors(input: HttpApiCorsInput, routeMethods: readonly string[]): CorsConfig | null {
  if (!input) return null;
  let allowMethods = input.allowMethods;
  if (!allowMethods) {
    const set = new Set(['OPTIONS']);
    for (const m of routeMethods) for (const x of m === 'ANY' ? HTTP_API_ANY_METHODS : [m]) set.add(x);
    allowMethods = [...set];
  }
  return {
    allowOrigins: input.allowOrigins,
    allowHeaders: input.allowHeaders,
    allowMethods,
    exposeHeaders: input.exposeHeaders,
    allowCredentials: input.allowCredentials,
    maxAge: input.maxAge,
  };
}
