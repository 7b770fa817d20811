/**
 * Streaming request and response bodies through a live AwsEndpoint: a
 * restXml test service with a `streamingInput` PUT and a streamed GET, raw
 * requests signed by @smithy/signature-v4, and @aws-sdk/client-s3's own
 * PutObject (aws-chunked with a CRC32 trailer by default).
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PayloadAbortedError, checksumOf } from '../../src/aws';
import {
  ChunkChain,
  awsChunked,
  pattern,
  patternStream,
  pieces,
  rawRequest,
  received,
  sha256Hex,
  signHead,
  whenReceived,
  startStreamingEndpoint,
  type Live,
} from './streaming-helpers';

let live: Live;
let seq = 0;
const key = (prefix = ''): string => `${prefix}k${++seq}`;

before(async () => {
  live = await startStreamingEndpoint();
});
after(async () => {
  await live.close();
});

const MB = 1024 * 1024;
/** SHA-256 of the empty body (signed GET/HEAD). */
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function md5Hex(b: Buffer): string {
  return crypto.createHash('md5').update(b).digest('hex');
}

describe('checksums', () => {
  it('computes the check values of "123456789" (CRC catalogue; AWS SDK vectors for CRC64NVME)', () => {
    const b = Buffer.from('123456789');
    const hex = (alg: Parameters<typeof checksumOf>[0]): string => Buffer.from(checksumOf(alg, b), 'base64').toString('hex');
    assert.equal(hex('CRC32'), 'cbf43926');
    assert.equal(hex('CRC32C'), 'e3069283');
    assert.equal(hex('CRC64NVME'), 'ae8b14860a799888');
    assert.equal(checksumOf('SHA256', b), crypto.createHash('sha256').update(b).digest('base64'));
    // The AWS SDK's CRC32C vector for "Hello world" (base64 of the big-endian value).
    assert.equal(checksumOf('CRC32C', Buffer.from('Hello world')), 'crUfeA==');
  });
});

