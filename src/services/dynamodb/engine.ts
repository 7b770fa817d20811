/**
 * The DynamoDB engine: tables (metadata cached briefly), single-item and
 * transactional writes that keep secondary indexes and the table's stream in
 * the same transaction as the item, and the reads Query/Scan build on.
 *
 * A write is "read the old item, decide, apply" inside one store transaction
 * (DocumentStore.write), under the item's lock, so conditions are checked
 * against exactly the item that is replaced. Deciding never throws inside the
 * transaction: an expected failure (a false condition) is returned and thrown
 * after COMMIT, so it cannot doom writes sharing the group commit.
 */
import { randomBytes } from 'node:crypto';
import type { DocIndexRow, DocumentStore, DocWriteTx } from '../../store/types';
import { attributeValueEquals, itemSize, type Item } from './model/attribute-value';
import { itemCollectionSizeLimitExceeded, resourceNotFound } from './errors';
import { indexRowKey, keyOf, projectForIndex, rowKey, type RowKey } from './keys';
import type { TableMeta } from './table';

/** Another node may change a table; its metadata is re-read at least this often. */
const TABLE_CACHE_MS = 1000;
const EMPTY = Buffer.alloc(0);

/** What a write decides, given the item as it is now (null: none). */
export type Decision =
  | { kind: 'put'; item: Item }
  | { kind: 'delete' }
  /** Leave the item as it is (a condition held, nothing to change). */
  | { kind: 'none' }
  | { kind: 'fail'; error: Error };

export interface WriteOutcome {
  old: Item | null;
  /** The item after the write (null when deleted or absent). */
  new: Item | null;
}

export interface WriteRequest {
  meta: TableMeta;
  key: Item;
  decide(old: Item | null): Decision;
}

export interface StreamRecordEvent {
  /** The table's stream ARN the records were appended to. */
  streamArn: string;
}

/** Who made a change, for stream records (TTL deletions are made by the service itself). */
export type Actor = 'user' | 'ttl';

export class DynamoEngine {
  private readonly cache = new Map<string, { meta: TableMeta; at: number }>();
  private readonly streamListeners = new Set<(streamArn: string) => void>();

  constructor(
    readonly store: DocumentStore,
    readonly region: string,
    readonly accountId: string,
    /** Largest item collection (a partition key's items and local index entries) of a table with local indexes: AWS's 10 GB. */
    readonly itemCollectionLimitBytes = 10 * 1024 ** 3,
  ) {}

  // ---- tables -------------------------------------------------------------

  async findTable(name: string): Promise<TableMeta | null> {
    const hit = this.cache.get(name);
    const now = Date.now();
    if (hit && now - hit.at < TABLE_CACHE_MS) return hit.meta;
    const row = await this.store.getTable(name);
    if (!row) {
      this.cache.delete(name);
      return null;
    }
    const meta = JSON.parse(row.meta) as TableMeta;
    this.cache.set(name, { meta, at: now });
    return meta;
  }

  /** The table of an item operation, or AWS's ResourceNotFoundException. */
  async table(name: string): Promise<TableMeta> {
    const meta = await this.findTable(name);
    if (!meta) throw resourceNotFound();
    return meta;
  }

  remember(meta: TableMeta): void {
    this.cache.set(meta.name, { meta, at: Date.now() });
  }

  forget(name: string): void {
    this.cache.delete(name);
  }

  tableArn(name: string): string {
    return `arn:aws:dynamodb:${this.region}:${this.accountId}:table/${name}`;
  }

  // ---- reads --------------------------------------------------------------

  async getItem(meta: TableMeta, key: Item): Promise<Item | null> {
    const row = await this.getItemRow(meta, key);
    return row ? (JSON.parse(row.item) as Item) : null;
  }

  /** The item's base row as stored: `item` is its JSON text (JSON.stringify of the item), `size` its itemSize. */
  getItemRow(meta: TableMeta, key: Item): Promise<DocIndexRow | null> {
    const k = rowKey(meta.key, key);
    return this.store.getItem(meta.storeId, k.h, k.pk, k.sk);
  }

  // ---- writes -------------------------------------------------------------

