#!/usr/bin/env node
// @ts-check
'use strict';
/**
 * The load generator of `--measure=lambda`: a separate Node process (never the
 * harness's, never Nimbus') that drives one of
 *
 *   gateway      GET <url> (the HTTP API route)                        closed loop
 *   sdk          InvokeCommand (RequestResponse) from @aws-sdk/client-lambda  closed loop
 *   raw          the same Invoke as a plain node:http POST, signed once with
 *                SigV4 and replayed (what the server costs without the SDK's
 *                client-side work)                                      closed loop
 *   event        Invoke with InvocationType Event (SDK or raw), `connections`
 *                in flight for `durationS`                               closed loop
 *   event-paced  Invoke Event (SDK) at `rate` per second for `durationS` open loop
 *
 * Every closed-loop mode runs the same way: `connections` loops, each awaiting
 * its request before sending the next, over one keep-alive http.Agent
 * (maxSockets = connections); a warm-up of `warmupS` first, then `durationS`
 * measured; only requests completed inside the measured window count. So the
 * SDK/gateway ratio compares the platform's two paths, not two load tools.
 *
 * Event modes also match every accepted event (request id from the 202's
 * x-amzn-RequestId) with the line the bench's async function appends when it
 * starts (`<awsRequestId> <Date.now()>` in `outFile`), waiting up to `drainS`
 * for all of them to have run.
 *
 * Usage: node bench/lib/lambda-load.js '<JSON config>'; prints one JSON object
 * on stdout. Loopback only; every loop is bounded in time.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { performance } = require('node:perf_hooks');

/** The root package's node_modules (the SDK Nimbus itself depends on). */
const rootRequire = createRequire(path.join(__dirname, '..', '..', 'package.json'));

/**
 * @typedef {{ mode: 'gateway' | 'sdk' | 'raw' | 'event' | 'event-paced', url?: string, endpoint?: string, functionName?: string,
 *   region?: string, accessKeyId?: string, secretAccessKey?: string, client?: 'sdk' | 'raw',
 *   connections: number, warmupS: number, durationS: number, rate?: number, outFile?: string, idsFile?: string, drainS?: number,
 *   requestTimeoutMs?: number, expectPayload?: string, serverPid?: number }} Config
 * @typedef {{ ok: boolean, requestId?: string, arrivedAt?: number, error?: string }} OpResult
 *   arrivedAt: Date.now() when the response's headers reached the client (before
 *   the SDK parses it), the "202 arriving at the client" of an event
 */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** @param {string} u */
function assertLoopback(u) {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(u)) throw new Error(`refusing to load a non-loopback address: ${u}`);
}

/** @param {crypto.BinaryLike} data */
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
/** @param {crypto.BinaryLike} key @param {string} data */
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

/**
 * SigV4 headers for one request (service `lambda`), valid for the server's
 * clock-skew window (15 minutes): replaying them measures the server's cost of
 * verifying a signature without the client's cost of computing one.
 * @param {{ endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, method: string, path: string, headers: Record<string, string>, body: Buffer }} o
 */
function signOnce(o) {
  const u = new URL(o.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  /** @type {Record<string, string>} */
  const h = { host: u.host, 'x-amz-date': amzDate };
  for (const [k, v] of Object.entries(o.headers)) h[k.toLowerCase()] = v;
  const names = Object.keys(h).sort();
  const signed = names.join(';');
  const canonical = [o.method, o.path, '', names.map((n) => `${n}:${h[n].trim()}\n`).join(''), signed, sha256(o.body)].join('\n');
  const scope = `${day}/${o.region}/lambda/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${o.secretAccessKey}`, day), o.region), 'lambda'), 'aws4_request');
  const sig = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  return { ...h, authorization: `AWS4-HMAC-SHA256 Credential=${o.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${sig}` };
}

/**
 * One plain HTTP request on `agent`; never rejects.
 * @param {http.Agent} agent
 * @param {URL} u
 * @param {{ method: string, path: string, headers?: Record<string, string>, body?: Buffer, timeoutMs: number }} o
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string, arrivedAt?: number, error?: string }>}
 */
function request(agent, u, o) {
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: u.hostname, port: u.port, method: o.method, path: o.path, headers: o.body ? { ...o.headers, 'content-length': String(o.body.length) } : o.headers, timeout: o.timeoutMs },
      (res) => {
        const arrivedAt = Date.now();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, arrivedAt }));
        res.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${o.timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message }));
    req.end(o.body);
  });
}

