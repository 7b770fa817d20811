/**
 * An instance of a `provided` runtime: the function's own `bootstrap` executable,
 * talking to a Lambda Runtime API (2018-06-01) server that this instance owns on
 * an ephemeral loopback port. Init ends at the bootstrap's first `next` call,
 * which is where Lambda ends its init phase too.
 *
 * The bootstrap is the function's code, so nothing it sends may throw in the
 * platform: malformed requests get the Runtime API's 4xx answers, as Lambda's
 * gives them, and anything unexpected while handling one kills the instance.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Instance } from './instance';
import { MAX_RESPONSE_BYTES, RESPONSE_TOO_LARGE_MESSAGE } from './protocol';
import { InitFailure, type FunctionConfig, type Invocation, type LogListener } from './types';
import { readCappedBody } from '../http-body';

const PREFIX = '/2018-06-01/runtime/';
/** Init error and function error bodies: Lambda takes them up to the response limit too. */
const MAX_BODY = MAX_RESPONSE_BYTES;
/** /proc reads on completion are reused for this long (see Instance.sampleRssKb). */
const RSS_MAX_AGE_MS = 50;

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
  /** The invocation handed to the bootstrap and not answered yet. */
  private delivered: string | null = null;
  private initStart = 0;

  /**
   * Starts the Runtime API server and the bootstrap; returns at once, with init
   * in progress (assign() waits for it), so that the owner tracks the process
   * while it initializes.
   */
  static async launch(fn: FunctionConfig, onLog: LogListener): Promise<ProvidedInstance> {
    const bootstrap = path.join(fn.codeDir, 'bootstrap');
    if (!fs.existsSync(bootstrap)) {
      throw new InitFailure('Runtime.InvalidEntrypoint', `Couldn't find valid bootstrap(s): [${bootstrap}]`);
    }
    let self: ProvidedInstance | null = null;
    const server = http.createServer((req, res) => {
      if (self) self.route(req, res);
      else json(res, 503, { errorMessage: 'Not ready', errorType: 'ServiceUnavailable' });
    });
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const env = { ...fn.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` };
    let proc: ReturnType<typeof spawn>;
    try {
      proc = spawn(bootstrap, [], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: fn.codeDir });
    } catch (e) {
      server.close();
      throw new InitFailure('Runtime.InvalidEntrypoint', `Couldn't start ${bootstrap}: ${(e as Error).message}`);
    }
    self = new ProvidedInstance(proc, onLog, server);
    self.fn = fn;
    self.state = 'initializing';
    self.initStart = performance.now();
    return self;
  }

  /** Waits for the init phase of launch() (the bootstrap's first `next`). */
  assign(_fn: FunctionConfig, initTimeoutMs = Infinity): Promise<void> {
    return this.runInit(initTimeoutMs, () => {});
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
    const cc = clientContextHeader(inv.clientContext);
    if (cc !== undefined) headers['Lambda-Runtime-Client-Context'] = cc;
    this.delivered = inv.id;
    res.writeHead(200, headers);
    res.end(inv.payload);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.safely(res, () => this.routeUnsafe(req, res));
  }

  private safely(res: http.ServerResponse, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // A bug of ours or a request we did not foresee: the instance goes, the platform stays.
      if (!res.headersSent) json(res, 500, { errorMessage: 'Internal error', errorType: 'ServiceException' });
      else res.destroy();
      this.violation(`Runtime API request failed: ${(e as Error).message}`);
    }
  }

  private routeUnsafe(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.dying) return json(res, 410, { errorMessage: 'Runtime is shutting down', errorType: 'Gone' });
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return json(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
    const rest = url.slice(PREFIX.length);
    if (req.method === 'GET' && rest === 'invocation/next') return this.next(res);
    if (req.method === 'POST' && rest === 'init/error') {
      if (this.state !== 'initializing') return invalidState(res, 'init/error');
      return readBody(req, MAX_BODY, (body) => this.safely(res, () => {
        json(res, 202, { status: 'OK' });
        const err = parseError(body, req.headers['lambda-runtime-function-error-type']);
        this.initFailed(new InitFailure(err.errorType, err.errorMessage, err.trace));
        this.kill(err.errorType, err.errorMessage);
      }));
    }
    const m = /^invocation\/([^/]+)\/(response|error)$/.exec(rest);
    if (req.method === 'POST' && m) {
      // A malformed escape is an id no invocation has: Lambda answers 400 InvalidRequestID.
      const id = safeDecode(m[1]!);
      if (id === null || this.delivered === null || this.delivered !== id) {
        return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
      }
      return readBody(req, MAX_BODY, (body, tooLarge) => this.safely(res, () => {
        if (this.dying || this.delivered !== id) return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
        this.delivered = null;
        if (tooLarge) {
          json(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' });
          const errBody = Buffer.from(JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: RESPONSE_TOO_LARGE_MESSAGE }));
          this.complete('error', id, errBody, this.sampleRssKb(RSS_MAX_AGE_MS));
          return;
        }
        json(res, 202, { status: 'OK' });
        if (m[2] === 'response') {
          this.complete('response', id, body, this.sampleRssKb(RSS_MAX_AGE_MS));
        } else {
          const err = parseError(body, req.headers['lambda-runtime-function-error-type']);
          this.complete('error', id, Buffer.from(JSON.stringify({ errorType: err.errorType, errorMessage: err.errorMessage, trace: err.trace })), this.sampleRssKb(RSS_MAX_AGE_MS));
        }
      }));
    }
    json(res, 404, { errorMessage: 'Not found', errorType: 'NotFound' });
  }

  private next(res: http.ServerResponse): void {
    // One `next` at a time, and not while an invocation awaits its answer: Lambda
    // refuses such a state transition with 403.
    if (this.waitingNext || this.delivered !== null) return invalidState(res, 'next');
    if (this.state === 'initializing') {
      this.initMs = performance.now() - this.initStart;
      this.state = 'idle';
      this.initSucceeded();
    }
    if (this.undelivered) {
      const inv = this.undelivered;
      this.undelivered = null;
      this.deliver(res, inv);
    } else {
      this.waitingNext = res;
      res.once('close', () => {
        if (this.waitingNext === res) this.waitingNext = null;
      });
    }
  }
}

