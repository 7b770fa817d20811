#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * The Node load generator of `--measure=s3` (its own process: never the
 * harness's, never the server's). Modes:
 *
 *   sdk     PutObject (4 KB, new keys) and GetObject (over the loaded keys,
 *           every body compared byte for byte) through @aws-sdk/client-s3,
 *           operation by operation (`ops`) and, for each, target by target
 *           (`targets`), `connections` closed loops each, `warmupS` of warm-up
 *           before each; before all of them, `firstWarmupS` of calls to the
 *           last target warm up the SDK's shared code paths        closed loop
 *   raw     a pool file of pre-signed requests (s3-requests.js) replayed with
 *           node:http, every answer checked: the fallback when wrk is
 *           missing                                                 closed loop
 *   large   one PutObject of a file (a read stream with ContentLength: one
 *           request), then one GetObject streamed and compared with the
 *           file's known contents as it arrives (nothing kept); MiB/s of each
 *           and their start/end times (the harness samples the server's RSS)
 *   event   4 KB PutObjects (plain signed HTTP) paced at `rate`/s into a bucket
 *           whose notifications reach a function that appends
 *           `<key> <Date.now()>` to `outFile`; joins the two       open loop
 *   crash   PutObjects of distinct keys, `connections` in flight, until the
 *           server stops answering (the harness kill -9s it); writes every
 *           acknowledged key to `idsFile`
 *
 * Closed loops, the order of the SDK runs and the paced event run are
 * load-loops.js's (shared with dynamodb-load.js).
 *
 * Usage: node bench/lib/s3-load.js '<JSON config>'; prints one JSON object on
 * stdout. Loopback only; every loop is bounded in time.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { sdkRuns, rawRun, arrivalRun, runLoadCli } = require('./load-loops');
const { readPool, assertLoopback } = require('./signed-requests');
const s3 = require('./s3-requests');

/** The root package's node_modules (the SDK Nimbus itself depends on). */
const rootRequire = createRequire(path.join(__dirname, '..', '..', 'package.json'));
const MiB = 1 << 20;

/**
 * @typedef {'put' | 'get'} Op
 * @typedef {{ accessKeyId: string, secretAccessKey: string }} Credentials
 * @typedef {{ id: string, endpoint: string, credentials?: Credentials, serverPid?: number, skip?: Op[] }} SdkTarget
 * @typedef {{ mode: 'sdk' | 'raw' | 'large' | 'event' | 'crash', endpoint?: string, credentials?: Credentials, bucket: string,
 *   ops?: Op[], op?: Op, targets?: SdkTarget[], firstWarmupS?: number, connections: number, warmupS?: number, durationS: number,
 *   serverPid?: number, objectSize?: number, getPrefix?: string, getKeys?: number,
 *   poolFile?: string,
 *   file?: string, fileSize?: number, expectMd5?: string, key?: string, checksums?: 'default' | 'when-required', blockSize?: number,
 *   rate?: number, outFile?: string, drainS?: number, warmItems?: number, idsFile?: string, keyPrefix?: string }} Config
 * @typedef {{ ok: boolean, error?: string }} OpResult
 */

/** Whether @aws-sdk/client-s3 can be loaded from the root node_modules; null if so, else why not. */
function sdkProblem() {
  try {
    rootRequire.resolve('@aws-sdk/client-s3');
    rootRequire.resolve('@smithy/node-http-handler');
    return null;
  } catch (e) {
    return `@aws-sdk/client-s3 is not installed in the root node_modules (run \`npm ci\`): ${String(/** @type {Error} */ (e).message).split('\n')[0]}`;
  }
}

/**
 * An S3Client on `agent`: path-style, `maxAttempts: 1` (an error is counted,
 * not retried behind our back), the SDK's default checksum behaviour unless
 * `checksums` is 'when-required'.
 * @param {string} endpoint
 * @param {Credentials | undefined} credentials
 * @param {http.Agent} agent
 * @param {'default' | 'when-required'} [checksums]
 */
function s3Client(endpoint, credentials, agent, checksums = 'default') {
  const { S3Client } = rootRequire('@aws-sdk/client-s3');
  const { NodeHttpHandler } = rootRequire('@smithy/node-http-handler');
  assertLoopback(endpoint);
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1,
    ...(checksums === 'when-required' ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    requestHandler: new NodeHttpHandler({ httpAgent: agent, requestTimeout: 60_000, connectionTimeout: 10_000 }),
  });
}

