#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * `npm run bench`: Nimbus against references in the same run, reported as ratios.
 *
 *   1. warm HTTP throughput and p50/p99 of a trivial handler through a bare
 *      node:http server (the reference), Nimbus, serverless-offline (default and
 *      --useInProcess) and, when installed, workerd — one load generator (wrk, else
 *      autocannon), each server in its own process;
 *   2. cold start: first request to each of N freshly deployed functions;
 *   3. memory: the server's main process and its child processes (Nimbus'
 *      instances) when idle and after the load;
 *   4. Nimbus' Lambda API: synchronous Invoke through @aws-sdk/client-lambda vs
 *      the HTTP gateway from the same Node load generator, and asynchronous
 *      (Event) acceptance rate and acceptance-to-start latency (bench/lib/lambda.js);
 *   5. (`--measure=dynamodb`, not in the default set) Nimbus' DynamoDB against
 *      dynalite: pre-signed raw requests from wrk, the same operations through
 *      @aws-sdk/lib-dynamodb next to a canned-answer ceiling, and write -> function
 *      latency through a table's stream (bench/lib/dynamodb.js);
 *   6. (`--measure=s3`, not in the default set) Nimbus' S3 against s3rver:
 *      pre-signed raw PutObject/GetObject from wrk, the same through
 *      @aws-sdk/client-s3 next to a canned-answer ceiling, MiB/s of a large
 *      object up and down beside `cp` + `sync`, upload -> function latency, and
 *      acknowledged uploads after kill -9 (bench/lib/s3.js).
 *
 * Plain JavaScript on purpose: the bench runs even while the TypeScript build is
 * broken (the references do not need Nimbus), and it can never break the build.
 * See docs/bench.md.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { sleep, get, snapshotMemory, tail, runAsync, runSync, waitReady } = require('./lib/proc');
const { runLoad, sampleNon2xx } = require('./lib/load');
const { startAccounting, waitQuiet } = require('./lib/cpu');
const { ensureLoadTool, ensurePeers, peerVersion, BENCH_DIR } = require('./lib/setup');
const { TARGETS, LABELS, nimbusLauncher, startBare, startNimbus, startOffline, startWorkerd, workerdBinary, workerdVersion, ROOT } = require('./lib/targets');
const { generateColdApp } = require('./lib/apps');
const { measureLambda } = require('./lib/lambda');
const { measureDynamo } = require('./lib/dynamodb');
const { measureS3 } = require('./lib/s3');
const { machineInfo, renderMarkdown, computeRatios, percentile } = require('./lib/report');

