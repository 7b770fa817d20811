/**
 * A request and response as the protocols see them: plain data, no sockets,
 * so that every codec and the authenticator are pure functions to test.
 */
import { parseQuery } from './sigv4';

export interface WireRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded). */
  readonly path: string;
  /** The query string as sent, without `?`. */
  readonly rawQuery: string;
  /** Decoded query pairs, in order (RFC 3986: `+` stays `+`). */
  readonly query: readonly (readonly [string, string])[];
  /** Lower-cased header names -> every value, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  /**
   * A streamed body (a blob payload the handler returned as a Readable or an
   * async iterable): `body` is then empty and the endpoint pipes this to the
   * socket with backpressure. `content-length` is in `headers` when known.
   */
  stream?: AsyncIterable<Uint8Array>;
}

export function header(req: Pick<WireRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers.get(name);
  return v === undefined ? undefined : v.length === 1 ? v[0] : v.join(',');
}

export function queryValue(req: Pick<WireRequest, 'query'>, name: string): string | undefined {
  for (const [k, v] of req.query) if (k === name) return v;
  return undefined;
}

/** Builds a WireRequest from a URL (path + query) and raw header pairs. */
export function wireRequest(method: string, url: string, rawHeaders: readonly (readonly [string, string])[], body: Buffer = EMPTY_BODY): WireRequest {
  const headers = new Map<string, string[]>();
  for (const [k, v] of rawHeaders) addHeader(headers, k, v);
  return withUrl(method, url, headers, body);
}

/** The same from Node's flat `rawHeaders` ([k, v, k, v, ...]), without building pairs first. */
export function wireRequestFromRaw(method: string, url: string, rawHeaders: readonly string[], body: Buffer = EMPTY_BODY): WireRequest {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) addHeader(headers, rawHeaders[i]!, rawHeaders[i + 1]!);
  return withUrl(method, url, headers, body);
}

const EMPTY_BODY = Buffer.alloc(0);
const NO_QUERY: readonly (readonly [string, string])[] = Object.freeze([]);

function addHeader(headers: Map<string, string[]>, k: string, v: string): void {
  const n = k.toLowerCase();
  const list = headers.get(n);
  if (list) list.push(v);
  else headers.set(n, [v]);
}

function withUrl(method: string, url: string, headers: Map<string, string[]>, body: Buffer): WireRequest {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  return { method: method.toUpperCase(), path, rawQuery, query: rawQuery === '' ? NO_QUERY : parseQuery(rawQuery), headers, body };
}

/** Node's `rawHeaders` ([k, v, k, v, ...]) as pairs. */
export function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
