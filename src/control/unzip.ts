/**
 * Safe extraction of an uploaded app zip. The central directory is read here
 * (fflate does not expose entry attributes, and symlinks must be refused), the
 * data is inflated with fflate into buffers no larger than each entry declares.
 *
 * Refused: absolute paths, `..` segments, drive letters, symlinks and other
 * non-regular entries, encryption, and a total unzipped size over Lambda's
 * 250 MB limit ("Unzipped size must be smaller than 262144000 bytes",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inflateSync } from 'fflate';
import { ControlError, badRequest } from './http';

export const MAX_UNZIPPED_BYTES = 262_144_000;

export interface ZipEntry {
  /** Normalized relative path with `/` separators; directories end with `/`. */
  name: string;
  compression: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** Unix mode bits when the zip was made on Unix, else null. */
  unixMode: number | null;
  isDir: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function bad(msg: string): ControlError {
  return badRequest(`invalid zip: ${msg}`);
}

/** Reads every entry of the central directory, validating names and types. */
export function readZipEntries(data: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 22) throw bad('too short to be a zip file');
  let e = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      e = i;
      break;
    }
  }
  if (e < 0) throw bad('end of central directory not found (is this a zip file?)');
  let count = buf.readUInt16LE(e + 10);
  let offset = buf.readUInt32LE(e + 16);
  if (e >= 20 && buf.readUInt32LE(e - 20) === ZIP64_LOCATOR) {
    const z = Number(buf.readBigUInt64LE(e - 12));
    if (z + 56 > buf.length || buf.readUInt32LE(z) !== ZIP64_EOCD) throw bad('broken zip64 end of central directory');
    count = Number(buf.readBigUInt64LE(z + 32));
    offset = Number(buf.readBigUInt64LE(z + 48));
  }
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw bad('broken central directory');
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const flags = buf.readUInt16LE(p + 8);
    const compression = buf.readUInt16LE(p + 10);
    let compressedSize = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const external = buf.readUInt32LE(p + 38);
    let localHeaderOffset = buf.readUInt32LE(p + 42);
    const nameEnd = p + 46 + nameLen;
    if (nameEnd + extraLen + commentLen > buf.length) throw bad('broken central directory');
    const rawName = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, nameEnd);
    // Zip64 extended information: only the fields whose 32-bit value is saturated, in this order.
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let x = nameEnd;
      const end = nameEnd + extraLen;
      while (x + 4 <= end) {
        const id = buf.readUInt16LE(x);
        const len = buf.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let f = x + 4;
          if (size === 0xffffffff && f + 8 <= end) {
            size = Number(buf.readBigUInt64LE(f));
            f += 8;
          }
          if (compressedSize === 0xffffffff && f + 8 <= end) {
            compressedSize = Number(buf.readBigUInt64LE(f));
            f += 8;
          }
          if (localHeaderOffset === 0xffffffff && f + 8 <= end) localHeaderOffset = Number(buf.readBigUInt64LE(f));
          break;
        }
        x += 4 + len;
      }
    }
    p = nameEnd + extraLen + commentLen;

    if (flags & 0x1) throw bad(`${rawName}: encrypted entries are not supported`);
    const name = safeName(rawName);
    const unixMode = madeBy === 3 ? external >>> 16 : null;
    const type = unixMode !== null ? unixMode & S_IFMT : 0;
    if (type === S_IFLNK) throw bad(`${rawName}: symbolic links are not allowed`);
    const isDir = name.endsWith('/') || type === S_IFDIR;
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw bad(`${rawName}: only regular files and directories are allowed`);
    if (!isDir && compression !== 0 && compression !== 8) throw bad(`${rawName}: unsupported compression method ${compression} (use deflate or store)`);
    entries.push({ name: isDir && !name.endsWith('/') ? name + '/' : name, compression, compressedSize, size, localHeaderOffset, unixMode, isDir });
  }
  return entries;
}

/** A relative path with `/` separators, or a 400 for anything that could escape the target directory. */
function safeName(raw: string): string {
  if (raw.length === 0) throw bad('entry with an empty name');
  if (raw.includes('\0')) throw bad('entry name contains a NUL byte');
  const name = raw.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw bad(`${raw}: absolute paths are not allowed`);
  const parts = name.split('/');
  if (parts.some((s) => s === '..')) throw bad(`${raw}: ".." path segments are not allowed`);
  const kept = parts.filter((s, i) => s !== '.' && (s !== '' || i === parts.length - 1));
  if (kept.length === 0 || (kept.length === 1 && kept[0] === '')) throw bad(`${raw}: invalid entry name`);
  return kept.join('/');
}

/**
 * Extracts `data` into `destDir` (created; must not exist or be empty). Throws
 * a 400 ControlError for anything unsafe, before writing a single file.
 */
export function extractZip(data: Uint8Array, destDir: string, maxBytes = MAX_UNZIPPED_BYTES): { files: number; bytes: number } {
  let entries: ZipEntry[];
  try {
    entries = readZipEntries(data);
  } catch (e) {
    if (e instanceof ControlError) throw e;
    throw bad((e as Error).message);
  }
  let total = 0;
  for (const en of entries) total += en.isDir ? 0 : en.size;
  if (total > maxBytes) throw badRequest(`Unzipped size must be smaller than ${maxBytes} bytes`);

  const root = path.resolve(destDir);
  fs.mkdirSync(root, { recursive: true });
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let files = 0;
  for (const en of entries) {
    const target = path.resolve(root, en.name);
    if (target !== root && !target.startsWith(root + path.sep)) throw bad(`${en.name}: escapes the app directory`);
    if (en.isDir) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    const h = en.localHeaderOffset;
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) throw bad(`${en.name}: broken local header`);
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const end = start + en.compressedSize;
    if (end > buf.length) throw bad(`${en.name}: data runs past the end of the file`);
    const raw = buf.subarray(start, end);
    let content: Uint8Array;
    try {
      // A fixed output buffer of the declared size: a lying header yields truncated
      // data, never more memory than the size check above allowed.
      content = en.compression === 0 ? raw : inflateSync(raw, { out: new Uint8Array(en.size) });
    } catch (e) {
      throw bad(`${en.name}: ${(e as Error).message}`);
    }
    if (content.length !== en.size) throw bad(`${en.name}: size does not match its header`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const exec = en.unixMode !== null && (en.unixMode & 0o111) !== 0;
    // `wx`: never follow or replace something already there (duplicate names are refused).
    try {
      fs.writeFileSync(target, content, { flag: 'wx', mode: exec ? 0o755 : 0o644 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw bad(`${en.name}: duplicate entry`);
      throw e;
    }
    files++;
  }
  return { files, bytes: total };
}
