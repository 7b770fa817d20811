// @ts-check
'use strict';
/**
 * What the harness sides of `--measure=dynamodb` (bench/lib/dynamodb.js) and
 * `--measure=s3` (bench/lib/s3.js) share: starting peer servers and the
 * targets, running their load generator process, one server-side run (wrk or
 * the Node replayer, with the server's CPU), the SDK rounds (one load
 * generator process per round, real servers rotated, the canned ceiling
 * last), the summaries and notes built from the runs, and deploying a bench
 * app to the running Nimbus for the event -> function latency runs.
 *
 * Each service keeps what really differs (its requests, pools and checks, its
 * extra measurements); the wording of the shared notes and progress lines is
 * the same for both, with the service's name in front.
 */
const fs = require('node:fs');
const path = require('node:path');
const { startServer, stopGroup, freePorts, waitReady, runAsync, tail } = require('./proc');
const { startAccounting, waitQuiet } = require('./cpu');
const { parseWrk } = require('./load');
const { treeJiffies } = require('./lambda-load');
const { BENCH_DIR } = require('./setup');

const ROOT = path.resolve(BENCH_DIR, '..');
const NODE = process.execPath;
const LUA = path.join(__dirname, 'dynamodb-wrk.lua');

/**
 * @typedef {{ id: string, label: string, endpoint: string, pid: number, stop: () => Promise<void>, server: import('./proc').Server, extra?: Record<string, any> }} BaseTarget
 * @typedef {{ say: (msg: string) => void, notes: string[] }} Reporter
 */

/** @param {any[]} runs @returns {any} */
function medianByRps(runs) {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)];
}

/** `a / b` to 3 decimals. @param {number} a @param {number} b */
const ratioOf = (a, b) => Math.round((a / b) * 1000) / 1000;

/** `3 × \`why\`, 1 × \`other\`` from tallies. @param {[string, unknown][]} entries */
const countsText = (entries) => entries.map(([k, v]) => `${v} × \`${k}\``).join(', ');

/**
 * A Node server in its own process group on a free loopback port, waited for
 * until `GET /` answers; stopped again when it does not.
 * @param {string} name process name (and its log file's, in `tmp`)
 * @param {string} script
 * @param {(port: number) => string[]} args
 * @param {string} tmp
 * @param {number} timeoutMs
 */
async function startNodeServer(name, script, args, tmp, timeoutMs) {
  const [port] = await freePorts(1);
  const server = startServer(name, NODE, [script, ...args(port)], { logFile: path.join(tmp, `${name}.log`) });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(server, `${endpoint}/`, { timeoutMs });
  } catch (e) {
    await stopGroup(server);
    throw e;
  }
  return { server, endpoint, port };
}

/**
 * Starts every target in `labels`' order; one that fails is noted (its label,
 * status and reason in `targets`) and the rest still start.
 * @template {BaseTarget} T
 * @param {string} service `DynamoDB`, `S3`: the notes' prefix (lower-cased for progress lines)
 * @param {Record<string, string>} labels
 * @param {Record<string, () => Promise<T>>} starters
 * @param {Map<string, T>} live filled in with the targets that started (the caller stops them)
 * @param {Record<string, any>} targets results' `targets`, filled in
 * @param {Reporter} r
 */
async function startTargets(service, labels, starters, live, targets, r) {
  for (const id of Object.keys(labels)) {
    r.say(`${service.toLowerCase()}: starting ${labels[id]} ...`);
    const t0 = Date.now();
    try {
      live.set(id, await starters[id]());
      targets[id] = { label: labels[id], status: 'ok', startupMs: Date.now() - t0 };
    } catch (e) {
      const msg = /** @type {Error} */ (e).message;
      r.say(`  ${labels[id]} failed to start: ${msg.split('\n')[0]}`);
      targets[id] = { label: labels[id], status: 'failed', reason: `start: ${msg.split('\n')[0]}` };
      r.notes.push(`${service}, ${labels[id]}: did not start: ${msg}`);
    }
  }
}

/**
 * Runs a Node load generator script once; its JSON result (the last line of stdout).
 * @param {string} script
 * @param {string} what how a failure names the run, e.g. `s3-load sdk`
 * @param {Record<string, any>} config
 * @param {number} timeoutMs
 */
