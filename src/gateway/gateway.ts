/**
 * The HTTP front door: routes a request to a function through invoke/, in API Gateway's
 * payload format, and maps the result back. This is the warm path: routes are compiled
 * in setApis(), a request costs one trie walk, one event object, one JSON.stringify and
 * one invocation; nothing touches the disk.
 *
 * Several APIs at once: all their routes are merged into one table (a conflict, i.e. the
 * same method and path in two places, is won by the route added first: APIs in setApis()
 * order, routes in their order; dropped ones are listed in `conflicts`). A request whose
 * Host is `<apiId>.execute-api.localhost[:port]` sees only that API's routes, as on AWS.
 * REST (`http`) routes answer at `/<path>` and, as on AWS's execute-api URL, at
 * `/<stage>/<path>`; HTTP API (`httpApi`) routes live on the `$default` stage, so at
 * `/<path>` only.
 *
 * Not found: REST answers 403 {"message":"Missing Authentication Token"} for an unknown
 * resource or method (MISSING_AUTHENTICATION_TOKEN, "including the cases when the client
 * attempts to invoke an unsupported API method or resource",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html);
 * HTTP APIs answer 404 {"message":"Not Found"} ("If no routes match a request, API Gateway
 * returns {"message":"Not Found"}", http-api-develop-routes.html). In merged mode a path
 * under a REST stage (`/<stage>/...`) gets the REST answer; otherwise an app with an HTTP
 * API gets 404, an app with only REST APIs 403.
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type { CorsConfig, HttpRoute } from '../app/stack';
import type { Invoker } from '../invoke/types';
import { httpApiPreflight, httpApiResponseCorsHeaders, mergeRestCors, restPreflightHeaders } from './cors';
import { buildV1Event } from './payload-v1';
import { buildV2Event } from './payload-v2';
import {
  type ApiKind,
  functionErrorResponse,
  httpNotFound,
  invokeRejectedResponse,
  mapV1Result,
  mapV2Result,
  payloadTooLarge,
  restForbidden,
  restMissingToken,
} from './response';
import { RouteTable, isDefaultPath, type RouteDef } from './router';
import {
  API_PAYLOAD_LIMIT,
  LAMBDA_SYNC_PAYLOAD_LIMIT,
  type GatewayApi,
  type GatewayRequest,
  type GatewayResponse,
} from './types';

export type { GatewayApi } from './types';

export interface GatewayOptions {
  region: string;
  accountId: string;
}

interface ApiState {
  api: GatewayApi;
  hasRest: boolean;
  hasHttp: boolean;
  /** `/<stage>` */
  stagePrefix: string;
  binaryMediaTypes: readonly string[];
  table: RouteTable<Target>;
}

interface Target {
  kind: 'rest' | 'http' | 'rest-preflight';
  state: ApiState;
  route: HttpRoute | null;
  /** Resource template (`/users/{id}`), or `$default`. */
  resource: string;
  /** HTTP API route key: `GET /users/{id}`, `$default`. */
  routeKey: string;
  resourceId: string;
  /** REST: reached through `/<stage>/...` (the stage is stripped for `event.path`). */
  stagePrefixed: boolean;
  /** REST preflight: the merged CORS settings of the path. */
  cors: CorsConfig | null;
}

/** A conflict found while compiling routes: the later route never matches. */
export interface RouteConflict {
  apiId: string;
  method: string;
  path: string;
  functionName: string | null;
}

const EMPTY: readonly string[] = [];

/** 6-char lower-case id, stable per (api, path): AWS's resource ids look like `roq9wj`. */
function resourceIdFor(apiId: string, path: string): string {
  let h = 0x811c9dc5;
  const s = apiId + ' ' + path;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % 2176782336).toString(36).padStart(6, '0');
}

/** AWS's short request id form (`JKJaXmPLvHcESHA=`): 11 random bytes, base64url, padded. */
function shortId(uuid: string): string {
  // 22 hex digits of the uuid = 11 bytes = 15 base64 chars (+ the `=` AWS shows).
  const hex = uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24, 26);
  return Buffer.from(hex, 'hex').toString('base64url') + '=';
}

/** `Root=1-<8 hex epoch seconds>-<24 hex>`, the X-Ray trace id format API Gateway starts. */
export function newTraceId(epochMs: number): string {
  const u = randomUUID();
  const hex = u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24, 28);
  return `Root=1-${Math.floor(epochMs / 1000).toString(16).padStart(8, '0')}-${hex}`;
}

