/**
 * Metadata of services/s3 (ObjectStore in types.ts) on the tables of
 * objects-migrations.ts. The bytes are blobs (blobs.ts); a row only names its
 * blob. The service owns the meaning of `config`, `meta` and `etag`.
 *
 * Blob bookkeeping: every write that replaces or removes a blob reference
 * returns the old blob id, read in the same transaction that replaced it, so
 * the caller can delete the blob after COMMIT. Writers of one object (or one
 * part) are serialized so each old id is handed to exactly one caller:
 * SQLite has one writer anyway; on PostgreSQL (READ COMMITTED) an object's
 * writers take an advisory lock on (bucket, key) before reading the old row.
 *
 * Existence races on PostgreSQL are closed with row locks rather than more
 * advisory locks: writers into a bucket hold `FOR KEY SHARE` on its row (what
 * a foreign key would take), which DeleteBucket's `FOR UPDATE` waits for, so
 * no object or upload can appear in a bucket after its emptiness was checked.
 * Part writers hold `FOR KEY SHARE` on their upload's row the same way, and
 * everything that ends an upload deletes that row first, so the parts it then
 * deletes include every part committed before it.
 *
 * Writes on SQLite share the store's group commit (queue-group-commit.ts); on
 * PostgreSQL each is its own transaction.
 *
 * Outbox: putObject, deleteObject(s) and completeUpload take an ObjectOutbox
 * whose work-queue items (S3 event notifications) are inserted in the same
 * transaction as the object row (queue-outbox.ts), after the object's lock,
 * with the bucket's config read in that transaction.
 */
import { PlatformError } from '../errors';
import type { Db, SqlValue, Tx } from './db';
import type { GroupCommit } from './queue-group-commit';
import { enqueueInTx } from './queue-outbox';
import { compareNames } from './repo-utils';
import type {
  BucketRow,
  ObjectListing,
  ObjectListQuery,
  ObjectOutbox,
  ObjectRow,
  ObjectStore,
  PartRow,
  UploadListQuery,
  UploadRow,
} from './types';

interface ObjectDbRow {
  key: string;
  blob_id: string;
  size: number | string;
  etag: string;
  last_modified: number | string;
  meta: string;
}

interface UploadDbRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number | string;
  meta: string;
}

interface PartDbRow {
  part_number: number | string;
  blob_id: string;
  size: number | string;
  etag: string;
  last_modified: number | string;
  checksum: string | null;
}

const OBJECT_COLUMNS = 'key, blob_id, size, etag, last_modified, meta';
const UPLOAD_COLUMNS = 'upload_id, bucket, key, initiated, meta';
const PART_COLUMNS = 'part_number, blob_id, size, etag, last_modified, checksum';
/** Bound parameters per `IN (...)` list: well under SQLite's and PostgreSQL's limits. */
const IN_CHUNK = 500;
/** Rows read per round trip while rolling keys up into common prefixes. */
const MAX_SCAN_BATCH = 1000;

function toObject(bucket: string, r: ObjectDbRow): ObjectRow {
  return {
    bucket,
    key: r.key,
    blobId: r.blob_id,
    size: Number(r.size),
    etag: r.etag,
    lastModified: Number(r.last_modified),
    meta: r.meta,
  };
}

function toUpload(r: UploadDbRow): UploadRow {
  return { uploadId: r.upload_id, bucket: r.bucket, key: r.key, initiated: Number(r.initiated), meta: r.meta };
}

function toPart(uploadId: string, r: PartDbRow): PartRow {
  return {
    uploadId,
    partNumber: Number(r.part_number),
    blobId: r.blob_id,
    size: Number(r.size),
    etag: r.etag,
    lastModified: Number(r.last_modified),
    checksum: r.checksum,
  };
}

/**
 * The least string above every string that starts with `prefix`, in code
 * point order (= UTF-8 byte order, the order both engines compare keys in);
 * null when there is none (empty prefix, or only U+10FFFF). Used as the
 * exclusive upper bound of a prefix scan, so the scan stays inside the
 * primary key range instead of filtering the rest of the bucket.
 */
