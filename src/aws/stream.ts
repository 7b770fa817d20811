/**
 * Streaming request and response bodies (S3 objects). An operation declared
 * with `streamingInput: true` gets its `payload(blob())` member as a
 * `PayloadStream`: the body as it arrives, decoded (`aws-chunked`) and verified
 * on the fly, never buffered whole.
 */
import * as crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { AwsChunkedDecoder } from './aws-chunked';
import { CHECKSUM_BYTES, createChecksum, type IncrementalChecksum } from './checksums';
import { payloadErrors } from './payload-errors';
import type { ChunkSigning } from './sigv4';
import type { AuthErrors } from './types';
import type { WireRequest } from './wire';

/** The flexible-checksum algorithms of S3 (`x-amz-checksum-<alg>`, `x-amz-sdk-checksum-algorithm`). */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

export interface PayloadDigest {
  /** MD5 of the decoded payload, hex (S3's ETag of a single-part object). */
  md5Hex: string;
  /** The checksums asked for by the request, base64 as S3 sends them. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  /** Decoded payload bytes. */
  bytes: number;
}

export interface PayloadStream extends AsyncIterable<Buffer> {
  /** Decoded length when known in advance (Content-Length, or x-amz-decoded-content-length for aws-chunked), else null. */
  readonly length: number | null;
  /**
   * Resolves after the whole body was read and verified; rejects with the
   * ServiceError S3 would send. The async iterator throws the same error at
   * the end, so a consumer writing to a temp file fails before it renames.
   */
  done(): Promise<PayloadDigest>;
}

/** What a handler may return for a blob `payload` member: bytes, or a stream the endpoint pipes with backpressure. */
export type BlobOutput = Buffer | Readable | AsyncIterable<Uint8Array>;

// ---- implementation ---------------------------------------------------------

/** The client went away before the body ended: there is nobody to answer. */
export class PayloadAbortedError extends Error {
  constructor(cause?: unknown) {
    super('The client closed the connection before the request body ended', { cause });
    this.name = 'PayloadAbortedError';
  }
}

/** How the body travels and what it must be checked against (from the request head and its signature). */
export interface PayloadPlan {
  /** `aws-chunked` (a STREAMING-* x-amz-content-sha256) or the bytes as they are. */
  readonly encoding: 'plain' | 'aws-chunked';
  /** aws-chunked with enforced auth: chunk signatures are checked against this chain. */
  readonly chunkSigning: ChunkSigning | null;
  /** STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the trailer carries its own signature. */
  readonly signedTrailer: boolean;
  /** A signed hex `x-amz-content-sha256`: the body must hash to it. */
  readonly expectSha256Hex?: string;
  /** Services that sign the body's hash: the signature is checked once the hash is known. */
  readonly verifyBodyHash?: (sha256Hex: string) => void;
}

export interface PayloadStreamOptions {
  /** The request head (headers say which checksums to compute and check). */
  readonly head: Pick<WireRequest, 'headers'>;
  readonly plan: PayloadPlan;
  readonly authErrors: AuthErrors;
}

/** A PayloadStream over a source of raw body bytes, as the endpoint builds it. */
export interface PayloadStreamHandle extends PayloadStream {
  /** Whether iteration (or done()) started reading the body. */
  readonly started: boolean;
  /** Whether the whole body was read (verified or not). */
  readonly ended: boolean;
  /** Whether the source failed (client disconnect). */
  readonly aborted: boolean;
}

const CHECKSUM_HEADER = /^x-amz-checksum-(.+)$/;
/** `x-amz-checksum-*` headers that are not checksum values. */
const NOT_A_CHECKSUM = new Set(['x-amz-checksum-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-mode']);

function algorithmOf(name: string): ChecksumAlgorithm | undefined {
  const upper = name.toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

function isBase64Of(value: string, bytes: number): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  return Buffer.from(value, 'base64').length === bytes;
}

