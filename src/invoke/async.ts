/**
 * Asynchronous (`Event`) invocations with Lambda's semantics, on the store's
 * durable work queue: an event is acknowledged only once committed, then run
 * at least once, also across a `kill -9` of Nimbus.
 *
 * AWS behaviour followed (Lambda developer guide, "Asynchronous invocation" and
 * "Configuring error handling for asynchronous invocation"):
 * - a function error is retried up to MaximumRetryAttempts (default 2) times,
 *   one minute before the first retry and two before the second;
 * - throttles and system errors are retried with exponential backoff (1 s up
 *   to 5 minutes), without counting as retries, until the event is older than
 *   MaximumEventAgeInSeconds (default 6 hours);
 * - then the OnFailure destination (or the dead-letter target) gets the
 *   invocation record (condition RetriesExhausted / EventAgeExceeded); the
 *   OnSuccess destination gets one with condition Success;
 * - every attempt keeps the event's request id.
 */
import * as crypto from 'node:crypto';
import type { EventInvokeSettings } from '../app/stack';
import type { LogHub } from '../observe/logs';
import type { EnqueueInput, WorkQueue, QueueItem } from '../store/types';
import type { InvokeEngine } from './engine';
import { InvokeError, type InvokeResult } from './types';

const QUEUE = 'lambda:async';
const DEFAULT_RETRIES = 2;
const DEFAULT_MAX_AGE_S = 21600;
/** Lambda's asynchronous invocation payload limit (256 KB). */
export const MAX_ASYNC_PAYLOAD = 262144;

export interface AsyncOptions {
  /** Delay before retry 1, 2 after a function error (AWS: 1 and 2 minutes). */
  retryDelaysMs: [number, number];
  /** Throttle / system error backoff: first delay and cap (AWS: 1 s .. 5 min). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Lease on a claimed event, renewed while it runs; after a crash it runs again once this lapses. */
  leaseMs: number;
  /** Events run at once (each still subject to the function's concurrency). */
  concurrency: number;
  /** Id of this node's poller, for leases. */
  owner: string;
}

export const DEFAULT_ASYNC_OPTIONS: Omit<AsyncOptions, 'owner'> = {
  retryDelaysMs: [60_000, 120_000],
  backoffBaseMs: 1000,
  backoffMaxMs: 300_000,
  leaseMs: 10_000,
  concurrency: 64,
};

/** What the queue holds for one event. */
interface QueuedEvent {
  requestId: string;
  functionName: string;
  payload: string;
  traceId: string | null;
  /** Epoch ms when the event was accepted (its age counts from here). */
  acceptedAt: number;
  /** Invocations that ran (for approximateInvokeCount). */
  invokes: number;
  /** Retries after function errors so far. */
  retries: number;
  /** Throttles / system errors in a row (for the backoff). */
  backoffs: number;
  /** Set on events that carry an invocation record to a destination. */
  destination?: true;
}

export interface AsyncTargets {
  /** The function's async settings (null: AWS's defaults). */
  settings(functionName: string): { eventInvoke: EventInvokeSettings | null; deadLetterTarget: string | null } | null;
  functionArn(functionName: string): string;
  /** The function name an ARN names when it is a function of this platform. */
  functionOfArn(arn: string): string | null;
}

