/**
 * Incremental `aws-chunked` decoding ("Signature Calculations for the
 * Authorization Header: Transferring Payload in Multiple Chunks" and "...
 * Including Trailing Headers", Amazon S3 API reference):
 *
 *     hex-size[;chunk-signature=sig]\r\n <size bytes> \r\n ... 0[;chunk-signature=sig]\r\n
 *     [name:value\r\n ...] [x-amz-trailer-signature:sig\r\n] \r\n
 *
 * Fed the body as it arrives, it returns the payload bytes (views into the
 * input, no copies) and checks each chunk's signature against the chain that
 * starts at the request's seed signature. Every chunk but the last must be at
 * least 8 KiB (S3: InvalidChunkSizeError).
 */
import * as crypto from 'node:crypto';
import { payloadErrors } from './payload-errors';
import { EMPTY_SHA256, sha256Hex, signature, signaturesEqual, type ChunkSigning } from './sigv4';
import type { ServiceError } from './errors';

/** S3's smallest chunk except the last (bytes). */
export const MIN_CHUNK_SIZE = 8192;
/** A chunk header or trailer line longer than this is malformed (a signature extension is ~100 bytes). */
const MAX_LINE = 4096;
/** Trailing headers are small (a checksum and a signature). */
const MAX_TRAILER_BYTES = 16 * 1024;

type State = 'size' | 'data' | 'cr' | 'lf' | 'trailer' | 'done';

export interface ChunkDecoderOptions {
  /** Verify chunk signatures (signed streaming with enforced auth); null: extensions are ignored. */
  signing: ChunkSigning | null;
  /** STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the trailer must be signed (`x-amz-trailer-signature`). */
  signedTrailer: boolean;
  /** The error for a chunk or trailer whose signature does not match. */
  signatureMismatch: (stringToSign: string, provided: string) => ServiceError;
}

export class AwsChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private chunkHash: crypto.Hash | null = null;
  private chunkSignature = '';
  private prevSignature: string;
  private chunkNumber = 0;
  private lastChunkSize = -1;
  private trailerBytes = 0;
  private readonly trailerLines: string[] = [];
  /** Trailing headers (lower-cased names), once the body ended. */
  readonly trailers = new Map<string, string>();

  constructor(private readonly o: ChunkDecoderOptions) {
    this.prevSignature = o.signing?.seedSignature ?? '';
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Decodes the next piece of the body; returns the payload bytes it held. Throws the S3 error on malformed input. */
  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(10, i);
          const end = nl < 0 ? n : nl;
          this.line += buf.toString('latin1', i, end);
          if (this.state === 'trailer') {
            this.trailerBytes += end - i + (nl < 0 ? 0 : 1);
            if (this.trailerBytes > MAX_TRAILER_BYTES) throw payloadErrors.malformedTrailer();
          } else if (this.line.length > MAX_LINE) throw payloadErrors.incompleteBody();
          i = nl < 0 ? n : nl + 1;
          if (nl < 0) break;
          if (!this.line.endsWith('\r')) throw this.state === 'size' ? payloadErrors.incompleteBody() : payloadErrors.malformedTrailer();
          const line = this.line.slice(0, -1);
          this.line = '';
          if (this.state === 'size') this.chunkHeader(line);
          else this.trailerLine(line);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, n - i);
          const piece = buf.subarray(i, i + take);
          this.chunkHash?.update(piece);
          out.push(piece);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.verifyChunk();
            this.state = 'cr';
          }
          break;
        }
        case 'cr':
          if (buf[i++] !== 13) throw payloadErrors.incompleteBody();
          this.state = 'lf';
          break;
        case 'lf':
          if (buf[i++] !== 10) throw payloadErrors.incompleteBody();
          this.state = 'size';
          break;
        case 'done':
          // Bytes after the final CRLF: not aws-chunked.
          throw payloadErrors.incompleteBody();
      }
    }
    return out;
  }

  /** The body ended: throws unless it ended where aws-chunked allows. */
  end(): void {
    if (this.state === 'done') return;
    // Clients that omit the last CRLF after the trailers (or after the final chunk) are tolerated.
    if (this.state === 'trailer' && this.line === '') {
      this.finishTrailers();
      return;
    }
    throw payloadErrors.incompleteBody();
  }

  private chunkHeader(line: string): void {
    const semi = line.indexOf(';');
    const sizeHex = (semi < 0 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeHex)) throw payloadErrors.incompleteBody();
    const size = parseInt(sizeHex, 16);
    this.chunkNumber++;
    if (size > 0 && this.lastChunkSize >= 0 && this.lastChunkSize < MIN_CHUNK_SIZE) throw payloadErrors.invalidChunkSize(this.chunkNumber - 1, this.lastChunkSize);
    this.lastChunkSize = size;
    if (this.o.signing) {
      const ext = semi < 0 ? '' : line.slice(semi + 1).trim();
      if (!ext.startsWith('chunk-signature=')) throw payloadErrors.incompleteBody();
      this.chunkSignature = ext.slice('chunk-signature='.length);
      this.chunkHash = crypto.createHash('sha256');
    }
    if (size === 0) {
      this.verifyChunk();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private verifyChunk(): void {
    const signing = this.o.signing;
    if (!signing || !this.chunkHash) return;
    const toSign = `AWS4-HMAC-SHA256-PAYLOAD\n${signing.amzDate}\n${signing.scope}\n${this.prevSignature}\n${EMPTY_SHA256}\n${this.chunkHash.digest('hex')}`;
    this.chunkHash = null;
    if (!signaturesEqual(signature(signing.key, toSign), this.chunkSignature)) throw this.o.signatureMismatch(toSign, this.chunkSignature);
    this.prevSignature = this.chunkSignature;
  }

  private trailerLine(line: string): void {
    if (line === '') {
      this.finishTrailers();
      return;
    }
    this.trailerLines.push(line);
  }

  private finishTrailers(): void {
    this.state = 'done';
    let trailerSignature: string | undefined;
    for (const l of this.trailerLines) {
      const c = l.indexOf(':');
      if (c <= 0) throw payloadErrors.malformedTrailer();
      const name = l.slice(0, c).trim().toLowerCase();
      const value = l.slice(c + 1).trim();
      if (name === 'x-amz-trailer-signature') trailerSignature = value;
      else this.trailers.set(name, value);
    }
    const signing = this.o.signing;
    if (!signing || !this.o.signedTrailer) return;
    if (trailerSignature === undefined) throw payloadErrors.malformedTrailer();
    let canonical = '';
    for (const [k, v] of this.trailers) canonical += `${k}:${v}\n`;
    const toSign = `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${this.prevSignature}\n${sha256Hex(canonical)}`;
    if (!signaturesEqual(signature(signing.key, toSign), trailerSignature)) throw this.o.signatureMismatch(toSign, trailerSignature);
  }
}
