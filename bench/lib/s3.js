// @ts-check
'use strict';
/**
 * `--measure=s3`: Nimbus' S3 service against s3rver (npm), in the same run:
 *
 *   1. server-side: pools of pre-signed raw requests replayed by wrk
 *      (bench/lib/dynamodb-wrk.lua replays any pool) at `--s3-connections`
 *      (32): PutObject of 4 KB with distinct keys, GetObject of 4 KB over
 *      loaded keys; after each run, a sample of the uploads wrk sent is read
 *      back byte for byte;
 *   2. SDK-driven: the same through @aws-sdk/client-s3 from a Node load
 *      generator (bench/lib/s3-load.js), against Nimbus, s3rver and a
 *      canned-answer server (bench/targets/s3-canned.js: the SDK client's own
 *      ceiling);
 *   3. large objects: one PutObject of a `--s3-large-mib` (256) MiB file (a
 *      read stream with ContentLength: one request) and one GetObject streamed
 *      and compared with the file as it arrives, MiB/s of each, with the
 *      server's RSS sampled every 50 ms; beside `cp` of the same file on the
 *      same disk followed by `sync` of the copy (the physical reference) and a
 *      Node stream copy with fsync (what Node moves through user space);
 *   4. upload -> function latency: bench/apps/s3-upload (a function with an
 *      `s3` event) deployed to the same Nimbus with `nimbus deploy`; paced
 *      uploads carrying their send time, joined with the function's lines;
 *   5. durability: uploads at full speed, Nimbus killed with SIGKILL in the
 *      middle, restarted on the same data directory, every acknowledged
 *      upload read back.
 *
 * Targets are started once and stay up; measured runs are interleaved round by
 * round (op by op, target by target), each (op, target)'s median run by req/s
 * is reported. A target whose setup fails shows its error in its column and
 * the rest runs.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { stopGroup, runAsync, sleep, snapshotMemory, memoryOf } = require('./proc');
const { waitQuiet } = require('./cpu');
const { readPool } = require('./signed-requests');
const { PEERS_DIR } = require('./setup');
const { writeLargeFile } = require('./s3-load');
const sb = require('./service-bench');
const s3 = require('./s3-requests');

const NODE = process.execPath;
const LOADGEN = path.join(__dirname, 's3-load.js');
const BUCKET = 'nimbus-bench';
const UPLOAD_BUCKET = 'nimbus-bench-uploads';
const OBJECT_SIZE = 4096;
const GET_PREFIX = 'load';
const MiB = 1 << 20;
/** The keys s3rver accepts (lib/models/account.js: one hard-coded key pair; it does not verify V4 signatures). */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const NIMBUS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const OPS = /** @type {const} */ (['put', 'get']);
const OP_LABELS = { put: 'PutObject (4 KB, distinct keys)', get: 'GetObject (4 KB)' };
const TARGET_LABELS = /** @type {Record<string, string>} */ ({
  nimbus: 'Nimbus',
  s3rver: 's3rver (files, no fsync)',
  canned: "canned answers (the SDK client's ceiling)",
});
const RAW_TARGETS = /** @type {const} */ (['nimbus', 's3rver']);
const SDK_TARGETS = /** @type {const} */ (['nimbus', 's3rver', 'canned']);
/** The names service-bench.js's shared steps report with. */
const SERVICE = { service: 'S3', ops: OPS, opLabels: OP_LABELS, targetLabels: TARGET_LABELS };
/** Large-object runs: target and the SDK's checksum setting. */
const LARGE_RUNS = /** @type {const} */ ([
  { id: 'nimbus-default', target: 'nimbus', checksums: 'default', label: 'Nimbus, SDK defaults (aws-chunked upload with a CRC32 trailer, CRC32 validated on download)' },
  { id: 'nimbus-plain', target: 'nimbus', checksums: 'when-required', label: 'Nimbus, checksums only when required (plain body, UNSIGNED-PAYLOAD)' },
  { id: 's3rver-plain', target: 's3rver', checksums: 'when-required', label: 's3rver, checksums only when required (plain body, UNSIGNED-PAYLOAD)' },
  { id: 'cp', target: null, checksums: null, label: '`cp` of the file, then `sync` of the copy (the physical reference)' },
  { id: 'node-copy', target: null, checksums: null, label: 'Node stream copy (read stream piped to a write stream, then fsync): what one Node process moves through user space' },
]);
/** The reference copies, each run as its own process: `$1` source, `$2` destination; the copy is on the disk when it exits. */
const COPY_COMMANDS = {
  // `sync FILE` (coreutils >= 8.24) fsyncs that one file.
  cp: ['sh', ['-c', 'cp -- "$1" "$2" && sync -- "$2"', 'sh']],
  'node-copy': [
    NODE,
    [
      '-e',
      "const fs=require('node:fs');const {pipeline}=require('node:stream/promises');const [s,d]=process.argv.slice(1);" +
        "pipeline(fs.createReadStream(s,{highWaterMark:1<<20}),fs.createWriteStream(d)).then(()=>{const fd=fs.openSync(d,'r+');fs.fsyncSync(fd);fs.closeSync(fd);})" +
        '.catch((e)=>{console.error(e);process.exit(1);});',
    ],
  ],
};

