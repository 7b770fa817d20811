/**
 * A Node.js instance: a pre-startable generic process running Nimbus' runtime
 * client (node-client/main.ts), talking frames over fd 3 instead of HTTP.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type * as net from 'node:net';
import { Instance } from './instance';
import { FrameDecoder, FrameType, encodeFrame, parseHeader, type AssignHeader, type DoneHeader, type ErrorBody, type Frame } from './protocol';
import { InitFailure, type FunctionConfig, type Invocation, type LogListener } from './types';
import { baseProcessEnv } from './env';

const CLIENT = path.join(__dirname, 'node-client', 'main.js');

export class NodeInstance extends Instance {
  override readonly pipelining = true;
  private readonly channel: net.Socket;
  private readonly decoder = new FrameDecoder();
  private readonly helloed: Promise<void>;
  private onHello!: () => void;
  private initWaiter: { resolve: () => void; reject: (e: InitFailure) => void } | null = null;

  constructor(onLog: LogListener, sdkDir: string) {
    const proc = spawn(process.execPath, [CLIENT], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: baseProcessEnv(),
      cwd: '/',
    });
    super(proc, onLog);
    this.sdkDir = sdkDir;
    this.channel = proc.stdio[3] as net.Socket;
    this.helloed = new Promise<void>((resolve) => (this.onHello = resolve));
    this.channel.on('data', (chunk: Buffer) => this.decoder.push(chunk, (f) => this.onFrame(f)));
    this.channel.on('error', () => this.kill());
    this.on('dead', (e: InitFailure | null) => {
      const w = this.initWaiter;
      this.initWaiter = null;
      w?.reject(e ?? new InitFailure('Runtime.ExitError', 'Runtime exited during init'));
    });
  }

  private readonly sdkDir: string;

  /** Resolves once the generic process is up and waiting for code. */
  whenGeneric(): Promise<void> {
    return this.helloed;
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.Response: {
        const h = parseHeader<DoneHeader>(f);
        this.complete('response', h.id, f.body, h.maxRss);
        break;
      }
      case FrameType.Error: {
        const h = parseHeader<DoneHeader>(f);
        this.complete('error', h.id || (this.currentRequestId ?? ''), f.body, h.maxRss);
        break;
      }
      case FrameType.Log:
        this.output('stdout', f.body.toString('utf8'));
        break;
      case FrameType.Hello:
        this.state = 'generic';
        this.onHello();
        break;
      case FrameType.Ready: {
        const h = parseHeader<{ initMs: number; maxRss: number }>(f);
        this.initMs = h.initMs;
        this.maxRssKb = Math.max(this.maxRssKb, h.maxRss);
        this.state = 'idle';
        const w = this.initWaiter;
        this.initWaiter = null;
        w?.resolve();
        break;
      }
      case FrameType.InitError: {
        const b = parseHeader<ErrorBody>(f);
        const w = this.initWaiter;
        this.initWaiter = null;
        w?.reject(new InitFailure(b.errorType, b.errorMessage, b.trace));
        break;
      }
    }
  }

  async assign(fn: FunctionConfig): Promise<void> {
    await this.helloed;
    if (this.state !== 'generic') throw new InitFailure('Runtime.ExitError', 'Runtime exited before init');
    this.fn = fn;
    this.state = 'initializing';
    const header: AssignHeader = {
      handler: fn.handler,
      modulePath: fn.modulePath,
      exportPath: fn.exportPath,
      taskRoot: fn.codeDir,
      env: fn.env,
      functionName: fn.name,
      functionVersion: '$LATEST',
      memorySize: fn.memorySize,
      logGroupName: fn.logGroupName,
      logStreamName: fn.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
      sdkDir: this.sdkDir,
      esmSdkHook: fn.esmSdkHook,
    };
    await new Promise<void>((resolve, reject) => {
      this.initWaiter = { resolve, reject };
      this.channel.write(encodeFrame(FrameType.Assign, header));
    });
  }

  protected send(inv: Invocation): void {
    const fn = this.fn!;
    this.channel.write(
      encodeFrame(FrameType.Invoke, { id: inv.id, timeoutMs: inv.timeoutMs, arn: fn.arn, trace: inv.traceId, clientContext: inv.clientContext }, inv.payload),
    );
  }
}
