/**
 * `GET /_nimbus/logs`: stored log records as newline-delimited JSON; with
 * `follow=1` the response stays open and streams new records as they happen
 * until the client goes away.
 */
import type * as http from 'node:http';
import type { LogRecord } from '../store/types';
import type { ControlHost } from './host';
import { ControlError, boolParam, intParam, timeParam } from './http';
import { lookupFunction } from './functions';

const MAX_LIMIT = 10_000;

function key(r: LogRecord): string {
  return `${r.ts}\u0000${r.functionName}\u0000${r.requestId ?? ''}\u0000${r.stream}\u0000${r.message}`;
}

export async function streamLogs(host: ControlHost, q: URLSearchParams, res: http.ServerResponse): Promise<void> {
  const fnParam = q.get('function') || undefined;
  const afterId = intParam(q, 'afterId', 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(q, 'limit', 1, MAX_LIMIT) ?? 100;
  const since = timeParam(q, 'since');
  const follow = boolParam(q, 'follow');
  const requestId = q.get('requestId') || undefined;
  const fn = fnParam === undefined ? undefined : await lookupFunction(host, fnParam);
  const functionName = fn?.name;
  const matches = (r: LogRecord): boolean =>
    (functionName === undefined || r.functionName === functionName) && (requestId === undefined || r.requestId === requestId);

  // Live records are buffered from before the stored ones are read, so none falls
  // in between; those that were also stored by then are skipped (by content: live
  // records carry no id yet).
  const pending: LogRecord[] = [];
  let live: ((r: LogRecord) => void) | null = null;
  const unsubscribe = follow
    ? host.logs.subscribe((r) => {
        if (!matches(r)) return;
        if (live) live(r);
        else pending.push(r);
      })
    : null;
  let closed = false;
  const stop = (): void => {
    closed = true;
    unsubscribe?.();
  };
  res.on('close', stop);

  try {
    await host.logs.flush();
    const stored = await host.store.logs.query({ functionName, requestId, afterId, since, limit });
    if (closed) return;
    // Logs of a removed function stay readable; a name that never existed is an error.
    if (fn && !fn.deployed && stored.length === 0 && afterId === undefined && since === undefined) {
      throw new ControlError(404, 'ERR_FUNCTION_NOT_FOUND', `no function named "${fnParam}" is deployed, and no logs of it are stored`);
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    const write = (r: LogRecord): void => {
      if (!closed) res.write(JSON.stringify(r) + '\n');
    };
    // Following: send the headers now, so a client waiting for its first record knows the stream is open.
    if (follow) res.flushHeaders();
    for (const r of stored) write(r);
    if (!follow) {
      res.end();
      return;
    }
    const seen = new Map<string, number>();
    for (const r of stored) seen.set(key(r), (seen.get(key(r)) ?? 0) + 1);
    for (const r of pending) {
      const k = key(r);
      const n = seen.get(k) ?? 0;
      if (n > 0) seen.set(k, n - 1);
      else write(r);
    }
    pending.length = 0;
    live = write;
  } catch (e) {
    stop();
    throw e;
  }
}
