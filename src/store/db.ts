/**
 * The dialect-neutral SQL layer every repository in store/ is written against.
 *
 * SQL uses `?` placeholders (converted to `$n` for PostgreSQL) and the subset of
 * SQL both engines share (`INSERT ... ON CONFLICT ... DO UPDATE`, `LIMIT ?`,
 * `RETURNING`, partial indexes). Where the dialects differ, branch on
 * `db.dialect`, and keep DDL in per-module migrations that carry one script per
 * dialect. Nothing outside store/ imports this file's SQL-facing parts.
 */
import { createHash } from 'node:crypto';
import { PlatformError } from '../errors';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Values that can be bound. Booleans are stored as integers 1/0 on both
 * dialects (SQLite has no boolean type and better-sqlite3 refuses JS booleans).
 */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

/**
 * A result row. Column values come back as: INTEGER/BIGINT -> number (PostgreSQL
 * int8 is parsed to number on our pool only), REAL/DOUBLE -> number, TEXT ->
 * string, NUMERIC (e.g. SUM over BIGINT in PostgreSQL) -> string, so wrap
 * aggregates in Number(). Callers name their row shape with the type parameter.
 */
export type Row = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  changes: number;
}

/** What both a Db and a transaction handle can do. */
export interface Queryable {
  readonly dialect: Dialect;
  all<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  /** Runs a script of one or more statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Inserts many rows into `table` in order: one reused prepared statement on
   * SQLite, multi-row `INSERT ... VALUES (...), (...)` on PostgreSQL. `suffix`
   * is appended verbatim (e.g. `ON CONFLICT (id) DO NOTHING`). Outside a
   * transaction the whole batch runs in one. Returns the number of rows written.
   */
  insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number>;
}

/** A transaction handle: valid only until the `tx` callback settles. */
export interface Tx extends Queryable {
  /**
   * Holds a named lock until this transaction ends, serializing it with every
   * other transaction taking the same name on the same store (all nodes).
   * PostgreSQL: `pg_advisory_xact_lock`. SQLite: a no-op, because `BEGIN
   * IMMEDIATE` already makes every write transaction exclusive.
   */
  lock(name: string): Promise<void>;
}

export interface TxOptions {
  /**
   * Bookkeeping whose loss in a power failure only repeats work (claiming,
   * completing or extending a leased queue item): COMMIT without waiting for the
   * disk (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off). Still
   * safe against a crash of Nimbus itself (kill -9). Never for acknowledged writes.
   */
  relaxed?: boolean;
}

export interface Db extends Queryable {
  /**
   * Write-behind batches (logs, metering): inserts `rows` in one transaction,
   * possibly on a background connection so the caller's event loop never waits
   * on disk (SQLite: a worker thread). Resolves once committed. `lock` names a
   * lock held for the transaction (see Tx.lock), e.g. so that PostgreSQL ids
   * commit in order for tailers.
   */
  appendRows(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], opts?: { lock?: string }): Promise<number>;
  /**
   * Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it
   * throws (the error is rethrown unchanged). Use only `t` inside `fn`: on
   * SQLite a call on the Db itself waits for this transaction and deadlocks.
   * Do not await unrelated I/O inside `fn`; on SQLite it blocks every other
   * store call for that long.
   */
  tx<T>(fn: (t: Tx) => Promise<T>, opts?: TxOptions): Promise<T>;
  close(): Promise<void>;
}

/**
 * One schema step of one module. Versions are positive integers, applied in
 * ascending order per module, each exactly once per database (schema), recorded
 * in `nimbus_migrations`. Scripts may hold several statements; they run inside
 * the migration transaction (so no `CREATE INDEX CONCURRENTLY`).
 */
export interface Migration {
  /** Owner of the tables, e.g. `core`, `dynamodb`, `sqs`. Tables should be prefixed with it. */
  module: string;
  version: number;
  /** Short description, recorded for operators. */
  name: string;
  sqlite: string;
  postgres: string;
}

/** Wraps a driver error in the platform's store error, keeping it as `cause`. */
export function storeError(message: string, cause?: unknown): PlatformError {
  const detail = describeCause(cause);
  return new PlatformError('ERR_STORE', detail ? `${message}: ${detail}` : message, cause === undefined ? {} : { cause });
}

/**
 * The store named by the URL cannot be opened at all (unreachable server, bad
 * credentials, no such database, a file that is not SQLite): docs/errors.md
 * files that under ERR_STORE_URL, since the fix is in the `--store` value or
 * the server it names, not in a running store.
 */
export function openError(message: string, cause?: unknown): PlatformError {
  const e = storeError(message, cause);
  return new PlatformError('ERR_STORE_URL', e.message, cause === undefined ? {} : { cause });
}

/**
 * A one-line reason. Node's happy-eyeballs connect throws an AggregateError with
 * an empty message (e.g. `localhost` refusing on ::1 and 127.0.0.1), so fall
 * back to the inner errors and the error code.
 */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return cause === undefined ? '' : String(cause);
  if (cause.message) return cause.message;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return cause.errors.map((x: unknown) => (x instanceof Error ? x.message : String(x))).join('; ');
  }
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause.name;
}

/** The innermost error of a `cause` chain (the driver's own error). */
export function rootCause(e: unknown): unknown {
  let cur = e;
  for (let depth = 0; depth < 10; depth++) {
    const next = cur instanceof Error ? cur.cause : undefined;
    if (next === undefined) break;
    cur = next;
  }
  return cur;
}

/** Errors raised by user code pass through untouched; driver errors are wrapped with the SQL. */
export function wrapQueryError(e: unknown, sql: string): unknown {
  if (e instanceof PlatformError) return e;
  const short = sql.replace(/\s+/g, ' ').trim();
  return storeError(`query failed (${short.length > 200 ? short.slice(0, 200) + '...' : short})`, e);
}

/** True when the error (or its cause) is a unique / primary key violation, on either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Table and column names in insertRows come from code, but a typo must not become SQL injection. */
export function assertIdentifier(name: string): void {
  if (!IDENT.test(name)) throw new PlatformError('ERR_INTERNAL', `invalid SQL identifier: ${JSON.stringify(name)}`);
}

/** Builds `INSERT INTO t (a, b) VALUES ` with validated identifiers. */
export function insertPrefix(table: string, columns: readonly string[]): string {
  assertIdentifier(table);
  if (columns.length === 0) throw new PlatformError('ERR_INTERNAL', `insertRows into ${table} needs at least one column`);
  for (const c of columns) assertIdentifier(c);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
}

/** Booleans become 1/0 so the same repository code binds on both drivers. */
export function normalizeParams(params: readonly SqlValue[] | undefined): SqlValue[] {
  if (!params || params.length === 0) return [];
  const out = params.slice();
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (v === undefined) out[i] = null; // defensive: optional fields from untyped callers
  }
  return out;
}

/**
 * A stable signed 64-bit key for advisory locks, derived from a name, returned as
 * a decimal string so it binds to `bigint` without precision loss.
 */
export function lockKey(name: string): string {
  const h = createHash('sha256').update(name).digest();
  return h.readBigInt64BE(0).toString();
}
