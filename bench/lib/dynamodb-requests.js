// @ts-check
'use strict';
/**
 * DynamoDB requests for `--measure=dynamodb`, built by hand (no SDK): the JSON
 * 1.0 bodies of the measured operations, SigV4 signing for service `dynamodb`,
 * pools of pre-signed raw HTTP/1.1 requests for wrk (bench/lib/dynamodb-wrk.lua
 * replays a pool file), and a tiny client for setup calls (CreateTable, loading
 * items) and for checking what a pool's requests get back.
 *
 * Why pre-signed pools: a SigV4 signature carries no nonce and stays valid for
 * the server's 15-minute clock-skew window (AWS: "Signature Version 4 ... the
 * signed portions (using AWS Signatures) of requests are valid within 15 minutes
 * of the timestamp in the request"), so a load generator can replay requests
 * signed up front. Writes still need distinct keys to be distinct writes, so a
 * pool holds many distinct requests and the generator cycles through them.
 *
 * Every item is 1 KB by DynamoDB's own size rule (attribute names plus values,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
const crypto = require('node:crypto');
const http = require('node:http');
const { assertLoopback, signV4, writePoolFile, readPool, parseRaw, sendHttp, sendAllOnce, sha256 } = require('./signed-requests');

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Attribute names of every bench item: pk (S, HASH), sk (S, RANGE), n (N), data (S). */
const ITEM_BYTES = 1024;

/**
 * A deterministic filler string of `len` characters for item `i` (so every
 * target stores the same bytes, and items do not compress to nothing).
 * @param {number} i
 * @param {number} len
 */
function filler(i, len) {
  let s = '';
  let block = 0;
  while (s.length < len) s += crypto.createHash('sha256').update(`nimbus-bench-${i}-${block++}`).digest('base64');
  return s.slice(0, len);
}

/**
 * One bench item in DynamoDB JSON, exactly ITEM_BYTES by DynamoDB's size rule
 * (UTF-8 length of names and string values; a number counts about 1 byte per
 * 2 significant digits plus 1; we keep n's size fixed by always using 7 digits).
 * @param {string} pk
 * @param {string} sk
 * @param {number} i
 * @param {Record<string, Record<string, string>>} [extra] more attributes (their size is subtracted from data)
 */
function item(pk, sk, i, extra = {}) {
  const n = String(1_000_000 + (i % 9_000_000));
  let used = 'pk'.length + pk.length + 'sk'.length + sk.length + 'n'.length + (Math.ceil(n.length / 2) + 1) + 'data'.length;
  for (const [k, v] of Object.entries(extra)) used += k.length + String(Object.values(v)[0]).length;
  return { pk: { S: pk }, sk: { S: sk }, n: { N: n }, ...extra, data: { S: filler(i, Math.max(1, ITEM_BYTES - used)) } };
}

/**
 * @typedef {{ op: string, body: Record<string, unknown> }} DdbRequest
 * @typedef {{ host: string, region: string, accessKeyId: string, secretAccessKey: string }} Signer
 */

/**
 * SigV4 headers for one DynamoDB JSON request (POST /, no query string).
 * @param {Signer} s
 * @param {string} op
 * @param {Buffer} body
 * @param {Date} [now]
 * @returns {Record<string, string>}
 */
function sign(s, op, body, now = new Date()) {
  return signV4(s, 'dynamodb', 'POST', '/', { 'content-type': CONTENT_TYPE, host: s.host, 'x-amz-target': TARGET_PREFIX + op }, sha256(body), now);
}

/**
 * The complete HTTP/1.1 request (head and body) as wrk sends it.
 * @param {Signer} s
 * @param {DdbRequest} r
 * @param {Date} [now]
 */
