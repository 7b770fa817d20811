// @ts-check
'use strict';
/**
 * A canned-answer S3 endpoint for `--measure=s3`: answers at once, verifying
 * nothing, with the headers Nimbus sends (so the SDK does the same work on the
 * answer: ETag, x-amz-checksum-crc32 that the SDK validates on GetObject,
 * SSE, request ids). PutObject: reads the body, answers its MD5 as ETag and
 * echoes the client's x-amz-checksum-crc32. GetObject of `<prefix>-NNNNNN`:
 * the bench's body for object NNNNNN (bench/lib/s3-requests.js objectBody),
 * so the load generator's checks pass. Driving it with @aws-sdk/client-s3
 * shows the SDK client's own ceiling on this machine: the calls/s one Node
 * process of SDK calls cannot exceed, whatever the server.
 *
 * usage: node bench/targets/s3-canned.js <port> [object size]
 */
const crypto = require('node:crypto');
const http = require('node:http');
const zlib = require('node:zlib');
const { objectBody, indexOfKey } = require('../lib/s3-requests');

const port = Number(process.argv[2]);
const size = Number(process.argv[3] ?? 4096);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(size) || size <= 0) throw new Error('usage: node bench/targets/s3-canned.js <port> [object size]');

/** @param {Buffer} b base64 of the big-endian CRC32, as S3 sends x-amz-checksum-crc32 */
function crc32(b) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(b) >>> 0);
  return out.toString('base64');
}

/** index -> { body, etag, crc } (a GetObject's answer is built once per object) */
const objects = new Map();
/** @param {number} i */
function objectOf(i) {
  let o = objects.get(i);
  if (!o) {
    const body = objectBody(i, size);
    o = { body, etag: `"${crypto.createHash('md5').update(body).digest('hex')}"`, crc: crc32(body) };
    if (objects.size < 20_000) objects.set(i, o);
  }
  return o;
}
const lastModified = new Date().toUTCString();
let seq = 0;
const requestIds = () => {
  const id = (++seq).toString(16).toUpperCase().padStart(16, '0');
  return { 'x-amz-request-id': id, 'x-amz-id-2': Buffer.from(id).toString('base64') };
};

http
  .createServer((req, res) => {
    const url = req.url ?? '/';
    const parts = url.split('?')[0].split('/').filter(Boolean);
    if (req.method === 'PUT' && parts.length >= 2) {
      const md5 = crypto.createHash('md5');
      req.on('data', (c) => md5.update(c));
      req.on('end', () => {
        /** @type {Record<string, string>} */
        const h = { etag: `"${md5.digest('hex')}"`, 'x-amz-server-side-encryption': 'AES256', ...requestIds(), 'content-length': '0' };
        const crc = req.headers['x-amz-checksum-crc32'];
        if (typeof crc === 'string') Object.assign(h, { 'x-amz-checksum-crc32': crc, 'x-amz-checksum-type': 'FULL_OBJECT' });
        res.writeHead(200, h);
        res.end();
      });
      return;
    }
    req.resume();
    req.on('end', () => {
      if ((req.method === 'GET' || req.method === 'HEAD') && parts.length >= 2) {
        const i = indexOfKey(parts[parts.length - 1]);
        if (i === null) {
          res.writeHead(404, { 'content-type': 'application/xml', ...requestIds() });
          res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
          return;
        }
        const o = objectOf(i);
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'accept-ranges': 'bytes',
          'last-modified': lastModified,
          'content-length': String(o.body.length),
          etag: o.etag,
          'x-amz-server-side-encryption': 'AES256',
          'x-amz-checksum-crc32': o.crc,
          'x-amz-checksum-type': 'FULL_OBJECT',
          ...requestIds(),
        });
        res.end(req.method === 'HEAD' ? undefined : o.body);
        return;
      }
      // CreateBucket, HeadBucket, the harness's readiness probe (GET /): 200.
      res.writeHead(200, { ...requestIds(), ...(req.method === 'PUT' ? { location: `/${parts[0] ?? ''}` } : {}), 'content-length': '0' });
      res.end();
    });
  })
  .listen(port, '127.0.0.1', () => process.stdout.write(`s3 canned server on 127.0.0.1:${port}\n`));
