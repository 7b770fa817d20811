/**
 * Request/response plumbing of the control API: bounded body reading, JSON
 * replies and the one error shape `{ error: { code, message, file?, key? } }`.
 * Nothing here trusts the client: bodies are capped, JSON is parsed defensively,
 * and every failure becomes a JSON reply instead of a thrown exception.
 */
import type * as http from 'node:http';
import * as path from 'node:path';
import { isPlatformError, type PlatformErrorCode } from '../errors';
import { InvokeError } from '../invoke/types';
import type { ControlErrorBody } from './types';
import { readCappedBody } from '../http-body';

/** An error the control API answers with a given status and code. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { file?: string; key?: string; reason?: string } = {},
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export function badRequest(message: string): ControlError {
  return new ControlError(400, 'ERR_BAD_REQUEST', message);
}

/** HTTP status of each platform error code. */
const STATUS: Record<PlatformErrorCode, number> = {
  ERR_APP_NOT_FOUND: 404,
  ERR_FUNCTION_NOT_FOUND: 404,
  ERR_APP_INVALID: 400,
  ERR_APP_VARIABLE: 400,
  ERR_APP_DEPLOY: 409,
  ERR_HANDLER_NOT_FOUND: 400,
  ERR_BUILD_FAILED: 400,
  ERR_BAD_REQUEST: 400,
  ERR_STORE_URL: 400,
  ERR_ROUTE_CONFLICT: 409,
  ERR_UNAUTHORIZED: 401,
  ERR_PORT_IN_USE: 500,
  ERR_STORE: 500,
  ERR_INTERNAL: 500,
};

/** InvokeError codes (invocations that never ran) and their Lambda API statuses. */
const INVOKE_STATUS: Record<InvokeError['code'], number> = {
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
  RequestTooLargeException: 413,
  InvalidRequestContentException: 400,
  ServiceException: 500,
};

/**
 * Any thrown value -> status + error body. `baseDir` makes file paths relative
 * (an uploaded app's files live in a random directory the client never saw).
 */
export function toErrorReply(e: unknown, baseDir?: string): { status: number; body: ControlErrorBody } {
  if (e instanceof ControlError) {
    return { status: e.status, body: { error: { code: e.code, message: e.message, ...clean(e.extra, baseDir) } } };
  }
  if (isPlatformError(e)) {
    const status = STATUS[e.code] ?? 500;
    return { status, body: { error: { code: e.code, message: relativize(e.message, baseDir), ...clean({ file: e.file, key: e.key }, baseDir) } } };
  }
  if (e instanceof InvokeError) {
    return { status: INVOKE_STATUS[e.code] ?? 500, body: { error: { code: e.code, message: e.message, ...(e.reason ? { reason: e.reason } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'ERR_INTERNAL', message: e instanceof Error ? e.message : String(e) } } };
}

function relativize(s: string, baseDir?: string): string {
  if (!baseDir) return s;
  return s.split(baseDir + path.sep).join('');
}

function clean(extra: { file?: string; key?: string; reason?: string }, baseDir?: string): { file?: string; key?: string; reason?: string } {
  const out: { file?: string; key?: string; reason?: string } = {};
  if (extra.file) out.file = baseDir && extra.file.startsWith(baseDir + path.sep) ? path.relative(baseDir, extra.file) : extra.file;
  if (extra.key) out.key = extra.key;
  if (extra.reason) out.reason = extra.reason;
  return out;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, e: unknown, baseDir?: string, headers: Record<string, string> = {}): void {
  const { status, body } = toErrorReply(e, baseDir);
  if (status >= 500 && !(e instanceof ControlError)) console.error('nimbus: control API error:', e);
  sendJson(res, status, body, headers);
}

/**
 * Reads the request body, at most `limit` bytes. A larger body is read to its
 * end and discarded (so the client gets a clean 413 instead of a reset), then
 * rejects with 413.
 */
export async function readBody(req: http.IncomingMessage, limit: number, tooLarge?: () => ControlError): Promise<Buffer> {
  // A declared length over the limit: read nothing into memory, just drain.
  const declared = Number(req.headers['content-length']);
  const declaredOver = Number.isFinite(declared) && declared > limit;
  let body: Buffer | null;
  try {
    body = await readCappedBody(req, declaredOver ? -1 : limit);
  } catch (e) {
    throw badRequest(`could not read the request body: ${(e as Error).message}`);
  }
  if (body === null || declaredOver) {
    throw tooLarge ? tooLarge() : new ControlError(413, 'ERR_BAD_REQUEST', `request body is larger than ${limit} bytes`);
  }
  return body;
}

/** Parses a JSON body; bad JSON is a 400, never an exception escaping the handler. */
export function parseJson(body: Buffer, what = 'request body'): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Query parameter helpers: absent -> undefined, malformed -> 400. */
export function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`query parameter ${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw badRequest(`query parameter ${name} must be between ${min} and ${max}`);
  return n;
}

/** `since`: epoch milliseconds or an ISO 8601 time. */
export function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`query parameter ${name} must be epoch milliseconds or an ISO 8601 time`);
  return t;
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '0' && v !== 'false';
}
