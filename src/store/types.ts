/**
 * The store: the only layer that knows SQL or files. Async from day one so that
 * SQLite (default, embedded) and PostgreSQL (scale-out) sit behind the same
 * interface; one conformance suite (test/store/) runs against every backend.
 */
import type { Stack } from '../app/stack';

export type StoreKind = 'sqlite' | 'postgres';

/** A deployed app: its compiled Stack and where its code lives. */
export interface AppRecord {
  /** `<service>-<stage>`, unique. */
  name: string;
  stack: Stack;
  /** Monotonic per app, starting at 1; bumped on every deploy. */
  version: number;
  deployedAt: number; // epoch ms
  /** What the last deploy made besides functions: resources, mappings, outputs. Absent before the first deploy that had any. */
  deployment?: AppDeployment;
}

/** The deployed state of an app's CloudFormation resources (app/cloudformation/reconcile.ts DeployedResource, kept as JSON). */
export interface AppDeployment {
  resources: { logicalId: string; type: string; physicalId: string; properties: unknown; attributes: Record<string, unknown>; deletionPolicy: string }[];
  /** UUIDs of the event source mappings this app's `stream` events made. */
  mappings: string[];
  outputs: Record<string, string>;
}

/** A deployed function, as the runtime needs it. */
export interface FunctionRecord {
  name: string;
  appName: string;
  spec: Stack['functions'][number];
  /** Bumped whenever code or configuration changes; instances of older versions are retired. */
  version: number;
  updatedAt: number; // epoch ms
}

export type InvocationOutcome = 'success' | 'error' | 'timeout' | 'crash' | 'throttle';

/** One metered invocation (observe/ writes these in batches). */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  /** Epoch ms when the invocation started (or was throttled). */
  startedAt: number;
  durationMs: number;
  billedDurationMs: number;
  /** Init duration of the instance when this was a cold start, else null. */
  initDurationMs: number | null;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  cold: boolean;
  outcome: InvocationOutcome;
  /** How it came in: `http`, `httpApi`, `lambda`, `cli`, ... */
  source: string;
  traceId: string | null;
}

export interface LogRecord {
  /** Assigned by the store on insert; strictly increasing per store. */
  id?: number;
  functionName: string;
  requestId: string | null;
  /** Epoch ms. */
  ts: number;
  stream: 'stdout' | 'stderr' | 'platform';
  message: string;
}

export interface LogQuery {
  functionName?: string;
  requestId?: string;
  /** Only records with id > afterId (for tailing). */
  afterId?: number;
  /** Only records with ts >= since (epoch ms). */
  since?: number;
  /** Most recent `limit` records matching (returned oldest first). Default 1000. */
  limit?: number;
}

export interface InvocationQuery {
  functionName?: string;
  since?: number;
  limit?: number;
}

export interface FunctionStats {
  functionName: string;
  invocations: number; // all but throttles
  errors: number; // error + timeout + crash
  throttles: number;
  coldStarts: number;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  /** Sum over invocations of billedDurationMs/1000 * memorySizeMb/1024. */
  gbSeconds: number;
}

/**
 * One item of a durable work queue (`Store.queue`). Times are epoch ms from the
 * caller's clock (nodes sharing PostgreSQL need synchronized clocks: skew
 * between them shortens or lengthens leases by that much).
 */
export interface QueueItem {
  /** Unique across all queues: given by the caller (idempotent enqueue) or a random UUID. */
  id: string;
  queue: string;
  /** Opaque to the store. */
  payload: string;
  /** Times the item was claimed, this claim included (0 until first claimed; release keeps it). */
  attempts: number;
  enqueuedAt: number;
  /**
   * When the item can next be claimed: for a waiting item the time given at
   * enqueue or release; for a leased one its lease expiry (equal to leaseUntil).
   */
  availableAt: number;
  /** Holder of the current or last lease; null until claimed and after release. */
  leaseOwner: string | null;
  /** Lease expiry while leaseOwner is set (it may lie in the past: expired, not yet reclaimed); else null. */
  leaseUntil: number | null;
}

/** One item to add to a queue. */
export interface EnqueueInput {
  queue: string;
  payload: string;
  /** Not claimable before this (epoch ms). Default: now. */
  availableAt?: number;
  /** Idempotency key: while an item with this id exists, enqueueing it again adds nothing and returns that item. */
  id?: string;
}

export interface ClaimOptions {
  /** At most this many items (a batch is one statement). */
  max: number;
  /** Lease length: the items are claimable again at now + leaseMs unless completed, released or extended. */
  leaseMs: number;
  /** Clock override (epoch ms), for tests and for callers that already read the clock. Default Date.now(). */
  now?: number;
}