async function runLoadgen(script, what, config, timeoutMs) {
  const r = await runAsync(NODE, [script, JSON.stringify(config)], { cwd: ROOT, timeoutMs, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  if (!r.ok) throw new Error(`${what} failed (${r.error ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

/** Throws with the log's tail when a target's process has exited. @param {BaseTarget} t */
function assertRunning(t) {
  if (t.server.exitCode !== undefined) throw new Error(`${t.label} exited (code ${t.server.exitCode}):\n${tail(t.server)}`);
}

/** The `serverSideTool` line of the results. @param {{ version: string } | null | undefined} tool @param {boolean} useWrk @param {string} replayer */
const serverSideTool = (tool, useWrk, replayer) => (useWrk ? `wrk ${tool?.version} (-t 1, bench/lib/dynamodb-wrk.lua)` : `node:http replayer (${replayer} raw; wrk is not installed)`);

/** The note when wrk is missing. @param {string} service */
const noWrkNote = (service) =>
  `${service} server-side: wrk is not installed, so pre-signed requests were replayed by a Node process (slower than wrk: the client may cap the numbers); install wrk for the real figures.`;

/**
 * One wrk run over a pool file (dynamodb-wrk.lua), from request `start`.
 * @param {{ bin: string }} tool
 * @param {{ connections: number, durationS: number, endpoint: string, poolFile: string, start: number }} o
 * @param {boolean} measured parse the figures (else a warm-up: null)
 */
async function wrkRun(tool, o, measured) {
  const args = ['-t', '1', '-c', String(o.connections), '-d', `${o.durationS}s`, '--latency', '-s', LUA, `${o.endpoint}/`, '--', o.poolFile, String(o.start)];
  const r = await runAsync(tool.bin, args, { timeoutMs: (o.durationS + 30) * 1000 });
  if (!r.ok) throw new Error(`wrk failed (${r.error ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().slice(0, 400)}`);
  return measured ? parseWrk(r.stdout) : null;
}

/** A Node replayer's result in wrk's shape (its failed checks count as non-2xx). @param {any} r */
const replayAsWrk = (r) => ({ requests: r.requests, rps: r.rps, p50Ms: r.p50Ms, p75Ms: null, p90Ms: r.p90Ms, p99Ms: r.p99Ms, maxMs: r.maxMs, non2xx: r.errors, socketErrors: 0, timeouts: 0, errorKinds: r.errorKinds });

/**
 * One measured server-side run: the warm-up, a wait for a quiet machine, then
 * the run with the server's CPU (its process tree's jiffies) and everything
 * else's on the machine.
 * @param {BaseTarget} t
 * @param {{ warmupS: number, durationS: number }} c
 * @param {number} waitQuietS
 * @param {(durationS: number, measured: boolean) => Promise<any>} run
 * @returns {Promise<{ load: any, rec: Record<string, any> }>}
 */
async function measureRawRun(t, c, waitQuietS, run) {
  if (c.warmupS > 0) await run(c.warmupS, false);
  const quiet = waitQuietS > 0 ? await waitQuiet(waitQuietS) : null;
  const acct = startAccounting([t.pid]);
  const j0 = treeJiffies(t.pid);
  const load = await run(c.durationS, true);
  const j1 = treeJiffies(t.pid);
  const cpu = acct.end();
  const jiffies = j0 !== null && j1 !== null ? j1 - j0 : null;
  /** @type {Record<string, any>} */
  const rec = {
    ...load,
    serverCpuCores: jiffies !== null ? Math.round((jiffies / 100 / c.durationS) * 100) / 100 : null,
    serverCpuMsPerRequest: jiffies !== null && load.requests ? Math.round(((jiffies * 10) / load.requests) * 1000) / 1000 : null,
    cpu,
    waitedForQuietS: quiet?.waitedS,
  };
  return { load, rec };
}

/** Failed requests of a wrk-shaped run. @param {any} x */
const rawErrors = (x) => x.non2xx + x.socketErrors + x.timeouts;

/** `round 1/3 ` when there are rounds. @param {number} repeat @param {number} round */
const roundPrefix = (repeat, round) => (repeat > 1 ? `round ${round + 1}/${repeat} ` : '');

/**
 * The progress line of a server-side run.
 * @param {string} service lower case
 * @param {number} repeat @param {number} round @param {string} op @param {string} label
 * @param {Record<string, any>} rec
 */
function rawRunLine(service, repeat, round, op, label, rec) {
  const errs = rawErrors(rec);
  return (
    `${roundPrefix(repeat, round)}${service} raw ${op} ${label}: ${Math.round(rec.rps)} req/s, p50 ${rec.p50Ms} ms, p99 ${rec.p99Ms} ms` +
    `${errs ? `, ${errs} errors` : ''}; server CPU ${rec.serverCpuCores} cores${rec.cpu ? `, other ${rec.cpu.otherCores}` : ''}`
  );
}

/**
 * The note on a (op, target)'s failed server-side requests, with what a
 * sample of the pool got (null when none failed).
 * @param {string} prefix e.g. `S3 server-side PutObject (4 KB), Nimbus`
 * @param {any[]} list the runs
 */
function rawErrorsNote(prefix, list) {
  const errs = list.reduce((n, x) => n + rawErrors(x), 0);
  if (!errs) return null;
  /** @type {Record<string, number>} */
  const kinds = {};
  for (const x of list) for (const [k, v] of Object.entries(x.errorSample ?? x.errorKinds ?? {})) if (k !== '200 ok') kinds[k] = (kinds[k] ?? 0) + /** @type {number} */ (v);
  const sum = (/** @type {string} */ k) => list.reduce((n, x) => n + (x[k] ?? 0), 0);
  return (
    `${prefix}: ${errs} failed requests of ${list.reduce((n, x) => n + x.requests, 0)} ` +
    `(${sum('non2xx')} non-2xx, ${sum('socketErrors')} socket errors, ${sum('timeouts')} timeouts: no answer within wrk's 2 s)` +
    `${Object.keys(kinds).length ? `; a sample of the pool afterwards got ${countsText(Object.entries(kinds))}` : ''}.`
  );
}

/**
 * @typedef {{ id: string, endpoint: string, serverPid: number, skip: string[] } & Record<string, unknown>} SdkTarget
 */

/**
 * The SDK-driven rounds: one load generator process per round runs operation
 * by operation and, for each, target by target (so the ceiling and the runs
 * compared with it are seconds apart and see the same machine). The SDK's
 * shared code paths are warmed up once, unmeasured, on the canned server
 * (about 2 s of calls: 1 s measured half the calls/s); each run then gets the
 * usual warm-up. The order of the real servers rotates from round to round.
 * @param {{
 *   service: string,
 *   ops: readonly string[],
 *   opLabels: Record<string, string>,
 *   targetLabels: Record<string, string>,
 *   c: { repeat: number, warmupS: number, durationS: number },
 *   up: (sdkFailed: Record<string, Record<string, string>>) => SdkTarget[],
 *   live: Map<string, BaseTarget>,
 *   loadgen: (targets: SdkTarget[], firstWarmupS: number, timeoutMs: number) => Promise<any>,
 * } & Reporter} o
 */
async function sdkRounds(o) {
  const { c, say, notes, service } = o;
  const svc = service.toLowerCase();
  /** @type {Record<string, Record<string, any[]>>} */
  const sdkRuns = {};
  /** @type {Record<string, Record<string, string>>} */
  const sdkFailed = {};
  for (let round = 0; round < c.repeat; round++) {
    const up = o.up(sdkFailed);
    if (!up.length) break;
    // canned last (the warm-up runs on the last target), the others rotated
    const others = up.filter((x) => x.id !== 'canned');
    const k = others.length ? round % others.length : 0;
    const targets = [...others.slice(k), ...others.slice(0, k), ...up.filter((x) => x.id === 'canned')];
    for (const x of targets) assertRunning(/** @type {BaseTarget} */ (o.live.get(x.id)));
    const firstWarmupS = Math.max(c.warmupS, 2);
    const runs = targets.length * o.ops.length;
    let rs;
    try {
      rs = await o.loadgen(targets, firstWarmupS, (firstWarmupS + runs * (c.warmupS + c.durationS + 1) + 90) * 1000);
    } catch (e) {
      const msg = /** @type {Error} */ (e).message;
      for (const op of o.ops) for (const x of targets) (sdkFailed[op] ??= {})[x.id] ??= msg;
      say(`  ${svc} sdk round ${round + 1} failed: ${msg.split('\n')[0]}`);
      notes.push(`${service} SDK, round ${round + 1}: failed: ${msg}`);
      break;
    }
    for (const op of o.ops) {
      for (const x of targets) {
        const r = rs[x.id]?.[op];
        if (!r) continue;
        const label = o.targetLabels[x.id];
        if (r.failed) {
          (sdkFailed[op] ??= {})[x.id] = r.failed;
          say(`  ${svc} sdk ${r.op} ${label} failed: ${r.failed}`);
          notes.push(`${service} SDK ${o.opLabels[op]}, ${label}: failed: ${r.failed}`);
          continue;
        }
        ((sdkRuns[op] ??= {})[x.id] ??= []).push(r);
        say(
          `${roundPrefix(c.repeat, round)}${svc} sdk ${r.op} ${label}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
            `${r.errors ? `, ${r.errors} errors` : ''}; load generator ${r.clientCpuCores} cores, server ${r.serverCpuCores}, other ${r.otherCores}`,
        );
      }
    }
  }
  return { sdkRuns, sdkFailed };
}

/**
 * The results' `sdk` entry of one operation: each target's median run (or why
 * it has none) and each real server's share of the canned ceiling.
 * @param {{
 *   service: string, op: string, opLabels: Record<string, string>, targetLabels: Record<string, string>,
 *   ids: readonly string[], compared: readonly string[],
 *   runs: Record<string, Record<string, any[]>>, failed: Record<string, Record<string, string>>,
 *   targets: Record<string, any>, extra?: (id: string) => Record<string, unknown>,
 *   notes: string[],
 * }} o
 */
function summariseSdk(o) {
  const { op } = o;
  /** @type {Record<string, any>} */
  const row = {};
  for (const id of o.ids) {
    const list = o.runs[op]?.[id] ?? [];
    const extra = o.extra?.(id) ?? {};
    if (!list.length) {
      const why = o.targets[id]?.status !== 'ok' ? o.targets[id]?.reason ?? 'not started' : o.failed[op]?.[id] ?? 'not run';
      row[id] = { status: 'failed', ...extra, reason: String(why).split('\n')[0] };
      continue;
    }
    row[id] = { status: 'ok', ...extra, median: medianByRps(list), runs: list };
    const errs = list.reduce((n, x) => n + x.errors, 0);
    if (errs) {
      /** @type {Record<string, number>} */
      const kinds = {};
      for (const x of list) for (const [k, v] of Object.entries(x.errorKinds)) kinds[k] = (kinds[k] ?? 0) + /** @type {number} */ (v);
      o.notes.push(`${o.service} SDK ${o.opLabels[op]}, ${o.targetLabels[id]}: ${errs} failed calls: ${countsText(Object.entries(kinds))}.`);
    }
  }
  const ceiling = row.canned;
  for (const id of o.compared) {
    const x = row[id];
    if (ceiling?.status === 'ok' && x?.status === 'ok') row[`ofCeiling/${id}`] = ratioOf(x.median.rps, ceiling.median.rps);
  }
  return row;
}

/**
 * Runs that shared the machine with other work (a build, a test suite):
 * their absolute numbers, and ratios against runs that did not, are suspect.
 * Returns the list (`raw put nimbus 0.4`) and notes it.
 * @param {string} service
 * @param {readonly string[]} ops
 * @param {Record<string, Record<string, any>>} serverSide
 * @param {Record<string, Record<string, any>>} sdk
 * @param {string[]} notes
 */
function noisyRuns(service, ops, serverSide, sdk, notes) {
  /** @type {string[]} */
  const noisy = [];
  let total = 0;
  let worst = 0;
  for (const [kind, table, other] of /** @type {[string, Record<string, Record<string, any>>, (x: any) => number | null][]} */ ([
    ['raw', serverSide, (x) => x.cpu?.otherCores ?? null],
    ['SDK', sdk, (x) => x.otherCores ?? null],
  ])) {
    for (const op of ops) {
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
  if (noisy.length) {
    notes.push(
      `${service}: ${noisy.length} of ${total} measured runs shared the machine with other work (up to ${worst} cores busy outside the bench` +
        `${noisy.length <= 8 ? `: ${noisy.join(', ')}` : '; each run\'s figure is in the JSON'}); treat those numbers with care.`,
    );
  }
  return noisy;
}

/**
 * Deploys a bench app (bench/apps/<app>) to the running Nimbus with `nimbus
 * deploy --json` (its output kept in `deployLog`), its function writing
 * arrivals to a fresh file named in `.env`. Answers why not (`reason`) when
 * Nimbus or its CLI is not there or the deploy fails.
 * @param {{ tmp: string, launcher: { kind: 'cli' | 'platform', script: string } | null, say: (msg: string) => void }} o
 * @param {BaseTarget | null} nimbus
 * @param {any} nimbusStatus
 * @param {{ app: string, appDir: string, arrivalsFile: string, envVar: string, deployLog: string, what: string, deploying: string }} a
 *   what: what the app is called in the reason (`the stream app`); deploying: the progress line
 * @returns {Promise<{ reason: string } | { reason?: undefined, outFile: string, deployMs: number, stdout: string }>}
 */
async function deployApp(o, nimbus, nimbusStatus, a) {
  if (!nimbus || nimbusStatus?.status !== 'ok') return { reason: `Nimbus is not running (${nimbusStatus?.reason ?? 'not started'})` };
  if (o.launcher?.kind !== 'cli') return { reason: `${a.what} is deployed with \`nimbus deploy\`, which needs the CLI (started with --nimbus=platform, or the CLI is broken)` };
  const dir = path.join(o.tmp, a.appDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(BENCH_DIR, 'apps', a.app), dir, { recursive: true });
  const outFile = path.join(o.tmp, a.arrivalsFile);
  fs.writeFileSync(outFile, '');
  fs.writeFileSync(path.join(dir, '.env'), `${a.envVar}=${JSON.stringify(outFile)}\n`);
  o.say(a.deploying);
  const t0 = Date.now();
  const d = await runAsync(NODE, [o.launcher.script, 'deploy', dir, '--endpoint', nimbus.endpoint, '--data-dir', nimbus.extra?.dataDir, '--json'], { cwd: ROOT, timeoutMs: 120_000 });
  fs.writeFileSync(path.join(o.tmp, a.deployLog), `exit ${d.status}${d.error ? ` (${d.error})` : ''}\n--- stdout\n${d.stdout}\n--- stderr\n${d.stderr}\n`);
  if (!d.ok) return { reason: `nimbus deploy failed (${d.error ?? `exit ${d.status}`}): ${(d.stderr || d.stdout).trim().split('\n').slice(0, 4).join(' | ').slice(0, 600)}` };
  return { outFile, deployMs: Date.now() - t0, stdout: d.stdout };
}

/**
 * The closing notes of an event -> function latency run.
 * @param {string} prefix `DynamoDB stream`, `S3 uploads`
 * @param {{ missing: number, acked: number, waitedForArrivalsS: number }} r
 * @param {{ quiet: boolean, busyCores: number | null, waitedS: number }} quiet
 * @param {[string, string]} words what was sent, plural: [`writes`, `write`] (the last one)
 * @param {string[]} notes
 */
function arrivalNotes(prefix, r, quiet, words, notes) {
  if (r.missing) notes.push(`${prefix}: ${r.missing} of ${r.acked} acknowledged ${words[0]} had not reached the function ${r.waitedForArrivalsS} s after the last ${words[1]}.`);
  if (!quiet.quiet) notes.push(`${prefix}: the machine was not quiet before the run (${quiet.busyCores} cores busy after waiting ${quiet.waitedS} s).`);
}

module.exports = {
  NODE,
  ROOT,
  medianByRps,
  ratioOf,
  countsText,
  startNodeServer,
  startTargets,
  runLoadgen,
  assertRunning,
  serverSideTool,
  noWrkNote,
  wrkRun,
  replayAsWrk,
  measureRawRun,
  rawErrors,
  rawRunLine,
  rawErrorsNote,
  sdkRounds,
  summariseSdk,
  noisyRuns,
  deployApp,
  arrivalNotes,
};
