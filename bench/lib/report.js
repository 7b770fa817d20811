// @ts-check
'use strict';
/** Machine info, ratios and the markdown report. */
const fs = require('node:fs');
const os = require('node:os');
const { renderDynamo } = require('./dynamodb-report');
const { renderS3 } = require('./s3-report');

function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    cpuModel,
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memTotalGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    hostname: os.hostname(),
  };
}

/** @param {number | null | undefined} x @param {number} [digits] */
function num(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
/** @param {number | null | undefined} x */
const int = (x) => num(x, 0);
/** @param {number | null | undefined} x */
const ratio = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${num(x, x < 0.1 ? 3 : 2)}×`);
/** @param {number | null | undefined} kib */
const mib = (kib) => (kib === null || kib === undefined ? '—' : num(kib / 1024, 1));

/**
 * @param {number[]} xs
 * @param {number} p 0..100
 */
function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  // nearest-rank: the smallest value with at least p% of the samples at or below it
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1];
}

/**
 * @param {any} a
 * @param {any} b
 */
function compare(a, b) {
  if (!a?.load || !b?.load) return null;
  return {
    rps: a.load.rps / b.load.rps,
    p50: a.load.p50Ms !== null && b.load.p50Ms ? a.load.p50Ms / b.load.p50Ms : null,
    p99: a.load.p99Ms !== null && b.load.p99Ms ? a.load.p99Ms / b.load.p99Ms : null,
    addedP50Ms: a.load.p50Ms !== null && b.load.p50Ms !== null ? a.load.p50Ms - b.load.p50Ms : null,
    addedP99Ms: a.load.p99Ms !== null && b.load.p99Ms !== null ? a.load.p99Ms - b.load.p99Ms : null,
  };
}

/** @param {any} results */
function computeRatios(results) {
  const t = results.throughput;
  /** @type {Record<string, any>} */
  const out = {};
  const pairs = [
    ['nimbus', 'bare'],
    ['nimbus', 'sls-offline'],
    ['nimbus', 'sls-offline-inprocess'],
    ['nimbus', 'workerd'],
    ['sls-offline', 'bare'],
    ['sls-offline-inprocess', 'bare'],
    ['workerd', 'bare'],
  ];
  for (const [a, b] of pairs) {
    const c = compare(t[a], t[b]);
    if (c) out[`${a}/${b}`] = c;
  }
  return out;
}

/** @param {any} r */
function errorsOf(r) {
  const l = r.load;
  const n = l.non2xx + l.socketErrors + l.timeouts;
  if (n === 0) return '0';
  const parts = [];
  if (l.non2xx) parts.push(`${l.non2xx} non-2xx`);
  if (l.socketErrors) parts.push(`${l.socketErrors} socket`);
  if (l.timeouts) parts.push(`${l.timeouts} timeouts`);
  return parts.join(', ');
}

/** @param {string} s */
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** @param {any} results */
function renderMarkdown(results) {
  const m = results.machine;
  const o = results.options;
  const L = [];
  L.push(`# Nimbus benchmark — ${results.startedAt}`);
  L.push('');
  L.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memTotalGiB} GiB, ${m.os}, Node ${m.node}.`);
  const tools = results.tools;
  if (o.throughput) L.push(
    `Load: ${tools.load ?? '—'}, \`-t 1 -c ${o.connections} -d ${o.durationS}s --latency\` after a ${o.warmupS} s warm-up at the same concurrency` +
      `${o.repeat > 1 ? `, ${o.repeat} rounds interleaved across targets, each target's median run by req/s` : ''}; loopback only.` +
      ` Handler: \`exports.handler = async (event) => ({ statusCode: 200, body: 'ok' })\`, GET /hello (HTTP API route).` +
      `${o.quick ? ' **--quick run: short durations, numbers are indicative only.**' : ''}`,
  );
  const peerBits = [];
  if (tools.serverless) peerBits.push(`serverless ${tools.serverless}`);
  if (tools.serverlessOffline) peerBits.push(`serverless-offline ${tools.serverlessOffline}`);
  if (tools.workerd) peerBits.push(`workerd ${tools.workerd}`);
  if (tools.dynalite) peerBits.push(`dynalite ${tools.dynalite}`);
  if (tools.s3rver) peerBits.push(`s3rver ${tools.s3rver}`);
  if (peerBits.length) L.push(`Peers: ${peerBits.join(', ')}.`);
  if (tools.nimbus) L.push(`Nimbus: ${tools.nimbus}.`);
  L.push(`Command: \`${results.command}\``);
  L.push('');

  const t = results.throughput;
  const ids = Object.keys(t);
  if (ids.length) {
    L.push('## Warm HTTP throughput');
    L.push('');
    L.push(`| target | req/s | p50 (ms) | p99 (ms) | errors | req/s vs bare | p99 added vs bare (ms) |${o.repeat > 1 ? ' req/s of all runs |' : ''} other CPU (cores) |`);
    L.push(`| --- | ---: | ---: | ---: | --- | ---: | ---: |${o.repeat > 1 ? ' --- |' : ''} ---: |`);
    for (const id of ids) {
      const r = t[id];
      if (r.status !== 'ok') {
        L.push(`| ${cell(r.label)} | ${r.status}: ${cell(r.reason ?? '')} | | | | | |${o.repeat > 1 ? ' |' : ''} |`);
        continue;
      }
      const c = id === 'bare' ? null : compare(r, t.bare);
      const spread = o.repeat > 1 ? ` ${r.runs.map((/** @type {any} */ x) => int(x.rps)).join(', ')} |` : '';
      const other = Math.max(...r.runs.map((/** @type {any} */ x) => x.cpu?.otherCores ?? 0));
      L.push(
        `| ${cell(r.label)} | ${int(r.load.rps)} | ${num(r.load.p50Ms)} | ${num(r.load.p99Ms)} | ${errorsOf(r)} | ${id === 'bare' ? '1.00×' : ratio(c?.rps)} | ${
          id === 'bare' ? '—' : c?.addedP99Ms !== null && c?.addedP99Ms !== undefined ? (c.addedP99Ms >= 0 ? '+' : '') + num(c.addedP99Ms) : '—'
        } |${spread} ${r.runs[0]?.cpu ? `≤ ${num(other)}` : '—'} |`,
      );
    }
    L.push('');
    const rat = results.ratios;
    const lines = [];
    for (const [key, label] of /** @type {[string, string][]} */ ([
      ['nimbus/bare', 'Nimbus / bare node:http'],
      ['nimbus/sls-offline', 'Nimbus / serverless-offline (default)'],
      ['nimbus/sls-offline-inprocess', 'Nimbus / serverless-offline --useInProcess'],
      ['nimbus/workerd', 'Nimbus / workerd'],
    ])) {
      const c = rat[key];
      if (!c) continue;
      lines.push(
        `| ${label} | ${ratio(c.rps)} | ${ratio(c.p50)} | ${ratio(c.p99)} | ${c.addedP50Ms >= 0 ? '+' : ''}${num(c.addedP50Ms)} | ${c.addedP99Ms >= 0 ? '+' : ''}${num(c.addedP99Ms)} |`,
      );
    }
    L.push('"other CPU" is the most CPU (in cores) that processes outside the bench used during any measured run of that target; above ~0.15 the run shared the machine.');
    L.push('');
    if (lines.length) {
      L.push('Ratios (higher req/s ratio is better for Nimbus; latency ratios above 1× mean Nimbus is slower):');
      L.push('');
      L.push('| ratio | req/s | p50 | p99 | p50 added (ms) | p99 added (ms) |');
      L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
      L.push(...lines);
      L.push('');
    }
  }

  const cold = results.cold;
  if (Object.keys(cold).length) {
    L.push(`## Cold start (${o.coldFunctions} distinct functions, first request to each, sequential)`);
    L.push('');
    L.push('| target | p50 (ms) | p90 (ms) | max (ms) | warm p50, 2nd request (ms) | errors |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of Object.values(cold)) {
      if (r.status !== 'ok') {
        L.push(`| ${cell(r.label)} | ${r.status}: ${cell(r.reason ?? '')} | | | | |`);
        continue;
      }
      L.push(`| ${cell(r.label)} | ${num(r.p50Ms)} | ${num(r.p90Ms)} | ${num(r.maxMs)} | ${num(r.warmP50Ms)} | ${r.errors} |`);
    }
    L.push('');
  }

  const memRows = Object.values(t).filter((r) => r.status === 'ok' && r.memoryAfter);
  if (memRows.length) {
    L.push('## Memory (MiB; RSS from /proc/<pid>/status, PSS from smaps_rollup)');
    L.push('');
    L.push('RSS counts pages shared between processes (Node\'s code, in every instance) once per process; PSS divides them among the sharers, so PSS per child is what one more warm instance costs and total PSS is the real footprint.');
    L.push('');
    L.push('| target | main process RSS, idle | main process RSS, after load | child processes after load | RSS per child (mean) | PSS per child (mean) | total RSS after load | total PSS after load |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of memRows) {
      const a = r.memoryAfter;
      const n = a.childCount;
      L.push(
        `| ${cell(r.label)} | ${mib(r.memoryIdle?.main.rssKiB)} | ${mib(a.main.rssKiB)} | ${n} | ${n ? mib(a.childRssKiB / n) : '—'} | ${n ? mib(a.childPssKiB / n) : '—'} | ${mib((a.main.rssKiB ?? 0) + a.childRssKiB)} | ${mib((a.main.pssKiB ?? 0) + a.childPssKiB)} |`,
      );
    }
    L.push('');
  }

  if (results.lambda) L.push(...renderLambda(results.lambda, o));
  if (results.dynamodb) L.push(...renderDynamo(results.dynamodb, o));
  if (results.s3) L.push(...renderS3(results.s3, o));

  if (results.notes.length) {
    L.push('## Notes');
    L.push('');
    for (const n of results.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

/** @param {number | null | undefined} x */
const signed = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x >= 0 ? '+' : ''}${num(x)}`);

/**
 * The `--measure=lambda` section.
 * @param {any} l results.lambda
 * @param {any} o results.options
 * @returns {string[]}
 */
function renderLambda(l, o) {
  const L = [];
  L.push('## Lambda API: Invoke through the AWS SDK vs the HTTP gateway');
  L.push('');
  if (l.status !== 'ok') {
    L.push(`${l.status}: ${cell(l.reason ?? '')}`);
    L.push('');
    return L;
  }
  const c = l.connections;
  L.push(
    `One Nimbus (\`dev\` with the trivial app), the same warm function \`${l.functionName}\` reached two ways: its HTTP API route GET /hello, and \`Invoke\` on the AWS endpoint. ` +
      `Both are driven by the same Node load generator in its own process (\`bench/lib/lambda-load.js\`: ${c} closed loops over one keep-alive \`http.Agent\`, maxSockets ${c}), ` +
      `${o.warmupS} s warm-up then ${o.durationS} s measured${o.repeat > 1 ? `, ${o.repeat} rounds interleaved, the median run by req/s` : ''}. ` +
      'The SDK is `@aws-sdk/client-lambda` from the root node_modules (`NodeHttpHandler` on that agent, `maxAttempts: 1`); "plain HTTP, signed once" sends the same Invoke with the SDK\'s headers and a SigV4 signature computed once and replayed (the server still verifies every signature), which separates the server\'s cost from the SDK\'s client-side work. ' +
      'Latencies here are the Node client\'s, not wrk\'s: compare them within this section only. ' +
      '"Nimbus CPU" is the CPU time of Nimbus\' process tree (server and instances, from /proc) over the measured window; per request it compares the two paths even when the load generator is what limits req/s.',
  );
  L.push('');
  L.push('| path | req/s | p50 (ms) | p99 (ms) | errors | req/s vs gateway | Nimbus CPU per request (ms) | Nimbus CPU (cores) | load generator CPU (cores) | other CPU (cores) |' + (o.repeat > 1 ? ' req/s of all runs |' : ''));
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |' + (o.repeat > 1 ? ' --- |' : ''));
  const g = l.sync.gateway?.median;
  for (const mode of ['gateway', 'sdk', 'raw', 'sdkStub']) {
    const r = l.sync[mode];
    if (!r) continue;
    if (r.status !== 'ok') {
      L.push(`| ${cell(r.label)} | ${r.status}: ${cell(r.reason ?? '')} | | | | | | | | |${o.repeat > 1 ? ' |' : ''}`);
      continue;
    }
    const m = r.median;
    const other = Math.max(...r.runs.map((/** @type {any} */ x) => x.cpu?.otherCores ?? 0));
    L.push(
      `| ${cell(r.label)} | ${int(m.rps)} | ${num(m.p50Ms)} | ${num(m.p99Ms)} | ${r.runs.reduce((/** @type {number} */ n, /** @type {any} */ x) => n + x.errors, 0)} | ${
        mode === 'gateway' ? '1.00×' : ratio(g ? m.rps / g.rps : null)
      } | ${mode === 'sdkStub' ? '(stub)' : num(m.serverCpuMsPerRequest, 3)} | ${mode === 'sdkStub' ? '(stub)' : num(m.serverCpuCores)} | ${num(m.clientCpuCores)} | ${r.runs[0]?.cpu ? `≤ ${num(other)}` : '—'} |${o.repeat > 1 ? ` ${r.runs.map((/** @type {any} */ x) => int(x.rps)).join(', ')} |` : ''}`,
    );
  }
  L.push('');
  const rows = [];
  for (const [key, label] of /** @type {[string, string][]} */ ([
    ['sdk/gateway', 'SDK Invoke / gateway (issue target: req/s ≥ 0.80×)'],
    ['raw/gateway', 'plain-HTTP Invoke / gateway'],
    ['sdk/raw', 'SDK Invoke / plain-HTTP Invoke (the SDK client\'s share)'],
    ['sdk/sdkStub', 'SDK Invoke on Nimbus / SDK against the stub (near 1×: the client set the pace)'],
  ])) {
    const r = l.ratios[key];
    if (!r) continue;
    rows.push(`| ${label} | ${ratio(r.rps)} | ${ratio(r.p50)} | ${ratio(r.p99)} | ${signed(r.addedP50Ms)} | ${signed(r.addedP99Ms)} | ${ratio(r.serverCpuPerRequest)} |`);
  }
  if (rows.length) {
    L.push('| ratio | req/s | p50 | p99 | p50 added (ms) | p99 added (ms) | Nimbus CPU per request |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    L.push(...rows);
    L.push('');
    const stub = l.sync.sdkStub?.status === 'ok' ? l.sync.sdkStub.median : null;
    if (stub && stub.rps > 0) {
      L.push(
        `The SDK client's own cost, from the stub run: ${num((stub.clientCpuCores * 1000) / stub.rps, 3)} ms of CPU per \`InvokeCommand\` in the load generator ` +
          `(a plain node:http GET costs it ${l.sync.gateway?.median ? num((l.sync.gateway.median.clientCpuCores * 1000) / l.sync.gateway.median.rps, 3) : '—'} ms), so one Node process of SDK calls tops out near ${int(stub.rps)} calls/s on this machine whatever the server.`,
      );
      L.push('');
    }
    if (l.ratios.sdkGatewayRpsByRound?.length > 1) {
      L.push(`SDK/gateway req/s round by round (paired runs): ${l.ratios.sdkGatewayRpsByRound.map((/** @type {number} */ x) => ratio(x)).join(', ')}.`);
      L.push('');
    }
  }

  const a = l.async;
  L.push(`### Asynchronous invocations (InvocationType Event)`);
  L.push('');
  if (a.status === 'skipped') {
    L.push(`skipped: ${cell(a.reason)}`);
    L.push('');
    return L;
  }
  if (!a.paced && !a.burst && !a.burstRaw) {
    L.push('not run (see notes)');
    L.push('');
    return L;
  }
  L.push(
    `Function \`${l.asyncFunctionName}\` (\`bench/apps/async/\`, deployed to the same Nimbus with \`nimbus deploy\`) appends \`<awsRequestId> <Date.now()>\` to a file when it starts; ` +
      'each accepted event (its request id from the 202\'s `x-amzn-RequestId`) is matched with that line. "Acceptance" is when the 202\'s headers reached the client ' +
      '(for the SDK: taken in an innermost middleware, before the SDK parses the response). Both clocks are `Date.now()` on this machine, so single values are whole milliseconds. ' +
      'The paced run comes first, after waiting for a quiet machine; each burst warms up for 1 s and waits for those events to run first. The harness waits (bounded) until every accepted event has run.',
  );
  L.push('');
  L.push('| run | accepted/s | Invoke → 202 p50 / p99 (ms) | acceptance → start p50 / p99 / max (ms) | send → start p50 / p99 (ms) | ran / accepted | started before its 202 arrived | last start after last 202 (ms) | started/s | load generator CPU (cores) |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const p = a.paced;
  if (p) {
    L.push(
      `| paced, ${int(p.rate)}/s for ${p.durationS} s, SDK | ${num(p.accepted / p.durationS, 0)} (${int(p.sent)} sent, ${int(p.skipped)} skipped) | ${num(p.acceptLatency.p50Ms)} / ${num(p.acceptLatency.p99Ms)} | ${int(p.acceptToStart.p50Ms)} / ${int(p.acceptToStart.p99Ms)} / ${int(p.acceptToStart.maxMs)} | ${int(p.sendToStart.p50Ms)} / ${int(p.sendToStart.p99Ms)} | ${int(p.ran)} / ${int(p.accepted)} | ${int(p.startedBeforeAcceptance)} | ${int(p.drainMs)} | — | ${num(p.clientCpuCores)} |`,
    );
  }
  for (const [k, label] of /** @type {[string, string][]} */ ([
    ['burst', 'SDK'],
    ['burstRaw', 'plain HTTP, signed once'],
  ])) {
    const b = a[k];
    if (!b) continue;
    L.push(
      `| burst, ${b.connections} in flight for ${b.durationS} s, ${label} | **${int(b.acceptedPerS)}** | ${num(b.p50Ms)} / ${num(b.p99Ms)} | ${int(b.acceptToStart.p50Ms)} / ${int(b.acceptToStart.p99Ms)} / ${int(b.acceptToStart.maxMs)} | ${int(b.sendToStart.p50Ms)} / ${int(b.sendToStart.p99Ms)} | ${int(b.ran)} / ${int(b.accepted)} | ${int(b.startedBeforeAcceptance)} | ${int(b.drainMs)} | ${int(b.startedPerS)} | ${num(b.clientCpuCores)} |`,
    );
  }
  L.push('');
  const t = [];
  if (a.burst || a.burstRaw) {
    t.push(`at least 5,000 accepted/s — ${[a.burst ? `SDK ${int(a.burst.acceptedPerS)}` : null, a.burstRaw ? `plain HTTP ${int(a.burstRaw.acceptedPerS)}` : null].filter(Boolean).join(', ')}`);
  }
  if (p) t.push(`p99 acceptance → start under 20 ms on an idle machine — ${int(p.acceptToStart.p99Ms)} ms at ${int(p.rate)}/s`);
  if (t.length) {
    L.push(`Issue targets: ${t.join('; ')}.`);
    L.push('');
  }
  L.push(
    'A negative acceptance → start means the function started before the client saw the 202 (the event is committed and handed to the poller before the response is written). ' +
      'In a burst the load generator\'s event loop is saturated, so 202s wait in the client and acceptance → start there says little; send → start and "last start after last 202" (how far execution lags behind acceptance) are the burst\'s latency figures.',
  );
  L.push('');
  return L;
}

module.exports = { machineInfo, renderMarkdown, computeRatios, percentile };
