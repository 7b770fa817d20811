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
const { stopGroup, sleep } = require('./proc');
const { waitQuiet } = require('./cpu');
const { PEERS_DIR } = require('./setup');
const sb = require('./service-bench');
const ddb = require('./dynamodb-requests');

const LOADGEN = path.join(__dirname, 'dynamodb-load.js');
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
/** The names service-bench.js's shared steps report with. */
const SERVICE = { service: 'DynamoDB', ops: OPS, opLabels: OP_LABELS, targetLabels: TARGET_LABELS };

/** @param {string} id */
const isDynalite = (id) => id.startsWith('dynalite');

/**
 * @typedef {{ id: string, label: string, endpoint: string, pid: number, stop: () => Promise<void>, server: import('./proc').Server, extra?: Record<string, any> }} Target
 */

/**
 * dynalite in its own process: in memory (its default) or on disk (`--path`).
 * @param {string} tmp
 * @param {'dynalite-mem' | 'dynalite-disk'} id
 * @returns {Promise<Target>}
 */
async function startDynalite(tmp, id) {
  const cli = path.join(PEERS_DIR, 'node_modules', 'dynalite', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dynalite is not installed in bench/peers (`npm ci --prefix bench/peers`)');
  // Tables are ACTIVE at once (dynalite keeps them CREATING for 500 ms by default).
  const args = ['--host', '127.0.0.1', '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'];
  let dataDir = null;
  if (id === 'dynalite-disk') {
    dataDir = fs.mkdtempSync(path.join(tmp, 'dynalite-data-'));
    args.push('--path', dataDir);
  }
  const { server, endpoint } = await sb.startNodeServer(id, cli, (port) => ['--port', String(port), ...args], tmp, 20_000);
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
  const { server, endpoint } = await sb.startNodeServer('dynamodb-canned', path.join(sb.ROOT, 'bench', 'targets', 'dynamodb-canned.js'), (port) => [String(port), TABLE], tmp, 15_000);
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
const loadgen = (config, timeoutMs) => sb.runLoadgen(LOADGEN, `dynamodb-load ${config.mode} ${config.op ?? ''}`, config, timeoutMs);

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
    serverSideTool: sb.serverSideTool(o.tool, useWrk, 'bench/lib/dynamodb-load.js'),
    targets: /** @type {Record<string, any>} */ ({}),
    serverSide: /** @type {Record<string, Record<string, any>>} */ ({}),
    sdk: /** @type {Record<string, Record<string, any>>} */ ({}),
    stream: /** @type {Record<string, any>} */ ({ status: 'skipped', reason: 'not run' }),
  };
  if (!useWrk) notes.push(sb.noWrkNote('DynamoDB'));
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
    await sb.startTargets('DynamoDB', TARGET_LABELS, starters, live, out.targets, o);

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
            sb.assertRunning(t);
            const pool = freshPool(id, op);
            const run = async (/** @type {number} */ durationS, /** @type {boolean} */ measured) => {
              if (useWrk && o.tool) return sb.wrkRun(o.tool, { connections: c.connections, durationS, endpoint: t.endpoint, poolFile: pool.file, start: round * 7919 }, measured);
              const r = await loadgen(
                { mode: 'raw', endpoint: t.endpoint, table: TABLE, poolFile: pool.file, checkOp: pool.op, queryItems: QUERY_ITEMS, connections: c.connections, warmupS: 0, durationS },
                (durationS + 60) * 1000,
              );
              return measured ? sb.replayAsWrk(r) : null;
            };
            const { rec } = await sb.measureRawRun(t, c, waitQuietS, run);
            if (sb.rawErrors(rec)) rec.errorSample = await samplePool(t.endpoint, pool.file, pool.op, 20);
            ((rawRuns[op] ??= {})[id] ??= []).push(rec);
            say(sb.rawRunLine('dynamodb', c.repeat, round, op, t.label, rec));
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
        out.serverSide[op][id] = { status: 'ok', operation: p?.op, median: sb.medianByRps(list), runs: list, checkAfter: after };
        const errNote = sb.rawErrorsNote(`DynamoDB server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}`, list);
        if (errNote) notes.push(errNote);
        const badAfter = Object.entries(after).filter(([k]) => k !== '200 ok');
        if (badAfter.length) notes.push(`DynamoDB server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: after the load, sampled requests got ${sb.countsText(badAfter)}.`);
      }
      const n = out.serverSide[op].nimbus;
      for (const d of ['dynalite-mem', 'dynalite-disk']) {
        const x = out.serverSide[op][d];
        if (n?.status === 'ok' && x?.status === 'ok') out.serverSide[op][`ratio/${d}`] = sb.ratioOf(n.median.rps, x.median.rps);
      }
    }

    // ---------------------------------------------------------- 2. SDK-driven
    const { sdkRuns, sdkFailed } = await sb.sdkRounds({
      ...SERVICE,
      c,
      live,
      say,
      notes,
      up: (failed) =>
        SDK_TARGETS.filter((id) => live.get(id) && out.targets[id]?.status === 'ok').map((id) => {
          const t = /** @type {Target} */ (live.get(id));
          return { id, endpoint: t.endpoint, serverPid: t.pid, opNames: isDynalite(id) ? { tx: 'batch' } : {}, skip: OPS.filter((op) => failed[op]?.[id]) };
        }),
      loadgen: (targets, firstWarmupS, timeoutMs) =>
        loadgen(
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
          timeoutMs,
        ),
    });
    for (const op of OPS) {
      out.sdk[op] = sb.summariseSdk({
        ...SERVICE,
        op,
        ids: SDK_TARGETS,
        compared: ['nimbus', 'dynalite-mem'],
        runs: sdkRuns,
        failed: sdkFailed,
        targets: out.targets,
        extra: (id) => ({ operation: op === 'tx' && isDynalite(id) ? 'BatchWriteItem' : undefined }),
        notes,
      });
    }
    out.noisyRuns = sb.noisyRuns('DynamoDB', OPS, out.serverSide, out.sdk, notes);

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
  const app = await sb.deployApp(o, nimbus, nimbusStatus, {
    app: 'dynamodb-stream',
    appDir: 'dynamodb-stream-app',
    arrivalsFile: 'dynamodb-stream-arrivals.txt',
    envVar: 'NIMBUS_BENCH_STREAM_OUT',
    deployLog: 'dynamodb-stream-deploy.log',
    what: 'the stream app',
    deploying: 'dynamodb stream: deploying bench/apps/dynamodb-stream ...',
  });
  if (app.reason !== undefined || !nimbus) return na(app.reason ?? 'Nimbus is not running');
  const { outFile, deployMs } = app;
  /** @type {string[]} */
  let warnings = [];
  try {
    warnings = JSON.parse(app.stdout).warnings ?? [];
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
  sb.arrivalNotes('DynamoDB stream', r, quiet, ['writes', 'write'], o.notes);
  return { ...r, deployMs, quietBefore: quiet };
}

module.exports = { measureDynamo, OPS, OP_LABELS, TARGET_LABELS, RAW_TARGETS, SDK_TARGETS };
