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
import type { FunctionConfig, InitFailure, LogListener } from './types';

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
  /** Extra environment for each new instance (e.g. freshly issued credentials). */
  instanceEnv?: (fn: FunctionConfig) => Record<string, string>;
  /**
   * Lambda's init limit (default 10 s). An instance's init may take
   * max(initTimeoutMs, the function's timeout): Lambda gives init 10 s, then
   * retries it within the invocation, under the function's timeout.
   */
  initTimeoutMs?: number;
  /**
   * A provisioned instance of the function died after its init (crash, timeout,
   * memory limit, fatal error): its owner should provision a replacement (compare
   * counts(name).provisioned with the configured number). Not called for instances
   * retired by retire() / forget(), nor while the runtime closes.
   */
  onProvisionedLost?: (functionName: string) => void;
}

export interface Acquired {
  instance: Instance;
  /** True when this request paid for init (a cold start). */
  cold: boolean;
}

interface Waiter {
  version: number;
  take: (inst: Instance) => void;
  /** Stop waiting and look again (the instances waited for were retired). */
  retry: () => void;
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
  /** Retired (redeployed or deleted): the entry goes once its last instance and waiter have. */
  forgettable: boolean;
}

/** How long after a cold start took a generic process the pool is refilled. */
const POOL_REFILL_DELAY_MS = 30;
/** Longest pause between attempts to refill a pool whose processes keep dying before they are up. */
const POOL_RETRY_MAX_MS = 5000;
/** Lambda's init limit. */
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/** Functions averaging under this (ms) get pipelined invocations once at eagerInstances. */
const PIPELINE_MAX_AVG_MS = 2;

export function isNodeRuntime(runtime: string): boolean {
  return runtime.startsWith('nodejs');
}

export class RuntimeManager {
  private readonly generic: NodeInstance[] = [];
  /** Pool processes spawned and not up yet. */
  private readonly startingGeneric = new Set<NodeInstance>();
  /** Pool processes that died before they were up, in a row (backs the refill off). */
  private poolFailures = 0;
  /** Instances retired by retire(): their end is no loss (see onProvisionedLost). */
  private readonly superseded = new WeakSet<Instance>();
  /**
   * Lambda's init limit in ms (RuntimeOptions.initTimeoutMs); may be changed at
   * run time, and applies to inits started afterwards.
   */
  initTimeoutMs: number;
  private readonly fns = new Map<string, FunctionInstances>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly eager: number;
  private readonly scaleOutWaitMs: number;

  constructor(private readonly opts: RuntimeOptions) {
    this.eager = opts.eagerInstances ?? 2 * os.availableParallelism();
    this.scaleOutWaitMs = opts.scaleOutWaitMs ?? 10;
    this.initTimeoutMs = opts.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS;
    const reapEvery = Math.min(30_000, Math.max(250, Math.floor(opts.keepAliveMs / 4)));
    this.timers.push(setInterval(() => this.reap(), reapEvery).unref());
    this.timers.push(setInterval(() => this.sampleMemory(), opts.memorySampleMs ?? 200).unref());
    this.fillPool();
  }

  private entry(name: string): FunctionInstances {
    let e = this.fns.get(name);
    if (!e) {
      e = { idle: [], all: new Set(), waiters: [], avgMs: Infinity, lastDoneAt: 0, forgettable: false };
      this.fns.set(name, e);
    }
    return e;
  }

  private refillTimer: NodeJS.Timeout | null = null;

  /**
   * Refill the pool a little later, not now: spawning a process blocks this
   * thread for a few ms and its start-up competes for the CPU with the cold
   * start that just took a generic process. Processes that die before they are
   * up (a broken node, a full process table) back the refill off.
   */
  private refillSoon(): void {
    if (this.refillTimer || this.closed) return;
    const delay = this.poolFailures === 0 ? POOL_REFILL_DELAY_MS : Math.min(POOL_RETRY_MAX_MS, POOL_REFILL_DELAY_MS * 2 ** this.poolFailures);
    this.refillTimer = setTimeout(() => {
      this.refillTimer = null;
      this.fillPool();
    }, delay);
    this.refillTimer.unref();
  }

  private fillPool(): void {
    while (!this.closed && this.generic.length + this.startingGeneric.size < this.opts.poolSize) {
      const inst = new NodeInstance(this.opts.onLog, this.opts.sdkDir);
      this.startingGeneric.add(inst);
      void inst.whenGeneric().then((up) => {
        this.startingGeneric.delete(inst);
        if (!up) {
          // Died before it was up: try again, later each time.
          this.poolFailures++;
          this.refillSoon();
          return;
        }
        this.poolFailures = 0;
        if (this.closed || inst.state !== 'generic') {
          inst.kill();
          return;
        }
        this.generic.push(inst);
        inst.once('dead', () => {
          const i = this.generic.indexOf(inst);
          if (i < 0) return; // taken for a function before it died: not the pool's loss
          this.generic.splice(i, 1);
          this.refillSoon();
        });
      });
    }
  }

