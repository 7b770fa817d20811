#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * The Node load generator of `--measure=dynamodb` (its own process: never the
 * harness's, never the server's). Modes:
 *
 *   sdk     operations through @aws-sdk/lib-dynamodb's DynamoDBDocumentClient
 *           (PutCommand, GetCommand, QueryCommand, TransactWriteCommand, or
 *           BatchWriteCommand where the server has no transactions), operation
 *           by operation (`ops`) and, for each, target by target (`targets`),
 *           in this one process, `connections` closed loops each, `warmupS`
 *           of warm-up before each; before all of them, `firstWarmupS` of
 *           calls to the last target warm up the SDK's shared code paths
 *                                                                   closed loop
 *   raw     a pool file of pre-signed requests (dynamodb-requests.js) replayed
 *           with node:http, every answer checked: the fallback when wrk is
 *           missing                                                 closed loop
 *   stream  PutItems carrying their send time, paced at `rate`/s, into a table
 *           whose stream feeds a function that appends `<pk> <Date.now()>` to
 *           `outFile`; joins the two: write -> function latency     open loop
 *
 * Closed loops, the order of the SDK runs and the paced stream run are
 * load-loops.js's (shared with s3-load.js).
 *
 * Usage: node bench/lib/dynamodb-load.js '<JSON config>'; prints one JSON object
 * on stdout. Loopback only; every loop is bounded in time.
 */
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { sdkRuns, rawRun, arrivalRun, runLoadCli } = require('./load-loops');
const ddb = require('./dynamodb-requests');

/** The root package's node_modules (the SDK Nimbus itself depends on). */
const rootRequire = createRequire(path.join(__dirname, '..', '..', 'package.json'));

/**
 * @typedef {'put' | 'get' | 'query' | 'tx' | 'batch'} Op
 * @typedef {{ id: string, endpoint: string, serverPid?: number, opNames?: Partial<Record<Op, Op>>, skip?: Op[] }} SdkTarget
 *   opNames: what to run for an operation on this target (`tx` -> `batch` where the server has no transactions)
 * @typedef {{ mode: 'sdk' | 'raw' | 'stream', endpoint: string, table: string, op?: Op, ops?: Op[], targets?: SdkTarget[], firstWarmupS?: number, connections: number, warmupS: number, durationS: number,
 *   region?: string, accessKeyId?: string, secretAccessKey?: string, serverPid?: number,
 *   getKeys?: number, queryPartitions?: number, queryItems?: number, txSize?: number,
 *   poolFile?: string, checkOp?: string,
 *   rate?: number, outFile?: string, drainS?: number, warmItems?: number, idsFile?: string }} Config
 * @typedef {{ ok: boolean, error?: string }} OpResult
 */

/** Whether @aws-sdk/lib-dynamodb can be loaded from the root node_modules; null if so, else why not. */
function sdkProblem() {
  try {
    rootRequire.resolve('@aws-sdk/lib-dynamodb');
    rootRequire.resolve('@aws-sdk/client-dynamodb');
    rootRequire.resolve('@smithy/node-http-handler');
    return null;
  } catch (e) {
    return `@aws-sdk/lib-dynamodb is not installed in the root node_modules (run \`npm ci\`): ${String(/** @type {Error} */ (e).message).split('\n')[0]}`;
  }
}

/** 64 distinct 1 KB items' filler strings, built once: the client's work per call is the SDK's, not ours. */
const PLAIN_ITEMS = Array.from({ length: 64 }, (_, i) => {
  const it = ddb.item('x', '0', i);
  return { n: Number(it.n.N), data: it.data.S };
});

/**
 * @param {Config} c
 * @param {http.Agent} agent
 * @returns {() => Promise<OpResult>}
 */
