/**
 * The document store behind services/dynamodb (DocumentStore in types.ts), on
 * the tables of documents-migrations.ts. The service owns the meaning of every
 * value (item JSON, key encodings, table metadata); this file only stores,
 * orders and returns rows.
 *
 * Writes go through `write(fn)`: one transaction in which the service reads,
 * checks conditions and writes. On SQLite (one writer, a COMMIT is an fsync)
 * writes of the same event-loop turn share a transaction (queue-group-commit.ts),
 * so 32 concurrent PutItems cost one fsync, not 32; each still resolves only
 * after its COMMIT. A `fn` must not throw for an expected failure (a failed
 * condition): a throw dooms the shared batch, which then reruns one by one.
 * On PostgreSQL every write is its own transaction; item-level advisory locks
 * (`lockItem`) make read-check-write atomic across nodes, and the stream's
 * sequence counter row (`appendStream`) orders stream records in commit order.
 */
import type { Db, Queryable, SqlValue, Tx } from './db';
import type { GroupCommit } from './queue-group-commit';
import { compareNames } from './repo-utils';
import type {
  DocIndexRow,
  DocRangeQuery,
  DocScanQuery,
  DocStreamRecord,
  DocStreamRow,
  DocTableRow,
  DocumentStore,
  DocWriteTx,
} from './types';

interface ItemRow {
  h: number | string;
  pk: Uint8Array;
  sk: Uint8Array;
  bpk: Uint8Array;
  bsk: Uint8Array;
  item: string;
  size: number;
}

const EMPTY = Buffer.alloc(0);

