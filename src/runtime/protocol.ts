/**
 * The private channel between the platform and a Node instance: a Unix socket pair
 * on fd 3 carrying length-prefixed frames. It carries exactly what the Runtime API
 * carries (next / response / error / init error, the Lambda-Runtime-* values) but
 * without an HTTP round trip per invocation. Non-Node runtimes use the real HTTP
 * Runtime API (provided-instance.ts).
 *
 * Frame: u32 LE length of everything after it | u8 type | u32 LE header length |
 *        header (JSON, utf8) | body (raw bytes)
 *
 * fd 3 is reachable by the function's own code (`fs.writeSync(3, ...)`), so the
 * platform treats what arrives on it as untrusted input: the decoder validates
 * every length and caps the frame size, and a frame that breaks the rules ends
 * the instance, never the platform.
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

/**
 * Lambda's limit on a synchronous response, in bytes: 6 MB plus 100 bytes. AWS
 * reports "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
 * (Function.ResponseSizeTooLarge).
 */
export const MAX_RESPONSE_BYTES = 6_291_556;

/** Room for a frame's JSON header next to the largest body. */
const HEADER_ROOM = 64 * 1024;

/**
 * The largest frame the platform accepts from an instance. The client never sends
 * more: responses are checked against MAX_RESPONSE_BYTES first, error bodies are
 * trimmed and log text is split into frames of at most LOG_FRAME_CHARS.
 */
export const MAX_INSTANCE_FRAME = MAX_RESPONSE_BYTES + HEADER_ROOM;

/** Log text per frame, in UTF-16 units: at most 3 bytes each in UTF-8, so well under the frame cap. */
export const LOG_FRAME_CHARS = 256 * 1024;

export const RESPONSE_TOO_LARGE_MESSAGE = `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`;

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
  /** Base64 of the client context JSON (as the Invoke API takes it). */
  clientContext?: string;
  identity?: string;
}

export interface DoneHeader {
  id: string;
  /** Peak RSS of the process in KB (getrusage), for Max Memory Used and the memory limit. */
  maxRss: number;
  /**
   * The error escaped the handler (uncaught exception, unhandled rejection): the
   * process exits right after this frame, as Lambda's runtime does, so the platform
   * must not hand it another invocation.
   */
  fatal?: boolean;
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

/** The bytes on the channel do not form valid frames: the sender is broken or forging them. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** Set when the frame was refused for its size alone: its type and announced length. */
    readonly tooLarge?: { type: number; length: number },
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Incremental decoder: feed chunks, get whole frames. Chunks of a frame that spans
 * several reads are kept in a list and joined once, when the frame is complete
 * (joining on every chunk made a 20 MB frame cost seconds of CPU). Throws
 * ProtocolError on a malformed or oversized frame; after that it ignores input.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Total bytes (prefix included) of the frame being collected, once its prefix is known. */
  private want = -1;
  private broken = false;

  constructor(private readonly maxFrame = Infinity) {}

  push(chunk: Buffer, onFrame: (f: Frame) => void): void {
    if (this.broken || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.want < 0) {
        if (this.size < 9) return;
        const head = this.chunks[0]!.length >= 9 ? this.chunks[0]! : this.join();
        const len = head.readUInt32LE(0);
        const type = head[4]!;
        const hlen = head.readUInt32LE(5);
        if (len < 5) return this.fail(new ProtocolError(`frame length ${len} is shorter than its fixed header`));
        if (len > this.maxFrame) return this.fail(new ProtocolError(`frame of ${len} bytes exceeds the ${this.maxFrame}-byte limit`, { type, length: len }));
        if (hlen > len - 5) return this.fail(new ProtocolError(`frame header length ${hlen} exceeds the frame length ${len}`));
        this.want = 4 + len;
      }
      if (this.size < this.want) return;
      const buf = this.chunks.length === 1 ? this.chunks[0]! : this.join();
      const end = this.want;
      const hlen = buf.readUInt32LE(5);
      const frame: Frame = { type: buf[4] as FrameType, header: buf.subarray(9, 9 + hlen), body: buf.subarray(9 + hlen, end) };
      // Consume before handing the frame out: onFrame may throw.
      if (buf.length === end) {
        this.chunks = [];
        this.size = 0;
      } else {
        this.chunks = [buf.subarray(end)];
        this.size = buf.length - end;
      }
      this.want = -1;
      onFrame(frame);
      if (this.broken) return;
    }
  }

  /** Stop decoding (the channel is being closed). */
  stop(): void {
    this.broken = true;
    this.chunks = [];
    this.size = 0;
  }

  private join(): Buffer {
    const b = Buffer.concat(this.chunks, this.size);
    this.chunks = [b];
    return b;
  }

  private fail(e: ProtocolError): never {
    this.stop();
    throw e;
  }
}

export function parseHeader<T>(f: Frame): T {
  return JSON.parse(f.header.toString('utf8')) as T;
}