  private takeGeneric(): NodeInstance | undefined {
    for (let inst = this.generic.shift(); inst; inst = this.generic.shift()) {
      if (inst.state === 'generic' && !inst.retired) return inst;
    }
    return undefined;
  }

  /**
   * A warm instance if there is one, else a cold one (init happens here). Rejects
   * with InitFailure. The instance is reserved for the caller, who must invoke() it.
   *
   * `fn` must be the function's current configuration: a request that was waiting
   * when the function was retired (redeployed) starts an instance of the `fn` it
   * passed. (The engine passes the configuration it resolved for the request.)
   */
  async acquire(fn: FunctionConfig, provisioned = false): Promise<Acquired> {
    for (;;) {
      if (this.closed) throw new Error('runtime closed');
      const e = this.entry(fn.name);
      e.forgettable = false;
      while (!provisioned && e.idle.length > 0) {
        const inst = e.idle.pop()!;
        if (inst.state !== 'idle' || inst.reserved) continue; // gone, or already taken: not ours
        if (inst.retired || inst.fn!.version !== fn.version) {
          this.superseded.add(inst);
          inst.kill();
          continue;
        }
        return this.handOut(inst);
      }
      if (!provisioned && this.liveCount(e, fn.version) >= this.eager) {
        // A fast function: queue behind a busy instance that has only just started (see Instance.queued).
        if (e.avgMs < PIPELINE_MAX_AVG_MS) {
          for (const inst of e.all) {
            if (inst.canPipeline(PIPELINE_MAX_AVG_MS) && inst.fn?.version === fn.version) return this.handOut(inst);
          }
        }
        const warm = await this.waitForWarm(e, fn.version);
        if (warm === 'retry') continue;
        if (warm !== 'scale') return { instance: warm, cold: false }; // reserved by release()
      }
      return this.startInstance(fn, provisioned);
    }
  }

  /** A new instance of the function, initialized (the cold start). */
  private async startInstance(fn: FunctionConfig, provisioned: boolean): Promise<Acquired> {
    const instFn: FunctionConfig = {
      ...fn,
      env: {
        ...fn.env,
        ...this.opts.instanceEnv?.(fn),
        AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
        AWS_LAMBDA_INITIALIZATION_TYPE: provisioned ? 'provisioned-concurrency' : 'on-demand',
      },
    };
    const initTimeoutMs = Math.max(this.initTimeoutMs, fn.timeout * 1000);
    let inst: Instance;
    if (isNodeRuntime(fn.runtime)) {
      if (instFn.env.NODE_OPTIONS) {
        // Node reads NODE_OPTIONS at start-up only, and the pool's processes started
        // without it: this function gets a process of its own, started as Lambda
        // starts one (the function's environment, in its code directory, so that
        // `--require ./preload.js` resolves as it does there).
        inst = new NodeInstance(this.opts.onLog, this.opts.sdkDir, { env: instFn.env, cwd: fn.codeDir });
      } else {
        inst = this.takeGeneric() ?? new NodeInstance(this.opts.onLog, this.opts.sdkDir);
        this.refillSoon();
      }
    } else {
      inst = await ProvidedInstance.launch(instFn, this.opts.onLog);
    }
    // Tracked from now on (counts, pids, close), while it initializes.
    inst.provisioned = provisioned;
    this.track(this.entry(fn.name), fn.name, inst);
    if (this.closed) {
      inst.kill();
      throw new Error('runtime closed');
    }
    try {
      await inst.assign(instFn, initTimeoutMs);
    } catch (err) {
      inst.kill();
      throw err;
    }
    if (this.closed) {
      inst.kill();
      throw new Error('runtime closed');
    }
    inst.reserved = true;
    return { instance: inst, cold: true };
  }

