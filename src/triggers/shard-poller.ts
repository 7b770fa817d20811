/**
 * One shard of one mapping, polled by the node holding its lease: reads
 * batches after the checkpoint, filters them, invokes the function and moves
 * the checkpoint, with AWS Lambda's rules for stream sources (DynamoDB
 * Streams, Kinesis). Strictly in order, one batch in flight; the checkpoint is
 * committed before the next batch goes out, so while the function succeeds
 * every record is delivered once, and after a crash at most the batch that
 * was in flight is delivered again.
 *
 * Failure handling (AWS Lambda developer guide, "Retaining discarded records
 * for a DynamoDB event source" / "... Kinesis ..."):
 * - a throttle or any error before the function ran (InvokeError
 *   TooManyRequests, ResourceNotFound, Service) is retried until the records
 *   expire (MaximumRecordAgeInSeconds); it does not count against
 *   MaximumRetryAttempts;
 * - a function error is retried up to MaximumRetryAttempts (-1: until the
 *   records expire); with BisectBatchOnFunctionError the failed batch is split
 *   in two first, and "splitting a batch does not count towards the retry
 *   quota";
 * - ReportBatchItemFailures ("Configuring partial batch response with
 *   DynamoDB and Lambda"): the checkpoint moves to just before the lowest
 *   sequence number reported, and the rest is retried; an empty or null list,
 *   or an empty / null response, is complete success; an empty or null
 *   itemIdentifier, or an item without that key, is complete failure (as is,
 *   here, a sequence number that is not in the batch);
 * - given-up records are skipped; when the mapping has an OnFailure
 *   destination, an invocation record describing them (not the records) is
 *   sent there first.
 */
import { randomUUID } from 'node:crypto';
import { InvokeError, type Invoker, type InvokeResult } from '../invoke/types';
import type { TriggersRepo } from '../store/triggers-repo';
import {
  compareSequence,
  type DeliverFailure,
  type EventSourceMapping,
  type ShardedStreamSource,
  type StreamBatchInfo,
  type StreamFailureRecord,
  type StreamRecord,
} from './types';

/** Synchronous invocation payloads are at most 6 MB (Lambda quotas), so a batch is cut there too. */
export const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Room for `{"Records":[` ... `]}` and the commas. */
const ENVELOPE_BYTES = 64;

export const RESULT_OK = 'OK';
export const RESULT_FUNCTION_FAILED = 'PROBLEM: Function call failed';

export interface RetryPolicy {
  /** First retry delay; doubles per consecutive failure. */
  baseMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
}

/** What a poller needs from the EventSourceMappings that runs it. */
export interface PollerContext {
  readonly repo: TriggersRepo;
  readonly invoker: Invoker;
  readonly owner: string;
  readonly retry: RetryPolicy;
  readonly idlePollMs: number;
  readonly failureDeliveryAttempts: number;
  readonly deliverFailure: DeliverFailure | undefined;
  now(): number;
  /** The mapping's current configuration, or null when it was deleted. */
  mapping(uuid: string): EventSourceMapping | null;
  /** The mapping's filter, compiled once per configuration. */
  filter(uuid: string): (view: unknown) => boolean;
  setResult(uuid: string, result: string): void;
  /** A poller stopped on its own (shard finished, lease lost, mapping gone or disabled). */
  onExit(poller: ShardPoller, reason: 'finished' | 'lost' | 'inactive' | 'stopped'): void;
  log(message: string): void;
}

interface Segment {
  records: StreamRecord[];
  /** Failed invocations of these records (bisection keeps the count: AWS does not count a split as a retry). */
  failures: number;
  last: LastResponse | null;
}

interface LastResponse {
  requestId: string;
  statusCode: number;
  functionError?: string;
}

type Outcome =
  | { kind: 'ok'; res: LastResponse }
  | { kind: 'partial'; from: string; res: LastResponse }
  | { kind: 'function-error'; res: LastResponse }
  | { kind: 'not-invoked'; res: LastResponse | null };

export class ShardPoller {
  private stopped = false;
  private woken = false;
  private waiter: (() => void) | null = null;
  private done: Promise<void> | null = null;
  /** Consecutive failures of this shard, for the backoff. */
  private streak = 0;
  /** Whether the shard was seen closed, as of the last listing that preceded the current read. */
  closed = false;

  constructor(
    private readonly ctx: PollerContext,
    readonly mappingUuid: string,
    readonly streamArn: string,
    readonly shardId: string,
    private readonly source: ShardedStreamSource,
    private checkpointSeq: string | null,
  ) {}

  get key(): string {
    return shardKey(this.mappingUuid, this.shardId);
  }

