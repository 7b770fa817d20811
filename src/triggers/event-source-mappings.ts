/**
 * Event source mappings for ordered, sharded streams (DynamoDB Streams now,
 * Kinesis later): their persisted configuration (create / get / list /
 * update / delete, as the Lambda API needs them) and the runtime that polls
 * every shard of every enabled mapping and invokes the function in batches
 * (shard-poller.ts has the per-shard rules).
 *
 * Several nodes may share one PostgreSQL store: each (mapping, shard) has one
 * poller cluster-wide, the node holding its lease (triggers-repo.ts). Every
 * node scans the mappings periodically, takes the leases of shards nobody
 * holds (or whose holder stopped renewing), renews its own, and gives them
 * back on close. Configuration changes made through another node are picked
 * up at the next scan.
 *
 * Shard lineage (DynamoDB Streams, Kinesis resharding): a shard starts only
 * once its parent is finished (closed and read to its end) or gone (trimmed),
 * so records of a key stay in order across a split.
 *
 * A stream that disappears (table deleted, stream disabled) leaves the mapping
 * Enabled with LastProcessingResult `PROBLEM: Stream not found` and its
 * pollers stopped; it is looked for again at every scan. (AWS keeps such a
 * mapping too; it reports the failure in LastProcessingResult.)
 */
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors';
import type { Invoker } from '../invoke/types';
import type { InitialShardPosition, StoredMapping, TriggersRepo } from '../store/triggers-repo';
import { compileFilters, FilterPatternError, MAX_FILTERS, parseFilterPattern } from './filter-pattern';
import { shardKey, ShardPoller, type PollerContext, type RetryPolicy } from './shard-poller';
import {
  type CreateMappingInput,
  type CreateMappingResult,
  type DeliverFailure,
  type EventSourceMapping,
  type MappingQuery,
  type ShardedStreamSource,
  type ShardInfo,
  type UpdateMappingInput,
} from './types';

export interface EventSourceMappingsOptions {
  repo: TriggersRepo;
  invoker: Invoker;
  /** One per kind (`dynamodb`, `kinesis`). */
  sources: readonly ShardedStreamSource[];
  /** Sends failure records to OnFailure destinations; without it they are logged and dropped. */
  deliverFailure?: DeliverFailure;
  /** Lease owner id of this node: unique per running process. Default: a random UUID. */
  nodeId?: string;
  /** Lease length (default 30 s); renewed every third of it. */
  leaseMs?: number;
  /** How often mappings, shards and leases are looked at again (default 2 s). */
  scanIntervalMs?: number;
  /** An idle shard is read at least this often, in case a wake-up was missed (default 1 s). */
  idlePollMs?: number;
  /** Backoff between retries of a failed batch (default 1 s doubling to 60 s). */
  retry?: RetryPolicy;
  /** Attempts to deliver one failure record before it is logged and dropped (default 5). */
  failureDeliveryAttempts?: number;
  /** How long close() waits for an in-flight invocation (default 5 s); its checkpoint is then refused, so the batch repeats elsewhere. */
  closeTimeoutMs?: number;
  /** Clock (epoch ms); tests only. */
  now?: () => number;
  log?: (message: string) => void;
}

/** Lambda's defaults and limits for stream sources (CreateEventSourceMapping API reference; "Lambda parameters for Amazon DynamoDB event source mappings"). */
export const STREAM_DEFAULTS = {
  batchSize: 100,
  maximumBatchingWindowInSeconds: 0,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  parallelizationFactor: 1,
  tumblingWindowInSeconds: 0,
} as const;

export const RESULT_NONE = 'No records processed';
export const RESULT_STREAM_NOT_FOUND = 'PROBLEM: Stream not found';
/** AWS's StateTransitionReason after an API call. */
export const USER_ACTION = 'User action';

/** The configuration as stored in the repo's JSON column (everything but the indexed columns and status). */
type StoredConfig = Omit<EventSourceMapping, 'uuid' | 'functionName' | 'eventSourceArn' | 'lastModified' | 'lastProcessingResult' | 'state'> & {
  enabled: boolean;
};

export class EventSourceMappings {
  private readonly repo: TriggersRepo;
  private readonly invoker: Invoker;
  private readonly sources = new Map<string, ShardedStreamSource>();
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly scanIntervalMs: number;
  private readonly closeTimeoutMs: number;
  private readonly ctx: PollerContext;
  private readonly log: (message: string) => void;
  private readonly now: () => number;