export class AsyncInvoker {
  private pending: { ev: QueuedEvent; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private inflight = 0;
  private running = false;
  private wake: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private readonly active = new Set<Promise<void>>();

  constructor(
    private readonly engine: InvokeEngine,
    private readonly queue: WorkQueue,
    private readonly logs: LogHub,
    private readonly targets: AsyncTargets,
    private readonly opts: AsyncOptions,
  ) {}

  /**
   * Accepts an `Event` invocation: resolves with its request id once the event
   * is committed to the store. Concurrent calls share one commit (group commit).
   */
  accept(functionName: string, payload: string, traceId: string | null): Promise<string> {
    let ev: QueuedEvent;
    try {
      ev = this.newEvent(functionName, payload, traceId);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<string>((resolve, reject) => {
      this.pending.push({ ev, resolve: () => resolve(ev.requestId), reject });
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  /**
   * The queue item an `Event` invocation is, for a caller that commits it in a
   * transaction of its own (a trigger's completeAndEnqueue: the source's item
   * and the invocation commit together). Throws the InvokeError accept()
   * would reject with. The poller wakes through the queue's onEnqueued.
   */
  eventItem(functionName: string, payload: string, traceId: string | null): EnqueueInput {
    const ev = this.newEvent(functionName, payload, traceId);
    return { queue: QUEUE, payload: JSON.stringify(ev), id: ev.requestId };
  }

  private newEvent(functionName: string, payload: string, traceId: string | null): QueuedEvent {
    if (!this.engine.getFunction(functionName)) {
      throw new InvokeError('ResourceNotFoundException', `Function not found: ${this.targets.functionArn(functionName)}`);
    }
    const size = Buffer.byteLength(payload);
    if (size > MAX_ASYNC_PAYLOAD) {
      throw new InvokeError('RequestTooLargeException', `Request must be smaller than ${MAX_ASYNC_PAYLOAD} bytes for the InvokeAsync operation`);
    }
    return { requestId: crypto.randomUUID(), functionName, payload, traceId, acceptedAt: Date.now(), invokes: 0, retries: 0, backoffs: 0 };
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.queue.enqueueMany(batch.map((b) => ({ queue: QUEUE, payload: JSON.stringify(b.ev), id: b.ev.requestId })));
      for (const b of batch) b.resolve();
      this.poke();
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) void this.flush();
    }
  }

  private unsubscribe: (() => void) | null = null;

  start(): void {
    if (this.running) return;
    this.running = true;
    // Events enqueued by another node (PostgreSQL) or released for retry wake the poller too.
    this.unsubscribe = this.queue.onEnqueued(QUEUE, () => this.poke());
    this.loop = this.run();
  }

  /** Stops claiming. Events still running are left to their leases (they run again elsewhere or after a restart). */
  async stop(graceMs = 2000): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.poke();
    await this.loop;
    await Promise.race([Promise.allSettled([...this.active]), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const room = this.opts.concurrency - this.inflight;
      let claimed: QueueItem[] = [];
      if (room > 0) {
        try {
          claimed = await this.queue.claim(QUEUE, this.opts.owner, { max: room, leaseMs: this.opts.leaseMs });
        } catch (e) {
          this.logs.emit('nimbus', null, 'platform', `async invocations: claim failed: ${(e as Error).message}\n`);
        }
      }
      for (const item of claimed) {
        this.inflight++;
        const p = this.process(item)
          .catch((e: unknown) => {
            // A store error or a poison row: the event stays leased and runs again when the lease lapses.
            this.logs.emit('nimbus', null, 'platform', `async invocation ${item.id} failed in the platform: ${(e as Error).message}\n`);
          })
          .finally(() => {
          this.inflight--;
          this.active.delete(p);
          this.poke();
        });
        this.active.add(p);
      }
      if (claimed.length > 0 && claimed.length === room) continue;
      if (room <= 0) {
        // Full: nothing to claim until an event in progress ends (it pokes).
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      // Sleep until something is enqueued, an event in progress ends, or the next delayed event is due.
      let next: number | null = null;
      try {
        next = await this.queue.nextAvailableAt(QUEUE);
      } catch {
        next = null;
      }
      if (!this.running) break;
      const wait = next === null ? 1000 : Math.max(0, Math.min(1000, next - Date.now()));
      if (wait === 0 && room > 0 && claimed.length > 0) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = setTimeout(resolve, wait || 5);
      });
      if (this.sleepTimer) clearTimeout(this.sleepTimer);
    }
  }

  private async process(item: QueueItem): Promise<void> {
    const ev = JSON.parse(item.payload) as QueuedEvent;
    const fn = ev.functionName;
    const settings = this.targets.settings(fn);
    if (!settings) {
      // Deleted function: Lambda discards its queued events.
      await this.queue.complete(item.id, this.opts.owner);
      return;
    }
    const maxRetries = settings.eventInvoke?.maximumRetryAttempts ?? DEFAULT_RETRIES;
    const maxAgeMs = (settings.eventInvoke?.maximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_S) * 1000;
    if (Date.now() - ev.acceptedAt > maxAgeMs) {
      await this.finish(item, ev, 'EventAgeExceeded', null, settings);
      return;
    }

    const renew = setInterval(() => void this.queue.extend(item.id, this.opts.owner, this.opts.leaseMs).catch(() => false), Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    let result: InvokeResult | null = null;
    let failure: unknown = null;
    try {
      result = await this.engine.invoke({ functionName: fn, payload: ev.payload, source: 'event', traceId: ev.traceId ?? undefined, requestId: ev.requestId });
    } catch (e) {
      failure = e;
    } finally {
      clearInterval(renew);
    }

    if (failure) {
      if (failure instanceof InvokeError && failure.code !== 'TooManyRequestsException' && failure.code !== 'ServiceException') {
        // Gone, or an event the function can never take: nothing a retry would change.
        this.logs.emit(fn, ev.requestId, 'platform', `async invocation ${ev.requestId} dropped: ${failure.code}: ${failure.message}\n`);
        await this.queue.complete(item.id, this.opts.owner);
        return;
      }
      // Throttled or a system error: back off and try again, not counted as a retry.
      const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** ev.backoffs);
      const next: QueuedEvent = { ...ev, backoffs: ev.backoffs + 1 };
      if (Date.now() + delay - ev.acceptedAt > maxAgeMs) {
        await this.finish(item, next, 'EventAgeExceeded', null, settings);
      } else {
        await this.queue.release(item.id, this.opts.owner, { availableAt: Date.now() + delay, payload: JSON.stringify(next) });
      }
      return;
    }

    const done: QueuedEvent = { ...ev, invokes: ev.invokes + 1, backoffs: 0 };
    if (result!.functionError) {
      if (ev.retries < maxRetries) {
        const delay = this.opts.retryDelaysMs[Math.min(ev.retries, this.opts.retryDelaysMs.length - 1)]!;
        if (Date.now() + delay - ev.acceptedAt > maxAgeMs) {
          await this.finish(item, done, 'EventAgeExceeded', result, settings);
          return;
        }
        await this.queue.release(item.id, this.opts.owner, { availableAt: Date.now() + delay, payload: JSON.stringify({ ...done, retries: ev.retries + 1 }) });
        return;
      }
      await this.finish(item, done, 'RetriesExhausted', result, settings);
      return;
    }
    await this.finish(item, done, 'Success', result, settings);
  }

  /** Completes the event and, in the same transaction, queues its record for a destination. */
  private async finish(
    item: QueueItem,
    ev: QueuedEvent,
    condition: 'Success' | 'RetriesExhausted' | 'EventAgeExceeded',
    result: InvokeResult | null,
    settings: NonNullable<ReturnType<AsyncTargets['settings']>>,
  ): Promise<void> {
    const destArn = condition === 'Success' ? settings.eventInvoke?.onSuccess : (settings.eventInvoke?.onFailure ?? null);
    const next: { queue: string; payload: string; id: string }[] = [];
    // Records about records are not sent on (a destination's own failures end there).
    if (!ev.destination && destArn) {
      const target = this.targets.functionOfArn(destArn);
      if (target) {
        const record = invocationRecord(ev, this.targets.functionArn(ev.functionName), condition, result);
        next.push({ queue: QUEUE, id: crypto.randomUUID(), payload: JSON.stringify(this.event(target, JSON.stringify(record), ev.traceId, true)) });
      } else {
        this.logs.emit(ev.functionName, ev.requestId, 'platform', `destination ${destArn} is not a function of this platform (queue and topic targets arrive with those services); record dropped\n`);
      }
    }
    if (condition !== 'Success' && !ev.destination && !destArn && settings.deadLetterTarget) {
      // A dead-letter target receives the original event (AWS sends it to SQS/SNS with the error in attributes).
      const target = this.targets.functionOfArn(settings.deadLetterTarget);
      if (target) next.push({ queue: QUEUE, id: crypto.randomUUID(), payload: JSON.stringify(this.event(target, ev.payload, ev.traceId, true)) });
      else this.logs.emit(ev.functionName, ev.requestId, 'platform', `dead-letter target ${settings.deadLetterTarget} is not available yet (SQS and SNS arrive with those services); event dropped\n`);
    }
    if (condition !== 'Success') {
      this.logs.emit(ev.functionName, ev.requestId, 'platform', `async invocation ${ev.requestId} ended: ${condition} after ${ev.invokes} attempt(s)\n`);
    }
    await this.queue.completeAndEnqueue(item.id, this.opts.owner, next);
    if (next.length > 0) this.poke();
  }

  private event(functionName: string, payload: string, traceId: string | null, destination: boolean): QueuedEvent {
    const ev: QueuedEvent = { requestId: crypto.randomUUID(), functionName, payload, traceId, acceptedAt: Date.now(), invokes: 0, retries: 0, backoffs: 0 };
    if (destination) ev.destination = true;
    return ev;
  }
}

/** AWS's invocation record for destinations (Lambda developer guide, "Invocation records"). */
function invocationRecord(ev: QueuedEvent, functionArn: string, condition: string, result: InvokeResult | null): Record<string, unknown> {
  let requestPayload: unknown = ev.payload;
  try {
    requestPayload = JSON.parse(ev.payload);
  } catch {
    /* not JSON: sent as the string it is */
  }
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: ev.requestId, functionArn: `${functionArn}:$LATEST`, condition, approximateInvokeCount: ev.invokes },
    requestPayload,
  };
  if (result) {
    const responseContext: Record<string, unknown> = { statusCode: 200, executedVersion: result.executedVersion };
    if (result.functionError) responseContext.functionError = result.functionError;
    record.responseContext = responseContext;
    const text = result.payload.toString('utf8');
    try {
      record.responsePayload = JSON.parse(text);
    } catch {
      record.responsePayload = text;
    }
  }
  return record;
}
