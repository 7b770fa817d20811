/**
 * The S3 service's state: buckets and objects in the store (metadata) and in
 * blobs on disk (data), and the hook that turns object changes into
 * notification events. Operations call only this.
 *
 * A write streams the body into a new blob (temp file, fsync, rename), then
 * commits the object's row; the blob it replaced is deleted after the commit,
 * a few seconds late so a download that already looked the object up can
 * still open it. A crash between the two leaves at most an orphaned blob,
 * which the sweeper removes: never a row without its data.
 *
 * Event notifications are a transactional outbox: a write hands the store an
 * ObjectOutbox (`events()`), whose S3 event is committed into the work queue
 * (S3_EVENTS_QUEUE) in the same transaction as the object row, for buckets
 * with a notification configuration as that transaction reads it. So an
 * acknowledged write's notification survives a crash, and a write that did
 * not commit notifies nobody. triggers/s3-notifications.ts delivers them.
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../../store/blobs';
import { GoneError } from '../../store/objects-repo';
import type { BucketRow, EnqueueInput, ObjectOutbox, ObjectRow, ObjectStore } from '../../store/types';
import { noSuchBucket, noSuchKey, noSuchUpload } from './errors';
import type { NotificationTarget, ObjectChange } from '../../triggers/s3-notifications';

/** The work queue S3 events wait in until triggers/s3-notifications.ts delivers them. */
export const S3_EVENTS_QUEUE = 's3:events';

/**
 * What one object change tells the notification poller (the payload of an
 * S3_EVENTS_QUEUE item, as JSON): triggers/s3-notifications.ts defines it, as
 * triggers/ defines what every event source hands it.
 */
export type ObjectEvent = ObjectChange;

/** The events of one write: pass `outbox` to the store write, then `engine.announce(this)` once it resolved. */
export interface ObjectEvents {
  readonly outbox: ObjectOutbox;
  /** Calls of the outbox that made an item (a transaction run again counts again): announce() wakes the poller when > 0. */
  made: number;
}

let lastSeq = 0n;
/**
 * S3's sequencer: "a string representation of a hexadecimal value" that orders
 * the events of one key when compared after padding to equal length ("Event
 * message structure", S3 user guide). Increasing per process, from the clock.
 */
function nextSequencer(): string {
  let s = BigInt(Date.now()) * 1000000n;
  if (s <= lastSeq) s = lastSeq + 1n;
  lastSeq = s;
  return s.toString(16).toUpperCase().padStart(18, '0');
}

export interface ObjectMeta {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  /** x-amz-meta-* (lower-cased names, as S3 keeps them). */
  metadata: Record<string, string>;
  /** Checksums computed at upload, base64 (x-amz-checksum-*). */
  checksums?: Record<string, string>;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  tags?: Record<string, string>;
  storageClass?: string;
  /** Multipart objects: the part count (and the part sizes, for partNumber reads). */
  parts?: number[];
}

export interface BucketConfig {
  cors?: unknown[];
  notifications?: NotificationConfig;
  tags?: Record<string, string>;
}

export type { NotificationTarget };

export interface NotificationConfig {
  targets: NotificationTarget[];
  eventBridge: boolean;
}

/** Replaced blobs wait this long before deletion (downloads that already looked the object up). */
const BLOB_GRACE_MS = 5000;

export class S3Engine {
  private readonly pendingDeletes = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();
  /** The last bucket config seen by an outbox and whether it notifies anyone (configs change rarely; writes are many). */
  private lastConfig: { text: string; notifies: boolean } = { text: '', notifies: false };

  constructor(
    readonly store: ObjectStore,
    readonly blobs: BlobStore,
    readonly region: string,
  ) {}

  async bucket(name: string): Promise<BucketRow> {
    const b = await this.store.getBucket(name);
    if (!b) throw noSuchBucket(name);
    return b;
  }

  config(b: BucketRow): BucketConfig {
    return b.config ? (JSON.parse(b.config) as BucketConfig) : {};
  }

