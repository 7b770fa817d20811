/**
 * Multipart uploads through @aws-sdk/client-s3 and @aws-sdk/lib-storage, and
 * presigned URLs through @aws-sdk/s3-request-presigner, against a live Nimbus.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { newBucket, rejection, startS3, type S3TestContext } from './helpers';

const MB = 1024 * 1024;
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest();

describe('S3 multipart and presigned URLs', () => {
  let t: S3TestContext;
  before(async () => {
    t = await startS3();
  });
  after(() => t?.nimbus.close());

  it('lib-storage Upload of a 12 MB body in 5 MB parts; ETag is md5-of-md5s with the part count', async () => {
    const Bucket = await newBucket(t.s3);
    const body = crypto.randomBytes(12 * MB);
    const done = await new Upload({ client: t.s3, params: { Bucket, Key: 'big.bin', Body: body }, partSize: 5 * MB, queueSize: 2 }).done();
    const parts = [body.subarray(0, 5 * MB), body.subarray(5 * MB, 10 * MB), body.subarray(10 * MB)];
    const want = `"${crypto.createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3"`;
    assert.equal(done.ETag, want);
    const got = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'big.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
    const head = await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'big.bin', PartNumber: 2 }));
    assert.equal(head.PartsCount, 3);
    const part2 = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'big.bin', PartNumber: 3 }));
    assert.equal(part2.ContentLength, 2 * MB);
  });

  it("enforces S3's part rules and lists uploads and parts", async () => {
    const Bucket = await newBucket(t.s3);
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'm', ContentType: 'text/x-parts' }));
    const small = await t.s3.send(new UploadPartCommand({ Bucket, Key: 'm', UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
    const small2 = await t.s3.send(new UploadPartCommand({ Bucket, Key: 'm', UploadId, PartNumber: 2, Body: Buffer.alloc(1024, 2) }));
    const uploads = await t.s3.send(new ListMultipartUploadsCommand({ Bucket }));
    assert.deepEqual(uploads.Uploads?.map((u) => u.UploadId), [UploadId]);
    const parts = await t.s3.send(new ListPartsCommand({ Bucket, Key: 'm', UploadId }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, 1024], [2, 1024]]);
    const tooSmall = await rejection(
      t.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: small.ETag }, { PartNumber: 2, ETag: small2.ETag }] } })),
    );
    assert.equal(tooSmall.name, 'EntityTooSmall');
    const order = await rejection(
      t.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: small2.ETag }, { PartNumber: 1, ETag: small.ETag }] } })),
    );
    assert.equal(order.name, 'InvalidPartOrder');
    const wrong = await rejection(t.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0000"' }] } })));
    assert.equal(wrong.name, 'InvalidPart');
    // A single small part is a valid upload (only parts before the last have a minimum).
    const one = await t.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'm', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: small.ETag }] } }));
    assert.match(one.ETag ?? '', /-1"$/);
    assert.equal((await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'm' }))).ContentType, 'text/x-parts');
    const gone = await rejection(t.s3.send(new ListPartsCommand({ Bucket, Key: 'm', UploadId })));
    assert.equal(gone.name, 'NoSuchUpload');
    const { UploadId: aborted } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'a' }));
    await t.s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'a', UploadId: aborted }));
    assert.equal((await rejection(t.s3.send(new UploadPartCommand({ Bucket, Key: 'a', UploadId: aborted, PartNumber: 1, Body: 'x' })))).name, 'NoSuchUpload');
  });

  it('UploadPartCopy copies a range of an existing object into a part', async () => {
    const Bucket = await newBucket(t.s3);
    const src = crypto.randomBytes(6 * MB);
    await t.s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: src }));
    const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'dst' }));
    const p1 = await t.s3.send(new UploadPartCopyCommand({ Bucket, Key: 'dst', UploadId, PartNumber: 1, CopySource: `${Bucket}/src`, CopySourceRange: `bytes=0-${5 * MB - 1}` }));
    const p2 = await t.s3.send(new UploadPartCopyCommand({ Bucket, Key: 'dst', UploadId, PartNumber: 2, CopySource: `${Bucket}/src`, CopySourceRange: `bytes=${5 * MB}-${6 * MB - 1}` }));
    await t.s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key: 'dst', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] } }),
    );
    const got = Buffer.from(await (await t.s3.send(new GetObjectCommand({ Bucket, Key: 'dst' }))).Body!.transformToByteArray());
    assert.ok(got.equals(src));
  });

  it('presigned GET and PUT URLs work until they expire; tampered ones are refused', async () => {
    const Bucket = await newBucket(t.s3);
    const putUrl = await getSignedUrl(t.s3, new PutObjectCommand({ Bucket, Key: 'pre.txt' }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'from a browser' });
    assert.equal(put.status, 200, await put.clone().text());
    const getUrl = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket, Key: 'pre.txt' }), { expiresIn: 300 });
    const get = await fetch(getUrl);
    assert.equal(await get.text(), 'from a browser');
    const expired = await getSignedUrl(t.s3, new GetObjectCommand({ Bucket, Key: 'pre.txt' }), { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const e = await fetch(expired);
    assert.equal(e.status, 403);
    assert.match(await e.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    const tampered = getUrl.replace('pre.txt', 'other.txt');
    const x = await fetch(tampered);
    assert.equal(x.status, 403);
    assert.match(await x.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});
