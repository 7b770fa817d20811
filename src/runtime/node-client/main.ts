/**
 * Nimbus' Node.js runtime client: runs inside every Node function instance.
 *
 * It starts generic (no code), says Hello, and waits. On Assign it takes on the
 * function's environment and loads the handler (the init phase); then it serves
 * one invocation at a time, as Lambda's runtime interface client does, speaking
 * the private frame channel on fd 3 (see ../protocol.ts).
 *
 * Keep this file dependency-free and cheap to load: it is on the cold start path.
 */
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  FrameDecoder,
  FrameType,
  encodeFrame,
  parseHeader,
  type AssignHeader,
  type ErrorBody,
  type Frame,
  type InvokeHeader,
} from '../protocol';
import { installSdkResolution, registerEsmSdkResolution } from './sdk';

type Callback = (err?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: LambdaContext, callback: Callback) => unknown;

interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  identity?: unknown;
  clientContext?: unknown;
  getRemainingTimeInMillis(): number;
  done(err?: unknown, result?: unknown): void;
  fail(err: unknown): void;
  succeed(result: unknown): void;
}

const channel = new net.Socket({ fd: 3, readable: true, writable: true });
const decoder = new FrameDecoder();

let assigned: AssignHeader | null = null;
let handler: Handler | null = null;
/** Request id of the invocation in progress ('undefined' outside one, as Lambda logs it). */
let currentId: string | undefined;
/** Settles the invocation in progress; null when idle. */
let settle: ((err: unknown, result: unknown) => void) | null = null;

// ---- logging: console.* -> Lambda's text format, batched onto the channel ----

let logBuf: string[] = [];
let logScheduled = false;

function flushLogs(): void {
  logScheduled = false;
  if (logBuf.length === 0) return;
  const text = logBuf.join('');
  logBuf = [];
  channel.write(encodeFrame(FrameType.Log, { id: currentId ?? null }, text));
}

function log(level: string, args: unknown[]): void {
  // Lambda's Node runtime writes `<ISO time>\t<request id>\t<LEVEL>\t<message>`.
  logBuf.push(`${new Date().toISOString()}\t${currentId ?? 'undefined'}\t${level}\t${util.format(...args)}\n`);
  if (!logScheduled) {
    logScheduled = true;
    setImmediate(flushLogs);
  }
}

function patchConsole(): void {
  console.log = (...a: unknown[]) => log('INFO', a);
  console.info = (...a: unknown[]) => log('INFO', a);
  console.warn = (...a: unknown[]) => log('WARN', a);
  console.error = (...a: unknown[]) => log('ERROR', a);
  console.debug = (...a: unknown[]) => log('DEBUG', a);
  console.trace = (...a: unknown[]) => {
    const e = { name: 'Trace', message: util.format(...a) } as Error;
    Error.captureStackTrace(e, console.trace);
    log('TRACE', [e.stack]);
  };
}

// ---- errors in Lambda's shape ----

function toErrorBody(err: unknown, typeOverride?: string): ErrorBody {
  if (err instanceof Error) {
    return {
      errorType: typeOverride ?? (err.name || 'Error'),
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  // Lambda reports non-Error throws/rejections by their type (callback('x') gives errorType "string").
  if (typeof err === 'string') return { errorType: typeOverride ?? 'string', errorMessage: err, trace: [] };
  let message: string;
  try {
    message = JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err);
  }
  return { errorType: typeOverride ?? typeof err, errorMessage: message, trace: [] };
}

// Peak RSS for Max Memory Used and the memory limit. getrusage costs a few µs,
// a lot next to a trivial invocation, so it is read at most every 20 ms (the
// platform also samples busy instances' RSS on its own).
let maxRssCache = 0;
let maxRssAt = 0;
function maxRss(): number {
  const now = performance.now();
  if (now - maxRssAt > 20) {
    maxRssAt = now;
    maxRssCache = process.resourceUsage().maxRSS;
  }
  return maxRssCache;
}

// ---- init ----

function resolveModule(modulePath: string): string | null {
  if (path.extname(modulePath) && fs.existsSync(modulePath)) return modulePath;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (fs.existsSync(modulePath + ext)) return modulePath + ext;
  }
  return null;
}

