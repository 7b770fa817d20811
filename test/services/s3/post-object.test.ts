/**
 * Browser POST uploads (PostObject): forms signed as S3's "Browser-based
 * uploads using POST (AWS Signature Version 4)" describes, built here by hand
 * with node:crypto (@aws-sdk/s3-presigned-post is not installed), sent with
 * fetch + FormData like a browser; policy conditions and their S3 errors,
 * success_action_status / _redirect, virtual hosts, the ObjectCreated:Post
 * notification, and the streaming form reader on adversarial chunking.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { copyFixture, tmpDir, waitFor } from '../../helpers/nimbus';
import { newBucket, rejection, startS3, type S3TestContext } from './helpers';
import { MultipartReader, formBoundary } from '../../../src/services/s3/form-data';

function hmac(key: Buffer | string, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

interface PolicyOptions {
  conditions?: unknown[];
  expiration?: Date;
  secret?: string;
  /** Leave the x-amz-* conditions out of the policy. */
  bareConditions?: boolean;
}

/** The signed fields of a POST form: what a backend hands a browser (S3 "Creating a POST policy", "Calculating a signature"). */
function signedFields(bucket: string, o: PolicyOptions = {}): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const credential = `test/${day}/us-east-1/s3/aws4_request`;
  const conditions = [
    { bucket },
    ...(o.conditions ?? []),
    ...(o.bareConditions ? [] : [{ 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }]),
  ];
  const policy = Buffer.from(JSON.stringify({ expiration: (o.expiration ?? new Date(Date.now() + 600_000)).toISOString(), conditions })).toString('base64');
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secret ?? 'test'}`, day), 'us-east-1'), 's3'), 'aws4_request');
  return { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': credential, 'X-Amz-Date': amzDate, Policy: policy, 'X-Amz-Signature': hmac(key, policy).toString('hex') };
}

function form(fields: Record<string, string>, file?: { data: Buffer | string; name?: string; type?: string }): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file) f.append('file', new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'upload.bin');
  return f;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  code?: string;
  message?: string;
}

async function post(url: string, body: FormData): Promise<Answer> {
  const r = await fetch(url, { method: 'POST', body, redirect: 'manual' });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] };
}

const KEY_PREFIX = ['starts-with', '$key', 'uploads/'];

describe('S3 POST uploads', () => {
  let t: S3TestContext;
  let out: string;
  before(async () => {
    out = tmpDir('nimbus-s3post-');
    process.env.NIMBUS_S3_NOTIFY_OUT = out;
    t = await startS3({ poolSize: 1 });
    await t.nimbus.deploy(copyFixture('s3-notify'));
  });
  after(() => t?.nimbus.close());

  it('stores the file under the key (with ${filename}), with the form content type, metadata and tags, and notifies ObjectCreated:Post', async () => {
    const Bucket = await newBucket(t.s3);
    await t.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket,
        NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'posts', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:s3notify-dev-record', Events: ['s3:ObjectCreated:Post'] }] },
      }),
    );
    const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const fields = signedFields(Bucket, {
      conditions: [KEY_PREFIX, ['starts-with', '$Content-Type', 'image/'], { 'x-amz-meta-owner': 'ada' }, ['content-length-range', 1, 10 * 1024 * 1024], ['eq', '$tagging', '<Tagging><TagSet><Tag><Key>kind</Key><Value>photo</Value></Tag></TagSet></Tagging>'], { acl: 'private' }],
    });
    const res = await post(`${t.nimbus.awsUrl}/${Bucket}`, form(
      { key: 'uploads/${filename}', 'Content-Type': 'image/png', 'x-amz-meta-owner': 'ada', tagging: '<Tagging><TagSet><Tag><Key>kind</Key><Value>photo</Value></Tag></TagSet></Tagging>', acl: 'private', 'x-ignore-tracking': '1', ...fields },
      { data, name: 'my cat.png', type: 'application/x-ignored' },
    ));
    assert.equal(res.status, 204, res.text);
    const md5 = crypto.createHash('md5').update(data).digest('hex');
    assert.equal(res.headers.get('etag'), `"${md5}"`);
    assert.equal(res.headers.get('location'), `${t.nimbus.awsUrl}/${Bucket}/uploads/my%20cat.png`);
    const got = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'uploads/my cat.png' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), data);
    assert.equal(got.ContentType, 'image/png');
    assert.deepEqual(got.Metadata, { owner: 'ada' });
    assert.equal(got.ETag, `"${md5}"`);
    assert.deepEqual((await t.s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'uploads/my cat.png' }))).TagSet, [{ Key: 'kind', Value: 'photo' }]);
    const file = path.join(out, 'record.jsonl');
    const mine = (): S3Event['Records'] =>
      (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []).map((l) => (JSON.parse(l) as S3Event).Records[0]!).filter((r) => r.s3.bucket.name === Bucket);
    await waitFor(() => mine().length > 0, 10_000, 50);
    const event = mine()[0]!;
    assert.equal(event.eventName, 'ObjectCreated:Post');
    assert.equal(event.s3.object.key, 'uploads/my+cat.png');
    assert.equal(event.s3.object.size, data.length);
    assert.equal(event.s3.object.eTag, md5);
  });

  it('success_action_status 201 (PostResponse), 200, and success_action_redirect (303)', async () => {
    const Bucket = await newBucket(t.s3);
    const created = await post(`${t.nimbus.awsUrl}/${Bucket}`, form({ key: 'uploads/a.txt', success_action_status: '201', ...signedFields(Bucket, { conditions: [KEY_PREFIX, { success_action_status: '201' }] }) }, { data: 'aaa' }));
    assert.equal(created.status, 201, created.text);
    assert.match(created.text, /^<\?xml[^>]*>\s*<PostResponse[^>]*>/);
    assert.match(created.text, new RegExp(`<Bucket>${Bucket}</Bucket>`));
    assert.match(created.text, /<Key>uploads\/a\.txt<\/Key>/);
    assert.match(created.text, /<ETag>&quot;47bce5c74f589f4867dbd57e9ca9f808&quot;<\/ETag>|<ETag>"47bce5c74f589f4867dbd57e9ca9f808"<\/ETag>/);
    assert.match(created.text, /<Location>http:\/\/[^<]+\/uploads\/a\.txt<\/Location>/);
    const ok = await post(`${t.nimbus.awsUrl}/${Bucket}`, form({ key: 'uploads/b.txt', success_action_status: '200', ...signedFields(Bucket, { conditions: [KEY_PREFIX, ['starts-with', '$success_action_status', '']] }) }, { data: 'b' }));
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '');
    const redirect = 'https://app.example.com/done?from=s3';
    const moved = await post(`${t.nimbus.awsUrl}/${Bucket}`, form({ key: 'uploads/c.txt', success_action_redirect: redirect, ...signedFields(Bucket, { conditions: [KEY_PREFIX, { success_action_redirect: redirect }] }) }, { data: 'c' }));
    assert.equal(moved.status, 303);
    const to = new URL(moved.headers.get('location')!);
    assert.equal(to.origin + to.pathname, 'https://app.example.com/done');
    assert.equal(to.searchParams.get('from'), 's3');
    assert.equal(to.searchParams.get('bucket'), Bucket);
    assert.equal(to.searchParams.get('key'), 'uploads/c.txt');
    assert.equal(to.searchParams.get('etag'), `"${crypto.createHash('md5').update('c').digest('hex')}"`);
    await t.s3.send(new HeadObjectCommand({ Bucket, Key: 'uploads/c.txt' }));
  });

  it('refuses forms the policy does not allow, with S3 errors, and stores nothing', async () => {
    const Bucket = await newBucket(t.s3);
    const url = `${t.nimbus.awsUrl}/${Bucket}`;
    const cases: { why: string; body: FormData; status: number; code: string; message?: string | RegExp }[] = [
      {
        why: 'key outside the prefix',
        body: form({ key: 'elsewhere/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX] }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
      },
      {
        why: 'exact key',
        body: form({ key: 'uploads/other', ...signedFields(Bucket, { conditions: [['eq', '$key', 'uploads/only']] }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "uploads/only"]',
      },
      {
        why: 'another bucket',
        body: form({ key: 'uploads/x', ...signedFields('some-other-bucket', { conditions: [KEY_PREFIX] }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "some-other-bucket"]',
      },
      {
        why: 'expired',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX], expiration: new Date(Date.now() - 1000) }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Policy expired.',
      },
      {
        why: 'a field no condition names',
        body: form({ key: 'uploads/x', 'x-amz-meta-extra': 'y', ...signedFields(Bucket, { conditions: [KEY_PREFIX] }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Extra input fields: x-amz-meta-extra',
      },
      {
        why: 'x-amz-* fields the policy does not name',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX], bareConditions: true }) }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
        message: 'Invalid according to Policy: Extra input fields: X-Amz-Algorithm',
      },
      {
        why: 'signed with another secret',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX], secret: 'wrong' }) }, { data: 'x' }),
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      },
      {
        why: 'too large',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX, ['content-length-range', 0, 1000]] }) }, { data: Buffer.alloc(300_000, 1) }),
        status: 400,
        code: 'EntityTooLarge',
        message: 'Your proposed upload exceeds the maximum allowed size',
      },
      {
        why: 'too small',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX, ['content-length-range', 10, 1000]] }) }, { data: 'tiny' }),
        status: 400,
        code: 'EntityTooSmall',
        message: 'Your proposed upload is smaller than the minimum allowed size',
      },
      {
        why: 'no file',
        body: form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX] }) }),
        status: 400,
        code: 'InvalidArgument',
        message: 'POST requires exactly one file upload per request.',
      },
      {
        why: 'no key',
        body: form({ ...signedFields(Bucket, { conditions: [KEY_PREFIX] }) }, { data: 'x' }),
        status: 400,
        code: 'InvalidArgument',
        message: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
      },
      {
        why: 'no policy',
        body: form({ key: 'uploads/x' }, { data: 'x' }),
        status: 403,
        code: 'AccessDenied',
      },
    ];
    for (const c of cases) {
      const r = await post(url, c.body);
      assert.equal(r.status, c.status, `${c.why}: ${r.text}`);
      assert.equal(r.code, c.code, c.why);
      if (c.message !== undefined) assert.equal(r.message, c.message, c.why);
    }
    const tooLarge = await post(url, form({ key: 'uploads/x', ...signedFields(Bucket, { conditions: [KEY_PREFIX, ['content-length-range', 0, 1000]] }) }, { data: Buffer.alloc(5000, 1) }));
    assert.match(tooLarge.text, /<ProposedSize>5000<\/ProposedSize>/);
    assert.match(tooLarge.text, /<MaxSizeAllowed>1000<\/MaxSizeAllowed>/);
    assert.equal((await rejection(t.s3.send(new HeadObjectCommand({ Bucket, Key: 'uploads/x' })))).status, 404);
    // Not a form at all.
    const notForm = await fetch(url, { method: 'POST', body: 'key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(notForm.status, 400);
    assert.match(await notForm.text(), /<Code>MalformedPOSTRequest<\/Code>/);
  });

  it('on the bucket virtual host: POST / with Host <bucket>.localhost', async () => {
    const Bucket = await newBucket(t.s3);
    const req = new Request('http://localhost/', { method: 'POST', body: form({ key: 'uploads/vh.txt', ...signedFields(Bucket, { conditions: [KEY_PREFIX] }) }, { data: 'via host' }) });
    const body = Buffer.from(await req.arrayBuffer());
    const port = Number(new URL(t.nimbus.awsUrl).port);
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { host: `${Bucket}.localhost:${port}`, 'content-type': req.headers.get('content-type')!, 'content-length': String(body.length) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      r.on('error', reject);
      r.end(body);
    });
    assert.equal(status, 204);
    const got = await t.s3.send(new GetObjectCommand({ Bucket, Key: 'uploads/vh.txt' }));
    assert.equal(await got.Body!.transformToString(), 'via host');
  });

  it('the form reader: parts split at every byte, a boundary-like file, fields after the file', async () => {
    const boundary = formBoundary('multipart/form-data; boundary="----xyz"');
    assert.equal(boundary, '----xyz');
    assert.equal(formBoundary('application/json'), null);
    const fileBytes = Buffer.concat([Buffer.from('\r\n------xy'), crypto.randomBytes(1000), Buffer.from('\r\n-----xyz\r\n')]);
    const body = Buffer.concat([
      Buffer.from('preamble\r\n------xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nuploads/${filename}\r\n'),
      Buffer.from('------xyz\r\nContent-Disposition: form-data; name="file"; filename="a;b.bin"\r\nContent-Type: application/x-test\r\n\r\n'),
      fileBytes,
      Buffer.from('\r\n------xyz\r\nContent-Disposition: form-data; name="after"\r\n\r\nignored\r\n------xyz--\r\n'),
    ]);
    async function* oneByte(): AsyncGenerator<Buffer> {
      for (let i = 0; i < body.length; i++) yield body.subarray(i, i + 1);
    }
    const reader = new MultipartReader(oneByte(), boundary!);
    const key = await reader.next();
    assert.deepEqual(key, { name: 'key' });
    assert.equal(await reader.text(100), 'uploads/${filename}');
    const file = await reader.next();
    assert.deepEqual(file, { name: 'file', filename: 'a;b.bin', contentType: 'application/x-test' });
    const pieces: Buffer[] = [];
    for await (const p of reader.body()) pieces.push(p);
    assert.deepEqual(Buffer.concat(pieces), fileBytes);
    assert.deepEqual(await reader.next(), { name: 'after' });
    assert.equal(await reader.next(), null);
    const truncated = new MultipartReader((async function* () { yield body.subarray(0, 200); })(), boundary!);
    await truncated.next();
    await truncated.next();
    await assert.rejects(async () => {
      for await (const _ of truncated.body()) void _;
    }, /truncated/);
  });
});