const USAGE = `usage: node bench/run.js [options]     (npm run bench -- [options])

  --quick               short durations for a smoke run (results go to bench/results/tmp/)
  --only=a,b            targets to run: ${TARGETS.join(', ')}
                        (aliases: offline = both serverless-offline modes, all)
  --skip=a,b            targets to leave out
  --measure=a,b         throughput (includes memory), cold, lambda, dynamodb, s3 (default: the
                        first three; lambda measures Nimbus only; dynamodb: Nimbus vs dynalite;
                        s3: Nimbus vs s3rver)
  --duration=S          seconds of measured load per run (default 10; quick 3)
  --warmup=S            seconds of warm-up load at the same concurrency (default 3; quick 1)
  --connections=N       concurrent connections (default 50)
  --repeat=N            measured rounds; targets are interleaved round by round and
                        each target's median run by req/s is reported (default 3; quick 1)
  --wait-quiet=S        before each measured run wait up to S s for the machine to be
                        quiet (< 0.25 cores busy) (default 15; quick 0; 0 = never)
  --cold-functions=N    functions in the cold-start app (default 40)
  --cold-gap=MS         pause before each first request in the cold-start pass (default 200)
  --event-rate=N        Event invocations per second for the Lambda latency run (default 200)
  --event-duration=S    seconds of each Lambda Event run (default 5; quick 2)
  --ddb-duration=S      seconds of each measured DynamoDB run (default 4; quick 2)
  --ddb-warmup=S        seconds of warm-up before each DynamoDB run (default 1)
  --ddb-repeat=N        DynamoDB rounds, interleaved; median run reported (default 3; quick 1)
  --ddb-connections=N   DynamoDB concurrency, raw and SDK (default 32)
  --ddb-put-pool=N      distinct pre-signed PutItems (default 30000; quick 10000)
  --stream-rate=N       PutItems per second in the stream latency run (default 100)
  --stream-duration=S   seconds of the stream latency run (default 5; quick 2)
  --s3-duration=S       seconds of each measured S3 run (default 4; quick 2)
  --s3-warmup=S         seconds of warm-up before each S3 run (default 1)
  --s3-repeat=N         S3 rounds, interleaved; median run reported (default 3; quick 1)
  --s3-connections=N    S3 concurrency, raw and SDK (default 32)
  --s3-put-pool=N       distinct pre-signed PutObjects per target and round (default 40000;
                        quick 16000; the measured run uses the second half)
  --s3-large-mib=N      size of the large object, MiB (default 256)
  --upload-rate=N       uploads per second in the upload -> function run (default 100)
  --upload-duration=S   seconds of the upload -> function run (default 5; quick 2)
  --nimbus=auto|cli|platform
                        start Nimbus with bin/nimbus.js (cli) or dist/src/platform.js
                        (platform); auto prefers the CLI when \`--help\` works
  --pool-size=N         Nimbus generic pool size (default: Nimbus' own)
  --load-tool=wrk|autocannon
                        load generator (default wrk, autocannon when wrk is missing)
  --no-install          never install wrk, autocannon or bench/peers
  --no-save             print only; write no results files
`;

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string | boolean>} */
  const a = {};
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    a[m[1]] = m[2] ?? true;
  }
  const known = ['quick', 'only', 'skip', 'measure', 'duration', 'warmup', 'connections', 'repeat', 'wait-quiet', 'cold-functions', 'cold-gap', 'event-rate', 'event-duration', 'ddb-duration', 'ddb-warmup', 'ddb-repeat', 'ddb-connections', 'ddb-put-pool', 'stream-rate', 'stream-duration', 's3-duration', 's3-warmup', 's3-repeat', 's3-connections', 's3-put-pool', 's3-large-mib', 'upload-rate', 'upload-duration', 'nimbus', 'pool-size', 'load-tool', 'no-install', 'no-save', 'help'];
  for (const k of Object.keys(a)) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);
  const quick = a.quick === true;
  const list = (/** @type {string | boolean | undefined} */ v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .flatMap((s) => (s === 'offline' ? ['sls-offline', 'sls-offline-inprocess'] : s === 'all' ? TARGETS : [s]))
      : null;
  const only = list(a.only);
  const skip = list(a.skip) ?? [];
  for (const t of [...(only ?? []), ...skip]) if (!TARGETS.includes(t)) throw new Error(`unknown target "${t}" (known: ${TARGETS.join(', ')}, offline, all)`);
  const measure = list(a.measure) ?? ['throughput', 'cold', 'lambda'];
  for (const m of measure) if (!['throughput', 'cold', 'memory', 'lambda', 'dynamodb', 's3'].includes(m)) throw new Error(`unknown measurement "${m}" (throughput, cold, lambda, dynamodb, s3)`);
  const n = (/** @type {string} */ k, /** @type {number} */ d, min = 1) => {
    const v = a[k];
    if (v === undefined) return d;
    const x = Number(v);
    if (!Number.isFinite(x) || x < min) throw new Error(`--${k} must be a number >= ${min}`);
    return x;
  };
  const nimbus = typeof a.nimbus === 'string' ? a.nimbus : 'auto';
  if (!['auto', 'cli', 'platform'].includes(nimbus)) throw new Error('--nimbus must be auto, cli or platform');
  const loadTool = typeof a['load-tool'] === 'string' ? a['load-tool'] : 'wrk';
  if (!['wrk', 'autocannon'].includes(loadTool)) throw new Error('--load-tool must be wrk or autocannon');
  return {
    help: a.help === true,
    loadTool,
    quick,
    targets: TARGETS.filter((t) => (only ? only.includes(t) : true) && !skip.includes(t)),
    throughput: measure.includes('throughput') || measure.includes('memory'),
    cold: measure.includes('cold'),
    lambda: measure.includes('lambda'),
    dynamodb: measure.includes('dynamodb'),
    s3: measure.includes('s3'),
    durationS: n('duration', quick ? 3 : 10),
    warmupS: n('warmup', quick ? 1 : 3, 0),
    connections: n('connections', 50),
    repeat: Math.floor(n('repeat', quick ? 1 : 3)),
    waitQuietS: n('wait-quiet', quick ? 0 : 15, 0),
    coldFunctions: Math.floor(n('cold-functions', 40)),
    coldGapMs: Math.floor(n('cold-gap', 200)),
    eventRate: n('event-rate', 200),
    eventDurationS: n('event-duration', quick ? 2 : 5),
    ddb: {
      durationS: Math.round(n('ddb-duration', quick ? 2 : 4)),
      // whole seconds: wrk takes no fractions
      warmupS: Math.round(n('ddb-warmup', 1, 0)),
      repeat: Math.floor(n('ddb-repeat', quick ? 1 : 3)),
      connections: Math.floor(n('ddb-connections', 32)),
      putPool: Math.floor(n('ddb-put-pool', quick ? 10_000 : 30_000, 100)),
      // the GetItem keys are the first PutItems of the pool, loaded before measuring
      getKeys: Math.min(quick ? 2000 : 5000, Math.floor(n('ddb-put-pool', quick ? 10_000 : 30_000, 100))),
      txPool: quick ? 1000 : 3000,
      streamRate: n('stream-rate', 100),
      streamDurationS: n('stream-duration', quick ? 2 : 5),
    },
    s3Options: {
      durationS: Math.round(n('s3-duration', quick ? 2 : 4)),
      // whole seconds: wrk takes no fractions
      warmupS: Math.round(n('s3-warmup', 1, 0)),
      repeat: Math.floor(n('s3-repeat', quick ? 1 : 3)),
      connections: Math.floor(n('s3-connections', 32)),
      putPool: Math.floor(n('s3-put-pool', quick ? 16_000 : 40_000, 1000)),
      // GetObject reads these, uploaded before measuring
      getKeys: quick ? 2000 : 5000,
      largeMiB: Math.floor(n('s3-large-mib', 256)),
      uploadRate: n('upload-rate', 100),
      uploadDurationS: n('upload-duration', quick ? 2 : 5),
      // uploads at full speed for this long before Nimbus is killed (durability check)
      killAfterMs: 1500,
    },
    nimbus,
    poolSize: a['pool-size'] === undefined ? undefined : n('pool-size', 0, 0),
    install: a['no-install'] !== true,
    save: a['no-save'] !== true,
  };
}

