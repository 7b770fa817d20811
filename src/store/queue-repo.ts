/**
 * The durable work queue (WorkQueue in types.ts) on table `queue_items`
 * (migration `queue@1` in core-migrations.ts).
 *
 * Lease model: a claim sets `lease_owner` and moves `available_at` to the
 * lease expiry, so an item is claimable exactly when `available_at <= now`,
 * whether it was never claimed, released, or its lease ran out. The claim is
 * then one range scan of the index (queue, available_at, seq) that only ever
 * touches claimable rows: leased and delayed items sort after `now` and cost
 * nothing however many there are.
 *
 * Claims, by dialect:
 * - PostgreSQL: one statement, one round trip: a CTE selects the oldest
 *   claimable rows `FOR UPDATE SKIP LOCKED` and the UPDATE leases them. Rows
 *   another node is claiming are skipped, not waited for; a row that another
 *   claim committed meanwhile is re-checked against the WHERE clause under
 *   READ COMMITTED (its available_at is now in the future) and dropped. So no
 *   two claimers ever get the same row while its lease runs.
 * - SQLite: one writer, so a short transaction: SELECT the batch in order, then
 *   UPDATE those rows. Both statements are synchronous and take microseconds.
 *   An idle poll is a single read and never takes the write lock.
 *
 * Every write resolves after its COMMIT. On PostgreSQL it is one statement
 * (one round trip, its own transaction) unless it must span several. On
 * SQLite (WAL, synchronous=FULL: a COMMIT is an fsync) writes issued in the
 * same event-loop turn share one transaction (queue-group-commit.ts).
 */
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors';
import type { Db, Queryable, SqlValue } from './db';
import { GroupCommit } from './queue-group-commit';
import { PgNotifyPublisher, QueueNotifier } from './queue-notifier';
import type { ClaimOptions, EnqueueInput, QueueCounts, QueueItem, WorkQueue } from './types';

interface ItemRow {
  id: string;
  queue: string;
  payload: string;
  attempts: number;
  enqueued_at: number;
  available_at: number;
  lease_owner: string | null;
}

const COLUMNS = 'id, queue, payload, attempts, enqueued_at, available_at, lease_owner';
const INSERT_COLUMNS = '(id, queue, payload, attempts, enqueued_at, available_at)';
/** Queue names travel as NOTIFY payloads (at most 8000 bytes); 1024 UTF-16 units is at most 3072 UTF-8 bytes. */
const MAX_QUEUE_NAME = 1024;
/** Rows per multi-row INSERT on PostgreSQL (5 parameters each, far below the 65535 limit). */
const PG_ROWS_PER_INSERT = 1000;
/** Ids per completeMany statement on PostgreSQL. */
const PG_IDS_PER_DELETE = 1000;

