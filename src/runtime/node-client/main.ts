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
  LOG_FRAME_CHARS,
  MAX_RESPONSE_BYTES,
  RESPONSE_TOO_LARGE_MESSAGE,
  encodeFrame,
  parseHeader,
  type AssignHeader,
  type DoneHeader,
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
/** Declared `async`: a promise it never settles is an error, not a null result (see onInvoke). */
let handlerIsAsync = false;
/** Request id of the invocation in progress ('undefined' outside one, as Lambda logs it). */
let currentId: string | undefined;

// ---- logging: console.* -> Lambda's text format, batched onto the channel ----

let logBuf: string[] = [];
let logScheduled = false;

function flushLogs(): void {
  logScheduled = false;
  for (const frame of takeLogFrames()) channel.write(frame);
}

/** Buffered log text as frames, none over the platform's frame limit. */
function takeLogFrames(): Buffer[] {
  if (logBuf.length === 0) return [];
  const text = logBuf.join('');
  logBuf = [];
  const header = { id: currentId ?? null };
  if (text.length <= LOG_FRAME_CHARS) return [encodeFrame(FrameType.Log, header, text)];
  const frames: Buffer[] = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + LOG_FRAME_CHARS);
    // Never split a surrogate pair: each frame must be valid UTF-8 on its own.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    frames.push(encodeFrame(FrameType.Log, header, text.slice(i, end)));
    i = end;
  }
  return frames;
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

// ---- errors in Lambda's shape (as aws-lambda-nodejs-runtime-interface-client builds them) ----

function isErrorLike(e: unknown): e is Error {
  const o = e as { name?: unknown; message?: unknown; stack?: unknown } | null;
  return !!o && typeof o === 'object' && !!o.name && !!o.message && !!o.stack && typeof o.name === 'string' && typeof o.message === 'string' && typeof o.stack === 'string';
}

/** The error body posted for an invocation or init (RIC: Errors.toRapidResponse). */
function toErrorBody(err: unknown): ErrorBody {
  try {
    if (util.types.isNativeError(err) || isErrorLike(err)) {
      const e = err as Error;
      return { errorType: e.name, errorMessage: e.message, trace: typeof e.stack === 'string' ? e.stack.split('\n') : [] };
    }
    // Non-errors are reported by type: callback('x') gives errorType "string".
    return { errorType: typeof err, errorMessage: String((err as { toString(): string }).toString()), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

/** The error as Lambda's Node runtime logs it: a tab, then JSON with the error's own properties (RIC: Errors.toFormatted). */
function toFormatted(err: unknown): string {
  try {
    return (
      '\t' +
      JSON.stringify(err, (_k, v: unknown) => {
        if (!(v instanceof Error)) return v;
        const out: Record<string, unknown> = { errorType: v.name, errorMessage: v.message, code: (v as { code?: unknown }).code, ...v };
        if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
        return out;
      })
    );
  } catch {
    return '\t' + JSON.stringify(toErrorBody(err));
  }
}

/** The error body, trimmed (trace first, then message) to fit Lambda's payload limit. */
function fitError(body: ErrorBody): ErrorBody {
  if (Buffer.byteLength(JSON.stringify(body)) <= MAX_RESPONSE_BYTES) return body;
  const trimmed: ErrorBody = { errorType: body.errorType.slice(0, 1024), errorMessage: body.errorMessage, trace: [] };
  while (Buffer.byteLength(JSON.stringify(trimmed)) > MAX_RESPONSE_BYTES && trimmed.errorMessage.length > 0) {
    trimmed.errorMessage = trimmed.errorMessage.slice(0, Math.floor(trimmed.errorMessage.length / 2));
  }
  return trimmed;
}

/** RIC: Errors.intoError, used for what it logs. */
function intoError(err: unknown): Error {
  return err instanceof Error ? err : new Error(err as string);
}

/** Lambda's Node runtime's error for an async handler whose promise never settled (RIC: Errors.NodeJsExit). */
class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
    this.name = 'Runtime.NodeJsExit';
  }
}

class UnhandledPromiseRejection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Runtime.UnhandledPromiseRejection';
  }
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
  try {
    handlerIsAsync = (fn as { constructor?: { name?: string } }).constructor?.name === 'AsyncFunction';
  } catch {
    handlerIsAsync = false;
  }
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
      channel.write(encodeFrame(FrameType.InitError, fitError(body)), () => process.exit(1));
    },
  );
}