  /** Mappings as of the last scan (or local change). */
  private mappings = new Map<string, EventSourceMapping>();
  private readonly filters = new Map<string, { patterns: string; fn: (view: unknown) => boolean }>();
  private readonly pollers = new Map<string, ShardPoller>();
  /** Stream ARN -> unsubscribe of the source's wake-up hint. */
  private readonly subscriptions = new Map<string, () => void>();
  /** Last LastProcessingResult written per mapping, so a steady state costs no writes. */
  private readonly results = new Map<string, string>();

  private started = false;
  private closed = false;
  private scanTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private rescan = false;

  constructor(opts: EventSourceMappingsOptions) {
    this.repo = opts.repo;
    this.invoker = opts.invoker;
    for (const s of opts.sources) this.sources.set(s.kind, s);
    this.owner = opts.nodeId ?? randomUUID();
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.scanIntervalMs = opts.scanIntervalMs ?? 2_000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((m) => console.error(`[nimbus] ${m}`));
    const self = this;
    this.ctx = {
      repo: this.repo,
      invoker: this.invoker,
      owner: this.owner,
      retry: opts.retry ?? { baseMs: 1_000, maxMs: 60_000 },
      idlePollMs: opts.idlePollMs ?? 1_000,
      failureDeliveryAttempts: opts.failureDeliveryAttempts ?? 5,
      deliverFailure: opts.deliverFailure,
      now: () => self.now(),
      mapping: (uuid) => self.mappings.get(uuid) ?? null,
      filter: (uuid) => self.filterOf(uuid),
      setResult: (uuid, result) => self.setResult(uuid, result),
      onExit: (poller, reason) => self.onPollerExit(poller, reason),
      log: (m) => self.log(m),
    };
  }

  /** This node's lease owner id. */
  get nodeId(): string {
    return this.owner;
  }

  // ---- configuration (the Lambda API's operations) ---------------------------

  /**
   * Creates a mapping. Validates what AWS validates for stream sources
   * (PlatformError ERR_BAD_REQUEST with AWS's message), reads the stream's
   * shards to fix the starting position now (LATEST: the tip of every shard at
   * this moment), and refuses a second mapping of the same function and
   * source (`{ conflict }`). The result's State is AWS's `Creating`.
   */
  async create(input: CreateMappingInput): Promise<CreateMappingResult> {
    const source = this.sourceFor(input.eventSourceArn);
    const config: StoredConfig = {
      functionArn: input.functionArn,
      batchSize: input.batchSize ?? STREAM_DEFAULTS.batchSize,
      maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? STREAM_DEFAULTS.maximumBatchingWindowInSeconds,
      startingPosition: input.startingPosition,
      startingPositionTimestamp: input.startingPosition === 'AT_TIMESTAMP' ? (input.startingPositionTimestamp ?? null) : null,
      enabled: input.enabled ?? true,
      stateTransitionReason: USER_ACTION,
      maximumRetryAttempts: input.maximumRetryAttempts ?? STREAM_DEFAULTS.maximumRetryAttempts,
      bisectBatchOnFunctionError: input.bisectBatchOnFunctionError ?? false,
      maximumRecordAgeInSeconds: input.maximumRecordAgeInSeconds ?? STREAM_DEFAULTS.maximumRecordAgeInSeconds,
      parallelizationFactor: input.parallelizationFactor ?? STREAM_DEFAULTS.parallelizationFactor,
      functionResponseTypes: [...new Set(input.functionResponseTypes ?? [])],
      filterPatterns: input.filterPatterns ?? [],
      onFailureDestination: input.onFailureDestination ?? null,
      tumblingWindowInSeconds: input.tumblingWindowInSeconds ?? STREAM_DEFAULTS.tumblingWindowInSeconds,
    };
    validateConfig(config, source.kind, input.eventSourceArn);
    const shards = await source.listShards(input.eventSourceArn);
    if (shards === null) throw badRequest(cannotAccessStream(source.kind, input.eventSourceArn));
    const initial = await this.initialPositions(source, input.eventSourceArn, shards, config);
    const now = this.now();
    const stored: StoredMapping = {
      uuid: input.uuid ?? randomUUID(),
      functionName: input.functionName,
      eventSourceArn: input.eventSourceArn,
      config: JSON.stringify(config),
      lastProcessingResult: RESULT_NONE,
      createdAt: now,
      lastModified: now,
    };
    const r = await this.repo.insertMapping(stored, initial);
    if ('conflict' in r) return { conflict: fromStored(r.conflict) };
    const created = fromStored(r.created);
    this.mappings.set(created.uuid, created);
    this.kick();
    return { created: { ...created, state: 'Creating' } };
  }

