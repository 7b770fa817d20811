/**
 * An instance: one OS process running one function's code, one invocation at a
 * time. This base class holds what every runtime shares: the lifecycle states,
 * the invocation timeout, crash handling and output capture. Subclasses speak
 * either the private frame channel (Node) or the HTTP Runtime API (anything else).
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import {
  InitFailure,
  type FunctionConfig,
  type InstanceState,
  type Invocation,
  type InvocationOutcome,
  type LogListener,
  type LogStream,
} from './types';

let seq = 0;

interface Pending {
  inv: Invocation;
  resolve: (o: InvocationOutcome) => void;
  timer: NodeJS.Timeout | null;
  /** performance.now() when the instance started it. */
  startedAt: number;
}

export abstract class Instance extends EventEmitter {
  readonly id = `i${++seq}`;
  state: InstanceState = 'starting';
  fn: FunctionConfig | null = null;
  /** Init duration (ms) of the assignment; reported with the first invocation only. */
  initMs = 0;
  /** True until the first invocation after init has been served. */
  fresh = true;
  /** Provisioned instances are never reaped while idle. */
  provisioned = false;
  lastUsed = Date.now();
  /** Set when the instance should not be reused (stale code, memory limit, ...). */
  retired = false;
  /**
   * Handed out by the manager for an invocation that has not called invoke() yet.
   * Until it does, the instance may look idle, and must not be handed out again.
   */
  reserved = false;
  protected pending: Pending | null = null;
  /**
   * Pipelined invocations: already handed to the process, which starts each one
   * only after the one before it (one at a time, as Lambda runs them). Saves the
   * process a sleep and a wake-up per invocation under load. Only runtimes that
   * queue on their side support it (see `pipelining`).
   */
  protected queued: Pending[] = [];
  /** Whether this kind of instance accepts an invocation while busy. */
  readonly pipelining: boolean = false;
  protected maxRssKb = 0;
  private killReason: { errorType: string; message: string } | null = null;
  /** Settles the init phase (assign); null when no init is in progress. */
  private initWaiter: { resolve: () => void; reject: (e: InitFailure) => void } | null = null;
  private rssCache = { at: -Infinity, kb: 0 };

  constructor(
    protected readonly proc: ChildProcess,
    protected readonly onLog: LogListener,
  ) {
    super();
    proc.stdout?.on('data', (b: Buffer) => this.output('stdout', b.toString('utf8')));
    proc.stderr?.on('data', (b: Buffer) => this.output('stderr', b.toString('utf8')));
    proc.on('exit', (code, signal) => this.exited(code, signal));
    proc.on('error', () => this.exited(null, null));
    this.on('dead', (e: InitFailure | null) => this.initFailed(e ?? new InitFailure('Runtime.ExitError', 'Runtime exited without providing a reason')));
  }