// ---- invoke ----
//
// Completion follows Lambda's Node runtime (aws-lambda-nodejs-runtime-interface-client,
// CallbackContext.js and Runtime.js):
// - context.done / succeed / fail answer at once; only the first of these and the
//   callback counts;
// - callback(err) answers at once; callback(null, result) waits for the event loop
//   to empty unless context.callbackWaitsForEmptyEventLoop is false;
// - a returned promise answers when it settles (without waiting for the loop);
// - any other return value is ignored;
// - nothing answered by the time the loop is empty: an `async` handler fails with
//   Runtime.NodeJsExit (its promise never settled), any other answers null.
// The channel is unref'd while an invocation runs, so that an empty loop shows as
// 'beforeExit'.

interface Running {
  id: string;
  /** The outcome has been sent; later answers are dropped. */
  posted: boolean;
}

/** The invocation in progress, null between invocations. */
let current: Running | null = null;
/** What to do when the event loop empties during the invocation (RIC: BeforeExitListener). */
let onEmptyLoop: (() => void) | null = null;

process.on('beforeExit', () => {
  const go = onEmptyLoop;
  onEmptyLoop = null;
  if (go) go();
  else channel.ref(); // nothing pending: keep waiting for work
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

function doneHeader(r: Running, fatal = false): DoneHeader {
  return fatal ? { id: r.id, maxRss: maxRss(), fatal: true } : { id: r.id, maxRss: maxRss() };
}

/** Ends the invocation with this frame and moves on to the next one. */
function post(r: Running, frame: (h: DoneHeader) => Buffer): void {
  r.posted = true;
  onEmptyLoop = null;
  flushLogs(); // the invocation's logs go before its outcome
  channel.write(frame(doneHeader(r)));
  channel.ref();
  if (current === r) {
    current = null;
    currentId = undefined;
  }
  running = false;
  // Not from inside the handler's stack: it may still be running code after its callback.
  setImmediate(pump);
}

function postResult(r: Running, result: unknown): void {
  if (r.posted) {
    console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
    return;
  }
  let body: string;
  try {
    body = JSON.stringify(result === undefined ? null : result) ?? 'null';
  } catch {
    // RIC: the response cannot be serialized -> an error answer.
    postError(r, new Error('Unable to stringify response body'));
    return;
  }
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) {
    // Checked here rather than by the platform, which then never reads an oversized frame.
    const err = JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: RESPONSE_TOO_LARGE_MESSAGE });
    post(r, (h) => encodeFrame(FrameType.Error, h, err));
    return;
  }
  post(r, (h) => encodeFrame(FrameType.Response, h, body));
}

function postError(r: Running, err: unknown): void {
  if (r.posted) return;
  log('ERROR', ['Invoke Error', toFormatted(intoError(err))]);
  const body = JSON.stringify(fitError(toErrorBody(err)));
  post(r, (h) => encodeFrame(FrameType.Error, h, body));
}

function parseJsonOrUndefined(text: string | undefined, base64 = false): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(base64 ? Buffer.from(text, 'base64').toString('utf8') : text);
  } catch {
    return undefined;
  }
}