/**
 * Checks the request head's checksum headers and builds the stream. Throws the
 * S3 error for a malformed Content-MD5 or checksum header (before any body
 * byte is read, as S3 answers them).
 */
export function createPayloadStream(source: AsyncIterable<Buffer>, o: PayloadStreamOptions): PayloadStreamHandle {
  const headers = o.head.headers;
  const one = (name: string): string | undefined => headers.get(name)?.join(',');

  let contentMd5: Buffer | undefined;
  const md5Header = one('content-md5');
  if (md5Header !== undefined) {
    if (!isBase64Of(md5Header.trim(), 16)) throw payloadErrors.invalidDigest(md5Header);
    contentMd5 = Buffer.from(md5Header.trim(), 'base64');
  }

  const want = new Set<ChecksumAlgorithm>();
  let expected: { alg: ChecksumAlgorithm; value: string } | undefined;
  for (const [name, values] of headers) {
    const m = CHECKSUM_HEADER.exec(name);
    if (!m || NOT_A_CHECKSUM.has(name)) continue;
    const alg = algorithmOf(m[1]!);
    if (!alg) throw payloadErrors.unknownChecksumHeader();
    if (expected) throw payloadErrors.multipleChecksums();
    const value = values.join(',').trim();
    if (!isBase64Of(value, CHECKSUM_BYTES[alg])) throw payloadErrors.invalidChecksumHeader(name);
    expected = { alg, value };
    want.add(alg);
  }
  let trailerAlg: ChecksumAlgorithm | undefined;
  const trailer = one('x-amz-trailer');
  if (trailer !== undefined && trailer.trim() !== '') {
    const m = CHECKSUM_HEADER.exec(trailer.trim().toLowerCase());
    trailerAlg = m ? algorithmOf(m[1]!) : undefined;
    if (!trailerAlg || o.plan.encoding !== 'aws-chunked') throw payloadErrors.unsupportedTrailer();
    if (expected) throw payloadErrors.multipleChecksums();
    want.add(trailerAlg);
  }
  const sdkAlg = one('x-amz-sdk-checksum-algorithm');
  if (sdkAlg !== undefined) {
    const alg = algorithmOf(sdkAlg.trim());
    if (!alg) throw payloadErrors.unsupportedAlgorithm();
    want.add(alg);
  }

  let length: number | null = null;
  const lengthHeader = o.plan.encoding === 'aws-chunked' ? one('x-amz-decoded-content-length') : one('content-length');
  if (lengthHeader !== undefined && /^\d+$/.test(lengthHeader.trim())) length = Number(lengthHeader.trim());

  return new StreamingPayload(source, o, { length, contentMd5, want, expected, trailerAlg });
}

interface Checks {
  length: number | null;
  contentMd5?: Buffer;
  want: ReadonlySet<ChecksumAlgorithm>;
  /** From an `x-amz-checksum-*` header. */
  expected?: { alg: ChecksumAlgorithm; value: string };
  /** Named by `x-amz-trailer`: its value comes in the trailer. */
  trailerAlg?: ChecksumAlgorithm;
}

class StreamingPayload implements PayloadStreamHandle {
  readonly length: number | null;
  started = false;
  ended = false;
  aborted = false;
  private readonly result: Promise<PayloadDigest>;
  private settle!: { resolve: (d: PayloadDigest) => void; reject: (e: unknown) => void };

