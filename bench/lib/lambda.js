// @ts-check
'use strict';
/**
 * `--measure=lambda`: Nimbus' Lambda API (the AWS endpoint) against its HTTP
 * gateway, on one running Nimbus (the trivial app from `dev`, plus the async
 * recorder app deployed to it with `nimbus deploy`):
 *
 *   1. synchronous Invoke through @aws-sdk/client-lambda vs GET /hello, both at
 *      the same concurrency from the same Node load generator
 *      (bench/lib/lambda-load.js, its own process), interleaved round by round;
 *      plus the same Invoke as a plain HTTP POST signed once and replayed, which
 *      shows the server's share without the SDK's client-side work, and, once,
 *      the SDK against a stub server (bench/targets/lambda-stub.js): the SDK
 *      client's own ceiling;
 *   2. asynchronous (`Event`) Invoke: acceptance-to-start latency at a modest
 *      paced rate on a quiet machine, then the acceptance rate of a burst at the
 *      same concurrency (SDK, and raw signed HTTP), waiting until every accepted
 *      event has run.
 */
const fs = require('node:fs');
const path = require('node:path');
const { runAsync, waitReady, get, tail, sleep, startServer, stopGroup, freePort } = require('./proc');
const { startAccounting, waitQuiet } = require('./cpu');
const { BENCH_DIR } = require('./setup');

const ROOT = path.resolve(BENCH_DIR, '..');
const LOADGEN = path.join(__dirname, 'lambda-load.js');
/** What `trivial-dev-hello` returns to a synchronous Invoke. */
const EXPECT_PAYLOAD = JSON.stringify({ statusCode: 200, body: 'ok' });
const TRIVIAL_FUNCTION = 'trivial-dev-hello';
const ASYNC_FUNCTION = 'async-dev-record';

const SYNC_MODES = /** @type {const} */ (['gateway', 'sdk', 'raw']);
const SYNC_LABELS = {
  gateway: 'HTTP gateway: GET /hello (node:http)',
  sdk: 'Invoke via @aws-sdk/client-lambda (RequestResponse)',
  raw: 'Invoke as plain HTTP, signed once and replayed',
  sdkStub: 'reference: the same SDK calls against a stub that answers at once (the SDK client\'s ceiling)',
};

/**
 * Runs the load generator once; its JSON result.
 * @param {Record<string, any>} config
 * @param {number} timeoutMs
 */
