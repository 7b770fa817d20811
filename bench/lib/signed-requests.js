// @ts-check
'use strict';
/**
 * What the DynamoDB and S3 benches' hand-built requests have in common
 * (bench/lib/dynamodb-requests.js, s3-requests.js): SigV4 signing (the service
 * and the headers differ, the algorithm does not), pool files of pre-signed raw
 * HTTP/1.1 requests for wrk (bench/lib/dynamodb-wrk.lua replays any of them),
 * a node:http sender that never rejects, and a bounded-concurrency "send them
 * all once" for setup.
 *
 * SigV4 as in the AWS General Reference ("Create a signed AWS API request"):
 * canonical request, string to sign over the credential scope
 * `<day>/<region>/<service>/aws4_request`, and the HMAC chain of the signing
 * key. No query strings: the benches never sign one.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');

/**
 * @typedef {{ host: string, region: string, accessKeyId: string, secretAccessKey: string }} Signer
 * @typedef {{ status: number, headers: http.IncomingHttpHeaders, body: Buffer, error?: string, ms: number }} RawResponse
 */

/** @param {crypto.BinaryLike} data */
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
/** @param {crypto.BinaryLike} key @param {string} data */
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

/** @param {string} u */
function assertLoopback(u) {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(u)) throw new Error(`refusing to send to a non-loopback address: ${u}`);
}

/** Signing keys per (secret, day, region, service): the HMAC chain is the costly part. */
const keyCache = new Map();

/**
 * SigV4: `headers` (lower-case names, `host` among them) plus `x-amz-date`,
 * all signed, and the `authorization` header.
 * @param {Signer} s
 * @param {string} service e.g. `dynamodb`, `s3`
 * @param {string} method
 * @param {string} path already URI-encoded
 * @param {Record<string, string>} headers
 * @param {string} payloadHash hex SHA-256 of the body (or what the service accepts in its place)
 * @param {Date} [now]
 * @returns {Record<string, string>}
 */
function signV4(s, service, method, path, headers, payloadHash, now = new Date()) {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  /** @type {Record<string, string>} */
  const h = { ...headers, 'x-amz-date': amzDate };
  const names = Object.keys(h).sort();
  const signed = names.join(';');
  const canonical = [method, path, '', names.map((n) => `${n}:${h[n]}\n`).join(''), signed, payloadHash].join('\n');
  const scope = `${day}/${s.region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const cacheKey = `${s.secretAccessKey}\0${day}\0${s.region}\0${service}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${s.secretAccessKey}`, day), s.region), service), 'aws4_request');
    keyCache.set(cacheKey, key);
  }
  const sig = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return { ...h, authorization: `AWS4-HMAC-SHA256 Credential=${s.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${sig}` };
}

/**
 * Writes a pool file for dynamodb-wrk.lua: per request, its byte length in
 * decimal, a newline, then the raw request. Every request is signed with the
 * same `now` (by `toRaw`).
 * @template R
 * @param {string} file
 * @param {R[]} reqs
 * @param {(r: R, now: Date) => Buffer} toRaw
 */
function writePoolFile(file, reqs, toRaw) {
  const now = new Date();
  const fd = fs.openSync(file, 'w');
  try {
    /** @type {Buffer[]} */
    let chunk = [];
    let size = 0;
    for (const r of reqs) {
      const raw = toRaw(r, now);
      chunk.push(Buffer.from(`${raw.length}\n`), raw);
      size += raw.length;
      if (size > 4 << 20) {
        fs.writeSync(fd, Buffer.concat(chunk));
        chunk = [];
        size = 0;
      }
    }
    fs.writeSync(fd, Buffer.concat(chunk));
  } finally {
    fs.closeSync(fd);
  }
  return { file, count: reqs.length, signedAt: now.getTime() };
}

/**
 * Reads a pool file back (for checks and the Node replayer).
 * @param {string} file
 * @returns {Buffer[]}
 */
function readPool(file) {
  const data = fs.readFileSync(file);
  /** @type {Buffer[]} */
  const out = [];
  let pos = 0;
  while (pos < data.length) {
    const nl = data.indexOf(10, pos);
    const len = Number(data.subarray(pos, nl).toString('latin1'));
    out.push(data.subarray(nl + 1, nl + 1 + len));
    pos = nl + 1 + len;
  }
  return out;
}

/**
 * A raw pool request split back into request line, headers (lower-case names)
 * and body: what node:http needs to send the same bytes wrk sends.
 * @param {Buffer} raw
 */
function parseRaw(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const lines = raw.subarray(0, split).toString('latin1').split('\r\n');
  const [method, path] = lines[0].split(' ');
  /** @type {Record<string, string>} */
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { method, path, headers, body: raw.subarray(split + 4) };
}

/**
 * One HTTP request with node:http; resolves with status, headers and the whole
 * body (status 0 and `error` when it failed), never rejects.
 * @param {{ endpoint: string, agent?: http.Agent, timeoutMs?: number }} c
 * @param {string} method
 * @param {string} path
 * @param {Record<string, string>} headers
 * @param {Buffer} body
 * @returns {Promise<RawResponse>}
 */
function sendHttp(c, method, path, headers, body) {
  const u = new URL(c.endpoint);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (/** @type {number} */ status, /** @type {http.IncomingHttpHeaders} */ h, /** @type {Buffer} */ b, /** @type {string | undefined} */ error = undefined) =>
      resolve({ status, headers: h, body: b, error, ms: performance.now() - t0 });
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers, agent: c.agent ?? false, timeout: c.timeoutMs ?? 10_000 }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => done(res.statusCode ?? 0, res.headers, Buffer.concat(chunks)));
      res.on('error', (e) => done(0, {}, Buffer.alloc(0), e.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${c.timeoutMs ?? 10_000} ms`)));
    req.on('error', (e) => done(0, {}, Buffer.alloc(0), e.message));
    req.end(body);
  });
}

/**
 * Sends `reqs` once each with at most `concurrency` in flight over one
 * keep-alive agent; stops at the first failure (`send` answers what is wrong,
 * or null), returned with how many succeeded before the stop.
 * @template R
 * @param {R[]} reqs
 * @param {number} concurrency
 * @param {(r: R, agent: http.Agent) => Promise<string | null>} send
 * @returns {Promise<{ ok: number, failed: null | { req: R, why: string }, ms: number }>}
 */
async function sendAllOnce(reqs, concurrency, send) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const t0 = performance.now();
  let next = 0;
  let ok = 0;
  /** @type {null | { req: R, why: string }} */
  let failed = null;
  const worker = async () => {
    while (!failed && next < reqs.length) {
      const r = reqs[next++];
      const why = await send(r, agent);
      if (why === null) ok++;
      else failed = failed ?? { req: r, why };
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { ok, failed, ms: Math.round(performance.now() - t0) };
}

module.exports = { sha256, assertLoopback, signV4, writePoolFile, readPool, parseRaw, sendHttp, sendAllOnce };
