/**
 * An instance of a `provided` runtime: the function's own `bootstrap` executable,
 * talking to a Lambda Runtime API (2018-06-01) server that this instance owns on
 * an ephemeral loopback port. Init ends at the bootstrap's first `next` call,
 * which is where Lambda ends its init phase too.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Instance } from './instance';
import { InitFailure, type FunctionConfig, type Invocation, type LogListener } from './types';

const PREFIX = '/2018-06-01/runtime/';
/** Lambda's synchronous response limit. */
const MAX_RESPONSE = 6 * 1024 * 1024;

export class ProvidedInstance extends Instance {
  private constructor(
    proc: ReturnType<typeof spawn>,
    onLog: LogListener,
    private readonly server: http.Server,
  ) {
    super(proc, onLog);
    this.on('dead', () => {
      this.server.close();
      this.server.closeAllConnections();
    });
  }

  private waitingNext: http.ServerResponse | null = null;
  private undelivered: Invocation | null = null;
  private initWaiter: { resolve: () => void; reject: (e: InitFailure) => void } | null = null;
  private initStart = 0;

  /** Starts the Runtime API server and the bootstrap; resolves once init is done (first `next`). */
  static async start(fn: FunctionConfig, onLog: LogListener): Promise<ProvidedInstance> {
    const bootstrap = path.join(fn.codeDir, 'bootstrap');
    if (!fs.existsSync(bootstrap)) {
      throw new InitFailure('Runtime.InvalidEntrypoint', `Couldn't find valid bootstrap(s): [${bootstrap}]`);
    }
    let self: ProvidedInstance | null = null;
    const server = http.createServer((req, res) => self?.route(req, res));
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const env = { ...fn.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` };
    const proc = spawn(bootstrap, [], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: fn.codeDir });
    self = new ProvidedInstance(proc, onLog, server);
    self.fn = fn;
    self.state = 'initializing';
    self.initStart = performance.now();
    const inst = self;
    await new Promise<void>((resolve, reject) => {
      inst.initWaiter = { resolve, reject };
      inst.once('dead', (e: InitFailure | null) => {
        const w = inst.initWaiter;
        inst.initWaiter = null;
        w?.reject(e ?? new InitFailure('Runtime.ExitError', 'Runtime exited without providing a reason'));
      });
    });
    return inst;
  }

  assign(): Promise<void> {
    return Promise.reject(new Error('provided instances are started for one function'));
  }

  protected send(inv: Invocation): void {
    if (this.waitingNext) {
      const res = this.waitingNext;
      this.waitingNext = null;
      this.deliver(res, inv);
    } else {
      this.undelivered = inv;
    }
  }

  private deliver(res: http.ServerResponse, inv: Invocation): void {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': inv.id,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + inv.timeoutMs),
      'Lambda-Runtime-Invoked-Function-Arn': this.fn!.arn,
      'Lambda-Runtime-Trace-Id': inv.traceId,
    };
    if (inv.clientContext) headers['Lambda-Runtime-Client-Context'] = Buffer.from(inv.clientContext, 'base64').toString('utf8');
    res.writeHead(200, headers);
    res.end(inv.payload);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return json(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
    const rest = url.slice(PREFIX.length);
    if (req.method === 'GET' && rest === 'invocation/next') return this.next(res);
    if (req.method === 'POST' && rest === 'init/error') {
      return readBody(req, MAX_RESPONSE, (body) => {
        json(res, 202, { status: 'OK' });
        const err = parseError(body, req.headers['lambda-runtime-function-error-type']);
        const w = this.initWaiter;
        this.initWaiter = null;
        w?.reject(new InitFailure(err.errorType, err.errorMessage, err.trace));
        this.kill(err.errorType, err.errorMessage);
      });
    }
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(rest);
    if (req.method === 'POST' && m) {
      const id = decodeURIComponent(m[1]!);
      if (this.currentRequestId !== id) return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
      return readBody(req, MAX_RESPONSE, (body, tooLarge) => {
        if (tooLarge) {
          json(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE} bytes).`, errorType: 'RequestEntityTooLarge' });
          const errBody = Buffer.from(JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE} bytes).` }));
          this.complete('error', id, errBody, this.sampleRssKb());
          return;
        }
        json(res, 202, { status: 'OK' });
        if (m[2] === 'response') {
          this.complete('response', id, body, this.sampleRssKb());
        } else {
          const err = parseError(body, req.headers['lambda-runtime-function-error-type']);
          this.complete('error', id, Buffer.from(JSON.stringify({ errorType: err.errorType, errorMessage: err.errorMessage, trace: err.trace })), this.sampleRssKb());
        }
      });
    }
    json(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
  }

  private next(res: http.ServerResponse): void {
    if (this.state === 'initializing') {
      this.initMs = performance.now() - this.initStart;
      this.state = 'idle';
      const w = this.initWaiter;
      this.initWaiter = null;
      w?.resolve();
    }
    if (this.undelivered) {
      const inv = this.undelivered;
      this.undelivered = null;
      this.deliver(res, inv);
    } else {
      this.waitingNext = res;
    }
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage, limit: number, done: (b: Buffer, tooLarge: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > limit) over = true;
    else chunks.push(c);
  });
  req.on('end', () => done(Buffer.concat(chunks), over));
}

function parseError(body: Buffer, typeHeader: string | string[] | undefined): { errorType: string; errorMessage: string; trace: string[] } {
  let parsed: { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown; trace?: unknown } = {};
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    /* Lambda accepts any body here */
  }
  const headerType = Array.isArray(typeHeader) ? typeHeader[0] : typeHeader;
  const trace = Array.isArray(parsed.stackTrace) ? parsed.stackTrace : Array.isArray(parsed.trace) ? parsed.trace : [];
  return {
    errorType: typeof parsed.errorType === 'string' ? parsed.errorType : headerType ?? 'Unhandled',
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body.toString('utf8'),
    trace: trace.map(String),
  };
}
