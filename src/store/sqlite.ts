/**
 * SQLite behind the async Db interface (better-sqlite3, one connection per store).
 *
 * Durability: WAL with `synchronous = FULL`, so every COMMIT fsyncs the WAL
 * before it returns. NORMAL would survive `kill -9` but could lose the last
 * commits on power loss, and the design never trades durability away silently;
 * hot paths batch their writes so the fsync is paid once per batch instead.
 *
 * better-sqlite3 is synchronous, so each call runs to completion on the spot.
 * Transactions take an async callback, though, and one connection means a
 * statement issued by someone else while that callback awaits would land inside
 * the transaction. A FIFO mutex therefore orders every call: while a
 * transaction is open, other calls wait for it to end.
 *
 * Waiting for another connection's write lock (a second store on the same
 * file, in this process or another) must not use SQLite's busy handler: it
 * sleeps synchronously, freezing the event loop, and if the lock holder is an
 * async transaction in this same process it can never finish, a deadlock. So
 * every write takes the lock with `BEGIN IMMEDIATE` and no busy wait, retried
 * on timers; writes issued outside a transaction get one of their own.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PlatformError } from '../errors';
import {
  type Db,
  type RunResult,
  type SqlValue,
  type Tx,
  type TxOptions,
  insertPrefix,
  normalizeParams,
  openError,
  storeError,
  wrapQueryError,
} from './db';
import { Mutex } from './mutex';
import { Worker } from 'node:worker_threads';
import type { AppendReply, AppendRequest } from './sqlite-append-worker';

type Statement = Database.Statement<unknown[], unknown>;

/** Enough for every distinct statement text a process issues; evicts oldest beyond that. */
const STATEMENT_CACHE_SIZE = 500;
/** How long a write waits for another process holding the file's write lock (ms). */
const BUSY_TIMEOUT_MS = 5000;

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly mutex = new Mutex();
  private closed = false;

  constructor(readonly file: string) {
    if (file !== ':memory:') {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
      } catch (e) {
        throw openError(`cannot create the directory for SQLite database ${file}`, e);
      }
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      // journal_mode is the first statement to read the file, so a file that is
      // not a database fails here, inside the wrapper, with a clear message.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('foreign_keys = ON');
    } catch (e) {
      db?.close();
      throw openError(`cannot open SQLite database ${file}`, e);
    }
    this.db = db;
  }

  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.readOrWrite(sql, () => this.allSync<T>(sql, params), (t) => t.all<T>(sql, params));
  }

  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.readOrWrite(sql, () => this.getSync<T>(sql, params), (t) => t.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.readOrWrite(sql, () => this.runSync(sql, params), (t) => t.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    // A script may write anything; give it a transaction (see the header).
    return this.tx((t) => t.exec(sql));
  }

  async insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    // One transaction so the batch costs one fsync, not one per row.
    return this.tx(async (t) => t.insertRows(table, columns, rows, suffix));
  }

  /** Appends go to a worker thread with its own connection (file databases only). */
  private appender: Appender | null = null;

  async appendRows(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number> {
    if (rows.length === 0) return 0;
    this.assertOpen();
    if (this.file === ':memory:') return this.insertRows(table, columns, rows);
    this.appender ??= new Appender(this.file);
    return this.appender.append(table, columns, rows);
  }

  async tx<T>(fn: (t: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    this.assertOpen();
    await this.mutex.acquire();
    // Per connection, and this connection runs one transaction at a time (the mutex).
    if (opts.relaxed) this.prepare('PRAGMA synchronous = NORMAL').run();
    try {
      this.assertOpen();
      await this.beginImmediate();
      const t = new SqliteTx(this);
      let result: T;
      try {
        result = await fn(t);
      } catch (e) {
        t.finished = true;
        this.rollback();
        throw e;
      }
      t.finished = true;
      if (t.failed) {
        // PostgreSQL aborts a transaction after any failed statement; SQLite
        // would happily commit the rest. Refuse here too so callers see the
        // same semantics on both backends.
        this.rollback();
        throw storeError('transaction rolled back: a statement inside it failed', t.failed);
      }
      try {
        this.db.exec('COMMIT');
      } catch (e) {
        this.rollback();
        throw storeError('commit failed', e);
      }
      return result;
    } finally {
      if (opts.relaxed && !this.closed) this.prepare('PRAGMA synchronous = FULL').run();
      this.mutex.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued transactions finish rather than cutting them off.
    await this.mutex.acquire();
    try {
      if (this.closed) return;
      this.closed = true;
      await this.appender?.close();
      this.statements.clear();
      this.db.close();
    } finally {
      this.mutex.release();
    }
  }

  // --- synchronous core, used by the Db (under the mutex) and by SqliteTx (inside BEGIN) ---

  allSync<T extends object>(sql: string, params?: readonly SqlValue[]): T[] {
    try {
      return this.prepare(sql).all(bindable(params)) as T[];
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  getSync<T extends object>(sql: string, params?: readonly SqlValue[]): T | undefined {
    try {
      return this.prepare(sql).get(bindable(params)) as T | undefined;
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  runSync(sql: string, params?: readonly SqlValue[]): RunResult {
    try {
      return { changes: this.prepare(sql).run(bindable(params)).changes };
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  execSync(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  insertRowsSync(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): number {
    if (rows.length === 0) return 0;
    const placeholders = '(' + columns.map(() => '?').join(', ') + ')';
    const sql = insertPrefix(table, columns) + placeholders + (suffix ? ' ' + suffix : '');
    let changes = 0;
    try {
      const stmt = this.prepare(sql);
      for (const row of rows) {
        if (row.length !== columns.length) {
          throw new PlatformError('ERR_INTERNAL', `insertRows into ${table}: row has ${row.length} values for ${columns.length} columns`);
        }
        changes += stmt.run(bindable(row)).changes;
      }
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
    return changes;
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt) return stmt;
    stmt = this.db.prepare(sql);
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  /** Runs a non-transactional call now if nothing is queued, else after the current transaction. */
  private outside<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError(this.file));
    if (this.mutex.idle) {
      try {
        return Promise.resolve(fn());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.mutex.acquire().then(() => {
      try {
        this.assertOpen();
        return fn();
      } finally {
        this.mutex.release();
      }
    });
  }

  /**
   * Takes the file's write lock without SQLite's blocking busy wait (see the
   * header), retrying with backoff while another connection holds it.
   */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    let delay = 1;
    for (;;) {
      this.busyTimeout(0);
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if (!isBusy(e) || Date.now() >= deadline) throw storeError(`cannot begin a transaction on ${this.file}`, e);
      } finally {
        this.busyTimeout(BUSY_TIMEOUT_MS);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 50);
    }
  }

  private busyTimeout(ms: number): void {
    // Kept for reads, which in WAL mode only wait in rare cases (recovery, a
    // checkpoint restart) and then briefly.
    this.prepare(`PRAGMA busy_timeout = ${ms}`).get();
  }

  /**
   * Read-only statements run right away (WAL readers never wait for writers);
   * anything that writes goes through a transaction so it takes the write lock
   * the non-blocking way.
   */
  private readOrWrite<T>(sql: string, read: () => T, write: (t: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError(this.file));
    let readonly: boolean;
    try {
      readonly = this.prepare(sql).readonly;
    } catch (e) {
      return Promise.reject(wrapQueryError(e, sql));
    }
    if (!readonly) return this.tx(write);
    // The common case of `outside`, without its closure and promise chain: a
    // read with no transaction open runs now (GetItem's one statement).
    if (this.mutex.idle) {
      try {
        return Promise.resolve(read());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.outside(read);
  }

  private rollback(): void {
    // SQLite rolls back by itself on some errors (SQLITE_FULL, IOERR); a second
    // ROLLBACK would then fail and hide the original error.
    if (!this.db.inTransaction) return;
    try {
      this.db.exec('ROLLBACK');
    } catch {
      // Nothing more to do: the connection is no longer in a transaction or is broken.
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError(this.file);
  }
}

class SqliteTx implements Tx {
  readonly dialect = 'sqlite' as const;
  finished = false;
  /** The first statement error inside the transaction, which dooms it (see SqliteDb.tx). */
  failed: unknown = undefined;

  constructor(private readonly db: SqliteDb) {}

  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.call(() => this.db.allSync<T>(sql, params));
  }

  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.call(() => this.db.getSync<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.call(() => this.db.runSync(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.call(() => this.db.execSync(sql));
  }

  insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number> {
    return this.call(() => this.db.insertRowsSync(table, columns, rows, suffix));
  }

  lock(_name: string): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's single write lock.
    return this.call(() => undefined);
  }

  private call<T>(fn: () => T): Promise<T> {
    if (this.finished) return Promise.reject(storeError('transaction handle used after its transaction ended'));
    try {
      return Promise.resolve(fn());
    } catch (e) {
      this.failed ??= e;
      return Promise.reject(e);
    }
  }
}

/**
 * Parameters as better-sqlite3 binds them (an array binds its elements as the
 * anonymous parameters). Copied only when a value needs converting
 * (normalizeParams: booleans, undefined), which hot statements never have.
 */
const NO_PARAMS: SqlValue[] = [];

function bindable(params: readonly SqlValue[] | undefined): SqlValue[] {
  if (!params || params.length === 0) return NO_PARAMS;
  for (let i = 0; i < params.length; i++) {
    const v = params[i];
    if (typeof v === 'boolean' || v === undefined) return normalizeParams(params);
  }
  return params as SqlValue[];
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function closedError(file: string): PlatformError {
  return storeError(`store ${file} is closed`);
}

/** The platform side of sqlite-append-worker.ts. */
class Appender {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (n: number) => void; reject: (e: unknown) => void }>();
  private readonly inflight = new Set<Promise<number>>();

  constructor(private readonly file: string) {
    this.worker = new Worker(path.join(__dirname, 'sqlite-append-worker.js'), { workerData: { file } });
    // Keeps the process alive only while a batch is outstanding (see append).
    this.worker.unref();
    this.worker.on('message', (r: AppendReply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (!p) return;
      if (r.error) p.reject(storeError(`append to ${file} failed: ${r.error.message}`, Object.assign(new Error(r.error.message), { code: r.error.code })));
      else p.resolve(r.changes ?? 0);
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', () => {
      this.dead = true;
      this.failAll(new Error('append worker exited'));
    });
  }

  /** The worker is gone (failed to open, crashed): appends fail instead of hanging. */
  private dead = false;

  append(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<number> {
    if (this.dead) return Promise.reject(storeError(`append to ${this.file} failed: the append worker has stopped`));
    const id = ++this.seq;
    const req: AppendRequest = { id, table, columns: [...columns], rows: rows as SqlValue[][] };
    const p = new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(req);
    });
    if (this.inflight.size === 0) this.worker.ref();
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
      if (this.inflight.size === 0) this.worker.unref();
    };
    p.then(done, done);
    return p;
  }

  /** Waits for every batch sent so far, then stops the worker and its connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    if (this.dead) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(storeError(`append to ${this.file} failed`, e));
    this.pending.clear();
  }
}