/**
 * @typedef {{ id: string, label: string, endpoint: string, pid: number, port: number, credentials: { accessKeyId: string, secretAccessKey: string }, stop: () => Promise<void>, server: import('./proc').Server, extra?: Record<string, any> }} Target
 * @typedef {{ file: string, reqs: import('./s3-requests').S3Request[], signedAt: number, count: number, start: number, error?: string }} Pool
 */

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

/** @param {Target} t */
const clientOf = (t) => ({ endpoint: t.endpoint, ...t.credentials });

/**
 * s3rver in its own process, on a temp directory.
 * @param {string} tmp
 * @returns {Promise<Target>}
 */
async function startS3rver(tmp) {
  const cli = path.join(PEERS_DIR, 'node_modules', 's3rver', 'bin', 's3rver.js');
  if (!fs.existsSync(cli)) throw new Error('s3rver is not installed in bench/peers (`npm ci --prefix bench/peers`)');
  const dataDir = fs.mkdtempSync(path.join(tmp, 's3rver-data-'));
  // --silent: s3rver logs every request through winston otherwise.
  const { server, endpoint, port } = await sb.startNodeServer('s3rver', cli, (p) => ['--directory', dataDir, '--address', '127.0.0.1', '--port', String(p), '--silent'], tmp, 20_000);
  return {
    id: 's3rver',
    label: TARGET_LABELS.s3rver,
    endpoint,
    port,
    pid: server.pid,
    server,
    credentials: S3RVER_CREDENTIALS,
    stop: async () => {
      await stopGroup(server);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** @param {string} tmp @returns {Promise<Target>} */
async function startCanned(tmp) {
  const { server, endpoint, port } = await sb.startNodeServer('s3-canned', path.join(sb.ROOT, 'bench', 'targets', 's3-canned.js'), (p) => [String(p), String(OBJECT_SIZE)], tmp, 15_000);
  return { id: 'canned', label: TARGET_LABELS.canned, endpoint, port, pid: server.pid, server, credentials: NIMBUS_CREDENTIALS, stop: () => stopGroup(server) };
}

/**
 * Runs the Node load generator once; its JSON result.
 * @param {Record<string, any>} config
 * @param {number} timeoutMs
 */
const loadgen = (config, timeoutMs) => sb.runLoadgen(LOADGEN, `s3-load ${config.mode}`, config, timeoutMs);

/**
 * Sends requests `indexes` of a pool (the bytes wrk sends) with node:http and
 * tallies what came back (`200 ok` or what is wrong).
 * @param {Target} t
 * @param {Pool} pool
 * @param {number[]} indexes
 */
async function samplePool(t, pool, indexes) {
  const raws = readPool(pool.file);
  /** @type {Record<string, number>} */
  const counts = {};
  for (const i of indexes) {
    const r = await s3.sendRaw({ endpoint: t.endpoint }, raws[i]);
    const why = r.error ?? s3.checker(pool.reqs[i], OBJECT_SIZE)(r);
    const k = why ? why.slice(0, 200) : '200 ok';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/**
 * Reads objects back and compares them with what was uploaded.
 * @param {Target} t
 * @param {string[]} keys
 * @param {number} concurrency
 */
async function readBack(t, keys, concurrency) {
  /** @type {Record<string, number>} */
  const counts = {};
  const reqs = keys.map((k) => /** @type {import('./s3-requests').S3Request} */ ({ method: 'GET', path: `/${BUCKET}/${k}` }));
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const worker = async () => {
    while (next < reqs.length) {
      const r = reqs[next++];
      const res = await s3.call({ ...clientOf(t), agent }, r);
      const why = res.status === 404 ? 'missing (404)' : res.error ?? s3.checker(r, OBJECT_SIZE)(res);
      const k = why ? why.slice(0, 200) : '200 ok';
      counts[k] = (counts[k] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return counts;
}

/** n indexes spread evenly over [from, to). @param {number} from @param {number} to @param {number} n */
function spread(from, to, n) {
  const span = Math.max(0, to - from);
  const k = Math.min(n, span);
  return Array.from({ length: k }, (_, j) => from + Math.floor((j * span) / k));
}

/**
 * @param {{
 *   opts: any,
 *   tmp: string,
 *   tool: { kind: string, bin: string, version: string } | null,
 *   launcher: { kind: 'cli' | 'platform', script: string } | null,
 *   nimbusUnavailable: string | null,
 *   s3rverUnavailable?: string | null,
 *   startNimbus: () => Promise<import('./targets').Running>,
 *   restartNimbus: (dataDir: string) => Promise<import('./targets').Running>,
 *   say: (msg: string) => void,
 *   notes: string[],
 * }} o
 */
async function measureS3(o) {
  const { opts, tmp, say, notes } = o;
  const c = opts.s3Options;
  const useWrk = o.tool?.kind === 'wrk';
  /** @type {Record<string, any>} */
  const out = {
    status: 'ok',
    bucket: BUCKET,
    objectSize: OBJECT_SIZE,
    connections: c.connections,
    durationS: c.durationS,
    warmupS: c.warmupS,
    repeat: c.repeat,
    pools: { put: c.putPool, getKeys: c.getKeys },
    serverSideTool: sb.serverSideTool(o.tool, useWrk, 'bench/lib/s3-load.js'),
    targets: /** @type {Record<string, any>} */ ({}),
    serverSide: /** @type {Record<string, Record<string, any>>} */ ({}),
    sdk: /** @type {Record<string, Record<string, any>>} */ ({}),
    large: /** @type {Record<string, any>} */ ({ status: 'skipped', reason: 'not run' }),
    uploads: /** @type {Record<string, any>} */ ({ status: 'skipped', reason: 'not run' }),
    durability: /** @type {Record<string, any>} */ ({ status: 'skipped', reason: 'not run' }),
  };
  if (!useWrk) notes.push(sb.noWrkNote('S3'));
  /** @type {Map<string, Target>} */
  const live = new Map();
  /** @type {import('./targets').Running | null} */
  let restarted = null;
  const waitQuietS = Math.min(opts.waitQuietS, 3);
  try {
    // ---------------------------------------------------------- start the targets
    const starters = /** @type {Record<string, () => Promise<Target>>} */ ({
      nimbus: async () => {
        if (o.nimbusUnavailable) throw new Error(o.nimbusUnavailable);
        const r = await o.startNimbus();
        return { id: 'nimbus', label: TARGET_LABELS.nimbus, endpoint: `http://127.0.0.1:${r.extra.awsPort}`, port: r.extra.awsPort, pid: r.server.pid, server: r.server, credentials: NIMBUS_CREDENTIALS, stop: r.stop, extra: r.extra };
      },
      s3rver: () => (o.s3rverUnavailable ? Promise.reject(new Error(o.s3rverUnavailable)) : startS3rver(tmp)),
      canned: () => startCanned(tmp),
    });
    await sb.startTargets('S3', TARGET_LABELS, starters, live, out.targets, o);

    // ---------------------------------------------------------- bucket, objects, GET pools
    const loadSet = s3.putPool(BUCKET, GET_PREFIX, c.getKeys, OBJECT_SIZE);
    const getSet = s3.getPool(BUCKET, GET_PREFIX, c.getKeys);
    /** @type {Record<string, Record<string, Pool>>} */
    const pools = {};
    for (const id of SDK_TARGETS) {
      const t = live.get(id);
      if (!t || id === 'canned') continue;
      try {
        say(`s3: ${t.label}: CreateBucket, uploading ${loadSet.length} objects of ${OBJECT_SIZE} bytes ...`);
        await s3.createBucket(clientOf(t), BUCKET);
        const l = await s3.sendAll(clientOf(t), loadSet, c.connections);
        if (l.failed) throw new Error(`loading objects: PUT ${l.failed.path} failed after ${l.ok} succeeded: ${l.failed.why}`);
        out.targets[id].loadMs = l.ms;
        out.targets[id].loaded = l.ok;
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        say(`  ${t.label}: ${msg}`);
        out.targets[id] = { ...out.targets[id], status: 'failed', reason: msg.split('\n')[0] };
        notes.push(`S3, ${t.label}: setup failed: ${msg}`);
        continue;
      }
      const file = path.join(tmp, `s3-${id}-get.pool`);
      const w = s3.writePool(file, s3.signerOf(clientOf(t)), getSet);
      /** @type {Pool} */
      const pool = { file, reqs: getSet, signedAt: w.signedAt, count: w.count, start: 0 };
      // The first requests of the pool, as wrk will send them: an operation
      // the target does not answer correctly is reported, not measured.
      const sample = await samplePool(t, pool, [0, 1, 2]);
      const bad = Object.keys(sample).filter((k) => k !== '200 ok');
      if (bad.length) {
        pool.error = bad[0];
        say(`  ${t.label}: GetObject is not answered correctly: ${bad[0]}`);
      }
      pools[id] = { get: pool };
    }
    const targetOk = (/** @type {string} */ id) => live.has(id) && out.targets[id]?.status === 'ok';

    /**
     * The PutObject pool of one (target, round): distinct keys `put-r<round>-N`,
     * signed now. The warm-up replays it from the start, the measured run
     * from the middle, so neither repeats a key unless a run sends more than
     * half the pool (counted as `repeatedKeys`).
     * @param {Target} t @param {number} round
     * @returns {Promise<Pool>}
     */
    const putPoolFor = async (t, round) => {
      const reqs = s3.putPool(BUCKET, `put-r${round}`, c.putPool, OBJECT_SIZE);
      const file = path.join(tmp, `s3-${t.id}-put.pool`);
      const w = s3.writePool(file, s3.signerOf(clientOf(t)), reqs);
      /** @type {Pool} */
      const pool = { file, reqs, signedAt: w.signedAt, count: w.count, start: Math.floor(c.putPool / 2) };
      // The pool's last requests (no run gets that far), as wrk sends them.
      const sample = await samplePool(t, pool, [c.putPool - 1, c.putPool - 2, c.putPool - 3]);
      const bad = Object.keys(sample).filter((k) => k !== '200 ok');
      if (bad.length) pool.error = bad[0];
      return pool;
    };
    /** Re-signs the GET pool when it nears the end of SigV4's 15-minute window. @param {Target} t */
    const freshGetPool = (t) => {
      const p = pools[t.id].get;
      if (Date.now() - p.signedAt < 10 * 60_000) return p;
      const w = s3.writePool(p.file, s3.signerOf(clientOf(t)), p.reqs);
      p.signedAt = w.signedAt;
      return p;
    };

    // ---------------------------------------------------------- 1. server-side
    /** @type {Record<string, Record<string, any[]>>} */
    const rawRuns = {};
    /** @type {Record<string, Record<string, string>>} */
    const rawFailed = {};
    /** @type {Record<string, Record<string, Pool>>} */
    const lastPool = {};
    for (let round = 0; round < c.repeat; round++) {
      for (const op of OPS) {
        for (const id of RAW_TARGETS) {
          const t = live.get(id);
          if (!t || !targetOk(id) || !pools[id] || rawFailed[op]?.[id]) continue;
          if (op === 'get' && pools[id].get.error) {
            (rawFailed.get ??= {})[id] = `GetObject is not answered correctly: ${pools[id].get.error}`;
            continue;
          }
          try {
            sb.assertRunning(t);
            const pool = op === 'put' ? await putPoolFor(t, round) : freshGetPool(t);
            (lastPool[op] ??= {})[id] = pool;
            if (pool.error) throw new Error(`PutObject is not answered correctly: ${pool.error}`);
            const run = async (/** @type {number} */ durationS, /** @type {boolean} */ isMeasured) => {
              // The warm-up starts at the pool's beginning, the measured run at `pool.start`.
              const start = isMeasured ? pool.start : 0;
              if (useWrk && o.tool) return sb.wrkRun(o.tool, { connections: c.connections, durationS, endpoint: t.endpoint, poolFile: pool.file, start }, isMeasured);
              // The Node replayer starts at the pool's beginning: write a pool
              // file that starts at `start` for it.
              const file = `${pool.file}.${start}`;
              fs.writeFileSync(file, Buffer.concat(readPool(pool.file).slice(start).flatMap((raw) => [Buffer.from(`${raw.length}\n`), raw])));
              try {
                const r = await loadgen({ mode: 'raw', endpoint: t.endpoint, bucket: BUCKET, poolFile: file, op, objectSize: OBJECT_SIZE, connections: c.connections, warmupS: 0, durationS }, (durationS + 60) * 1000);
                return isMeasured ? sb.replayAsWrk(r) : null;
              } finally {
                fs.rmSync(file, { force: true });
              }
            };
            const { load, rec } = await sb.measureRawRun(t, c, waitQuietS, run);
            if (op === 'put') {
              // wrk sends the pool in order from `start` (wrapping around) and
              // counts the answers it got. It calls request() once before the
              // run to check what it returns (wrk.c, script_verify_request), so
              // request `start` itself is never sent; and the last few dozen
              // sent may have been cut off when the run ended. The read-back
              // sample stays clear of both ends.
              rec.repeatedKeys = Math.max(0, load.requests + 1 - (c.putPool - pool.start));
              // Uploads of the measured window, read back byte for byte (wrk only sees status codes).
              const keys = spread(1, Math.min(load.requests, c.putPool) - 2 * c.connections, 20).map((k) => s3.objectKey(`put-r${round}`, (pool.start + k) % c.putPool));
              rec.readBack = await readBack(t, keys, 4);
            }
            if (sb.rawErrors(load)) rec.errorSample = await samplePool(t, pool, spread(op === 'put' ? pool.start : 0, pool.count, 20));
            ((rawRuns[op] ??= {})[id] ??= []).push(rec);
            say(sb.rawRunLine('s3', c.repeat, round, op, t.label, rec));
          } catch (e) {
            const msg = /** @type {Error} */ (e).message;
            (rawFailed[op] ??= {})[id] = msg;
            say(`  s3 raw ${op} ${t.label} failed: ${msg.split('\n')[0]}`);
            notes.push(`S3 server-side ${OP_LABELS[op]}, ${t.label}: failed: ${msg}`);
          } finally {
            // A PUT pool is 10x the size of its uploads' bodies; the next round signs its own.
            if (op === 'put') fs.rmSync(path.join(tmp, `s3-${id}-put.pool`), { force: true });
          }
        }
      }
    }
    for (const op of OPS) {
      out.serverSide[op] = {};
      for (const id of RAW_TARGETS) {
        const list = rawRuns[op]?.[id] ?? [];
        if (!list.length) {
          const why = !targetOk(id) ? out.targets[id]?.reason ?? 'not started' : rawFailed[op]?.[id] ?? 'not run';
          out.serverSide[op][id] = { status: 'failed', reason: String(why).split('\n')[0] };
          continue;
        }
        /** @type {Record<string, any>} */
        const entry = { status: 'ok', median: sb.medianByRps(list), runs: list };
        const t = /** @type {Target} */ (live.get(id));
        if (op === 'get') {
          // Answers checked again after the load (wrk sees only status codes).
          entry.checkAfter = await samplePool(t, pools[id].get, spread(0, c.getKeys, 5));
        }
        out.serverSide[op][id] = entry;
        const errNote = sb.rawErrorsNote(`S3 server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}`, list);
        if (errNote) notes.push(errNote);
        const badAfter = [
          ...Object.entries(entry.checkAfter ?? {}),
          ...list.flatMap((x) => Object.entries(x.readBack ?? {})),
        ].filter(([k]) => k !== '200 ok');
        if (badAfter.length) notes.push(`S3 server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: reading back after the load got ${sb.countsText(badAfter)}.`);
        const repeated = list.reduce((n, x) => n + (x.repeatedKeys ?? 0), 0);
        if (repeated) notes.push(`S3 server-side ${OP_LABELS[op]}, ${TARGET_LABELS[id]}: ${repeated} uploads went to keys already written in that round (a run sent more than half of the ${c.putPool} pre-signed uploads; raise --s3-put-pool).`);
      }
      const n = out.serverSide[op].nimbus;
      const x = out.serverSide[op].s3rver;
      if (n?.status === 'ok' && x?.status === 'ok') out.serverSide[op]['ratio/s3rver'] = sb.ratioOf(n.median.rps, x.median.rps);
    }

    // ---------------------------------------------------------- 2. SDK-driven
    // As in the DynamoDB bench (service-bench.js's sdkRounds).
    const { sdkRuns, sdkFailed } = await sb.sdkRounds({
      ...SERVICE,
      c,
      live,
      say,
      notes,
      up: (failed) =>
        SDK_TARGETS.filter((id) => targetOk(id)).map((id) => {
          const t = /** @type {Target} */ (live.get(id));
          return { id, endpoint: t.endpoint, credentials: t.credentials, serverPid: t.pid, skip: OPS.filter((op) => failed[op]?.[id]) };
        }),
      loadgen: (targets, firstWarmupS, timeoutMs) =>
        loadgen(
          { mode: 'sdk', ops: OPS, targets, bucket: BUCKET, connections: c.connections, firstWarmupS, warmupS: c.warmupS, durationS: c.durationS, objectSize: OBJECT_SIZE, getPrefix: GET_PREFIX, getKeys: c.getKeys },
          timeoutMs,
        ),
    });
    for (const op of OPS) {
      out.sdk[op] = sb.summariseSdk({
        ...SERVICE,
        op,
        ids: SDK_TARGETS,
        compared: ['nimbus', 's3rver'],
        runs: sdkRuns,
        failed: sdkFailed,
        targets: out.targets,
        notes,
      });
    }
    out.noisyRuns = sb.noisyRuns('S3', OPS, out.serverSide, out.sdk, notes);

    // ---------------------------------------------------------- 3. large objects
    out.large = await measureLarge(o, live, targetOk);

    // ---------------------------------------------------------- 4. upload -> function
    const nimbus = live.get('nimbus') ?? null;
    out.uploads = await measureUploads(o, nimbus, out.targets.nimbus);

    // ---------------------------------------------------------- 5. durability after kill -9
    const d = await measureDurability(o, nimbus, out.targets.nimbus);
    out.durability = d.result;
    restarted = d.restarted;
  } catch (e) {
    const msg = /** @type {Error} */ (e).message;
    say(`  s3 failed: ${msg}`);
    out.status = 'failed';
    out.reason = msg.split('\n')[0];
    notes.push(`S3 measurement failed: ${msg}`);
  } finally {
    // The restarted Nimbus uses the first one's data directory, which the
    // first one's stop() removes: stop it first.
    await restarted?.stop();
    for (const t of live.values()) await t.stop();
    for (const f of fs.readdirSync(tmp)) if (/^s3-.*\.pool$|^s3-large/.test(f)) fs.rmSync(path.join(tmp, f), { force: true });
    await sleep(300);
  }
  return out;
}

/**
 * RSS of one process sampled every `everyMs` (VmRSS from /proc), with times.
 * @param {number} pid
 * @param {number} [everyMs]
 */
function sampleRss(pid, everyMs = 50) {
  /** @type {{ at: number, kib: number }[]} */
  const samples = [];
  const take = () => {
    const m = memoryOf(pid).rssKiB;
    if (m !== null) samples.push({ at: Date.now(), kib: m });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * Peak RSS inside [from, to] and the last reading before `from`, in MiB.
 * @param {{ at: number, kib: number }[]} samples
 * @param {number} from
 * @param {number} to
 */
function rssDuring(samples, from, to) {
  const before = samples.filter((s) => s.at <= from).pop() ?? samples[0];
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  const peak = Math.max(before?.kib ?? 0, ...inside.map((s) => s.kib));
  const r = (/** @type {number} */ kib) => Math.round((kib / 1024) * 10) / 10;
  return { beforeMiB: before ? r(before.kib) : null, peakMiB: r(peak), growthMiB: before ? r(peak - before.kib) : null, samples: inside.length };
}

/**
 * Large objects: one upload and one download of the same file per run, on
 * each target, beside `cp` + `sync` of the file; rounds interleaved.
 * @param {Parameters<typeof measureS3>[0]} o
 * @param {Map<string, Target>} live
 * @param {(id: string) => boolean} targetOk
 */
async function measureLarge(o, live, targetOk) {
  const c = o.opts.s3Options;
  const size = c.largeMiB * MiB;
  const file = path.join(o.tmp, 's3-large-source.bin');
  o.say(`s3 large: writing a ${c.largeMiB} MiB file ...`);
  const md5 = writeLargeFile(file, size);
  /** @type {Record<string, any[]>} */
  const runs = {};
  /** @type {Record<string, string>} */
  const failed = {};
  /** Main process of each target (the one holding the listening socket). */
  /** @type {Record<string, number>} */
  const mainPid = {};
  for (const id of ['nimbus', 's3rver']) {
    const t = live.get(id);
    if (t && targetOk(id)) mainPid[id] = snapshotMemory(t.server, t.port).mainPid;
  }
  try {
    for (let round = 0; round < c.repeat; round++) {
      // Rotated from round to round, so no configuration always follows the same one.
      const order = LARGE_RUNS.map((_, i) => LARGE_RUNS[(i + round) % LARGE_RUNS.length]);
      for (const cfg of order) {
        if (failed[cfg.id]) continue;
        if (cfg.target === null) {
          const dest = path.join(o.tmp, 's3-large-copy.bin');
          fs.rmSync(dest, { force: true });
          const [cmd, args] = COPY_COMMANDS[/** @type {keyof typeof COPY_COMMANDS} */ (cfg.id)];
          const t0 = performance.now();
          // The copy is on the disk when the command exits, as an upload is when Nimbus answers it.
          const r = await runAsync(/** @type {string} */ (cmd), [.../** @type {string[]} */ (args), file, dest], { timeoutMs: 300_000 });
          const ms = performance.now() - t0;
          const copied = fs.existsSync(dest) ? fs.statSync(dest).size : 0;
          fs.rmSync(dest, { force: true });
          if (!r.ok || copied !== size) {
            failed[cfg.id] = `${cfg.id} failed (${r.error ?? `exit ${r.status}`}, ${copied} of ${size} bytes copied): ${r.stderr.trim().slice(0, 200)}`;
            continue;
          }
          const mibps = Math.round((c.largeMiB / (ms / 1000)) * 10) / 10;
          (runs[cfg.id] ??= []).push({ ms: Math.round(ms), mibps });
          o.say(`${c.repeat > 1 ? `round ${round + 1}/${c.repeat} ` : ''}s3 large ${cfg.id}: ${mibps} MiB/s`);
          continue;
        }
        const t = live.get(cfg.target);
        if (!t || !targetOk(cfg.target)) {
          failed[cfg.id] = `${TARGET_LABELS[cfg.target]} is not running`;
          continue;
        }
        const key = `large-${round}-${cfg.id}`;
        const sampler = mainPid[cfg.target] ? sampleRss(mainPid[cfg.target]) : null;
        let r;
        try {
          r = await loadgen({ mode: 'large', endpoint: t.endpoint, credentials: t.credentials, bucket: BUCKET, key, connections: 1, durationS: 0, file, fileSize: size, expectMd5: md5, checksums: cfg.checksums }, 600_000);
        } catch (e) {
          r = { status: 'failed', reason: /** @type {Error} */ (e).message.split('\n')[0] };
        }
        const samples = sampler ? sampler.stop() : [];
        if (r.status !== 'ok') {
          failed[cfg.id] = r.reason;
          o.say(`  s3 large ${cfg.label}: failed: ${r.reason}`);
          continue;
        }
        r.rssUp = rssDuring(samples, r.up.startAt, r.up.endAt);
        r.rssDown = rssDuring(samples, r.down.startAt, r.down.endAt);
        (runs[cfg.id] ??= []).push(r);
        o.say(
          `${c.repeat > 1 ? `round ${round + 1}/${c.repeat} ` : ''}s3 large ${cfg.id}: up ${r.up.mibps} MiB/s, down ${r.down.mibps} MiB/s; server RSS +${r.rssUp.growthMiB} / +${r.rssDown.growthMiB} MiB`,
        );
        // Free the disk for the next run (the store deletes the blob shortly after).
        await s3.call(clientOf(t), { method: 'DELETE', path: `/${BUCKET}/${key}` });
      }
    }
  } finally {
    fs.rmSync(file, { force: true });
  }
  /** @type {Record<string, any>} */
  const res = {};
  for (const cfg of LARGE_RUNS) {
    const list = runs[cfg.id] ?? [];
    if (!list.length) {
      res[cfg.id] = { label: cfg.label, status: 'failed', reason: failed[cfg.id] ?? 'not run' };
      continue;
    }
    if (cfg.target === null) {
      res[cfg.id] = { label: cfg.label, status: 'ok', mibps: median(list.map((x) => x.mibps)), runs: list };
      continue;
    }
    res[cfg.id] = {
      label: cfg.label,
      status: 'ok',
      target: cfg.target,
      checksums: cfg.checksums,
      upMiBps: median(list.map((x) => x.up.mibps)),
      downMiBps: median(list.map((x) => x.down.mibps)),
      rssBeforeMiB: median(list.map((x) => x.rssUp.beforeMiB)),
      rssGrowthUpMiB: Math.max(...list.map((x) => x.rssUp.growthMiB ?? 0)),
      rssGrowthDownMiB: Math.max(...list.map((x) => x.rssDown.growthMiB ?? 0)),
      rssPeakMiB: Math.max(...list.map((x) => Math.max(x.rssUp.peakMiB, x.rssDown.peakMiB))),
      runs: list,
    };
    if (failed[cfg.id]) o.notes.push(`S3 large objects, ${cfg.label}: a later run failed: ${failed[cfg.id]}`);
  }
  const cp = res.cp?.status === 'ok' ? res.cp.mibps : null;
  for (const cfg of LARGE_RUNS) {
    const r = res[cfg.id];
    if (cp && r.status === 'ok' && !cfg.target && cfg.id !== 'cp') r.ofCopy = Math.round((r.mibps / cp) * 1000) / 1000;
    if (cp && r.status === 'ok' && cfg.target) {
      r.upOfCopy = Math.round((r.upMiBps / cp) * 1000) / 1000;
      r.downOfCopy = Math.round((r.downMiBps / cp) * 1000) / 1000;
    }
  }
  return { status: 'ok', mib: c.largeMiB, md5, repeat: c.repeat, flatLimitMiB: Math.round(c.largeMiB / 8), runs: res };
}

/**
 * Deploys bench/apps/s3-upload to the running Nimbus and measures upload ->
 * function latency; "not available" with the reason when any step fails.
 * @param {Parameters<typeof measureS3>[0]} o
 * @param {Target | null} nimbus
 * @param {any} nimbusStatus
 */
async function measureUploads(o, nimbus, nimbusStatus) {
  const c = o.opts.s3Options;
  const na = (/** @type {string} */ reason) => {
    o.say(`s3 uploads: not available: ${reason}`);
    return { status: 'not available', reason };
  };
  const app = await sb.deployApp(o, nimbus, nimbusStatus, {
    app: 's3-upload',
    appDir: 's3-upload-app',
    arrivalsFile: 's3-upload-arrivals.txt',
    envVar: 'NIMBUS_BENCH_S3_OUT',
    deployLog: 's3-upload-deploy.log',
    what: 'the upload app',
    deploying: 's3 uploads: deploying bench/apps/s3-upload ...',
  });
  if (app.reason !== undefined || !nimbus) return na(app.reason ?? 'Nimbus is not running');
  const { outFile, deployMs } = app;
  const head = await s3.call(clientOf(nimbus), { method: 'HEAD', path: `/${UPLOAD_BUCKET}` });
  if (head.status !== 200) return na(`\`nimbus deploy\` succeeded but bucket ${UPLOAD_BUCKET} of the s3 event does not exist (HeadBucket: HTTP ${head.status})`);
  const quiet = await waitQuiet(Math.max(Math.min(o.opts.waitQuietS, 5), 3));
  let r;
  try {
    r = await loadgen(
      {
        mode: 'event',
        endpoint: nimbus.endpoint,
        credentials: nimbus.credentials,
        bucket: UPLOAD_BUCKET,
        connections: c.connections,
        durationS: c.uploadDurationS,
        rate: c.uploadRate,
        objectSize: OBJECT_SIZE,
        outFile,
        drainS: 20,
        warmItems: 3,
        idsFile: path.join(o.tmp, 's3-uploads.txt'),
      },
      (c.uploadDurationS + 120) * 1000,
    );
  } catch (e) {
    return na(/** @type {Error} */ (e).message.split('\n')[0]);
  }
  if (r.status !== 'ok') return na(r.reason);
  o.say(`s3 uploads: ${r.arrived} of ${r.acked} uploads reached the function; send -> function p50 ${r.sendToFunction.p50Ms} ms, p99 ${r.sendToFunction.p99Ms} ms, max ${r.sendToFunction.maxMs} ms`);
  sb.arrivalNotes('S3 uploads', r, quiet, ['uploads', 'upload'], o.notes);
  return { ...r, deployMs, quietBefore: quiet };
}

/**
 * Uploads at full speed, SIGKILL to Nimbus' process group after `killAfterMs`,
 * a new Nimbus on the same data directory, every acknowledged upload read back
 * byte for byte. The last step of the S3 run: the first Nimbus is gone after it.
 * @param {Parameters<typeof measureS3>[0]} o
 * @param {Target | null} nimbus
 * @param {any} nimbusStatus
 * @returns {Promise<{ result: Record<string, any>, restarted: import('./targets').Running | null }>}
 */
async function measureDurability(o, nimbus, nimbusStatus) {
  const c = o.opts.s3Options;
  const na = (/** @type {string} */ reason) => {
    o.say(`s3 durability: not available: ${reason}`);
    return { result: { status: 'not available', reason }, restarted: null };
  };
  if (!nimbus || nimbusStatus?.status !== 'ok') return na(`Nimbus is not running (${nimbusStatus?.reason ?? 'not started'})`);
  if (nimbus.server.exitCode !== undefined) return na(`Nimbus exited (code ${nimbus.server.exitCode})`);
  const dataDir = nimbus.extra?.dataDir;
  if (!dataDir) return na('the data directory of the running Nimbus is unknown');
  const idsFile = path.join(o.tmp, 's3-crash-acked.txt');
  const prefix = `crash-${Date.now().toString(36)}`;
  o.say(`s3 durability: uploading at full speed, kill -9 of Nimbus after ${c.killAfterMs} ms ...`);
  const run = loadgen({ mode: 'crash', endpoint: nimbus.endpoint, credentials: nimbus.credentials, bucket: BUCKET, connections: c.connections, durationS: Math.ceil(c.killAfterMs / 1000) + 10, objectSize: OBJECT_SIZE, idsFile, keyPrefix: prefix }, 60_000);
  await sleep(c.killAfterMs);
  const killedAt = Date.now();
  try {
    process.kill(-nimbus.server.pid, 'SIGKILL');
  } catch (e) {
    await run.catch(() => null);
    return na(`could not kill Nimbus' process group: ${/** @type {Error} */ (e).message}`);
  }
  let r;
  try {
    r = await run;
  } catch (e) {
    return na(/** @type {Error} */ (e).message.split('\n')[0]);
  }
  await Promise.race([nimbus.server.exited, sleep(5000)]);
  const acked = fs.readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
  if (!acked.length) return na(`no upload was acknowledged in the ${c.killAfterMs} ms before the kill (${JSON.stringify(r.errorKinds).slice(0, 200)})`);
  o.say(`s3 durability: ${acked.length} uploads acknowledged before the kill; restarting Nimbus on the same data directory ...`);
  /** @type {import('./targets').Running} */
  let restarted;
  const t0 = Date.now();
  try {
    restarted = await o.restartNimbus(dataDir);
  } catch (e) {
    return na(`Nimbus did not restart on the data directory: ${/** @type {Error} */ (e).message.split('\n')[0]}`);
  }
  const restartMs = Date.now() - t0;
  /** @type {Target} */
  const t = { ...nimbus, endpoint: `http://127.0.0.1:${restarted.extra.awsPort}`, pid: restarted.server.pid, server: restarted.server, stop: restarted.stop };
  const counts = await readBack(t, acked, 8);
  const intact = counts['200 ok'] ?? 0;
  const lost = acked.length - intact;
  o.say(`s3 durability: ${intact} of ${acked.length} acknowledged uploads read back intact after the restart${lost ? ` (${lost} lost or wrong)` : ''}`);
  if (lost) o.notes.push(`S3 durability: ${lost} of ${acked.length} uploads acknowledged before kill -9 were not intact after the restart: ${sb.countsText(Object.entries(counts).filter(([k]) => k !== '200 ok'))}.`);
  return {
    result: { status: 'ok', killAfterMs: c.killAfterMs, killedAt, sent: r.sent, acked: acked.length, intact, lost, readBack: counts, restartMs, serverStopped: r.serverStopped },
    restarted,
  };
}

module.exports = { measureS3, OPS, OP_LABELS, TARGET_LABELS, RAW_TARGETS, SDK_TARGETS, LARGE_RUNS };
