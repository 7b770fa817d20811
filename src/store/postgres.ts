/**
 * PostgreSQL behind the async Db interface (a pg Pool per store).
 *
 * - `?` placeholders are rewritten to `$n` once per distinct statement text.
 * - int8 (BIGINT, COUNT(*)) is parsed to number on this pool only, so epoch ms
 *   and ids come back as numbers without changing pg's global parsers for any
 *   other code in the process. Values beyond 2^53 are not representable; ours
 *   (sequence ids, epoch ms) never get there.
 * - A `schema` isolates a store: it is created on open and put first on the
 *   search_path of every pooled connection through the startup `options`, so
 *   no connection can ever run a statement against the wrong schema.
 */
import { Pool, types as pgTypes, type CustomTypesConfig, type PoolClient, type QueryResult } from 'pg';
import { PlatformError } from '../errors';
import {
  type Db,
  type RunResult,
  type SqlValue,
  type Tx,
  type TxOptions,
  insertPrefix,
  lockKey,
  normalizeParams,
  openError,
  rootCause,
  storeError,
  wrapQueryError,
} from './db';

export interface PostgresTarget {
  /** libpq-style URL handed to pg (without our own `schema` parameter). */
  connectionString: string;
  /** Schema to create and use, or null for the server's default search_path. */
  schema: string | null;
  /** `options` startup parameter the user put in the URL, kept and extended. */
  options: string | null;
  /** The URL without its password, for messages. */
  location: string;
}

/** PostgreSQL's limit on bind parameters per statement (a 16-bit count in the protocol). */
const MAX_PARAMS = 65535;
/** Rows per INSERT statement: large enough to amortize round trips, small enough to keep statements short. */
const MAX_ROWS_PER_INSERT = 1000;
const INT8_OID = 20;
const PLACEHOLDER_CACHE_SIZE = 500;

