/**
 * The invoke engine (the Lambda service's core): decides whether and where code
 * runs. Everything that runs code (gateway, Lambda API, triggers, CLI) comes
 * through `invoke`, so concurrency, throttling, metering, START/END/REPORT log
 * lines and trace context are handled here, once.
 */
import * as crypto from 'node:crypto';
import type { RuntimeManager } from '../runtime/manager';
import { InitFailure, type FunctionConfig, type InvocationOutcome } from '../runtime/types';
import { MAX_RESPONSE_BYTES, RESPONSE_TOO_LARGE_MESSAGE } from '../runtime/protocol';
import type { LogHub } from '../observe/logs';
import { billedMs, type Meter } from '../observe/metering';
import { continueTrace } from '../observe/trace';
import { InvokeError, type InvokeRequest, type InvokeResult, type Invoker } from './types';

/** Lambda's synchronous invocation request payload limit (responses: MAX_RESPONSE_BYTES). */
export const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;

export interface FunctionLimits {
  /** Reserved concurrency: also the function's maximum. 0 disables the function. */
  reserved: number | null;
  /** Instances kept initialized. */
  provisioned: number | null;
}

interface Registered {
  config: FunctionConfig;
  limits: FunctionLimits;
  inFlight: number;
  /** Backoff for replacing provisioned instances that keep dying. */
  reprovisionDelayMs: number;
  lastReprovisionAt: number;
}

export interface EngineOptions {
  /** Account-wide concurrency (AWS's default account limit is 1000). */
  concurrencyLimit: number;
  region: string;
  accountId: string;
}

export class InvokeEngine implements Invoker {
  private readonly fns = new Map<string, Registered>();
  /** In-flight invocations of functions without reserved concurrency (they share the unreserved pool). */
  private unreservedInFlight = 0;

  constructor(
    private readonly runtime: RuntimeManager,
    private readonly logs: LogHub,
    private readonly meter: Meter,
    private readonly opts: EngineOptions,
  ) {}

  /** Adds or replaces a function; a new version retires the old one's instances. */
  setFunction(config: FunctionConfig, limits: FunctionLimits): void {
    const prev = this.fns.get(config.name);
    if (prev && prev.config.version !== config.version) this.runtime.retire(config.name);
    if (prev) {
      prev.config = config;
      prev.limits = limits;
    } else {
      this.fns.set(config.name, { config, limits, inFlight: 0, reprovisionDelayMs: 0, lastReprovisionAt: 0 });
    }
    this.reservedTotal = this.sumReserved();
    void this.provision(config.name);
  }

  removeFunction(name: string): void {
    this.fns.delete(name);
    this.reservedTotal = this.sumReserved();
    this.runtime.retire(name);
  }

  getFunction(name: string): { config: FunctionConfig; limits: FunctionLimits } | undefined {
    const r = this.fns.get(name);
    return r && { config: r.config, limits: r.limits };
  }

  functionNames(): string[] {
    return [...this.fns.keys()].sort();
  }

  /** Sum of every function's reserved concurrency; kept current by set/removeFunction (not summed per invoke). */
  private reservedTotal = 0;

  private sumReserved(): number {
    let reserved = 0;
    for (const r of this.fns.values()) reserved += r.limits.reserved ?? 0;
    return reserved;
  }

  /** Unreserved account concurrency: the limit less every function's reservation. */
  private unreservedLimit(): number {
    return this.opts.concurrencyLimit - this.reservedTotal;
  }

  /**
   * A provisioned instance died (timeout, crash, memory): start another, with a
   * growing pause if they keep dying right after init.
   */
  provisionedLost(name: string): void {
    const r = this.fns.get(name);
    if (!r) return;
    const now = Date.now();
    r.reprovisionDelayMs = now - r.lastReprovisionAt < 10_000 ? Math.min(30_000, Math.max(100, r.reprovisionDelayMs * 2)) : 0;
    r.lastReprovisionAt = now;
    setTimeout(() => void this.provision(name), r.reprovisionDelayMs).unref();
  }

