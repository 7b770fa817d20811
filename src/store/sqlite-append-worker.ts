/**
 * Background writer for SQLite append batches (logs, metering): its own
 * connection on a worker thread, so the platform's event loop never waits on
 * an INSERT or a COMMIT's fsync. Durability is unchanged (WAL,
 * synchronous = FULL): a batch's promise resolves only after its COMMIT.
 * Blocking on the file's write lock is fine here: this thread does nothing else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { insertPrefix, normalizeParams, type SqlValue } from './db';

export interface AppendRequest {
  id: number;
  table: string;
  columns: string[];
  rows: SqlValue[][];
}

export interface AppendReply {
  id: number;
  changes?: number;
  error?: { message: string; code?: string };
}

if (parentPort) {
  const port = parentPort;
  const db = new Database((workerData as { file: string }).file, { timeout: 10_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const statements = new Map<string, Database.Statement<unknown[], unknown>>();

  const append = db.transaction((req: AppendRequest): number => {
    const sql = insertPrefix(req.table, req.columns) + '(' + req.columns.map(() => '?').join(', ') + ')';
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    let changes = 0;
    for (const row of req.rows) changes += stmt.run(...normalizeParams(row)).changes;
    return changes;
  });

  port.on('message', (msg: AppendRequest | 'close') => {
    if (msg === 'close') {
      db.close();
      port.close();
      return;
    }
    let reply: AppendReply;
    try {
      reply = { id: msg.id, changes: append.immediate(msg) };
    } catch (e) {
      reply = { id: msg.id, error: { message: (e as Error).message, code: (e as { code?: string }).code } };
    }
    port.postMessage(reply);
  });
}
