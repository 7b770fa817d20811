/**
 * S3 event notifications to functions: for each object change, every target
 * of the bucket's notification configuration whose event pattern and
 * prefix/suffix filters match gets an asynchronous invocation (the durable
 * queue, with Lambda's retries) carrying S3's event record: URL-encoded key,
 * sequencer, eTag, size ("Event message structure", S3 user guide).
 *
 * Delivery cannot lose an event: the S3 service commits each change's event
 * into a work queue (its outbox, `eventsQueue`) in the transaction that
 * commits the object (services/s3/engine.ts). This poller claims those items,
 * resolves the bucket's targets and filters as the configuration is at
 * delivery, and replaces each item by its asynchronous invocations in one
 * transaction (`completeAndEnqueue`): on the normal path every event becomes
 * its invocations exactly once; after a crash an item whose replacement did
 * not commit is claimed again when its lease lapses (at least once).
 *
 * Recursive loops (a function writing back into the bucket that triggers it)
 * stop as Lambda's recursive loop detection stops them: the trace header's
 * Lineage counts the invocations a chain of events caused, and past 16 the
 * event is dropped with a log line.
 */
import { MAX_LINEAGE, lineageOf, withLineage } from '../observe/trace';
import type { EnqueueInput, QueueItem, WorkQueue } from '../store/types';

/** One queued S3 event (services/s3/engine.ts ObjectEvent, as JSON). */
export interface ObjectChange {
  /** `ObjectCreated:Put`, `ObjectRemoved:Delete`, ... (without `s3:`). */
  name: string;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  time: number;
  requestId: string;
  sourceIp: string;
  principal: string;
  traceId?: string;
  /** S3's sequencer, assigned when the change committed. */
  sequencer: string;
}

export interface NotificationTarget {
  id: string;
  arn: string;
  kind: 'lambda' | 'queue' | 'topic';
  /** `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, ... */
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface ObjectEventSource {
  /** Called after a write committed events into the queue (an in-process wake-up; the poller polls anyway). */
  onCommitted(listener: () => void): () => void;
  notificationTargets(bucket: string): Promise<NotificationTarget[]>;
}

export interface S3NotificationsOptions {
  source: ObjectEventSource;
  queue: WorkQueue;
  /** The queue the S3 service commits its events into (S3_EVENTS_QUEUE). */
  eventsQueue: string;
  /** Lease holder id of this node's poller. */
  owner: string;
  region: string;
  /**
   * The asynchronous invocation an event becomes, as a queue item
   * (AsyncInvoker.eventItem); throws when the function cannot take it.
   */
  invocation(functionName: string, payload: string, traceId: string): EnqueueInput;
  /** The deployed function an ARN names, or null. */
  functionOfArn(arn: string): string | null;
  log(message: string): void;
  /** Lease on a claimed event (its handover takes a read and a commit); after a crash it is delivered again once this lapses (default 10 s). */
  leaseMs?: number;
  /** Events claimed at once (default 64). */
  batch?: number;
  /** Longest sleep while idle: other nodes' events and missed wake-ups (default 1 s). */
  idleMs?: number;
  /** Delay before an event whose delivery failed in the platform is tried again (default 1 s). */
  retryMs?: number;
}

/** Whether a configured event pattern (`s3:ObjectCreated:*`) covers an event (`ObjectCreated:Put`). */
export function eventMatches(pattern: string, name: string): boolean {
  const p = pattern.startsWith('s3:') ? pattern.slice(3) : pattern;
  if (p === '*') return true;
  if (p.endsWith(':*')) return name.startsWith(p.slice(0, -1));
  return p === name;
}

/** S3 URL-encodes keys in events as HTML forms do (spaces as `+`). */
export function eventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function s3EventRecord(e: ObjectChange, target: NotificationTarget, region: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: eventKey(e.key) };
  if (e.name.startsWith('ObjectCreated')) {
    object.size = e.size;
    object.eTag = e.etag;
  }
  object.sequencer = e.sequencer;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: new Date(e.time).toISOString(),
    eventName: e.name,
    userIdentity: { principalId: e.principal },
    requestParameters: { sourceIPAddress: e.sourceIp },
    responseElements: { 'x-amz-request-id': e.requestId.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': Buffer.from(e.requestId).toString('base64') },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: target.id,
      bucket: { name: e.bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${e.bucket}` },
      object,
    },
  };
}

export class S3Notifications {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A wake-up came while a round was in progress: run another before sleeping. */
  private poked = false;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly opts: S3NotificationsOptions) {}

  /** Starts delivering (after the functions are known: an event for an unknown function is dropped). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = [this.opts.source.onCommitted(() => this.poke()), this.opts.queue.onEnqueued(this.opts.eventsQueue, () => this.poke())];
    this.loop = this.run();
  }

  private poke(): void {
    this.poked = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async run(): Promise<void> {
    const max = this.opts.batch ?? 64;
    while (this.running) {
      this.poked = false;
      let claimed: QueueItem[] = [];
      let failed = false;
      try {
        claimed = await this.opts.queue.claim(this.opts.eventsQueue, this.opts.owner, { max, leaseMs: this.opts.leaseMs ?? 10_000 });
      } catch (e) {
        failed = true;
        this.opts.log(`S3 notifications: claim failed: ${(e as Error).message}`);
      }
      if (claimed.length > 0) {
        // One configuration read per bucket per batch; the batch's handovers share commits (group commit).
        const targets = new Map<string, Promise<NotificationTarget[]>>();
        await Promise.all(claimed.map((item) => this.process(item, targets)));
        if (claimed.length === max) continue;
      }
      if (!this.running) break;
      if (this.poked) continue;
      let wait = this.opts.idleMs ?? 1000;
      try {
        // After a failed claim the store is in trouble: wait the whole idle time, not spin.
        const next = failed ? null : await this.opts.queue.nextAvailableAt(this.opts.eventsQueue);
        if (next !== null) wait = Math.max(0, Math.min(wait, next - Date.now()));
      } catch {
        // poll again after the idle wait
      }
      if (!this.running || this.poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(wait, 5));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Replaces one queued event by its invocations (one transaction); never throws. */
  private async process(item: QueueItem, cache: Map<string, Promise<NotificationTarget[]>>): Promise<void> {
    let e: ObjectChange;
    try {
      e = JSON.parse(item.payload) as ObjectChange;
    } catch {
      this.opts.log(`S3 notifications: event ${item.id} is not JSON; dropped`);
      await this.opts.queue.complete(item.id, this.opts.owner).catch(() => false);
      return;
    }
    try {
      let pending = cache.get(e.bucket);
      if (!pending) cache.set(e.bucket, (pending = this.opts.source.notificationTargets(e.bucket)));
      const next = this.invocations(e, await pending);
      // False: the lease was lost (another node has the event now): nothing was written.
      await this.opts.queue.completeAndEnqueue(item.id, this.opts.owner, next);
    } catch (err) {
      this.opts.log(`S3 notification for s3://${e.bucket}/${e.key} failed, retrying: ${(err as Error).message}`);
      await this.opts.queue.release(item.id, this.opts.owner, { availableAt: Date.now() + (this.opts.retryMs ?? 1000) }).catch(() => false);
    }
  }