function isEsm(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  // Nearest package.json decides for .js, as Node does.
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return (JSON.parse(fs.readFileSync(pj, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

class InitError extends Error {
  constructor(readonly errorType: string, message: string, readonly inner?: unknown) {
    super(message);
  }
}

async function init(a: AssignHeader): Promise<void> {
  // The instance takes on the function's environment, never the platform's.
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, a.env);
  process.chdir(a.taskRoot);
  installSdkResolution(a.sdkDir);

  const file = resolveModule(a.modulePath);
  const moduleName = path.basename(a.modulePath);
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${__filename}`);
  }
  let mod: Record<string, unknown>;
  try {
    if (isEsm(file)) {
      if (a.esmSdkHook) registerEsmSdkResolution(a.sdkDir);
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file) as Record<string, unknown>;
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
    const code = (e as { code?: string } | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') {
      throw new InitError('Runtime.ImportModuleError', `Error: ${(e as Error).message}`, e);
    }
    throw e;
  }
  let fn: unknown = mod;
  for (const part of a.exportPath.split('.')) fn = fn == null ? undefined : (fn as Record<string, unknown>)[part];
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${moduleName}.${a.exportPath} is undefined or not exported`);
  }
  handler = fn as Handler;
}

function onAssign(f: Frame): void {
  const a = parseHeader<AssignHeader>(f);
  assigned = a;
  patchConsole();
  const t0 = performance.now();
  init(a).then(
    () => {
      flushLogs();
      channel.write(encodeFrame(FrameType.Ready, { initMs: performance.now() - t0, maxRss: maxRss() }));
    },
    (e: unknown) => {
      const body = e instanceof InitError ? { errorType: e.errorType, errorMessage: e.message, trace: e.inner instanceof Error ? (e.inner.stack ?? '').split('\n') : [] } : toErrorBody(e);
      log('ERROR', [`Uncaught Exception \t${JSON.stringify(body)}`]);
      flushLogs();
      channel.write(encodeFrame(FrameType.InitError, body), () => process.exit(1));
    },
  );
}

// ---- invoke ----

let waitingForEmptyLoop = false;
let pendingAfterLoop: (() => void) | null = null;

// Fires when nothing but our (unref'd) channel is left: callbackWaitsForEmptyEventLoop.
process.on('beforeExit', () => {
  if (!waitingForEmptyLoop) return;
  waitingForEmptyLoop = false;
  channel.ref();
  const go = pendingAfterLoop;
  pendingAfterLoop = null;
  go?.();
});

// Invocations run one at a time. The platform may hand over the next one while
// this one runs (pipelining); it waits here until this one is done.
const invokeQueue: Frame[] = [];
let running = false;

function pump(): void {
  if (running) return;
  const f = invokeQueue.shift();
  if (!f) return;
  running = true;
  onInvoke(f);
}

function sendDone(id: string, err: unknown, result: unknown): void {
  running = false;
  flushLogs();
  if (err !== null && err !== undefined) {
    channel.write(encodeFrame(FrameType.Error, { id, maxRss: maxRss() }, JSON.stringify(toErrorBody(err))));
  } else {
    let body: string;
    try {
      body = result === undefined ? 'null' : JSON.stringify(result);
    } catch (e) {
      channel.write(encodeFrame(FrameType.Error, { id, maxRss: maxRss() }, JSON.stringify(toErrorBody(e, 'Runtime.MalformedResponse'))));
      pump();
      return;
    }
    channel.write(encodeFrame(FrameType.Response, { id, maxRss: maxRss() }, body ?? 'null'));
  }
  pump();
}

function onInvoke(f: Frame): void {
  const h = parseHeader<InvokeHeader>(f);
  const a = assigned!;
  const deadline = Date.now() + h.timeoutMs;
  currentId = h.id;
  process.env._X_AMZN_TRACE_ID = h.trace;
  let event: unknown;
  try {
    event = f.body.length === 0 ? {} : JSON.parse(f.body.toString('utf8'));
  } catch (e) {
    sendDone(h.id, e, undefined);
    return;
  }

  let done = false;
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: a.functionName,
    functionVersion: a.functionVersion,
    invokedFunctionArn: h.arn,
    memoryLimitInMB: String(a.memorySize),
    awsRequestId: h.id,
    logGroupName: a.logGroupName,
    logStreamName: a.logStreamName,
    identity: h.identity ? JSON.parse(h.identity) : undefined,
    clientContext: h.clientContext ? JSON.parse(Buffer.from(h.clientContext, 'base64').toString('utf8')) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (err, result) => finish(err, result, true),
    fail: (err) => finish(err ?? 'handled', undefined, true),
    succeed: (result) => finish(null, result, true),
  };

  const finish = (err: unknown, result: unknown, viaCallback: boolean): void => {
    if (done) return;
    done = true;
    settle = null;
    if (viaCallback && context.callbackWaitsForEmptyEventLoop) {
      // Lambda answers a callback only once the event loop is empty (unless told not to wait).
      waitingForEmptyLoop = true;
      pendingAfterLoop = () => {
        currentId = undefined;
        sendDone(h.id, err, result);
      };
      channel.unref();
      return;
    }
    currentId = undefined;
    sendDone(h.id, err, result);
  };
  settle = (err, result) => finish(err, result, false);

  let ret: unknown;
  try {
    ret = handler!(event, context, (err, result) => finish(err, result, true));
  } catch (e) {
    finish(e, undefined, false);
    return;
  }
  if (ret && typeof (ret as PromiseLike<unknown>).then === 'function') {
    (ret as PromiseLike<unknown>).then(
      (r) => finish(null, r, false),
      (e: unknown) => finish(e ?? new Error('Promise rejected with a falsy value'), undefined, false),
    );
  } else if (handler!.length < 3 && ret !== undefined) {
    // A sync handler that returns a value without a callback parameter: Lambda uses the value.
    finish(null, ret, false);
  } else if (!done) {
    // Wait for the callback; if the loop empties first, Lambda answers null.
    waitingForEmptyLoop = true;
    pendingAfterLoop = () => finish(null, null, false);
    channel.unref();
  }
}