  async get(uuid: string): Promise<EventSourceMapping | null> {
    const s = await this.repo.getMapping(uuid);
    return s ? fromStored(s) : null;
  }

  /** Mappings of a function and/or a source, oldest first. */
  async list(q: MappingQuery = {}): Promise<EventSourceMapping[]> {
    return (await this.repo.listMappings(q)).map(fromStored);
  }

  /**
   * Changes a mapping; the position in the stream is kept (AWS: "without
   * losing your position"). Null when it does not exist; `{ conflict }` when
   * moving it to a function that already has a mapping of this source. The
   * result's State is AWS's transitional one (`Updating`, `Enabling`, `Disabling`).
   */
  async update(uuid: string, input: UpdateMappingInput): Promise<{ updated: EventSourceMapping } | { conflict: EventSourceMapping } | null> {
    const current = await this.repo.getMapping(uuid);
    if (!current) return null;
    const kind = this.sourceFor(current.eventSourceArn).kind;
    let wasEnabled = true;
    let nowEnabled = true;
    const now = this.now();
    const r = await this.repo.updateMapping(uuid, (cur) => {
      const c = parseConfig(cur.config);
      wasEnabled = c.enabled;
      const next: StoredConfig = {
        ...c,
        functionArn: input.functionArn ?? c.functionArn,
        enabled: input.enabled ?? c.enabled,
        batchSize: input.batchSize ?? c.batchSize,
        maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? c.maximumBatchingWindowInSeconds,
        maximumRetryAttempts: input.maximumRetryAttempts ?? c.maximumRetryAttempts,
        bisectBatchOnFunctionError: input.bisectBatchOnFunctionError ?? c.bisectBatchOnFunctionError,
        maximumRecordAgeInSeconds: input.maximumRecordAgeInSeconds ?? c.maximumRecordAgeInSeconds,
        parallelizationFactor: input.parallelizationFactor ?? c.parallelizationFactor,
        functionResponseTypes: input.functionResponseTypes ? [...new Set(input.functionResponseTypes)] : c.functionResponseTypes,
        filterPatterns: input.filterPatterns ?? c.filterPatterns,
        onFailureDestination: input.onFailureDestination !== undefined ? input.onFailureDestination : c.onFailureDestination,
        tumblingWindowInSeconds: input.tumblingWindowInSeconds ?? c.tumblingWindowInSeconds,
        stateTransitionReason: USER_ACTION,
      };
      validateConfig(next, kind, cur.eventSourceArn);
      nowEnabled = next.enabled;
      return { functionName: input.functionName ?? cur.functionName, config: JSON.stringify(next), lastModified: now };
    });
    if (r === null) return null;
    if ('conflict' in r) return { conflict: fromStored(r.conflict) };
    const updated = fromStored(r.updated);
    this.mappings.set(uuid, updated);
    this.kick();
    const state = wasEnabled === nowEnabled ? 'Updating' : nowEnabled ? 'Enabling' : 'Disabling';
    return { updated: { ...updated, state } };
  }

  /** Deletes a mapping and its positions; its pollers stop. Null when it does not exist. State in the result: `Deleting`. */
  async delete(uuid: string): Promise<EventSourceMapping | null> {
    const gone = await this.repo.deleteMapping(uuid);
    if (!gone) return null;
    this.mappings.delete(uuid);
    this.results.delete(uuid);
    this.filters.delete(uuid);
    this.stopMappingPollers(uuid);
    this.kick();
    return { ...fromStored(gone), state: 'Deleting' };
  }

  // ---- runtime ------------------------------------------------------------