  /** One item: read, decide, apply, in one transaction. Throws the decision's error after COMMIT. */
  async write(req: WriteRequest, actor: Actor = 'user'): Promise<WriteOutcome> {
    const k = rowKey(req.meta.key, req.key);
    const result = await this.store.write(async (w) => {
      await w.lockItem(req.meta.storeId, k.pk, k.sk);
      const row = await w.getItem(req.meta.storeId, k.h, k.pk, k.sk);
      const old = row ? (JSON.parse(row.item) as Item) : null;
      const d = req.decide(old);
      if (d.kind === 'fail') return { error: d.error };
      const tooBig = await this.collectionCheck(w, req.meta, k, old, d);
      if (tooBig) return { error: tooBig };
      const changed = await this.apply(w, req.meta, k, row, old, d, actor);
      return { old, new: changed };
    });
    if ('error' in result) throw result.error;
    if (req.meta.stream) this.notifyStream(req.meta.stream.arn);
    return result;
  }

  /**
   * Several items, all or nothing (TransactWriteItems, BatchWriteItem's
   * per-item writes use `write`). Locks are taken in key order so concurrent
   * transactions over the same items cannot deadlock. `check` sees every
   * decision (null entries for items that are fine) and returns the error to
   * cancel with, or null to apply them all.
   */
  async writeAll(
    reqs: readonly WriteRequest[],
    check: (decisions: Decision[], olds: (Item | null)[]) => Error | null,
    opts: { token?: { value: string; fingerprint: string; notBefore: number }; onTokenMismatch?: () => Error } = {},
  ): Promise<WriteOutcome[] | { replayed: true }> {
    const keys = reqs.map((r) => rowKey(r.meta.key, r.key));
    const order = reqs
      .map((r, i) => ({ i, lockKey: `${r.meta.storeId}:${keys[i].pk.toString('hex')}:${keys[i].sk.toString('hex')}` }))
      .sort((a, b) => (a.lockKey < b.lockKey ? -1 : a.lockKey > b.lockKey ? 1 : 0));
    type TxResult = { error: Error } | { replayed: true } | { outcomes: WriteOutcome[] };
    const result = await this.store.write(async (w): Promise<TxResult> => {
      if (opts.token) {
        const seen = await w.claimToken(opts.token.value, opts.token.fingerprint, Date.now(), opts.token.notBefore);
        if (seen !== null) {
          if (seen !== opts.token.fingerprint) return { error: opts.onTokenMismatch?.() ?? new Error('idempotency token reused') };
          return { replayed: true };
        }
      }
      for (const { i } of order) await w.lockItem(reqs[i].meta.storeId, keys[i].pk, keys[i].sk);
      const rows: (DocIndexRow | null)[] = [];
      const olds: (Item | null)[] = [];
      for (let i = 0; i < reqs.length; i++) {
        const row = await w.getItem(reqs[i].meta.storeId, keys[i].h, keys[i].pk, keys[i].sk);
        rows.push(row);
        olds.push(row ? (JSON.parse(row.item) as Item) : null);
      }
      const decisions = reqs.map((r, i) => r.decide(olds[i]));
      const error = check(decisions, olds);
      if (error) return { error };
      for (let i = 0; i < reqs.length; i++) {
        const tooBig = await this.collectionCheck(w, reqs[i].meta, keys[i], olds[i], decisions[i]);
        if (tooBig) return { error: tooBig };
      }
      const out: WriteOutcome[] = [];
      for (let i = 0; i < reqs.length; i++) {
        const d = decisions[i];
        if (d.kind === 'fail') return { error: d.error };
        out.push({ old: olds[i], new: await this.apply(w, reqs[i].meta, keys[i], rows[i], olds[i], d, 'user') });
      }
      return { outcomes: out };
    });
    if ('error' in result) throw result.error;
    if ('replayed' in result) return result;
    for (const r of reqs) if (r.meta.stream) this.notifyStream(r.meta.stream.arn);
    return result.outcomes;
  }

