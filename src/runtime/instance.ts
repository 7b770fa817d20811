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
  timer: NodeJS.Timeout;
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
  protected pending: Pending | null = null;
  protected maxRssKb = 0;
  private killReason: { errorType: string; message: string } | null = null;

  constructor(
    protected readonly proc: ChildProcess,
    protected readonly onLog: LogListener,
  ) {
    super();
    proc.stdout?.on('data', (b: Buffer) => this.output('stdout', b.toString('utf8')));
    proc.stderr?.on('data', (b: Buffer) => this.output('stderr', b.toString('utf8')));
    proc.on('exit', (code, signal) => this.exited(code, signal));
    proc.on('error', () => this.exited(null, null));
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

  /** Load the function's code (the init phase). Rejects with InitFailure. */
  abstract assign(fn: FunctionConfig): Promise<void>;
  protected abstract send(inv: Invocation): void;

  invoke(inv: Invocation): Promise<InvocationOutcome> {
    if (this.state !== 'idle') return Promise.reject(new Error(`instance ${this.id} is ${this.state}`));
    this.state = 'busy';
    return new Promise<InvocationOutcome>((resolve) => {
      const ms = Math.max(0, inv.deadline - Date.now());
      const timer = setTimeout(() => this.timedOut(), ms);
      this.pending = { inv, resolve, timer };
      this.send(inv);
    });
  }

  /** A subclass got the outcome of the invocation in progress. */
  protected complete(kind: 'response' | 'error', id: string, payload: Buffer, maxRssKb: number): void {
    const p = this.pending;
    if (!p || p.inv.id !== id) return; // late answer for an invocation that already ended
    clearTimeout(p.timer);
    this.pending = null;
    if (maxRssKb > this.maxRssKb) this.maxRssKb = maxRssKb;
    const limitKb = (this.fn?.memorySize ?? Infinity) * 1024;
    if (this.maxRssKb > limitKb) {
      // Over the memory limit: Lambda kills the sandbox; the answer is lost.
      this.kill('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed');
      p.resolve({ kind: 'crash', errorType: 'Runtime.OutOfMemory', message: 'Runtime exited with error: signal: killed', maxRssKb: this.maxRssKb });
      return;
    }
    this.state = 'idle';
    this.lastUsed = Date.now();
    p.resolve({ kind, payload, maxRssKb: this.maxRssKb });
  }

  private timedOut(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const rss = this.sampleRssKb();
    this.kill('Sandbox.Timedout', 'Task timed out');
    p.resolve({ kind: 'timeout', maxRssKb: Math.max(rss, this.maxRssKb) });
  }

  /** Current resident set of the process in KB, from /proc (0 when unavailable). */
  sampleRssKb(): number {
    try {
      const statm = fs.readFileSync(`/proc/${this.pid}/statm`, 'latin1');
      const pages = Number(statm.split(' ')[1]);
      return Math.round((pages * 4096) / 1024);
    } catch {
      return 0;
    }
  }

  /** Called by the memory sampler: kill an instance whose process grew past the limit. */
  checkMemory(): void {
    if (!this.fn || this.state === 'dead') return;
    const rss = this.sampleRssKb();
    if (rss > this.maxRssKb) this.maxRssKb = rss;
    if (rss > this.fn.memorySize * 1024) this.kill('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed');
  }

  kill(errorType = 'Runtime.ExitError', message = 'Runtime exited'): void {
    if (this.state === 'dead') return;
    this.killReason ??= { errorType, message };
    this.retired = true;
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
      clearTimeout(p.timer);
      this.pending = null;
      p.resolve({ kind: 'crash', errorType: reason.errorType, message: reason.message, maxRssKb: this.maxRssKb });
    }
    this.emit('dead', wasInitializing ? new InitFailure(reason.errorType, reason.message) : null);
  }
}