const parseInt8 = (v: string): number => Number(v);
const typeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pgTypes.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/**
 * Rewrites `?` placeholders to `$1..$n`, leaving `?` inside string literals,
 * quoted identifiers and comments alone. PostgreSQL's jsonb `?` operators
 * cannot be told apart from placeholders: use jsonb_exists() and friends.
 */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  let from = 0; // start of the not-yet-copied run
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      // A doubled quote is an escaped quote inside the literal / identifier.
      i++;
      while (i < sql.length) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === '?') {
      out += sql.slice(from, i) + '$' + ++n;
      i++;
      from = i;
    } else i++;
  }
  return out + sql.slice(from);
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly converted = new Map<string, string>();
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    readonly target: PostgresTarget,
  ) {}

  /** Connects (failing fast when the server is unreachable) and creates the schema. */
  static async open(target: PostgresTarget): Promise<PostgresDb> {
    const searchPath = target.schema ? `-c search_path=${target.schema}` : null;
    const options = [target.options, searchPath].filter((s): s is string => !!s).join(' ') || undefined;
    const pool = new Pool({
      connectionString: target.connectionString,
      options,
      application_name: 'nimbus',
      connectionTimeoutMillis: 10_000,
      types: typeParsers,
    });
    // An idle pooled connection that drops (server restart, network) emits
    // 'error' on the pool; unhandled it would crash the process. The pool
    // discards that client and the next query opens a fresh one.
    pool.on('error', () => undefined);
    const db = new PostgresDb(pool, target);
    try {
      if (target.schema) {
        const schema = target.schema;
        // CREATE SCHEMA IF NOT EXISTS still races on the catalog's unique
        // index when two nodes start at once; the advisory lock serializes them.
        await db.tx(async (t) => {
          await t.lock('nimbus:create-schema');
          await t.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        });
      } else {
        await db.get('SELECT 1 AS ok');
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      // Name the store once and give the driver's own reason (unreachable,
      // auth failed, no such database) rather than our wrapping layers.
      throw openError(`cannot open PostgreSQL store ${target.location}`, rootCause(e));
    }
    return db;
  }

  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.query(this.pool, sql, params).then((r) => r.rows as T[]);
  }

  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.query(this.pool, sql, params).then((r) => r.rows[0] as T | undefined);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.query(this.pool, sql, params).then((r) => ({ changes: r.rowCount ?? 0 }));
  }

  exec(sql: string): Promise<void> {
    return this.execOn(this.pool, sql);
  }

  async insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    if (rows.length <= rowsPerInsert(columns.length)) return this.insertRowsOn(this.pool, table, columns, rows, suffix);
    // Several statements: make the batch all-or-nothing.
    return this.tx((t) => t.insertRows(table, columns, rows, suffix));
  }

  async appendRows(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], opts: { lock?: string } = {}): Promise<number> {
    if (rows.length === 0) return 0;
    if (!opts.lock) return this.insertRows(table, columns, rows);
    const lock = opts.lock;
    return this.tx(async (t) => {
      await t.lock(lock);
      return t.insertRows(table, columns, rows);
    });
  }

  async tx<T>(fn: (t: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    this.assertOpen();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw storeError(`cannot connect to PostgreSQL at ${this.target.location}`, e);
    }
    // Set when the connection's state is unknown; release(err) then destroys it
    // instead of returning a connection with an open transaction to the pool.
    let broken: Error | undefined;
    try {
      try {
        await client.query(opts.relaxed ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
      } catch (e) {
        broken = e instanceof Error ? e : new Error(String(e));
        throw storeError('cannot begin a transaction', e);
      }
      const t = new PostgresTx(this, client);
      let result: T;
      try {
        result = await fn(t);
      } catch (e) {
        t.finished = true;
        try {
          await client.query('ROLLBACK');
        } catch (re) {
          broken = re instanceof Error ? re : new Error(String(re));
        }
        throw e;
      }
      t.finished = true;
      let res: QueryResult;
      try {
        res = await client.query('COMMIT');
      } catch (e) {
        broken = e instanceof Error ? e : new Error(String(e));
        throw storeError('commit failed', e);
      }
      // COMMIT of a transaction aborted by an earlier (caught) error silently
      // rolls back and reports ROLLBACK; never let that pass as success.
      if (res.command === 'ROLLBACK') throw storeError('transaction rolled back: a statement inside it failed');
      return result;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // --- shared by the Db (pool) and PostgresTx (one client) ---

  async query(on: Pool | PoolClient, sql: string, params?: readonly SqlValue[]): Promise<QueryResult> {
    this.assertOpen();
    try {
      return await on.query({ text: this.convert(sql), values: normalizeParams(params) });
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  async execOn(on: Pool | PoolClient, sql: string): Promise<void> {
    this.assertOpen();
    try {
      // No values: pg uses the simple query protocol, which accepts several statements.
      await on.query(sql);
    } catch (e) {
      throw wrapQueryError(e, sql);
    }
  }

  async insertRowsOn(
    on: Pool | PoolClient,
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number> {
    const prefix = insertPrefix(table, columns);
    const width = columns.length;
    const chunk = rowsPerInsert(width);
    let changes = 0;
    for (let start = 0; start < rows.length; start += chunk) {
      const part = rows.slice(start, start + chunk);
      const groups: string[] = [];
      const values: SqlValue[] = [];
      for (let r = 0; r < part.length; r++) {
        const row = part[r];
        if (row.length !== width) {
          throw new PlatformError('ERR_INTERNAL', `insertRows into ${table}: row has ${row.length} values for ${width} columns`);
        }
        const base = r * width;
        groups.push('(' + row.map((_, c) => '$' + (base + c + 1)).join(', ') + ')');
        for (const v of row) values.push(v);
      }
      const text = prefix + groups.join(', ') + (suffix ? ' ' + suffix : '');
      this.assertOpen();
      try {
        const res = await on.query({ text, values: normalizeParams(values) });
        changes += res.rowCount ?? 0;
      } catch (e) {
        throw wrapQueryError(e, prefix + '...');
      }
    }
    return changes;
  }

  /** Advisory lock keys are per database; prefixing the schema keeps stores in different schemas independent. */
  lockKeyFor(name: string): string {
    return lockKey(`${this.target.schema ?? ''}\0${name}`);
  }

  private convert(sql: string): string {
    let text = this.converted.get(sql);
    if (text === undefined) {
      text = toPgPlaceholders(sql);
      if (this.converted.size >= PLACEHOLDER_CACHE_SIZE) this.converted.clear();
      this.converted.set(sql, text);
    }
    return text;
  }

  private assertOpen(): void {
    if (this.closed) throw storeError(`store ${this.target.location} is closed`);
  }
}

class PostgresTx implements Tx {
  readonly dialect = 'postgres' as const;
  finished = false;

  constructor(
    private readonly db: PostgresDb,
    private readonly client: PoolClient,
  ) {}

  async all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return (await this.check().query(this.client, sql, params)).rows as T[];
  }

  async get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return (await this.check().query(this.client, sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return { changes: (await this.check().query(this.client, sql, params)).rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.check().execOn(this.client, sql);
  }

  async insertRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly SqlValue[])[],
    suffix?: string,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    return this.check().insertRowsOn(this.client, table, columns, rows, suffix);
  }

  async lock(name: string): Promise<void> {
    await this.check().query(this.client, 'SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))', [this.db.lockKeyFor(name)]);
  }

  private check(): PostgresDb {
    if (this.finished) throw storeError('transaction handle used after its transaction ended');
    return this.db;
  }
}

function rowsPerInsert(width: number): number {
  return Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS / Math.max(1, width))));
}