  /** Starts scanning and polling (idempotent). */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.scheduleRenew();
    await this.scan();
  }

  /** Looks at mappings and shards now (after a configuration change, or when a caller knows shards changed). */
  kick(): void {
    if (!this.started || this.closed) return;
    void this.scan();
  }

  /**
   * Stops every poller (an in-flight invocation is awaited up to
   * closeTimeoutMs, and its checkpoint kept), unsubscribes from the sources,
   * and gives this node's leases back so another node can take over at once.
   * `keepLeases` leaves them to expire instead, as a crashed node would (tests
   * of takeover).
   */
  async close(opts: { keepLeases?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scanTimer) clearTimeout(this.scanTimer);
    if (this.renewTimer) clearTimeout(this.renewTimer);
    this.scanTimer = this.renewTimer = null;
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
    const pollers = [...this.pollers.values()];
    await Promise.all(pollers.map((p) => p.stop(this.closeTimeoutMs)));
    await this.scanning?.catch(() => undefined);
    if (this.started && !opts.keepLeases) {
      await this.repo.releaseLeases(this.owner).catch((e) => this.log(`event source mappings: releasing leases failed: ${describe(e)}`));
    }
  }

  /** Shards this node polls now, as `mappingUuid/shardId` (diagnostics, tests). */
  activeShards(): string[] {
    return [...this.pollers.values()].filter((p) => !p.isStopped).map((p) => `${p.mappingUuid}/${p.shardId}`).sort();
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        do {
          this.rescan = false;
          await this.scanOnce().catch((e) => this.log(`event source mappings: scan failed: ${describe(e)}`));
        } while (this.rescan && !this.closed);
      } finally {
        this.scanning = null;
        this.scheduleScan();
      }
    })();
    return this.scanning;
  }

  private scheduleScan(): void {
    if (this.closed) return;
    if (this.scanTimer) clearTimeout(this.scanTimer);
    this.scanTimer = setTimeout(() => {
      this.scanTimer = null;
      void this.scan();
    }, this.scanIntervalMs);
    this.scanTimer.unref?.();
  }

  private scheduleRenew(): void {
    if (this.closed) return;
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      void this.renew().finally(() => this.scheduleRenew());
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref?.();
  }

  /** Renews every lease of this node in one statement; pollers whose shard was taken over stop. */
  private async renew(): Promise<void> {
    if (this.closed || this.pollers.size === 0) return;
    // Only pollers that existed before the UPDATE: one started meanwhile holds a lease the UPDATE did not see.
    const before = [...this.pollers.values()];
    try {
      const held = new Set((await this.repo.renewLeases(this.owner, this.leaseMs, this.now())).map((k) => shardKey(k.mappingUuid, k.shardId)));
      if (this.closed) return;
      for (const p of before) {
        if (!p.isStopped && !held.has(p.key)) {
          this.log(`event source mapping ${p.mappingUuid}: shard ${p.shardId} was taken over by another node`);
          void p.stop();
        }
      }
    } catch (e) {
      this.log(`event source mappings: renewing leases failed: ${describe(e)}`);
    }
  }

  private async scanOnce(): Promise<void> {
    const all = await this.repo.listMappings();
    if (this.closed) return;
    const next = new Map<string, EventSourceMapping>();
    for (const s of all) {
      try {
        next.set(s.uuid, fromStored(s));
      } catch (e) {
        this.log(`event source mapping ${s.uuid}: unreadable configuration: ${describe(e)}`);
      }
    }
    this.mappings = next;
    for (const p of this.pollers.values()) {
      const m = next.get(p.mappingUuid);
      if (!m || m.state !== 'Enabled') void p.stop();
    }
    const streams = new Set<string>();
    for (const m of next.values()) {
      if (m.state !== 'Enabled' || this.closed) continue;
      const source = this.sources.get(kindOf(m.eventSourceArn) ?? '');
      if (!source) continue;
      streams.add(m.eventSourceArn);
      await this.scanMapping(m, source).catch((e) => this.log(`event source mapping ${m.uuid}: ${describe(e)}`));
    }
    // Wake-up hints only for streams some enabled mapping reads.
    for (const [arn, unsubscribe] of this.subscriptions) {
      if (!streams.has(arn)) {
        unsubscribe();
        this.subscriptions.delete(arn);
      }
    }
  }

  private async scanMapping(m: EventSourceMapping, source: ShardedStreamSource): Promise<void> {
    const shards = await source.listShards(m.eventSourceArn);
    if (this.closed) return;
    if (shards === null) {
      this.stopMappingPollers(m.uuid);
      this.setResult(m.uuid, RESULT_STREAM_NOT_FOUND);
      return;
    }
    if (this.results.get(m.uuid) === RESULT_STREAM_NOT_FOUND || m.lastProcessingResult === RESULT_STREAM_NOT_FOUND) {
      this.setResult(m.uuid, RESULT_NONE);
    }
    if (!this.subscriptions.has(m.eventSourceArn)) {
      const arn = m.eventSourceArn;
      this.subscriptions.set(arn, source.onRecords(arn, () => this.wakeStream(arn)));
    }
    const positions = new Map((await this.repo.listShards(m.uuid)).map((p) => [p.shardId, p]));
    const listed = new Set(shards.map((s) => s.shardId));
    const now = this.now();
    // A shard no longer listed was trimmed: nothing is left to read in it.
    for (const p of this.pollers.values()) if (p.mappingUuid === m.uuid && !listed.has(p.shardId)) void p.stop();
    for (const shard of shards) {
      const key = shardKey(m.uuid, shard.shardId);
      const local = this.pollers.get(key);
      if (local && !local.isStopped) {
        local.closed = shard.closed;
        continue;
      }
      const pos = positions.get(shard.shardId);
      if (pos?.finished) continue;
      // Lineage: the parent first, unless it is gone (trimmed) or done.
      if (shard.parentShardId !== null && listed.has(shard.parentShardId) && !positions.get(shard.parentShardId)?.finished) continue;
      if (pos && pos.leaseOwner !== null && pos.leaseOwner !== this.owner && pos.leaseUntil >= now) continue;
      const got = await this.repo.acquireShard(m.uuid, shard.shardId, this.owner, this.leaseMs, now);
      if (!got || this.closed) continue;
      const poller = new ShardPoller(this.ctx, m.uuid, m.eventSourceArn, shard.shardId, source, got.checkpoint);
      poller.closed = shard.closed;
      this.pollers.set(key, poller);
      poller.start();
    }
  }

  private wakeStream(arn: string): void {
    for (const p of this.pollers.values()) if (p.streamArn === arn) p.wake();
  }

  private stopMappingPollers(uuid: string): void {
    for (const p of this.pollers.values()) if (p.mappingUuid === uuid) void p.stop();
  }

  private onPollerExit(poller: ShardPoller, reason: 'finished' | 'lost' | 'inactive' | 'stopped'): void {
    if (this.pollers.get(poller.key) === poller) this.pollers.delete(poller.key);
    if (this.closed) return;
    // Give the shard back right away unless it is finished or already someone else's.
    if (reason === 'inactive' || reason === 'stopped') {
      void this.repo.releaseLeases(this.owner, [{ mappingUuid: poller.mappingUuid, shardId: poller.shardId }]).catch(() => undefined);
    }
    // A finished parent lets its children start.
    if (reason === 'finished') this.kick();
  }

  private filterOf(uuid: string): (view: unknown) => boolean {
    const m = this.mappings.get(uuid);
    if (!m) return () => false;
    const key = JSON.stringify(m.filterPatterns);
    const cached = this.filters.get(uuid);
    if (cached && cached.patterns === key) return cached.fn;
    const fn = compileFilters(m.filterPatterns);
    this.filters.set(uuid, { patterns: key, fn });
    return fn;
  }

  private setResult(uuid: string, result: string): void {
    if (this.closed || this.results.get(uuid) === result) return;
    this.results.set(uuid, result);
    const m = this.mappings.get(uuid);
    if (m) this.mappings.set(uuid, { ...m, lastProcessingResult: result });
    void this.repo.setLastProcessingResult(uuid, result).catch((e) => this.log(`event source mapping ${uuid}: ${describe(e)}`));
  }

  private sourceFor(arn: string): ShardedStreamSource {
    const kind = kindOf(arn);
    const source = kind ? this.sources.get(kind) : undefined;
    if (!source) {
      const service = arn.split(':')[2] ?? '';
      throw badRequest(`Nimbus does not support event source mappings for ${service || 'this event source'} yet: only DynamoDB streams${this.sources.has('kinesis') ? ' and Kinesis streams' : ''}.`);
    }
    return source;
  }

  /**
   * Positions fixed at creation. TRIM_HORIZON needs none (a shard without a
   * row starts at its beginning). LATEST: every shard's newest record now
   * (closed shards are finished). AT_TIMESTAMP: just before the first record
   * that arrived at or after the time.
   */
  private async initialPositions(source: ShardedStreamSource, arn: string, shards: readonly ShardInfo[], c: StoredConfig): Promise<InitialShardPosition[]> {
    if (c.startingPosition === 'TRIM_HORIZON') return [];
    const out: InitialShardPosition[] = [];
    for (const s of shards) {
      if (c.startingPosition === 'LATEST') {
        out.push({ shardId: s.shardId, checkpoint: await source.latestSequence(arn, s.shardId), finished: s.closed });
        continue;
      }
      const at = c.startingPositionTimestamp ?? 0;
      let after: string | null = null;
      let reachedTime = false;
      for (;;) {
        const page = await source.read(arn, s.shardId, after, 1000);
        for (const r of page) {
          if (r.approximateArrivalMs >= at) {
            reachedTime = true;
            break;
          }
          after = r.sequenceNumber;
        }
        if (reachedTime || page.length === 0) break;
      }
      out.push({ shardId: s.shardId, checkpoint: after, finished: s.closed && !reachedTime });
    }
    return out;
  }
}