/**
 * The Lambda-Runtime-Client-Context header from the base64 client context the
 * invoke carries: the JSON re-serialized with every non-ASCII character escaped
 * (\uXXXX), because header values cannot carry them; omitted when it is not JSON.
 */
export function clientContextHeader(b64: string | undefined): string | undefined {
  if (!b64) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const text = JSON.stringify(parsed);
  if (text === undefined) return undefined;
  return text.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function invalidState(res: http.ServerResponse, what: string): void {
  json(res, 403, { errorMessage: `State transition to ${what} is not allowed now`, errorType: 'InvalidStateTransition' });
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage, limit: number, done: (b: Buffer, tooLarge: boolean) => void): void {
  readCappedBody(req, limit).then(
    (body) => done(body ?? Buffer.alloc(0), body === null),
    () => {
      /* the bootstrap hung up mid-body: nothing to answer */
    },
  );
}

function parseError(body: Buffer, typeHeader: string | string[] | undefined): { errorType: string; errorMessage: string; trace: string[] } {
  let parsed: { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown; trace?: unknown } | null = {};
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    /* Lambda accepts any body here */
  }
  if (!parsed || typeof parsed !== 'object') parsed = {};
  const headerType = Array.isArray(typeHeader) ? typeHeader[0] : typeHeader;
  const trace = Array.isArray(parsed.stackTrace) ? parsed.stackTrace : Array.isArray(parsed.trace) ? parsed.trace : [];
  return {
    errorType: typeof parsed.errorType === 'string' ? parsed.errorType : headerType ?? 'Unhandled',
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body.toString('utf8'),
    trace: trace.map(String),
  };
}