describe('streaming PUT: plain bodies', () => {
  it('streams a multi-MB body written in small pieces, with MD5 and the requested checksum', async () => {
    const k = key();
    const body = pattern(0, 5 * MB + 123);
    const crc = checksumOf('CRC32C', body);
    const head = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length), 'x-amz-checksum-crc32c': crc });
    const r = await rawRequest(live.port, 'PUT', `/b/${k}`, head.headers, pieces(body, 1000));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.etag, `"${md5Hex(body)}"`);
    const got = received.get(k)!;
    assert.equal(got.bytes, body.length);
    assert.equal(got.length, body.length);
    assert.equal(got.sha256, sha256Hex(body));
    assert.deepEqual(got.digest, { md5Hex: md5Hex(body), checksums: { CRC32C: crc }, bytes: body.length });
  });

  it('checks a signed hex x-amz-content-sha256 while streaming: right and wrong', async () => {
    const body = pattern(7, 300_000);
    const k1 = key();
    const ok = await signHead(live.port, 'PUT', `/b/${k1}`, { 'x-amz-content-sha256': sha256Hex(body), 'content-length': String(body.length) });
    const r1 = await rawRequest(live.port, 'PUT', `/b/${k1}`, ok.headers, pieces(body, 4096));
    assert.equal(r1.status, 200, r1.text);

    const k2 = key();
    const wrong = sha256Hex('something else');
    const bad = await signHead(live.port, 'PUT', `/b/${k2}`, { 'x-amz-content-sha256': wrong, 'content-length': String(body.length) });
    const r2 = await rawRequest(live.port, 'PUT', `/b/${k2}`, bad.headers, pieces(body, 4096));
    assert.equal(r2.status, 400);
    assert.equal(r2.code, 'XAmzContentSHA256Mismatch');
    assert.equal(r2.message, "The provided 'x-amz-content-sha256' header does not match what was computed.");
    assert.match(r2.text, new RegExp(`<S3ComputedContentSHA256>${sha256Hex(body)}</S3ComputedContentSHA256>`));
    // The handler's iterator failed too, so it never committed.
    assert.equal((received.get(k2)!.error as { code?: string }).code, 'XAmzContentSHA256Mismatch');
  });

  it('checks Content-MD5: right, wrong (BadDigest), malformed (InvalidDigest)', async () => {
    const body = pattern(1, 50_000);
    const md5 = crypto.createHash('md5').update(body).digest('base64');
    const send = async (contentMd5: string): Promise<Awaited<ReturnType<typeof rawRequest>>> => {
      const k = key();
      const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length), 'content-md5': contentMd5 });
      return rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, pieces(body, 3000));
    };
    assert.equal((await send(md5)).status, 200);
    const wrong = await send(crypto.createHash('md5').update('x').digest('base64'));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.code, 'BadDigest');
    assert.equal(wrong.message, 'The Content-MD5 you specified did not match what we received.');
    assert.match(wrong.text, new RegExp(`<CalculatedDigest>${md5.replace(/[+/]/g, '\\$&')}</CalculatedDigest>`));
    const malformed = await send('not-an-md5');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.code, 'InvalidDigest');
  });

  it('checks x-amz-checksum-* headers: wrong value is BadDigest, a malformed one InvalidRequest, two are refused', async () => {
    const body = pattern(2, 20_000);
    const send = async (h: Record<string, string>): Promise<Awaited<ReturnType<typeof rawRequest>>> => {
      const k = key();
      const s = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length), ...h });
      return rawRequest(live.port, 'PUT', `/b/${k}`, s.headers, [body]);
    };
    assert.equal((await send({ 'x-amz-checksum-sha256': checksumOf('SHA256', body) })).status, 200);
    assert.equal((await send({ 'x-amz-checksum-crc64nvme': checksumOf('CRC64NVME', body) })).status, 200);
    const wrong = await send({ 'x-amz-checksum-sha1': checksumOf('SHA1', Buffer.from('other')) });
    assert.equal(wrong.code, 'BadDigest');
    assert.equal(wrong.message, 'The SHA1 you specified did not match the calculated checksum.');
    const malformed = await send({ 'x-amz-checksum-crc32': 'abc' });
    assert.equal(malformed.code, 'InvalidRequest');
    assert.equal(malformed.message, 'Value for x-amz-checksum-crc32 header is invalid.');
    const two = await send({ 'x-amz-checksum-crc32': checksumOf('CRC32', body), 'x-amz-checksum-sha1': checksumOf('SHA1', body) });
    assert.equal(two.code, 'InvalidRequest');
    assert.equal(two.message, 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  });

  it('answers an error raised before the body is read, and the connection stays usable for the client', async () => {
    const k = key('fail/');
    const body = pattern(0, 2 * MB);
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) });
    const r = await rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, pieces(body, 64 * 1024)).catch((e: unknown) => e);
    // Either the answer arrives (most clients read it while still sending), or the socket closes under the writer.
    if (!(r instanceof Error)) {
      assert.equal((r as { status: number }).status, 404);
      assert.equal((r as { code?: string }).code, 'NoSuchBucket');
    }
  });

  it('a handler that never reads the body still answers', async () => {
    const k = key('ignore/');
    const body = pattern(0, 100_000);
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) });
    const r = await rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, [body]);
    assert.equal(r.status, 200);
    assert.equal(r.headers.etag, '"ignored"');
  });

  it('a handler that stops half way answers; done() was never promised', async () => {
    const k = key('partial/');
    const body = pattern(0, 400_000);
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) });
    const r = await rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, pieces(body, 16_384));
    assert.equal(r.status, 200);
    assert.ok(received.get(k)!.bytes < body.length);
  });

  it('refuses a request whose signature does not match, without calling the handler', async () => {
    const k = key();
    const body = pattern(0, 10_000);
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(body.length) });
    const r = await rawRequest(live.port, 'PUT', `/b/other-${k}`, h.headers, [body]);
    assert.equal(r.status, 403);
    assert.equal(r.code, 'SignatureDoesNotMatch');
    assert.equal(received.has(`other-${k}`), false);
  });
});

