/**
 * Instance lifecycle: starting -> generic (pre-started, no code) -> initializing
 * -> idle <-> busy -> reaped or dead. A request takes, in order: an idle warm
 * instance of its function, else a pre-started generic process, else a new one.
 * Whether it may run at all (concurrency) is decided above, in invoke/.
 *
 * Scale-out is eager up to `eagerInstances` busy instances of a function; past
 * that, a request first waits for a busy instance to come free, and a new one
 * starts only when no instance of the function has finished an invocation for
 * `scaleOutWaitMs`. Lambda would start an instance
 * per concurrent request at once; on a machine with a few cores, dozens of
 * processes each serving a sliver of a fast function's traffic cost far more
 * (context switches, cold caches, code that never gets JIT-compiled) than a
 * sub-millisecond wait for a warm one. Slow functions still scale out, one
 * `scaleOutWaitMs` later. Each instance still serves one invocation at a time.
 */
import * as os from 'node:os';
import { Instance } from './instance';
import { NodeInstance } from './node-instance';
import { ProvidedInstance } from './provided-instance';
import { logStreamName } from './env';
import type { FunctionConfig, LogListener } from './types';

export interface RuntimeOptions {
  /** Pre-started generic Node processes kept ready (0 disables the pool). */
  poolSize: number;
  /** Idle instances older than this are reaped (scale to zero). */
  keepAliveMs: number;
  /** Directory whose node_modules holds the SDKs for function code. */
  sdkDir: string;
  onLog: LogListener;
  /** How often busy instances' memory is checked against their limit. */
  memorySampleMs?: number;
  /** Busy instances of one function started without waiting (default: 2 per core). */
  eagerInstances?: number;
  /** Past eagerInstances, how long a request waits for a warm instance before a new one starts (default 10 ms). */
  scaleOutWaitMs?: number;
}

export interface Acquired {
  instance: Instance;
  /** True when this request paid for init (a cold start). */
  cold: boolean;
}

interface Waiter {
  version: number;
  take: (inst: Instance) => void;
}

interface FunctionInstances {
  idle: Instance[];
  all: Set<Instance>;
  /** Moving average of invocation durations (ms): pipelining is for fast functions only. */
  avgMs: number;
  /** performance.now() of the last finished invocation: tells a busy function from a stuck one. */
  lastDoneAt: number;
  /** Requests waiting for a busy instance to come free (FIFO). */
  waiters: Waiter[];
}

/** How long after a cold start took a generic process the pool is refilled. */
const POOL_REFILL_DELAY_MS = 30;

/** Functions averaging under this (ms) get pipelined invocations once at eagerInstances. */
const PIPELINE_MAX_AVG_MS = 2;

export function isNodeRuntime(runtime: string): boolean {
  return runtime.startsWith('nodejs');
}

export class RuntimeManager {
  private readonly generic: NodeInstance[] = [];
  private startingGeneric = 0;
  private readonly fns = new Map<string, FunctionInstances>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly eager: number;
  private readonly scaleOutWaitMs: number;

  constructor(private readonly opts: RuntimeOptions) {
    this.eager = opts.eagerInstances ?? 2 * os.availableParallelism();
    this.scaleOutWaitMs = opts.scaleOutWaitMs ?? 10;
    const reapEvery = Math.min(30_000, Math.max(250, Math.floor(opts.keepAliveMs / 4)));
    this.timers.push(setInterval(() => this.reap(), reapEvery).unref());
    this.timers.push(setInterval(() => this.sampleMemory(), opts.memorySampleMs ?? 200).unref());
    this.fillPool();
  }

  private entry(name: string): FunctionInstances {
    let e = this.fns.get(name);
    if (!e) {
      e = { idle: [], all: new Set(), waiters: [], avgMs: Infinity, lastDoneAt: 0 };
      this.fns.set(name, e);
    }
    return e;
  }

  private refillTimer: NodeJS.Timeout | null = null;

