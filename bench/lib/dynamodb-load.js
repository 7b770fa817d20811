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
 * Closed loops are lambda-load.js's: `connections` loops over one keep-alive
 * http.Agent (maxSockets = connections), a warm-up, then `durationS` measured;
 * only requests completed inside the window count.
 *
 * Usage: node bench/lib/dynamodb-load.js '<JSON config>'; prints one JSON object
 * on stdout. Loopback only; every loop is bounded in time.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { closedLoop, stats } = require('./lambda-load');
const ddb = require('./dynamodb-requests');

/** The root package's node_modules (the SDK Nimbus itself depends on). */
const rootRequire = createRequire(path.join(__dirname, '..', '..', 'package.json'));
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

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

/** Busy jiffies of the whole machine (/proc/stat), null off Linux. */
function machineBusy() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: f[0] + f[1] + f[2] + f[5] + f[6], at: performance.now() };
  } catch {
    return null;
  }
}

/**
 * closedLoop, plus the CPU that processes other than this one and the server
 * used meanwhile (other work on a shared machine), in cores.
 * @param {() => Promise<OpResult>} op
 * @param {Config} c
 */
async function measured(op, c) {
  const m0 = machineBusy();
  const r = await closedLoop(op, c.connections, c.durationS, c.serverPid);
  const m1 = machineBusy();
  const busy = m0 && m1 ? (m1.busy - m0.busy) / 100 / ((m1.at - m0.at) / 1000) : null;
  const otherCores = busy !== null ? Math.max(0, Math.round((busy - r.clientCpuCores - (r.serverCpuCores ?? 0)) * 100) / 100) : null;
  return { ...r, otherCores };
}

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

/** `pk -> Date.now()` at the function's start, from the recorder's file. @param {string} file */
function readArrivals(file) {
  /** @type {Map<string, number>} */
  const m = new Map();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return m;
  }
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && !m.has(line.slice(0, sp))) m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/**
 * Waits (at most `maxS`) until every key has arrived; returns the arrivals.
 * @param {string} file
 * @param {string[]} keys
 * @param {number} maxS
 */
async function waitArrived(file, keys, maxS) {
  const t0 = Date.now();
  let m = readArrivals(file);
  while (Date.now() - t0 < maxS * 1000 && keys.some((k) => !m.has(k))) {
    await sleep(50);
    m = readArrivals(file);
  }
  return { arrivals: m, waitedS: (Date.now() - t0) / 1000 };
}

/**
 * Write -> function latency through the table's stream.
 * @param {Config} c
 * @param {http.Agent} agent
 */