// Errors that escape the handler end the invocation with that error and then the
// process, as Lambda's Node runtime does ("Runtime.UnhandledPromiseRejection").
function fatal(err: unknown, type?: string): void {
  const body = toErrorBody(err, type);
  log('ERROR', [`Uncaught Exception \t${JSON.stringify(body)}`]);
  flushLogs();
  if (currentId !== undefined || settle) {
    const id = currentId ?? '';
    channel.write(encodeFrame(FrameType.Error, { id, maxRss: maxRss() }, JSON.stringify(body)), () => process.exit(129));
  } else if (!handler && assigned) {
    channel.write(encodeFrame(FrameType.InitError, body), () => process.exit(129));
  } else {
    process.exit(129);
  }
}
process.on('uncaughtException', (e) => fatal(e));
process.on('unhandledRejection', (reason) => {
  const e = reason instanceof Error ? reason : new Error(String(reason));
  fatal({ name: 'Runtime.UnhandledPromiseRejection', message: `${e.name}: ${e.message}`, stack: e.stack } as Error, 'Runtime.UnhandledPromiseRejection');
});

// Output of a process that exits mid-invocation must not be lost with it: write
// what is buffered synchronously on the way out.
process.on('exit', () => {
  if (logBuf.length === 0) return;
  const frame = encodeFrame(FrameType.Log, { id: currentId ?? null }, logBuf.join(''));
  logBuf = [];
  try {
    fs.writeSync(3, frame);
  } catch {
    /* the platform is gone */
  }
});

channel.on('data', (chunk: Buffer) =>
  decoder.push(chunk, (f) => {
    if (f.type === FrameType.Invoke) {
      invokeQueue.push(f);
      pump();
    }
    else if (f.type === FrameType.Assign) onAssign(f);
  }),
);
// The platform went away: nothing left to serve.
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));
channel.write(encodeFrame(FrameType.Hello, undefined));
