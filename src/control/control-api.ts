/**
 * The control API: what the `nimbus` CLI (and later the console) talk to. Served
 * under `/_nimbus/` on the AWS endpoint port; every other path there belongs to
 * the AWS wire protocols (aws-placeholder.ts until they exist).
 *
 * Every route but `GET /_nimbus/health` needs `Authorization: Bearer <admin token>`.
 * Replies are JSON; errors are `{ error: { code, message } }` with a platform
 * `ERR_*` code. No input, however malformed, takes the server down.
 */
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { VERSION } from '../version';
import { AppRoutes } from './apps';
import { handleAwsRequest } from '../aws';
import { invokeFunction, listFunctions } from './functions';
import type { ControlHost } from './host';
import { ControlError, badRequest, sendError, sendJson } from './http';
import { streamLogs } from './logs';
import { getStats } from './stats';
import type { HealthReply } from './types';

export const CONTROL_PREFIX = '/_nimbus';

interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  query: URLSearchParams;
  params: string[];
}

/** A route answers with a JSON body, or (returning undefined) has written the response itself. */
type RouteHandler = (ctx: RouteContext) => Promise<unknown>;

interface Route {
  method: string;
  /** Path segments after `/_nimbus/`; `:` marks a parameter. */
  pattern: string[];
  auth: boolean;
  handler: RouteHandler;
}

export class ControlApi {
  private readonly routes: Route[];
  private readonly tokenDigest: Buffer;
  private readonly apps: AppRoutes;

  constructor(private readonly host: ControlHost) {
    this.tokenDigest = digest(host.adminToken);
    this.apps = new AppRoutes(host);
    const json = (h: (ctx: RouteContext) => Promise<unknown>): RouteHandler => async (ctx) => {
      sendJson(ctx.res, 200, await h(ctx));
      return undefined;
    };
    this.routes = [
      { method: 'GET', pattern: ['health'], auth: false, handler: json(async (): Promise<HealthReply> => ({ status: 'ok', version: VERSION })) },
      {
        method: 'POST',
        pattern: ['apps'],
        auth: true,
        handler: async ({ req, res, query }) => {
          const r = await this.apps.deploy(req, query);
          sendJson(res, r.status, r.body);
        },
      },
      { method: 'GET', pattern: ['apps'], auth: true, handler: json(() => this.apps.list()) },
      { method: 'DELETE', pattern: ['apps', ':name'], auth: true, handler: json(({ params }) => this.apps.remove(params[0]!)) },
      { method: 'GET', pattern: ['functions'], auth: true, handler: json(() => listFunctions(this.host)) },
      { method: 'POST', pattern: ['functions', ':name', 'invoke'], auth: true, handler: json(({ req, params }) => invokeFunction(this.host, params[0]!, req)) },
      { method: 'GET', pattern: ['logs'], auth: true, handler: ({ res, query }) => streamLogs(this.host, query, res) },
      { method: 'GET', pattern: ['stats'], auth: true, handler: json(({ query }) => getStats(this.host, query)) },
    ];
  }

  /** The AWS endpoint server's request listener. Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0]!;
    if (pathname !== CONTROL_PREFIX && !pathname.startsWith(CONTROL_PREFIX + '/')) {
      handleAwsRequest(this.host, req, res);
      return;
    }
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    this.dispatch(req, res, url).catch((e: unknown) => sendError(res, e));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, rawUrl: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(rawUrl, 'http://control.invalid');
    } catch {
      throw badRequest('malformed request URL');
    }
    const segments = url.pathname.slice(CONTROL_PREFIX.length).split('/').filter((s) => s !== '');
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of this.routes) {
      const params = match(route.pattern, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      if (route.auth && !this.authorized(req)) {
        // Do not read (or wait for) an unauthenticated upload: answer and close.
        const close: Record<string, string> = req.headers['content-length'] || req.headers['transfer-encoding'] ? { connection: 'close' } : {};
        sendError(res, new ControlError(401, 'ERR_UNAUTHORIZED', 'missing or wrong admin token (send "Authorization: Bearer <token>"; the token is in <data-dir>/admin-token)'), undefined, {
          'www-authenticate': 'Bearer realm="nimbus"',
          ...close,
        });
        return;
      }
      await route.handler({ req, res, query: url.searchParams, params });
      return;
    }
    if (!this.authorized(req)) {
      sendError(res, new ControlError(401, 'ERR_UNAUTHORIZED', 'missing or wrong admin token'), undefined, { 'www-authenticate': 'Bearer realm="nimbus"' });
      return;
    }
    if (pathMatched) throw new ControlError(405, 'ERR_BAD_REQUEST', `method ${method} is not allowed on ${url.pathname}`);
    throw new ControlError(404, 'ERR_BAD_REQUEST', `no control API route ${method} ${url.pathname}`);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return false;
    // Constant time: compare fixed-length digests, never the raw strings.
    return crypto.timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/** Matches path segments against a pattern; returns the decoded parameters, or null. */
function match(pattern: string[], segments: string[]): string[] | null {
  if (pattern.length !== segments.length) return null;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      let v: string;
      try {
        v = decodeURIComponent(s);
      } catch {
        throw badRequest(`malformed path segment "${s}"`);
      }
      params.push(v);
    } else if (p !== s) return null;
  }
  return params;
}