async function streamRun(c, agent) {
  const outFile = /** @type {string} */ (c.outFile);
  const rate = c.rate ?? 100;
  const drainS = c.drainS ?? 20;
  const run = Date.now().toString(36);
  const client = { endpoint: c.endpoint, region: c.region, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, agent };
  /** @param {string} pk */
  const write = async (pk) => {
    const sentAt = Date.now();
    const r = await ddb.call(client, 'PutItem', { TableName: c.table, Item: { pk: { S: pk }, sentAt: { N: String(sentAt) }, data: { S: PLAIN_ITEMS[0].data.slice(0, 900) } } });
    return { pk, sentAt, ackAt: Date.now(), ok: r.status === 200, error: r.status === 200 ? undefined : ddb.describeError(r) };
  };
  // Warm-up: one write at a time, each waited for: proves the stream reaches
  // the function at all (else the caller reports "not available"), and leaves
  // a warm instance behind.
  const warm = [];
  for (let i = 0; i < (c.warmItems ?? 3); i++) {
    const w = await write(`warm-${run}-${i}`);
    if (!w.ok) return { status: 'failed', reason: `PutItem into ${c.table} failed: ${w.error}` };
    const got = await waitArrived(outFile, [w.pk], i === 0 ? drainS : 10);
    const at = got.arrivals.get(w.pk);
    if (at === undefined) return { status: 'failed', reason: `no stream record reached the function within ${i === 0 ? drainS : 10} s of a PutItem (warm-up write ${i + 1})` };
    warm.push(at - w.sentAt);
  }
  // Paced writes (open loop, at most `connections` in flight).
  const n = Math.max(1, Math.round(rate * c.durationS));
  /** @type {{ pk: string, sentAt: number, ackAt: number, ok: boolean, error?: string }[]} */
  const sent = [];
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  let skipped = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= c.connections) {
      skipped++;
      continue;
    }
    const p = write(`w-${run}-${i}`).then((w) => {
      sent.push(w);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const acked = sent.filter((w) => w.ok);
  const got = await waitArrived(outFile, acked.map((w) => w.pk), drainS);
  const sendToFn = [];
  const ackToFn = [];
  const writeMs = [];
  for (const w of acked) {
    writeMs.push(w.ackAt - w.sentAt);
    const at = got.arrivals.get(w.pk);
    if (at === undefined) continue;
    sendToFn.push(at - w.sentAt);
    ackToFn.push(at - w.ackAt);
  }
  if (c.idsFile) fs.writeFileSync(c.idsFile, sent.map((w) => `${w.pk} ${w.sentAt} ${w.ackAt} ${got.arrivals.get(w.pk) ?? '-'}${w.error ? ` ${w.error}` : ''}\n`).join(''));
  /** @type {Record<string, number>} */
  const errorKinds = {};
  for (const w of sent) if (!w.ok) errorKinds[w.error ?? 'error'] = (errorKinds[w.error ?? 'error'] ?? 0) + 1;
  return {
    status: 'ok',
    rate,
    durationS: c.durationS,
    sent: sent.length,
    skipped,
    acked: acked.length,
    errors: sent.length - acked.length,
    errorKinds,
    arrived: sendToFn.length,
    missing: acked.length - sendToFn.length,
    waitedForArrivalsS: got.waitedS,
    warmupMs: warm,
    sendToFunction: stats(sendToFn),
    ackToFunction: stats(ackToFn),
    write: stats(writeMs),
  };
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
      // Operation by operation, target by target, in this one process: runs of
      // the same operation on different servers come seconds apart (so a
      // ceiling and the run compared with it see the same machine), and the
      // SDK's shared code paths are warmed up once (`firstWarmupS`).
      /** @type {Record<string, Record<string, any>>} */
      const results = {};
      const targets = c.targets ?? [{ id: 'target', endpoint: c.endpoint, serverPid: c.serverPid }];
      const ops = c.ops ?? [/** @type {Op} */ (c.op)];
      // The SDK's shared code paths warm up first, on the last target (the
      // canned server when there is one), so that no measured run pays for it.
      if ((c.firstWarmupS ?? 0) > 0) {
        const t = targets[targets.length - 1];
        const a = new http.Agent({ keepAlive: true, maxSockets: c.connections });
        try {
          const tc = { ...c, endpoint: t.endpoint, op: t.opNames?.[ops[0]] ?? ops[0] };
          await closedLoop(makeSdkOp(tc, a), c.connections, /** @type {number} */ (c.firstWarmupS));
        } finally {
          a.destroy();
        }
      }
      for (const name of ops) {
        for (const t of targets) {
          const opName = t.opNames?.[name] ?? name;
          const perTarget = (results[t.id] ??= {});
          if (t.skip?.includes(name)) continue;
          ddb.assertLoopback(t.endpoint);
          // A fresh agent per run: sockets left idle while the other servers
          // were measured may have been closed by the server (Node's 5 s
          // keep-alive timeout), and the first call on one fails with "socket hang up".
          const a = new http.Agent({ keepAlive: true, maxSockets: c.connections });
          try {
            const tc = { ...c, endpoint: t.endpoint, serverPid: t.serverPid, op: opName };
            const op = makeSdkOp(tc, a);
            // One call first: an operation the server does not answer fails
            // fast with its error, and the rest still runs.
            const one = await op();
            if (!one.ok) {
              perTarget[name] = { op: opName, failed: `first call failed: ${one.error}` };
              continue;
            }
            if (c.warmupS > 0) await closedLoop(op, c.connections, c.warmupS);
            const { accepted, ...rest } = await measured(op, tc);
            perTarget[name] = { mode: c.mode, op: opName, connections: c.connections, durationS: c.durationS, warmupS: c.warmupS, ...rest };
          } finally {
            a.destroy();
          }
        }
      }
      return results;
    }
    const op = makeRawOp(c, agent);
    // One call first: a failing target fails fast with its error, not after the window.
    const first = await op();
    if (!first.ok) throw new Error(`first ${c.op ?? c.checkOp} failed: ${first.error}`);
    if (c.warmupS > 0) await closedLoop(op, c.connections, c.warmupS);
    const { accepted, ...rest } = await measured(op, c);
    return { mode: c.mode, op: c.op ?? c.checkOp, connections: c.connections, durationS: c.durationS, warmupS: c.warmupS, ...rest };
  } finally {
    agent.destroy();
  }
}

if (require.main === module) {
  /** @type {Config} */
  let config;
  try {
    config = JSON.parse(process.argv[2] ?? '');
  } catch {
    process.stderr.write("usage: node bench/lib/dynamodb-load.js '<JSON config>'\n");
    process.exit(2);
  }
  main(config).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`dynamodb-load: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}

module.exports = { sdkProblem, readArrivals };
