// @ts-check
'use strict';
/**
 * The load generator, always a separate process: wrk (`-t 1 -c N -d Ds --latency`)
 * when it is installed, else autocannon from bench/'s own package.json. Every run
 * is bounded: the tool's own duration plus a hard kill.
 */
const fs = require('node:fs');
const path = require('node:path');
const { runSync, runAsync } = require('./proc');

const BENCH_DIR = path.resolve(__dirname, '..');

/**
 * @typedef {{ tool: string, url: string, connections: number, durationS: number,
 *   requests: number, rps: number, p50Ms: number | null, p75Ms: number | null, p90Ms: number | null, p99Ms: number | null,
 *   maxMs: number | null, non2xx: number, socketErrors: number, timeouts: number }} LoadResult
 */

/**
 * @param {string} [prefer] 'wrk' (default) or 'autocannon'
 * @returns {{ kind: 'wrk', bin: string, version: string } | { kind: 'autocannon', bin: string, version: string } | null}
 */
function findLoadTool(prefer = 'wrk') {
  for (const bin of prefer === 'autocannon' ? [] : ['/usr/bin/wrk', '/usr/local/bin/wrk']) {
    if (fs.existsSync(bin)) {
      const r = runSync(bin, ['--version'], { timeoutMs: 5000 });
      const version = /wrk\s+(\S+)/.exec(r.stdout + r.stderr)?.[1] ?? 'unknown';
      return { kind: 'wrk', bin, version };
    }
  }
  const ac = path.join(BENCH_DIR, 'node_modules', 'autocannon', 'autocannon.js');
  if (fs.existsSync(ac)) {
    const pkg = JSON.parse(fs.readFileSync(path.join(BENCH_DIR, 'node_modules', 'autocannon', 'package.json'), 'utf8'));
    return { kind: 'autocannon', bin: ac, version: pkg.version };
  }
  return null;
}

/** wrk prints `12.34us`, `1.20ms`, `2.00s`, `1.5m`. @param {string} s */
function toMs(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return null;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : m[2] === 's' ? v * 1000 : v * 60_000;
}

/**
 * @param {string} out wrk's stdout
 * @returns {Omit<LoadResult, 'tool' | 'url' | 'connections' | 'durationS'>}
 */
function parseWrk(out) {
  const pct = (/** @type {string} */ p) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? toMs(m[1]) : null;
  };
  const latencyLine = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new Error(`could not parse wrk output:\n${out}`);
  return {
    requests,
    rps,
    p50Ms: pct('50'),
    p75Ms: pct('75'),
    p90Ms: pct('90'),
    p99Ms: pct('99'),
    maxMs: latencyLine ? toMs(latencyLine[3]) : null,
    non2xx,
    socketErrors: se ? Number(se[1]) + Number(se[2]) + Number(se[3]) : 0,
    timeouts: se ? Number(se[4]) : 0,
  };
}

/**
 * Runs the load generator against `url`.
 * @param {NonNullable<ReturnType<typeof findLoadTool>>} tool
 * @param {string} url
 * @param {{ connections: number, durationS: number }} o
 * @returns {Promise<LoadResult>}
 */
async function runLoad(tool, url, o) {
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(url)) {
    throw new Error(`refusing to load a non-loopback address: ${url}`);
  }
  const timeoutMs = (o.durationS + 20) * 1000;
  if (tool.kind === 'wrk') {
    const args = ['-t', '1', '-c', String(o.connections), '-d', `${o.durationS}s`, '--latency', url];
    const r = await runAsync(tool.bin, args, { timeoutMs });
    if (!r.ok) throw new Error(`wrk failed (${r.error ?? `exit ${r.status}`}): ${r.stderr || r.stdout}`);
    return { tool: `wrk ${tool.version}`, url, connections: o.connections, durationS: o.durationS, ...parseWrk(r.stdout) };
  }
  const args = [tool.bin, '-c', String(o.connections), '-d', String(o.durationS), '-j', url];
  const r = await runAsync(process.execPath, args, { timeoutMs });
  if (!r.ok) throw new Error(`autocannon failed (${r.error ?? `exit ${r.status}`}): ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  return {
    tool: `autocannon ${tool.version}`,
    url,
    connections: o.connections,
    durationS: o.durationS,
    requests: j.requests.total,
    rps: j.requests.average,
    p50Ms: j.latency.p50,
    p75Ms: j.latency.p75 ?? null,
    p90Ms: j.latency.p90,
    p99Ms: j.latency.p99,
    maxMs: j.latency.max,
    non2xx: j.non2xx ?? 0,
    socketErrors: j.errors ?? 0,
    timeouts: j.timeouts ?? 0,
  };
}

/**
 * A short wrk run that tells which non-2xx responses a target gives (status and
 * body start, counted), after a measured run had some. wrk only; null otherwise.
 * @param {NonNullable<ReturnType<typeof findLoadTool>>} tool
 * @param {string} url
 * @param {{ connections: number, durationS: number }} o
 * @returns {Promise<Record<string, number> | null>}
 */
async function sampleNon2xx(tool, url, o) {
  if (tool.kind !== 'wrk') return null;
  const script = path.join(__dirname, 'non2xx.lua');
  const r = await runAsync(tool.bin, ['-t', '1', '-c', String(o.connections), '-d', `${o.durationS}s`, '-s', script, url], { timeoutMs: (o.durationS + 20) * 1000 });
  /** @type {Record<string, number>} */
  const counts = {};
  for (const line of r.stderr.split('\n')) if (/^\d{3} /.test(line)) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

module.exports = { findLoadTool, runLoad, sampleNon2xx, parseWrk, toMs };
