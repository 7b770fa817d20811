/**
 * A Node.js instance: a pre-startable generic process running Nimbus' runtime
 * client (node-client/main.ts), talking frames over fd 3 instead of HTTP.
 *
 * fd 3 is open to the function's own code, so every frame is checked: its
 * framing (protocol.ts), its header, and whether it fits the instance's state
 * (Hello only while starting, Ready / InitError only during init, Response /
 * Error only for the invocation in progress). Anything else kills the instance
 * and fails its invocation; it never reaches the platform as an exception.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type * as net from 'node:net';
import { Instance } from './instance';
import {
  FrameDecoder,
  FrameType,
  MAX_INSTANCE_FRAME,
  ProtocolError,
  RESPONSE_TOO_LARGE_MESSAGE,
  encodeFrame,
  parseHeader,
  type AssignHeader,
  type DoneHeader,
  type ErrorBody,
  type Frame,
} from './protocol';
import { InitFailure, type FunctionConfig, type Invocation, type LogListener } from './types';
import { baseProcessEnv } from './env';

const CLIENT = path.join(__dirname, 'node-client', 'main.js');

export interface NodeSpawnOptions {
  /** The process' environment (default: the generic base environment). */
  env?: Record<string, string>;
  /** Working directory (default `/`; a dedicated process starts in the code directory). */
  cwd?: string;
}

export class NodeInstance extends Instance {
  override readonly pipelining = true;
  private readonly channel: net.Socket;
  private readonly decoder = new FrameDecoder(MAX_INSTANCE_FRAME);
  /** Settles true once the generic process is up, false if it dies first. */
  private readonly helloed: Promise<boolean>;
  private onHello!: (up: boolean) => void;

  constructor(onLog: LogListener, sdkDir: string, spawnOpts: NodeSpawnOptions = {}) {
    const proc = spawn(process.execPath, [CLIENT], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: spawnOpts.env ?? baseProcessEnv(),
      cwd: spawnOpts.cwd ?? '/',
    });
    super(proc, onLog);
    this.sdkDir = sdkDir;
    this.channel = proc.stdio[3] as net.Socket;
    this.helloed = new Promise<boolean>((resolve) => (this.onHello = resolve));
    this.channel.on('data', (chunk: Buffer) => this.onData(chunk));
    this.channel.on('error', () => this.kill());
    this.on('dead', () => {
      this.onHello(false);
      this.decoder.stop();
    });
  }

  private readonly sdkDir: string;

  /** Resolves true once the generic process is up and waiting for code, false if it died first. */
  whenGeneric(): Promise<boolean> {
    return this.helloed;
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (f) => this.onFrame(f));
    } catch (e) {
      if (e instanceof ProtocolError && e.tooLarge?.type === FrameType.Response) {
        this.violation(RESPONSE_TOO_LARGE_MESSAGE, 'Function.ResponseSizeTooLarge');
      } else {
        this.violation(`Runtime sent an invalid message: ${(e as Error).message}`);
      }
    }
  }

  private onFrame(f: Frame): void {
    // A killed process' last output (a timeout's, say) is still its output; nothing
    // else it sends matters any more. (After a framing error nothing is decoded at all.)
    if (this.dying && f.type !== FrameType.Log) return;
    switch (f.type) {
      case FrameType.Response:
      case FrameType.Error: {
        const h = doneHeader(f);
        if (this.state !== 'busy' || h.id !== this.currentRequestId) {
          throw new ProtocolError(`${f.type === FrameType.Response ? 'response' : 'error'} for request ${JSON.stringify(h.id).slice(0, 80)}, which is not in progress`);
        }
        if (f.type === FrameType.Error) checkErrorBody(f.body);
        this.complete(f.type === FrameType.Response ? 'response' : 'error', h.id, f.body, h.maxRss, h.fatal === true);
        break;
      }
      case FrameType.Log:
        this.output('stdout', f.body.toString('utf8'));
        break;
      case FrameType.Hello:
        if (this.state !== 'starting') throw new ProtocolError(`Hello while ${this.state}`);
        this.state = 'generic';
        this.onHello(true);
        break;
      case FrameType.Ready: {
        if (this.state !== 'initializing' || !this.initInProgress) throw new ProtocolError(`Ready while ${this.state}`);
        const h = parseHeader<{ initMs?: unknown; maxRss?: unknown }>(f);
        this.initMs = typeof h.initMs === 'number' && Number.isFinite(h.initMs) ? h.initMs : 0;
        if (typeof h.maxRss === 'number' && h.maxRss > this.maxRssKb) this.maxRssKb = h.maxRss;
        this.state = 'idle';
        this.initSucceeded();
        break;
      }
      case FrameType.InitError: {
        if (this.state !== 'initializing' || !this.initInProgress) throw new ProtocolError(`InitError while ${this.state}`);
        const b = errorBody(parseHeader<unknown>(f));
        this.initFailed(new InitFailure(b.errorType, b.errorMessage, b.trace));
        break;
      }
      default:
        throw new ProtocolError(`unknown frame type 0x${Number(f.type).toString(16)}`);
    }
  }

  async assign(fn: FunctionConfig, initTimeoutMs = Infinity): Promise<void> {
    if (this.state === 'starting' || this.state === 'generic') this.fn = fn; // output from now on is the function's
    // The deadline covers waiting for the process to come up, as Lambda's covers the sandbox's start.
    return this.runInit(initTimeoutMs, () => {
      void this.helloed.then((up) => {
        if (!this.initInProgress) return; // timed out or died meanwhile
        if (!up || this.state !== 'generic') {
          this.initFailed(new InitFailure('Runtime.ExitError', 'Runtime exited before init'));
          return;
        }
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
        this.channel.write(encodeFrame(FrameType.Assign, header));
      });
    });
  }

  protected send(inv: Invocation): void {
    const fn = this.fn!;
    this.channel.write(
      encodeFrame(FrameType.Invoke, { id: inv.id, timeoutMs: inv.timeoutMs, arn: fn.arn, trace: inv.traceId, clientContext: inv.clientContext }, inv.payload),
    );
  }
}

function doneHeader(f: Frame): DoneHeader {
  const h = parseHeader<Partial<DoneHeader> | null>(f);
  if (!h || typeof h !== 'object' || typeof h.id !== 'string') throw new ProtocolError('completion without a request id');
  return { id: h.id, maxRss: typeof h.maxRss === 'number' && Number.isFinite(h.maxRss) ? h.maxRss : 0, fatal: h.fatal === true };
}

/** An error body must be Lambda's error shape: the engine hands it to callers as is. */
function checkErrorBody(body: Buffer): void {
  let b: unknown;
  try {
    b = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolError('error body is not JSON');
  }
  errorBody(b);
}

function errorBody(b: unknown): ErrorBody {
  const o = b as Partial<ErrorBody> | null;
  if (!o || typeof o !== 'object' || typeof o.errorType !== 'string' || typeof o.errorMessage !== 'string') throw new ProtocolError('malformed error body');
  return { errorType: o.errorType, errorMessage: o.errorMessage, trace: Array.isArray(o.trace) ? o.trace.map(String) : [] };
}
