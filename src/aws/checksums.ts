/**
 * The checksums S3 computes over object bodies (flexible checksums, "Checking
 * object integrity" in the Amazon S3 user guide): CRC32, CRC32C, CRC64NVME,
 * SHA1 and SHA256, sent and stored base64 of their big-endian bytes; plus MD5
 * (the ETag). Each is incremental, so a 5 GB body is hashed as it streams by.
 *
 * CRC32 uses `zlib.crc32` (Node >= 20.15, native); CRC32C (Castagnoli,
 * reflected polynomial 0x82F63B78) and CRC64NVME (reflected polynomial
 * 0x9A6C9329AC4BC9B5, init and xorout all ones; the NVMe spec's CRC-64) are
 * table-driven here, slicing by 8 for CRC32C.
 */
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import type { ChecksumAlgorithm } from './stream';

export interface IncrementalChecksum {
  update(data: Buffer): void;
  /** The final value, base64 of the big-endian bytes (what `x-amz-checksum-*` carries). */
  digestBase64(): string;
}

type Crc32Fn = (data: Buffer, value?: number) => number;
const nativeCrc32: Crc32Fn | undefined = typeof (zlib as { crc32?: Crc32Fn }).crc32 === 'function' ? (zlib as { crc32: Crc32Fn }).crc32 : undefined;

/** Slicing-by-8 tables for a reflected 32-bit CRC. */
function crc32Tables(poly: number): Uint32Array[] {
  const t: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[n] = c >>> 0;
  }
  t.push(t0);
  for (let s = 1; s < 8; s++) {
    const prev = t[s - 1]!;
    const cur = new Uint32Array(256);
    for (let n = 0; n < 256; n++) cur[n] = (t0[prev[n]! & 0xff]! ^ (prev[n]! >>> 8)) >>> 0;
    t.push(cur);
  }
  return t;
}

let crc32cTables: Uint32Array[] | undefined;
let crc32Tab: Uint32Array[] | undefined;

/** Updates a reflected CRC-32 state (pre-inverted: pass ~crc) over `data`. */
function crc32Update(tables: Uint32Array[], state: number, data: Buffer): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = state;
  let i = 0;
  const n = data.length;
  const end8 = n - (n % 8);
  for (; i < end8; i += 8) {
    const a = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

function u32Base64(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b.toString('base64');
}

class Crc32 implements IncrementalChecksum {
  private v = 0;
  private state = 0xffffffff;
  update(data: Buffer): void {
    if (nativeCrc32) this.v = nativeCrc32(data, this.v);
    else this.state = crc32Update((crc32Tab ??= crc32Tables(0xedb88320)), this.state, data);
  }
  digestBase64(): string {
    return u32Base64(nativeCrc32 ? this.v : ~this.state);
  }
}

class Crc32c implements IncrementalChecksum {
  private state = 0xffffffff;
  update(data: Buffer): void {
    this.state = crc32Update((crc32cTables ??= crc32Tables(0x82f63b78)), this.state, data);
  }
  digestBase64(): string {
    return u32Base64(~this.state);
  }
}

/** CRC64NVME table as two 32-bit halves (no BigInt on the hot path). */
let crc64Hi: Uint32Array | undefined;
let crc64Lo: Uint32Array | undefined;

function crc64Tables(): [Uint32Array, Uint32Array] {
  if (crc64Hi && crc64Lo) return [crc64Hi, crc64Lo];
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  crc64Hi = hi;
  crc64Lo = lo;
  return [hi, lo];
}

class Crc64Nvme implements IncrementalChecksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(data: Buffer): void {
    const [th, tl] = crc64Tables();
    let h = this.hi;
    let l = this.lo;
    for (let i = 0; i < data.length; i++) {
      const idx = (l ^ data[i]!) & 0xff;
      l = ((l >>> 8) | (h << 24)) ^ tl[idx]!;
      h = (h >>> 8) ^ th[idx]!;
    }
    this.hi = h >>> 0;
    this.lo = l >>> 0;
  }
  digestBase64(): string {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(~this.hi >>> 0, 0);
    b.writeUInt32BE(~this.lo >>> 0, 4);
    return b.toString('base64');
  }
}

class CryptoChecksum implements IncrementalChecksum {
  private readonly h: crypto.Hash;
  constructor(alg: string) {
    this.h = crypto.createHash(alg);
  }
  update(data: Buffer): void {
    this.h.update(data);
  }
  digestBase64(): string {
    return this.h.digest('base64');
  }
}

export function createChecksum(alg: ChecksumAlgorithm): IncrementalChecksum {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new CryptoChecksum('sha1');
    case 'SHA256':
      return new CryptoChecksum('sha256');
  }
}

/** One-shot checksum of a buffer (tests, small bodies). */
export function checksumOf(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digestBase64();
}

/** Bytes of each algorithm's digest: a well-formed `x-amz-checksum-*` value decodes to exactly this many. */
export const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };
