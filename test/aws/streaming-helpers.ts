/**
 * A small S3-like restXml service with one streaming PUT, one streamed GET
 * (and its HEAD), served by a live AwsEndpoint on port 0, plus a raw HTTP
 * client that signs with @smithy/signature-v4 and builds aws-chunked bodies
 * (chunk signatures computed here from the SigV4 spec, independently of
 * src/aws/sigv4.ts).
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  AwsEndpoint,
  Credentials,
  ServiceError,
  blob,
  defineOperation,
  header,
  label,
  long,
  payload,
  s3AuthErrors,
  str,
  struct,
  type PayloadDigest,
  type ServiceDefinition,
} from '../../src/aws';
import { signer } from '../services/lambda/helpers';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What the PUT handler saw, per key. */
export interface Received {
  bytes: number;
  sha256: string;
  digest?: PayloadDigest;
  error?: unknown;
  length: number | null;
  contentSha256?: string;
  /** Highest RSS seen while the body was read (memory tests). */
  maxRss: number;
}

export const received = new Map<string, Received>();
/** Resolvers waiting for a key's handler to finish reading. */
const waiters = new Map<string, (r: Received) => void>();

export function whenReceived(key: string): Promise<Received> {
  const r = received.get(key);
  if (r) return Promise.resolve(r);
  return new Promise((resolve) => waiters.set(key, resolve));
}

function record(key: string, r: Received): void {
  received.set(key, r);
  waiters.get(key)?.(r);
  waiters.delete(key);
}

/** Deterministic content: byte i is (i * 31 + 7) & 0xff. */
export function pattern(offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = ((offset + i) * 31 + 7) & 0xff;
  return b;
}

const BLOCK = pattern(0, 256 * 1024);

/** `size` bytes of the pattern, as a Readable of 64 KiB pieces (generated lazily). */
export function patternStream(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(64 * 1024, size - sent);
      // BLOCK repeats every 256 bytes (31 * 256 = 0 mod 256), so any 256-aligned slice of it is the pattern at that offset.
      const start = sent % 256;
      this.push(BLOCK.subarray(start, start + n));
      sent += n;
    },
  });
}

const putObject = defineOperation({
  name: 'PutObject',
  http: { method: 'PUT', path: '/{Bucket}/{Key+}', code: 200 },
  streamingInput: true,
  input: struct({
    Bucket: label(str()),
    Key: label(str(), { greedy: true }),
    Body: payload(blob()),
    ContentSha256: header('x-amz-content-sha256', str()),
  }),
  output: struct({ ETag: header('ETag', str()), ChecksumCRC32: header('x-amz-checksum-crc32', str()) }),
  handler: async (i) => {
    // Keys say how to behave: fail/ (before reading), ignore/ (never read), slow/ (a slow consumer), partial/ (stop half way).
    if (i.Key.startsWith('fail/')) throw new ServiceError('NoSuchBucket', 404, 'The specified bucket does not exist', { messageKey: 'Message', fields: { BucketName: i.Bucket } });
    if (i.Key.startsWith('ignore/')) return { ETag: '"ignored"' };
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    let maxRss = process.memoryUsage.rss();
    let n = 0;
    try {
      for await (const piece of i.Body) {
        hash.update(piece);
        bytes += piece.length;
        if (i.Key.startsWith('slow/') && ++n % 8 === 0) {
          maxRss = Math.max(maxRss, process.memoryUsage.rss());
          await new Promise((r) => setTimeout(r, 1));
        }
        if (i.Key.startsWith('partial/') && bytes > 100_000) break;
      }
      if (i.Key.startsWith('partial/')) {
        record(i.Key, { bytes, sha256: hash.digest('hex'), length: i.Body.length, maxRss });
        return { ETag: '"partial"' };
      }
      const digest = await i.Body.done();
      record(i.Key, { bytes, sha256: hash.digest('hex'), digest, length: i.Body.length, contentSha256: i.ContentSha256, maxRss });
      return { ETag: `"${digest.md5Hex}"`, ChecksumCRC32: digest.checksums.CRC32 };
    } catch (e) {
      record(i.Key, { bytes, sha256: hash.digest('hex'), error: e, length: i.Body.length, maxRss });
      throw e;
    }
  },
});

const objectOutput = struct({
  ContentLength: header('Content-Length', long()),
  ContentType: header('Content-Type', str()),
  Body: payload(blob()),
});

/** `/{Bucket}/size/<n>`: n bytes of the pattern; `/{Bucket}/broken/<n>`: fails after n bytes; `/{Bucket}/iter/<n>`: an async generator. */
async function objectFor(key: string): Promise<{ ContentLength: number; ContentType: string; Body: Readable | AsyncIterable<Uint8Array> }> {
  const [kind, n] = key.split('/');
  const size = Number(n);
  if (kind === 'size') return { ContentLength: size, ContentType: 'application/x-test', Body: patternStream(size) };
  if (kind === 'iter') {
    async function* gen(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < size; off += 1000) yield pattern(off, Math.min(1000, size - off));
    }
    return { ContentLength: size, ContentType: 'application/x-test', Body: gen() };
  }
  if (kind === 'broken') {
    const body = new Readable({ read() {} });
    body.push(pattern(0, size));
    setImmediate(() => body.destroy(new Error('disk went away')));
    return { ContentLength: size * 2, ContentType: 'application/x-test', Body: body };
  }
  throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { messageKey: 'Message' });
}

const getObject = defineOperation({
  name: 'GetObject',
  http: { method: 'GET', path: '/{Bucket}/{Key+}', code: 200 },
  input: struct({ Bucket: label(str()), Key: label(str(), { greedy: true }) }),
  output: objectOutput,
  handler: (i) => objectFor(i.Key),
});

const headObject = defineOperation({
  name: 'HeadObject',
  http: { method: 'HEAD', path: '/{Bucket}/{Key+}', code: 200 },
  input: struct({ Bucket: label(str()), Key: label(str(), { greedy: true }) }),
  output: objectOutput,
  handler: (i) => objectFor(i.Key),
});

export const streamingService: ServiceDefinition<'PutObject' | 'GetObject' | 'HeadObject'> = {
  signingName: 's3',
  protocol: 'restXml',
  xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/',
  noErrorWrapping: true,
  singleEncodePath: true,
  allowUnsignedPayload: true,
  maxBodyBytes: 1024 * 1024,
  operations: { PutObject: putObject, GetObject: getObject, HeadObject: headObject },
  authErrors: s3AuthErrors(),
  internalError: () => new ServiceError('InternalError', 500, 'We encountered an internal error. Please try again.', { messageKey: 'Message' }),
  requestIdHeaders: (id) => ({ 'x-amz-request-id': id, 'x-amz-id-2': Buffer.from(id).toString('base64') }),
};

export interface Live {
  url: string;
  port: number;
  endpoint: AwsEndpoint;
  internalErrors: unknown[];
  close(): Promise<void>;
}

