// @ts-check
'use strict';
/**
 * `--measure=dynamodb`: Nimbus' DynamoDB service against dynalite (npm), in the
 * same run, three ways:
 *
 *   1. server-side: pools of pre-signed raw requests replayed by wrk
 *      (bench/lib/dynamodb-wrk.lua) at `--ddb-connections` (32): PutItem and
 *      GetItem of 1 KB items, Query of 100 items by partition key,
 *      TransactWriteItems of 10 items (dynalite has no transactions: it gets
 *      BatchWriteItem of the same 10 items, labelled as such). Targets: Nimbus
 *      (its default SQLite store, synchronous=FULL), dynalite in memory (its
 *      default) and dynalite with `--path` (LevelDB on disk);
 *   2. SDK-driven: the same operations through @aws-sdk/lib-dynamodb from a Node
 *      load generator (bench/lib/dynamodb-load.js), against Nimbus, dynalite
 *      (in memory) and a canned-answer server (bench/targets/dynamodb-canned.js:
 *      the SDK client's own ceiling);
 *   3. write -> function latency: bench/apps/dynamodb-stream (a table with a
 *      NEW_IMAGE stream and a function subscribed with batchSize 1) deployed to
 *      the same Nimbus with `nimbus deploy`; paced PutItems carrying their send
 *      time, joined with the function's arrival lines. Skipped with a reason
 *      when the deploy or the stream does not work.
 *
 * Targets are started once and stay up; measured runs are interleaved round by
 * round (op by op, target by target), each (op, target)'s median run by req/s
 * is reported. A target whose setup fails (e.g. CreateTable is not answered)
 * shows its error in its column and the rest runs.
 */
const fs = require('node:fs');
const path = require('node:path');
const { startServer, stopGroup, freePorts, waitReady, runAsync, sleep, tail } = require('./proc');
const { startAccounting, waitQuiet } = require('./cpu');
const { parseWrk } = require('./load');
const { treeJiffies } = require('./lambda-load');
const { BENCH_DIR, PEERS_DIR } = require('./setup');
const ddb = require('./dynamodb-requests');

const ROOT = path.resolve(BENCH_DIR, '..');
const NODE = process.execPath;
const LOADGEN = path.join(__dirname, 'dynamodb-load.js');
const LUA = path.join(__dirname, 'dynamodb-wrk.lua');
const TABLE = 'nimbus-bench';
const STREAM_TABLE = 'nimbus-bench-stream';
const TX_SIZE = 10;
const QUERY_ITEMS = 100;
const QUERY_PARTITIONS = 10;

const OPS = /** @type {const} */ (['put', 'get', 'query', 'tx']);
const OP_LABELS = {
  put: 'PutItem (1 KB item)',
  get: 'GetItem (1 KB item)',
  query: `Query (${QUERY_ITEMS} items of 1 KB by partition key)`,
  tx: `TransactWriteItems (${TX_SIZE} Puts of 1 KB)`,
};
const TARGET_LABELS = {
  nimbus: 'Nimbus',
  'dynalite-mem': 'dynalite (in memory, its default)',
  'dynalite-disk': 'dynalite --path (LevelDB on disk)',
  canned: 'canned answers (the SDK client\'s ceiling)',
};
const RAW_TARGETS = /** @type {const} */ (['nimbus', 'dynalite-mem', 'dynalite-disk']);
const SDK_TARGETS = /** @type {const} */ (['nimbus', 'dynalite-mem', 'canned']);

/** @param {string} id */
const isDynalite = (id) => id.startsWith('dynalite');

/**
 * @typedef {{ id: string, label: string, endpoint: string, pid: number, stop: () => Promise<void>, server: import('./proc').Server, extra?: Record<string, any> }} Target
 */

/** @param {any[]} runs @returns {any} */
function medianByRps(runs) {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)];
}

/**
 * dynalite in its own process: in memory (its default) or on disk (`--path`).
 * @param {string} tmp
 * @param {'dynalite-mem' | 'dynalite-disk'} id
 * @returns {Promise<Target>}
 */
