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
}

export function header(req: Pick<WireRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers.get(name);
  return v === undefined ? undefined : v.join(',');
}

export function queryValue(req: Pick<WireRequest, 'query'>, name: string): string | undefined {
  for (const [k, v] of req.query) if (k === name) return v;
  return undefined;
}

/** Builds a WireRequest from a URL (path + query) and raw header pairs. */
export function wireRequest(method: string, url: string, rawHeaders: readonly (readonly [string, string])[], body: Buffer = Buffer.alloc(0)): WireRequest {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const headers = new Map<string, string[]>();
  for (const [k, v] of rawHeaders) {
    const n = k.toLowerCase();
    const list = headers.get(n);
    if (list) list.push(v);
    else headers.set(n, [v]);
  }
  return { method: method.toUpperCase(), path, rawQuery, query: parseQuery(rawQuery), headers, body };
}

/** Node's `rawHeaders` ([k, v, k, v, ...]) as pairs. */
export function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}