describe('streaming PUT: aws-chunked', () => {
  const signedPut = async (k: string, body: Buffer, o: { chunkSize: number; tamperChunk?: number; trailer?: [string, string]; truncate?: boolean; declared?: number }) => {
    const mode = o.trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    // The encoded length depends on the signatures only through their (fixed) size, so encode once with a stand-in chain to measure.
    const headers: Record<string, string> = {
      'x-amz-content-sha256': mode,
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(o.declared ?? body.length),
    };
    if (o.trailer) headers['x-amz-trailer'] = o.trailer[0];
    const probe = await signHead(live.port, 'PUT', `/b/${k}`, { ...headers, 'content-length': '0' });
    const size = awsChunked(body, { chunkSize: o.chunkSize, chain: new ChunkChain(probe), trailers: o.trailer ? [o.trailer] : undefined, signTrailer: !!o.trailer, truncate: o.truncate }).reduce((a, b) => a + b.length, 0);
    const head = await signHead(live.port, 'PUT', `/b/${k}`, { ...headers, 'content-length': String(size) });
    const encoded = awsChunked(body, { chunkSize: o.chunkSize, chain: new ChunkChain(head), trailers: o.trailer ? [o.trailer] : undefined, signTrailer: !!o.trailer, tamperChunk: o.tamperChunk, truncate: o.truncate });
    return rawRequest(live.port, 'PUT', `/b/${k}`, head.headers, encoded.flatMap((c) => pieces(c, 5000)));
  };

  it('decodes signed chunks and checks every chunk signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const k = key();
    const body = pattern(3, 3 * MB + 17);
    const r = await signedPut(k, body, { chunkSize: 64 * 1024 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.etag, `"${md5Hex(body)}"`);
    const got = received.get(k)!;
    assert.equal(got.sha256, sha256Hex(body));
    assert.equal(got.length, body.length);
  });

  it('refuses a tampered chunk signature with SignatureDoesNotMatch', async () => {
    const k = key();
    const body = pattern(4, 1 * MB);
    const r = await signedPut(k, body, { chunkSize: 64 * 1024, tamperChunk: 5 });
    assert.equal(r.status, 403);
    assert.equal(r.code, 'SignatureDoesNotMatch');
    assert.ok(received.get(k)!.error, 'the handler saw the failure');
    assert.ok(received.get(k)!.bytes < body.length, 'the stream failed at the bad chunk, not after');
  });

  it('checks a signed trailer with its checksum (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', async () => {
    const body = pattern(5, 200_000);
    const ok = await signedPut(key(), body, { chunkSize: 65536, trailer: ['x-amz-checksum-crc32c', checksumOf('CRC32C', body)] });
    assert.equal(ok.status, 200, ok.text);
    const bad = await signedPut(key(), body, { chunkSize: 65536, trailer: ['x-amz-checksum-crc32c', checksumOf('CRC32C', Buffer.from('x'))] });
    assert.equal(bad.code, 'BadDigest');
    assert.equal(bad.message, 'The CRC32C you specified did not match the calculated checksum.');
  });

  it('refuses chunks under 8 KiB but the last (InvalidChunkSizeError)', async () => {
    const r = await signedPut(key(), pattern(0, 50_000), { chunkSize: 4096 });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'InvalidChunkSizeError');
    assert.match(r.text, /<Chunk>1<\/Chunk><BadChunkSize>4096<\/BadChunkSize>/);
  });

  it('answers IncompleteBody for a truncated chunk stream and for a short x-amz-decoded-content-length', async () => {
    const truncated = await signedPut(key(), pattern(0, 100_000), { chunkSize: 65536, truncate: true });
    assert.equal(truncated.status, 400);
    assert.equal(truncated.code, 'IncompleteBody');
    const short = await signedPut(key(), pattern(0, 100_000), { chunkSize: 65536, declared: 100_001 });
    assert.equal(short.code, 'IncompleteBody');
    const long = await signedPut(key(), pattern(0, 100_000), { chunkSize: 65536, declared: 99_999 });
    assert.equal(long.code, 'IncompleteBody');
  });

  const unsignedPut = async (k: string, body: Buffer, trailer: [string, string], chunkSize = 64 * 1024) => {
    const encoded = awsChunked(body, { chunkSize, trailers: [trailer] });
    const h = await signHead(live.port, 'PUT', `/b/${k}`, {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(body.length),
      'x-amz-trailer': trailer[0],
      'x-amz-sdk-checksum-algorithm': trailer[0].slice('x-amz-checksum-'.length).toUpperCase(),
      'content-length': String(encoded.reduce((a, b) => a + b.length, 0)),
    });
    return rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, encoded.flatMap((c) => pieces(c, 7777)));
  };

  for (const alg of ['CRC32', 'CRC32C', 'SHA256'] as const) {
    it(`checks an unsigned trailer with ${alg}: right and wrong`, async () => {
      const body = pattern(6, 2 * MB + 5);
      const name = `x-amz-checksum-${alg.toLowerCase()}`;
      const k = key();
      const ok = await unsignedPut(k, body, [name, checksumOf(alg, body)]);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(received.get(k)!.digest!.checksums[alg], checksumOf(alg, body));
      assert.equal(received.get(k)!.sha256, sha256Hex(body));
      const bad = await unsignedPut(key(), body, [name, checksumOf(alg, Buffer.from('nope'))]);
      assert.equal(bad.status, 400);
      assert.equal(bad.code, 'BadDigest');
      assert.equal(bad.message, `The ${alg} you specified did not match the calculated checksum.`);
    });
  }

  it('refuses a malformed trailer value', async () => {
    const r = await unsignedPut(key(), pattern(0, 1000), ['x-amz-checksum-crc32', '!!']);
    assert.equal(r.code, 'InvalidRequest');
    assert.equal(r.message, 'Value for x-amz-checksum-crc32 trailing header is invalid.');
  });
});