  start(): void {
    this.done ??= this.run().catch((e) => this.ctx.log(`event source mapping ${this.mappingUuid} shard ${this.shardId}: ${describe(e)}`));
  }

  /** New records may be there. */
  wake(): void {
    this.woken = true;
    this.waiter?.();
  }

  /** Stops after the current step; resolves when the loop has ended (an in-flight invocation is not awaited past `timeoutMs`). */
  async stop(timeoutMs = Infinity): Promise<void> {
    this.stopped = true;
    this.waiter?.();
    if (!this.done) return;
    if (timeoutMs === Infinity) return this.done;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private async run(): Promise<void> {
    let reason: 'finished' | 'lost' | 'inactive' | 'stopped' = 'stopped';
    try {
      reason = await this.loop();
    } finally {
      this.stopped = true;
      this.ctx.onExit(this, reason);
    }
  }

  private async loop(): Promise<'finished' | 'lost' | 'inactive' | 'stopped'> {
    while (!this.stopped) {
      const m = this.ctx.mapping(this.mappingUuid);
      if (!m || m.state !== 'Enabled') return 'inactive';
      const closedBeforeRead = this.closed;
      let records: StreamRecord[];
      try {
        records = await this.source.read(this.streamArn, this.shardId, this.checkpointSeq, m.batchSize);
      } catch (e) {
        this.ctx.log(`event source mapping ${m.uuid}: reading shard ${this.shardId} failed: ${describe(e)}`);
        await this.wait(this.backoff(), false);
        continue;
      }
      if (this.stopped) break;
      if (records.length === 0) {
        if (closedBeforeRead) {
          // Closed before this read began and nothing after the checkpoint: done, the children may start.
          return (await this.commit(this.checkpointSeq, true)) ? 'finished' : 'lost';
        }
        await this.wait(this.ctx.idlePollMs, true);
        continue;
      }
      records = await this.fillBatch(m, records);
      if (this.stopped) break;
      const batch = cutToPayloadLimit(records);
      const result = await this.process(batch);
      if (result !== 'ok') return result;
    }
    return 'stopped';
  }

  /** MaximumBatchingWindowInSeconds: keeps reading until the batch is full or the window since the first record ends. */
  private async fillBatch(m: EventSourceMapping, records: StreamRecord[]): Promise<StreamRecord[]> {
    const windowMs = m.maximumBatchingWindowInSeconds * 1000;
    if (windowMs <= 0 || records.length >= m.batchSize) return records;
    const deadline = this.ctx.now() + windowMs;
    while (!this.stopped && records.length < m.batchSize) {
      const left = deadline - this.ctx.now();
      if (left <= 0) break;
      await this.wait(Math.min(left, this.ctx.idlePollMs), true);
      if (this.stopped) break;
      try {
        const more = await this.source.read(this.streamArn, this.shardId, records[records.length - 1]!.sequenceNumber, m.batchSize - records.length);
        records = records.concat(more);
      } catch (e) {
        this.ctx.log(`event source mapping ${m.uuid}: reading shard ${this.shardId} failed: ${describe(e)}`);
        break;
      }
    }
    return records;
  }

  /** Delivers one batch; 'ok' once every record is checkpointed (processed, filtered out or given up). */
  private async process(batch: StreamRecord[]): Promise<'ok' | 'lost' | 'inactive' | 'stopped'> {
    const endSeq = batch[batch.length - 1]!.sequenceNumber;
    let m = this.ctx.mapping(this.mappingUuid);
    if (!m) return 'inactive';
    const filter = this.ctx.filter(m.uuid);
    const source = this.source;
    const matched = batch.filter((r) => filter(source.filterView ? source.filterView(r) : r.data));
    // Records no filter matches are dropped and checkpointed (Lambda docs, event filtering).
    const queue: Segment[] = matched.length > 0 ? [{ records: matched, failures: 0, last: null }] : [];
    while (queue.length > 0) {
      if (this.stopped) return 'stopped';
      m = this.ctx.mapping(this.mappingUuid);
      if (!m || m.state !== 'Enabled') return 'inactive';
      const seg = queue[0]!;

      const expired = this.expiredPrefix(m, seg.records);
      if (expired > 0) {
        const old = seg.records.splice(0, expired);
        await this.giveUp(m, old, seg, 'RecordAgeExceeded');
        if (!(await this.commit(old[old.length - 1]!.sequenceNumber, false))) return 'lost';
        if (seg.records.length === 0) {
          queue.shift();
          continue;
        }
      }

      // A completed invocation is checkpointed even when a stop came meanwhile (close waits for it).
      const outcome = await this.invoke(m, seg.records);
      switch (outcome.kind) {
        case 'ok': {
          this.streak = 0;
          this.ctx.setResult(m.uuid, RESULT_OK);
          queue.shift();
          // The last segment also covers the filtered-out records behind it.
          const upTo = queue.length === 0 ? endSeq : seg.records[seg.records.length - 1]!.sequenceNumber;
          if (!(await this.commit(upTo, false))) return 'lost';
          continue;
        }
        case 'partial': {
          this.ctx.setResult(m.uuid, RESULT_FUNCTION_FAILED);
          const idx = seg.records.findIndex((r) => r.sequenceNumber === outcome.from);
          if (idx > 0) {
            const settled = seg.records.splice(0, idx);
            if (!(await this.commit(settled[settled.length - 1]!.sequenceNumber, false))) return 'lost';
          }
          seg.failures++;
          seg.last = outcome.res;
          break;
        }
        case 'function-error': {
          this.ctx.setResult(m.uuid, RESULT_FUNCTION_FAILED);
          seg.last = outcome.res;
          if (m.bisectBatchOnFunctionError && seg.records.length > 1) {
            const half = Math.ceil(seg.records.length / 2);
            queue.splice(
              0,
              1,
              { records: seg.records.slice(0, half), failures: seg.failures, last: seg.last },
              { records: seg.records.slice(half), failures: seg.failures, last: seg.last },
            );
            continue;
          }
          seg.failures++;
          break;
        }
        case 'not-invoked': {
          // Throttles and the like: retried until the records expire, not counted as retries.
          this.ctx.setResult(m.uuid, RESULT_FUNCTION_FAILED);
          if (outcome.res) seg.last = outcome.res;
          await this.wait(this.backoff(), false);
          continue;
        }
      }
      if (m.maximumRetryAttempts !== -1 && seg.failures > m.maximumRetryAttempts) {
        queue.shift();
        await this.giveUp(m, seg.records, seg, 'RetryAttemptsExhausted');
        const upTo = queue.length === 0 ? endSeq : seg.records[seg.records.length - 1]!.sequenceNumber;
        if (!(await this.commit(upTo, false))) return 'lost';
        continue;
      }
      await this.wait(this.backoff(), false);
    }
    if (matched.length === 0 || compareSequence(this.checkpointSeq ?? '-1', endSeq) < 0) {
      if (!(await this.commit(endSeq, false))) return 'lost';
    }
    return 'ok';
  }

  /** How many leading records are older than MaximumRecordAgeInSeconds (records of a shard arrive in order). */
  private expiredPrefix(m: EventSourceMapping, records: readonly StreamRecord[]): number {
    if (m.maximumRecordAgeInSeconds === -1) return 0;
    const oldest = this.ctx.now() - m.maximumRecordAgeInSeconds * 1000;
    let n = 0;
    while (n < records.length && records[n]!.approximateArrivalMs < oldest) n++;
    return n;
  }

  private async invoke(m: EventSourceMapping, records: readonly StreamRecord[]): Promise<Outcome> {
    const payload = `{"Records":[${records.map((r) => JSON.stringify(r.data)).join(',')}]}`;
    let result: InvokeResult;
    try {
      result = await this.ctx.invoker.invoke({ functionName: m.functionName, payload, source: this.source.kind });
    } catch (e) {
      if (e instanceof InvokeError) {
        // A payload the function can never take counts like a function error, so retries end.
        if (e.code === 'RequestTooLargeException' || e.code === 'InvalidRequestContentException') {
          return { kind: 'function-error', res: { requestId: randomUUID(), statusCode: 400, functionError: 'Unhandled' } };
        }
        const statusCode = e.code === 'TooManyRequestsException' ? 429 : e.code === 'ResourceNotFoundException' ? 404 : 500;
        return { kind: 'not-invoked', res: { requestId: randomUUID(), statusCode } };
      }
      this.ctx.log(`event source mapping ${m.uuid}: invoking ${m.functionName} failed: ${describe(e)}`);
      return { kind: 'not-invoked', res: null };
    }
    const res: LastResponse = { requestId: result.requestId, statusCode: 200 };
    if (result.functionError) return { kind: 'function-error', res: { ...res, functionError: result.functionError } };
    if (!m.functionResponseTypes.includes('ReportBatchItemFailures')) return { kind: 'ok', res };
    const reported = parseBatchItemFailures(result.payload, records);
    if (reported === 'invalid') return { kind: 'function-error', res };
    return reported === null ? { kind: 'ok', res } : { kind: 'partial', from: reported, res };
  }

  /** Sends the invocation record of given-up records to the OnFailure destination, if there is one. */
  private async giveUp(m: EventSourceMapping, records: readonly StreamRecord[], seg: Segment, condition: StreamFailureRecord['requestContext']['condition']): Promise<void> {
    const dest = m.onFailureDestination;
    if (!dest || records.length === 0) return;
    const deliver = this.ctx.deliverFailure;
    if (!deliver) {
      this.ctx.log(`event source mapping ${m.uuid}: no way to deliver to ${dest} yet; ${records.length} record(s) discarded`);
      return;
    }
    const info: StreamBatchInfo = {
      shardId: this.shardId,
      startSequenceNumber: records[0]!.sequenceNumber,
      endSequenceNumber: records[records.length - 1]!.sequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(records[0]!.approximateArrivalMs),
      approximateArrivalOfLastRecord: isoSeconds(records[records.length - 1]!.approximateArrivalMs),
      batchSize: records.length,
      streamArn: this.streamArn,
    };
    const last = seg.last;
    const record: StreamFailureRecord = {
      requestContext: {
        requestId: last?.requestId ?? randomUUID(),
        functionArn: m.functionArn,
        condition,
        approximateInvokeCount: seg.failures,
      },
      responseContext: {
        statusCode: last?.statusCode ?? 200,
        executedVersion: '$LATEST',
        ...(last?.functionError ? { functionError: last.functionError } : {}),
      },
      version: '1.0',
      timestamp: new Date(this.ctx.now()).toISOString(),
      ...(this.source.kind === 'dynamodb' ? { DDBStreamBatchInfo: info } : { KinesisBatchInfo: info }),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await deliver(dest, record);
        return;
      } catch (e) {
        if (attempt >= this.ctx.failureDeliveryAttempts || this.stopped) {
          this.ctx.log(`event source mapping ${m.uuid}: could not deliver a failure record to ${dest} (${describe(e)}); records ${info.startSequenceNumber}..${info.endSequenceNumber} discarded`);
          return;
        }
        await this.wait(Math.min(this.ctx.retry.maxMs, this.ctx.retry.baseMs * 2 ** (attempt - 1)), false);
      }
    }
  }