export async function startStreamingEndpoint(): Promise<Live> {
  const internalErrors: unknown[] = [];
  const endpoint = new AwsEndpoint({
    services: [streamingService],
    credentials: new Credentials(),
    region: 'us-east-1',
    accountId: '000000000000',
    onInternalError: (e) => internalErrors.push(e),
  });
  const server = http.createServer((req, res) => endpoint.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    endpoint,
    internalErrors,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---- raw signed requests ----------------------------------------------------

export interface SignedHead {
  headers: Record<string, string>;
  /** The request's signature: the seed of the chunk-signature chain. */
  seed: string;
  amzDate: string;
}

/** Signs a request head with @smithy/signature-v4; `x-amz-content-sha256` is signed as given. */
export async function signHead(port: number, method: string, path: string, headers: Record<string, string>, date = new Date()): Promise<SignedHead> {
  const all: Record<string, string> = { host: `127.0.0.1:${port}`, ...headers };
  const signed = await signer({ service: 's3', uriEscapePath: false }).sign(
    { method, protocol: 'http:', hostname: '127.0.0.1', port, path, query: {}, headers: all },
    { signingDate: date },
  );
  const h = signed.headers as Record<string, string>;
  const auth = h.authorization ?? h.Authorization ?? '';
  const seed = /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? '';
  const amzDate = h['x-amz-date'] ?? h['X-Amz-Date'] ?? '';
  return { headers: h, seed, amzDate };
}

function hmac(key: Buffer | string, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The chunk-signature chain of a signed streaming upload (AWS4-HMAC-SHA256-PAYLOAD / -TRAILER). */
export class ChunkChain {
  private prev: string;
  private readonly key: Buffer;
  private readonly scope: string;
  constructor(
    head: SignedHead,
    secret = 'test',
    region = 'us-east-1',
  ) {
    const day = head.amzDate.slice(0, 8);
    this.key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request');
    this.scope = `${day}/${region}/s3/aws4_request`;
    this.prev = head.seed;
    this.amzDate = head.amzDate;
  }
  private readonly amzDate: string;
  chunk(data: Buffer): string {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', this.amzDate, this.scope, this.prev, EMPTY_SHA256, sha256Hex(data)].join('\n');
    this.prev = hmac(this.key, sts).toString('hex');
    return this.prev;
  }
  trailer(canonicalTrailers: string): string {
    const sts = ['AWS4-HMAC-SHA256-TRAILER', this.amzDate, this.scope, this.prev, sha256Hex(canonicalTrailers)].join('\n');
    this.prev = hmac(this.key, sts).toString('hex');
    return this.prev;
  }
}

export interface ChunkedOptions {
  chunkSize: number;
  /** Signed chunks (chain given), or unsigned (`size\r\n`). */
  chain?: ChunkChain;
  /** Trailing headers (`x-amz-checksum-crc32`, ...). */
  trailers?: [string, string][];
  /** Sign the trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER). */
  signTrailer?: boolean;
  /** Corrupt the signature of this chunk (0-based). */
  tamperChunk?: number;
  /** Leave out the final zero-size chunk and the trailers. */
  truncate?: boolean;
}

/** Encodes a payload as aws-chunked, one Buffer per chunk (so a test can send them in separate writes). */
export function awsChunked(payload: Buffer, o: ChunkedOptions): Buffer[] {
  const out: Buffer[] = [];
  let index = 0;
  const frame = (data: Buffer): Buffer => {
    let ext = '';
    if (o.chain) {
      let sig = o.chain.chunk(data);
      if (o.tamperChunk === index) sig = (sig[0] === '0' ? '1' : '0') + sig.slice(1);
      ext = `;chunk-signature=${sig}`;
    }
    index++;
    return Buffer.concat([Buffer.from(`${data.length.toString(16)}${ext}\r\n`), data, Buffer.from(data.length > 0 ? '\r\n' : '')]);
  };
  for (let off = 0; off < payload.length; off += o.chunkSize) out.push(frame(payload.subarray(off, off + o.chunkSize)));
  if (o.truncate) return out;
  out.push(frame(Buffer.alloc(0)));
  let tail = '';
  for (const [k, v] of o.trailers ?? []) tail += `${k}:${v}\r\n`;
  if (o.chain && o.signTrailer) {
    const canonical = (o.trailers ?? []).map(([k, v]) => `${k}:${v}\n`).join('');
    tail += `x-amz-trailer-signature:${o.chain.trailer(canonical)}\r\n`;
  }
  tail += '\r\n';
  out.push(Buffer.from(tail));
  return out;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** `<Code>` of an S3 error document. */
  code?: string;
  message?: string;
}

/** Sends a request, writing each body piece separately (awaiting 'drain'), and reads the whole answer. */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body: Iterable<Buffer> | AsyncIterable<Buffer> = []): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        const text = b.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: b,
          text,
          code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
          message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
        });
      });
    });
    req.on('error', reject);
    void (async () => {
      try {
        for await (const piece of body) {
          if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      } catch (e) {
        req.destroy(e as Error);
      }
    })();
  });
}

/** Splits a buffer into pieces of `size` bytes (many small writes). */
export function pieces(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < b.length; off += size) out.push(b.subarray(off, off + size));
  return out;
}
