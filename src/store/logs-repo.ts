import type { Db, SqlValue } from './db';
import { normalizeLimit } from './repo-utils';
import type { LogQuery, LogRecord, Store } from './types';

interface LogRow {
  id: number;
  function_name: string;
  request_id: string | null;
  ts: number;
  stream: string;
  message: string;
}

const INSERT_COLUMNS = ['function_name', 'request_id', 'ts', 'stream', 'message'] as const;

/** Classes cannot implement an indexed access type directly. */
type LogsApi = Store['logs'];

export class LogsRepo implements LogsApi {
  constructor(private readonly db: Db) {}

  async appendMany(records: LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r): SqlValue[] => [r.functionName, r.requestId, r.ts, r.stream, r.message]);
    // Tailers read "id > last seen". On PostgreSQL ids come from a sequence
    // when a row is inserted, not when it commits, so two concurrent batches
    // could commit out of id order and a tailer would skip the lower one for
    // good. Holding this lock until commit makes id order equal commit order.
    await this.db.appendRows('function_logs', INSERT_COLUMNS, rows, { lock: 'core:function-logs-append' });
  }

  async query(q: LogQuery): Promise<LogRecord[]> {
    const limit = normalizeLimit(q.limit);
    if (limit === 0) return [];
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    if (q.functionName !== undefined) {
      clauses.push('function_name = ?');
      params.push(q.functionName);
    }
    if (q.requestId !== undefined) {
      clauses.push('request_id = ?');
      params.push(q.requestId);
    }
    if (q.afterId !== undefined) {
      clauses.push('id > ?');
      params.push(q.afterId);
    }
    if (q.since !== undefined) {
      clauses.push('ts >= ?');
      params.push(q.since);
    }
    const where = clauses.length ? ' WHERE ' + clauses.join(' AND ') : '';
    // Newest `limit` first from the index, then flipped to oldest-first.
    const rows = await this.db.all<LogRow>(
      `SELECT id, function_name, request_id, ts, stream, message FROM function_logs${where} ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.reverse().map(toLog);
  }
}

function toLog(r: LogRow): LogRecord {
  return {
    id: Number(r.id),
    functionName: r.function_name,
    requestId: r.request_id,
    ts: Number(r.ts),
    stream: r.stream as LogRecord['stream'],
    message: r.message,
  };
}
