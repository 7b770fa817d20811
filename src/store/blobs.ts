/**
 * Blobs on disk: the bytes of S3 objects and multipart parts (DESIGN.md,
 * "Blobs live on disk (write, fsync, rename)"). The metadata that names a
 * blob lives in the store (ObjectStore); this file only knows files.
 *
 * Layout: `<dir>/<aa>/<bb>/<id>` where `id` is a random UUID and aa/bb its
 * first two byte pairs (spreads files over 65536 folders, so no folder grows
 * huge), and `<dir>/tmp/` for writes in progress.
 *
 * Durability: a write streams into a temp file, fsyncs it, renames it into
 * place and fsyncs the folder, so once `write` resolves the blob survives a
 * crash or power loss, and a blob is never visible half-written (rename is
 * atomic). A crash mid-write leaves only a temp file (`cleanTmp`); a crash
 * between `write` and the metadata COMMIT leaves an orphan blob (`listIds` +
 * ObjectStore.referencedBlobIds find it).
 *
 * Paths are built from ids only, never from keys or any other user input,
 * and every call checks the id against the UUID pattern, so nothing can
 * name a file outside the directory.
 */
import { randomUUID } from 'node:crypto';
import { constants, createReadStream, type ReadStream } from 'node:fs';
import { copyFile, mkdir, open, opendir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PlatformError } from '../errors';

/** What randomUUID makes: lower-case hex, 8-4-4-4-12. */
const BLOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHARD = /^[0-9a-f]{2}$/;
/** Reads and coalesced writes move 1 MiB at a time: few syscalls, bounded memory per stream. */
const CHUNK = 1 << 20;

export interface BlobRange {
  start: number;
  /** Inclusive, like an HTTP byte range. */
  end: number;
}

export function isBlobId(id: string): boolean {
  return BLOB_ID.test(id);
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !BLOB_ID.test(id)) throw new PlatformError('ERR_INTERNAL', `invalid blob id ${JSON.stringify(id)}`);
}

function isMissing(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ENOENT';
}

/** Writes all of `buf` (a single write may be partial). */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/**
 * Makes a rename or a new entry in `dir` durable. Some platforms cannot open
 * or fsync a folder (Windows); there the rename is as durable as they allow.
 */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw e;
  } finally {
    await fh?.close();
  }
}

export class BlobStore {
  private readonly tmpDir: string;
  /** Shard folders known to exist (and to be durable), so most writes skip mkdir. */
  private readonly made = new Set<string>();
  private tmpReady: Promise<void> | null = null;

  constructor(readonly dir: string) {
    this.dir = path.resolve(dir);
    this.tmpDir = path.join(this.dir, 'tmp');
  }

  private pathOf(id: string): string {
    checkId(id);
    return path.join(this.dir, id.slice(0, 2), id.slice(2, 4), id);
  }