  /**
   * Tables with local secondary indexes keep each partition key's items and
   * index entries under 10 GB (AWS: "Item collection size limit"); a write
   * that would grow one past it fails with ItemCollectionSizeLimitExceededException.
   */
  private async collectionCheck(w: DocWriteTx, meta: TableMeta, k: RowKey, old: Item | null, d: Decision): Promise<Error | null> {
    if (d.kind !== 'put') return null;
    const lsis = meta.indexes.filter((i) => i.kind === 'local');
    if (lsis.length === 0) return null;
    const sizeOf = (item: Item | null): number => {
      if (!item) return 0;
      let n = itemSize(item);
      for (const ix of lsis) if (indexRowKey(ix, item)) n += itemSize(projectForIndex(meta, ix, item));
      return n;
    };
    const grow = sizeOf(d.item) - sizeOf(old);
    if (grow <= 0) return null;
    const now = await w.partitionBytes(meta.storeId, ['', ...lsis.map((i) => i.name)], k.h, k.pk);
    if (now + grow <= this.itemCollectionLimitBytes) return null;
    return itemCollectionSizeLimitExceeded();
  }

  /** Applies a decision: the base row, every index entry, the stream record. Returns the new item. */
  private async apply(w: DocWriteTx, meta: TableMeta, k: RowKey, row: DocIndexRow | null, old: Item | null, d: Decision, actor: Actor): Promise<Item | null> {
    if (d.kind === 'none' || d.kind === 'fail') return old;
    const next = d.kind === 'put' ? d.item : null;
    if (next === null && old === null) return null;
    const tid = meta.storeId;
    if (next) {
      const size = itemSize(next);
      await w.put(tid, '', { h: k.h, pk: k.pk, sk: k.sk, bpk: EMPTY, bsk: EMPTY, item: JSON.stringify(next), size }, ttlOf(meta, next));
    } else if (row) {
      await w.delete(tid, '', row);
    }
    for (const ix of meta.indexes) {
      const before = old ? indexRowKey(ix, old) : null;
      const after = next ? indexRowKey(ix, next) : null;
      if (before && (!after || !before.pk.equals(after.pk) || !before.sk.equals(after.sk))) {
        await w.delete(tid, ix.name, { h: before.h, pk: before.pk, sk: before.sk, bpk: k.pk, bsk: k.sk });
      }
      if (after && next) {
        const projected = projectForIndex(meta, ix, next);
        await w.put(tid, ix.name, { h: after.h, pk: after.pk, sk: after.sk, bpk: k.pk, bsk: k.sk, item: JSON.stringify(projected), size: itemSize(projected) }, null);
      }
    }
    if (meta.stream && !(old && next && itemsEqual(old, next))) {
      const record = streamRecord(meta, old, next, actor, this.region);
      await w.appendStream(meta.stream.sid, Date.now(), [(seq) => JSON.stringify(withSequence(record, seq))]);
    }
    return next;
  }

  // ---- whole-table maintenance --------------------------------------------

  /** Visits every base row of a table in pages, each page's writes in one transaction. */
  private async eachBaseRow(meta: TableMeta, visit: (w: DocWriteTx, row: DocIndexRow, item: Item) => Promise<void>): Promise<void> {
    let after: DocIndexRow | undefined;
    for (;;) {
      const rows = await this.store.scan({ tableId: meta.storeId, index: '', hFrom: 0, hTo: 2 ** 32 - 1, after, limit: 500 });
      if (rows.length === 0) return;
      await this.store.write(async (w) => {
        for (const row of rows) await visit(w, row, JSON.parse(row.item) as Item);
      });
      after = rows[rows.length - 1];
    }
  }

  /** TTL was enabled or changed: record every item's expiry so the sweeper can find it. */
  async reindexTtl(meta: TableMeta): Promise<void> {
    await this.eachBaseRow(meta, (w, row, item) => w.put(meta.storeId, '', row, ttlOf(meta, item)));
  }

  /** A new global secondary index: entries for the items already there (AWS "backfills" the same way). */
  async backfillIndex(meta: TableMeta, indexName: string): Promise<void> {
    const ix = meta.indexes.find((i) => i.name === indexName);
    if (!ix) return;
    await this.eachBaseRow(meta, async (w, row, item) => {
      const k = indexRowKey(ix, item);
      if (!k) return;
      const projected = projectForIndex(meta, ix, item);
      await w.put(meta.storeId, ix.name, { h: k.h, pk: k.pk, sk: k.sk, bpk: row.pk, bsk: row.sk, item: JSON.stringify(projected), size: itemSize(projected) }, null);
    });
  }