  /**
   * Refill the pool a little later, not now: spawning a process blocks this
   * thread for a few ms and its start-up competes for the CPU with the cold
   * start that just took a generic process.
   */
  private refillSoon(): void {
    if (this.refillTimer || this.closed) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.fillPool();
    }, POOL_REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private fillPool(): void {
    while (!this.closed && this.generic.length + this.startingGeneric < this.opts.poolSize) {
      this.startingGeneric++;
      const inst = new NodeInstance(this.opts.onLog, this.opts.sdkDir);
      const drop = (): void => {
        const i = this.generic.indexOf(inst);
        if (i >= 0) this.generic.splice(i, 1);
      };
      inst.once('dead', drop);
      inst.whenGeneric().then(() => {
        this.startingGeneric--;
        if (this.closed) inst.kill();
        else this.generic.push(inst);
      });
    }
  }

  /**
   * A warm instance if there is one, else a cold one (init happens here). Rejects
   * with InitFailure. The instance is reserved for the caller, who must invoke() it.
   */
  async acquire(fn: FunctionConfig, provisioned = false): Promise<Acquired> {
    const e = this.entry(fn.name);
    while (!provisioned && e.idle.length > 0) {
      const inst = e.idle.pop()!;
      if (inst.state !== 'idle' || inst.reserved) continue; // gone, or already taken: not ours
      if (inst.retired || inst.fn!.version !== fn.version) {
        inst.kill();
        continue;
      }
      return this.handOut(inst);
    }
    if (!provisioned && e.all.size >= this.eager) {
      // A fast function: queue behind a busy instance that has only just started (see Instance.queued).
      if (e.avgMs < PIPELINE_MAX_AVG_MS) {
        for (const inst of e.all) {
          if (inst.canPipeline(PIPELINE_MAX_AVG_MS) && inst.fn?.version === fn.version) return this.handOut(inst);
        }
      }
      const warm = await this.waitForWarm(e, fn.version);
      if (warm) return { instance: warm, cold: false }; // reserved by release()
    }
    const instFn: FunctionConfig = {
      ...fn,
      env: {
        ...fn.env,
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
        AWS_LAMBDA_INITIALIZATION_TYPE: provisioned ? 'provisioned-concurrency' : 'on-demand',
      },
    };
    let inst: Instance;
    if (isNodeRuntime(fn.runtime)) {
      const node = this.generic.shift() ?? new NodeInstance(this.opts.onLog, this.opts.sdkDir);
      this.refillSoon();
      this.track(e, node);
      await node.assign(instFn);
      inst = node;
    } else {
      inst = await ProvidedInstance.start(instFn, this.opts.onLog);
      this.track(e, inst);
    }
    inst.provisioned = provisioned;
    if (this.closed) {
      inst.kill();
      throw new Error('runtime closed');
    }
    inst.reserved = true;
    return { instance: inst, cold: true };
  }

  /** Starts one initialized, never-reaped instance (provisioned concurrency) and parks it warm. */
  async provision(fn: FunctionConfig): Promise<void> {
    const { instance } = await this.acquire(fn, true);
    instance.reserved = false;
    this.release(instance);
  }

  private handOut(inst: Instance): Acquired {
    inst.reserved = true;
    return { instance: inst, cold: false };
  }

