/**
 * Virtual-hosted-style addressing: @aws-sdk/client-s3 with `forcePathStyle:
 * false` against `http://localhost:<port>` sends `Host: <bucket>.localhost:<port>`
 * (Node does not resolve `*.localhost`, so the test's agent connects every
 * host to 127.0.0.1; the Host header and the signature stay the SDK's), and
 * raw requests with the other S3 host forms. The signature covers the path
 * as sent and the Host, so these prove routing and SigV4 both see the right
 * request.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { LookupFunction } from 'node:net';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { bucketName, rejection, s3Client, startS3, type S3TestContext } from './helpers';
import { bucketOfHost } from '../../../src/services/s3/virtual-host';

const toLoopback: LookupFunction = (_host, opts, cb) => {
  if (typeof opts === 'object' && opts !== null && (opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

function raw(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('S3 virtual-hosted-style requests', () => {
  let t: S3TestContext;
  let vh: S3Client;
  let port: number;
  const hosts: string[] = [];
  before(async () => {
    t = await startS3();
    port = Number(new URL(t.nimbus.awsUrl).port);
    vh = s3Client(`http://localhost:${port}`, {
      forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup: toLoopback }) }),
    });
    vh.middlewareStack.add(
      (next) => async (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordHost' },
    );
  });
  after(() => t?.nimbus.close());

  it('tells the bucket from the Host as S3 does', () => {
    assert.equal(bucketOfHost('photos.localhost:4566'), 'photos');
    assert.equal(bucketOfHost('photos.s3.localhost'), 'photos');
    assert.equal(bucketOfHost('my.photos.s3.eu-west-1.amazonaws.com'), 'my.photos');
    assert.equal(bucketOfHost('photos.s3.amazonaws.com'), 'photos');
    assert.equal(bucketOfHost('photos.s3-us-west-2.amazonaws.com'), 'photos');
    assert.equal(bucketOfHost('photos.s3.localhost.localstack.cloud:4566'), 'photos');
    for (const h of ['localhost:4566', 's3.localhost', 's3.amazonaws.com', 's3.us-east-1.amazonaws.com', '127.0.0.1:4566', '[::1]:4566']) assert.equal(bucketOfHost(h), null, h);
  });

  it('the SDK without forcePathStyle: buckets and objects on <bucket>.localhost', async () => {
    const Bucket = bucketName();
    await vh.send(new CreateBucketCommand({ Bucket }));
    await vh.send(new HeadBucketCommand({ Bucket }));
    await vh.send(new PutObjectCommand({ Bucket, Key: 'dir/a b.txt', Body: 'hello virtual host' }));
    await vh.send(new PutObjectCommand({ Bucket, Key: '/leading-slash', Body: 'x' }));
    const got = await vh.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.txt' }));
    assert.equal(await got.Body!.transformToString(), 'hello virtual host');
    const listed = await vh.send(new ListObjectsV2Command({ Bucket }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['/leading-slash', 'dir/a b.txt']);
    // The same objects path-style: one bucket, two addressing styles.
    const viaPath = await t.s3.send(new GetObjectCommand({ Bucket, Key: '/leading-slash' }));
    assert.equal(await viaPath.Body!.transformToString(), 'x');
    await vh.send(new DeleteObjectCommand({ Bucket, Key: 'dir/a b.txt' }));
    const gone = await rejection(vh.send(new GetObjectCommand({ Bucket, Key: 'dir/a b.txt' })));
    assert.equal(gone.name, 'NoSuchKey');
    const missing = await rejection(vh.send(new GetObjectCommand({ Bucket: bucketName(), Key: 'k' })));
    assert.equal(missing.name, 'NoSuchBucket');
    assert.ok(hosts.length > 0 && hosts.every((h) => h.endsWith('.localhost')), `hosts: ${hosts.join(', ')}`);
    assert.ok(hosts.includes(`${Bucket}.localhost`));
  });

  it('presigned URLs and unsigned requests on virtual hosts, with every host form', async () => {
    const Bucket = bucketName();
    await t.s3.send(new CreateBucketCommand({ Bucket }));
    await t.s3.send(new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'signed content' }));
    const url = new URL(await getSignedUrl(vh, new GetObjectCommand({ Bucket, Key: 'k.txt' }), { expiresIn: 60 }));
    assert.equal(url.hostname, `${Bucket}.localhost`);
    const ok = await raw(port, 'GET', url.pathname + url.search, { host: url.host });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.text, 'signed content');
    // The signature covers the Host: the same URL sent path-style does not verify.
    const moved = await raw(port, 'GET', `/${Bucket}${url.pathname}${url.search}`, { host: `localhost:${port}` });
    assert.equal(moved.status, 403);
    assert.match(moved.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    // Unsigned: found to be S3 by the host alone, refused as S3 refuses anonymous reads.
    for (const host of [`${Bucket}.s3.localhost:${port}`, `${Bucket}.s3.us-east-1.amazonaws.com`, `${Bucket}.s3.amazonaws.com`]) {
      const anon = await raw(port, 'GET', '/k.txt', { host });
      assert.equal(anon.status, 403, host);
      assert.match(anon.text, /<Code>AccessDenied<\/Code>/);
    }
  });
});