async function loadgen(config, timeoutMs) {
  const r = await runAsync(process.execPath, [LOADGEN, JSON.stringify(config)], {
    cwd: ROOT,
    timeoutMs,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (!r.ok) throw new Error(`lambda-load ${config.mode} failed (${r.error ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-6).join(' | ')}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}

/**
 * A copy of bench/apps/async in the run's temp dir with a `.env` naming the
 * file its function appends to (the app has `useDotenv: true`, so this works
 * whether Nimbus resolves `${env:...}` at deploy time on the server or in the CLI).
 * @param {string} tmp
 */
function prepareAsyncApp(tmp) {
  const dir = path.join(tmp, 'async-app');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(BENCH_DIR, 'apps', 'async'), dir, { recursive: true });
  const outFile = path.join(tmp, 'async-starts.txt');
  fs.writeFileSync(outFile, '');
  fs.writeFileSync(path.join(dir, '.env'), `NIMBUS_BENCH_ASYNC_OUT=${JSON.stringify(outFile)}\n`);
  return { dir, outFile };
}

/** @param {any[]} runs @returns {any} */
function medianByRps(runs) {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)];
}

/** @param {any} a @param {any} b */
function ratioOf(a, b) {
  if (!a || !b) return null;
  const r = (/** @type {number | null} */ x, /** @type {number | null} */ y) => (x !== null && y ? x / y : null);
  return {
    rps: r(a.rps, b.rps),
    p50: r(a.p50Ms, b.p50Ms),
    p99: r(a.p99Ms, b.p99Ms),
    addedP50Ms: a.p50Ms !== null && b.p50Ms !== null ? a.p50Ms - b.p50Ms : null,
    addedP99Ms: a.p99Ms !== null && b.p99Ms !== null ? a.p99Ms - b.p99Ms : null,
    /** Nimbus' CPU time per request, a over b. */
    serverCpuPerRequest: r(a.serverCpuMsPerRequest ?? null, b.serverCpuMsPerRequest ?? null),
  };
}

/**
 * @param {{
 *   opts: any,
 *   tmp: string,
 *   launcher: { kind: 'cli' | 'platform', script: string } | null,
 *   startTrivial: () => Promise<import('./targets').Running>,
 *   say: (msg: string) => void,
 *   notes: string[],
 * }} o
 */
async function measureLambda(o) {
  const { opts, say, notes } = o;
  /** @type {Record<string, any>} */
  const out = { status: 'ok', functionName: TRIVIAL_FUNCTION, asyncFunctionName: ASYNC_FUNCTION, connections: opts.connections, sync: {}, ratios: {}, async: {} };
  /** @type {import('./targets').Running | null} */
  let running = null;
  try {
    say('lambda: starting Nimbus with the trivial app ...');
    running = await o.startTrivial();
    const check = await get(running.baseUrl + '/hello');
    if (check.status !== 200 || check.body !== 'ok') throw new Error(`GET /hello answered ${check.status} ${JSON.stringify(check.body.slice(0, 200))}`);
    const endpoint = `http://127.0.0.1:${running.extra.awsPort}`;
    out.startupMs = running.startupMs;

    // ---------------------------------------------------------- the async recorder app
    /** @type {{ dir: string, outFile: string } | null} */
    let asyncApp = null;
    if (o.launcher?.kind === 'cli') {
      asyncApp = prepareAsyncApp(o.tmp);
      const t0 = Date.now();
      const d = await runAsync(process.execPath, [o.launcher.script, 'deploy', asyncApp.dir, '--endpoint', endpoint, '--data-dir', running.extra.dataDir, '--json'], {
        cwd: ROOT,
        timeoutMs: 120_000,
      });
      if (!d.ok) throw new Error(`nimbus deploy of the async app failed (${d.error ?? `exit ${d.status}`}): ${(d.stderr || d.stdout).trim()}`);
      out.asyncDeployMs = Date.now() - t0;
      // The trivial app still answers: the deploy added an app, it replaced nothing.
      await waitReady(running.server, `${running.baseUrl}/hello`, { timeoutMs: 30_000 });
    } else {
      out.async = { status: 'skipped', reason: 'the async app is deployed with `nimbus deploy`, which needs the CLI (started with --nimbus=platform or the CLI is broken)' };
    }

    const base = { endpoint, url: `${running.baseUrl}/hello`, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', connections: opts.connections, serverPid: running.server.pid };

    // ---------------------------------------------------------- 1. sync: SDK vs gateway
    /** @type {Record<string, any[]>} */
    const runs = { gateway: [], sdk: [], raw: [] };
    /** @type {Record<string, string>} a mode whose load generator failed is not run again */
    const failed = {};
    for (let round = 0; round < opts.repeat; round++) {
      for (const mode of SYNC_MODES) {
        if (failed[mode]) continue;
        if (running.server.exitCode !== undefined) throw new Error(`Nimbus exited (code ${running.server.exitCode}):\n${tail(running.server)}`);
        const quiet = opts.waitQuietS > 0 ? await waitQuiet(opts.waitQuietS) : null;
        const acct = startAccounting([running.server.pid]);
        let r;
        try {
          r = await loadgen(
            { ...base, mode, functionName: TRIVIAL_FUNCTION, warmupS: opts.warmupS, durationS: opts.durationS, expectPayload: EXPECT_PAYLOAD },
            (opts.warmupS + opts.durationS + 60) * 1000,
          );
        } catch (e) {
          acct.end();
          failed[mode] = /** @type {Error} */ (e).message;
          say(`  lambda ${mode} failed: ${failed[mode]}`);
          notes.push(`Lambda, ${SYNC_LABELS[mode]}: failed: ${failed[mode]}`);
          continue;
        }
        const cpu = acct.end();
        runs[mode].push({ ...r, cpu, waitedForQuietS: quiet?.waitedS });
        say(
          `${opts.repeat > 1 ? `round ${round + 1}/${opts.repeat} ` : ''}lambda ${mode}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms` +
            `${r.errors ? `, ${r.errors} errors` : ''}; CPU cores: load generator ${r.clientCpuCores}, Nimbus ${r.serverCpuCores} (${r.serverCpuMsPerRequest} ms/request)${cpu ? `, other ${cpu.otherCores}` : ''}`,
        );
      }
    }
    for (const mode of SYNC_MODES) {
      const list = runs[mode];
      if (list.length === 0) {
        out.sync[mode] = { label: SYNC_LABELS[mode], status: 'failed', reason: (failed[mode] ?? 'not run').split('\n')[0] };
        continue;
      }
      out.sync[mode] = { label: SYNC_LABELS[mode], status: 'ok', median: medianByRps(list), runs: list };
      const errs = list.reduce((n, x) => n + x.errors, 0);
      if (errs) {
        const kinds = {};
        for (const x of list) for (const [k, v] of Object.entries(x.errorKinds)) kinds[k] = (kinds[k] ?? 0) + v;
        notes.push(`Lambda, ${SYNC_LABELS[mode]}: ${errs} failed requests: ${Object.entries(kinds).map(([k, v]) => `${v} × \`${k}\``).join(', ')}.`);
      }
      const noisy = list.filter((x) => x.cpu && x.cpu.otherCores > 0.15);
      if (noisy.length) notes.push(`Lambda, ${SYNC_LABELS[mode]}: ${noisy.length} of ${list.length} run(s) shared the machine with other work (up to ${Math.max(...noisy.map((x) => x.cpu.otherCores))} cores outside the bench).`);
    }
    out.ratios['sdk/gateway'] = ratioOf(out.sync.sdk.median, out.sync.gateway.median);
    out.ratios['raw/gateway'] = ratioOf(out.sync.raw.median, out.sync.gateway.median);
    out.ratios['sdk/raw'] = ratioOf(out.sync.sdk.median, out.sync.raw.median);
    // Reference: the SDK client alone (a stub server that answers at once), once.
    // When the SDK row's req/s is near this, the client, not Nimbus, set it.
    if (!failed.sdk) {
      const port = await freePort();
      const stub = startServer('lambda-stub', process.execPath, [path.join(BENCH_DIR, 'targets', 'lambda-stub.js'), String(port)], { logFile: path.join(o.tmp, 'lambda-stub.log') });
      try {
        await waitReady(stub, `http://127.0.0.1:${port}/`, { timeoutMs: 15_000 });
        const quiet = opts.waitQuietS > 0 ? await waitQuiet(opts.waitQuietS) : null;
        const acct = startAccounting([stub.pid]);
        const r = await loadgen(
          { ...base, mode: 'sdk', endpoint: `http://127.0.0.1:${port}`, serverPid: stub.pid, functionName: TRIVIAL_FUNCTION, warmupS: opts.warmupS, durationS: opts.durationS, expectPayload: EXPECT_PAYLOAD },
          (opts.warmupS + opts.durationS + 60) * 1000,
        );
        const run = { ...r, cpu: acct.end(), waitedForQuietS: quiet?.waitedS };
        out.sync.sdkStub = { label: SYNC_LABELS.sdkStub, status: 'ok', median: run, runs: [run] };
        say(`lambda SDK against a stub: ${Math.round(r.rps)} req/s; load generator ${r.clientCpuCores} cores (${Math.round((r.clientCpuCores * 1e6) / r.rps) / 1000} ms CPU per call)`);
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        out.sync.sdkStub = { label: SYNC_LABELS.sdkStub, status: 'failed', reason: msg.split('\n')[0] };
        notes.push(`Lambda, SDK against a stub: failed: ${msg}`);
      } finally {
        await stopGroup(stub);
      }
      const c = ratioOf(out.sync.sdk.median, out.sync.sdkStub.median);
      if (c) out.ratios['sdk/sdkStub'] = { ...c, serverCpuPerRequest: null };
    }
    // The same ratio round by round (paired runs, so slow drift cancels out).
    if (runs.sdk.length === runs.gateway.length) out.ratios.sdkGatewayRpsByRound = runs.sdk.map((x, i) => Math.round((x.rps / runs.gateway[i].rps) * 1000) / 1000);

    // ---------------------------------------------------------- 2. async Event invocations
    if (asyncApp) {
      const eventS = opts.eventDurationS;
      const common = { ...base, functionName: ASYNC_FUNCTION, outFile: asyncApp.outFile };
      // a) latency at a modest rate on a quiet machine
      say(`lambda: Event invocations at ${opts.eventRate}/s for ${eventS} s (acceptance-to-start latency) ...`);
      const quiet = await waitQuiet(Math.max(opts.waitQuietS, 5));
      let acct = startAccounting([running.server.pid]);
      const pacedRun = await loadgen(
        { ...common, mode: 'event-paced', client: 'sdk', rate: opts.eventRate, warmupS: 1, durationS: eventS, drainS: 30, idsFile: path.join(o.tmp, 'async-paced-ids.txt') },
        (eventS + 120) * 1000,
      );
      out.async.paced = { ...pacedRun, cpu: acct.end(), quietBefore: quiet };
      say(
        `  accepted ${pacedRun.accepted}, ran ${pacedRun.ran}; acceptance to start p50 ${pacedRun.acceptToStart.p50Ms} ms, p99 ${pacedRun.acceptToStart.p99Ms} ms, max ${pacedRun.acceptToStart.maxMs} ms`,
      );
      if (!quiet.quiet) notes.push(`Lambda Event latency: the machine was not quiet before the paced run (${quiet.busyCores} cores busy after waiting ${quiet.waitedS} s).`);
      // b) acceptance rate of a burst, SDK and raw signed HTTP
      for (const client of /** @type {const} */ (['sdk', 'raw'])) {
        await sleep(1000);
        say(`lambda: Event burst, ${opts.connections} in flight for ${eventS} s (${client}) ...`);
        const q = opts.waitQuietS > 0 ? await waitQuiet(opts.waitQuietS) : null;
        acct = startAccounting([running.server.pid]);
        const burst = await loadgen(
          { ...common, mode: 'event', client, warmupS: opts.warmupS > 0 ? 1 : 0, durationS: eventS, drainS: 120, idsFile: path.join(o.tmp, `async-burst-${client}-ids.txt`) },
          (eventS + 300) * 1000,
        );
        out.async[client === 'sdk' ? 'burst' : 'burstRaw'] = { ...burst, cpu: acct.end(), waitedForQuietS: q?.waitedS };
        say(
          `  ${Math.round(burst.acceptedPerS)} accepted/s (load generator ${burst.clientCpuCores} cores); ${burst.ran} of ${burst.accepted} ran, ` +
            `the last ${burst.drainMs} ms after the last acceptance; ${burst.startedPerS} started/s`,
        );
      }
      for (const [k, r] of Object.entries(out.async)) {
        if (!r || typeof r !== 'object' || !('accepted' in r)) continue;
        if (r.notRun) notes.push(`Lambda Event ${k}: ${r.notRun} of ${r.accepted} accepted events had not run ${r.waitedForRunsS} s after the last was accepted.`);
        if (r.errors) notes.push(`Lambda Event ${k}: ${r.errors} Invoke calls failed: ${Object.entries(r.errorKinds).map(([e, v]) => `${v} × \`${e}\``).join(', ')}.`);
      }
    }
  } catch (e) {
    const msg = /** @type {Error} */ (e).message;
    say(`  lambda failed: ${msg}`);
    out.status = 'failed';
    out.reason = msg.split('\n')[0];
    notes.push(`Lambda measurement failed: ${msg}`);
  } finally {
    await running?.stop();
    await sleep(500);
  }
  return out;
}

module.exports = { measureLambda, prepareAsyncApp, SYNC_LABELS };
