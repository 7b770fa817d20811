/**
 * S3 event notifications to functions: for each object change, every target
 * of the bucket's notification configuration whose event pattern and
 * prefix/suffix filters match gets an asynchronous invocation (the durable
 * queue, with Lambda's retries) carrying S3's event record: URL-encoded key,
 * sequencer, eTag, size ("Event message structure", S3 user guide).
 *
 * Recursive loops (a function writing back into the bucket that triggers it)
 * stop as Lambda's recursive loop detection stops them: the trace header's
 * Lineage counts the invocations a chain of events caused, and past 16 the
 * event is dropped with a log line.
 */
import { MAX_LINEAGE, lineageOf, withLineage } from '../observe/trace';

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
  onEvent(listener: (e: ObjectChange) => void): () => void;
  notificationTargets(bucket: string): Promise<NotificationTarget[]>;
}

export interface S3NotificationsOptions {
  source: ObjectEventSource;
  region: string;
  /** Queues an asynchronous invocation (durable); resolves once accepted. */
  accept(functionName: string, payload: string, traceId: string): Promise<unknown>;
  /** The deployed function an ARN names, or null. */
  functionOfArn(arn: string): string | null;
  log(message: string): void;
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

let lastSeq = 0n;
/** Increasing per process, as S3's sequencer orders events of one key (hex, compare after padding). */
function sequencer(): string {
  let s = BigInt(Date.now()) * 1000000n;
  if (s <= lastSeq) s = lastSeq + 1n;
  lastSeq = s;
  return s.toString(16).toUpperCase().padStart(18, '0');
}

export function s3EventRecord(e: ObjectChange, target: NotificationTarget, region: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: eventKey(e.key) };
  if (e.name.startsWith('ObjectCreated')) {
    object.size = e.size;
    object.eTag = e.etag;
  }
  object.sequencer = sequencer();
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
  private readonly unsubscribe: () => void;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: S3NotificationsOptions) {
    this.unsubscribe = opts.source.onEvent((e) => {
      const p = this.deliver(e).catch((err) => opts.log(`S3 notification for s3://${e.bucket}/${e.key} failed: ${(err as Error).message}`));
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    });
  }

  private async deliver(e: ObjectChange): Promise<void> {
    const targets = (await this.opts.source.notificationTargets(e.bucket)).filter(
      (t) =>
        t.kind === 'lambda' &&
        t.events.some((p) => eventMatches(p, e.name)) &&
        (t.prefix === undefined || e.key.startsWith(t.prefix)) &&
        (t.suffix === undefined || e.key.endsWith(t.suffix)),
    );
    if (targets.length === 0) return;
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
      await this.opts.accept(fn, JSON.stringify({ Records: [s3EventRecord(e, t, this.opts.region)] }), withLineage(e.traceId, depth));
    }
  }

  /** Waits for deliveries in flight (shutdown). */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.allSettled([...this.inflight]);
  }
}