  /**
   * Deletes items whose TTL passed, each with a stream record by the service
   * (AWS: items expire within days, and items expired more than five years
   * ago are left alone, "How TTL works"). Returns how many went.
   */
  async expire(meta: TableMeta, nowSec: number, max = 500): Promise<number> {
    if (!meta.ttl?.enabled) return 0;
    const rows = await this.store.expired(meta.storeId, nowSec - 5 * 365 * 24 * 3600, nowSec, max);
    let n = 0;
    for (const row of rows) {
      const item = JSON.parse(row.item) as Item;
      const key = keyOf(meta.key, item);
      const out = await this.write(
        {
          meta,
          key,
          // Re-check under the lock: the item may have been rewritten with a later expiry.
          decide: (old) => {
            if (!old) return { kind: 'none' };
            const t = ttlOf(meta, old);
            return t !== null && t < nowSec ? { kind: 'delete' } : { kind: 'none' };
          },
        },
        'ttl',
      );
      if (out.old && !out.new) n++;
    }
    return n;
  }

  // ---- stream notifications ----------------------------------------------

  onStreamRecords(listener: (streamArn: string) => void): () => void {
    this.streamListeners.add(listener);
    return () => this.streamListeners.delete(listener);
  }

  private notifyStream(arn: string): void {
    for (const l of this.streamListeners) {
      try {
        l(arn);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

function ttlOf(meta: TableMeta, item: Item): number | null {
  if (!meta.ttl?.enabled) return null;
  const v = item[meta.ttl.attribute];
  if (!v || !('N' in v)) return null;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : null;
}

function itemsEqual(a: Item, b: Item): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const bv = b[k];
    if (bv === undefined || !attributeValueEquals(a[k], bv)) return false;
  }
  return true;
}

/** The record as GetRecords returns it (the sequence number is filled in at append). */
interface PendingRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: '1.1';
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: Record<string, unknown>;
  /** As the Streams API models it (Identity: PrincipalId, Type); Lambda events spell it in lower camel case. */
  userIdentity?: { PrincipalId: 'dynamodb.amazonaws.com'; Type: 'Service' };
}

/**
 * AWS's stream record (DynamoDB Streams API Record): Keys always, the images
 * the view type asks for, SizeBytes of keys and images. TTL deletions carry
 * userIdentity Service / dynamodb.amazonaws.com ("Time to Live and DynamoDB Streams").
 */
function streamRecord(meta: TableMeta, old: Item | null, next: Item | null, actor: Actor, region: string): PendingRecord {
  const view = meta.stream!.viewType;
  const keys = keyOf(meta.key, (next ?? old)!);
  const ddb: Record<string, unknown> = { ApproximateCreationDateTime: Math.floor(Date.now() / 1000), Keys: keys };
  let size = itemSize(keys);
  if (next && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) {
    ddb.NewImage = next;
    size += itemSize(next);
  }
  if (old && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES')) {
    ddb.OldImage = old;
    size += itemSize(old);
  }
  ddb.SizeBytes = size;
  ddb.StreamViewType = view;
  const rec: PendingRecord = {
    eventID: randomBytes(16).toString('hex'),
    eventName: old === null ? 'INSERT' : next === null ? 'REMOVE' : 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: ddb,
  };
  if (actor === 'ttl') rec.userIdentity = { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' };
  return rec;
}

/** Sequence numbers are fixed-width decimal strings, so they order as strings and as numbers. */
export function formatSequence(seq: number): string {
  return (100000000000000000000n + BigInt(seq)).toString();
}

export function parseSequence(s: string): number | null {
  if (!/^\d{21}$/.test(s)) return null;
  const n = BigInt(s) - 100000000000000000000n;
  return n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

function withSequence(r: PendingRecord, seq: number): PendingRecord {
  return { ...r, dynamodb: { ...r.dynamodb, SequenceNumber: formatSequence(seq) } };
}
