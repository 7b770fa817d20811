// @ts-check
'use strict';
/**
 * S3 requests for `--measure=s3`, built by hand (no SDK): SigV4 signing for
 * service `s3` (path-style, us-east-1), pools of pre-signed raw HTTP/1.1
 * requests for wrk (bench/lib/dynamodb-wrk.lua replays any pool file in this
 * format), the bench's deterministic object bodies, and a tiny client for setup
 * (CreateBucket, loading objects) and for checking what a pool's requests get
 * back.
 *
 * Why pre-signed pools: a SigV4 signature carries no nonce and stays valid for
 * the server's 15-minute clock-skew window ("the signed portions (using AWS
 * Signatures) of requests are valid within 15 minutes of the timestamp in the
 * request", AWS SigV4 docs), so a fast load generator can replay requests
 * signed up front; uploads still need distinct keys to be distinct uploads, so
 * a pool holds many distinct requests and wrk cycles through them.
 *
 * The payload hash is signed as S3 asks for it: `x-amz-content-sha256` is the
 * hex SHA-256 of the body ("Signature Calculations for the Authorization
 * Header: Transferring Payload in a Single Chunk", S3 API reference), or the
 * empty string's hash for GET.
 */
const crypto = require('node:crypto');
const http = require('node:http');
const { assertLoopback, signV4, writePoolFile, parseRaw, sendHttp, sendAllOnce, sha256 } = require('./signed-requests');

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * @typedef {{ host: string, region: string, accessKeyId: string, secretAccessKey: string }} Signer
 * @typedef {{ method: 'GET' | 'PUT' | 'HEAD' | 'DELETE', path: string, body?: Buffer, contentType?: string }} S3Request
 *   path: `/bucket` or `/bucket/key`, already URI-encoded (the bench's keys need no encoding)
 */

/**
 * SigV4 headers for one S3 request (no query string).
 * @param {Signer} s
 * @param {S3Request} r
 * @param {Date} [now]
 * @returns {Record<string, string>}
 */
function sign(s, r, now = new Date()) {
  const payloadHash = r.body ? sha256(r.body) : EMPTY_SHA256;
  /** @type {Record<string, string>} */
  const h = { host: s.host, 'x-amz-content-sha256': payloadHash };
  if (r.contentType) h['content-type'] = r.contentType;
  return signV4(s, 's3', r.method, r.path, h, payloadHash, now);
}

/**
 * The complete HTTP/1.1 request (head and body) as wrk sends it.
 * @param {Signer} s
 * @param {S3Request} r
 * @param {Date} [now]
 */
function rawRequest(s, r, now) {
  const h = sign(s, r, now);
  const body = r.body ?? Buffer.alloc(0);
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${h.host}\r\nX-Amz-Date: ${h['x-amz-date']}\r\nX-Amz-Content-Sha256: ${h['x-amz-content-sha256']}\r\n`;
  if (h['content-type']) head += `Content-Type: ${h['content-type']}\r\n`;
  head += `Authorization: ${h.authorization}\r\n`;
  if (r.method === 'PUT' || body.length) head += `Content-Length: ${body.length}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), body]);
}

/**
 * Writes a pool file in the format of dynamodb-wrk.lua: per request, its byte
 * length in decimal, a newline, then the raw request. Signed now, for `s.host`.
 * @param {string} file
 * @param {Signer} s
 * @param {S3Request[]} reqs
 */
function writePool(file, s, reqs) {
  return writePoolFile(file, reqs, (r, now) => rawRequest(s, r, now));
}

// ------------------------------------------------------------------ the bench's objects

/** 64 KiB of deterministic bytes (SHA-256 blocks), the source every body is cut from. */
const TEMPLATE = (() => {
  const b = Buffer.alloc(64 << 10);
  for (let off = 0, block = 0; off < b.length; off += 32) crypto.createHash('sha256').update(`nimbus-bench-s3-${block++}`).digest().copy(b, off);
  return b;
})();

/**
 * The body of bench object `i`: `size` (at most 60 KiB) deterministic bytes, a
 * slice of TEMPLATE that depends on `i`, stamped with `i` in its first 8 bytes,
 * so every target stores the same bytes, bodies differ, and nothing
 * compresses to nothing. Built on each call (a copy: cheap).
 * @param {number} i
 * @param {number} size
 */
function objectBody(i, size) {
  if (size > TEMPLATE.length - 4096) throw new Error(`objectBody: size ${size} too large`);
  const off = (i * 97) % (TEMPLATE.length - size);
  const b = Buffer.from(TEMPLATE.subarray(off, off + size));
  if (size >= 8) b.writeBigUInt64BE(BigInt(i), 0);
  return b;
}

/** The key of bench object `i` under `prefix` (`put-r0-000123`); indexOfKey reads `i` back. @param {string} prefix @param {number} i */
const objectKey = (prefix, i) => `${prefix}-${String(i).padStart(6, '0')}`;
/** @param {string} key */
function indexOfKey(key) {
  const m = /-(\d{6,})$/.exec(key);
  return m ? Number(m[1]) : null;
}

/**
 * `count` PutObjects of distinct keys `prefix-NNNNNN` (from `from`), each with its own body.
 * @param {string} bucket @param {string} prefix @param {number} count @param {number} size @param {number} [from]
 * @returns {S3Request[]}
 */
