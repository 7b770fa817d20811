/**
 * The private channel between the platform and a Node instance: a Unix socket pair
 * on fd 3 carrying length-prefixed frames. It carries exactly what the Runtime API
 * carries (next / response / error / init error, the Lambda-Runtime-* values) but
 * without an HTTP round trip per invocation. Non-Node runtimes use the real HTTP
 * Runtime API (runtime-api-server.ts).
 *
 * Frame: u32 LE length of everything after it | u8 type | u32 LE header length |
 *        header (JSON, utf8) | body (raw bytes)
 *
 * This file is loaded by the runtime client inside every instance: node builtins only.
 */

export const enum FrameType {
  // platform -> instance
  Assign = 0x41, // 'A' header: AssignHeader
  Invoke = 0x49, // 'I' header: InvokeHeader, body: event bytes
  // instance -> platform
  Hello = 0x48, // 'H' generic process is up
  Ready = 0x52, // 'R' header: { initMs }
  InitError = 0x58, // 'X' header: ErrorBody
  Response = 0x72, // 'r' header: DoneHeader, body: result bytes
  Error = 0x65, // 'e' header: DoneHeader, body: ErrorBody JSON
  Log = 0x4c, // 'L' header: { id }, body: log text
}

export interface AssignHeader {
  /** The function's handler setting as written (`src/handlers/users.create`), for messages and _HANDLER. */
  handler: string;
  /** Absolute module path without extension (`.js`, `.mjs`, `.cjs` are tried, as Lambda does) or with one. */
  modulePath: string;
  /** Export to call, dotted for nested exports (`create`, `handlers.get`). */
  exportPath: string;
  taskRoot: string;
  env: Record<string, string>;
  functionName: string;
  functionVersion: string;
  memorySize: number;
  logGroupName: string;
  logStreamName: string;
  /** Directory whose node_modules holds the AWS SDKs function code may use without installing. */
  sdkDir: string;
  /** ES module code that may import the SDKs: install the resolve hook (it costs ~50 ms of init). */
  esmSdkHook: boolean;
}

export interface InvokeHeader {
  id: string;
  /** The deadline is this long after the instance starts the invocation (it may be queued behind another). */
  timeoutMs: number;
  arn: string;
  trace: string;
  clientContext?: string;
  identity?: string;
}

export interface DoneHeader {
  id: string;
  /** Peak RSS of the process in KB (getrusage), for Max Memory Used and the memory limit. */
  maxRss: number;
}

export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

const EMPTY = Buffer.alloc(0);

export function encodeFrame(type: FrameType, header: unknown, body?: Buffer | string): Buffer {
  const h = header === undefined ? EMPTY : Buffer.from(JSON.stringify(header));
  const bodyLen = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const out = Buffer.allocUnsafe(9 + h.length + bodyLen);
  out.writeUInt32LE(5 + h.length + bodyLen, 0);
  out[4] = type;
  out.writeUInt32LE(h.length, 5);
  h.copy(out, 9);
  if (body !== undefined) {
    if (typeof body === 'string') out.write(body, 9 + h.length);
    else body.copy(out, 9 + h.length);
  }
  return out;
}

export interface Frame {
  type: FrameType;
  header: Buffer;
  body: Buffer;
}

/** Incremental decoder: feed chunks, get whole frames. Avoids copying in the common one-chunk case. */
export class FrameDecoder {
  private buf: Buffer = EMPTY;

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    let buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32LE(off);
      if (buf.length - off - 4 < len) break;
      const start = off + 4;
      const hlen = buf.readUInt32LE(start + 1);
      onFrame({
        type: buf[start] as FrameType,
        header: buf.subarray(start + 5, start + 5 + hlen),
        body: buf.subarray(start + 5 + hlen, start + len),
      });
      off = start + len;
    }
    this.buf = off === buf.length ? EMPTY : buf.subarray(off);
    if (this.buf.length > 0 && off > 0) this.buf = Buffer.from(this.buf); // do not pin the big chunk
  }
}

export function parseHeader<T>(f: Frame): T {
  return JSON.parse(f.header.toString('utf8')) as T;
}