/** @param {string} msg */
function say(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/** @param {Date} d 20261126T193000Z (ISO 8601 basic format: no colons in file names) */
function stamp(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Keeps the newest `keep` run directories under bench/results/tmp (logs of a
 * full run are tens of MB: Nimbus and serverless-offline log every request).
 * @param {string} root
 * @param {number} keep
 */
function pruneTmp(root, keep) {
  let dirs = [];
  try {
    dirs = fs.readdirSync(root).filter((d) => /^\d{8}T\d{6}Z$/.test(d)).sort();
  } catch {
    return;
  }
  for (const d of dirs.slice(0, Math.max(0, dirs.length - keep))) fs.rmSync(path.join(root, d), { recursive: true, force: true });
}

/**
 * JSON with 2-space indentation, except that objects and arrays holding only
 * scalars go on one line (a cold-start sample, a CPU reading): small and still
 * diff-friendly.
 * @param {unknown} value
 */
function compactJson(value) {
  return JSON.stringify(value, null, 2).replace(/([{[])\n\s+([^{}[\]]*?)\n\s*([}\]])/g, (_, open, body, close) => `${open}${body.replace(/\n\s*/g, ' ')}${close}`);
}

/** The commit Nimbus was measured at, and whether src/ had uncommitted changes. */
function nimbusRevision() {
  const rev = runSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, timeoutMs: 10_000 });
  if (!rev.ok) return null;
  const dirty = runSync('git', ['status', '--porcelain', '--', 'src', 'bin'], { cwd: ROOT, timeoutMs: 10_000 });
  return `${rev.stdout.trim()}${dirty.ok && dirty.stdout.trim() ? ' + uncommitted changes in src/' : ''}`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  const started = new Date();
  const tmpRoot = path.join(BENCH_DIR, 'results', 'tmp');
  pruneTmp(tmpRoot, 2);
  const tmp = path.join(tmpRoot, stamp(started));
  fs.mkdirSync(tmp, { recursive: true });
  const trivialDir = path.join(BENCH_DIR, 'apps', 'trivial');
  const readyPath = '/hello';

  /** @type {string[]} */
  const notes = [];
  const results = {
    schema: 1,
    startedAt: started.toISOString(),
    finishedAt: '',
    command: ['node bench/run.js', ...process.argv.slice(2)].join(' '),
    options: { ...opts, targets: opts.targets },
    machine: machineInfo(),
    tools: /** @type {Record<string, string | null>} */ ({}),
    /** @type {Record<string, any>} */
    throughput: {},
    /** @type {Record<string, any>} */
    ratios: {},
    /** @type {Record<string, any>} */
    cold: {},
    /** @type {Record<string, any> | null} */
    lambda: null,
    /** @type {Record<string, any> | null} */
    dynamodb: null,
    /** @type {Record<string, any> | null} */
    s3: null,
    notes,
  };

  // ------------------------------------------------------------------ setup
  const tool = opts.throughput || opts.dynamodb || opts.s3 ? ensureLoadTool({ install: opts.install, prefer: opts.loadTool }) : null;
  results.tools.load = tool ? `${tool.kind} ${tool.version}` : null;
  const needsPeers = opts.targets.some((t) => t.startsWith('sls-offline') || t === 'workerd');
  const peersError = needsPeers ? ensurePeers({ install: opts.install }) : null;
  if (peersError) say(peersError);
  const dynaliteError = opts.dynamodb ? ensurePeers({ install: opts.install, packages: ['dynalite'] }) : null;
  if (dynaliteError) say(dynaliteError);
  const s3rverError = opts.s3 ? ensurePeers({ install: opts.install, packages: ['s3rver'] }) : null;
  if (s3rverError) say(s3rverError);
  results.tools.serverless = peerVersion('serverless');
  results.tools.serverlessOffline = peerVersion('serverless-offline');
  results.tools.workerd = opts.targets.includes('workerd') ? workerdVersion() : null;
  results.tools.dynalite = opts.dynamodb ? peerVersion('dynalite') : null;
  results.tools.s3rver = opts.s3 ? peerVersion('s3rver') : null;

  results.tools.nimbus = nimbusRevision();

  /** @type {ReturnType<typeof nimbusLauncher> | null} */
  let launcher = null;
  if (opts.targets.includes('nimbus')) {
    launcher = nimbusLauncher(opts.nimbus);
    if ('error' in launcher) {
      say(`Nimbus is not runnable: ${launcher.error}`);
      notes.push(`Nimbus skipped: ${launcher.error}`);
    } else {
      say(`Nimbus: ${launcher.note}`);
      notes.push(`Nimbus ${launcher.note}.`);
      results.tools.nimbusLauncher = launcher.kind;
    }
  }

  /** @param {string} id @returns {string | null} why the target cannot run */
  const unavailable = (id) => {
    if (id === 'nimbus') return launcher && 'error' in launcher ? launcher.error : null;
    if (id.startsWith('sls-offline')) return peersError;
    if (id === 'workerd') return peersError ?? (workerdBinary() ? null : 'workerd is not installed in bench/peers (optional dependency)');
    return null;
  };

  /** @param {string} id */
  const start = (id, appDir = trivialDir, rp = readyPath, name = id) => {
    if (id === 'bare') return startBare({ tmp, handlerFile: path.join(appDir, 'handler.js'), readyPath: rp });
    if (id === 'nimbus') {
      if (!launcher || 'error' in launcher) throw new Error('Nimbus is not runnable');
      return startNimbus({ tmp, appDir, readyPath: rp, launcher, poolSize: opts.poolSize, name });
    }
    if (id === 'sls-offline' || id === 'sls-offline-inprocess') return startOffline({ tmp, appDir, readyPath: rp, inProcess: id === 'sls-offline-inprocess', name });
    if (id === 'workerd') return startWorkerd({ tmp, readyPath: rp });
    throw new Error(`unknown target ${id}`);
  };

  // ------------------------------------------------------------------ 1. warm throughput (+ memory)
  // Every target is started first and stays up (idle) while the others are
  // measured; the measured runs are interleaved round by round (bare, nimbus,
  // sls-offline, ..., then again), so background load that comes and goes on a
  // shared machine hits all targets alike and the ratios stay meaningful.
  if (opts.throughput && tool) {
    /** @type {Map<string, import('./lib/targets').Running>} */
    const live = new Map();
    /** @type {Map<string, any[]>} */
    const runsOf = new Map();
    const fail = (/** @type {string} */ id, /** @type {string} */ what, /** @type {unknown} */ e) => {
      const msg = /** @type {Error} */ (e).message;
      say(`  ${LABELS[id]} failed: ${msg}`);
      results.throughput[id] = { label: LABELS[id], status: 'failed', reason: `${what}: ${msg.split('\n')[0]}` };
      notes.push(`${LABELS[id]} failed (${what}): ${msg}`);
    };
    try {
      for (const id of opts.targets) {
        const why = unavailable(id);
        if (why) {
          results.throughput[id] = { label: LABELS[id], status: 'skipped', reason: why };
          continue;
        }
        say(`starting ${LABELS[id]} ...`);
        try {
          const running = await start(id);
          live.set(id, running);
          const check = await get(running.baseUrl + readyPath);
          if (check.status !== 200 || check.body !== 'ok') throw new Error(`GET ${readyPath} answered ${check.status} ${JSON.stringify(check.body.slice(0, 200))}, expected 200 "ok"`);
          say(`  ready in ${running.startupMs} ms`);
        } catch (e) {
          await live.get(id)?.stop();
          live.delete(id);
          fail(id, 'start', e);
        }
      }
      await sleep(1000);
      /** @type {Map<string, any>} */
      const idle = new Map();
      for (const [id, r] of live) idle.set(id, snapshotMemory(r.server, r.port));

      for (let round = 0; round < opts.repeat; round++) {
        for (const [id, running] of live) {
          if (results.throughput[id]?.status === 'failed') continue;
          const label = running.label;
          try {
            if (running.server.exitCode !== undefined) throw new Error(`the server exited (code ${running.server.exitCode}):\n${tail(running.server)}`);
            const url = running.baseUrl + readyPath;
            if (opts.warmupS > 0) await runLoad(tool, url, { connections: opts.connections, durationS: opts.warmupS });
            const quiet = opts.waitQuietS > 0 ? await waitQuiet(opts.waitQuietS) : null;
            const acct = startAccounting([running.server.pid]);
            const load = await runLoad(tool, url, { connections: opts.connections, durationS: opts.durationS });
            const cpu = acct.end();
            const run = { ...load, cpu, waitedForQuietS: quiet?.waitedS };
            const list = runsOf.get(id) ?? [];
            list.push(run);
            runsOf.set(id, list);
            const errs = load.non2xx + load.socketErrors + load.timeouts;
            say(
              `${opts.repeat > 1 ? `round ${round + 1}/${opts.repeat} ` : ''}${label}: ${Math.round(load.rps)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms` +
                `${errs ? `, ${errs} errors` : ''}${cpu ? `; CPU cores: ${cpu.oursCores} bench, ${cpu.otherCores} other` : ''}`,
            );
            if (round === opts.repeat - 1) {
              await sleep(1000);
              const memoryAfter = snapshotMemory(running.server, running.port);
              // Which errors? A short extra run (after the memory reading) that records them.
              const non2xx = list.some((x) => x.non2xx > 0) ? await sampleNon2xx(tool, url, { connections: opts.connections, durationS: 3 }) : null;
              if (non2xx) {
                const top = Object.entries(non2xx).sort((x, y) => y[1] - x[1]).slice(0, 3);
                notes.push(`${label}: non-2xx responses seen in a 3 s diagnostic run after the measurement: ${top.length ? top.map(([k, v]) => `${v} × \`${k}\``).join(', ') : 'none that time'}.`);
              }
              const median = [...list].sort((x, y) => x.rps - y.rps)[Math.floor((list.length - 1) / 2)];
              results.throughput[id] = {
                label,
                status: 'ok',
                startupMs: running.startupMs,
                load: median,
                runs: list,
                memoryIdle: idle.get(id),
                memoryAfter,
                non2xxSample: non2xx ?? undefined,
                notes: running.notes,
              };
            }
          } catch (e) {
            fail(id, `round ${round + 1}`, e);
          }
        }
      }
    } finally {
      for (const r of live.values()) await r.stop();
    }
    for (const [id, r] of Object.entries(results.throughput)) {
      if (r.status !== 'ok') continue;
      /** @type {any[]} */
      const runs = r.runs;
      const errs = runs.reduce((n, x) => n + x.non2xx + x.socketErrors + x.timeouts, 0);
      const reqs = runs.reduce((n, x) => n + x.requests, 0);
      if (errs > 0) {
        const sum = (/** @type {string} */ k) => runs.reduce((n, x) => n + x[k], 0);
        notes.push(
          `${r.label}: ${errs} failed requests of ${reqs} over ${runs.length} run(s): ${sum('non2xx')} non-2xx, ${sum('socketErrors')} socket errors, ` +
            `${sum('timeouts')} timeouts (wrk's: no response within 2 s); log: ${path.relative(process.cwd(), live.get(id)?.server.logFile ?? tmp)}`,
        );
      }
      const noisy = runs.filter((x) => x.cpu && x.cpu.otherCores > 0.15);
      if (noisy.length) {
        notes.push(`${r.label}: ${noisy.length} of ${r.runs.length} run(s) shared the machine with other work (up to ${Math.max(...noisy.map((x) => x.cpu.otherCores))} cores busy outside the bench); treat its absolute numbers with care.`);
      }
    }
    results.throughput = Object.fromEntries(opts.targets.filter((id) => results.throughput[id]).map((id) => [id, results.throughput[id]]));
    results.ratios = computeRatios(results);
  }

  // ------------------------------------------------------------------ 2. cold start
  if (opts.cold) {
    const app = generateColdApp(path.join(tmp, 'coldstart-app'), opts.coldFunctions);
    for (const id of opts.targets.filter((t) => t === 'nimbus' || t.startsWith('sls-offline'))) {
      const label = LABELS[id];
      const why = unavailable(id);
      if (why) {
        results.cold[id] = { label, status: 'skipped', reason: why };
        continue;
      }
      say(`cold start: ${label}, ${app.names.length} functions ...`);
      /** @type {import('./lib/targets').Running | null} */
      let running = null;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        /** @type {number | null} */
        let deployMs = null;
        let how = 'fresh process started on the generated app';
        if (id === 'nimbus' && launcher && !('error' in launcher) && launcher.kind === 'cli') {
          // As the issue asks: a running Nimbus (the trivial app deployed), then
          // `nimbus deploy` of the generated app through the control API.
          running = await start(id, trivialDir, readyPath, `${id}-cold`);
          const t0 = Date.now();
          const d = await runAsync(
            process.execPath,
            [launcher.script, 'deploy', app.dir, '--endpoint', `http://127.0.0.1:${running.extra.awsPort}`, '--data-dir', running.extra.dataDir, '--json'],
            { cwd: ROOT, timeoutMs: 120_000 },
          );
          deployMs = Date.now() - t0;
          if (!d.ok) throw new Error(`nimbus deploy failed (${d.error ?? `exit ${d.status}`}): ${(d.stderr || d.stdout).trim()}`);
          await waitReady(running.server, `${running.baseUrl}/probe`, { timeoutMs: 30_000 });
          how = '`nimbus deploy` of the generated app to a running Nimbus';
        } else {
          running = await start(id, app.dir, '/probe', `${id}-cold`);
        }
        await get(running.baseUrl + '/probe', { agent }); // opens the keep-alive connection; not measured
        // Let the platform settle (e.g. refill a pre-started pool) as it would between user requests.
        await sleep(1500);
        const quiet = opts.waitQuietS > 0 ? await waitQuiet(opts.waitQuietS) : null;
        const acct = startAccounting([running.server.pid]);
        const samples = [];
        for (const name of app.names) {
          // A pause between first requests, as between a developer's requests: this
          // measures one cold start on a running platform, not how fast a burst of
          // 40 back-to-back cold starts can be fed with new processes.
          await sleep(opts.coldGapMs);
          const r = await get(`${running.baseUrl}/${name}`, { agent, timeoutMs: 30_000 });
          samples.push({ fn: name, ms: Math.round(r.ms * 100) / 100, status: r.status, ok: r.status === 200 && r.body === name, ...(r.error ? { error: r.error } : {}) });
        }
        const cpu = acct.end();
        const warm = [];
        for (const name of app.names) warm.push((await get(`${running.baseUrl}/${name}`, { agent, timeoutMs: 30_000 })).ms);
        const ok = samples.filter((s) => s.ok).map((s) => s.ms);
        const errors = samples.length - ok.length;
        results.cold[id] = {
          label,
          status: 'ok',
          how,
          deployMs,
          functions: app.names.length,
          p50Ms: percentile(ok, 50),
          p90Ms: percentile(ok, 90),
          maxMs: ok.length ? Math.max(...ok) : null,
          warmP50Ms: percentile(warm, 50),
          warmMaxMs: warm.length ? Math.round(Math.max(...warm) * 100) / 100 : null,
          errors,
          cpu,
          waitedForQuietS: quiet?.waitedS,
          samples,
        };
        if (errors) notes.push(`${label} cold start: ${errors} of ${samples.length} first requests failed, e.g. ${JSON.stringify(samples.find((s) => !s.ok))}`);
        say(`  p50 ${results.cold[id].p50Ms?.toFixed(1)} ms, p90 ${results.cold[id].p90Ms?.toFixed(1)} ms${errors ? `, ${errors} errors` : ''}`);
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        say(`  failed: ${msg}`);
        results.cold[id] = { label, status: 'failed', reason: msg.split('\n')[0] };
        notes.push(`${label} cold start failed: ${msg}`);
      } finally {
        agent.destroy();
        await running?.stop();
        await sleep(500);
      }
    }
    const ran = Object.values(results.cold).filter((r) => r.status === 'ok');
    if (ran.length) {
      notes.push(
        `Cold start: an app of ${opts.coldFunctions} functions (each its own file and GET route, plus a /probe function for readiness); ` +
          `each function is requested once, sequentially, ${opts.coldGapMs} ms apart, on one keep-alive connection, 1.5 s after the app is ready; "warm" is a second pass. ` +
          ran.map((r) => `${r.label}: ${r.how}${r.deployMs !== null ? ` (deploy took ${r.deployMs} ms)` : ''}`).join('; ') +
          '.',
      );
    }
  }

  // ------------------------------------------------------------------ 4. Lambda API
  // Nimbus only: the AWS endpoint's Invoke against the HTTP gateway of the same
  // warm function, from one Node load generator (bench/lib/lambda-load.js).
  if (opts.lambda) {
    const why = opts.targets.includes('nimbus') ? unavailable('nimbus') : 'the nimbus target is not selected';
    if (why) results.lambda = { status: 'skipped', reason: why };
    else {
      results.lambda = await measureLambda({
        opts,
        tmp,
        launcher: launcher && !('error' in launcher) ? launcher : null,
        startTrivial: () => start('nimbus', trivialDir, readyPath, 'nimbus-lambda'),
        say,
        notes,
      });
    }
  }

  // ------------------------------------------------------------------ 5. DynamoDB
  // Nimbus' DynamoDB service against dynalite (and a canned-answer server for
  // the SDK's ceiling); dynalite runs even when the nimbus target is not
  // selected or not runnable, and the Nimbus column then says why.
  if (opts.dynamodb) {
    const nimbusWhy = opts.targets.includes('nimbus') ? unavailable('nimbus') : 'the nimbus target is not selected';
    results.dynamodb = await measureDynamo({
      opts,
      tmp,
      tool,
      launcher: launcher && !('error' in launcher) ? launcher : null,
      nimbusUnavailable: nimbusWhy,
      dynaliteUnavailable: dynaliteError,
      startNimbus: () => start('nimbus', trivialDir, readyPath, 'nimbus-dynamodb'),
      say,
      notes,
    });
  }

  // ------------------------------------------------------------------ 6. S3
  // Nimbus' S3 service against s3rver (and a canned-answer server for the
  // SDK's ceiling); s3rver runs even when Nimbus does not.
  if (opts.s3) {
    const nimbusWhy = opts.targets.includes('nimbus') ? unavailable('nimbus') : 'the nimbus target is not selected';
    const okLauncher = launcher && !('error' in launcher) ? launcher : null;
    results.s3 = await measureS3({
      opts,
      tmp,
      tool,
      launcher: okLauncher,
      nimbusUnavailable: nimbusWhy,
      s3rverUnavailable: s3rverError,
      startNimbus: () => start('nimbus', trivialDir, readyPath, 'nimbus-s3'),
      restartNimbus: (dataDir) => {
        if (!okLauncher) throw new Error('Nimbus is not runnable');
        return startNimbus({ tmp, appDir: trivialDir, readyPath, launcher: okLauncher, poolSize: opts.poolSize, name: 'nimbus-s3-restarted', dataDir });
      },
      say,
      notes,
    });
  }

  results.finishedAt = new Date().toISOString();
  const md = renderMarkdown(results);
  process.stdout.write('\n' + md + '\n');
  if (opts.save) {
    const dir = opts.quick ? tmp : path.join(BENCH_DIR, 'results');
    const jsonFile = path.join(dir, `${stamp(started)}.json`);
    fs.writeFileSync(jsonFile, compactJson(results) + '\n');
    fs.writeFileSync(path.join(dir, 'latest.md'), md + '\n');
    say(`wrote ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), path.join(dir, 'latest.md'))}${opts.quick ? ' (--quick: kept out of bench/results/)' : ''}`);
  }
  say(`server logs: ${path.relative(process.cwd(), tmp)}/`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