/** 64 distinct 4 KB bodies with their MD5 (the expected ETag), built once: the client's work per call is the SDK's, not ours. */
const PUT_BODIES = (size = 4096) =>
  Array.from({ length: 64 }, (_, i) => {
    const body = s3.objectBody(1_000_000 + i, size);
    return { body, md5: crypto.createHash('md5').update(body).digest('hex') };
  });

/** @param {unknown} e */
const errorText = (e) => {
  const err = /** @type {any} */ (e);
  return `${err?.name ?? 'Error'}: ${String(err?.message ?? err).slice(0, 160)}`;
};

/**
 * @param {Config & { endpoint: string }} c
 * @param {http.Agent} agent
 * @returns {() => Promise<OpResult>}
 */
function makeSdkOp(c, agent) {
  const { PutObjectCommand, GetObjectCommand } = rootRequire('@aws-sdk/client-s3');
  const client = s3Client(c.endpoint, c.credentials, agent);
  const size = c.objectSize ?? 4096;
  // Distinct keys per process run, so every upload is a new object.
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const bodies = PUT_BODIES(size);
  /** @type {Map<number, Buffer>} */
  const expected = new Map();
  let counter = 0;
  const getKeys = c.getKeys ?? 1000;
  if (c.op === 'put') {
    return async () => {
      const i = counter++;
      const b = bodies[i % bodies.length];
      try {
        const r = await client.send(new PutObjectCommand({ Bucket: c.bucket, Key: `sdk-${run}-${i}`, Body: b.body }));
        return String(r.ETag ?? '').replace(/"/g, '') === b.md5 ? { ok: true } : { ok: false, error: `PutObject answered ETag ${r.ETag}, not the body's MD5` };
      } catch (e) {
        return { ok: false, error: errorText(e) };
      }
    };
  }
  if (c.op === 'get') {
    return async () => {
      const i = counter++ % getKeys;
      let want = expected.get(i);
      if (!want) expected.set(i, (want = s3.objectBody(i, size)));
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: c.bucket, Key: s3.objectKey(c.getPrefix ?? 'load', i) }));
        const got = Buffer.from(await r.Body.transformToByteArray());
        return got.equals(want) ? { ok: true } : { ok: false, error: `GetObject answered ${got.length} bytes that are not the object's ${size}` };
      } catch (e) {
        return { ok: false, error: errorText(e) };
      }
    };
  }
  throw new Error(`unknown op ${c.op}`);
}

/**
 * Replays a pool file with node:http, cycling; every answer is checked (a GET
 * must return the object's bytes, a PUT the body's MD5 as ETag).
 * @param {Config & { endpoint: string }} c
 * @param {http.Agent} agent
 * @returns {() => Promise<OpResult>}
 */
function makeRawOp(c, agent) {
  const pool = readPool(/** @type {string} */ (c.poolFile));
  const size = c.objectSize ?? 4096;
  let i = 0;
  return async () => {
    const raw = pool[i++ % pool.length];
    const line = raw.subarray(0, raw.indexOf('\r\n')).toString('latin1').split(' ');
    const split = raw.indexOf('\r\n\r\n');
    const body = raw.subarray(split + 4);
    const r = await s3.sendRaw({ endpoint: c.endpoint, agent }, raw);
    const why = r.error ?? s3.checker({ method: /** @type {any} */ (line[0]), path: line[1], body: body.length ? body : undefined }, size)(r);
    return why ? { ok: false, error: why } : { ok: true };
  };
}

// ------------------------------------------------------------------ large objects

/**
 * The bench's large file, block by block: block `b` is a fixed 1 MiB of
 * deterministic bytes with `b` in its first 8 bytes (so a block served from
 * the wrong place is caught), written by the harness with writeLargeFile.
 */
const LARGE_BLOCK = (() => {
  const b = Buffer.alloc(MiB);
  for (let off = 0, n = 0; off < b.length; off += 32) crypto.createHash('sha256').update(`nimbus-bench-s3-large-${n++}`).digest().copy(b, off);
  return b;
})();
/** @param {number} b */
function largeBlock(b) {
  const out = Buffer.from(LARGE_BLOCK);
  out.writeBigUInt64BE(BigInt(b), 0);
  return out;
}