function onInvoke(f: Frame): void {
  const h = parseHeader<InvokeHeader>(f);
  const a = assigned!;
  const r: Running = { id: h.id, posted: false };
  current = r;
  currentId = h.id;
  const deadline = Date.now() + h.timeoutMs;
  process.env._X_AMZN_TRACE_ID = h.trace;
  channel.unref();
  let event: unknown;
  try {
    event = f.body.length === 0 ? {} : JSON.parse(f.body.toString('utf8'));
  } catch (e) {
    postError(r, e);
    return;
  }

  // Only the first of callback / done / succeed / fail counts (RIC: onlyAllowFirstCall).
  let finished = false;
  const once =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      if (finished) return;
      finished = true;
      fn(...args);
    };
  const done = (err: unknown, result: unknown): void => {
    onEmptyLoop = null;
    if (err !== undefined && err !== null) postError(r, err);
    else postResult(r, result);
  };
  const callback = once((err?: unknown, result?: unknown) => {
    onEmptyLoop = null;
    if (err !== undefined && err !== null) postError(r, err);
    else if (!context.callbackWaitsForEmptyEventLoop) postResult(r, result);
    else onEmptyLoop = () => setImmediate(() => postResult(r, result));
  });

  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: a.functionName,
    functionVersion: a.functionVersion,
    invokedFunctionArn: h.arn,
    memoryLimitInMB: String(a.memorySize),
    awsRequestId: h.id,
    logGroupName: a.logGroupName,
    logStreamName: a.logStreamName,
    // Invalid JSON is left out rather than failing the invocation (the platform validates it too).
    identity: parseJsonOrUndefined(h.identity),
    clientContext: parseJsonOrUndefined(h.clientContext, true),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: once((err?: unknown, result?: unknown) => done(err, result)),
    succeed: once((result?: unknown) => done(null, result)),
    fail: once((err?: unknown) => (err === undefined || err === null ? done('handled', undefined) : done(err, null))),
  };
  const { succeed, fail } = context;

  // Nothing answered once the event loop is empty (RIC: Runtime._setDefaultExitListener).
  onEmptyLoop = () => {
    if (handlerIsAsync) postError(r, new NodeJsExit());
    else postResult(r, null);
  };

  try {
    const ret = handler!(event, context, callback);
    if (ret && typeof (ret as PromiseLike<unknown>).then === 'function') {
      // Answered when it settles; any other return value is ignored, as Lambda does.
      Promise.resolve(ret as PromiseLike<unknown>).then(succeed, fail).catch(fail);
    }
  } catch (e) {
    callback(e);
  }
}

// Errors that escape the handler end the invocation with that error and then the
// process, as Lambda's Node runtime does (exit 129 for an exception, 128 for a
// rejection). The frame says so (fatal), so that the platform gives the process
// no further work while it exits.
function fatal(err: unknown, label: string, exitCode: number): void {
  log('ERROR', [label, toFormatted(intoError(err))]);
  const r = current;
  if (r && !r.posted) {
    r.posted = true;
    onEmptyLoop = null;
    flushLogs();
    const body = JSON.stringify(fitError(toErrorBody(err)));
    channel.ref();
    channel.write(encodeFrame(FrameType.Error, doneHeader(r, true), body), () => process.exit(exitCode));
  } else if (!handler && assigned) {
    flushLogs();
    channel.write(encodeFrame(FrameType.InitError, fitError(toErrorBody(err))), () => process.exit(exitCode));
  } else {
    flushLogs();
    process.exit(exitCode);
  }
}
process.on('uncaughtException', (e) => fatal(e, 'Uncaught Exception', 129));
process.on('unhandledRejection', (reason) => {
  let message = '';
  try {
    message = String((reason as { toString?: () => string } | null | undefined)?.toString?.() ?? '');
  } catch {
    /* a reason whose toString throws: no message */
  }
  fatal(new UnhandledPromiseRejection(message), 'Unhandled Promise Rejection', 128);
});

// Output of a process that exits mid-invocation must not be lost with it: write
// what is buffered synchronously on the way out.
process.on('exit', () => {
  try {
    for (const frame of takeLogFrames()) fs.writeSync(3, frame);
  } catch {
    /* the platform is gone */
  }
});

channel.on('data', (chunk: Buffer) =>
  decoder.push(chunk, (f) => {
    if (f.type === FrameType.Invoke) {
      invokeQueue.push(f);
      pump();
    } else if (f.type === FrameType.Assign) onAssign(f);
  }),
);
// The platform went away: nothing left to serve.
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));
channel.write(encodeFrame(FrameType.Hello, undefined));