export class QueueRepo implements WorkQueue {
  private readonly group: GroupCommit | null;
  private readonly publisher: PgNotifyPublisher | null;
  /** PostgreSQL writes in flight, so close() can let them finish (the pool's end() would strand queued ones). */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly notifier: QueueNotifier = new QueueNotifier(),
    group?: GroupCommit | null,
  ) {
    this.group = group !== undefined ? group : db.dialect === 'sqlite' ? new GroupCommit(db) : null;
    this.publisher = db.dialect === 'postgres' ? new PgNotifyPublisher(db) : null;
  }

  async enqueue(queue: string, payload: string, opts: { availableAt?: number; id?: string } = {}): Promise<QueueItem> {
    const [item] = await this.enqueueMany([{ queue, payload, availableAt: opts.availableAt, id: opts.id }]);
    return item;
  }

  async enqueueMany(items: readonly EnqueueInput[]): Promise<QueueItem[]> {
    if (items.length === 0) return [];
    const rows = toInsertRows(items, Date.now());
    const out = await this.write((q) => insertItems(q, rows), rows.length > PG_ROWS_PER_INSERT);
    this.announce(items.map((i) => i.queue));
    return out;
  }

  async claim(queue: string, owner: string, opts: ClaimOptions): Promise<QueueItem[]> {
    checkQueue(queue);
    checkOwner(owner);
    const max = opts.max;
    if (!Number.isSafeInteger(max) || max < 0) throw internal(`claim: max must be a non-negative integer, got ${max}`);
    if (max === 0) return [];
    const leaseMs = checkDuration('claim: leaseMs', opts.leaseMs);
    const now = checkTime('claim: now', opts.now ?? Date.now());
    const until = now + leaseMs;

    if (this.db.dialect === 'postgres') {
      const rows = await this.track(this.db.all<ItemRow & { prev_at: number; seq: number }>(
        `WITH c AS (
           SELECT id, available_at AS prev_at, seq FROM queue_items
           WHERE queue = ? AND available_at <= ?
           ORDER BY available_at, seq
           LIMIT ?
           FOR UPDATE SKIP LOCKED
         )
         UPDATE queue_items AS q SET lease_owner = ?, available_at = ?, attempts = q.attempts + 1
         FROM c WHERE q.id = c.id
         RETURNING q.id, q.queue, q.payload, q.attempts, q.enqueued_at, q.available_at, q.lease_owner, c.prev_at, c.seq`,
        [queue, now, max, owner, until],
      ));
      // RETURNING follows no particular order; hand the batch out in claim order.
      rows.sort((a, b) => Number(a.prev_at) - Number(b.prev_at) || Number(a.seq) - Number(b.seq));
      return rows.map(toItem);
    }

    // SQLite. An idle poll should not take the write lock (BEGIN IMMEDIATE):
    // a read runs at once and never waits for writers.
    const any = await this.db.get('SELECT 1 AS x FROM queue_items WHERE queue = ? AND available_at <= ? LIMIT 1', [queue, now]);
    if (!any) return [];
    return this.bookkeeping(async (t) => {
      const rows = await t.all<ItemRow & { seq: number }>(
        `SELECT seq, ${COLUMNS} FROM queue_items WHERE queue = ? AND available_at <= ? ORDER BY available_at, seq LIMIT ?`,
        [queue, now, max],
      );
      if (rows.length === 0) return [];
      await t.run(
        'UPDATE queue_items SET lease_owner = ?, available_at = ?, attempts = attempts + 1 WHERE seq IN (SELECT value FROM json_each(?))',
        [owner, until, JSON.stringify(rows.map((r) => r.seq))],
      );
      return rows.map((r) => toItem({ ...r, attempts: Number(r.attempts) + 1, available_at: until, lease_owner: owner }));
    });
  }

  async complete(id: string, owner: string): Promise<boolean> {
    const r = await this.bookkeeping((q) => q.run('DELETE FROM queue_items WHERE id = ? AND lease_owner = ?', [id, owner]));
    return r.changes > 0;
  }

  async completeMany(ids: readonly string[], owner: string): Promise<boolean[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) return [await this.complete(ids[0], owner)];
    if (this.group) {
      return this.group.run(async (t) => {
        const out: boolean[] = [];
        for (const id of ids) out.push((await t.run('DELETE FROM queue_items WHERE id = ? AND lease_owner = ?', [id, owner])).changes > 0);
        return out;
      }, true);
    }
    const run = async (q: Queryable): Promise<Set<string>> => {
      const done = new Set<string>();
      for (let i = 0; i < ids.length; i += PG_IDS_PER_DELETE) {
        const part = ids.slice(i, i + PG_IDS_PER_DELETE);
        const rows = await q.all<{ id: string }>(
          `DELETE FROM queue_items WHERE lease_owner = ? AND id IN (${part.map(() => '?').join(', ')}) RETURNING id`,
          [owner, ...part],
        );
        for (const r of rows) done.add(r.id);
      }
      return done;
    };
    const done = await this.bookkeeping(run, ids.length > PG_IDS_PER_DELETE);
    return ids.map((id) => done.has(id));
  }

  async release(id: string, owner: string, opts: { availableAt: number; payload?: string }): Promise<boolean> {
    const at = checkTime('release: availableAt', opts.availableAt);
    if (opts.payload !== undefined && typeof opts.payload !== 'string') throw internal('release: payload must be a string');
    const row = await this.bookkeeping((q) =>
      q.get<{ queue: string }>(
        `UPDATE queue_items SET lease_owner = NULL, available_at = ?, payload = COALESCE(?, payload)
         WHERE id = ? AND lease_owner = ? RETURNING queue`,
        [at, opts.payload ?? null, id, owner],
      ),
    );
    if (!row) return false;
    this.announce([row.queue]);
    return true;
  }

  async extend(id: string, owner: string, leaseMs: number, opts: { now?: number } = {}): Promise<boolean> {
    const until = checkTime('extend: now', opts.now ?? Date.now()) + checkDuration('extend: leaseMs', leaseMs);
    const r = await this.bookkeeping((q) => q.run('UPDATE queue_items SET available_at = ? WHERE id = ? AND lease_owner = ?', [until, id, owner]));
    return r.changes > 0;
  }

  async completeAndEnqueue(id: string, owner: string, next: readonly EnqueueInput[]): Promise<boolean> {
    const rows = toInsertRows(next, Date.now());
    // Relaxed too: if this commit is lost, the item is still leased and runs again, making `next` again.
    const ok = await this.bookkeeping(async (t) => {
      const r = await t.run('DELETE FROM queue_items WHERE id = ? AND lease_owner = ?', [id, owner]);
      if (r.changes === 0) return false;
      await insertItems(t, rows);
      return true;
    }, rows.length > 0);
    if (ok && next.length > 0) this.announce(next.map((i) => i.queue));
    return ok;
  }

  async nextAvailableAt(queue: string): Promise<number | null> {
    const row = await this.db.get<{ at: number | string | null }>('SELECT MIN(available_at) AS at FROM queue_items WHERE queue = ?', [queue]);
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  async count(queue: string, opts: { now?: number } = {}): Promise<QueueCounts> {
    const now = checkTime('count: now', opts.now ?? Date.now());
    const row = await this.db.get<{ ready: unknown; leased: unknown; delayed: unknown }>(
      `SELECT
         SUM(CASE WHEN available_at <= ? THEN 1 ELSE 0 END) AS ready,
         SUM(CASE WHEN available_at > ? AND lease_owner IS NOT NULL THEN 1 ELSE 0 END) AS leased,
         SUM(CASE WHEN available_at > ? AND lease_owner IS NULL THEN 1 ELSE 0 END) AS delayed
       FROM queue_items WHERE queue = ?`,
      [now, now, now, queue],
    );
    // SUM over no rows is NULL; over BIGINT on PostgreSQL a NUMERIC string.
    return { ready: Number(row?.ready ?? 0), leased: Number(row?.leased ?? 0), delayed: Number(row?.delayed ?? 0) };
  }

  async get(id: string): Promise<QueueItem | null> {
    const row = await this.db.get<ItemRow>(`SELECT ${COLUMNS} FROM queue_items WHERE id = ?`, [id]);
    return row ? toItem(row) : null;
  }

  async purge(queue: string): Promise<number> {
    return (await this.write((q) => q.run('DELETE FROM queue_items WHERE queue = ?', [queue]))).changes;
  }

  onEnqueued(queue: string | null, listener: (queue: string) => void): () => void {
    return this.notifier.on(queue, listener);
  }

  /** Lets pending writes commit, sends the last notifications, and stops the cross-node listener, if one was started. */
  async close(): Promise<void> {
    await this.group?.drain();
    await Promise.allSettled([...this.inflight]);
    await this.publisher?.close();
    await this.notifier.close();
  }

  /**
   * Runs a write: on SQLite in a transaction shared with the other writes of
   * this turn; on PostgreSQL as is on the pool (a single statement is its own
   * transaction), or in a transaction when `pgTx` says it spans statements.
   */
  private write<T>(fn: (q: Queryable) => Promise<T>, pgTx = false, relaxed = false): Promise<T> {
    if (this.group) return this.group.run(fn, relaxed);
    return this.track(pgTx ? this.db.tx(fn, { relaxed }) : fn(this.db));
  }

  /**
   * Lease bookkeeping (claim, complete, release, extend): losing it in a power
   * failure only makes an item run again, which at-least-once allows, so its
   * commits do not wait for the disk. Enqueues (acknowledged) always do.
   */
  private bookkeeping<T>(fn: (q: Queryable) => Promise<T>, pgTx = false): Promise<T> {
    return this.write(fn, pgTx, true);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => void this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  /** After a commit that made items of these queues claimable: wake pollers here and (PostgreSQL) on other nodes. */
  private announce(queues: readonly string[]): void {
    const unique = new Set(queues);
    for (const q of unique) {
      this.publisher?.publish(q);
      this.notifier.notify(q);
    }
  }
}

type InsertRow = [id: string, queue: string, payload: string, enqueuedAt: number, availableAt: number];

/** Checks items to enqueue and gives their row values (also for queue-outbox.ts, which inserts them in another module's transaction). */
export function toInsertRows(items: readonly EnqueueInput[], now: number): InsertRow[] {
  return items.map((i) => {
    checkQueue(i.queue);
    if (typeof i.payload !== 'string') throw internal(`enqueue into ${JSON.stringify(i.queue)}: payload must be a string`);
    if (i.id !== undefined && (typeof i.id !== 'string' || i.id.length === 0)) throw internal('enqueue: id must be a non-empty string');
    const at = i.availableAt === undefined ? now : checkTime('enqueue: availableAt', i.availableAt);
    return [i.id ?? randomUUID(), i.queue, i.payload, now, at];
  });
}

/**
 * Inserts rows (ON CONFLICT (id) DO NOTHING) and returns one item per row, in
 * order: the new one, or the one that already had that id.
 */
async function insertItems(q: Queryable, rows: readonly InsertRow[]): Promise<QueueItem[]> {
  const found = new Map<string, ItemRow>();
  if (q.dialect === 'sqlite') {
    // One reused prepared statement per row; this runs inside a transaction.
    for (const r of rows) {
      if (found.has(r[0])) continue;
      const row = await q.get<ItemRow>(
        `INSERT INTO queue_items ${INSERT_COLUMNS} VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        r,
      );
      if (row) found.set(r[0], row);
    }
  } else {
    for (let i = 0; i < rows.length; i += PG_ROWS_PER_INSERT) {
      const part = rows.slice(i, i + PG_ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const r of part) params.push(...r);
      const got = await q.all<ItemRow>(
        `INSERT INTO queue_items ${INSERT_COLUMNS} VALUES ${part.map(() => '(?, ?, ?, 0, ?, ?)').join(', ')}
         ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
        params,
      );
      for (const row of got) found.set(row.id, row);
    }
  }
  // Ids that already existed: return those items. Outside a transaction on
  // PostgreSQL one might be completed between the INSERT and this SELECT;
  // then it is simply inserted again (the id is free by then).
  for (let round = 0; ; round++) {
    const missing = [...new Set(rows.filter((r) => !found.has(r[0])).map((r) => r[0]))];
    if (missing.length === 0) break;
    for (const id of missing) {
      const row = await q.get<ItemRow>(`SELECT ${COLUMNS} FROM queue_items WHERE id = ?`, [id]);
      if (row) found.set(id, row);
    }
    const gone = rows.filter((r) => !found.has(r[0]));
    if (gone.length === 0) break;
    if (round >= 3) throw new PlatformError('ERR_STORE', `enqueue: item ${gone[0][0]} kept disappearing while being enqueued`);
    const again = await insertItems(q, gone);
    for (const item of again) found.set(item.id, fromItem(item));
  }
  return rows.map((r) => toItem(found.get(r[0]) as ItemRow));
}

function toItem(r: ItemRow): QueueItem {
  const availableAt = Number(r.available_at);
  return {
    id: r.id,
    queue: r.queue,
    payload: r.payload,
    attempts: Number(r.attempts),
    enqueuedAt: Number(r.enqueued_at),
    availableAt,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_owner === null ? null : availableAt,
  };
}

function fromItem(i: QueueItem): ItemRow {
  return { id: i.id, queue: i.queue, payload: i.payload, attempts: i.attempts, enqueued_at: i.enqueuedAt, available_at: i.availableAt, lease_owner: i.leaseOwner };
}

function internal(message: string): PlatformError {
  return new PlatformError('ERR_INTERNAL', message);
}

function checkQueue(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > MAX_QUEUE_NAME) {
    throw internal(`invalid queue name ${JSON.stringify(queue)}: 1 to ${MAX_QUEUE_NAME} characters`);
  }
}

function checkOwner(owner: string): void {
  if (typeof owner !== 'string' || owner.length === 0) throw internal('a lease owner must be a non-empty string');
}

/** Epoch ms as an integer (PostgreSQL rejects a fractional BIGINT). */
function checkTime(what: string, t: number): number {
  if (typeof t !== 'number' || !Number.isFinite(t)) throw internal(`${what} must be a finite number of epoch ms, got ${t}`);
  return Math.floor(t);
}

function checkDuration(what: string, ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw internal(`${what} must be a non-negative number of ms, got ${ms}`);
  return Math.ceil(ms);
}