function buf(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function toIndexRow(r: ItemRow): DocIndexRow {
  return { h: Number(r.h), pk: buf(r.pk), sk: buf(r.sk), bpk: buf(r.bpk), bsk: buf(r.bsk), item: r.item, size: r.size };
}

const ITEM_COLUMNS = 'h, pk, sk, bpk, bsk, item, size';

export class DocumentsRepo implements DocumentStore {
  constructor(
    private readonly db: Db,
    private readonly group: GroupCommit | null,
  ) {}

  // ---- tables -------------------------------------------------------------

  async listTables(): Promise<DocTableRow[]> {
    const rows = await this.db.all<{ name: string; id: number | string; meta: string }>('SELECT name, id, meta FROM dynamodb_tables');
    // Sorted here, not with ORDER BY: PostgreSQL orders text by the database's
    // collation (locale-aware on many installs), SQLite by bytes.
    return rows.map((r) => ({ name: r.name, id: Number(r.id), meta: r.meta })).sort((a, b) => compareNames(a.name, b.name));
  }

  async getTable(name: string): Promise<DocTableRow | null> {
    const r = await this.db.get<{ name: string; id: number | string; meta: string }>('SELECT name, id, meta FROM dynamodb_tables WHERE name = ?', [name]);
    return r ? { name: r.name, id: Number(r.id), meta: r.meta } : null;
  }

  async createTable(name: string, meta: (id: number) => string): Promise<DocTableRow | null> {
    return this.db.tx(async (t) => {
      await t.lock('dynamodb:tables');
      const exists = await t.get('SELECT id FROM dynamodb_tables WHERE name = ?', [name]);
      if (exists) return null;
      const id = await nextId(t, 'table');
      const text = meta(id);
      await t.run('INSERT INTO dynamodb_tables (name, id, meta) VALUES (?, ?, ?)', [name, id, text]);
      return { name, id, meta: text };
    });
  }

  async updateTable(name: string, fn: (meta: string, id: number) => string | null): Promise<DocTableRow | null> {
    return this.db.tx(async (t) => {
      await t.lock('dynamodb:tables');
      const r = await t.get<{ id: number | string; meta: string }>('SELECT id, meta FROM dynamodb_tables WHERE name = ?', [name]);
      if (!r) return null;
      const next = fn(r.meta, Number(r.id));
      if (next === null) return { name, id: Number(r.id), meta: r.meta };
      await t.run('UPDATE dynamodb_tables SET meta = ? WHERE name = ?', [next, name]);
      return { name, id: Number(r.id), meta: next };
    });
  }

  async deleteTable(name: string): Promise<DocTableRow | null> {
    return this.db.tx(async (t) => {
      await t.lock('dynamodb:tables');
      const r = await t.get<{ id: number | string; meta: string }>('SELECT id, meta FROM dynamodb_tables WHERE name = ?', [name]);
      if (!r) return null;
      const id = Number(r.id);
      await t.run('DELETE FROM dynamodb_tables WHERE name = ?', [name]);
      await t.run('DELETE FROM dynamodb_items WHERE tid = ?', [id]);
      await t.run('UPDATE dynamodb_streams SET disabled_at = ? WHERE tid = ? AND disabled_at IS NULL', [Date.now(), id]);
      return { name, id, meta: r.meta };
    });
  }

  async dropIndex(tableId: number, index: string): Promise<void> {
    await this.db.run('DELETE FROM dynamodb_items WHERE tid = ? AND ix = ?', [tableId, index]);
  }

  async countItems(tableId: number, index: string): Promise<{ items: number; bytes: number }> {
    const r = await this.db.get<{ n: number | string; b: number | string | null }>(
      'SELECT COUNT(*) AS n, SUM(size) AS b FROM dynamodb_items WHERE tid = ? AND ix = ?',
      [tableId, index],
    );
    return { items: Number(r?.n ?? 0), bytes: Number(r?.b ?? 0) };
  }

  // ---- reads --------------------------------------------------------------

  async getItem(tableId: number, h: number, pk: Buffer, sk: Buffer): Promise<DocIndexRow | null> {
    return getBase(this.db, tableId, h, pk, sk);
  }

  async query(q: DocRangeQuery): Promise<DocIndexRow[]> {
    const where = ['tid = ?', 'ix = ?', 'h = ?', 'pk = ?'];
    const params: SqlValue[] = [q.tableId, q.index, q.h, q.pk];
    if (q.lower) {
      where.push(q.lower.inclusive ? 'sk >= ?' : 'sk > ?');
      params.push(q.lower.key);
    }
    if (q.upper) {
      where.push(q.upper.inclusive ? 'sk <= ?' : 'sk < ?');
      params.push(q.upper.key);
    }
    if (q.after) {
      // Row-value comparison: both engines compare tuples lexicographically.
      where.push(q.reverse ? '(sk, bpk, bsk) < (?, ?, ?)' : '(sk, bpk, bsk) > (?, ?, ?)');
      params.push(q.after.sk, q.after.bpk, q.after.bsk);
    }
    const dir = q.reverse ? 'DESC' : 'ASC';
    params.push(q.limit);
    // Only the columns the query does not fix: every BLOB read back is a
    // Buffer allocated per row, which cost more than the row's 1 KB item text.
    // h and pk are the query's own (WHERE h = ? AND pk = ?), and base rows
    // (index '') always have empty bpk and bsk (see getBase).
    const sql = `SELECT ${q.index === '' ? 'sk' : 'sk, bpk, bsk'}, item, size FROM dynamodb_items WHERE ${where.join(' AND ')} ORDER BY sk ${dir}, bpk ${dir}, bsk ${dir} LIMIT ?`;
    const rows = await this.db.all<{ sk: Uint8Array; bpk?: Uint8Array; bsk?: Uint8Array; item: string; size: number }>(sql, params);
    return rows.map((r) => ({
      h: q.h,
      pk: q.pk,
      sk: buf(r.sk),
      bpk: r.bpk === undefined ? EMPTY : buf(r.bpk),
      bsk: r.bsk === undefined ? EMPTY : buf(r.bsk),
      item: r.item,
      size: r.size,
    }));
  }

  async scan(q: DocScanQuery): Promise<DocIndexRow[]> {
    const where = ['tid = ?', 'ix = ?', 'h >= ?', 'h <= ?'];
    const params: SqlValue[] = [q.tableId, q.index, q.hFrom, q.hTo];
    if (q.after) {
      where.push('(h, pk, sk, bpk, bsk) > (?, ?, ?, ?, ?)');
      params.push(q.after.h, q.after.pk, q.after.sk, q.after.bpk, q.after.bsk);
    }
    params.push(q.limit);
    const rows = await this.db.all<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM dynamodb_items WHERE ${where.join(' AND ')} ORDER BY h, pk, sk, bpk, bsk LIMIT ?`,
      params,
    );
    return rows.map(toIndexRow);
  }

  async expired(tableId: number, from: number, to: number, limit: number): Promise<DocIndexRow[]> {
    const rows = await this.db.all<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM dynamodb_items WHERE tid = ? AND ttl IS NOT NULL AND ttl >= ? AND ttl < ? AND ix = '' ORDER BY ttl LIMIT ?`,
      [tableId, from, to, limit],
    );
    return rows.map(toIndexRow);
  }

  // ---- writes -------------------------------------------------------------

  write<T>(fn: (w: DocWriteTx) => Promise<T>): Promise<T> {
    const body = (t: Tx): Promise<T> => fn(new WriteTx(t));
    return this.group ? this.group.run(body) : this.db.tx(body);
  }

  async tokenSeen(token: string, notBefore: number): Promise<string | null> {
    const r = await this.db.get<{ fingerprint: string }>('SELECT fingerprint FROM dynamodb_tx_tokens WHERE token = ? AND created_at >= ?', [token, notBefore]);
    return r?.fingerprint ?? null;
  }

  async trimTokens(olderThan: number): Promise<void> {
    await this.db.run('DELETE FROM dynamodb_tx_tokens WHERE created_at < ?', [olderThan]);
  }

  // ---- streams ------------------------------------------------------------

  async createStream(tableId: number, arn: string, meta: string, now: number): Promise<DocStreamRow> {
    return this.db.tx(async (t) => {
      const sid = await nextId(t, 'stream');
      await t.run('UPDATE dynamodb_streams SET disabled_at = ? WHERE tid = ? AND disabled_at IS NULL', [now, tableId]);
      await t.run('INSERT INTO dynamodb_streams (sid, tid, arn, meta, last_seq, created_at, disabled_at) VALUES (?, ?, ?, ?, 0, ?, NULL)', [
        sid,
        tableId,
        arn,
        meta,
        now,
      ]);
      return { sid, tableId, arn, meta, lastSeq: 0, createdAt: now, disabledAt: null };
    });
  }

  async disableStreams(tableId: number, now: number): Promise<void> {
    await this.db.run('UPDATE dynamodb_streams SET disabled_at = ? WHERE tid = ? AND disabled_at IS NULL', [now, tableId]);
  }

  async listStreams(tableId?: number): Promise<DocStreamRow[]> {
    const rows = await this.db.all<StreamDbRow>(
      `SELECT sid, tid, arn, meta, last_seq, created_at, disabled_at FROM dynamodb_streams ${tableId === undefined ? '' : 'WHERE tid = ?'} ORDER BY sid`,
      tableId === undefined ? [] : [tableId],
    );
    return rows.map(toStreamRow);
  }

  async getStream(arn: string): Promise<DocStreamRow | null> {
    const r = await this.db.get<StreamDbRow>('SELECT sid, tid, arn, meta, last_seq, created_at, disabled_at FROM dynamodb_streams WHERE arn = ?', [arn]);
    return r ? toStreamRow(r) : null;
  }

  async readStream(sid: number, afterSeq: number, limit: number): Promise<DocStreamRecord[]> {
    const rows = await this.db.all<{ seq: number | string; created_at: number | string; record: string }>(
      'SELECT seq, created_at, record FROM dynamodb_stream_records WHERE sid = ? AND seq > ? ORDER BY seq LIMIT ?',
      [sid, afterSeq, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), createdAt: Number(r.created_at), record: r.record }));
  }

  async streamBounds(sid: number): Promise<{ first: number | null; last: number | null }> {
    const r = await this.db.get<{ lo: number | string | null; hi: number | string | null }>(
      'SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM dynamodb_stream_records WHERE sid = ?',
      [sid],
    );
    return { first: r?.lo == null ? null : Number(r.lo), last: r?.hi == null ? null : Number(r.hi) };
  }

  async trimStreams(olderThan: number): Promise<number> {
    const r = await this.db.run('DELETE FROM dynamodb_stream_records WHERE created_at < ?', [olderThan]);
    // A stream disabled longer ago than the retention has nothing left to read.
    await this.db.run('DELETE FROM dynamodb_streams WHERE disabled_at IS NOT NULL AND disabled_at < ?', [olderThan]);
    return r.changes;
  }
}