describe('streaming PUT: client disconnect and backpressure', () => {
  it('a client that disconnects mid-body makes the iterator throw, and nothing is answered', async () => {
    const k = key();
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(10 * MB) });
    const errorsBefore = live.internalErrors.length;
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: live.port, method: 'PUT', path: `/b/${k}`, headers: h.headers, agent: false }, () => resolve('answered'));
      req.on('error', () => resolve('no answer'));
      req.write(pattern(0, 1 * MB), () => setTimeout(() => req.destroy(), 20));
    });
    assert.equal(outcome, 'no answer');
    const got = await whenReceived(k);
    assert.ok(got.error instanceof PayloadAbortedError, `iterator threw ${String(got.error)}`);
    assert.equal(live.internalErrors.length, errorsBefore, 'a disconnect is not an internal error');
  });

  it('a slow consumer pauses the socket: 200 MB through with flat memory', async () => {
    const k = key('slow/');
    const size = 200 * MB;
    const h = await signHead(live.port, 'PUT', `/b/${k}`, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': String(size) });
    const rssBefore = process.memoryUsage.rss();
    const r = await rawRequest(live.port, 'PUT', `/b/${k}`, h.headers, patternStream(size));
    assert.equal(r.status, 200, r.text);
    const got = received.get(k)!;
    assert.equal(got.bytes, size);
    const growth = got.maxRss - rssBefore;
    assert.ok(growth < 50 * MB, `RSS grew by ${Math.round(growth / MB)} MB`);
  });
});

