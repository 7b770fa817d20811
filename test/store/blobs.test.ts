/**
 * BlobStore (src/store/blobs.ts): the bytes of S3 objects on disk. Written
 * against a fresh temp folder per test; data is made here (patterns with a
 * known content), never timed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { BlobStore, isBlobId } from '../../src/store/blobs';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-blobs-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

function fresh(): { dir: string; blobs: BlobStore } {
  const dir = path.join(root, `b${n++}`);
  return { dir, blobs: new BlobStore(dir) };
}

/** `size` bytes whose value at i is a function of i, so any misplaced byte shows. */
function pattern(size: number, seed = 0): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** Yields `data` in chunks of the given sizes (cycled). */
async function* chunked(data: Buffer, sizes: number[] = [65536]): AsyncGenerator<Buffer> {
  let off = 0;
  for (let k = 0; off < data.length; k++) {
    const len = sizes[k % sizes.length];
    yield data.subarray(off, off + len);
    off += len;
  }
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

describe('blob store', () => {
  it('writes a stream durably under <aa>/<bb>/<id> and reads it back', async () => {
    const { dir, blobs } = fresh();
    // Sizes that cross the 1 MiB coalescing boundary in odd steps, plus one big chunk.
    const data = pattern(3 * 1024 * 1024 + 12345);
    const w = await blobs.write(chunked(data, [1000, 70000, 2 * 1024 * 1024, 17]));
    assert.ok(isBlobId(w.id), w.id);
    assert.equal(w.size, data.length);
    const file = path.join(dir, w.id.slice(0, 2), w.id.slice(2, 4), w.id);
    assert.ok(fs.existsSync(file));
    assert.ok(Buffer.from(fs.readFileSync(file)).equals(data));
    assert.ok((await readAll(blobs.read(w.id))).equals(data));
    assert.equal(await blobs.size(w.id), data.length);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'tmp')), [], 'no temp file left');
  });

  it('writes an empty blob', async () => {
    const { blobs } = fresh();
    const w = await blobs.write((async function* () {})());
    assert.equal(w.size, 0);
    assert.equal(await blobs.size(w.id), 0);
    assert.equal((await readAll(blobs.read(w.id))).length, 0);
  });

  it('reads inclusive ranges', async () => {
    const { blobs } = fresh();
    const data = pattern(5000);
    const { id } = await blobs.write(chunked(data, [777]));
    for (const [start, end] of [
      [0, 0],
      [0, 4999],
      [10, 19],
      [4999, 4999],
      [1234, 4321],
    ]) {
      assert.ok((await readAll(blobs.read(id, { start, end }))).equals(data.subarray(start, end + 1)), `${start}-${end}`);
    }
  });

  it('a source that throws leaves no file and the error comes through unchanged', async () => {
    const { dir, blobs } = fresh();
    const boom = new Error('client went away');
    await assert.rejects(
      blobs.write(
        (async function* () {
          yield pattern(100_000);
          yield pattern(2_000_000);
          throw boom;
        })(),
      ),
      (e) => e === boom,
    );
    assert.deepEqual(filesUnder(dir), []);
    const ids: string[] = [];
    for await (const id of blobs.listIds()) ids.push(id);
    assert.deepEqual(ids, []);
  });

  it('concatenates parts into a new blob and leaves the parts', async () => {
    const { blobs } = fresh();
    const parts = [pattern(5 * 1024 * 1024 + 3, 1), pattern(1, 2), pattern(777_777, 3)];
    const ids: string[] = [];
    for (const p of parts) ids.push((await blobs.write(chunked(p, [100_000]))).id);
    const whole = await blobs.concat(ids);
    const expected = Buffer.concat(parts);
    assert.equal(whole.size, expected.length);
    assert.ok(!ids.includes(whole.id));
    assert.ok((await readAll(blobs.read(whole.id))).equals(expected));
    for (let i = 0; i < ids.length; i++) assert.ok((await readAll(blobs.read(ids[i]))).equals(parts[i]));
  });

  it('concat of a missing part fails and leaves nothing', async () => {
    const { dir, blobs } = fresh();
    const a = await blobs.write(chunked(pattern(10)));
    await assert.rejects(blobs.concat([a.id, '00000000-0000-4000-8000-000000000000']), /ENOENT/);
    assert.deepEqual(filesUnder(dir).map((f) => path.basename(f)), [a.id]);
  });

  it('copies a whole blob or a range into a new blob', async () => {
    const { blobs } = fresh();
    const data = pattern(300_000, 9);
    const src = await blobs.write(chunked(data));
    const whole = await blobs.copy(src.id);
    assert.notEqual(whole.id, src.id);
    assert.equal(whole.size, data.length);
    assert.ok((await readAll(blobs.read(whole.id))).equals(data));
    const part = await blobs.copy(src.id, { start: 1000, end: 1999 });
    assert.equal(part.size, 1000);
    assert.ok((await readAll(blobs.read(part.id))).equals(data.subarray(1000, 2000)));
    await blobs.delete(src.id);
    assert.ok((await readAll(blobs.read(whole.id))).equals(data), 'the copy does not share the source file');
  });

  it('refuses ids that are not UUIDs on every call, so no path can escape the folder', async () => {
    const { blobs } = fresh();
    const bad = ['../x', '../../etc/passwd', '', 'a/b', '00000000-0000-4000-8000-00000000000G', '00000000-0000-4000-8000-000000000000/..', 'tmp'];
    for (const id of bad) {
      assert.throws(() => blobs.read(id), /invalid blob id/, id);
      await assert.rejects(blobs.size(id), /invalid blob id/, id);
      await assert.rejects(blobs.delete(id), /invalid blob id/, id);
      await assert.rejects(blobs.copy(id), /invalid blob id/, id);
      await assert.rejects(blobs.concat([id]), /invalid blob id/, id);
    }
    assert.equal(isBlobId('00000000-0000-4000-8000-00000000000A'), false, 'upper case is not what randomUUID makes');
  });

  it('size is null and delete is a no-op for a missing blob; reading one errors', async () => {
    const { blobs } = fresh();
    const id = '12345678-1234-4234-8234-123456789abc';
    assert.equal(await blobs.size(id), null);
    await blobs.delete(id);
    await assert.rejects(readAll(blobs.read(id)), /ENOENT/);
    const w = await blobs.write(chunked(pattern(10)));
    await blobs.delete(w.id);
    await blobs.delete(w.id);
    assert.equal(await blobs.size(w.id), null);
  });

  it('lists every blob id, ignoring strangers, optionally only older ones', async () => {
    const { dir, blobs } = fresh();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await blobs.write(chunked(pattern(i + 1)))).id);
    // Files that are not blobs, or not where their id says, are never listed.
    fs.writeFileSync(path.join(dir, 'README'), 'x');
    fs.mkdirSync(path.join(dir, 'zz', 'yy'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'zz', 'yy', 'not-a-blob'), 'x');
    const misplaced = '99999999-9999-4999-8999-999999999999';
    fs.mkdirSync(path.join(dir, '00', '00'), { recursive: true });
    fs.writeFileSync(path.join(dir, '00', '00', misplaced), 'x');
    const tmpFile = path.join(dir, 'tmp', '11111111-1111-4111-8111-111111111111');
    fs.writeFileSync(tmpFile, 'half');

    const listed: string[] = [];
    for await (const id of blobs.listIds()) listed.push(id);
    assert.deepEqual(new Set(listed), ids);
    assert.equal(listed.length, ids.size);

    // Age one blob: only it is older than an hour.
    const [old] = ids;
    const past = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(path.join(dir, old.slice(0, 2), old.slice(2, 4), old), past, past);
    // A copy of an old blob is a new blob: it must not look old to a sweep.
    const copy = await blobs.copy(old);
    const aged: string[] = [];
    for await (const id of blobs.listIds({ olderThanMs: 3600_000 })) aged.push(id);
    assert.deepEqual(aged, [old]);
    assert.ok(!aged.includes(copy.id));
  });

  it('cleanTmp removes only temp files older than the given age', async () => {
    const { dir, blobs } = fresh();
    const kept = await blobs.write(chunked(pattern(10)));
    const tmp = path.join(dir, 'tmp');
    const stale = path.join(tmp, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
    const recent = path.join(tmp, 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
    fs.writeFileSync(stale, 'crashed mid-write');
    fs.writeFileSync(recent, 'being written');
    const past = new Date(Date.now() - 3600_000);
    fs.utimesSync(stale, past, past);
    assert.equal(await blobs.cleanTmp(60_000), 1);
    assert.deepEqual(fs.readdirSync(tmp), [path.basename(recent)]);
    assert.equal(await blobs.size(kept.id), 10);
    assert.equal(await fresh().blobs.cleanTmp(0), 0, 'no tmp folder yet is fine');
  });

  it('many concurrent writes into one store all land intact', async () => {
    const { blobs } = fresh();
    const datas = Array.from({ length: 24 }, (_, i) => pattern(1000 + i * 997, i));
    const ws = await Promise.all(datas.map((d) => blobs.write(Readable.from(chunked(d, [333])))));
    assert.equal(new Set(ws.map((w) => w.id)).size, datas.length);
    for (let i = 0; i < datas.length; i++) assert.ok((await readAll(blobs.read(ws[i].id))).equals(datas[i]));
  });
});