interface StreamDbRow {
  sid: number | string;
  tid: number | string;
  arn: string;
  meta: string;
  last_seq: number | string;
  created_at: number | string;
  disabled_at: number | string | null;
}

function toStreamRow(r: StreamDbRow): DocStreamRow {
  return {
    sid: Number(r.sid),
    tableId: Number(r.tid),
    arn: r.arn,
    meta: r.meta,
    lastSeq: Number(r.last_seq),
    createdAt: Number(r.created_at),
    disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
  };
}

async function nextId(t: Queryable, kind: string): Promise<number> {
  await t.run('INSERT INTO dynamodb_ids (kind, last) VALUES (?, 0) ON CONFLICT (kind) DO NOTHING', [kind]);
  const r = await t.get<{ last: number | string }>('UPDATE dynamodb_ids SET last = last + 1 WHERE kind = ? RETURNING last', [kind]);
  return Number(r?.last);
}

/**
 * Built once: the statement caches key on the text, and every GetItem and
 * write looks it up. Only the columns the key does not already give: each
 * BLOB read back is a Buffer allocated per row.
 */
const GET_BASE_SQL = `SELECT item, size FROM dynamodb_items WHERE tid = ? AND ix = '' AND h = ? AND pk = ? AND sk = ? AND bpk = ? AND bsk = ?`;