  /** Instances of this version that can still serve (not retired, not dying). */
  private liveCount(e: FunctionInstances, version: number): number {
    let n = 0;
    for (const inst of e.all) if (!inst.retired && inst.fn?.version === version) n++;
    return n;
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

  /**
   * Waits for a busy instance of the version to come free. 'scale': start one
   * instead (the instances are stuck); 'retry': look again (they were retired, or
   * none of this version is left to wait for).
   */
  private waitForWarm(e: FunctionInstances, version: number): Promise<Instance | 'scale' | 'retry'> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        version,
        take: (inst) => {
          clearTimeout(timer);
          resolve(inst);
        },
        retry: () => {
          clearTimeout(timer);
          resolve('retry');
        },
      };
      const leave = (): void => {
        const i = e.waiters.indexOf(waiter);
        if (i >= 0) e.waiters.splice(i, 1);
        this.maybeForget(e);
      };
      // Scale out only when the instances are stuck, not when they are merely
      // busy: if one finished an invocation within the last wait, the queue is
      // moving (the platform, not the instance count, is the bottleneck) and
      // another process would only compete for the same CPU.
      let due = performance.now() + this.scaleOutWaitMs;
      const expire = (): void => {
        if (this.liveCount(e, version) === 0) {
          // Nothing of this version is left that could be handed over.
          leave();
          resolve('retry');
          return;
        }
        const now = performance.now();
        // A timer that fires late means this event loop is saturated: more
        // processes cannot help, and the instances only look slow because
        // their answers wait to be read.
        const saturated = now - due > Math.max(5, this.scaleOutWaitMs / 2);
        if (saturated || now - e.lastDoneAt < this.scaleOutWaitMs || this.anyMoving(e, now, version)) {
          due = now + this.scaleOutWaitMs;
          timer = setTimeout(expire, this.scaleOutWaitMs);
          return;
        }
        leave();
        resolve('scale');
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
  private anyMoving(e: FunctionInstances, now: number, version: number): boolean {
    if (e.avgMs === Infinity) return false; // nothing known yet: scale out, as Lambda would
    const stuckAfter = Math.max(this.scaleOutWaitMs, 10 * e.avgMs);
    for (const inst of e.all) {
      if (inst.state !== 'busy' || inst.retired || inst.fn?.version !== version) continue;
      const ran = inst.runningForMs(now);
      // Expected to finish within one more wait, and not stuck far past the usual.
      if (ran < stuckAfter && e.avgMs - ran < this.scaleOutWaitMs) return true;
    }
    return false;
  }

  private track(e: FunctionInstances, name: string, inst: Instance): void {
    e.all.add(inst);
    inst.once('dead', (initFailure: InitFailure | null) => {
      e.all.delete(inst);
      const i = e.idle.indexOf(inst);
      if (i >= 0) e.idle.splice(i, 1);
      // A provisioned instance lost after its init is replaced by the owner. (One
      // that failed its init is not: provision() already reported that failure.)
      if (inst.provisioned && !initFailure && !this.superseded.has(inst) && !this.closed) {
        try {
          this.opts.onProvisionedLost?.(name);
        } catch {
          /* the owner's problem, not this instance's */
        }
      }
      this.maybeForget(e);
    });
  }

  /** Back to the warm set after an invocation (or gone, if it should not be reused). */
  release(inst: Instance, durationMs?: number): void {
    const e = inst.fn ? this.fns.get(inst.fn.name) : undefined;
    if (e && durationMs !== undefined) {
      e.avgMs = e.avgMs === Infinity ? durationMs : e.avgMs * 0.9 + durationMs * 0.1;
      e.lastDoneAt = performance.now();
    }
    // Dead, running a pipelined invocation, or already handed to the next request.
    if (inst.state !== 'idle' || inst.reserved) return;
    if (inst.retired || this.closed || !e) {
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

  /**
   * Hot reload / redeploy / delete: no new work for this function's current
   * instances. Idle ones go now, busy ones when their invocation ends; requests
   * waiting for one of them look again (see acquire). Once the function has no
   * instances and no waiting requests left, and has not been acquired since, its
   * bookkeeping is dropped too (a deleted function leaves nothing behind).
   */
  retire(functionName: string): void {
    const e = this.fns.get(functionName);
    if (!e) return;
    for (const inst of e.all) {
      inst.retired = true;
      this.superseded.add(inst);
      // A reserved one is about to serve the request it was handed to; it goes after.
      if (inst.state === 'idle' && !inst.reserved) inst.kill();
    }
    e.idle.length = 0;
    e.forgettable = true;
    for (const w of e.waiters.splice(0)) w.retry();
    this.maybeForget(e);
  }

  /** The function was deleted: retire its instances and drop its bookkeeping (same as retire()). */
  forget(functionName: string): void {
    this.retire(functionName);
  }

  private maybeForget(e: FunctionInstances): void {
    if (!e.forgettable || e.all.size > 0 || e.waiters.length > 0) return;
    for (const [name, x] of this.fns) {
      if (x === e) {
        this.fns.delete(name);
        return;
      }
    }
  }

  /**
   * Instances (alive) per function, for tests, stats and `nimbus ls`.
   * `provisioned` counts the provisioned instances that still serve: initializing
   * or initialized, not retired, and of `version` when given.
   */
  counts(functionName: string, version?: number): { total: number; idle: number; busy: number; provisioned: number } {
    const e = this.fns.get(functionName);
    if (!e) return { total: 0, idle: 0, busy: 0, provisioned: 0 };
    let idle = 0;
    let busy = 0;
    let provisioned = 0;
    for (const i of e.all) {
      if (i.state === 'idle') idle++;
      if (i.state === 'busy') busy++;
      if (i.provisioned && !i.retired && i.state !== 'dead' && (version === undefined || i.fn?.version === version)) provisioned++;
    }
    return { total: e.all.size, idle, busy, provisioned };
  }

  /** PIDs of every live process the runtime owns (generic pool, starting ones included). */
  pids(): number[] {
    const out: number[] = [...this.generic, ...this.startingGeneric].map((g) => g.pid);
    for (const e of this.fns.values()) for (const i of e.all) out.push(i.pid);
    return out;
  }

  /** Names of the functions the runtime keeps bookkeeping for (instances, waiters or stats). */
  functionNames(): string[] {
    return [...this.fns.keys()];
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
    const all: Instance[] = [...this.generic, ...this.startingGeneric];
    for (const e of this.fns.values()) {
      all.push(...e.all);
      for (const w of e.waiters.splice(0)) w.retry(); // they find the runtime closed
    }
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