export function prefixUpperBound(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const c = cps.pop()!.codePointAt(0)!;
    if (c < 0x10ffff) {
      // Surrogate code points are not characters: UTF-8 has no encoding for them.
      const next = c + 1 >= 0xd800 && c + 1 <= 0xdfff ? 0xe000 : c + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/**
 * A write found its bucket or upload gone (deleted by a request that won the
 * race after the caller had checked). Nothing was written; the service
 * answers NoSuchBucket / NoSuchUpload and deletes the blob it wrote.
 */
export class GoneError extends PlatformError {
  constructor(
    readonly what: 'bucket' | 'upload',
    readonly id: string,
  ) {
    super('ERR_STORE', `${what} ${JSON.stringify(id)} does not exist`);
    this.name = 'GoneError';
  }
}

/**
 * "Gone" inside a transaction, turned into a GoneError only after it ended:
 * a throw would doom a shared SQLite batch (queue-group-commit.ts).
 */
const NO_BUCKET = Symbol('no bucket');
const NO_UPLOAD = Symbol('no upload');
type Gone = typeof NO_BUCKET | typeof NO_UPLOAD;

function orGone<T>(v: T | Gone, bucket: string, uploadId = ''): T {
  if (v === NO_BUCKET) throw new GoneError('bucket', bucket);
  if (v === NO_UPLOAD) throw new GoneError('upload', uploadId);
  return v as T;
}

export class ObjectsRepo implements ObjectStore {
  /** Row-lock clauses; SQLite has none and needs none (one writer). */
  private readonly keyShare: string;
  private readonly forUpdate: string;
  private readonly forNoKeyUpdate: string;

  constructor(
    private readonly db: Db,
    private readonly group: GroupCommit | null,
  ) {
    const pg = db.dialect === 'postgres';
    this.keyShare = pg ? ' FOR KEY SHARE' : '';
    this.forUpdate = pg ? ' FOR UPDATE' : '';
    this.forNoKeyUpdate = pg ? ' FOR NO KEY UPDATE' : '';
  }

  private write<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
    return this.group ? this.group.run(fn) : this.db.tx(fn);
  }

  /**
   * The bucket's config (and the bucket row share-locked until COMMIT on
   * PostgreSQL) when the bucket exists, else null. The config is read only
   * when `withConfig` (an outbox needs it).
   */
  private async holdBucket(t: Tx, bucket: string, withConfig = false): Promise<string | null> {
    const r = await t.get<{ c: string }>(`SELECT ${withConfig ? 'config' : "''"} AS c FROM s3_buckets WHERE name = ?${this.keyShare}`, [bucket]);
    return r === undefined ? null : r.c;
  }

  /** Commits the outbox's items for these keys in `t` (see ObjectOutbox). */
  private async enqueue(t: Tx, bucket: string, keys: readonly string[], outbox: ObjectOutbox | undefined, config?: string): Promise<void> {
    if (!outbox || keys.length === 0) return;
    if (config === undefined) config = (await t.get<{ config: string }>('SELECT config FROM s3_buckets WHERE name = ?', [bucket]))?.config ?? '{}';
    const items = keys.flatMap((k) => outbox(k, config));
    await enqueueInTx(t, items);
  }

  private lockObject(t: Tx, bucket: string, key: string): Promise<void> {
    return t.lock(`s3:object:${bucket}\0${key}`);
  }

  /** Upserts the object row, returning the blob id it replaced. The caller holds the object lock. */
  private async upsertObject(t: Tx, row: ObjectRow): Promise<string | null> {
    const old = await t.get<{ blob_id: string }>('SELECT blob_id FROM s3_objects WHERE bucket = ? AND key = ?', [row.bucket, row.key]);
    await t.run(
      `INSERT INTO s3_objects (bucket, key, blob_id, size, etag, last_modified, meta) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
         last_modified = excluded.last_modified, meta = excluded.meta`,
      [row.bucket, row.key, row.blobId, row.size, row.etag, row.lastModified, row.meta],
    );
    return old?.blob_id ?? null;
  }

  /** Deletes the uploads' rows, then their parts; returns the parts' blob ids. */
  private async dropUploads(t: Tx, uploadIds: readonly string[]): Promise<string[]> {
    const blobs: string[] = [];
    for (const ids of chunks(uploadIds, IN_CHUNK)) {
      const rows = await t.all<{ blob_id: string }>(`DELETE FROM s3_parts WHERE upload_id IN (${placeholders(ids.length)}) RETURNING blob_id`, ids);
      for (const r of rows) blobs.push(r.blob_id);
    }
    return blobs;
  }

  // ---- buckets --------------------------------------------------------------

  async createBucket(b: { name: string; region: string; createdAt: number }): Promise<'created' | 'exists'> {
    const r = await this.write((t) =>
      t.run('INSERT INTO s3_buckets (name, region, created_at, config) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING', [
        b.name,
        b.region,
        b.createdAt,
        '{}',
      ]),
    );
    return r.changes > 0 ? 'created' : 'exists';
  }

  async getBucket(name: string): Promise<BucketRow | null> {
    const r = await this.db.get<{ name: string; region: string; created_at: number | string; config: string }>(
      'SELECT name, region, created_at, config FROM s3_buckets WHERE name = ?',
      [name],
    );
    return r ? { name: r.name, region: r.region, createdAt: Number(r.created_at), config: r.config } : null;
  }

  async listBuckets(): Promise<BucketRow[]> {
    const rows = await this.db.all<{ name: string; region: string; created_at: number | string; config: string }>(
      'SELECT name, region, created_at, config FROM s3_buckets',
    );
    return rows
      .map((r) => ({ name: r.name, region: r.region, createdAt: Number(r.created_at), config: r.config }))
      .sort((a, b) => compareNames(a.name, b.name));
  }

  async updateBucketConfig(name: string, fn: (config: string) => string): Promise<boolean> {
    return this.write(async (t) => {
      // NO KEY UPDATE: does not wait for object writers holding KEY SHARE.
      const r = await t.get<{ config: string }>(`SELECT config FROM s3_buckets WHERE name = ?${this.forNoKeyUpdate}`, [name]);
      if (!r) return false;
      await t.run('UPDATE s3_buckets SET config = ? WHERE name = ?', [fn(r.config), name]);
      return true;
    });
  }

  async deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'> {
    return this.write(async (t): Promise<'deleted' | 'missing' | 'not-empty'> => {
      // FOR UPDATE waits for every transaction writing into the bucket (they
      // hold KEY SHARE) and keeps new ones out until COMMIT.
      if (!(await t.get(`SELECT 1 AS x FROM s3_buckets WHERE name = ?${this.forUpdate}`, [name]))) return 'missing';
      if (await t.get('SELECT 1 AS x FROM s3_objects WHERE bucket = ? LIMIT 1', [name])) return 'not-empty';
      // S3 deletes a bucket whose only contents are incomplete multipart
      // uploads, and the uploads go with it: the DeleteBucket reference asks
      // only that "all objects (including all object versions and delete
      // markers)" be deleted, and others observed it on AWS (scality/cloudserver
      // PR #1591 "compatible with AWS S3 behavior of deleting buckets even when
      // there are ongoing multipart uploads"; ceph/ceph PR #15630 review).
      // Their parts' blobs become orphans for the sweep (referencedBlobIds).
      const uploads = await t.all<{ upload_id: string }>('DELETE FROM s3_uploads WHERE bucket = ? RETURNING upload_id', [name]);
      await this.dropUploads(
        t,
        uploads.map((u) => u.upload_id),
      );
      await t.run('DELETE FROM s3_buckets WHERE name = ?', [name]);
      return 'deleted';
    });
  }

  // ---- objects --------------------------------------------------------------

  async putObject(row: ObjectRow, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null }> {
    const r = await this.write(async (t) => {
      const config = await this.holdBucket(t, row.bucket, outbox !== undefined);
      if (config === null) return NO_BUCKET;
      await this.lockObject(t, row.bucket, row.key);
      const previousBlobId = await this.upsertObject(t, row);
      await this.enqueue(t, row.bucket, [row.key], outbox, config);
      return { previousBlobId };
    });
    return orGone(r, row.bucket);
  }

  async getObject(bucket: string, key: string): Promise<ObjectRow | null> {
    const r = await this.db.get<ObjectDbRow>(`SELECT ${OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?`, [bucket, key]);
    return r ? toObject(bucket, r) : null;
  }

  async deleteObject(bucket: string, key: string, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null }> {
    return this.write(async (t) => {
      await this.lockObject(t, bucket, key);
      const r = await t.get<{ blob_id: string }>('DELETE FROM s3_objects WHERE bucket = ? AND key = ? RETURNING blob_id', [bucket, key]);
      if (r) await this.enqueue(t, bucket, [key], outbox);
      return { previousBlobId: r?.blob_id ?? null };
    });
  }

  async deleteObjects(bucket: string, keys: readonly string[], outbox?: ObjectOutbox): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    // Locks in one global order (sorted keys), so two batch deletes never deadlock.
    const unique = [...new Set(keys)].sort(compareNames);
    const deleted = await this.write(async (t) => {
      for (const k of unique) await this.lockObject(t, bucket, k);
      const found = new Map<string, string>();
      for (const part of chunks(unique, IN_CHUNK)) {
        const rows = await t.all<{ key: string; blob_id: string }>(
          `DELETE FROM s3_objects WHERE bucket = ? AND key IN (${placeholders(part.length)}) RETURNING key, blob_id`,
          [bucket, ...part],
        );
        for (const r of rows) found.set(r.key, r.blob_id);
      }
      await this.enqueue(
        t,
        bucket,
        unique.filter((k) => found.has(k)),
        outbox,
      );
      return found;
    });
    return keys.map((k) => {
      const id = deleted.get(k) ?? null;
      deleted.delete(k); // a repeated key reports its blob once
      return id;
    });
  }

  async updateObjectMeta(bucket: string, key: string, meta: string | ((meta: string) => string | null)): Promise<ObjectRow | null> {
    return this.write(async (t) => {
      await this.lockObject(t, bucket, key);
      const r = await t.get<ObjectDbRow>(`SELECT ${OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?`, [bucket, key]);
      if (!r) return null;
      const next = typeof meta === 'string' ? meta : meta(r.meta);
      if (next === null) return toObject(bucket, r);
      await t.run('UPDATE s3_objects SET meta = ? WHERE bucket = ? AND key = ?', [next, bucket, key]);
      return toObject(bucket, { ...r, meta: next });
    });
  }

  async listObjects(bucket: string, q: { prefix?: string; after?: string; limit: number }): Promise<ObjectRow[]> {
    const prefix = q.prefix ?? '';
    const where = ['bucket = ?'];
    const params: SqlValue[] = [bucket];
    if (prefix !== '') {
      where.push('key >= ?');
      params.push(prefix);
      const upper = prefixUpperBound(prefix);
      if (upper !== null) {
        where.push('key < ?');
        params.push(upper);
      }
    }
    if (q.after !== undefined) {
      where.push('key > ?');
      params.push(q.after);
    }
    params.push(Math.max(0, Math.floor(q.limit)));
    const rows = await this.db.all<ObjectDbRow>(`SELECT ${OBJECT_COLUMNS} FROM s3_objects WHERE ${where.join(' AND ')} ORDER BY key LIMIT ?`, params);
    return rows.map((r) => toObject(bucket, r));
  }

  async listEntries(bucket: string, q: ObjectListQuery): Promise<ObjectListing> {
    const prefix = q.prefix ?? '';
    const delimiter = q.delimiter ?? '';
    const limit = Math.max(0, Math.floor(q.limit));
    const upper = prefixUpperBound(prefix);
    const objects: ObjectRow[] = [];
    const commonPrefixes: string[] = [];
    // One entry beyond the limit tells whether the listing is truncated.
    let entries = 0;
    let last: string | null = null;
    let truncated = false;
    const add = (entry: string): boolean => {
      if (entries === limit) {
        truncated = true;
        return false;
      }
      entries++;
      last = entry;
      return true;
    };

    // The scan position: keys > after, and keys >= from (a skipped prefix's end).
    let after = q.after;
    let from = prefix === '' ? undefined : prefix;
    let currentPrefix: string | null = null;
    for (;;) {
      const where = ['bucket = ?'];
      const params: SqlValue[] = [bucket];
      if (from !== undefined) {
        where.push('key >= ?');
        params.push(from);
      }
      if (after !== undefined) {
        where.push('key > ?');
        params.push(after);
      }
      if (upper !== null) {
        where.push('key < ?');
        params.push(upper);
      }
      const batch = delimiter === '' ? limit + 1 - entries : Math.min(MAX_SCAN_BATCH, Math.max(32, limit + 1 - entries));
      params.push(batch);
      const rows = await this.db.all<ObjectDbRow>(`SELECT ${OBJECT_COLUMNS} FROM s3_objects WHERE ${where.join(' AND ')} ORDER BY key LIMIT ?`, params);
      let stop = false;
      for (const r of rows) {
        // Keys of one common prefix are contiguous in byte order.
        if (currentPrefix !== null && r.key.startsWith(currentPrefix)) continue;
        const cut = delimiter === '' ? -1 : r.key.indexOf(delimiter, prefix.length);
        if (cut >= 0) {
          currentPrefix = r.key.slice(0, cut + delimiter.length);
          // Equal to `after`: the previous page ended on this common prefix.
          if (currentPrefix === q.after) continue;
          if (!add(currentPrefix)) {
            stop = true;
            break;
          }
          commonPrefixes.push(currentPrefix);
        } else {
          currentPrefix = null;
          if (!add(r.key)) {
            stop = true;
            break;
          }
          objects.push(toObject(bucket, r));
        }
      }
      if (stop || rows.length < batch) break;
      after = rows[rows.length - 1].key;
      if (currentPrefix !== null) {
        // Jump over the rest of the common prefix in one index seek.
        const end = prefixUpperBound(currentPrefix);
        if (end === null) break;
        from = end;
      }
    }
    return { objects, commonPrefixes, truncated, last };
  }

  async countObjects(bucket: string): Promise<number> {
    const r = await this.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM s3_objects WHERE bucket = ?', [bucket]);
    return Number(r?.n ?? 0);
  }

  // ---- multipart uploads ------------------------------------------------------

  async createUpload(u: UploadRow): Promise<void> {
    const r = await this.write(async (t) => {
      if ((await this.holdBucket(t, u.bucket)) === null) return NO_BUCKET;
      await t.run(`INSERT INTO s3_uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, [u.uploadId, u.bucket, u.key, u.initiated, u.meta]);
      return undefined;
    });
    orGone(r, u.bucket);
  }

  async getUpload(uploadId: string): Promise<UploadRow | null> {
    const r = await this.db.get<UploadDbRow>(`SELECT ${UPLOAD_COLUMNS} FROM s3_uploads WHERE upload_id = ?`, [uploadId]);
    return r ? toUpload(r) : null;
  }

  async listUploads(bucket: string, q: UploadListQuery): Promise<UploadRow[]> {
    const where = ['bucket = ?'];
    const params: SqlValue[] = [bucket];
    const prefix = q.prefix ?? '';
    if (prefix !== '') {
      where.push('key >= ?');
      params.push(prefix);
      const upper = prefixUpperBound(prefix);
      if (upper !== null) {
        where.push('key < ?');
        params.push(upper);
      }
    }
    // ListMultipartUploads: upload-id-marker is ignored without key-marker;
    // with it, uploads of that very key after the marker upload are included.
    if (q.keyMarker !== undefined) {
      const marker =
        q.uploadIdMarker === undefined
          ? undefined
          : await this.db.get<{ initiated: number | string }>('SELECT initiated FROM s3_uploads WHERE upload_id = ? AND bucket = ? AND key = ?', [
              q.uploadIdMarker,
              bucket,
              q.keyMarker,
            ]);
      if (marker) {
        where.push('(key > ? OR (key = ? AND (initiated, upload_id) > (?, ?)))');
        params.push(q.keyMarker, q.keyMarker, Number(marker.initiated), q.uploadIdMarker!);
      } else if (q.uploadIdMarker !== undefined) {
        // The marker upload is gone: the API reference's rule, upload ids
        // lexicographically greater than the marker.
        where.push('(key > ? OR (key = ? AND upload_id > ?))');
        params.push(q.keyMarker, q.keyMarker, q.uploadIdMarker);
      } else {
        where.push('key > ?');
        params.push(q.keyMarker);
      }
    }
    params.push(Math.max(0, Math.floor(q.limit)));
    const rows = await this.db.all<UploadDbRow>(
      `SELECT ${UPLOAD_COLUMNS} FROM s3_uploads WHERE ${where.join(' AND ')} ORDER BY key, initiated, upload_id LIMIT ?`,
      params,
    );
    return rows.map(toUpload);
  }

  async putPart(p: PartRow): Promise<{ previousBlobId: string | null }> {
    const r = await this.write(async (t) => {
      await t.lock(`s3:part:${p.uploadId}\0${p.partNumber}`);
      // KEY SHARE until COMMIT: whoever ends the upload deletes its row first,
      // so it waits for this part and then deletes it too.
      if (!(await t.get(`SELECT 1 AS x FROM s3_uploads WHERE upload_id = ?${this.keyShare}`, [p.uploadId]))) return NO_UPLOAD;
      const old = await t.get<{ blob_id: string }>('SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?', [p.uploadId, p.partNumber]);
      await t.run(
        `INSERT INTO s3_parts (upload_id, ${PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
           last_modified = excluded.last_modified, checksum = excluded.checksum`,
        [p.uploadId, p.partNumber, p.blobId, p.size, p.etag, p.lastModified, p.checksum ?? null],
      );
      return { previousBlobId: old?.blob_id ?? null };
    });
    return orGone(r, '', p.uploadId);
  }

  async listParts(uploadId: string, q: { after?: number; limit: number }): Promise<PartRow[]> {
    const rows = await this.db.all<PartDbRow>(
      `SELECT ${PART_COLUMNS} FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?`,
      [uploadId, q.after ?? 0, Math.max(0, Math.floor(q.limit))],
    );
    return rows.map((r) => toPart(uploadId, r));
  }

  async deleteUpload(uploadId: string): Promise<string[] | null> {
    return this.write(async (t) => {
      const r = await t.run('DELETE FROM s3_uploads WHERE upload_id = ?', [uploadId]);
      if (r.changes === 0) return null;
      return this.dropUploads(t, [uploadId]);
    });
  }

  async completeUpload(uploadId: string, row: ObjectRow, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null; partBlobIds: string[] }> {
    const r = await this.write(async (t) => {
      const config = await this.holdBucket(t, row.bucket, outbox !== undefined);
      if (config === null) return NO_BUCKET;
      await this.lockObject(t, row.bucket, row.key);
      const r = await t.run('DELETE FROM s3_uploads WHERE upload_id = ? AND bucket = ? AND key = ?', [uploadId, row.bucket, row.key]);
      if (r.changes === 0) return NO_UPLOAD;
      const partBlobIds = await this.dropUploads(t, [uploadId]);
      const previousBlobId = await this.upsertObject(t, row);
      await this.enqueue(t, row.bucket, [row.key], outbox, config);
      return { previousBlobId, partBlobIds };
    });
    return orGone(r, row.bucket, uploadId);
  }

  async staleUploads(olderThan: number, limit = 1000): Promise<UploadRow[]> {
    const rows = await this.db.all<UploadDbRow>(
      `SELECT ${UPLOAD_COLUMNS} FROM s3_uploads WHERE initiated < ? ORDER BY initiated, upload_id LIMIT ?`,
      // Integral: PostgreSQL refuses a fractional BIGINT.
      [Math.ceil(olderThan), Math.max(0, Math.floor(limit))],
    );
    return rows.map(toUpload);
  }

  // ---- blobs ----------------------------------------------------------------

  async referencedBlobIds(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(ids)], IN_CHUNK)) {
      const list = placeholders(part.length);
      const rows = await this.db.all<{ blob_id: string }>(
        `SELECT blob_id FROM s3_objects WHERE blob_id IN (${list}) UNION SELECT blob_id FROM s3_parts WHERE blob_id IN (${list})`,
        [...part, ...part],
      );
      for (const r of rows) out.add(r.blob_id);
    }
    return out;
  }
}