  /** Keeps `provisioned` initialized instances of the function's current version. */
  private async provision(name: string): Promise<void> {
    const r = this.fns.get(name);
    const want = r?.limits.provisioned ?? 0;
    if (!r || want <= 0) return;
    const have = this.runtime.counts(name, r.config.version).provisioned;
    const started = await Promise.allSettled(Array.from({ length: Math.max(0, want - have) }, () => this.runtime.provision(r.config)));
    for (const s of started) {
      if (s.status === 'rejected') this.logs.emit(name, null, 'platform', `provisioned concurrency init failed: ${(s.reason as Error).message}\n`);
    }
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const r = this.fns.get(req.functionName);
    if (!r) {
      throw new InvokeError('ResourceNotFoundException', `Function not found: arn:aws:lambda:${this.opts.region}:${this.opts.accountId}:function:${req.functionName}`);
    }
    const size = typeof req.payload === 'string' ? Buffer.byteLength(req.payload) : req.payload.length;
    if (size > MAX_SYNC_PAYLOAD) {
      throw new InvokeError('RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`);
    }
    if (req.clientContext !== undefined && !validClientContext(req.clientContext)) {
      throw new InvokeError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
    }
    const reserved = r.limits.reserved;
    if (reserved !== null ? r.inFlight >= reserved : this.unreservedInFlight >= this.unreservedLimit()) {
      this.meter.record({
        requestId: crypto.randomUUID(), functionName: r.config.name, startedAt: Date.now(), durationMs: 0, billedDurationMs: 0,
        initDurationMs: null, memorySizeMb: r.config.memorySize, maxMemoryUsedMb: 0, cold: false, outcome: 'throttle', source: req.source, traceId: req.traceId ?? null,
      });
      throw new InvokeError(
        'TooManyRequestsException',
        'Rate Exceeded.',
        reserved !== null ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded',
      );
    }
    r.inFlight++;
    if (reserved === null) this.unreservedInFlight++;
    try {
      return await this.run(r.config, req);
    } finally {
      r.inFlight--;
      if (reserved === null) this.unreservedInFlight--;
    }
  }

  private async run(fn: FunctionConfig, req: InvokeRequest): Promise<InvokeResult> {
    const id = req.requestId ?? crypto.randomUUID();
    const traceId = continueTrace(req.traceId);
    const startedAt = Date.now();
    const logs = this.logs;
    if (req.tailLogs) logs.capture(id);

    // A pipelined invocation whose instance died before starting it is run elsewhere.
    for (let attempt = 0; ; attempt++) {
      // The current config at each attempt: a redeploy may have replaced it meanwhile.
      if (attempt > 0) fn = this.fns.get(fn.name)?.config ?? fn;
      let acquired;
      try {
        acquired = await this.runtime.acquire(fn);
      } catch (e) {
        const f = e instanceof InitFailure ? e : new InitFailure('Runtime.Unknown', (e as Error).message);
        logs.emit(fn.name, id, 'platform', `INIT_REPORT Phase: init\tStatus: error\tError Type: ${f.errorType}\tError: ${f.message}\n`);
        logs.emit(fn.name, id, 'platform', `START RequestId: ${id} Version: $LATEST\n`);
        const payload = Buffer.from(JSON.stringify({ errorType: f.errorType, errorMessage: f.message, trace: f.trace }));
        return this.finish(fn, req, id, traceId, startedAt, null, true, { kind: 'error', payload, maxRssKb: 0, durationMs: 0 });
      }
      const { instance, cold } = acquired;
      const initMs = cold ? instance.initMs : null;
      if (attempt === 0) logs.emit(fn.name, id, 'platform', `START RequestId: ${id} Version: $LATEST\n`);
      const outcome = await instance.invoke({ id, payload: req.payload, timeoutMs: fn.timeout * 1000, traceId, clientContext: req.clientContext });
      if (outcome.kind === 'requeue' && attempt < 3) continue;
      this.runtime.release(instance, outcome.kind === 'requeue' ? 0 : outcome.durationMs);
      const final: Exclude<InvocationOutcome, { kind: 'requeue' }> =
        outcome.kind === 'requeue' ? { kind: 'crash', errorType: 'Runtime.ExitError', message: 'Runtime exited before the invocation started', maxRssKb: 0, durationMs: 0 } : outcome;
      return this.finish(fn, req, id, traceId, startedAt, initMs, cold, final);
    }
  }

  private finish(
    fn: FunctionConfig,
    req: InvokeRequest,
    id: string,
    traceId: string,
    startedAt: number,
    initMs: number | null,
    cold: boolean,
    outcome: Exclude<InvocationOutcome, { kind: 'requeue' }>,
  ): InvokeResult {
    const durationMs = outcome.durationMs;
    let payload: Buffer;
    let functionError: InvokeResult['functionError'];
    let status: 'success' | 'error' | 'timeout' | 'crash' = 'success';
    if (outcome.kind === 'response') {
      payload = outcome.payload;
      if (payload.length > MAX_RESPONSE_BYTES) {
        functionError = 'Unhandled';
        status = 'error';
        payload = Buffer.from(JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: RESPONSE_TOO_LARGE_MESSAGE }));
      }
    } else if (outcome.kind === 'error') {
      payload = outcome.payload;
      functionError = 'Unhandled';
      status = 'error';
    } else if (outcome.kind === 'timeout') {
      const msg = `Task timed out after ${fn.timeout.toFixed(2)} seconds`;
      this.logs.emit(fn.name, id, 'platform', `${new Date().toISOString()} ${id} ${msg}\n`);
      payload = Buffer.from(JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: ${msg}` }));
      functionError = 'Unhandled';
      status = 'timeout';
    } else {
      payload = Buffer.from(JSON.stringify({ errorType: outcome.errorType, errorMessage: `RequestId: ${id} Error: ${outcome.message}` }));
      this.logs.emit(fn.name, id, 'platform', `RequestId: ${id} Error: ${outcome.message}\n${outcome.errorType}\n`);
      functionError = 'Unhandled';
      status = 'crash';
    }
    const billed = billedMs(durationMs);
    const maxMemMb = Math.min(fn.memorySize, Math.ceil(outcome.maxRssKb / 1024));
    this.logs.emit(fn.name, id, 'platform', `END RequestId: ${id}\n`);
    this.logs.emit(
      fn.name,
      id,
      'platform',
      `REPORT RequestId: ${id}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${fn.memorySize} MB\tMax Memory Used: ${maxMemMb} MB\t${initMs !== null ? `Init Duration: ${initMs.toFixed(2)} ms\t` : ''}\n`,
    );
    this.meter.record({
      requestId: id,
      functionName: fn.name,
      startedAt,
      durationMs,
      billedDurationMs: billed,
      initDurationMs: initMs,
      memorySizeMb: fn.memorySize,
      maxMemoryUsedMb: maxMemMb,
      cold,
      outcome: status,
      source: req.source,
      traceId,
    });
    return {
      requestId: id,
      payload,
      functionError,
      logTail: req.tailLogs ? this.logs.takeCapture(id) : '',
      executedVersion: '$LATEST',
    };
  }
}

/** Lambda: up to 3,583 bytes of base64-encoded JSON (the Invoke API's ClientContext). */
function validClientContext(b64: string): boolean {
  if (b64.length > 3583 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return false;
  try {
    const v: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}