export interface QueueCounts {
  /** Claimable now (including items whose lease expired). */
  ready: number;
  /** Under an unexpired lease. */
  leased: number;
  /** Waiting for their availableAt (never claimed, or released with a later time). */
  delayed: number;
}

/**
 * A durable work queue with leases (DESIGN.md, "Durable queues"): one table
 * for every queue, shared by all nodes. At least once: an item stays until a
 * lease holder completes it; a holder that dies loses the lease when it
 * expires and the item is claimed again (attempts + 1). An enqueue resolves
 * only after its COMMIT. `owner` names the lease holder; a holder that claims
 * its own expired item again cannot tell the two claims apart, so concurrent
 * workers that need to should use distinct owners.
 */
export interface WorkQueue {
  /** Adds one item; resolves after COMMIT. With an `id` that exists, returns the existing item unchanged. */
  enqueue(queue: string, payload: string, opts?: { availableAt?: number; id?: string }): Promise<QueueItem>;
  /** Adds items in one transaction (all or none); returns them in input order (existing ones for known ids). */
  enqueueMany(items: readonly EnqueueInput[]): Promise<QueueItem[]>;
  /**
   * Leases up to `max` items of `queue` that are available (availableAt <= now,
   * which includes expired leases), oldest availableAt first, then in enqueue
   * order; sets the lease and increments attempts. On PostgreSQL concurrent
   * claimers on any node skip each other's rows (SKIP LOCKED), never sharing one.
   */
  claim(queue: string, owner: string, opts: ClaimOptions): Promise<QueueItem[]>;
  /** Deletes the item if `owner` holds its lease (even an expired one nobody took); false if the lease was lost or the item is gone. */
  complete(id: string, owner: string): Promise<boolean>;
  /** complete() for many items in one transaction; one result per id, in order. */
  completeMany(ids: readonly string[], owner: string): Promise<boolean[]>;
  /** Gives the lease back: claimable again from `availableAt`, attempts kept, payload optionally rewritten. False if the lease was lost. */
  release(id: string, owner: string, opts: { availableAt: number; payload?: string }): Promise<boolean>;
  /** Sets the lease to end `leaseMs` from now. False if the lease was lost. */
  extend(id: string, owner: string, leaseMs: number, opts?: { now?: number }): Promise<boolean>;
  /**
   * Completes the item and enqueues `next` in one transaction, so there is no
   * moment when the work is in neither queue or in both. False (and nothing
   * enqueued) if the lease was lost.
   */
  completeAndEnqueue(id: string, owner: string, next: readonly EnqueueInput[]): Promise<boolean>;
  /**
   * When `queue` next has a claimable item: the earliest availableAt, counting
   * lease expiries; in the past when items are ready now; null when empty.
   * For pollers deciding how long to sleep.
   */
  nextAvailableAt(queue: string): Promise<number | null>;
  count(queue: string, opts?: { now?: number }): Promise<QueueCounts>;
  get(id: string): Promise<QueueItem | null>;
  /** Deletes every item of `queue`, leased or not; returns how many. */
  purge(queue: string): Promise<number>;
  /**
   * Calls `listener(queue)` after items were enqueued or released into `queue`
   * (null: any queue), by this process or, on PostgreSQL, any node (LISTEN/NOTIFY).
   * A wake-up hint only: it may be late, repeated or spurious, so claim to find
   * out, and keep a timer (nextAvailableAt, and a cap) for delayed items, lease
   * expiries and other processes on the same SQLite file. After the LISTEN
   * connection reconnects every listener is called, an all-queues one with ''
   * (look at every queue). Returns the unsubscribe function.
   */
  onEnqueued(queue: string | null, listener: (queue: string) => void): () => void;
}

/** A document table (services/dynamodb): the store keeps its metadata as opaque JSON. */
export interface DocTableRow {
  name: string;
  /** Never reused, so rows of a deleted table can never be mistaken for a new one's. */
  id: number;
  meta: string;
}

/**
 * One row of `dynamodb_items`: a base item (bpk/bsk empty) or a secondary
 * index entry (pk/sk the index's key, bpk/bsk the base item's). Keys are
 * order-preserving encodings; `h` a 32-bit hash of pk; `item` the item JSON.
 */
export interface DocIndexRow {
  h: number;
  pk: Buffer;
  sk: Buffer;
  bpk: Buffer;
  bsk: Buffer;
  item: string;
  /** The item's size as DynamoDB counts it. */
  size: number;
}