function putPool(bucket, prefix, count, size, from = 0) {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return { method: 'PUT', path: `/${bucket}/${objectKey(prefix, i)}`, body: objectBody(i, size), contentType: 'application/octet-stream' };
  });
}

/** GetObjects of the `count` objects putPool(bucket, prefix, count) wrote. @param {string} bucket @param {string} prefix @param {number} count @returns {S3Request[]} */
function getPool(bucket, prefix, count) {
  return Array.from({ length: count }, (_, i) => ({ method: 'GET', path: `/${bucket}/${objectKey(prefix, i)}` }));
}

/**
 * What a correct answer to a pool's request looks like (checked on samples
 * before and after each measured run: wrk itself only sees status codes). A
 * GET must return the object's exact bytes; a PUT a 200 with an ETag that is
 * the body's MD5 (a single-part upload's ETag, S3 user guide "Checking object
 * integrity").
 * @param {S3Request} r
 * @param {number} size
 * @returns {(res: { status: number, body: Buffer, headers: http.IncomingHttpHeaders }) => string | null} null when fine, else what is wrong
 */
function checker(r, size) {
  return (res) => {
    if (res.status !== 200) return `HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`;
    if (r.method === 'GET') {
      const i = indexOfKey(r.path);
      if (i === null) return null;
      if (!res.body.equals(objectBody(i, size))) return `GetObject answered ${res.body.length} bytes that are not the object's ${size}`;
    }
    if (r.method === 'PUT' && r.body) {
      const md5 = crypto.createHash('md5').update(r.body).digest('hex');
      if (String(res.headers.etag ?? '').replace(/"/g, '') !== md5) return `PutObject answered ETag ${res.headers.etag ?? '(none)'}, not the body's MD5`;
    }
    return null;
  };
}

// ------------------------------------------------------------------ a small client

/**
 * @typedef {{ endpoint: string, region?: string, accessKeyId?: string, secretAccessKey?: string, agent?: http.Agent, timeoutMs?: number }} Client
 * @typedef {{ status: number, headers: http.IncomingHttpHeaders, body: Buffer, error?: string, ms: number }} Response
 */

/** @param {Client} c */
const signerOf = (c) => ({ host: new URL(c.endpoint).host, region: c.region ?? 'us-east-1', accessKeyId: c.accessKeyId ?? 'test', secretAccessKey: c.secretAccessKey ?? 'test' });

/**
 * One signed S3 call; resolves with status, headers and body, never rejects.
 * @param {Client} c
 * @param {S3Request} r
 * @returns {Promise<Response>}
 */
function call(c, r) {
  assertLoopback(c.endpoint);
  const h = sign(signerOf(c), r);
  const body = r.body ?? Buffer.alloc(0);
  /** @type {Record<string, string>} */
  const headers = { ...h };
  if (r.method === 'PUT' || body.length) headers['content-length'] = String(body.length);
  return send(c, r.method, r.path, headers, body);
}

/**
 * Sends one raw pool request (head + body, as written by rawRequest) with
 * node:http: the same bytes wrk sends, for checking answers.
 * @param {Client} c
 * @param {Buffer} raw
 */
function sendRaw(c, raw) {
  assertLoopback(c.endpoint);
  const r = parseRaw(raw);
  return send(c, r.method, r.path, r.headers, r.body);
}

/**
 * @param {Client} c
 * @param {string} method
 * @param {string} p
 * @param {Record<string, string>} headers
 * @param {Buffer} body
 * @returns {Promise<Response>}
 */
function send(c, method, p, headers, body) {
  return sendHttp(c, method, p, headers, body);
}

/**
 * The S3-style error of a failed call, short: `HTTP 404 NoSuchBucket: message`.
 * @param {Response} r
 */
function describeError(r) {
  if (r.error) return r.error;
  const text = r.body.toString('utf8');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code) return `HTTP ${r.status} ${code}${msg ? `: ${msg}` : ''}`;
  return `HTTP ${r.status} ${text.slice(0, 160)}`;
}

/**
 * CreateBucket; a bucket that already exists and is ours is fine.
 * @param {Client} c
 * @param {string} bucket
 */
async function createBucket(c, bucket) {
  const r = await call(c, { method: 'PUT', path: `/${bucket}` });
  if (r.status === 200 || (r.status === 409 && /BucketAlreadyOwnedByYou/.test(r.body.toString('utf8')))) return;
  throw new Error(`CreateBucket ${bucket}: ${describeError(r)}`);
}

/**
 * Sends `reqs` once each with at most `concurrency` in flight; the first
 * failure is returned with how many succeeded before the stop.
 * @param {Client} c
 * @param {S3Request[]} reqs
 * @param {number} concurrency
 * @returns {Promise<{ ok: number, failed: null | { path: string, why: string }, ms: number }>}
 */
async function sendAll(c, reqs, concurrency) {
  const r = await sendAllOnce(reqs, concurrency, async (req, agent) => {
    const res = await call({ ...c, agent }, req);
    return res.status === 200 ? null : describeError(res);
  });
  return { ok: r.ok, failed: r.failed && { path: r.failed.req.path, why: r.failed.why }, ms: r.ms };
}

module.exports = {
  EMPTY_SHA256,
  sign,
  rawRequest,
  writePool,
  objectBody,
  objectKey,
  indexOfKey,
  putPool,
  getPool,
  checker,
  call,
  sendRaw,
  sendAll,
  createBucket,
  describeError,
  signerOf,
};