/**
 * The operation one loop repeats.
 * @param {Config} c
 * @param {http.Agent} agent
 * @param {'RequestResponse' | 'Event'} type
 * @param {'gateway' | 'sdk' | 'raw'} kind
 * @returns {() => Promise<OpResult>}
 */
function makeOp(c, agent, type, kind) {
  const timeoutMs = c.requestTimeoutMs ?? 10_000;
  const expect = type === 'Event' ? 202 : 200;
  if (kind === 'gateway') {
    assertLoopback(/** @type {string} */ (c.url));
    const u = new URL(/** @type {string} */ (c.url));
    const p = u.pathname + u.search;
    return async () => {
      const r = await request(agent, u, { method: 'GET', path: p, timeoutMs });
      return r.status === 200 && r.body === 'ok' ? { ok: true } : { ok: false, error: r.error ?? `HTTP ${r.status} ${r.body.slice(0, 120)}` };
    };
  }
  const endpoint = /** @type {string} */ (c.endpoint);
  assertLoopback(endpoint);
  const fn = /** @type {string} */ (c.functionName);
  const region = c.region ?? 'us-east-1';
  const credentials = { accessKeyId: c.accessKeyId ?? 'test', secretAccessKey: c.secretAccessKey ?? 'test' };
  const payload = Buffer.from('{}');
  // What the trivial function answers (a synchronous Invoke returns it as is);
  // checked on every response, as the gateway's body is.
  const expected = type === 'RequestResponse' ? c.expectPayload : undefined;
  if (kind === 'raw') {
    const u = new URL(endpoint);
    const p = `/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`;
    // The headers the SDK sends (v3: user agents, invocation id, body hash), all
    // signed as it signs them, so the server sees the same request shape.
    /** @type {Record<string, string>} */
    const h = {
      'content-type': 'application/octet-stream',
      'x-amz-user-agent': 'aws-sdk-js/3 nimbus-bench',
      'user-agent': 'aws-sdk-js/3 ua/2.1 lang/js md/nodejs nimbus-bench',
      'amz-sdk-invocation-id': crypto.randomUUID(),
      'amz-sdk-request': 'attempt=1; max=1',
      'x-amz-content-sha256': sha256(payload),
    };
    // The SDK sends no X-Amz-Invocation-Type for the default (RequestResponse).
    if (type !== 'RequestResponse') h['x-amz-invocation-type'] = type;
    const headers = signOnce({ endpoint, region, ...credentials, method: 'POST', path: p, headers: h, body: payload });
    return async () => {
      const r = await request(agent, u, { method: 'POST', path: p, headers, body: payload, timeoutMs });
      const requestId = /** @type {string | undefined} */ (r.headers['x-amzn-requestid']);
      if (r.status === expect && !r.headers['x-amz-function-error'] && (expected === undefined || r.body === expected)) return { ok: true, requestId, arrivedAt: r.arrivedAt };
      return { ok: false, error: r.error ?? `HTTP ${r.status}${r.headers['x-amz-function-error'] ? ` (function error ${r.headers['x-amz-function-error']})` : ''} ${r.body.slice(0, 120)}` };
    };
  }
  const { LambdaClient, InvokeCommand } = rootRequire('@aws-sdk/client-lambda');
  const { NodeHttpHandler } = rootRequire('@smithy/node-http-handler');
  const client = new LambdaClient({
    endpoint,
    region,
    credentials,
    maxAttempts: 1, // a throttle or error is counted, not retried behind our back
    requestHandler: new NodeHttpHandler({ httpAgent: agent, requestTimeout: timeoutMs, connectionTimeout: timeoutMs }),
  });
  /** request id -> Date.now() when its response's headers came back, before the SDK parses it */
  const arrivals = new Map();
  if (type === 'Event') {
    // Innermost middleware (deserialize step, low priority: right around the
    // HTTP handler), so the time is taken when the 202 arrives, not after the
    // SDK's own work on it.
    client.middlewareStack.add(
      (/** @type {any} */ next) => async (/** @type {any} */ args) => {
        const out = await next(args);
        const id = out?.response?.headers?.['x-amzn-requestid'];
        if (id) arrivals.set(id, Date.now());
        return out;
      },
      { step: 'deserialize', priority: 'low', name: 'benchArrivalTime' },
    );
  }
  return async () => {
    try {
      const r = await client.send(new InvokeCommand({ FunctionName: fn, InvocationType: type, Payload: payload }));
      const requestId = r.$metadata.requestId;
      const arrivedAt = requestId ? arrivals.get(requestId) : undefined;
      if (requestId) arrivals.delete(requestId);
      if (r.StatusCode === expect && !r.FunctionError && (expected === undefined || Buffer.from(r.Payload ?? []).toString('utf8') === expected)) return { ok: true, requestId, arrivedAt };
      return { ok: false, error: `StatusCode ${r.StatusCode}${r.FunctionError ? ` FunctionError ${r.FunctionError}` : ''} ${Buffer.from(r.Payload ?? []).toString('utf8').slice(0, 120)}` };
    } catch (e) {
      const err = /** @type {any} */ (e);
      return { ok: false, error: `${err?.name ?? 'Error'}: ${String(err?.message ?? err).slice(0, 160)}` };
    }
  };
}