async function getBase(q: Queryable, tableId: number, h: number, pk: Buffer, sk: Buffer): Promise<DocIndexRow | null> {
  const r = await q.get<{ item: string; size: number | string }>(GET_BASE_SQL, [tableId, h, pk, sk, EMPTY, EMPTY]);
  // The key columns equal what was asked for (BLOBs compare byte for byte).
  return r ? { h, pk, sk, bpk: EMPTY, bsk: EMPTY, item: r.item, size: Number(r.size) } : null;
}

const PUT_SQL = `INSERT INTO dynamodb_items (tid, ix, h, pk, sk, bpk, bsk, ttl, size, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tid, ix, h, pk, sk, bpk, bsk) DO UPDATE SET ttl = excluded.ttl, size = excluded.size, item = excluded.item`;

class WriteTx implements DocWriteTx {
  constructor(private readonly t: Tx) {}

  lockItem(tableId: number, pk: Buffer, sk: Buffer): Promise<void> {
    if (this.t.dialect === 'sqlite') return Promise.resolve();
    return this.t.lock(`dynamodb:${tableId}:${pk.toString('hex')}:${sk.toString('hex')}`);
  }

  getItem(tableId: number, h: number, pk: Buffer, sk: Buffer): Promise<DocIndexRow | null> {
    return getBase(this.t, tableId, h, pk, sk);
  }

  async put(tableId: number, index: string, row: DocIndexRow, ttl: number | null): Promise<void> {
    await this.t.run(PUT_SQL, [tableId, index, row.h, row.pk, row.sk, row.bpk, row.bsk, ttl, row.size, row.item]);
  }

  async delete(tableId: number, index: string, row: Pick<DocIndexRow, 'h' | 'pk' | 'sk' | 'bpk' | 'bsk'>): Promise<void> {
    await this.t.run('DELETE FROM dynamodb_items WHERE tid = ? AND ix = ? AND h = ? AND pk = ? AND sk = ? AND bpk = ? AND bsk = ?', [
      tableId,
      index,
      row.h,
      row.pk,
      row.sk,
      row.bpk,
      row.bsk,
    ]);
  }

  async partitionBytes(tableId: number, indexes: readonly string[], h: number, pk: Buffer): Promise<number> {
    if (indexes.length === 0) return 0;
    const r = await this.t.get<{ b: number | string | null }>(
      `SELECT SUM(size) AS b FROM dynamodb_items WHERE tid = ? AND ix IN (${indexes.map(() => '?').join(', ')}) AND h = ? AND pk = ?`,
      [tableId, ...indexes, h, pk],
    );
    return Number(r?.b ?? 0);
  }

  async appendStream(sid: number, createdAt: number, records: readonly ((seq: number) => string)[]): Promise<number[]> {
    if (records.length === 0) return [];
    // The counter row's lock (PostgreSQL) is held until COMMIT, so sequence
    // numbers of one stream are handed out in commit order: a reader that has
    // seen seq n never later finds a smaller one appear.
    const r = await this.t.get<{ last_seq: number | string }>('UPDATE dynamodb_streams SET last_seq = last_seq + ? WHERE sid = ? RETURNING last_seq', [
      records.length,
      sid,
    ]);
    if (!r) return [];
    const last = Number(r.last_seq);
    const first = last - records.length + 1;
    const seqs = records.map((_, i) => first + i);
    await this.t.insertRows(
      'dynamodb_stream_records',
      ['sid', 'seq', 'created_at', 'record'],
      records.map((make, i) => [sid, seqs[i], createdAt, make(seqs[i])]),
    );
    return seqs;
  }

  async claimToken(token: string, fingerprint: string, now: number, notBefore: number): Promise<string | null> {
    // Without the lock two PostgreSQL transactions claiming the same new token
    // both read nothing and both "win" (the second's upsert waits for the
    // first's row, then overwrites it), so one idempotent request ran twice.
    // Callers claim before they lock items, so the lock order stays fixed.
    await this.t.lock(`dynamodb:token:${token}`);
    const r = await this.t.get<{ fingerprint: string; created_at: number | string }>('SELECT fingerprint, created_at FROM dynamodb_tx_tokens WHERE token = ?', [token]);
    if (r && Number(r.created_at) >= notBefore) return r.fingerprint;
    await this.t.run(
      'INSERT INTO dynamodb_tx_tokens (token, fingerprint, created_at) VALUES (?, ?, ?) ON CONFLICT (token) DO UPDATE SET fingerprint = excluded.fingerprint, created_at = excluded.created_at',
      [token, fingerprint, now],
    );
    return null;
  }
}
