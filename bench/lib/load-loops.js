// @ts-check
'use strict';
/**
 * What the Node load generators of `--measure=dynamodb` and `--measure=s3`
 * (bench/lib/dynamodb-load.js, s3-load.js) share: a closed loop with the CPU
 * the rest of the machine used meanwhile, the SDK mode's order of runs
 * (operation by operation, target by target, in one process), the raw
 * replayer's run, the paced event -> function run joined with the function's
 * arrival lines, and the command-line wrapper of every load generator
 * (lambda-load.js's too).
 *
 * Closed loops are lambda-load.js's: `connections` loops over one keep-alive
 * http.Agent (maxSockets = connections), a warm-up, then `durationS` measured;
 * only requests completed inside the window count.
 */
const fs = require('node:fs');
const http = require('node:http');
const { closedLoop, stats } = require('./lambda-load');
const { assertLoopback } = require('./signed-requests');

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {{ ok: boolean, error?: string }} OpResult
 * @typedef {{ id: string, endpoint: string, serverPid?: number, opNames?: Record<string, string>, skip?: string[] }} LoadTarget
 *   opNames: what to run for an operation on this target (DynamoDB's `tx` -> `batch` where the server has no transactions)
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
 * used meanwhile (other work on a shared machine), in cores; without the
 * accepted requests' list.
 * @param {() => Promise<OpResult>} op
 * @param {number} connections
 * @param {number} durationS
 * @param {number | undefined} serverPid
 */
async function measured(op, connections, durationS, serverPid) {
  const m0 = machineBusy();
  const r = await closedLoop(op, connections, durationS, serverPid);
  const m1 = machineBusy();
  const busy = m0 && m1 ? (m1.busy - m0.busy) / 100 / ((m1.at - m0.at) / 1000) : null;
  const otherCores = busy !== null ? Math.max(0, Math.round((busy - r.clientCpuCores - (r.serverCpuCores ?? 0)) * 100) / 100) : null;
  const { accepted, ...rest } = r;
  return { ...rest, otherCores };
}

/**
 * The SDK mode: operation by operation, target by target, in this one process:
 * runs of the same operation on different servers come seconds apart (so a
 * ceiling and the run compared with it see the same machine). Results by
 * target id, then operation.
 * @param {{ mode: string, connections: number, warmupS?: number, durationS: number, firstWarmupS?: number }} c
 * @param {LoadTarget[]} targets
 * @param {string[]} ops
 * @param {(t: LoadTarget, op: string, agent: http.Agent) => () => Promise<OpResult>} makeOp `op` is the name to run on `t` (after opNames)
 */
async function sdkRuns(c, targets, ops, makeOp) {
  /** @type {Record<string, Record<string, any>>} */
  const results = {};
  const opName = (/** @type {LoadTarget} */ t, /** @type {string} */ name) => t.opNames?.[name] ?? name;
  // The SDK's shared code paths warm up first, on the last target (the
  // canned server when there is one), so that no measured run pays for it.
  if ((c.firstWarmupS ?? 0) > 0) {
    const t = targets[targets.length - 1];
    const a = new http.Agent({ keepAlive: true, maxSockets: c.connections });
    try {
      await closedLoop(makeOp(t, opName(t, ops[0]), a), c.connections, /** @type {number} */ (c.firstWarmupS));
    } finally {
      a.destroy();
    }
  }
  for (const name of ops) {
    for (const t of targets) {
      const perTarget = (results[t.id] ??= {});
      if (t.skip?.includes(name)) continue;
      assertLoopback(t.endpoint);
      // A fresh agent per run: sockets left idle while the other servers were
      // measured may have been closed by the server (Node's and s3rver's Koa
      // keep-alive timeout is 5 s), and the first call on one fails with
      // "socket hang up".
      const a = new http.Agent({ keepAlive: true, maxSockets: c.connections });
      try {
        const op = makeOp(t, opName(t, name), a);
        // One call first: an operation the server does not answer fails
        // fast with its error, and the rest still runs.
        const one = await op();
        if (!one.ok) {
          perTarget[name] = { op: opName(t, name), failed: `first call failed: ${one.error}` };
          continue;
        }
        if ((c.warmupS ?? 0) > 0) await closedLoop(op, c.connections, /** @type {number} */ (c.warmupS));
        const rest = await measured(op, c.connections, c.durationS, t.serverPid);
        perTarget[name] = { mode: c.mode, op: opName(t, name), connections: c.connections, durationS: c.durationS, warmupS: c.warmupS, ...rest };
      } finally {
        a.destroy();
      }
    }
  }
  return results;
}

/**
 * The raw mode's run of a replayer `op`: one call first (a failing target
 * fails fast with its error, not after the window), the warm-up, the window.
 * @param {() => Promise<OpResult>} op
 * @param {{ mode: string, connections: number, warmupS?: number, durationS: number, serverPid?: number }} c
 * @param {string | undefined} name the operation, for the result and the error
 */
async function rawRun(op, c, name) {
  const first = await op();
  if (!first.ok) throw new Error(`first ${name} failed: ${first.error}`);
  if ((c.warmupS ?? 0) > 0) await closedLoop(op, c.connections, /** @type {number} */ (c.warmupS));
  const rest = await measured(op, c.connections, c.durationS, c.serverPid);
  return { mode: c.mode, op: name, connections: c.connections, durationS: c.durationS, warmupS: c.warmupS, ...rest };
}

/** `key -> Date.now()` at the function's start, from the recorder's file (`<key> <ms>` lines). @param {string} file */
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
 * @typedef {{ key: string, sentAt: number, ackAt: number, ok: boolean, error?: string }} Sent
 */

/**
 * Event -> function latency: `warmItems` sends one at a time, each waited for
 * (proves that events reach the function at all, else the caller reports "not
 * available", and leaves a warm instance behind); then sends paced at
 * `rate`/s for `durationS` (open loop, at most `connections` in flight, a
 * send that finds them all busy is skipped), joined with the function's
 * arrival lines in `outFile`.
 * @param {{ outFile?: string, rate?: number, drainS?: number, durationS: number, connections: number, warmItems?: number, idsFile?: string }} c
 * @param {{
 *   send: (key: string, i: number) => Promise<Sent>,
 *   key: (run: string, i: number) => string,
 *   failed: (error: string | undefined) => string,
 *   notArrived: (s: number, i: number) => string,
 *   sendStats: string,
 * }} e
 *   failed: the reason when a warm-up send fails; notArrived: when its event does not reach the function within `s` s;
 *   sendStats: the result's name of the sends' own latency
 */
async function arrivalRun(c, e) {
  const outFile = /** @type {string} */ (c.outFile);
  const rate = c.rate ?? 100;
  const drainS = c.drainS ?? 20;
  const run = Date.now().toString(36);
  const warm = [];
  for (let i = 0; i < (c.warmItems ?? 3); i++) {
    const w = await e.send(`warm-${run}-${i}`, i);
    if (!w.ok) return { status: 'failed', reason: e.failed(w.error) };
    const got = await waitArrived(outFile, [w.key], i === 0 ? drainS : 10);
    const at = got.arrivals.get(w.key);
    if (at === undefined) return { status: 'failed', reason: e.notArrived(i === 0 ? drainS : 10, i) };
    warm.push(at - w.sentAt);
  }
  const n = Math.max(1, Math.round(rate * c.durationS));
  /** @type {Sent[]} */
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
    const p = e.send(e.key(run, i), i).then((w) => {
      sent.push(w);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const acked = sent.filter((w) => w.ok);
  const got = await waitArrived(outFile, acked.map((w) => w.key), drainS);
  const sendToFn = [];
  const ackToFn = [];
  const sendMs = [];
  for (const w of acked) {
    sendMs.push(w.ackAt - w.sentAt);
    const at = got.arrivals.get(w.key);
    if (at === undefined) continue;
    sendToFn.push(at - w.sentAt);
    ackToFn.push(at - w.ackAt);
  }
  if (c.idsFile) fs.writeFileSync(c.idsFile, sent.map((w) => `${w.key} ${w.sentAt} ${w.ackAt} ${got.arrivals.get(w.key) ?? '-'}${w.error ? ` ${w.error}` : ''}\n`).join(''));
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
    [e.sendStats]: stats(sendMs),
  };
}

/**
 * The command line of a load generator: `node <script> '<JSON config>'`, one
 * JSON object on stdout, exit 1 with the error on stderr.
 * @template C
 * @param {string} name e.g. `s3-load`
 * @param {(c: C) => Promise<unknown>} main
 */
function runLoadCli(name, main) {
  /** @type {C} */
  let config;
  try {
    config = JSON.parse(process.argv[2] ?? '');
  } catch {
    process.stderr.write(`usage: node bench/lib/${name}.js '<JSON config>'\n`);
    process.exit(2);
  }
  main(config).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${name}: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}

module.exports = { sleep, machineBusy, measured, sdkRuns, rawRun, readArrivals, waitArrived, arrivalRun, runLoadCli };