/** `dynamodb` for DynamoDB stream ARNs, `kinesis` for Kinesis stream ARNs, else null. */
export function kindOf(arn: string): 'dynamodb' | 'kinesis' | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const resource = parts.slice(5).join(':');
  if (parts[2] === 'dynamodb' && /^table\/[^/]+\/stream\/.+/.test(resource)) return 'dynamodb';
  if (parts[2] === 'kinesis' && /^stream\/.+/.test(resource)) return 'kinesis';
  return null;
}

/** AWS's wording when Lambda cannot read a stream (the console and CloudFormation quote it for missing streams too). */
export function cannotAccessStream(kind: 'dynamodb' | 'kinesis', arn: string): string {
  const actions = kind === 'kinesis' ? 'GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams' : 'GetRecords, GetShardIterator, DescribeStream, and ListStreams';
  return `Cannot access stream ${arn}. Please ensure the role can perform the ${actions} Actions on your stream in IAM.`;
}

function badRequest(message: string): PlatformError {
  return new PlatformError('ERR_BAD_REQUEST', message);
}

/**
 * Limits AWS enforces for stream sources (CreateEventSourceMapping API
 * reference); the Lambda API checks the shapes first, so these matter for
 * other callers (app deploys).
 */
function validateConfig(c: StoredConfig, kind: 'dynamodb' | 'kinesis', arn: string): void {
  const range = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max) throw badRequest(`${name} must be an integer between ${min} and ${max}, got ${v}.`);
  };
  range('BatchSize', c.batchSize, 1, 10_000);
  range('MaximumBatchingWindowInSeconds', c.maximumBatchingWindowInSeconds, 0, 300);
  range('MaximumRetryAttempts', c.maximumRetryAttempts, -1, 10_000);
  range('MaximumRecordAgeInSeconds', c.maximumRecordAgeInSeconds, -1, 604_800);
  if (c.maximumRecordAgeInSeconds !== -1 && c.maximumRecordAgeInSeconds < 60) {
    throw badRequest(`MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800, got ${c.maximumRecordAgeInSeconds}.`);
  }
  range('ParallelizationFactor', c.parallelizationFactor, 1, 10);
  range('TumblingWindowInSeconds', c.tumblingWindowInSeconds, 0, 900);
  if (c.startingPosition === 'AT_TIMESTAMP' && kind !== 'kinesis') throw badRequest(`Unsupported starting position for arn type: ${arn}`);
  if (c.startingPosition === 'AT_TIMESTAMP' && c.startingPositionTimestamp === null) {
    throw badRequest('StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP.');
  }
  if (c.filterPatterns.length > MAX_FILTERS) {
    throw badRequest(`1 validation error detected: Value at 'filterCriteria.filters' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FILTERS}`);
  }
  for (const p of c.filterPatterns) {
    try {
      parseFilterPattern(p);
    } catch (e) {
      if (e instanceof FilterPatternError) throw badRequest(e.message);
      throw e;
    }
  }
}

function parseConfig(json: string): StoredConfig {
  return JSON.parse(json) as StoredConfig;
}

function fromStored(s: StoredMapping): EventSourceMapping {
  const { enabled, ...c } = parseConfig(s.config);
  return {
    uuid: s.uuid,
    functionName: s.functionName,
    eventSourceArn: s.eventSourceArn,
    ...c,
    state: enabled ? 'Enabled' : 'Disabled',
    lastModified: s.lastModified,
    lastProcessingResult: s.lastProcessingResult,
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