  private waitForWarm(e: FunctionInstances, version: number): Promise<Instance | null> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        version,
        take: (inst) => {
          clearTimeout(timer);
          resolve(inst);
        },
      };
      // Scale out only when the instances are stuck, not when they are merely
      // busy: if one finished an invocation within the last wait, the queue is
      // moving (the platform, not the instance count, is the bottleneck) and
      // another process would only compete for the same CPU.
      let due = performance.now() + this.scaleOutWaitMs;
      const expire = (): void => {
        const now = performance.now();
        // A timer that fires late means this event loop is saturated: more
        // processes cannot help, and the instances only look slow because
        // their answers wait to be read.
        const saturated = now - due > Math.max(5, this.scaleOutWaitMs / 2);
        if (saturated || now - e.lastDoneAt < this.scaleOutWaitMs || this.anyMoving(e, now)) {
          due = now + this.scaleOutWaitMs;
          timer = setTimeout(expire, this.scaleOutWaitMs);
          return;
        }
        const i = e.waiters.indexOf(waiter);
        if (i >= 0) e.waiters.splice(i, 1);
        resolve(null);
      };
      let timer = setTimeout(expire, this.scaleOutWaitMs);
      e.waiters.push(waiter);
    });
  }

  /**
   * Whether some busy instance of the function should come free within one
   * more wait (its invocations are short and this one is not stuck), so that
   * waiting is better than starting a process.
   */
  private anyMoving(e: FunctionInstances, now: number): boolean {
    if (e.avgMs === Infinity) return false; // nothing known yet: scale out, as Lambda would
    const stuckAfter = Math.max(this.scaleOutWaitMs, 10 * e.avgMs);
    for (const inst of e.all) {
      if (inst.state !== 'busy') continue;
      const ran = inst.runningForMs(now);
      // Expected to finish within one more wait, and not stuck far past the usual.
      if (ran < stuckAfter && e.avgMs - ran < this.scaleOutWaitMs) return true;
    }
    return false;
  }

  private track(e: FunctionInstances, inst: Instance): void {
    e.all.add(inst);
    inst.once('dead', () => {
      e.all.delete(inst);
      const i = e.idle.indexOf(inst);
      if (i >= 0) e.idle.splice(i, 1);
    });
  }

  /** Back to the warm set after an invocation (or gone, if it should not be reused). */
  release(inst: Instance, durationMs?: number): void {
    const e = this.entry(inst.fn!.name);
    if (durationMs !== undefined) {
      e.avgMs = e.avgMs === Infinity ? durationMs : e.avgMs * 0.9 + durationMs * 0.1;
      e.lastDoneAt = performance.now();
    }
    // Dead, running a pipelined invocation, or already handed to the next request.
    if (inst.state !== 'idle' || inst.reserved) return;
    if (inst.retired || this.closed) {
      inst.kill();
      return;
    }
    // Straight to a waiting request of the same version, if any (no trip through the idle list).
    const w = e.waiters.findIndex((x) => x.version === inst.fn!.version);
    if (w >= 0) {
      inst.reserved = true;
      e.waiters.splice(w, 1)[0]!.take(inst);
      return;
    }
    if (!e.idle.includes(inst)) e.idle.push(inst);
  }

  /** Hot reload / redeploy / delete: no new work for this function's current instances. */
  retire(functionName: string): void {
    const e = this.fns.get(functionName);
    if (!e) return;
    for (const inst of e.all) {
      inst.retired = true;
      if (inst.state === 'idle') inst.kill();
    }
    e.idle.length = 0;
  }

  /** Instances (alive) per function, for tests, stats and `nimbus ls`. */
  counts(functionName: string): { total: number; idle: number; busy: number; provisioned: number } {
    const e = this.fns.get(functionName);
    if (!e) return { total: 0, idle: 0, busy: 0, provisioned: 0 };
    let idle = 0;
    let busy = 0;
    let provisioned = 0;
    for (const i of e.all) {
      if (i.state === 'idle') idle++;
      if (i.state === 'busy') busy++;
      if (i.provisioned) provisioned++;
    }
    return { total: e.all.size, idle, busy, provisioned };
  }

  /** PIDs of every live process the runtime owns (generic pool included). */
  pids(): number[] {
    const out: number[] = this.generic.map((g) => g.pid);
    for (const e of this.fns.values()) for (const i of e.all) out.push(i.pid);
    return out;
  }

  genericCount(): number {
    return this.generic.length;
  }

  private reap(): void {
    const cutoff = Date.now() - this.opts.keepAliveMs;
    for (const e of this.fns.values()) {
      for (let i = e.idle.length - 1; i >= 0; i--) {
        const inst = e.idle[i]!;
        if (!inst.provisioned && inst.lastUsed < cutoff) {
          e.idle.splice(i, 1);
          inst.kill();
        }
      }
    }
  }

  private sampleMemory(): void {
    for (const e of this.fns.values()) {
      for (const inst of e.all) if (inst.state === 'busy' || inst.state === 'initializing') inst.checkMemory();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.refillTimer) clearTimeout(this.refillTimer);
    const all: Instance[] = [...this.generic];
    for (const e of this.fns.values()) all.push(...e.all);
    this.generic.length = 0;
    await Promise.all(
      all.map(
        (i) =>
          new Promise<void>((resolve) => {
            if (i.state === 'dead') return resolve();
            i.once('dead', () => resolve());
            i.kill();
          }),
      ),
    );
  }
}
