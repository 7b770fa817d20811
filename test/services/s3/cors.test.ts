/**
 * Bucket CORS: Put/Get/DeleteBucketCors through @aws-sdk/client-s3 (S3's
 * validation errors), preflights answered from the first matching rule, and
 * the CORS headers of actual requests, path-style and on a virtual host.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import { DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand, type CORSRule } from '@aws-sdk/client-s3';
import { bucketName, newBucket, rejection, startS3, type S3TestContext } from './helpers';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  code?: string;
  message?: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const RULES: CORSRule[] = [
  { ID: 'app', AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['Content-Type', 'x-amz-*'], ExposeHeaders: ['ETag', 'x-amz-request-id'], MaxAgeSeconds: 600 },
  { AllowedOrigins: ['http://*.example.org'], AllowedMethods: ['POST'] },
  { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'] },
];

describe('S3 bucket CORS', () => {
  let t: S3TestContext;
  let port: number;
  before(async () => {
    t = await startS3();
    port = Number(new URL(t.nimbus.awsUrl).port);
  });
  after(() => t?.nimbus.close());

  it('Put, Get and DeleteBucketCors with S3 validation', async () => {
    const Bucket = await newBucket(t.s3);
    const none = await rejection(t.s3.send(new GetBucketCorsCommand({ Bucket })));
    assert.equal(none.name, 'NoSuchCORSConfiguration');
    assert.equal(none.status, 404);
    assert.equal(none.message, 'The CORS configuration does not exist');
    await t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: RULES } }));
    const got = await t.s3.send(new GetBucketCorsCommand({ Bucket }));
    assert.deepEqual(got.CORSRules, RULES);
    const badMethod = await rejection(t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })));
    assert.equal(badMethod.name, 'InvalidRequest');
    assert.equal(badMethod.message, 'Found unsupported HTTP method in CORS config. Unsupported method is PATCH');
    const twoStars = await rejection(t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://*.*.com'], AllowedMethods: ['GET'] }] } })));
    assert.equal(twoStars.name, 'InvalidRequest');
    const empty = await rejection(t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [] } })));
    assert.equal(empty.name, 'MalformedXML');
    const noOrigin = await rejection(t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: [], AllowedMethods: ['GET'] }] } })));
    assert.equal(noOrigin.name, 'MalformedXML');
    // The failed puts left the configuration as it was.
    assert.equal((await t.s3.send(new GetBucketCorsCommand({ Bucket }))).CORSRules?.length, 3);
    await t.s3.send(new DeleteBucketCorsCommand({ Bucket }));
    assert.equal((await rejection(t.s3.send(new GetBucketCorsCommand({ Bucket })))).name, 'NoSuchCORSConfiguration');
    const noBucket = await rejection(t.s3.send(new PutBucketCorsCommand({ Bucket: bucketName(), CORSConfiguration: { CORSRules: RULES } })));
    assert.equal(noBucket.name, 'NoSuchBucket');
  });

  it('answers preflights from the first matching rule, refuses the rest as S3 does', async () => {
    const Bucket = await newBucket(t.s3);
    await t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: RULES } }));
    const ok = await send(port, 'OPTIONS', `/${Bucket}/photos/cat.jpg`, {
      Origin: 'https://app.example.com',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'content-type, X-Amz-Meta-Color',
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    assert.equal(ok.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(ok.headers['access-control-allow-headers'], 'content-type, x-amz-meta-color');
    assert.equal(ok.headers['access-control-expose-headers'], 'ETag, x-amz-request-id');
    assert.equal(ok.headers['access-control-max-age'], '600');
    assert.equal(ok.headers.vary, 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    assert.ok(ok.headers['x-amz-request-id']);
    assert.equal(ok.text, '');

    const wildcard = await send(port, 'OPTIONS', `/${Bucket}`, { Origin: 'http://uploads.example.org', 'Access-Control-Request-Method': 'POST' });
    assert.equal(wildcard.status, 200);
    assert.equal(wildcard.headers['access-control-allow-origin'], 'http://uploads.example.org');
    const any = await send(port, 'OPTIONS', `/${Bucket}/k`, { Origin: 'https://anyone.test', 'Access-Control-Request-Method': 'HEAD' });
    assert.equal(any.headers['access-control-allow-origin'], '*');
    assert.equal(any.headers['access-control-allow-credentials'], undefined);

    const refusals: [Record<string, string>, string][] = [
      [{ Origin: 'https://evil.test', 'Access-Control-Request-Method': 'PUT' }, 'method not allowed for that origin'],
      [{ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'DELETE' }, 'method not in any rule'],
      [{ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization' }, 'header not allowed'],
      [{ Origin: 'http://example.org', 'Access-Control-Request-Method': 'POST' }, 'the wildcard needs a subdomain'],
    ];
    for (const [headers, why] of refusals) {
      const no = await send(port, 'OPTIONS', `/${Bucket}/photos/cat.jpg`, headers);
      assert.equal(no.status, 403, why);
      assert.equal(no.code, 'AccessForbidden', why);
      assert.equal(
        no.message,
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        why,
      );
      assert.equal(no.headers['access-control-allow-origin'], undefined);
    }
    const noOrigin = await send(port, 'OPTIONS', `/${Bucket}/k`, { 'Access-Control-Request-Method': 'GET' });
    assert.equal(noOrigin.status, 400);
    assert.equal(noOrigin.message, 'Insufficient information. Origin request header needed.');
    const plain = await newBucket(t.s3);
    const disabled = await send(port, 'OPTIONS', `/${plain}/k`, { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' });
    assert.equal(disabled.status, 403);
    assert.equal(disabled.message, 'CORSResponse: CORS is not enabled for this bucket.');
    const noBucket = await send(port, 'OPTIONS', `/${bucketName()}/k`, { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' });
    assert.equal(noBucket.message, 'CORSResponse: Bucket not found');
  });

  it('adds CORS headers to actual requests that match, on both addressing styles', async () => {
    const Bucket = await newBucket(t.s3);
    await t.s3.send(new PutObjectCommand({ Bucket, Key: 'k.txt', Body: 'x' }));
    const before = await send(port, 'OPTIONS', `/${Bucket}/k.txt`, { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' });
    assert.equal(before.status, 403);
    await t.s3.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: RULES } }));
    // An unsigned GET is refused (no public reads), and the refusal still carries the headers a browser needs to read it.
    const get = await send(port, 'GET', `/${Bucket}/k.txt`, { Origin: 'https://app.example.com' });
    assert.equal(get.status, 403);
    assert.equal(get.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(get.headers['access-control-expose-headers'], 'ETag, x-amz-request-id');
    assert.equal(get.headers.vary, 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method');
    const other = await send(port, 'GET', `/${Bucket}/k.txt`, { Origin: 'https://evil.test' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const noOrigin = await send(port, 'GET', `/${Bucket}/k.txt`, {});
    assert.equal(noOrigin.headers['access-control-allow-origin'], undefined);
    // Signed requests through the SDK get them too (a browser app using the SDK sends Origin).
    let seen: Record<string, string> = {};
    t.s3.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers.origin = 'https://app.example.com';
        const r = await next(args);
        seen = (r.response as { headers: Record<string, string> }).headers;
        return r;
      },
      { step: 'build', name: 'origin' },
    );
    try {
      await t.s3.send(new PutObjectCommand({ Bucket, Key: 'from-browser.txt', Body: 'y' }));
    } finally {
      t.s3.middlewareStack.remove('origin');
    }
    assert.equal(seen['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(seen['access-control-allow-methods'], 'GET, PUT');
    // Virtual host: the preflight names the bucket in Host.
    const vh = await send(port, 'OPTIONS', '/k.txt', { Host: `${Bucket}.localhost:${port}`, Origin: 'http://a.example.org', 'Access-Control-Request-Method': 'POST' });
    assert.equal(vh.status, 200, vh.text);
    assert.equal(vh.headers['access-control-allow-origin'], 'http://a.example.org');
  });
});