  /** Rewrites a bucket's configuration (CORS, notifications, tags) under the store's lock. */
  async updateConfig(bucket: string, fn: (c: BucketConfig) => BucketConfig): Promise<void> {
    const ok = await this.store.updateBucketConfig(bucket, (text) => JSON.stringify(fn(text ? (JSON.parse(text) as BucketConfig) : {})));
    if (!ok) throw noSuchBucket(bucket);
  }

  async object(bucket: string, key: string): Promise<ObjectRow & { parsed: ObjectMeta }> {
    const o = await this.store.getObject(bucket, key);
    if (!o) {
      await this.bucket(bucket);
      throw noSuchKey(key);
    }
    return { ...o, parsed: JSON.parse(o.meta) as ObjectMeta };
  }

  /**
   * Commits a write whose data is already in `blobId`. When the bucket (or the
   * multipart upload) went away meanwhile, the blob is deleted and the answer
   * is S3's NoSuchBucket / NoSuchUpload.
   */
  async commit<T>(blobId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (e instanceof GoneError) {
        await this.blobs.delete(blobId).catch(() => undefined);
        throw e.what === 'bucket' ? noSuchBucket(e.id) : noSuchUpload(e.id);
      }
      throw e;
    }
  }

  /** Deletes a blob a little later (see BLOB_GRACE_MS); null is nothing. */
  retire(blobId: string | null | undefined): void {
    if (!blobId) return;
    const t = setTimeout(() => {
      this.pendingDeletes.delete(t);
      void this.blobs.delete(blobId).catch(() => undefined);
    }, BLOB_GRACE_MS);
    t.unref();
    this.pendingDeletes.add(t);
  }

  /** The bucket's notification targets (none when the bucket is gone). */
  async notificationTargets(bucket: string): Promise<NotificationTarget[]> {
    const b = await this.store.getBucket(bucket);
    return b ? (this.config(b).notifications?.targets ?? []) : [];
  }

  /**
   * The outbox of one write: for each key the write commits (or deletes),
   * one S3_EVENTS_QUEUE item carrying `e` for that key, when the bucket's
   * configuration (read in the write's transaction) has notification targets.
   * Targets and filters are matched at delivery, as before.
   */
  events(e: Omit<ObjectEvent, 'key' | 'sequencer'>): ObjectEvents {
    const ev: ObjectEvents = {
      made: 0,
      outbox: (key, config) => {
        if (!this.notifies(config)) return [];
        ev.made++;
        const item: EnqueueInput = { queue: S3_EVENTS_QUEUE, payload: JSON.stringify({ ...e, key, sequencer: nextSequencer() } satisfies ObjectEvent) };
        return [item];
      },
    };
    return ev;
  }

  /** After the write that carried `ev` committed: wakes the notification poller if it queued anything. */
  announce(ev: ObjectEvents): void {
    if (ev.made > 0) this.wake();
  }

  private wake(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // a listener's failure is its own
      }
    }
  }

  /** Called after a write committed events into S3_EVENTS_QUEUE (an in-process wake-up; the poller also polls). */
  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notifies(config: string): boolean {
    if (config !== this.lastConfig.text) {
      let notifies = false;
      try {
        notifies = ((JSON.parse(config || '{}') as BucketConfig).notifications?.targets ?? []).length > 0;
      } catch {
        // not ours to judge here: a bucket without a readable config notifies nobody
      }
      this.lastConfig = { text: config, notifies };
    }
    return this.lastConfig.notifies;
  }

  /** MD5 (hex) of a blob's data, read back from disk. */
  async md5Of(blobId: string): Promise<string> {
    const h = createHash('md5');
    for await (const chunk of this.blobs.read(blobId)) h.update(chunk as Buffer);
    return h.digest('hex');
  }

  /** Stops pending blob deletions (shutdown); what they would have deleted is left to the orphan sweep. */
  async close(): Promise<void> {
    for (const t of this.pendingDeletes) clearTimeout(t);
    this.pendingDeletes.clear();
  }
}
