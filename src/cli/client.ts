/**
 * The CLI's client of the control API (`/_nimbus/` on the AWS endpoint).
 * Plain node:http without connection reuse: a CLI makes a handful of requests
 * and must not keep its process alive afterwards.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { ControlErrorBody } from '../control/types';
import { str, type Parsed } from './args';
import { CliError } from './errors';
import type { Io } from './io';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';

/** An error reply of the control API. */
export class RemoteError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    file?: string,
    key?: string,
  ) {
    super(message, { code, file, key });
    this.name = 'RemoteError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: Uint8Array | string;
  contentType?: string;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class ControlClient {
  readonly endpoint: string;

  constructor(endpoint: string, private readonly token: string | undefined) {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      throw new CliError(`--endpoint "${endpoint}" is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`--endpoint must be an http:// or https:// URL, got "${endpoint}"`);
    this.endpoint = u.origin + u.pathname.replace(/\/+$/, '');
  }

  private url(p: string, query?: RequestOptions['query']): URL {
    const u = new URL(this.endpoint + '/_nimbus' + p);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** One request; resolves with the response once it has fully arrived. */
  request(method: string, p: string, o: RequestOptions = {}): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = this.open(method, p, o, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(this.connectionError(e)));
      });
      req.on('error', (e) => reject(this.connectionError(e)));
    });
  }

  /** A request whose 2xx reply is JSON; error replies become RemoteErrors. */
  async json<T>(method: string, p: string, o: RequestOptions = {}): Promise<T> {
    const r = await this.request(method, p, o);
    if (r.status < 200 || r.status >= 300) throw toRemoteError(r.status, r.body);
    try {
      return JSON.parse(r.body.toString('utf8')) as T;
    } catch {
      throw new CliError(`unexpected reply from ${this.endpoint} (not JSON): is this a Nimbus server?`);
    }
  }

  /**
   * Streams a newline-delimited JSON reply, calling `onLine` per record, until the
   * server ends it or `signal` aborts (which resolves normally).
   */
  streamLines(p: string, o: RequestOptions, onLine: (value: unknown) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let req: http.ClientRequest | null = null;
      const onAbort = (): void => {
        req?.destroy();
        resolve();
      };
      if (o.signal?.aborted) return resolve();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const done = (e?: unknown): void => {
        o.signal?.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else resolve();
      };
      req = this.open('GET', p, o, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(toRemoteError(status, Buffer.concat(chunks))));
          return;
        }
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          let nl: number;
          while ((nl = rest.indexOf('\n')) >= 0) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            if (line.trim() === '') continue;
            try {
              onLine(JSON.parse(line));
            } catch {
              /* a torn or foreign line: skip it */
            }
          }
        });
        res.on('end', () => done());
        res.on('error', (e) => (o.signal?.aborted ? done() : done(this.connectionError(e))));
        res.on('close', () => done());
      });
      req.on('error', (e) => (o.signal?.aborted ? done() : done(this.connectionError(e))));
    });
  }

  private open(method: string, p: string, o: RequestOptions, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const u = this.url(p, o.query);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (o.body !== undefined) {
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = typeof o.body === 'string' ? Buffer.byteLength(o.body) : o.body.length;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method, headers, agent: false }, onResponse);
    req.end(o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : Buffer.from(o.body.buffer, o.body.byteOffset, o.body.byteLength));
    return req;
  }

  private connectionError(e: Error): CliError {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
      return new CliError(`no Nimbus server at ${this.endpoint}; start one with \`nimbus dev\` or \`nimbus start\``, { code });
    }
    return new CliError(`request to ${this.endpoint} failed: ${e.message}`, { code });
  }
}

function toRemoteError(status: number, body: Buffer): CliError {
  try {
    const j = JSON.parse(body.toString('utf8')) as Partial<ControlErrorBody>;
    if (j.error && typeof j.error.message === 'string') return new RemoteError(status, j.error.code ?? 'ERR_INTERNAL', j.error.message, j.error.file, j.error.key);
  } catch {
    /* not our error shape */
  }
  return new RemoteError(status, 'ERR_INTERNAL', `the server answered HTTP ${status}${body.length ? `: ${body.toString('utf8').slice(0, 200)}` : ''}`);
}

/** Endpoint: --endpoint, else NIMBUS_ENDPOINT, else the default local one. */
export function endpointFrom(p: Parsed, io: Io): string {
  return str(p, 'endpoint') ?? (io.env.NIMBUS_ENDPOINT || DEFAULT_ENDPOINT);
}

/** The data dir the CLI assumes when none is given: ./.nimbus/data, like `nimbus start`. */
export function defaultDataDir(cwd: string): string {
  return path.join(cwd, '.nimbus', 'data');
}

/** Admin token: --token, else NIMBUS_ADMIN_TOKEN, else <data-dir>/admin-token. */
export function tokenFrom(p: Parsed, io: Io): string {
  const t = str(p, 'token') ?? (io.env.NIMBUS_ADMIN_TOKEN || undefined);
  if (t) return t;
  const dataDir = path.resolve(io.cwd, str(p, 'data-dir') ?? defaultDataDir(io.cwd));
  const file = path.join(dataDir, 'admin-token');
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    if (v) return v;
  } catch {
    /* reported below */
  }
  throw new CliError(`no admin token: pass --token, set NIMBUS_ADMIN_TOKEN, or point --data-dir at the server's data directory (${file} not found)`);
}

export function clientFrom(p: Parsed, io: Io): ControlClient {
  const endpoint = endpointFrom(p, io);
  // Validate the endpoint before hunting for a token, so a bad URL is the error shown.
  void new ControlClient(endpoint, undefined);
  return new ControlClient(endpoint, tokenFrom(p, io));
}