function rawRequest(s, r, now) {
  const body = Buffer.from(JSON.stringify(r.body));
  const h = sign(s, r.op, body, now);
  const head =
    `POST / HTTP/1.1\r\nHost: ${h.host}\r\nContent-Type: ${CONTENT_TYPE}\r\nX-Amz-Target: ${h['x-amz-target']}\r\nX-Amz-Date: ${h['x-amz-date']}\r\n` +
    `Authorization: ${h.authorization}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/**
 * Writes a pool file for dynamodb-wrk.lua: per request, its byte length in
 * decimal, a newline, then the raw request. Signed now, for `host`.
 * @param {string} file
 * @param {Signer} s
 * @param {DdbRequest[]} reqs
 */
function writePool(file, s, reqs) {
  return writePoolFile(file, reqs, (r, now) => rawRequest(s, r, now));
}

// ------------------------------------------------------------------ the operations

/**
 * The table every bench operation uses: pk (S) HASH, sk (S) RANGE, on demand.
 * @param {string} table
 * @param {{ stream?: boolean }} [o]
 */
function createTableBody(table, o = {}) {
  return {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    ...(o.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } } : {}),
  };
}

/** Keys of the PutItem pool (also the items GetItem reads: they are loaded first). @param {number} i */
const putKey = (i) => ({ pk: `item-${String(i).padStart(6, '0')}`, sk: '0' });
/** @param {number} p partition @param {number} j item in it */
const queryKey = (p, j) => ({ pk: `query-${String(p).padStart(3, '0')}`, sk: String(j).padStart(4, '0') });
/** @param {number} t transaction @param {number} k item in it */
const txKey = (t, k) => ({ pk: `tx-${String(t).padStart(6, '0')}`, sk: String(k).padStart(2, '0') });

/** @param {string} table @param {number} count distinct PutItems of 1 KB items */
function putPool(table, count) {
  return Array.from({ length: count }, (_, i) => {
    const k = putKey(i);
    return { op: 'PutItem', body: { TableName: table, Item: item(k.pk, k.sk, i) } };
  });
}

/** @param {string} table @param {number} count GetItems of the items putPool(count) wrote */
function getPool(table, count) {
  return Array.from({ length: count }, (_, i) => {
    const k = putKey(i);
    return { op: 'GetItem', body: { TableName: table, Key: { pk: { S: k.pk }, sk: { S: k.sk } } } };
  });
}

/** PutItems that load `partitions` x `perPartition` items for Query. @param {string} table @param {number} partitions @param {number} perPartition */
function queryLoadPool(table, partitions, perPartition) {
  /** @type {DdbRequest[]} */
  const out = [];
  for (let p = 0; p < partitions; p++) {
    for (let j = 0; j < perPartition; j++) {
      const k = queryKey(p, j);
      out.push({ op: 'PutItem', body: { TableName: table, Item: item(k.pk, k.sk, p * perPartition + j) } });
    }
  }
  return out;
}

/** One Query per partition: every item of it (100 items of 1 KB, under the 1 MB page). @param {string} table @param {number} partitions */
function queryPool(table, partitions) {
  return Array.from({ length: partitions }, (_, p) => ({
    op: 'Query',
    body: { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: queryKey(p, 0).pk } } },
  }));
}

/** @param {string} table @param {number} count TransactWriteItems of `size` Puts each, all keys distinct @param {number} size */
function txPool(table, count, size) {
  return Array.from({ length: count }, (_, t) => ({
    op: 'TransactWriteItems',
    body: {
      TransactItems: Array.from({ length: size }, (_, k) => {
        const key = txKey(t, k);
        return { Put: { TableName: table, Item: item(key.pk, key.sk, t * size + k) } };
      }),
    },
  }));
}

/**
 * What a correct answer to a pool's request looks like (checked on samples
 * before and after each measured run: wrk itself only sees status codes).
 * @param {string} op
 * @param {{ queryItems?: number }} [o]
 * @returns {(status: number, body: string) => string | null} null when fine, else what is wrong
 */
function checker(op, o = {}) {
  return (status, body) => {
    if (status !== 200) return `HTTP ${status} ${body.slice(0, 160)}`;
    let j;
    try {
      j = JSON.parse(body);
    } catch {
      return `HTTP 200 with a body that is not JSON: ${body.slice(0, 80)}`;
    }
    if (op === 'GetItem' && !(j.Item && j.Item.data && typeof j.Item.data.S === 'string' && j.Item.data.S.length > 900)) return `GetItem answered without the item: ${body.slice(0, 120)}`;
    if (op === 'Query' && (!Array.isArray(j.Items) || j.Items.length !== (o.queryItems ?? 100))) return `Query answered ${Array.isArray(j.Items) ? j.Items.length : 'no'} items, expected ${o.queryItems ?? 100}`;
    return null;
  };
}

// ------------------------------------------------------------------ a small client

/**
 * One signed DynamoDB call; resolves with status, body and the parsed JSON (or
 * null), never rejects.
 * @param {{ endpoint: string, region?: string, accessKeyId?: string, secretAccessKey?: string, agent?: http.Agent, timeoutMs?: number }} c
 * @param {string} op
 * @param {unknown} input
 * @returns {Promise<{ status: number, body: string, json: any, error?: string, ms: number }>}
 */
function call(c, op, input) {
  assertLoopback(c.endpoint);
  const u = new URL(c.endpoint);
  const body = Buffer.from(JSON.stringify(input));
  const headers = sign({ host: u.host, region: c.region ?? 'us-east-1', accessKeyId: c.accessKeyId ?? 'test', secretAccessKey: c.secretAccessKey ?? 'test' }, op, body);
  return send(c, { ...headers, 'content-length': String(body.length) }, body);
}

/**
 * Sends one raw pool request (head + body, as written by rawRequest) with
 * node:http: the same bytes wrk sends, for checking answers.
 * @param {{ endpoint: string, agent?: http.Agent, timeoutMs?: number }} c
 * @param {Buffer} raw
 */
function sendRaw(c, raw) {
  assertLoopback(c.endpoint);
  const r = parseRaw(raw);
  // Always POST / (the only request line of a DynamoDB pool).
  return send(c, r.headers, r.body);
}

/**
 * @param {{ endpoint: string, agent?: http.Agent, timeoutMs?: number }} c
 * @param {Record<string, string>} headers
 * @param {Buffer} body
 * @returns {Promise<{ status: number, body: string, json: any, error?: string, ms: number }>}
 */
async function send(c, headers, body) {
  const r = await sendHttp(c, 'POST', '/', headers, body);
  const text = r.body.toString('utf8');
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: r.status, body: text, json, error: r.error, ms: r.ms };
}

/**
 * The AWS-style error of a failed call, short: `400 ValidationException: message`.
 * @param {{ status: number, body: string, json: any, error?: string }} r
 */
function describeError(r) {
  if (r.error) return r.error;
  const type = r.json && (r.json.__type ?? r.json.code);
  const msg = r.json && (r.json.message ?? r.json.Message);
  if (type) return `HTTP ${r.status} ${String(type).replace(/^.*#/, '')}${msg ? `: ${msg}` : ''}`;
  return `HTTP ${r.status} ${r.body.slice(0, 160)}`;
}

/**
 * Sends `reqs` once each with at most `concurrency` in flight; the first
 * failure (by `check`) is returned with how many succeeded before the stop.
 * @param {{ endpoint: string, region?: string, accessKeyId?: string, secretAccessKey?: string }} c
 * @param {DdbRequest[]} reqs
 * @param {number} concurrency
 * @returns {Promise<{ ok: number, failed: null | { op: string, why: string } , ms: number }>}
 */
async function sendAll(c, reqs, concurrency) {
  const r = await sendAllOnce(reqs, concurrency, async (req, agent) => {
    const res = await call({ ...c, agent }, req.op, req.body);
    return res.status === 200 ? null : describeError(res);
  });
  return { ok: r.ok, failed: r.failed && { op: r.failed.req.op, why: r.failed.why }, ms: r.ms };
}

module.exports = {
  ITEM_BYTES,
  TARGET_PREFIX,
  CONTENT_TYPE,
  item,
  sign,
  rawRequest,
  writePool,
  readPool,
  createTableBody,
  putPool,
  getPool,
  queryLoadPool,
  queryPool,
  txPool,
  putKey,
  checker,
  call,
  sendRaw,
  sendAll,
  describeError,
  assertLoopback,
};