export interface DocRangeQuery {
  tableId: number;
  /** '' for the base table, else the index name. */
  index: string;
  h: number;
  pk: Buffer;
  lower?: { key: Buffer; inclusive: boolean };
  upper?: { key: Buffer; inclusive: boolean };
  reverse: boolean;
  /** Exclusive start: continue after this row in the query's direction. */
  after?: { sk: Buffer; bpk: Buffer; bsk: Buffer };
  limit: number;
}

export interface DocScanQuery {
  tableId: number;
  index: string;
  /** Inclusive hash range (a parallel-scan segment). */
  hFrom: number;
  hTo: number;
  after?: { h: number; pk: Buffer; sk: Buffer; bpk: Buffer; bsk: Buffer };
  limit: number;
}

/** A stream of one table (a new one each time the stream is enabled). */
export interface DocStreamRow {
  sid: number;
  tableId: number;
  arn: string;
  meta: string;
  lastSeq: number;
  createdAt: number;
  /** When the stream was disabled (or its table deleted); records stay readable for 24 hours. */
  disabledAt: number | null;
}

export interface DocStreamRecord {
  seq: number;
  createdAt: number;
  record: string;
}

/** What a document write transaction can do (see DocumentStore.write). */
export interface DocWriteTx {
  /** Serializes read-check-write of one item with every other writer of it (PostgreSQL advisory lock; SQLite writers are serial anyway). */
  lockItem(tableId: number, pk: Buffer, sk: Buffer): Promise<void>;
  getItem(tableId: number, h: number, pk: Buffer, sk: Buffer): Promise<DocIndexRow | null>;
  /** Upserts a base row (index '') or an index entry. `ttl` (epoch seconds) only on base rows of tables with TTL enabled. */
  put(tableId: number, index: string, row: DocIndexRow, ttl: number | null): Promise<void>;
  delete(tableId: number, index: string, row: Pick<DocIndexRow, 'h' | 'pk' | 'sk' | 'bpk' | 'bsk'>): Promise<void>;
  /** Bytes of the rows of one partition key in the base table and the given indexes (an item collection, with local indexes). */
  partitionBytes(tableId: number, indexes: readonly string[], h: number, pk: Buffer): Promise<number>;
  /** Appends records to stream `sid`; each maker gets its sequence number. Returns the numbers, in order. */
  appendStream(sid: number, createdAt: number, records: readonly ((seq: number) => string)[]): Promise<number[]>;
  /** Idempotency token: records it and returns null, or returns the fingerprint it was first used with (within notBefore..). */
  claimToken(token: string, fingerprint: string, now: number, notBefore: number): Promise<string | null>;
}

/** Storage of services/dynamodb: tables, items, index entries, streams. */
export interface DocumentStore {
  listTables(): Promise<DocTableRow[]>;
  getTable(name: string): Promise<DocTableRow | null>;
  /** Creates the table (id assigned; `meta` made from it); null if the name exists. */
  createTable(name: string, meta: (id: number) => string): Promise<DocTableRow | null>;
  /** Rewrites the metadata under a lock; `fn` returns null to leave it. Null if there is no such table. */
  updateTable(name: string, fn: (meta: string, id: number) => string | null): Promise<DocTableRow | null>;
  /** Deletes the table and its items; disables its streams. */
  deleteTable(name: string): Promise<DocTableRow | null>;
  dropIndex(tableId: number, index: string): Promise<void>;
  countItems(tableId: number, index: string): Promise<{ items: number; bytes: number }>;
  getItem(tableId: number, h: number, pk: Buffer, sk: Buffer): Promise<DocIndexRow | null>;
  query(q: DocRangeQuery): Promise<DocIndexRow[]>;
  scan(q: DocScanQuery): Promise<DocIndexRow[]>;
  /** Base rows whose ttl lies in [from, to), oldest first. */
  expired(tableId: number, from: number, to: number, limit: number): Promise<DocIndexRow[]>;
  /** Runs `fn` in a write transaction; resolves after COMMIT. `fn` must not throw for expected failures. */
  write<T>(fn: (w: DocWriteTx) => Promise<T>): Promise<T>;
  trimTokens(olderThan: number): Promise<void>;
  createStream(tableId: number, arn: string, meta: string, now: number): Promise<DocStreamRow>;
  disableStreams(tableId: number, now: number): Promise<void>;
  listStreams(tableId?: number): Promise<DocStreamRow[]>;
  getStream(arn: string): Promise<DocStreamRow | null>;
  readStream(sid: number, afterSeq: number, limit: number): Promise<DocStreamRecord[]>;
  streamBounds(sid: number): Promise<{ first: number | null; last: number | null }>;
  /** Deletes stream records older than `olderThan` (epoch ms); returns how many. */
  trimStreams(olderThan: number): Promise<number>;
}