function stripStage(rawPath: string, stagePrefix: string): string {
  const rest = rawPath.slice(stagePrefix.length);
  return rest.length === 0 ? '/' : rest;
}

function underStage(rawPath: string, stagePrefix: string): boolean {
  return (
    rawPath.startsWith(stagePrefix) &&
    (rawPath.length === stagePrefix.length || rawPath.charCodeAt(stagePrefix.length) === 47)
  );
}

export class Gateway {
  private states: ApiState[] = [];
  private byId = new Map<string, ApiState>();
  private merged = new RouteTable<Target>();
  private anyHttp = false;
  /** Routes dropped because an earlier route had the same method and path. */
  conflicts: RouteConflict[] = [];

  constructor(
    private readonly invoker: Invoker,
    private readonly opts: GatewayOptions,
  ) {}

  /** Replaces the served APIs; the route tables are compiled here, once. */
  setApis(apis: GatewayApi[]): void {
    const states: ApiState[] = [];
    const byId = new Map<string, ApiState>();
    const mergedDefs: RouteDef<Target>[] = [];
    for (const api of apis) {
      const state: ApiState = {
        api,
        hasRest: api.routes.some((r) => r.kind === 'http'),
        hasHttp: api.routes.some((r) => r.kind === 'httpApi') || api.httpApiCors !== null,
        stagePrefix: '/' + api.stage,
        binaryMediaTypes: api.binaryMediaTypes ?? EMPTY,
        table: new RouteTable<Target>(),
      };
      const defs = this.compileApi(state);
      for (const d of defs) state.table.add(d);
      mergedDefs.push(...defs);
      states.push(state);
      if (!byId.has(api.id)) byId.set(api.id, state);
    }
    const merged = new RouteTable<Target>(mergedDefs);
    this.states = states;
    this.byId = byId;
    this.merged = merged;
    this.anyHttp = states.some((s) => s.hasHttp);
    this.conflicts = merged.conflicts.map((d) => ({
      apiId: d.value.state.api.id,
      method: d.method,
      path: d.path,
      functionName: d.value.route?.functionName ?? null,
    }));
  }