  /** The asynchronous invocations an event becomes under the bucket's current configuration. */
  private invocations(e: ObjectChange, all: readonly NotificationTarget[]): EnqueueInput[] {
    const targets = all.filter(
      (t) =>
        t.kind === 'lambda' &&
        t.events.some((p) => eventMatches(p, e.name)) &&
        (t.prefix === undefined || e.key.startsWith(t.prefix)) &&
        (t.suffix === undefined || e.key.endsWith(t.suffix)),
    );
    const out: EnqueueInput[] = [];
    if (targets.length === 0) return out;
    const depth = lineageOf(e.traceId) + 1;
    for (const t of targets) {
      const fn = this.opts.functionOfArn(t.arn);
      if (!fn) {
        this.opts.log(`S3 notification ${t.id} of bucket ${e.bucket}: no function ${t.arn}; event ${e.name} for ${e.key} dropped`);
        continue;
      }
      if (depth > MAX_LINEAGE) {
        this.opts.log(
          `Lambda stopped a recursive invocation loop: function ${fn} was invoked ${MAX_LINEAGE} times by a chain of S3 events from bucket ${e.bucket}; event ${e.name} for ${e.key} dropped`,
        );
        continue;
      }
      try {
        out.push(this.opts.invocation(fn, JSON.stringify({ Records: [s3EventRecord(e, t, this.opts.region)] }), withLineage(e.traceId, depth)));
      } catch (err) {
        // The function went away or the record is too large for an event: nothing a retry would change.
        this.opts.log(`S3 notification ${t.id} of bucket ${e.bucket}: event ${e.name} for ${e.key} dropped: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Stops claiming; an event being handed over finishes, claimed ones not yet handed over wait for their lease. */
  async close(): Promise<void> {
    this.running = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.poke();
    await this.loop;
  }
}