  /** Streams `source` into a new blob; resolves once it is durable. If `source` throws, nothing is left behind and the error is rethrown. */
  async write(source: AsyncIterable<Uint8Array>): Promise<{ id: string; size: number }> {
    return this.commit(async (fh) => {
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of source) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        size += buf.length;
        if (buf.length >= CHUNK && pendingBytes === 0) {
          await writeAll(fh, buf);
          continue;
        }
        // Small network chunks are gathered: one write per MiB, not per 16 KiB.
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= CHUNK) {
          await writeAll(fh, Buffer.concat(pending, pendingBytes));
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) await writeAll(fh, Buffer.concat(pending, pendingBytes));
      return size;
    });
  }

  /** The blob's bytes, or `range` of them (inclusive end). Errors with ENOENT when the blob does not exist. */
  read(id: string, range?: BlobRange, sizeHint?: number): ReadStream {
    const file = this.pathOf(id);
    // Small reads get small buffers: a 1 MiB buffer per 4 KB GetObject is most of its cost.
    const expected = range ? range.end - range.start + 1 : sizeHint;
    const highWaterMark = expected === undefined ? CHUNK : Math.max(16 * 1024, Math.min(CHUNK, expected));
    return createReadStream(file, { highWaterMark, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  /** Size in bytes, or null when there is no such blob. */
  async size(id: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  /** Deletes the blob; a missing one is fine (deletes may be repeated after a crash). */
  async delete(id: string): Promise<void> {
    try {
      await unlink(this.pathOf(id));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  /** One new blob holding the given blobs one after another (CompleteMultipartUpload). */
  async concat(ids: readonly string[]): Promise<{ id: string; size: number }> {
    for (const id of ids) checkId(id);
    const self = this;
    return this.write(
      (async function* () {
        for (const id of ids) yield* self.read(id) as AsyncIterable<Buffer>;
      })(),
    );
  }

  /** A new blob with the same bytes (or `range` of them): CopyObject, UploadPartCopy. */
  async copy(id: string, range?: BlobRange): Promise<{ id: string; size: number }> {
    const from = this.pathOf(id);
    if (range) return this.write(this.read(id, range) as AsyncIterable<Buffer>);
    // Whole files go through copyFile: the kernel copies (or reflinks, on
    // file systems that share extents) without passing bytes through JS.
    return this.commit(async (_fh, tmp) => {
      await copyFile(from, tmp, constants.COPYFILE_FICLONE);
      // Synced through a handle opened after the copy, so the fsync covers
      // the copied data whatever copyFile did to the file it was given.
      const copied = await open(tmp, 'r+');
      try {
        await copied.sync();
        return (await copied.stat()).size;
      } finally {
        await copied.close();
      }
    });
  }

  /**
   * Every blob id on disk (orphan sweeps), in no particular order. With
   * `olderThanMs`, only blobs last modified longer ago than that: a blob just
   * written may not have its metadata committed yet.
   */
  async *listIds(opts: { olderThanMs?: number } = {}): AsyncIterable<string> {
    const cutoff = opts.olderThanMs === undefined ? null : Date.now() - opts.olderThanMs;
    for (const a of await this.names(this.dir)) {
      if (!SHARD.test(a)) continue;
      for (const b of await this.names(path.join(this.dir, a))) {
        if (!SHARD.test(b)) continue;
        const folder = path.join(this.dir, a, b);
        for (const id of await this.names(folder)) {
          if (!BLOB_ID.test(id) || id.slice(0, 2) !== a || id.slice(2, 4) !== b) continue;
          if (cutoff !== null) {
            const st = await stat(path.join(folder, id)).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
            if (!st || st.mtimeMs > cutoff) continue;
          }
          yield id;
        }
      }
    }
  }

  /** Deletes temp files (writes that never finished: a crash, a killed process) older than `olderThanMs`; returns how many. */
  async cleanTmp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let n = 0;
    for (const name of await this.names(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      try {
        if ((await stat(file)).mtimeMs >= cutoff) continue;
        await unlink(file);
        n++;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    }
    return n;
  }

  /** Folder entries; none when the folder does not exist. */
  private async names(dir: string): Promise<string[]> {
    try {
      const out: string[] = [];
      for await (const d of await opendir(dir)) out.push(d.name);
      return out;
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }

  /**
   * Runs `fill` on a new temp file, then fsync, rename into place and fsync
   * the folder. On any failure the temp file is removed and the error rethrown.
   */
  private async commit(fill: (fh: FileHandle, tmp: string) => Promise<number>): Promise<{ id: string; size: number }> {
    await (this.tmpReady ??= mkdir(this.tmpDir, { recursive: true }).then(() => undefined));
    const id = randomUUID();
    const tmp = path.join(this.tmpDir, id);
    const fh = await open(tmp, 'wx');
    let size: number;
    try {
      try {
        size = await fill(fh, tmp);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.place(tmp, id);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    return { id, size };
  }

  private async place(tmp: string, id: string): Promise<void> {
    const shard = path.join(this.dir, id.slice(0, 2), id.slice(2, 4));
    if (!this.made.has(shard)) {
      const first = await mkdir(shard, { recursive: true });
      // New folders are entries in their parents: make those durable too.
      if (first !== undefined) {
        await syncDir(path.dirname(shard));
        await syncDir(this.dir);
      }
      this.made.add(shard);
    }
    await rename(tmp, this.pathOf(id));
    await syncDir(shard);
  }
}
