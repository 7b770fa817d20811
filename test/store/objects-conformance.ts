/**
 * The object store (store.objects, ObjectStore in src/store/types.ts) that
 * services/s3 keeps buckets, objects and multipart uploads in. Part of the
 * store conformance suite (conformance.ts): every backend must give the same
 * answers. Listing order is checked against Buffer.compare of the UTF-8
 * bytes (S3's order), with keys chosen where that differs from JavaScript's
 * code-unit order and from locale collations.
 *
 * Buckets are named per run; upload times below 1000 belong to the
 * staleUploads test alone (it looks across every bucket).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { GoneError, prefixUpperBound } from '../../src/store/objects-repo';
import type { ObjectRow, ObjectStore, PartRow, Store, UploadRow } from '../../src/store/types';

/** A time far from the staleUploads test's. */
const T = 1_700_000_000_000;

/** Puts many rows, a few dozen at a time (PostgreSQL runs them on parallel connections, SQLite shares commits). */
async function putAll(store: ObjectStore, rows: readonly ObjectRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 64) await Promise.all(rows.slice(i, i + 64).map((r) => store.putObject(r)));
}

function utf8Order(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function obj(bucket: string, key: string, over: Partial<ObjectRow> = {}): ObjectRow {
  return { bucket, key, blobId: randomUUID(), size: key.length, etag: `"${key.length}"`, lastModified: T, meta: JSON.stringify({ k: key }), ...over };
}

function part(uploadId: string, partNumber: number, over: Partial<PartRow> = {}): PartRow {
  return { uploadId, partNumber, blobId: randomUUID(), size: 5 * 1024 * 1024, etag: `"p${partNumber}"`, lastModified: T, checksum: null, ...over };
}

function upload(bucket: string, key: string, initiated: number, uploadId = randomUUID()): UploadRow {
  return { uploadId, bucket, key, initiated, meta: JSON.stringify({ key }) };
}

function isGone(what: 'bucket' | 'upload'): (e: unknown) => boolean {
  return (e) => e instanceof GoneError && e.what === what;
}

/**
 * Keys where the orders differ: UTF-8 bytes (S3) vs UTF-16 code units (JS
 * `<`) differ for U+E000..U+FFFF vs astral characters; locales ignore case
 * and punctuation; '/' and '.' sort below letters in bytes.
 */
const ORDER_KEYS = [
  'a',
  'Z',
  'a/b',
  'a.b',
  'a-b',
  'a/',
  'ab',
  'é',
  'e',
  'f',
  '😀',
  '\uE000',
  '\uFFFD',
  'A',
  '_',
  'a/b/c',
  'a/😀',
  'a/é',
  'a\u{10FFFF}',
  'b',
  ' ',
  '~',
];

export function objectsConformance(getStore: () => Store, run: string): void {
  describe('objects (s3)', () => {
    const s3 = (): ObjectStore => getStore().objects;
    let nb = 0;
    /** A new bucket name for this run. */
    const bn = (s: string): string => `${run}-s3-${nb++}-${s}`.toLowerCase();
    const newBucket = async (s: string): Promise<string> => {
      const name = bn(s);
      assert.equal(await s3().createBucket({ name, region: 'us-east-1', createdAt: T }), 'created');
      return name;
    };

    describe('buckets', () => {
      it('creates once, gets, lists in name order, rewrites config', async () => {
        const a = bn('a');
        const b = bn('b');
        assert.equal(await s3().createBucket({ name: b, region: 'eu-west-1', createdAt: T + 1 }), 'created');
        assert.equal(await s3().createBucket({ name: a, region: 'us-east-1', createdAt: T }), 'created');
        assert.equal(await s3().createBucket({ name: a, region: 'us-west-2', createdAt: T + 5 }), 'exists');
        assert.deepEqual(await s3().getBucket(a), { name: a, region: 'us-east-1', createdAt: T, config: '{}' });
        assert.equal(await s3().getBucket(bn('none')), null);
        const listed = (await s3().listBuckets()).filter((x) => x.name === a || x.name === b);
        assert.deepEqual(
          listed.map((x) => x.name),
          [a, b].sort(),
        );
        assert.equal(listed[1].region, 'eu-west-1');

        assert.equal(await s3().updateBucketConfig(a, (c) => JSON.stringify({ ...JSON.parse(c), cors: [1] })), true);
        assert.equal(await s3().updateBucketConfig(a, (c) => JSON.stringify({ ...JSON.parse(c), tags: { x: 'y' } })), true);
        assert.deepEqual(JSON.parse((await s3().getBucket(a))!.config), { cors: [1], tags: { x: 'y' } });
        assert.equal(await s3().updateBucketConfig(bn('none'), () => '{}'), false);
      });

      it('config rewrites do not lose concurrent updates', async () => {
        const name = await newBucket('cfg');
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s3().updateBucketConfig(name, (c) => JSON.stringify({ ...(JSON.parse(c) as object), [`k${i}`]: i })),
          ),
        );
        assert.equal(Object.keys(JSON.parse((await s3().getBucket(name))!.config)).length, 20);
      });

      it('refuses to delete a bucket with objects, deletes an empty one once', async () => {
        const name = await newBucket('del');
        await s3().putObject(obj(name, 'k'));
        assert.equal(await s3().deleteBucket(name), 'not-empty');
        assert.notEqual(await s3().getBucket(name), null);
        assert.notEqual(await s3().getObject(name, 'k'), null);
        await s3().deleteObject(name, 'k');
        assert.equal(await s3().deleteBucket(name), 'deleted');
        assert.equal(await s3().getBucket(name), null);
        assert.equal(await s3().deleteBucket(name), 'missing');
      });

      it('deletes a bucket that holds only multipart uploads, and the uploads and parts with it', async () => {
        const name = await newBucket('mpu');
        const u = upload(name, 'big', T);
        await s3().createUpload(u);
        const p = part(u.uploadId, 1);
        await s3().putPart(p);
        assert.equal(await s3().deleteBucket(name), 'deleted');
        assert.equal(await s3().getUpload(u.uploadId), null);
        assert.deepEqual(await s3().listParts(u.uploadId, { limit: 10 }), []);
        assert.deepEqual([...(await s3().referencedBlobIds([p.blobId]))], [], 'the part blob is an orphan now');
        // A new bucket of the same name starts empty.
        assert.equal(await s3().createBucket({ name, region: 'us-east-1', createdAt: T }), 'created');
        assert.deepEqual(await s3().listUploads(name, { limit: 10 }), []);
      });
    });

    describe('objects', () => {
      it('round-trips, upserts reporting the replaced blob, deletes once', async () => {
        const b = await newBucket('rt');
        const first = obj(b, 'dir/file.txt', { size: 2 ** 40, lastModified: T + 123 });
        assert.deepEqual(await s3().putObject(first), { previousBlobId: null });
        assert.deepEqual(await s3().getObject(b, first.key), first);
        const second = obj(b, first.key, { etag: '"x"', meta: '{"v":2}' });
        assert.deepEqual(await s3().putObject(second), { previousBlobId: first.blobId });
        assert.deepEqual(await s3().getObject(b, first.key), second);
        assert.equal(await s3().getObject(b, 'dir/file.TXT'), null, 'keys are case-sensitive');
        assert.equal(await s3().countObjects(b), 1);
        assert.deepEqual(await s3().deleteObject(b, first.key), { previousBlobId: second.blobId });
        assert.deepEqual(await s3().deleteObject(b, first.key), { previousBlobId: null });
        assert.equal(await s3().getObject(b, first.key), null);
        assert.equal(await s3().countObjects(b), 0);
      });

      it('keeps keys exactly: unicode, spaces, trailing slashes, 1024 bytes', async () => {
        const b = await newBucket('keys');
        const keys = ['é/😀/ x', 'a//b/', ' lead and trail ', 'ü'.repeat(512), '\u0001ctl', "q'uote\"s%_*"];
        for (const k of keys) await s3().putObject(obj(b, k));
        for (const k of keys) assert.equal((await s3().getObject(b, k))?.key, k, JSON.stringify(k));
        const listed = await s3().listObjects(b, { limit: 100 });
        assert.deepEqual(
          listed.map((o) => o.key),
          [...keys].sort(utf8Order),
        );
        // LIKE wildcards in a prefix are plain characters.
        assert.deepEqual(
          (await s3().listObjects(b, { prefix: "q'uote\"s%", limit: 10 })).map((o) => o.key),
          ["q'uote\"s%_*"],
        );
        assert.deepEqual(await s3().listObjects(b, { prefix: '%', limit: 10 }), []);
      });

      it('puts into a missing bucket fail with GoneError and write nothing', async () => {
        const b = bn('ghost');
        await assert.rejects(s3().putObject(obj(b, 'k')), isGone('bucket'));
        await s3().createBucket({ name: b, region: 'us-east-1', createdAt: T });
        assert.equal(await s3().getObject(b, 'k'), null);
      });

      it('deleteObjects reports each previous blob once, in input order', async () => {
        const b = await newBucket('multi');
        const rows = ['a', 'b', 'c', 'd'].map((k) => obj(b, k));
        for (const r of rows) await s3().putObject(r);
        const got = await s3().deleteObjects(b, ['c', 'missing', 'a', 'c', 'd']);
        assert.deepEqual(got, [rows[2].blobId, null, rows[0].blobId, null, rows[3].blobId]);
        assert.deepEqual(
          (await s3().listObjects(b, { limit: 10 })).map((o) => o.key),
          ['b'],
        );
        assert.deepEqual(await s3().deleteObjects(b, []), []);
        // More keys than one IN list holds.
        const many = Array.from({ length: 640 }, (_, i) => `m${String(i).padStart(4, '0')}`);
        const blobs = new Map<string, string>();
        const manyRows = many.map((k) => obj(b, k));
        for (const r of manyRows) blobs.set(r.key, r.blobId);
        await putAll(s3(), manyRows);
        assert.deepEqual(
          await s3().deleteObjects(b, many),
          many.map((k) => blobs.get(k)),
        );
        assert.equal(await s3().countObjects(b), 1);
      });

      it('updateObjectMeta replaces or rewrites meta, keeps the rest, and knows missing objects', async () => {
        const b = await newBucket('meta');
        const r = obj(b, 'k', { meta: '{"tags":{}}' });
        await s3().putObject(r);
        assert.deepEqual(await s3().updateObjectMeta(b, 'k', '{"tags":{"a":"1"}}'), { ...r, meta: '{"tags":{"a":"1"}}' });
        const rewritten = await s3().updateObjectMeta(b, 'k', (m) => JSON.stringify({ ...JSON.parse(m), extra: true }));
        assert.deepEqual(JSON.parse(rewritten!.meta), { tags: { a: '1' }, extra: true });
        assert.deepEqual(await s3().updateObjectMeta(b, 'k', () => null), rewritten, 'null leaves it');
        assert.deepEqual(await s3().getObject(b, 'k'), rewritten);
        assert.equal(await s3().updateObjectMeta(b, 'nope', '{}'), null);
        assert.equal(await s3().getObject(b, 'nope'), null);
      });

      it('concurrent puts of one key: the last committed wins, each replaced blob is reported exactly once', async () => {
        const b = await newBucket('race');
        const rows = Array.from({ length: 24 }, () => obj(b, 'hot'));
        const results = await Promise.all(rows.map((r) => s3().putObject(r)));
        const previous = results.map((r) => r.previousBlobId);
        assert.equal(previous.filter((p) => p === null).length, 1, 'exactly one put created the key');
        const reported = previous.filter((p): p is string => p !== null);
        assert.equal(new Set(reported).size, reported.length, 'no blob reported twice');
        const final = (await s3().getObject(b, 'hot'))!.blobId;
        assert.ok(!reported.includes(final), 'the live blob is never reported');
        assert.deepEqual(new Set([...reported, final]), new Set(rows.map((r) => r.blobId)), 'no blob leaked');
      });

      it('concurrent puts and deletes of one key never lose or double-report a blob', async () => {
        const b = await newBucket('race2');
        const rows = Array.from({ length: 16 }, () => obj(b, 'k'));
        const ops: Promise<string | null>[] = [];
        rows.forEach((r, i) => {
          ops.push(s3().putObject(r).then((x) => x.previousBlobId));
          if (i % 3 === 0) ops.push(s3().deleteObject(b, 'k').then((x) => x.previousBlobId));
          if (i % 5 === 0) ops.push(s3().deleteObjects(b, ['k', 'k']).then((x) => x[0]));
        });
        const reported = (await Promise.all(ops)).filter((p): p is string => p !== null);
        assert.equal(new Set(reported).size, reported.length, 'no blob reported twice');
        const live = (await s3().getObject(b, 'k'))?.blobId;
        const accounted = new Set(live ? [...reported, live] : reported);
        assert.equal(accounted.size, reported.length + (live ? 1 : 0));
        assert.deepEqual(accounted, new Set(rows.map((r) => r.blobId)));
      });

      it('concurrent puts and DeleteBucket: either the bucket stays with its objects, or it is gone with none', async () => {
        for (let round = 0; round < 3; round++) {
          const b = await newBucket(`dr${round}`);
          const puts = Array.from({ length: 8 }, (_, i) =>
            s3()
              .putObject(obj(b, `k${i}`))
              .then(
                () => 'put',
                (e: unknown) => {
                  if (e instanceof GoneError) return 'gone';
                  throw e;
                },
              ),
          );
          const del = s3().deleteBucket(b);
          const outcomes = await Promise.all(puts);
          const d = await del;
          const stored = await s3().countObjects(b);
          assert.equal(stored, outcomes.filter((o) => o === 'put').length);
          if (d === 'deleted') {
            assert.equal(await s3().getBucket(b), null);
            assert.equal(stored, 0, 'no object survives in a deleted bucket');
          } else {
            assert.equal(d, 'not-empty');
            assert.ok(stored > 0);
          }
        }
      });
    });

    describe('listing', () => {
      it('lists in UTF-8 byte order, pages with `after`, honours prefixes', async () => {
        const b = await newBucket('order');
        for (const k of [...ORDER_KEYS].reverse()) await s3().putObject(obj(b, k));
        const expected = [...ORDER_KEYS].sort(utf8Order);
        // Sanity: the fixture really distinguishes byte order from code-unit order.
        assert.notDeepEqual(expected, [...ORDER_KEYS].sort());
        assert.deepEqual(
          (await s3().listObjects(b, { limit: 1000 })).map((o) => o.key),
          expected,
        );

        for (const pageSize of [1, 3, 7]) {
          const seen: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page = await s3().listObjects(b, { after, limit: pageSize });
            seen.push(...page.map((o) => o.key));
            if (page.length < pageSize) break;
            after = page[page.length - 1].key;
          }
          assert.deepEqual(seen, expected, `pages of ${pageSize}`);
        }

        for (const prefix of ['a', 'a/', 'a/b', 'é', 'e', '😀', '\uE000', 'a\u{10FFFF}', 'zzz', '']) {
          assert.deepEqual(
            (await s3().listObjects(b, { prefix, limit: 1000 })).map((o) => o.key),
            expected.filter((k) => k.startsWith(prefix)),
            `prefix ${JSON.stringify(prefix)}`,
          );
        }
        // `after` outside the prefix's range, before and after it.
        assert.deepEqual(
          (await s3().listObjects(b, { prefix: 'a/', after: 'a/b', limit: 1000 })).map((o) => o.key),
          expected.filter((k) => k.startsWith('a/') && utf8Order(k, 'a/b') > 0),
        );
        assert.deepEqual(
          (await s3().listObjects(b, { prefix: 'a/', after: 'A', limit: 1000 })).map((o) => o.key),
          expected.filter((k) => k.startsWith('a/')),
        );
        assert.deepEqual(await s3().listObjects(b, { prefix: 'a/', after: 'b', limit: 1000 }), []);
        assert.deepEqual(await s3().listObjects(b, { limit: 0 }), []);
        // Other buckets never leak in.
        const other = await newBucket('order-other');
        assert.deepEqual(await s3().listObjects(other, { limit: 10 }), []);
      });

      it('prefixUpperBound bounds exactly the keys with the prefix', () => {
        assert.equal(prefixUpperBound(''), null);
        assert.equal(prefixUpperBound('a/'), 'a0');
        assert.equal(prefixUpperBound('é'), 'ê');
        assert.equal(prefixUpperBound('a\uD7FF'), 'a\uE000');
        assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
        assert.equal(prefixUpperBound('\u{10FFFF}\u{10FFFF}'), null);
        assert.equal(prefixUpperBound('x😀'), 'x😁');
      });

      it('rolls keys up into common prefixes with a delimiter, and continues after them', async () => {
        const b = await newBucket('delim');
        const keys = ['a', 'a/1', 'a/2', 'a/x/1', 'b/1', 'b/2/3', 'c', 'c/', 'd//e', 'é/1', 'é/2', 'z'];
        for (const k of keys) await s3().putObject(obj(b, k));
        const all = await s3().listEntries(b, { delimiter: '/', limit: 1000 });
        assert.deepEqual(
          all.objects.map((o) => o.key),
          ['a', 'c', 'z'],
        );
        assert.deepEqual(all.commonPrefixes, ['a/', 'b/', 'c/', 'd/', 'é/']);
        assert.equal(all.truncated, false);
        assert.equal(all.last, 'é/');

        // Paging one entry at a time with `last` visits every entry once, in order.
        const seen: string[] = [];
        let after: string | undefined;
        for (let guard = 0; guard < 20; guard++) {
          const page = await s3().listEntries(b, { delimiter: '/', after, limit: 1 });
          seen.push(...page.objects.map((o) => o.key), ...page.commonPrefixes);
          if (!page.truncated) break;
          after = page.last!;
        }
        assert.deepEqual(seen, ['a', 'a/', 'b/', 'c', 'c/', 'd/', 'z', 'é/']);

        const inA = await s3().listEntries(b, { prefix: 'a/', delimiter: '/', limit: 1000 });
        assert.deepEqual(
          inA.objects.map((o) => o.key),
          ['a/1', 'a/2'],
        );
        assert.deepEqual(inA.commonPrefixes, ['a/x/']);

        const two = await s3().listEntries(b, { delimiter: '/', limit: 2 });
        assert.deepEqual([two.objects.map((o) => o.key), two.commonPrefixes, two.truncated, two.last], [['a'], ['a/'], true, 'a/']);

        // `after` inside a common prefix lists that prefix again (its later keys are entries of it).
        const mid = await s3().listEntries(b, { delimiter: '/', after: 'a/1', limit: 2 });
        assert.deepEqual(mid.commonPrefixes, ['a/', 'b/']);

        // A multi-character delimiter; no delimiter behaves like listObjects.
        const multi = await s3().listEntries(b, { delimiter: '/1', limit: 1000 });
        assert.deepEqual(multi.commonPrefixes, ['a/1', 'a/x/1', 'b/1', 'é/1']);
        const flat = await s3().listEntries(b, { limit: 1000 });
        assert.deepEqual(
          flat.objects.map((o) => o.key),
          [...keys].sort(utf8Order),
        );
        assert.deepEqual(flat.commonPrefixes, []);
        const none = await s3().listEntries(b, { delimiter: '/', limit: 0 });
        assert.deepEqual([none.objects, none.commonPrefixes, none.truncated, none.last], [[], [], true, null]);
      });

      it('skips a large common prefix without reading it through', async () => {
        const b = await newBucket('bigcp');
        const keys = ['0', ...Array.from({ length: 300 }, (_, i) => `big/${String(i).padStart(5, '0')}`), 'c', 'd/1'];
        await putAll(
          s3(),
          keys.map((k) => obj(b, k)),
        );
        const page = await s3().listEntries(b, { delimiter: '/', limit: 10 });
        assert.deepEqual(
          page.objects.map((o) => o.key),
          ['0', 'c'],
        );
        assert.deepEqual(page.commonPrefixes, ['big/', 'd/']);
        assert.equal(page.truncated, false);
        const next = await s3().listEntries(b, { delimiter: '/', after: 'big/', limit: 1 });
        assert.deepEqual([next.objects.map((o) => o.key), next.truncated], [['c'], true]);
      });
    });

    describe('multipart uploads', () => {
      it('create, parts (upsert, order, paging), complete into an object in one step', async () => {
        const b = await newBucket('mp');
        const u = upload(b, 'video.mp4', T);
        await s3().createUpload(u);
        assert.deepEqual(await s3().getUpload(u.uploadId), u);
        const p3 = part(u.uploadId, 3, { checksum: '{"CRC32":"AAAAAA=="}' });
        const p1 = part(u.uploadId, 1);
        const p2 = part(u.uploadId, 2, { size: 1 });
        for (const p of [p3, p1, p2]) assert.deepEqual(await s3().putPart(p), { previousBlobId: null });
        const p1b = part(u.uploadId, 1, { etag: '"again"' });
        assert.deepEqual(await s3().putPart(p1b), { previousBlobId: p1.blobId });
        const { checksum: _omit, ...p1bNoChecksum } = p1b;
        assert.deepEqual(await s3().putPart({ ...p1bNoChecksum, blobId: p1b.blobId }), { previousBlobId: p1b.blobId }, 'checksum may be omitted');
        assert.deepEqual(await s3().listParts(u.uploadId, { limit: 10 }), [p1b, p2, p3]);
        assert.deepEqual(await s3().listParts(u.uploadId, { after: 1, limit: 1 }), [p2]);
        assert.deepEqual(await s3().listParts(u.uploadId, { after: 3, limit: 10 }), []);
        assert.deepEqual(await s3().referencedBlobIds([p1.blobId, p2.blobId, p3.blobId]), new Set([p2.blobId, p3.blobId]));

        const old = obj(b, u.key);
        await s3().putObject(old);
        const done = obj(b, u.key, { etag: '"abc-3"' });
        const r = await s3().completeUpload(u.uploadId, done);
        assert.equal(r.previousBlobId, old.blobId);
        assert.deepEqual(new Set(r.partBlobIds), new Set([p1b.blobId, p2.blobId, p3.blobId]));
        assert.deepEqual(await s3().getObject(b, u.key), done);
        assert.equal(await s3().getUpload(u.uploadId), null);
        assert.deepEqual(await s3().listParts(u.uploadId, { limit: 10 }), []);
        await assert.rejects(s3().completeUpload(u.uploadId, obj(b, u.key)), isGone('upload'));
        assert.deepEqual(await s3().getObject(b, u.key), done, 'a second complete changes nothing');
        await assert.rejects(s3().putPart(part(u.uploadId, 4)), isGone('upload'));
        assert.deepEqual(await s3().listParts(u.uploadId, { limit: 10 }), []);
      });

      it('complete refuses an upload of another key or bucket', async () => {
        const b = await newBucket('mpk');
        const u = upload(b, 'k1', T);
        await s3().createUpload(u);
        await assert.rejects(s3().completeUpload(u.uploadId, obj(b, 'k2')), isGone('upload'));
        await assert.rejects(s3().completeUpload(u.uploadId, obj(bn('other'), 'k1')), isGone('bucket'));
        assert.notEqual(await s3().getUpload(u.uploadId), null);
        assert.equal(await s3().getObject(b, 'k2'), null);
      });

      it('abort deletes the upload and its parts and returns their blobs once', async () => {
        const b = await newBucket('abort');
        const u = upload(b, 'k', T);
        await s3().createUpload(u);
        const parts = [part(u.uploadId, 1), part(u.uploadId, 2)];
        for (const p of parts) await s3().putPart(p);
        const blobs = await s3().deleteUpload(u.uploadId);
        assert.deepEqual(new Set(blobs), new Set(parts.map((p) => p.blobId)));
        assert.equal(await s3().deleteUpload(u.uploadId), null);
        assert.equal(await s3().getUpload(u.uploadId), null);
        assert.deepEqual(await s3().referencedBlobIds(parts.map((p) => p.blobId)), new Set());
        assert.equal(await s3().deleteBucket(b), 'deleted');
      });

      it('creating an upload in a missing bucket fails with GoneError', async () => {
        const b = bn('nobucket');
        const u = upload(b, 'k', T);
        await assert.rejects(s3().createUpload(u), isGone('bucket'));
        assert.equal(await s3().getUpload(u.uploadId), null);
      });

      it('lists uploads by key (bytes), then initiation, with prefix and markers', async () => {
        const b = await newBucket('lu');
        const ups = [
          upload(b, 'b', T + 2),
          upload(b, 'a', T + 5),
          upload(b, 'é', T + 1),
          upload(b, 'a', T + 1),
          upload(b, 'a/x', T),
          upload(b, 'Z', T + 9),
          upload(b, 'a', T + 3),
        ];
        for (const u of ups) await s3().createUpload(u);
        const other = await newBucket('lu-other');
        await s3().createUpload(upload(other, 'a', T));
        const expected = [...ups].sort((x, y) => utf8Order(x.key, y.key) || x.initiated - y.initiated);
        assert.deepEqual(await s3().listUploads(b, { limit: 100 }), expected);
        assert.deepEqual(
          await s3().listUploads(b, { prefix: 'a', limit: 100 }),
          expected.filter((u) => u.key.startsWith('a')),
        );
        assert.deepEqual(await s3().listUploads(b, { limit: 2 }), expected.slice(0, 2));
        // key-marker alone: keys after it.
        assert.deepEqual(
          await s3().listUploads(b, { keyMarker: 'a', limit: 100 }),
          expected.filter((u) => utf8Order(u.key, 'a') > 0),
        );
        // key-marker + upload-id-marker: the rest of that key, then later keys; paging visits all once.
        const seen: UploadRow[] = [];
        let marker: { keyMarker?: string; uploadIdMarker?: string } = {};
        for (let guard = 0; guard < 20; guard++) {
          const page = await s3().listUploads(b, { ...marker, limit: 2 });
          seen.push(...page);
          if (page.length < 2) break;
          marker = { keyMarker: page[1].key, uploadIdMarker: page[1].uploadId };
        }
        assert.deepEqual(seen, expected);
        // upload-id-marker without key-marker is ignored (ListMultipartUploads reference).
        assert.deepEqual(await s3().listUploads(b, { uploadIdMarker: expected[3].uploadId, limit: 100 }), expected);
      });

      it('finds stale uploads across buckets, oldest first', async () => {
        const b = await newBucket('stale');
        const old1 = upload(b, 'x', 10);
        const old2 = upload(b, 'a', 20);
        await s3().createUpload(old2);
        await s3().createUpload(old1);
        await s3().createUpload(upload(b, 'new', 900));
        assert.deepEqual(await s3().staleUploads(100), [old1, old2]);
        assert.deepEqual(await s3().staleUploads(100, 1), [old1]);
        assert.deepEqual(await s3().staleUploads(5), []);
      });

      it('parts racing an abort are either refused or returned by the abort, never left behind', async () => {
        const b = await newBucket('abrace');
        const u = upload(b, 'k', T);
        await s3().createUpload(u);
        const parts = Array.from({ length: 12 }, (_, i) => part(u.uploadId, i + 1));
        const puts = parts.map((p) =>
          s3()
            .putPart(p)
            .then(
              () => true,
              (e: unknown) => {
                if (e instanceof GoneError) return false;
                throw e;
              },
            ),
        );
        const abort = s3().deleteUpload(u.uploadId);
        const accepted = await Promise.all(puts);
        const returned = (await abort) ?? [];
        assert.deepEqual(
          new Set(returned),
          new Set(parts.filter((_, i) => accepted[i]).map((p) => p.blobId)),
        );
        assert.deepEqual(await s3().listParts(u.uploadId, { limit: 100 }), []);
        assert.deepEqual(await s3().referencedBlobIds(parts.map((p) => p.blobId)), new Set());
      });

      it('concurrent puts of one part number report each replaced blob once', async () => {
        const b = await newBucket('prace');
        const u = upload(b, 'k', T);
        await s3().createUpload(u);
        const parts = Array.from({ length: 12 }, () => part(u.uploadId, 7));
        const prev = (await Promise.all(parts.map((p) => s3().putPart(p)))).map((r) => r.previousBlobId);
        const reported = prev.filter((p): p is string => p !== null);
        assert.equal(reported.length, parts.length - 1);
        const live = (await s3().listParts(u.uploadId, { limit: 10 }))[0].blobId;
        assert.deepEqual(new Set([...reported, live]), new Set(parts.map((p) => p.blobId)));
      });
    });

    it('referencedBlobIds finds blobs of objects and parts, in batches', async () => {
      const b = await newBucket('refs');
      const o = obj(b, 'k');
      await s3().putObject(o);
      const u = upload(b, 'k', T);
      await s3().createUpload(u);
      const p = part(u.uploadId, 1);
      await s3().putPart(p);
      const strangers = Array.from({ length: 1200 }, () => randomUUID());
      assert.deepEqual(await s3().referencedBlobIds([...strangers, o.blobId, p.blobId, o.blobId]), new Set([o.blobId, p.blobId]));
      assert.deepEqual(await s3().referencedBlobIds([]), new Set());
    });
  });
}