  /** Durable checkpoint, fenced by the lease: false when another node took the shard over. */
  private async commit(seq: string | null, finished: boolean): Promise<boolean> {
    const ok = await this.ctx.repo.checkpoint(this.mappingUuid, this.shardId, this.ctx.owner, seq, finished, this.ctx.now());
    if (ok) this.checkpointSeq = seq;
    return ok;
  }

  private backoff(): number {
    this.streak++;
    return Math.min(this.ctx.retry.maxMs, this.ctx.retry.baseMs * 2 ** Math.min(this.streak - 1, 30));
  }

  /** Sleeps `ms`; a stop always ends it, a wake-up only when `wakeable` (a retry backoff is not cut short by new records). */
  private wait(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (wakeable && this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, ms));
      timer.unref?.();
      this.waiter = () => {
        if (this.stopped || (wakeable && this.woken)) {
          this.woken = false;
          finish();
        }
      };
    });
  }
}

export function shardKey(mappingUuid: string, shardId: string): string {
  return `${mappingUuid}\n${shardId}`;
}

/** Keeps the leading records whose `{"Records":[...]}` fits in a synchronous invocation (always at least one). */
function cutToPayloadLimit(records: StreamRecord[]): StreamRecord[] {
  let size = ENVELOPE_BYTES;
  for (let i = 0; i < records.length; i++) {
    size += Buffer.byteLength(JSON.stringify(records[i]!.data)) + 1;
    if (size > MAX_BATCH_PAYLOAD_BYTES && i > 0) return records.slice(0, i);
  }
  return records;
}

/**
 * ReportBatchItemFailures: null when the batch fully succeeded, the lowest
 * failed sequence number, or 'invalid' (the whole batch failed).
 */
export function parseBatchItemFailures(payload: Buffer, records: readonly StreamRecord[]): string | null | 'invalid' {
  const text = payload.toString('utf8').trim();
  if (text === '' || text === 'null') return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const failures = (body as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return null;
  if (!Array.isArray(failures)) return 'invalid';
  if (failures.length === 0) return null;
  const known = new Set(records.map((r) => r.sequenceNumber));
  let lowest: string | null = null;
  for (const f of failures) {
    const id = typeof f === 'object' && f !== null ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !known.has(id)) return 'invalid';
    if (lowest === null || compareSequence(id, lowest) < 0) lowest = id;
  }
  return lowest;
}

/** AWS's batch info times: ISO 8601 to the second (`2019-11-14T00:13:19Z`). */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