  /** True once the instance has been killed (or has died): whatever it still sends is ignored. */
  protected get dying(): boolean {
    return this.killReason !== null || this.state === 'dead';
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get currentRequestId(): string | null {
    return this.pending?.inv.id ?? null;
  }

  protected output(stream: LogStream, text: string): void {
    if (this.fn) this.onLog(this.fn.name, this.currentRequestId, stream, text);
  }

  /**
   * Load the function's code (the init phase). Rejects with InitFailure, also when
   * init takes longer than `initTimeoutMs` (the instance is then killed).
   */
  abstract assign(fn: FunctionConfig, initTimeoutMs?: number): Promise<void>;
  protected abstract send(inv: Invocation): void;

  /**
   * Runs the init phase: `begin` starts it, and the subclass ends it with
   * initSucceeded() / initFailed(); the instance dying ends it too. Lambda limits
   * init (10 s, then once more within the function timeout); past the deadline the
   * instance is killed and init fails with Sandbox.Timedout, as Lambda reports it.
   */
  protected runInit(initTimeoutMs: number, begin: () => void): Promise<void> {
    if (this.state === 'dead') return Promise.reject(this.killReason ? new InitFailure(this.killReason.errorType, this.killReason.message) : new InitFailure('Runtime.ExitError', 'Runtime exited before init'));
    if (this.state === 'idle' || this.state === 'busy') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      if (Number.isFinite(initTimeoutMs) && initTimeoutMs > 0) {
        timer = setTimeout(() => {
          const message = `Task timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds`;
          this.initFailed(new InitFailure('Sandbox.Timedout', message));
          this.kill('Sandbox.Timedout', message);
        }, initTimeoutMs);
      }
      this.initWaiter = {
        resolve: () => {
          if (timer) clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          if (timer) clearTimeout(timer);
          reject(e);
        },
      };
      begin();
    });
  }

  protected get initInProgress(): boolean {
    return this.initWaiter !== null;
  }

  protected initSucceeded(): void {
    const w = this.initWaiter;
    this.initWaiter = null;
    w?.resolve();
  }

  protected initFailed(e: InitFailure): void {
    const w = this.initWaiter;
    this.initWaiter = null;
    w?.reject(e);
  }

  invoke(inv: Invocation): Promise<InvocationOutcome> {
    this.reserved = false;
    if (this.state === 'idle') {
      this.state = 'busy';
      return new Promise<InvocationOutcome>((resolve) => {
        this.start({ inv, resolve, timer: null, startedAt: 0 });
        this.send(inv);
      });
    }
    if (this.state === 'busy' && this.pipelining && this.queued.length === 0) {
      return new Promise<InvocationOutcome>((resolve) => {
        this.queued.push({ inv, resolve, timer: null, startedAt: 0 });
        this.send(inv);
      });
    }
    return Promise.reject(new Error(`instance ${this.id} is ${this.state}`));
  }

  /** True when a pipelined invocation could be handed over now (see RuntimeManager.acquire). */
  canPipeline(maxRunningMs: number): boolean {
    return this.pipelining && this.state === 'busy' && !this.retired && !this.reserved && this.queued.length === 0 && this.pending !== null && performance.now() - this.pending.startedAt < maxRunningMs;
  }

  /** How long the invocation in progress has been running (0 when none). */
  runningForMs(now: number): number {
    return this.pending ? now - this.pending.startedAt : 0;
  }

  private start(p: Pending): void {
    p.startedAt = performance.now();
    p.timer = setTimeout(() => this.timedOut(), p.inv.timeoutMs);
    this.pending = p;
  }

  /**
   * A subclass got the outcome of the invocation in progress. `fatal`: the process
   * is going away (the error escaped the handler); it gets no further work.
   */
  protected complete(kind: 'response' | 'error', id: string, payload: Buffer, maxRssKb: number, fatal = false): void {
    const p = this.pending;
    if (!p || p.inv.id !== id) return; // late answer for an invocation that already ended
    if (p.timer) clearTimeout(p.timer);
    this.pending = null;
    const durationMs = performance.now() - p.startedAt;
    if (maxRssKb > this.maxRssKb) this.maxRssKb = maxRssKb;
    if (fatal) {
      // Retire and hand back the pipelined invocations before anyone hears of the
      // outcome: the caller releases the instance as soon as it resolves, and the
      // next request must not be given a process that is about to exit. The process
      // exits on its own once the frame is written (its last logs go with it);
      // it is killed if it lingers.
      this.retired = true;
      this.requeueAll();
      setTimeout(() => this.kill(), 2000).unref();
      p.resolve({ kind, payload, maxRssKb: this.maxRssKb, durationMs });
      return;
    }
    const limitKb = (this.fn?.memorySize ?? Infinity) * 1024;
    if (this.maxRssKb > limitKb) {
      // Over the memory limit: Lambda kills the sandbox; the answer is lost.
      this.kill('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed');
      p.resolve({ kind: 'crash', errorType: 'Runtime.OutOfMemory', message: 'Runtime exited with error: signal: killed', maxRssKb: this.maxRssKb, durationMs });
      return;
    }
    this.lastUsed = Date.now();
    const next = this.queued.shift();
    if (next) this.start(next);
    else this.state = 'idle';
    p.resolve({ kind, payload, maxRssKb: this.maxRssKb, durationMs });
  }

  private timedOut(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const rss = this.sampleRssKb(0);
    this.kill('Sandbox.Timedout', 'Task timed out');
    p.resolve({ kind: 'timeout', maxRssKb: Math.max(rss, this.maxRssKb), durationMs: performance.now() - p.startedAt });
  }

  /** Pipelined invocations that never started go back to the engine to run elsewhere. */
  private requeueAll(): void {
    const q = this.queued;
    this.queued = [];
    for (const p of q) p.resolve({ kind: 'requeue' });
  }

  /**
   * Current resident set of the process in KB, from /proc (0 when unavailable).
   * A reading up to `maxAgeMs` old is reused: the file read is a syscall or three,
   * too much to repeat on every completion of a busy instance.
   */
  sampleRssKb(maxAgeMs = 0): number {
    const now = performance.now();
    if (now - this.rssCache.at <= maxAgeMs) return this.rssCache.kb;
    let kb = 0;
    try {
      const statm = fs.readFileSync(`/proc/${this.pid}/statm`, 'latin1');
      const pages = Number(statm.split(' ')[1]);
      kb = Math.round((pages * 4096) / 1024);
    } catch {
      kb = 0;
    }
    this.rssCache = { at: now, kb };
    return kb;
  }

  /** Called by the memory sampler: kill an instance whose process grew past the limit. */
  checkMemory(): void {
    if (!this.fn || this.state === 'dead') return;
    const rss = this.sampleRssKb(0);
    if (rss > this.maxRssKb) this.maxRssKb = rss;
    if (rss > this.fn.memorySize * 1024) this.kill('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed');
  }

  /**
   * The process broke the protocol (a malformed or out-of-place message): it is
   * killed, and its invocation fails with this message once it is gone.
   */
  protected violation(message: string, errorType = 'Runtime.Unknown'): void {
    this.kill(errorType, message);
  }

  kill(errorType = 'Runtime.ExitError', message = 'Runtime exited'): void {
    if (this.state === 'dead') return;
    this.killReason ??= { errorType, message };
    this.retired = true;
    this.requeueAll();
    try {
      this.proc.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }

  protected exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.state === 'dead') return;
    const wasInitializing = this.state === 'initializing' || this.state === 'starting' || this.state === 'generic';
    this.state = 'dead';
    this.retired = true;
    const reason = this.killReason ?? {
      errorType: 'Runtime.ExitError',
      message: signal ? `Runtime exited with error: signal: ${signal.replace(/^SIG/, '').toLowerCase() === 'kill' ? 'killed' : signal}` : `Runtime exited with error: exit status ${code ?? 'unknown'}`,
    };
    const p = this.pending;
    if (p) {
      if (p.timer) clearTimeout(p.timer);
      this.pending = null;
      p.resolve({ kind: 'crash', errorType: reason.errorType, message: reason.message, maxRssKb: this.maxRssKb, durationMs: performance.now() - p.startedAt });
    }
    this.requeueAll();
    this.emit('dead', wasInitializing ? new InitFailure(reason.errorType, reason.message) : null);
  }
}
