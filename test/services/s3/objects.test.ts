/**
 * S3 buckets and objects through @aws-sdk/client-s3 against a live Nimbus:
 * bucket lifecycle and errors, PutObject with the SDK's default checksums
 * (aws-chunked with a CRC32 trailer), GetObject ranges and conditionals,
 * metadata and content headers, CopyObject, DeleteObjects, tagging, listings
 * with delimiters across pages, and keys that try to escape.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { BACKENDS } from '../dynamodb/helpers';
import { bucketName, newBucket, rejection, startS3, type S3TestContext } from './helpers';

for (const backend of BACKENDS) {
  describe(`S3 objects (${backend})`, () => {
    let t: S3TestContext;
    before(async () => {
      t = await startS3({ backend });
    });
    after(() => t?.nimbus.close());

    it('creates, heads, lists and deletes buckets with S3 errors', async () => {
      const Bucket = bucketName();
      await t.s3.send(new CreateBucketCommand({ Bucket }));
      await t.s3.send(new CreateBucketCommand({ Bucket })); // us-east-1: 200 for a bucket you own
      const other = bucketName();
      await t.s3.send(new CreateBucketCommand({ Bucket: other, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
      assert.equal((await t.s3.send(new GetBucketLocationCommand({ Bucket: other }))).LocationConstraint, 'eu-west-1');
      assert.equal((await t.s3.send(new GetBucketLocationCommand({ Bucket }))).LocationConstraint, undefined);
      const owned = await rejection(t.s3.send(new CreateBucketCommand({ Bucket: other, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })));
      assert.equal(owned.name, 'BucketAlreadyOwnedByYou');
      await t.s3.send(new HeadBucketCommand({ Bucket }));
      const names = (await t.s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
      assert.ok(names.includes(Bucket) && names.includes(other));
      const bad = await rejection(t.s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })));
      assert.equal(bad.name, 'InvalidBucketName');
      await t.s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'x' }));
      const notEmpty = await rejection(t.s3.send(new DeleteBucketCommand({ Bucket })));
      assert.equal(notEmpty.name, 'BucketNotEmpty');
      await t.s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
      await t.s3.send(new DeleteBucketCommand({ Bucket }));
      const gone = await rejection(t.s3.send(new HeadBucketCommand({ Bucket })));
      assert.equal(gone.status, 404);
      const missing = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'k' })));
      assert.equal(missing.name, 'NoSuchBucket');
    });

    it('PutObject with the SDK defaults, GetObject and HeadObject with metadata and content headers', async () => {
      const Bucket = await newBucket(t.s3);
      const body = crypto.randomBytes(300_000);
      const put = await t.s3.send(
        new PutObjectCommand({ Bucket, Key: 'dir/file one.bin', Body: body, ContentType: 'application/x-test', Metadata: { Color: 'blue' }, CacheControl: 'max-age=60', ContentDisposition: 'attachment' }),
      );
      assert.equal(put.ETag, `"${crypto.createHash('md5').update(body).digest('hex')}"`);
      const got = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'dir/file one.bin', ChecksumMode: 'ENABLED' }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
      assert.equal(got.ContentType, 'application/x-test');
      assert.equal(got.ContentLength, body.length);
      assert.deepEqual(got.Metadata, { color: 'blue' });
      assert.equal(got.CacheControl, 'max-age=60');
      assert.equal(got.ContentDisposition, 'attachment');
      assert.equal(got.ETag, put.ETag);
      assert.ok(got.LastModified instanceof Date);
      const head = await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'dir/file one.bin' }));
      assert.equal(head.ContentLength, body.length);
      assert.equal(head.ETag, put.ETag);
      const nokey = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'nope' })));
      assert.equal(nokey.name, 'NoSuchKey');
      const empty = await t.s3.send(new PutObjectCommand({ Bucket, Key: 'empty', Body: '' }));
      assert.equal(empty.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
      assert.equal((await (await t.s3.send(new GetObjectCommand({ Bucket, Key: 'empty' }))).Body!.transformToString()), '');
    });

    it('ranges and conditional requests', async () => {
      const Bucket = await newBucket(t.s3);
      const put = await t.s3.send(new PutObjectCommand({ Bucket, Key: 'r', Body: '0123456789' }));
      const part = async (Range: string) => {
        const r = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', Range }));
        return { text: await r.Body!.transformToString(), range: r.ContentRange };
      };
      assert.deepEqual(await part('bytes=2-4'), { text: '234', range: 'bytes 2-4/10' });
      assert.deepEqual(await part('bytes=7-'), { text: '789', range: 'bytes 7-9/10' });
      assert.deepEqual(await part('bytes=-3'), { text: '789', range: 'bytes 7-9/10' });
      assert.deepEqual(await part('bytes=5-100'), { text: '56789', range: 'bytes 5-9/10' });
      const bad = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', Range: 'bytes=20-30' })));
      assert.equal(bad.name, 'InvalidRange');
      assert.equal(bad.status, 416);
      const pre = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', IfMatch: '"nope"' })));
      assert.equal(pre.name, 'PreconditionFailed');
      await t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', IfMatch: put.ETag }));
      const notModified = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', IfNoneMatch: put.ETag })));
      assert.equal(notModified.status, 304);
      const since = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', IfModifiedSince: new Date(Date.now() + 60_000) })));
      assert.equal(since.status, 304);
      const unmodified = await rejection(t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', IfUnmodifiedSince: new Date(Date.now() - 3_600_000) })));
      assert.equal(unmodified.name, 'PreconditionFailed');
      const over = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'r', ResponseContentType: 'text/x-over', ResponseContentDisposition: 'inline' }));
      assert.equal(over.ContentType, 'text/x-over');
      assert.equal(over.ContentDisposition, 'inline');
      const created = await rejection(t.s3.send(new PutObjectCommand({ Bucket, Key: 'r', Body: 'x', IfNoneMatch: '*' })));
      assert.equal(created.name, 'PreconditionFailed');
    });

    it('CopyObject (COPY and REPLACE), tagging, DeleteObjects', async () => {
      const Bucket = await newBucket(t.s3);
      await t.s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: 'data', ContentType: 'text/plain', Metadata: { a: '1' }, Tagging: 'x=1&y=2' }));
      const c1 = await t.s3.send(new CopyObjectCommand({ Bucket, Key: 'copy', CopySource: `${Bucket}/src` }));
      assert.ok(c1.CopyObjectResult?.ETag);
      const h1 = await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'copy' }));
      assert.deepEqual(h1.Metadata, { a: '1' });
      assert.equal(h1.ContentType, 'text/plain');
      await t.s3.send(new CopyObjectCommand({ Bucket, Key: 'copy2', CopySource: `${Bucket}/src`, MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 'text/x' }));
      const h2 = await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'copy2' }));
      assert.deepEqual(h2.Metadata, { b: '2' });
      const self = await rejection(t.s3.send(new CopyObjectCommand({ Bucket, Key: 'src', CopySource: `${Bucket}/src` })));
      assert.equal(self.name, 'InvalidRequest');
      assert.deepEqual((await t.s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'copy' }))).TagSet, [{ Key: 'x', Value: '1' }, { Key: 'y', Value: '2' }]);
      await t.s3.send(new PutObjectTaggingCommand({ Bucket, Key: 'copy', Tagging: { TagSet: [{ Key: 'z', Value: '3' }] } }));
      assert.deepEqual((await t.s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'copy' }))).TagSet, [{ Key: 'z', Value: '3' }]);
      const del = await t.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'copy' }, { Key: 'copy2' }, { Key: 'never-was' }] } }));
      assert.deepEqual(del.Deleted?.map((d) => d.Key).sort(), ['copy', 'copy2', 'never-was']);
      const keys = (await t.s3.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((c) => c.Key);
      assert.deepEqual(keys, ['src']);
    });

    it('lists with prefixes, delimiters and continuation tokens across pages, in UTF-8 byte order', async () => {
      const Bucket = await newBucket(t.s3);
      const keys = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'c', 'd/x', 'Z', 'é', 'a/😀', 'e/'];
      for (const Key of keys) await t.s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
      const all: string[] = [];
      let token: string | undefined;
      do {
        const page = await t.s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 3, ContinuationToken: token }));
        all.push(...(page.Contents ?? []).map((c) => c.Key!));
        assert.equal(page.KeyCount, (page.Contents ?? []).length);
        token = page.NextContinuationToken;
      } while (token);
      assert.deepEqual(all, [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      const top = await t.s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/' }));
      assert.deepEqual(top.Contents?.map((c) => c.Key), ['Z', 'a.txt', 'c', 'é']);
      assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'd/', 'e/']);
      const paged: string[] = [];
      token = undefined;
      do {
        const page: ListObjectsV2CommandOutput = await t.s3.send(new ListObjectsV2Command({ Bucket, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
        paged.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
        token = page.NextContinuationToken;
      } while (token);
      assert.deepEqual(paged.sort(), ['Z', 'a.txt', 'a/', 'b/', 'c', 'd/', 'e/', 'é'].sort());
      const b = await t.s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'b/', Delimiter: '/' }));
      assert.deepEqual(b.Contents?.map((c) => c.Key), ['b/1', 'b/2']);
      assert.deepEqual(b.CommonPrefixes?.map((p) => p.Prefix), ['b/c/']);
      const after = await t.s3.send(new ListObjectsV2Command({ Bucket, StartAfter: 'c' }));
      assert.deepEqual(after.Contents?.map((c) => c.Key), ['d/x', 'e/', 'é']);
      const v1 = await t.s3.send(new ListObjectsCommand({ Bucket, Delimiter: '/', MaxKeys: 2 }));
      assert.equal(v1.IsTruncated, true);
      assert.ok(v1.NextMarker);
    });

    it('keys that try to escape the data directory are just keys', async () => {
      const Bucket = await newBucket(t.s3);
      const evil = ['../../../../etc/passwd', '..%2f..%2fescape', 'a/../../b', '%2e%2e/x', '/abs/path', '\\..\\win', 'k'.repeat(1024)];
      for (const Key of evil) {
        await t.s3.send(new PutObjectCommand({ Bucket, Key, Body: `value of ${Key.slice(0, 20)}` }));
        assert.equal(await (await t.s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString(), `value of ${Key.slice(0, 20)}`);
      }
      const tooLong = await rejection(t.s3.send(new PutObjectCommand({ Bucket, Key: 'k'.repeat(1025), Body: 'x' })));
      assert.equal(tooLong.name, 'KeyTooLongError');
      assert.equal((await rejection(t.s3.send(new PutObjectCommand({ Bucket, Key: 'nul\u0000byte', Body: 'x' })))).name, 'InvalidArgument');
      // Nothing was written outside the data directory's blobs.
      assert.equal(fs.existsSync(path.join(t.nimbus.opts.dataDir, '..', 'escape')), false);
    });
  });
}