function makeSdkOp(c, agent) {
  const { DynamoDBClient } = rootRequire('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient, PutCommand, GetCommand, QueryCommand, TransactWriteCommand, BatchWriteCommand } = rootRequire('@aws-sdk/lib-dynamodb');
  const { NodeHttpHandler } = rootRequire('@smithy/node-http-handler');
  ddb.assertLoopback(c.endpoint);
  const client = new DynamoDBClient({
    endpoint: c.endpoint,
    region: c.region ?? 'us-east-1',
    credentials: { accessKeyId: c.accessKeyId ?? 'test', secretAccessKey: c.secretAccessKey ?? 'test' },
    maxAttempts: 1, // a throttle or error is counted, not retried behind our back
    requestHandler: new NodeHttpHandler({ httpAgent: agent, requestTimeout: 10_000, connectionTimeout: 10_000 }),
  });
  const doc = DynamoDBDocumentClient.from(client);
  const table = c.table;
  // Distinct keys per process run, so writes are new items (a rerun does not collide either).
  const run = `${process.pid}-${Date.now().toString(36)}`;
  let counter = 0;
  const plain = (/** @type {string} */ pk, /** @type {string} */ sk, /** @type {number} */ i) => ({ pk, sk, ...PLAIN_ITEMS[i % PLAIN_ITEMS.length] });
  const wrap = (/** @type {() => Promise<string | null>} */ f) => async () => {
    try {
      const why = await f();
      return why ? { ok: false, error: why } : { ok: true };
    } catch (e) {
      const err = /** @type {any} */ (e);
      return { ok: false, error: `${err?.name ?? 'Error'}: ${String(err?.message ?? err).slice(0, 160)}` };
    }
  };
  const getKeys = c.getKeys ?? 1000;
  const partitions = c.queryPartitions ?? 10;
  const txSize = c.txSize ?? 10;
  switch (c.op) {
    case 'put':
      return wrap(async () => {
        const i = counter++;
        await doc.send(new PutCommand({ TableName: table, Item: plain(`sdk-${run}-${i}`, '0', i) }));
        return null;
      });
    case 'get':
      return wrap(async () => {
        const k = ddb.putKey(counter++ % getKeys);
        const r = await doc.send(new GetCommand({ TableName: table, Key: k }));
        return r.Item && typeof r.Item.data === 'string' && r.Item.data.length > 900 ? null : `GetItem answered without the item ${k.pk}`;
      });
    case 'query':
      return wrap(async () => {
        const p = counter++ % partitions;
        const r = await doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `query-${String(p).padStart(3, '0')}` } }));
        const want = c.queryItems ?? 100;
        return r.Items?.length === want ? null : `Query answered ${r.Items?.length ?? 'no'} items, expected ${want}`;
      });
    case 'tx':
      return wrap(async () => {
        const t = counter++;
        await doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: txSize }, (_, k) => ({ Put: { TableName: table, Item: plain(`sdktx-${run}-${t}`, String(k).padStart(2, '0'), t + k) } })) }));
        return null;
      });
    case 'batch':
      return wrap(async () => {
        const t = counter++;
        const r = await doc.send(
          new BatchWriteCommand({ RequestItems: { [table]: Array.from({ length: txSize }, (_, k) => ({ PutRequest: { Item: plain(`sdktx-${run}-${t}`, String(k).padStart(2, '0'), t + k) } })) } }),
        );
        const left = Object.values(r.UnprocessedItems ?? {}).reduce((n, l) => n + /** @type {unknown[]} */ (l).length, 0);
        return left ? `BatchWriteItem left ${left} items unprocessed` : null;
      });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/**
 * Replays a pool file with node:http, cycling; every answer is checked.
 * @param {Config} c
 * @param {http.Agent} agent
 * @returns {() => Promise<OpResult>}
 */
function makeRawOp(c, agent) {
  const pool = ddb.readPool(/** @type {string} */ (c.poolFile));
  const check = ddb.checker(c.checkOp ?? '', { queryItems: c.queryItems });
  let i = 0;
  return async () => {
    const r = await ddb.sendRaw({ endpoint: c.endpoint, agent }, pool[i++ % pool.length]);
    const why = r.error ?? check(r.status, r.body);
    return why ? { ok: false, error: why } : { ok: true };
  };
}

/**
 * Write -> function latency through the table's stream.
 * @param {Config} c
 * @param {http.Agent} agent
 */
async function streamRun(c, agent) {
  const client = { endpoint: c.endpoint, region: c.region, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, agent };
  return arrivalRun(c, {
    send: async (pk) => {
      const sentAt = Date.now();
      const r = await ddb.call(client, 'PutItem', { TableName: c.table, Item: { pk: { S: pk }, sentAt: { N: String(sentAt) }, data: { S: PLAIN_ITEMS[0].data.slice(0, 900) } } });
      return { key: pk, sentAt, ackAt: Date.now(), ok: r.status === 200, error: r.status === 200 ? undefined : ddb.describeError(r) };
    },
    key: (run, i) => `w-${run}-${i}`,
    failed: (error) => `PutItem into ${c.table} failed: ${error}`,
    notArrived: (s, i) => `no stream record reached the function within ${s} s of a PutItem (warm-up write ${i + 1})`,
    sendStats: 'write',
  });
}

/** @param {Config} c */
async function main(c) {
  ddb.assertLoopback(c.endpoint ?? c.targets?.[0]?.endpoint ?? '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: c.connections });
  try {
    if (c.mode === 'stream') return await streamRun(c, agent);
    if (c.mode === 'sdk') {
      const why = sdkProblem();
      if (why) throw new Error(why);
      const targets = c.targets ?? [{ id: 'target', endpoint: c.endpoint, serverPid: c.serverPid }];
      return await sdkRuns(c, targets, c.ops ?? [/** @type {Op} */ (c.op)], (t, op, a) => makeSdkOp({ ...c, endpoint: t.endpoint, op: /** @type {Op} */ (op) }, a));
    }
    return await rawRun(makeRawOp(c, agent), c, c.op ?? c.checkOp);
  } finally {
    agent.destroy();
  }
}

if (require.main === module) runLoadCli('dynamodb-load', main);

module.exports = { sdkProblem };