/**
 * Writes the large file (`size` bytes, a whole number of MiB) and fsyncs it;
 * returns its MD5 (the ETag a single-part upload of it gets).
 * @param {string} file
 * @param {number} size
 */
function writeLargeFile(file, size) {
  const fd = fs.openSync(file, 'w');
  const md5 = crypto.createHash('md5');
  try {
    for (let b = 0; b * MiB < size; b++) {
      const blk = largeBlock(b).subarray(0, Math.min(MiB, size - b * MiB));
      md5.update(blk);
      fs.writeSync(fd, blk);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return md5.digest('hex');
}

/**
 * Compares a download with the large file's contents as chunks arrive (no
 * copy of the object is kept): a running offset, the expected block rebuilt
 * when the offset enters a new one.
 */
function largeVerifier() {
  let off = 0;
  let blockNo = -1;
  let block = LARGE_BLOCK;
  /** @type {string | null} */
  let bad = null;
  return {
    /** @param {Buffer} chunk */
    update(chunk) {
      if (bad) return;
      let pos = 0;
      while (pos < chunk.length) {
        const b = Math.floor(off / MiB);
        if (b !== blockNo) {
          block = largeBlock(b);
          blockNo = b;
        }
        const within = off - b * MiB;
        const n = Math.min(chunk.length - pos, MiB - within);
        if (chunk.compare(block, within, within + n, pos, pos + n) !== 0) {
          bad = `bytes ${off}..${off + n} differ from the uploaded file`;
          return;
        }
        pos += n;
        off += n;
      }
    },
    get bytes() {
      return off;
    },
    get error() {
      return bad;
    },
  };
}

/**
 * One upload, then one download, of the large file; times are Date.now() (the
 * harness lines them up with its RSS samples).
 * @param {Config & { endpoint: string }} c
 */
async function largeRun(c) {
  const { PutObjectCommand, GetObjectCommand } = rootRequire('@aws-sdk/client-s3');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = s3Client(c.endpoint, c.credentials, agent, c.checksums ?? 'default');
  const size = /** @type {number} */ (c.fileSize);
  const key = c.key ?? 'large-object';
  try {
    const expectMd5 = c.expectMd5 ?? null;
    const upStart = Date.now();
    const u0 = performance.now();
    let put;
    try {
      put = await client.send(new PutObjectCommand({ Bucket: c.bucket, Key: key, Body: fs.createReadStream(/** @type {string} */ (c.file), { highWaterMark: MiB }), ContentLength: size }));
    } catch (e) {
      return { status: 'failed', reason: `PutObject of ${size} bytes failed: ${errorText(e)}` };
    }
    const upMs = performance.now() - u0;
    const upEnd = Date.now();
    const etag = String(put.ETag ?? '').replace(/"/g, '');
    if (expectMd5 && etag !== expectMd5) return { status: 'failed', reason: `PutObject answered ETag ${put.ETag}, not the file's MD5 ${expectMd5}` };
    const downStart = Date.now();
    const d0 = performance.now();
    const v = largeVerifier();
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: c.bucket, Key: key }));
      for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (r.Body)) v.update(chunk);
    } catch (e) {
      return { status: 'failed', reason: `GetObject of ${size} bytes failed after ${v.bytes} bytes: ${errorText(e)}` };
    }
    const downMs = performance.now() - d0;
    const downEnd = Date.now();
    if (v.error) return { status: 'failed', reason: `GetObject: ${v.error}` };
    if (v.bytes !== size) return { status: 'failed', reason: `GetObject returned ${v.bytes} bytes, the object has ${size}` };
    const mibps = (/** @type {number} */ ms) => Math.round((size / MiB / (ms / 1000)) * 10) / 10;
    return {
      status: 'ok',
      checksums: c.checksums ?? 'default',
      bytes: size,
      up: { ms: Math.round(upMs), mibps: mibps(upMs), startAt: upStart, endAt: upEnd, etag },
      down: { ms: Math.round(downMs), mibps: mibps(downMs), startAt: downStart, endAt: downEnd },
    };
  } finally {
    agent.destroy();
  }
}

// ------------------------------------------------------------------ upload -> function