/**
 * CPU time (utime + stime, in 1/100 s) of `pid` and every process below it, from
 * /proc: the server's CPU over the measured window, so the cost per request
 * can be compared between paths even when the client is what limits req/s.
 * Null when /proc is not readable.
 * @param {number | undefined} pid
 */
function treeJiffies(pid) {
  if (!pid) return null;
  const read = (/** @type {string} */ f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const seen = [pid];
  for (let i = 0; i < seen.length && i < 10_000; i++) {
    let tasks = [];
    try {
      tasks = fs.readdirSync(`/proc/${seen[i]}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) for (const c of read(`/proc/${seen[i]}/task/${t}/children`).trim().split(/\s+/)) if (c && !seen.includes(Number(c))) seen.push(Number(c));
  }
  let total = 0;
  for (const p of seen) {
    const st = read(`/proc/${p}/stat`);
    const close = st.lastIndexOf(')');
    if (close === -1) continue;
    const f = st.slice(close + 2).split(' ');
    total += Number(f[11]) + Number(f[12]);
  }
  return total > 0 ? total : null;
}

/** @param {Float64Array | number[]} sorted @param {number} p */
function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return round(sorted[Math.min(rank, sorted.length) - 1]);
}
/** @param {number} x */
const round = (x) => Math.round(x * 1000) / 1000;

/** @param {number[]} xs */
function stats(xs) {
  const s = Float64Array.from(xs).sort();
  return {
    n: s.length,
    minMs: s.length ? round(s[0]) : null,
    p50Ms: pct(s, 50),
    p90Ms: pct(s, 90),
    p99Ms: pct(s, 99),
    maxMs: s.length ? round(s[s.length - 1]) : null,
    meanMs: s.length ? round(s.reduce((a, b) => a + b, 0) / s.length) : null,
  };
}

/**
 * @typedef {{ requestId: string, sentAt: number, acceptedAt: number }} Accepted
 */

/**
 * `connections` loops for `durationS`; returns what completed inside the window.
 * Loops stop sending at the end of the window; answers still in flight are
 * awaited (bounded by the request timeout) but not counted, except that an
 * accepted event is always returned in `accepted` (it will run).
 * @param {() => Promise<OpResult>} op
 * @param {number} connections
 * @param {number} durationS
 * @param {number} [serverPid] whose process tree's CPU over the window is reported
 */
async function closedLoop(op, connections, durationS, serverPid) {
  /** @type {number[]} */
  const latencies = [];
  /** @type {Accepted[]} */
  const accepted = [];
  /** @type {Record<string, number>} */
  const errorKinds = {};
  let errors = 0;
  let late = 0;
  const cpu0 = process.cpuUsage();
  const server0 = treeJiffies(serverPid);
  const t0 = performance.now();
  const end = t0 + durationS * 1000;
  /** @type {number | null} */
  let server1 = null;
  // The server's CPU is read when the window closes, not when the last answer is in.
  const closeTimer = setTimeout(() => (server1 = treeJiffies(serverPid)), durationS * 1000);
  const loop = async () => {
    while (performance.now() < end) {
      const sentAt = Date.now();
      const s = performance.now();
      const r = await op();
      const e = performance.now();
      if (r.ok && r.requestId) accepted.push({ requestId: r.requestId, sentAt, acceptedAt: r.arrivedAt ?? Date.now() });
      if (e > end) {
        late++;
        break;
      }
      if (r.ok) latencies.push(e - s);
      else {
        errors++;
        const k = (r.error ?? 'error').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>');
        errorKinds[k] = (errorKinds[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  clearTimeout(closeTimer);
  if (server1 === null) server1 = treeJiffies(serverPid);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (Math.min(performance.now(), end) - t0) / 1000;
  const serverJiffies = server0 !== null && server1 !== null ? server1 - server0 : null;
  return {
    requests: latencies.length,
    rps: round(latencies.length / seconds),
    ...stats(latencies),
    errors,
    errorKinds,
    completedAfterWindow: late,
    clientCpuCores: round((cpu.user + cpu.system) / 1e6 / seconds),
    serverCpuCores: serverJiffies !== null ? round(serverJiffies / 100 / seconds) : null,
    /** The server's CPU time per completed request, in ms (1/100 s resolution over the window). */
    serverCpuMsPerRequest: serverJiffies !== null && latencies.length ? round((serverJiffies * 10) / latencies.length) : null,
    accepted,
  };
}

/**
 * Events at `rate` per second for `durationS` (open loop: sending does not wait
 * for answers; at most `connections` in flight, beyond that an event is skipped
 * and counted).
 * @param {() => Promise<OpResult>} op
 * @param {number} rate
 * @param {number} durationS
 * @param {number} connections
 */
async function paced(op, rate, durationS, connections) {
  const n = Math.max(1, Math.round(rate * durationS));
  /** @type {Accepted[]} */
  const accepted = [];
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const errorKinds = {};
  let errors = 0;
  let skipped = 0;
  let maxSendLagMs = 0;
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    if (inFlight.size >= connections) {
      skipped++;
      continue;
    }
    const sentAt = Date.now();
    const s = performance.now();
    const p = op().then((r) => {
      if (r.ok && r.requestId) {
        accepted.push({ requestId: r.requestId, sentAt, acceptedAt: r.arrivedAt ?? Date.now() });
        latencies.push(performance.now() - s);
      } else {
        errors++;
        const k = r.error ?? 'error';
        errorKinds[k] = (errorKinds[k] ?? 0) + 1;
      }
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { sent: n - skipped, skipped, errors, errorKinds, maxSendLagMs: round(maxSendLagMs), acceptLatency: stats(latencies), accepted };
}

/**
 * `requestId -> Date.now()` at the function's start, from the recorder's file.
 * @param {string} file
 */
function readStarts(file) {
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
    if (sp > 0) m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/**
 * Waits (at most `maxS`) until every accepted event has a start line; returns
 * the starts and how long it waited.
 * @param {string} file
 * @param {Accepted[]} accepted
 * @param {number} maxS
 */
async function waitRan(file, accepted, maxS) {
  const t0 = Date.now();
  let starts = readStarts(file);
  while (Date.now() - t0 < maxS * 1000 && accepted.some((a) => !starts.has(a.requestId))) {
    await sleep(100);
    starts = readStarts(file);
  }
  return { starts, waitedS: (Date.now() - t0) / 1000 };
}

/**
 * Accepted events matched with their start: acceptance (202 at the client) to
 * start, and send to start.
 * @param {Accepted[]} accepted
 * @param {Map<string, number>} starts
 */
function matchStarts(accepted, starts) {
  /** @type {number[]} */
  const acceptToStart = [];
  /** @type {number[]} */
  const sendToStart = [];
  let firstStart = Infinity;
  let lastStart = 0;
  let lastAccepted = 0;
  for (const a of accepted) {
    lastAccepted = Math.max(lastAccepted, a.acceptedAt);
    const s = starts.get(a.requestId);
    if (s === undefined) continue;
    acceptToStart.push(s - a.acceptedAt);
    sendToStart.push(s - a.sentAt);
    firstStart = Math.min(firstStart, s);
    lastStart = Math.max(lastStart, s);
  }
  return {
    accepted: accepted.length,
    ran: acceptToStart.length,
    notRun: accepted.length - acceptToStart.length,
    startedBeforeAcceptance: acceptToStart.filter((x) => x < 0).length,
    acceptToStart: stats(acceptToStart),
    sendToStart: stats(sendToStart),
    /** From the last acceptance to the last start: how long the queue took to drain. */
    drainMs: acceptToStart.length ? lastStart - lastAccepted : null,
    /** Events started per second, from the first start to the last. */
    startedPerS: acceptToStart.length > 1 && lastStart > firstStart ? round((acceptToStart.length - 1) / ((lastStart - firstStart) / 1000)) : null,
  };
}

/** @param {string | undefined} file @param {Accepted[]} accepted @param {Map<string, number>} starts */
function writeIds(file, accepted, starts) {
  if (!file) return;
  fs.writeFileSync(file, accepted.map((a) => `${a.requestId} ${a.sentAt} ${a.acceptedAt} ${starts.get(a.requestId) ?? '-'}\n`).join(''));
}

/** @param {Config} c */
async function main(c) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: c.connections });
  try {
    if (c.mode === 'gateway' || c.mode === 'sdk' || c.mode === 'raw') {
      const op = makeOp(c, agent, 'RequestResponse', c.mode);
      if (c.warmupS > 0) await closedLoop(op, c.connections, c.warmupS);
      const r = await closedLoop(op, c.connections, c.durationS, c.serverPid);
      const { accepted, ...rest } = r;
      return { mode: c.mode, connections: c.connections, durationS: c.durationS, warmupS: c.warmupS, ...rest };
    }
    const outFile = /** @type {string} */ (c.outFile);
    const drainS = c.drainS ?? 60;
    const kind = c.client ?? 'sdk';
    const op = makeOp(c, agent, 'Event', kind);
    // The recorder runs warm: a few synchronous invocations create an instance.
    const warmSync = makeOp(c, agent, 'RequestResponse', kind);
    for (let i = 0; i < 5; i++) {
      const w = await warmSync();
      if (!w.ok) throw new Error(`warm-up Invoke of ${c.functionName} failed: ${w.error}`);
    }
    if (c.mode === 'event') {
      /** @type {any} */
      let warm = null;
      if (c.warmupS > 0) {
        const w = await closedLoop(op, c.connections, c.warmupS);
        const ran = await waitRan(outFile, w.accepted, drainS);
        warm = { accepted: w.accepted.length, ran: w.accepted.filter((a) => ran.starts.has(a.requestId)).length, drainWaitS: ran.waitedS };
      }
      const r = await closedLoop(op, c.connections, c.durationS, c.serverPid);
      const ran = await waitRan(outFile, r.accepted, drainS);
      writeIds(c.idsFile, r.accepted, ran.starts);
      const { accepted, ...rest } = r;
      return {
        mode: c.mode,
        client: kind,
        connections: c.connections,
        durationS: c.durationS,
        warmup: warm,
        acceptedPerS: rest.rps,
        ...rest,
        waitedForRunsS: ran.waitedS,
        ...matchStarts(accepted, ran.starts),
      };
    }
    // event-paced
    const rate = c.rate ?? 200;
    /** @type {any} */
    let warm = null;
    if (c.warmupS > 0) {
      const w = await paced(op, rate, c.warmupS, c.connections);
      const ran = await waitRan(outFile, w.accepted, drainS);
      warm = { accepted: w.accepted.length, ran: w.accepted.filter((a) => ran.starts.has(a.requestId)).length };
      await sleep(500);
    }
    const cpu0 = process.cpuUsage();
    const tp = performance.now();
    const r = await paced(op, rate, c.durationS, c.connections);
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - tp) / 1000;
    const ran = await waitRan(outFile, r.accepted, drainS);
    writeIds(c.idsFile, r.accepted, ran.starts);
    const { accepted, ...rest } = r;
    return {
      mode: c.mode,
      client: kind,
      rate,
      durationS: c.durationS,
      warmup: warm,
      ...rest,
      clientCpuCores: round((cpu.user + cpu.system) / 1e6 / seconds),
      waitedForRunsS: ran.waitedS,
      ...matchStarts(accepted, ran.starts),
    };
  } finally {
    agent.destroy();
  }
}

module.exports = { signOnce, readStarts, matchStarts, stats, closedLoop, treeJiffies };

// Required here, after the exports: load-loops.js requires this module.
if (require.main === module) require('./load-loops').runLoadCli('lambda-load', main);