async function startDynalite(tmp, id) {
  const cli = path.join(PEERS_DIR, 'node_modules', 'dynalite', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dynalite is not installed in bench/peers (`npm ci --prefix bench/peers`)');
  const [port] = await freePorts(1);
  // Tables are ACTIVE at once (dynalite keeps them CREATING for 500 ms by default).
  const args = [cli, '--port', String(port), '--host', '127.0.0.1', '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'];
  let dataDir = null;
  if (id === 'dynalite-disk') {
    dataDir = fs.mkdtempSync(path.join(tmp, 'dynalite-data-'));
    args.push('--path', dataDir);
  }
  const server = startServer(id, NODE, args, { logFile: path.join(tmp, `${id}.log`) });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(server, `${endpoint}/`, { timeoutMs: 20_000 });
  } catch (e) {
    await stopGroup(server);
    throw e;
  }
  return {
    id,
    label: TARGET_LABELS[id],
    endpoint,
    pid: server.pid,
    server,
    stop: async () => {
      await stopGroup(server);
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** @param {string} tmp @returns {Promise<Target>} */
async function startCanned(tmp) {
  const [port] = await freePorts(1);
  const server = startServer('dynamodb-canned', NODE, [path.join(BENCH_DIR, 'targets', 'dynamodb-canned.js'), String(port), TABLE], { logFile: path.join(tmp, 'dynamodb-canned.log') });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(server, `${endpoint}/`, { timeoutMs: 15_000 });
  } catch (e) {
    await stopGroup(server);
    throw e;
  }
  return { id: 'canned', label: TARGET_LABELS.canned, endpoint, pid: server.pid, server, stop: () => stopGroup(server) };
}

/**
 * CreateTable, then DescribeTable until ACTIVE (at most 15 s). Throws with the
 * server's own error (code and message) when a call fails.
 * @param {string} endpoint
 * @param {string} table
 */
async function createTable(endpoint, table) {
  const r = await ddb.call({ endpoint }, 'CreateTable', ddb.createTableBody(table));
  if (r.status !== 200) throw new Error(`CreateTable: ${ddb.describeError(r)}`);
  if (r.json?.TableDescription?.TableStatus === 'ACTIVE') return;
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    const d = await ddb.call({ endpoint }, 'DescribeTable', { TableName: table });
    if (d.status === 200 && d.json?.Table?.TableStatus === 'ACTIVE') return;
    last = d.status === 200 ? `TableStatus ${d.json?.Table?.TableStatus}` : ddb.describeError(d);
    // A service without DescribeTable: its CreateTable answered 200, so go on.
    if (d.status === 400 && /UnknownOperation/.test(d.body)) return;
    await sleep(100);
  }
  throw new Error(`table ${table} not ACTIVE after 15 s (last DescribeTable: ${last})`);
}

/**
 * Runs the Node load generator once; its JSON result.
 * @param {Record<string, any>} config
 * @param {number} timeoutMs
 */
async function loadgen(config, timeoutMs) {
  const r = await runAsync(NODE, [LOADGEN, JSON.stringify(config)], { cwd: ROOT, timeoutMs, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  if (!r.ok) throw new Error(`dynamodb-load ${config.mode} ${config.op ?? ''} failed (${r.error ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

/**
 * Sends up to `n` requests of a pool file with node:http and tallies what came
 * back (`200 ok` or the failure), e.g. to tell a 200 without the item from a
 * real GetItem, or which error a target answers.
 * @param {string} endpoint
 * @param {string} file
 * @param {string} op DynamoDB operation name
 * @param {number} n
 */
async function samplePool(endpoint, file, op, n) {
  const pool = ddb.readPool(file);
  const check = ddb.checker(op, { queryItems: QUERY_ITEMS });
  /** @type {Record<string, number>} */
  const counts = {};
  for (let i = 0; i < Math.min(n, pool.length); i++) {
    const r = await ddb.sendRaw({ endpoint }, pool[Math.floor((i * pool.length) / Math.min(n, pool.length))]);
    const why = r.error ?? check(r.status, r.body);
    const k = why ? why.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').slice(0, 200) : '200 ok';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/**
 * @param {{
 *   opts: any,
 *   tmp: string,
 *   tool: { kind: string, bin: string, version: string } | null,
 *   launcher: { kind: 'cli' | 'platform', script: string } | null,
 *   nimbusUnavailable: string | null,
 *   dynaliteUnavailable?: string | null,
 *   startNimbus: () => Promise<import('./targets').Running>,
 *   say: (msg: string) => void,
 *   notes: string[],
 * }} o
 */
async function measureDynamo(o) {
  const { opts, tmp, say, notes } = o;
  const c = opts.ddb;
  const useWrk = o.tool?.kind === 'wrk';
  /** @type {Record<string, any>} */
  const out = {
    status: 'ok',
    table: TABLE,
    connections: c.connections,
    durationS: c.durationS,
    warmupS: c.warmupS,
    repeat: c.repeat,
    pools: { put: c.putPool, getKeys: c.getKeys, queryPartitions: QUERY_PARTITIONS, queryItems: QUERY_ITEMS, tx: c.txPool, txSize: TX_SIZE },
    serverSideTool: useWrk ? `wrk ${o.tool?.version} (-t 1, bench/lib/dynamodb-wrk.lua)` : 'node:http replayer (bench/lib/dynamodb-load.js raw; wrk is not installed)',
    targets: /** @type {Record<string, any>} */ ({}),
    serverSide: /** @type {Record<string, Record<string, any>>} */ ({}),
    sdk: /** @type {Record<string, Record<string, any>>} */ ({}),
    stream: /** @type {Record<string, any>} */ ({ status: 'skipped', reason: 'not run' }),
  };
  if (!useWrk) notes.push('DynamoDB server-side: wrk is not installed, so pre-signed requests were replayed by a Node process (slower than wrk: the client may cap the numbers); install wrk for the real figures.');
  /** @type {Map<string, Target>} */
  const live = new Map();
  const waitQuietS = Math.min(opts.waitQuietS, 3);
  try {
    // ---------------------------------------------------------- start the targets
    const starters = /** @type {Record<string, () => Promise<Target>>} */ ({
      nimbus: async () => {
        if (o.nimbusUnavailable) throw new Error(o.nimbusUnavailable);
        const r = await o.startNimbus();
        return { id: 'nimbus', label: TARGET_LABELS.nimbus, endpoint: `http://127.0.0.1:${r.extra.awsPort}`, pid: r.server.pid, server: r.server, stop: r.stop, extra: r.extra };
      },
      'dynalite-mem': () => (o.dynaliteUnavailable ? Promise.reject(new Error(o.dynaliteUnavailable)) : startDynalite(tmp, 'dynalite-mem')),
      'dynalite-disk': () => (o.dynaliteUnavailable ? Promise.reject(new Error(o.dynaliteUnavailable)) : startDynalite(tmp, 'dynalite-disk')),
      canned: () => startCanned(tmp),
    });
    for (const id of Object.keys(TARGET_LABELS)) {
      say(`dynamodb: starting ${TARGET_LABELS[id]} ...`);
      const t0 = Date.now();
      try {
        live.set(id, await starters[id]());
        out.targets[id] = { label: TARGET_LABELS[id], status: 'ok', startupMs: Date.now() - t0 };
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        say(`  ${TARGET_LABELS[id]} failed to start: ${msg.split('\n')[0]}`);
        out.targets[id] = { label: TARGET_LABELS[id], status: 'failed', reason: `start: ${msg.split('\n')[0]}` };
        notes.push(`DynamoDB, ${TARGET_LABELS[id]}: did not start: ${msg}`);
      }
    }

    // ---------------------------------------------------------- tables, data, request pools
    const sets = {
      put: ddb.putPool(TABLE, c.putPool),
      get: ddb.getPool(TABLE, c.getKeys),
      query: ddb.queryPool(TABLE, QUERY_PARTITIONS),
      tx: ddb.txPool(TABLE, c.txPool, TX_SIZE),
    };
    // dynalite 4 has no TransactWriteItems (not in the validOperations list of
    // its index.js; it answers UnknownOperationException): it gets the same 10
    // Puts as one BatchWriteItem.
    const batchSet = sets.tx.map((r) => ({
      op: 'BatchWriteItem',
      body: { RequestItems: { [TABLE]: /** @type {any} */ (r.body).TransactItems.map((/** @type {any} */ t) => ({ PutRequest: { Item: t.Put.Item } })) } },
    }));
    const loadSet = [...sets.put.slice(0, c.getKeys), ...ddb.queryLoadPool(TABLE, QUERY_PARTITIONS, QUERY_ITEMS)];
    /** @type {Record<string, Record<string, { file: string, op: string, signedAt: number, count: number, error?: string }>>} */
    const pools = {};
    for (const id of ['nimbus', 'dynalite-mem', 'dynalite-disk', 'canned']) {
      const t = live.get(id);
      if (!t) continue;
      try {
        if (id !== 'canned') {
          say(`dynamodb: ${t.label}: CreateTable, loading ${loadSet.length} items ...`);
          await createTable(t.endpoint, TABLE);
          const l = await ddb.sendAll({ endpoint: t.endpoint }, loadSet, c.connections);
          if (l.failed) throw new Error(`loading items: ${l.failed.op} failed after ${l.ok} succeeded: ${l.failed.why}`);
          out.targets[id].loadMs = l.ms;
          out.targets[id].loaded = l.ok;
        }
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        say(`  ${t.label}: ${msg}`);
        out.targets[id] = { ...out.targets[id], status: 'failed', reason: msg.split('\n')[0] };
        notes.push(`DynamoDB, ${t.label}: setup failed: ${msg}`);
        continue;
      }
      if (!RAW_TARGETS.includes(/** @type {any} */ (id))) continue;
      pools[id] = {};
      const u = new URL(t.endpoint);
      for (const op of OPS) {
        const set = op === 'tx' && isDynalite(id) ? batchSet : sets[op];
        const file = path.join(tmp, `ddb-${id}-${op}.pool`);
        const w = ddb.writePool(file, { host: u.host, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' }, set);
        const entry = { file, op: set[0].op, signedAt: w.signedAt, count: w.count };
        // The first requests of the pool, as wrk will send them: an operation
        // the target does not answer correctly is reported, not measured.
        const sample = await samplePool(t.endpoint, file, entry.op, 3);
        const bad = Object.keys(sample).filter((k) => k !== '200 ok');
        if (bad.length) {
          pools[id][op] = { ...entry, error: bad[0] };
          say(`  ${t.label}: ${entry.op} is not answered correctly: ${bad[0]}`);
        } else pools[id][op] = entry;
      }
    }
    /** Re-signs a pool that is getting near the end of SigV4's 15-minute window. @param {string} id @param {string} op */
    const freshPool = (id, op) => {
      const p = pools[id][op];
      if (Date.now() - p.signedAt < 10 * 60_000) return p;
      const u = new URL(/** @type {Target} */ (live.get(id)).endpoint);
      const w = ddb.writePool(p.file, { host: u.host, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' }, op === 'tx' && isDynalite(id) ? batchSet : sets[/** @type {keyof typeof sets} */ (op)]);
      p.signedAt = w.signedAt;
      return p;
    };

    // ---------------------------------------------------------- 1. server-side
    /** @type {Record<string, Record<string, any[]>>} */
    const rawRuns = {};
    /** @type {Record<string, Record<string, string>>} */
    const rawFailed = {};
    for (let round = 0; round < c.repeat; round++) {
      for (const op of OPS) {
        for (const id of RAW_TARGETS) {
          const t = live.get(id);
          const p = pools[id]?.[op];
          if (!t || !p || p.error || rawFailed[op]?.[id]) continue;
          try {
            if (t.server.exitCode !== undefined) throw new Error(`${t.label} exited (code ${t.server.exitCode}):\n${tail(t.server)}`);
            const pool = freshPool(id, op);
            const run = async (/** @type {number} */ durationS, /** @type {boolean} */ measured) => {
              if (useWrk && o.tool) {
                const args = ['-t', '1', '-c', String(c.connections), '-d', `${durationS}s`, '--latency', '-s', LUA, `${t.endpoint}/`, '--', pool.file, String(round * 7919)];
                const r = await runAsync(o.tool.bin, args, { timeoutMs: (durationS + 30) * 1000 });
                if (!r.ok) throw new Error(`wrk failed (${r.error ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
                return measured ? parseWrk(r.stdout) : null;
              }
              const r = await loadgen(
                { mode: 'raw', endpoint: t.endpoint, table: TABLE, poolFile: pool.file, checkOp: pool.op, queryItems: QUERY_ITEMS, connections: c.connections, warmupS: 0, durationS },
                (durationS + 60) * 1000,
              );
              return measured ? { requests: r.requests, rps: r.rps, p50Ms: r.p50Ms, p75Ms: null, p90Ms: r.p90Ms, p99Ms: r.p99Ms, maxMs: r.maxMs, non2xx: r.errors, socketErrors: 0, timeouts: 0, errorKinds: r.errorKinds } : null;
            };
            if (c.warmupS > 0) await run(c.warmupS, false);
            const quiet = waitQuietS > 0 ? await waitQuiet(waitQuietS) : null;
            const acct = startAccounting([t.pid]);
            const j0 = treeJiffies(t.pid);
            const load = /** @type {any} */ (await run(c.durationS, true));
            const j1 = treeJiffies(t.pid);
            const cpu = acct.end();
            const jiffies = j0 !== null && j1 !== null ? j1 - j0 : null;
            const rec = {
              ...load,
              serverCpuCores: jiffies !== null ? Math.round((jiffies / 100 / c.durationS) * 100) / 100 : null,
              serverCpuMsPerRequest: jiffies !== null && load.requests ? Math.round(((jiffies * 10) / load.requests) * 1000) / 1000 : null,
              cpu,
              waitedForQuietS: quiet?.waitedS,
            };
            const errs = load.non2xx + load.socketErrors + load.timeouts;
            if (errs) rec.errorSample = await samplePool(t.endpoint, pool.file, pool.op, 20);
            ((rawRuns[op] ??= {})[id] ??= []).push(rec);
            say(
              `${c.repeat > 1 ? `round ${round + 1}/${c.repeat} ` : ''}dynamodb raw ${op} ${t.label}: ${Math.round(load.rps)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms` +
                `${errs ? `, ${errs} errors` : ''}; server CPU ${rec.serverCpuCores} cores${cpu ? `, other ${cpu.otherCores}` : ''}`,
            );
          } catch (e) {
            const msg = /** @type {Error} */ (e).message;
            (rawFailed[op] ??= {})[id] = msg;
            say(`  dynamodb raw ${op} ${t.label} failed: ${msg.split('\n')[0]}`);
            notes.push(`DynamoDB server-side ${OP_LABELS[op]}, ${t.label}: failed: ${msg}`);
          }
        }
      }
    }
    for (const op of OPS) {
      out.serverSide[op] = {};
      for (const id of RAW_TARGETS) {
        const list = rawRuns[op]?.[id] ?? [];
        const p = pools[id]?.[op];
        const why = !live.get(id) || out.targets[id]?.status !== 'ok' ? out.targets[id]?.reason ?? 'not started' : p?.error ?? rawFailed[op]?.[id] ?? 'not run';
        if (!list.length) {
          out.serverSide[op][id] = { status: 'failed', operation: p?.op, reason: String(why).split('\n')[0] };
          continue;
        }
        // Answers checked again after the load (wrk sees only status codes).
        const t = /** @type {Target} */ (live.get(id));
        const after = await samplePool(t.endpoint, /** @type {any} */ (p).file, /** @type {any} */ (p).op, 5);
        out.serverSide[op][id] = { status: 'ok', operation: p?.op, median: medianByRps(list), runs: list, checkAfter: after };
        const errs = list.reduce((n, x) => n + x.non2xx + x.socketErrors + x.timeouts, 0);
        if (errs) {
          /** @type {Record<string, number>} */
          const kinds = {};
          for (const x of list) for (const [k, v] of Object.entries(x.errorSample ?? x.errorKinds ?? {})) if (k !== '200 ok') kinds[k] = (kinds[k] ?? 0) + /** @type {number} */ (v);
          const sum = (/** @type {string} */ k) => list.reduce((n, x) => n + (x[k] ?? 0), 0);
          notes.push(
            `DynamoDB server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: ${errs} failed requests of ${list.reduce((n, x) => n + x.requests, 0)} ` +
              `(${sum('non2xx')} non-2xx, ${sum('socketErrors')} socket errors, ${sum('timeouts')} timeouts: no answer within wrk's 2 s)` +
              `${Object.keys(kinds).length ? `; a sample of the pool afterwards got ${Object.entries(kinds).map(([k, v]) => `${v} × \`${k}\``).join(', ')}` : ''}.`,
          );
        }
        const badAfter = Object.entries(after).filter(([k]) => k !== '200 ok');
        if (badAfter.length) notes.push(`DynamoDB server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: after the load, sampled requests got ${badAfter.map(([k, v]) => `${v} × \`${k}\``).join(', ')}.`);
      }
      const n = out.serverSide[op].nimbus;
      for (const d of ['dynalite-mem', 'dynalite-disk']) {
        const x = out.serverSide[op][d];
        if (n?.status === 'ok' && x?.status === 'ok') out.serverSide[op][`ratio/${d}`] = Math.round((n.median.rps / x.median.rps) * 1000) / 1000;
      }
    }

    // ---------------------------------------------------------- 2. SDK-driven
    /** @type {Record<string, Record<string, any[]>>} */
    const sdkRuns = {};
    /** @type {Record<string, Record<string, string>>} */
    const sdkFailed = {};
    // One load generator process per round runs operation by operation and,
    // for each, target by target (so the ceiling and the runs compared with it
    // are seconds apart and see the same machine). The SDK's shared code paths
    // are warmed up once, unmeasured, on the canned server (about 2 s of calls:
    // 1 s measured half the calls/s); each run then gets the usual warm-up.
    // The order of the servers rotates from round to round.
    for (let round = 0; round < c.repeat; round++) {
      const up = SDK_TARGETS.filter((id) => live.get(id) && out.targets[id]?.status === 'ok').map((id) => {
        const t = /** @type {Target} */ (live.get(id));
        return { id, endpoint: t.endpoint, serverPid: t.pid, opNames: isDynalite(id) ? { tx: 'batch' } : {}, skip: OPS.filter((op) => sdkFailed[op]?.[id]) };
      });
      if (!up.length) break;
      // canned last (the warm-up runs on the last target), the others rotated
      const others = up.filter((x) => x.id !== 'canned');
      const k = others.length ? round % others.length : 0;
      const targets = [...others.slice(k), ...others.slice(0, k), ...up.filter((x) => x.id === 'canned')];
      for (const x of targets) {
        const t = /** @type {Target} */ (live.get(x.id));
        if (t.server.exitCode !== undefined) throw new Error(`${t.label} exited (code ${t.server.exitCode}):\n${tail(t.server)}`);
      }
      const firstWarmupS = Math.max(c.warmupS, 2);
      const runs = targets.length * OPS.length;
      let rs;
      try {
        rs = await loadgen(
          {
            mode: 'sdk',
            ops: OPS,
            targets,
            table: TABLE,
            connections: c.connections,
            firstWarmupS,
            warmupS: c.warmupS,
            durationS: c.durationS,
            getKeys: c.getKeys,
            queryPartitions: QUERY_PARTITIONS,
            queryItems: QUERY_ITEMS,
            txSize: TX_SIZE,
          },
          (firstWarmupS + runs * (c.warmupS + c.durationS + 1) + 90) * 1000,
        );
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        for (const op of OPS) for (const x of targets) (sdkFailed[op] ??= {})[x.id] ??= msg;
        say(`  dynamodb sdk round ${round + 1} failed: ${msg.split('\n')[0]}`);
        notes.push(`DynamoDB SDK, round ${round + 1}: failed: ${msg}`);
        break;
      }
      for (const op of OPS) {
        for (const x of targets) {
          const r = rs[x.id]?.[op];
          if (!r) continue;
          const label = TARGET_LABELS[x.id];
          if (r.failed) {
            (sdkFailed[op] ??= {})[x.id] = r.failed;
            say(`  dynamodb sdk ${r.op} ${label} failed: ${r.failed}`);
            notes.push(`DynamoDB SDK ${OP_LABELS[op]}, ${label}: failed: ${r.failed}`);
            continue;
          }
          ((sdkRuns[op] ??= {})[x.id] ??= []).push(r);
          say(
            `${c.repeat > 1 ? `round ${round + 1}/${c.repeat} ` : ''}dynamodb sdk ${r.op} ${label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
              `${r.errors ? `, ${r.errors} errors` : ''}; load generator ${r.clientCpuCores} cores, server ${r.serverCpuCores}, other ${r.otherCores}`,
          );
        }
      }
    }
    for (const op of OPS) {
      out.sdk[op] = {};
      for (const id of SDK_TARGETS) {
        const list = sdkRuns[op]?.[id] ?? [];
        const operation = op === 'tx' && isDynalite(id) ? 'BatchWriteItem' : undefined;
        if (!list.length) {
          const why = out.targets[id]?.status !== 'ok' ? out.targets[id]?.reason ?? 'not started' : sdkFailed[op]?.[id] ?? 'not run';
          out.sdk[op][id] = { status: 'failed', operation, reason: String(why).split('\n')[0] };
          continue;
        }
        out.sdk[op][id] = { status: 'ok', operation, median: medianByRps(list), runs: list };
        const errs = list.reduce((n, x) => n + x.errors, 0);
        if (errs) {
          /** @type {Record<string, number>} */
          const kinds = {};
          for (const x of list) for (const [k, v] of Object.entries(x.errorKinds)) kinds[k] = (kinds[k] ?? 0) + /** @type {number} */ (v);
          notes.push(`DynamoDB SDK ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: ${errs} failed calls: ${Object.entries(kinds).map(([k, v]) => `${v} × \`${k}\``).join(', ')}.`);
        }
      }
      const ceiling = out.sdk[op].canned;
      for (const id of ['nimbus', 'dynalite-mem']) {
        const x = out.sdk[op][id];
        if (ceiling?.status === 'ok' && x?.status === 'ok') out.sdk[op][`ofCeiling/${id}`] = Math.round((x.median.rps / ceiling.median.rps) * 1000) / 1000;
      }
    }

    // Runs that shared the machine with other work (a build, a test suite):
    // their absolute numbers, and ratios against runs that did not, are suspect.
    /** @type {string[]} */
    const noisy = [];
    let total = 0;
    let worst = 0;
    for (const [kind, table, other] of /** @type {[string, Record<string, Record<string, any>>, (x: any) => number | null][]} */ ([
      ['raw', out.serverSide, (x) => x.cpu?.otherCores ?? null],
      ['SDK', out.sdk, (x) => x.otherCores ?? null],
    ])) {
      for (const op of OPS) {
        for (const [id, r] of Object.entries(table[op] ?? {})) {
          if (!r || typeof r !== 'object' || r.status !== 'ok') continue;
          for (const x of r.runs) {
            total++;
            const v = other(x);
            if (v !== null && v > 0.15) {
              noisy.push(`${kind} ${op} ${id} ${v}`);
              worst = Math.max(worst, v);
            }
          }
        }
      }
    }
    out.noisyRuns = noisy;
    if (noisy.length) {
      notes.push(
        `DynamoDB: ${noisy.length} of ${total} measured runs shared the machine with other work (up to ${worst} cores busy outside the bench` +
          `${noisy.length <= 8 ? `: ${noisy.join(', ')}` : '; each run\'s figure is in the JSON'}); treat those numbers with care.`,
      );
    }

    // ---------------------------------------------------------- 3. write -> function through the stream
    out.stream = await measureStream(o, live.get('nimbus') ?? null, out.targets.nimbus);
  } catch (e) {
    const msg = /** @type {Error} */ (e).message;
    say(`  dynamodb failed: ${msg}`);
    out.status = 'failed';
    out.reason = msg.split('\n')[0];
    notes.push(`DynamoDB measurement failed: ${msg}`);
  } finally {
    for (const t of live.values()) await t.stop();
    // The pools are tens of MB per target; the results keep their sizes.
    for (const f of fs.readdirSync(tmp)) if (f.endsWith('.pool')) fs.rmSync(path.join(tmp, f), { force: true });
    await sleep(300);
  }
  return out;
}

/**
 * Deploys bench/apps/dynamodb-stream to the running Nimbus and measures write ->
 * function latency; "not available" with the reason when any step fails.
 * @param {Parameters<typeof measureDynamo>[0]} o
 * @param {Target | null} nimbus
 * @param {any} nimbusStatus
 */
async function measureStream(o, nimbus, nimbusStatus) {
  const c = o.opts.ddb;
  const na = (/** @type {string} */ reason) => {
    o.say(`dynamodb stream: not available: ${reason}`);
    return { status: 'not available', reason };
  };
  if (!nimbus || nimbusStatus?.status !== 'ok') return na(`Nimbus is not running (${nimbusStatus?.reason ?? 'not started'})`);
  if (o.launcher?.kind !== 'cli') return na('the stream app is deployed with `nimbus deploy`, which needs the CLI (started with --nimbus=platform, or the CLI is broken)');
  const dir = path.join(o.tmp, 'dynamodb-stream-app');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(BENCH_DIR, 'apps', 'dynamodb-stream'), dir, { recursive: true });
  const outFile = path.join(o.tmp, 'dynamodb-stream-arrivals.txt');
  fs.writeFileSync(outFile, '');
  fs.writeFileSync(path.join(dir, '.env'), `NIMBUS_BENCH_STREAM_OUT=${JSON.stringify(outFile)}\n`);
  o.say('dynamodb stream: deploying bench/apps/dynamodb-stream ...');
  const t0 = Date.now();
  const d = await runAsync(NODE, [o.launcher.script, 'deploy', dir, '--endpoint', nimbus.endpoint, '--data-dir', nimbus.extra?.dataDir, '--json'], { cwd: ROOT, timeoutMs: 120_000 });
  fs.writeFileSync(path.join(o.tmp, 'dynamodb-stream-deploy.log'), `exit ${d.status}${d.error ? ` (${d.error})` : ''}\n--- stdout\n${d.stdout}\n--- stderr\n${d.stderr}\n`);
  if (!d.ok) return na(`nimbus deploy failed (${d.error ?? `exit ${d.status}`}): ${(d.stderr || d.stdout).trim().split('\n').slice(0, 4).join(' | ').slice(0, 600)}`);
  const deployMs = Date.now() - t0;
  /** @type {string[]} */
  let warnings = [];
  try {
    warnings = JSON.parse(d.stdout).warnings ?? [];
  } catch {
    /* not JSON: nothing to add */
  }
  // The deploy may succeed while ignoring what it does not support yet: say so
  // instead of failing later on a missing table.
  const table = await ddb.call({ endpoint: nimbus.endpoint }, 'DescribeTable', { TableName: STREAM_TABLE });
  if (table.status !== 200) {
    return na(
      `\`nimbus deploy\` succeeded but did not create the table under \`resources:\` (DescribeTable ${STREAM_TABLE}: ${ddb.describeError(table)})` +
        `${warnings.length ? `; deploy warnings: ${warnings.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))).join(' | ').slice(0, 400)}` : ''}`,
    );
  }
  if (!table.json?.Table?.LatestStreamArn) return na(`table ${STREAM_TABLE} exists but has no stream (DescribeTable shows no LatestStreamArn)`);
  const quiet = await waitQuiet(Math.max(Math.min(o.opts.waitQuietS, 5), 3));
  let r;
  try {
    r = await loadgen(
      {
        mode: 'stream',
        endpoint: nimbus.endpoint,
        table: STREAM_TABLE,
        connections: c.connections,
        warmupS: 0,
        durationS: c.streamDurationS,
        rate: c.streamRate,
        outFile,
        drainS: 20,
        warmItems: 3,
        idsFile: path.join(o.tmp, 'dynamodb-stream-writes.txt'),
      },
      (c.streamDurationS + 120) * 1000,
    );
  } catch (e) {
    return na(/** @type {Error} */ (e).message.split('\n')[0]);
  }
  if (r.status !== 'ok') return na(r.reason);
  o.say(
    `dynamodb stream: ${r.arrived} of ${r.acked} writes reached the function; send -> function p50 ${r.sendToFunction.p50Ms} ms, p99 ${r.sendToFunction.p99Ms} ms, max ${r.sendToFunction.maxMs} ms`,
  );
  if (r.missing) o.notes.push(`DynamoDB stream: ${r.missing} of ${r.acked} acknowledged writes had not reached the function ${r.waitedForArrivalsS} s after the last write.`);
  if (!quiet.quiet) o.notes.push(`DynamoDB stream: the machine was not quiet before the run (${quiet.busyCores} cores busy after waiting ${quiet.waitedS} s).`);
  return { ...r, deployMs, quietBefore: quiet };
}

module.exports = { measureDynamo, OPS, OP_LABELS, TARGET_LABELS, RAW_TARGETS, SDK_TARGETS };