/**
 * Upload -> function latency through the bucket's notifications.
 * @param {Config & { endpoint: string }} c
 * @param {http.Agent} agent
 */
async function eventRun(c, agent) {
  const size = c.objectSize ?? 4096;
  const client = { endpoint: c.endpoint, ...c.credentials, agent };
  return arrivalRun(c, {
    send: async (key, i) => {
      const sentAt = Date.now();
      const r = await s3.call(client, { method: 'PUT', path: `/${c.bucket}/${key}`, body: s3.objectBody(i, size), contentType: 'application/octet-stream' });
      return { key, sentAt, ackAt: Date.now(), ok: r.status === 200, error: r.status === 200 ? undefined : s3.describeError(r) };
    },
    key: (run, i) => `u-${run}-${String(i).padStart(6, '0')}`,
    failed: (error) => `PutObject into ${c.bucket} failed: ${error}`,
    notArrived: (s, i) => `no notification reached the function within ${s} s of a PutObject (warm-up upload ${i + 1})`,
    sendStats: 'put',
  });
}

// ------------------------------------------------------------------ crash

/**
 * Uploads distinct keys, `connections` in flight, until the server stops
 * answering (at most `durationS`); every acknowledged key goes to `idsFile`
 * the moment its 200 arrives (appended synchronously, so the list survives
 * whatever happens to this process next).
 * @param {Config & { endpoint: string }} c
 * @param {http.Agent} agent
 */
async function crashRun(c, agent) {
  const idsFile = /** @type {string} */ (c.idsFile);
  const size = c.objectSize ?? 4096;
  const fd = fs.openSync(idsFile, 'w');
  const client = { endpoint: c.endpoint, ...c.credentials, agent, timeoutMs: 5000 };
  const end = performance.now() + c.durationS * 1000;
  let next = 0;
  let acked = 0;
  let failedAfterStop = 0;
  /** @type {Record<string, number>} */
  const errorKinds = {};
  let stopped = false;
  const loop = async () => {
    while (!stopped && performance.now() < end) {
      const i = next++;
      const key = s3.objectKey(c.keyPrefix ?? 'crash', i);
      const r = await s3.call(client, { method: 'PUT', path: `/${c.bucket}/${key}`, body: s3.objectBody(i, size), contentType: 'application/octet-stream' });
      if (r.status === 200) {
        fs.writeSync(fd, `${key}\n`);
        acked++;
        continue;
      }
      const k = r.error ? r.error.replace(/\d+/g, 'N') : s3.describeError(r);
      errorKinds[k] = (errorKinds[k] ?? 0) + 1;
      // A refused or reset connection: the server is gone (the harness killed it).
      if (r.status === 0) {
        stopped = true;
        failedAfterStop++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: c.connections }, loop));
  } finally {
    fs.closeSync(fd);
  }
  return { status: 'ok', sent: next, acked, serverStopped: stopped, failedAfterStop, errorKinds };
}

/** @param {Config} c */
async function main(c) {
  assertLoopback(c.endpoint ?? c.targets?.[0]?.endpoint ?? '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: c.connections });
  try {
    const endpoint = /** @type {string} */ (c.endpoint);
    if (c.mode === 'event') return await eventRun({ ...c, endpoint }, agent);
    if (c.mode === 'crash') return await crashRun({ ...c, endpoint }, agent);
    if (c.mode === 'large') {
      const why = sdkProblem();
      if (why) throw new Error(why);
      return await largeRun({ ...c, endpoint });
    }
    if (c.mode === 'sdk') {
      const why = sdkProblem();
      if (why) throw new Error(why);
      const targets = c.targets ?? [{ id: 'target', endpoint, credentials: c.credentials, serverPid: c.serverPid }];
      return await sdkRuns(c, targets, c.ops ?? [/** @type {Op} */ (c.op)], (t, op, a) =>
        makeSdkOp({ ...c, endpoint: t.endpoint, credentials: /** @type {SdkTarget} */ (t).credentials, op: /** @type {Op} */ (op) }, a),
      );
    }
    return await rawRun(makeRawOp({ ...c, endpoint }, agent), c, c.op);
  } finally {
    agent.destroy();
  }
}

if (require.main === module) runLoadCli('s3-load', main);

module.exports = { sdkProblem, writeLargeFile, largeBlock };