  constructor(
    private readonly source: AsyncIterable<Buffer>,
    private readonly o: PayloadStreamOptions,
    private readonly checks: Checks,
  ) {
    this.length = checks.length;
    this.result = new Promise<PayloadDigest>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Nobody may ask for done(): its failure is also thrown by the iterator.
    this.result.catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.started) throw new Error('A PayloadStream can be read once');
    this.started = true;
    return this.read();
  }

  done(): Promise<PayloadDigest> {
    if (!this.started) {
      // Asked for the digest without reading: read (and drop) the body, so that the answer comes.
      void (async () => {
        try {
          for await (const _ of this) void _;
        } catch {
          // Reported through `result`.
        }
      })();
    }
    return this.result;
  }

  private async *read(): AsyncGenerator<Buffer, void, undefined> {
    const { plan, authErrors } = this.o;
    const checks = this.checks;
    const md5 = crypto.createHash('md5');
    const needSha256 = plan.expectSha256Hex !== undefined || plan.verifyBodyHash !== undefined || checks.want.has('SHA256');
    const sha256 = needSha256 ? crypto.createHash('sha256') : null;
    const sums = new Map<ChecksumAlgorithm, IncrementalChecksum>();
    for (const alg of checks.want) if (alg !== 'SHA256') sums.set(alg, createChecksum(alg));
    const decoder =
      plan.encoding === 'aws-chunked'
        ? new AwsChunkedDecoder({
            signing: plan.chunkSigning,
            signedTrailer: plan.signedTrailer,
            signatureMismatch: (stringToSign, provided) =>
              authErrors.signatureMismatch({ accessKeyId: '', canonicalRequest: '', stringToSign, signatureProvided: provided }),
          })
        : null;
    let bytes = 0;
    let finished = false;
    const iterator = this.source[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await iterator.next();
        } catch (e) {
          this.aborted = true;
          throw new PayloadAbortedError(e);
        }
        if (next.done) break;
        const pieces = decoder ? decoder.push(next.value) : [next.value];
        for (const piece of pieces) {
          if (piece.length === 0) continue;
          bytes += piece.length;
          // More than announced: fail now rather than after reading all of it.
          if (decoder && checks.length !== null && bytes > checks.length) throw payloadErrors.incompleteBody();
          md5.update(piece);
          sha256?.update(piece);
          for (const s of sums.values()) s.update(piece);
          yield piece;
        }
      }
      this.ended = true;
      decoder?.end();
      if (checks.length !== null && bytes !== checks.length) throw payloadErrors.incompleteBody();
      const sha = sha256?.digest();
      if (plan.verifyBodyHash && sha) plan.verifyBodyHash(sha.toString('hex'));
      if (plan.expectSha256Hex !== undefined && sha) {
        const computed = sha.toString('hex');
        if (computed !== plan.expectSha256Hex) {
          throw authErrors.contentMismatch('x-amz-content-sha256 mismatch', { computed, provided: plan.expectSha256Hex });
        }
      }
      const md5Digest = md5.digest();
      if (checks.contentMd5 && !md5Digest.equals(checks.contentMd5)) throw payloadErrors.badContentMd5(checks.contentMd5.toString('hex'), md5Digest.toString('base64'));
      const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
      for (const [alg, s] of sums) checksums[alg] = s.digestBase64();
      if (sha && checks.want.has('SHA256')) checksums.SHA256 = sha.toString('base64');
      if (checks.expected && checksums[checks.expected.alg] !== checks.expected.value) throw payloadErrors.badChecksum(checks.expected.alg);
      if (checks.trailerAlg && decoder) {
        const name = `x-amz-checksum-${checks.trailerAlg.toLowerCase()}`;
        const value = decoder.trailers.get(name);
        if (value === undefined) throw payloadErrors.malformedTrailer();
        if (!isBase64Of(value, CHECKSUM_BYTES[checks.trailerAlg])) throw payloadErrors.invalidChecksumTrailer(name);
        if (value !== checksums[checks.trailerAlg]) throw payloadErrors.badChecksum(checks.trailerAlg);
      }
      finished = true;
      this.settle.resolve({ md5Hex: md5Digest.toString('hex'), checksums, bytes });
    } catch (e) {
      finished = true;
      this.settle.reject(e);
      throw e;
    } finally {
      // The consumer stopped early (break / return): the body was not verified.
      if (!finished) this.settle.reject(new Error('The request body was not read to its end'));
      // Let go of the source (a Readable's iterator detaches its listeners, so the endpoint can drain what is left).
      if (!this.ended && !this.aborted) await iterator.return?.();
    }
  }
}