/**
 * An S3 bucket (services/s3). `config` is JSON owned by the service (CORS,
 * notifications, tagging, versioning, ...); the store never looks inside.
 */
export interface BucketRow {
  name: string;
  region: string;
  createdAt: number; // epoch ms
  config: string;
}

/**
 * One S3 object. The bytes live in the BlobStore (store/blobs.ts) under
 * `blobId`; `meta` is JSON owned by the service (content headers,
 * x-amz-meta-*, checksums, tags).
 */
export interface ObjectRow {
  bucket: string;
  key: string;
  blobId: string;
  size: number;
  etag: string;
  lastModified: number; // epoch ms
  meta: string;
}

export interface ObjectListQuery {
  /** Only keys starting with this. */
  prefix?: string;
  /** Exclusive start: only entries after this key, in UTF-8 byte order. */
  after?: string;
  /**
   * Roll up keys whose remainder after `prefix` contains this into common
   * prefixes (`prefix` + remainder up to and including the first delimiter),
   * each listed once and counted as one entry. A common prefix equal to
   * `after` is skipped whole, so `after` = the last entry returned continues
   * a listing.
   */
  delimiter?: string;
  /** At most this many entries (objects + common prefixes). */
  limit: number;
}

export interface ObjectListing {
  /** In UTF-8 byte order of the key (S3's listing order). */
  objects: ObjectRow[];
  /** In UTF-8 byte order. */
  commonPrefixes: string[];
  /** More entries follow the returned ones. */
  truncated: boolean;
  /** The last entry returned (a key or a common prefix), to pass as `after`; null when nothing was returned. */
  last: string | null;
}

/** An in-progress multipart upload. `meta` is JSON owned by the service (headers given at CreateMultipartUpload). */
export interface UploadRow {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number; // epoch ms
  meta: string;
}

export interface UploadListQuery {
  prefix?: string;
  /** Uploads of keys after this one; with uploadIdMarker, also the uploads of this very key that come after that upload. */
  keyMarker?: string;
  uploadIdMarker?: string;
  limit: number;
}

/** One uploaded part of a multipart upload; its bytes are the blob `blobId`. */
export interface PartRow {
  uploadId: string;
  partNumber: number;
  blobId: string;
  size: number;
  etag: string;
  lastModified: number; // epoch ms
  /** Service-owned (e.g. the part's checksums as JSON); read back as null when none was given. */
  checksum?: string | null;
}

/**
 * Work-queue items an object write commits in its own transaction (a
 * transactional outbox: S3 event notifications cannot be lost between the
 * object's commit and their enqueue). Called inside that transaction, once per
 * key written or actually deleted, after the object's lock (so calls for one
 * key come in commit order), with the bucket's `config` as that transaction
 * reads it. Synchronous; must not throw. The writer wakes the queue's pollers
 * after the call resolves (store/queue-outbox.ts).
 */
export type ObjectOutbox = (key: string, bucketConfig: string) => readonly EnqueueInput[];

/**
 * Metadata of services/s3 (tables `s3_*`). Every write resolves after COMMIT.
 * A write that replaces or drops a blob reference returns the old blob id:
 * the caller deletes that blob after the call resolves. Concurrent writers of
 * one key each get a distinct previous id (exactly once), so no blob leaks and
 * none is deleted twice. Keys are compared and listed in UTF-8 byte order.
 *
 * A write into a bucket or upload that vanished under it (a DeleteBucket or
 * an abort that won the race after the caller checked) throws `GoneError`
 * (store/objects-repo.ts) with nothing written: answer NoSuchBucket /
 * NoSuchUpload and delete the new blob.
 */
export interface ObjectStore {
  /** 'exists' when a bucket of that name exists (whoever owns it); nothing changed then. */
  createBucket(b: { name: string; region: string; createdAt: number }): Promise<'created' | 'exists'>;
  getBucket(name: string): Promise<BucketRow | null>;
  /** Ordered by name. */
  listBuckets(): Promise<BucketRow[]>;
  /** Rewrites `config` atomically (read-modify-write under a lock); false if there is no such bucket. */
  updateBucketConfig(name: string, fn: (config: string) => string): Promise<boolean>;
  /**
   * Refuses ('not-empty', nothing changed) while the bucket has objects.
   * In-progress multipart uploads do not count and are dropped with the
   * bucket, as S3 does; their parts' blobs are left to the orphan sweep
   * (referencedBlobIds), or abort them first with deleteUpload.
   */
  deleteBucket(name: string): Promise<'deleted' | 'missing' | 'not-empty'>;