  private compileApi(state: ApiState): RouteDef<Target>[] {
    const { api } = state;
    const defs: RouteDef<Target>[] = [];
    const corsByPath = new Map<string, Array<{ method: string; cors: CorsConfig }>>();
    for (const route of api.routes) {
      if (route.kind === 'httpApi') {
        const isDefault = route.isDefaultRoute === true || isDefaultPath(route.path);
        const target: Target = {
          kind: 'http',
          state,
          route,
          resource: isDefault ? '$default' : route.path,
          routeKey: isDefault ? '$default' : `${route.method} ${route.path}`,
          resourceId: resourceIdFor(api.id, route.path),
          stagePrefixed: false,
          cors: null,
        };
        defs.push({ method: route.method, path: isDefault ? '$default' : route.path, value: target });
        continue;
      }
      if (isDefaultPath(route.path)) continue; // REST APIs have no $default route
      const base = {
        kind: 'rest' as const,
        state,
        route,
        resource: route.path,
        routeKey: `${route.method} ${route.path}`,
        resourceId: resourceIdFor(api.id, route.path),
        cors: null,
      };
      const staged = route.path === '/' ? state.stagePrefix : state.stagePrefix + route.path;
      defs.push({ method: route.method, path: staged, value: { ...base, stagePrefixed: true } });
      defs.push({ method: route.method, path: route.path, value: { ...base, stagePrefixed: false } });
      if (route.cors) {
        let list = corsByPath.get(route.path);
        if (!list) corsByPath.set(route.path, (list = []));
        list.push({ method: route.method, cors: route.cors });
      }
    }
    // The OPTIONS mock method the Framework adds per CORS-enabled REST path; an explicit
    // OPTIONS route (added above) wins.
    for (const [path, entries] of corsByPath) {
      const base = {
        kind: 'rest-preflight' as const,
        state,
        route: null,
        resource: path,
        routeKey: `OPTIONS ${path}`,
        resourceId: resourceIdFor(api.id, path),
        cors: mergeRestCors(entries),
      };
      const staged = path === '/' ? state.stagePrefix : state.stagePrefix + path;
      const explicit = api.routes.some((r) => r.kind === 'http' && r.method === 'OPTIONS' && r.path === path);
      if (explicit) continue;
      defs.push({ method: 'OPTIONS', path: staged, value: { ...base, stagePrefixed: true } });
      defs.push({ method: 'OPTIONS', path, value: { ...base, stagePrefixed: false } });
    }
    return defs;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.process(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"message":"Internal Server Error"}');
      } else res.destroy();
    });
  }

  private async process(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const timeEpoch = Date.now();
    const uuid = randomUUID();
    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47) {
      // absolute-form target (`http://host/path`): keep the path
      const scheme = url.indexOf('://');
      const slash = scheme === -1 ? -1 : url.indexOf('/', scheme + 3);
      url = slash === -1 ? '/' : url.slice(slash);
    }
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQueryString = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const host = req.headers.host ?? '';

    // `<apiId>.execute-api.localhost[:port]` targets one API.
    let scope: ApiState | null = null;
    let table = this.merged;
    const exec = host.indexOf('.execute-api.');
    if (exec > 0) {
      const found = this.byId.get(host.slice(0, exec));
      if (!found) return this.send(res, restForbidden(), this.idHeaders('rest', uuid, null));
      scope = found;
      table = found.table;
    }

    // API Gateway's 10 MB request limit, before any routing.
    const cl = req.headers['content-length'];
    if (cl !== undefined && Number(cl) > API_PAYLOAD_LIMIT) {
      req.resume(); // discard, do not buffer
      return this.send(res, payloadTooLarge(), null);
    }

    // HTTP API CORS preflight: answered by the gateway even without an OPTIONS route.
    if (method === 'OPTIONS' && this.anyHttp) {
      const origin = req.headers.origin;
      const acrm = req.headers['access-control-request-method'];
      if (origin && typeof acrm === 'string') {
        const cors = this.preflightCors(scope, table, acrm, rawPath);
        if (cors) {
          const pre = httpApiPreflight(cors, origin, acrm);
          if (pre) {
            req.resume();
            return this.send(res, { statusCode: pre.statusCode, headers: pre.headers, body: '' }, this.idHeaders('http', uuid, null));
          }
        }
      }
    }

    const m = table.match(method, rawPath);
    if (m === null) {
      req.resume();
      const kind = this.notFoundKind(scope, rawPath);
      return this.send(res, kind === 'rest' ? restMissingToken() : httpNotFound(), this.idHeaders(kind, uuid, null));
    }
    const target = m.value;
    if (target.kind === 'rest-preflight') {
      req.resume();
      const headers: Record<string, string | string[]> = restPreflightHeaders(target.cors!, req.headers.origin);
      return this.send(res, { statusCode: 200, headers, body: '' }, this.idHeaders('rest', uuid, null));
    }
    const kind: ApiKind = target.kind;

    const body = await readBody(req);
    if (body === TOO_LARGE) return this.send(res, payloadTooLarge(), null);

    const incomingTrace = req.headers['x-amzn-trace-id'];
    const traceId = typeof incomingTrace === 'string' && incomingTrace.length > 0 ? incomingTrace : newTraceId(timeEpoch);
    const socket = req.socket;
    let sourceIp = socket.remoteAddress ?? '127.0.0.1';
    if (sourceIp.startsWith('::ffff:')) sourceIp = sourceIp.slice(7);
    const greq: GatewayRequest = {
      method,
      rawPath,
      rawQueryString,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp,
      protocol: 'HTTP/' + req.httpVersion,
      host,
      localPort: socket.localPort ?? 0,
      scheme: (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      requestId: kind === 'rest' ? uuid : shortId(uuid),
      extendedRequestId: shortId(uuid),
      timeEpoch,
      traceId,
    };
    const state = target.state;
    const route = target.route!;
    const event =
      kind === 'rest'
        ? buildV1Event(greq, {
            apiId: state.api.id,
            accountId: this.opts.accountId,
            stage: state.api.stage,
            resource: target.resource,
            resourceId: target.resourceId,
            path: target.stagePrefixed ? stripStage(rawPath, state.stagePrefix) : rawPath,
            pathParameters: m.params,
            binaryMediaTypes: state.binaryMediaTypes,
          })
        : buildV2Event(greq, {
            apiId: state.api.id,
            accountId: this.opts.accountId,
            routeKey: target.routeKey,
            pathParameters: m.params,
          });
    const ids = this.idHeaders(kind, uuid, traceId);
    const payload = JSON.stringify(event);
    // Lambda's 6 MB synchronous payload limit: Lambda rejects the invocation
    // (RequestTooLargeException), which API Gateway reports as an invocation failure.
    if (payload.length > LAMBDA_SYNC_PAYLOAD_LIMIT / 3 && Buffer.byteLength(payload) > LAMBDA_SYNC_PAYLOAD_LIMIT) {
      return this.send(res, invokeRejectedResponse(kind), ids);
    }
    let result;
    try {
      result = await this.invoker.invoke({
        functionName: route.functionName,
        payload,
        source: kind === 'rest' ? 'http' : 'httpApi',
        traceId,
      });
    } catch {
      // InvokeError (throttled, too large, not found, service) or any other failure to run.
      return this.send(res, invokeRejectedResponse(kind), ids);
    }
    if (result.functionError !== undefined) return this.send(res, functionErrorResponse(kind), ids);
    let out: GatewayResponse;
    if (kind === 'rest') {
      out = mapV1Result(result.payload, { binaryMediaTypes: state.binaryMediaTypes, accept: req.headers.accept });
    } else {
      const cors = state.api.httpApiCors;
      out = mapV2Result(result.payload, {
        corsConfigured: cors !== null,
        corsHeaders: cors !== null ? httpApiResponseCorsHeaders(cors, req.headers.origin) : null,
      });
    }
    this.send(res, out, ids, kind);
  }

  /** The CORS config of the HTTP API a preflight is for, or null. */
  private preflightCors(scope: ApiState | null, table: RouteTable<Target>, acrm: string, rawPath: string): CorsConfig | null {
    const m = table.match(acrm.toUpperCase(), rawPath);
    if (m !== null) {
      const t = m.value;
      return t.kind === 'http' ? t.state.api.httpApiCors : null;
    }
    if (scope) return scope.hasRest && underStage(rawPath, scope.stagePrefix) ? null : scope.api.httpApiCors;
    for (const s of this.states) if (s.hasRest && underStage(rawPath, s.stagePrefix)) return null;
    for (const s of this.states) if (s.api.httpApiCors) return s.api.httpApiCors;
    return null;
  }

  private notFoundKind(scope: ApiState | null, rawPath: string): ApiKind {
    if (scope) {
      if (!scope.hasRest) return 'http';
      if (!scope.hasHttp || underStage(rawPath, scope.stagePrefix)) return 'rest';
      return 'http';
    }
    let anyRest = false;
    for (const s of this.states) {
      if (!s.hasRest) continue;
      anyRest = true;
      if (underStage(rawPath, s.stagePrefix)) return 'rest';
    }
    return this.anyHttp || !anyRest ? 'http' : 'rest';
  }

  private idHeaders(kind: ApiKind, uuid: string, traceId: string | null): Record<string, string> {
    if (kind === 'http') return { 'apigw-requestid': shortId(uuid) };
    const h: Record<string, string> = { 'x-amzn-RequestId': uuid, 'x-amz-apigw-id': shortId(uuid) };
    if (traceId !== null) h['X-Amzn-Trace-Id'] = traceId;
    return h;
  }

  private send(res: http.ServerResponse, r: GatewayResponse, ids: Record<string, string> | null, kind?: ApiKind): void {
    if (res.headersSent || res.destroyed) return;
    const headers = r.headers;
    if (ids !== null) for (const k in ids) headers[k] = ids[k];
    try {
      res.writeHead(r.statusCode, headers);
    } catch {
      // A header the function returned is not valid HTTP: its result is unusable.
      if (kind === undefined) throw new Error('invalid gateway response headers');
      const fallback = functionErrorResponse(kind);
      if (ids !== null) for (const k in ids) fallback.headers[k] = ids[k];
      res.writeHead(fallback.statusCode, fallback.headers);
      res.end(fallback.body);
      return;
    }
    res.end(r.body);
  }
}

const TOO_LARGE = Symbol('too large');

/**
 * Reads the request body, buffering at most API Gateway's 10 MB. Past the limit the rest
 * is read and discarded (so the client still gets the 413) and TOO_LARGE is returned.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer | null | typeof TOO_LARGE> {
  const cl = req.headers['content-length'];
  if ((cl === undefined || cl === '0') && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > API_PAYLOAD_LIMIT) {
        over = true;
        chunks.length = 0;
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (over) return;
      resolve(size === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.once('error', reject);
    // A client that goes away mid-body: nothing to answer.
    req.once('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}