describe('streamed GET', () => {
  it('streams 100 MB from a Readable with its Content-Length, and memory stays flat', async () => {
    const size = 100 * MB;
    const h = await signHead(live.port, 'GET', `/b/size/${size}`, { 'x-amz-content-sha256': EMPTY });
    const rssBefore = process.memoryUsage.rss();
    let maxRss = rssBefore;
    const result = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; md5: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: live.port, path: `/b/size/${size}`, headers: h.headers, agent: false }, (res) => {
          const md5 = crypto.createHash('md5');
          let bytes = 0;
          let n = 0;
          res.on('data', (c: Buffer) => {
            md5.update(c);
            bytes += c.length;
            if (++n % 64 === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss());
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, md5: md5.digest('hex') }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    assert.equal(result.status, 200);
    assert.equal(result.headers['content-length'], String(size));
    assert.equal(result.headers['content-type'], 'application/x-test');
    assert.equal(result.bytes, size);
    const expected = crypto.createHash('md5');
    for await (const c of patternStream(size)) expected.update(c as Buffer);
    assert.equal(result.md5, expected.digest('hex'));
    assert.ok(maxRss - rssBefore < 50 * MB, `RSS grew by ${Math.round((maxRss - rssBefore) / MB)} MB`);
  });

  it('streams an async iterable too', async () => {
    const h = await signHead(live.port, 'GET', '/b/iter/12345', { 'x-amz-content-sha256': EMPTY });
    const r = await rawRequest(live.port, 'GET', '/b/iter/12345', h.headers);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, pattern(0, 12345));
  });

  it('HEAD sends the headers only', async () => {
    const h = await signHead(live.port, 'HEAD', `/b/size/${10 * MB}`, { 'x-amz-content-sha256': EMPTY });
    const r = await rawRequest(live.port, 'HEAD', `/b/size/${10 * MB}`, h.headers);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(10 * MB));
    assert.equal(r.body.length, 0);
  });

  it('a stream that fails after the headers went out cuts the connection (a short body, never a complete one)', async () => {
    const h = await signHead(live.port, 'GET', '/b/broken/1000', { 'x-amz-content-sha256': EMPTY });
    const outcome = await rawRequest(live.port, 'GET', '/b/broken/1000', h.headers).then(
      (r) => `complete ${r.body.length}`,
      (e: NodeJS.ErrnoException) => `cut ${e.code ?? e.message}`,
    );
    assert.match(outcome, /^cut /);
  });

  it('errors from a streamed GET handler are ordinary error documents', async () => {
    const h = await signHead(live.port, 'GET', '/b/none/1', { 'x-amz-content-sha256': EMPTY });
    const r = await rawRequest(live.port, 'GET', '/b/none/1', h.headers);
    assert.equal(r.status, 404);
    assert.equal(r.code, 'NoSuchKey');
  });
});

describe('@aws-sdk/client-s3 against a streaming operation', () => {
  const client = (): S3Client =>
    new S3Client({ endpoint: live.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

  it('decodes the default PutObject (aws-chunked, CRC32 trailer) from a Buffer', async () => {
    const s3 = client();
    const body = pattern(9, 3 * MB + 1);
    const k = key();
    const out = await s3.send(new PutObjectCommand({ Bucket: 'b', Key: k, Body: body }));
    assert.equal(out.ETag, `"${md5Hex(body)}"`);
    const got = received.get(k)!;
    assert.equal(got.sha256, sha256Hex(body));
    assert.equal(got.digest!.checksums.CRC32, checksumOf('CRC32', body));
    assert.equal(out.ChecksumCRC32, checksumOf('CRC32', body));
    s3.destroy();
  });

  it('decodes a PutObject whose Body is a stream, and reads a streamed GetObject', async () => {
    const s3 = client();
    const size = 5 * MB + 3;
    const k = key();
    await s3.send(new PutObjectCommand({ Bucket: 'b', Key: k, Body: patternStream(size), ContentLength: size }));
    const got = received.get(k)!;
    // A stream body goes aws-chunked with its checksum in the trailer.
    assert.equal(got.contentSha256, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.equal(got.digest!.checksums.CRC32, checksumOf('CRC32', pattern(0, size)));
    assert.equal(got.bytes, size);
    assert.equal(got.sha256, sha256Hex(pattern(0, size)));
    const get = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'size/70000' }));
    assert.equal(get.ContentLength, 70000);
    assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), pattern(0, 70000));
    s3.destroy();
  });
});