  /** Upserts the object (and commits `outbox`'s items with it). Throws GoneError when the bucket does not exist. */
  putObject(row: ObjectRow, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null }>;
  getObject(bucket: string, key: string): Promise<ObjectRow | null>;
  /** `outbox` is consulted only when the object existed. */
  deleteObject(bucket: string, key: string, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null }>;
  /** One transaction; one previous blob id (or null) per key, in input order (a repeated key: null after its first). `outbox`: once per key deleted. */
  deleteObjects(bucket: string, keys: readonly string[], outbox?: ObjectOutbox): Promise<(string | null)[]>;
  /**
   * Replaces the object's `meta`, or rewrites it atomically with `fn` (null:
   * leave it). Returns the row as it is now; null if there is no such object.
   */
  updateObjectMeta(bucket: string, key: string, meta: string | ((meta: string) => string | null)): Promise<ObjectRow | null>;
  /** Objects in key order (UTF-8 bytes), at most `limit`. `after` is exclusive. */
  listObjects(bucket: string, q: { prefix?: string; after?: string; limit: number }): Promise<ObjectRow[]>;
  /** One page of a listing with common prefixes rolled up (ListObjects/V2 with a delimiter), in one call. */
  listEntries(bucket: string, q: ObjectListQuery): Promise<ObjectListing>;
  countObjects(bucket: string): Promise<number>;

  /** Throws GoneError when the bucket does not exist. */
  createUpload(u: UploadRow): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRow | null>;
  /** Key order (UTF-8 bytes), then initiated, then upload id. */
  listUploads(bucket: string, q: UploadListQuery): Promise<UploadRow[]>;
  /** Upserts the part. Throws GoneError when the upload no longer exists. */
  putPart(p: PartRow): Promise<{ previousBlobId: string | null }>;
  /** Part number order; parts numbered after `after`. */
  listParts(uploadId: string, q: { after?: number; limit: number }): Promise<PartRow[]>;
  /** Aborts: the upload and its parts are gone; returns the parts' blob ids (null when there was no such upload). */
  deleteUpload(uploadId: string): Promise<string[] | null>;
  /**
   * One transaction: the object `row` is upserted, the upload and its parts
   * are gone. Throws GoneError when the upload (of row.bucket and row.key) or
   * its bucket no longer exists. Delete previousBlobId and partBlobIds after.
   */
  completeUpload(uploadId: string, row: ObjectRow, outbox?: ObjectOutbox): Promise<{ previousBlobId: string | null; partBlobIds: string[] }>;
  /** Uploads initiated before `olderThan` (epoch ms), oldest first. */
  staleUploads(olderThan: number, limit?: number): Promise<UploadRow[]>;

  /** Which of these blob ids an object or a part still references (orphan cleanup). */
  referencedBlobIds(ids: readonly string[]): Promise<Set<string>>;
}

export interface Store {
  readonly kind: StoreKind;
  /** Human-readable location (file path or URL without password). */
  readonly location: string;

  apps: {
    put(app: AppRecord): Promise<void>; // upsert by name
    get(name: string): Promise<AppRecord | null>;
    list(): Promise<AppRecord[]>; // ordered by name
    delete(name: string): Promise<boolean>;
  };

  functions: {
    put(fn: FunctionRecord): Promise<void>; // upsert by name
    get(name: string): Promise<FunctionRecord | null>;
    list(appName?: string): Promise<FunctionRecord[]>; // ordered by name
    delete(name: string): Promise<boolean>;
  };

  invocations: {
    /** One transaction for the whole batch. */
    insertMany(records: InvocationRecord[]): Promise<void>;
    list(q: InvocationQuery): Promise<InvocationRecord[]>; // newest first
    stats(functionName?: string, since?: number): Promise<FunctionStats[]>; // one per function, ordered by name
  };

  logs: {
    /** One transaction for the whole batch; assigns ids in order. */
    appendMany(records: LogRecord[]): Promise<void>;
    query(q: LogQuery): Promise<LogRecord[]>; // oldest first
  };

  /** Durable work queues with leases (async invocations, pollers, workflow steps). */
  queue: WorkQueue;

  /** Tables, items and streams of the DynamoDB-compatible service. */
  documents: DocumentStore;

  /** Buckets, objects and multipart uploads of the S3-compatible service (bytes: store/blobs.ts). */
  objects: ObjectStore;

  close(): Promise<void>;
}

/** What opens a store: a SQLite file path / data dir, or a postgres:// URL. */
export interface StoreOptions {
  /** `postgres://...` / `postgresql://...` selects PostgreSQL; anything else is a SQLite file path. */
  url: string;
}
