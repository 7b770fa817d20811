// @ts-check
'use strict';
/**
 * Processes the benchmark starts: each server under test runs in its own process
 * group (so the load generator, the server and the harness never share an event
 * loop, and stopping it ends exactly the processes it started), readiness polling,
 * free loopback ports, and memory readings from /proc.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

/** @typedef {{ pid: number, name: string, proc: import('node:child_process').ChildProcess, logFile: string, exited: Promise<number | null>, exitCode: number | null | undefined, stop: () => Promise<void> }} Server */

/** Every group still running, stopped on exit whatever happens. */
const running = new Set();

/**
 * Starts `cmd args` in a new process group with stdout and stderr going to
 * `logFile` (a file, not a pipe: a server that logs every request must never be
 * slowed down by the harness not reading its output).
 * @param {string} name
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ logFile: string, cwd?: string, env?: NodeJS.ProcessEnv }} o
 * @returns {Server}
 */
function startServer(name, cmd, args, o) {
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const fd = fs.openSync(o.logFile, 'a');
  fs.writeSync(fd, `$ ${[cmd, ...args].join(' ')}\n`);
  const proc = spawn(cmd, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    detached: true, // own process group: kill(-pid) reaches its children too, and nothing else
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  /** @type {Server} */
  const server = {
    pid: /** @type {number} */ (proc.pid),
    name,
    proc,
    logFile: o.logFile,
    exitCode: undefined,
    exited: new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        server.exitCode = code ?? (signal ? -1 : null);
        running.delete(server);
        resolve(code);
      });
      proc.on('error', (e) => {
        fs.appendFileSync(o.logFile, `spawn error: ${e.message}\n`);
        server.exitCode = -1;
        running.delete(server);
        resolve(-1);
      });
    }),
    stop: () => stopGroup(server),
  };
  running.add(server);
  return server;
}

/**
 * SIGTERM to the group, SIGKILL after a grace period. The group id is the pid of the
 * process we spawned, so only what we started is signalled.
 * @param {Server} server
 * @param {number} [graceMs]
 */
async function stopGroup(server, graceMs = 5000) {
  const signal = (/** @type {NodeJS.Signals} */ sig) => {
    try {
      process.kill(-server.pid, sig);
    } catch {
      /* already gone */
    }
  };
  if (server.exitCode === undefined) {
    signal('SIGTERM');
    const timer = new Promise((r) => setTimeout(r, graceMs, 'timeout'));
    if ((await Promise.race([server.exited, timer])) === 'timeout') signal('SIGKILL');
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
  // The leader may be gone while children it left behind still hold the group.
  signal('SIGKILL');
  running.delete(server);
}

function stopAllSync() {
  for (const s of running) {
    try {
      process.kill(-s.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  running.clear();
}
process.on('exit', stopAllSync);
for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping servers\n`);
    stopAllSync();
    process.exit(130);
  });
}

/** @param {Server} s */
function tail(s, lines = 25) {
  return `${readOr(s.logFile).split('\n').slice(-lines).join('\n')}\n(full log: ${s.logFile})`;
}

/**
 * `n` distinct free loopback TCP ports: all are held until every one is bound, so
 * the same port is never handed out twice (the race with other programs between
 * release and reuse is acceptable for a bench). Ports handed out earlier in this
 * run are never reused.
 * @param {number} n
 * @returns {Promise<number[]>}
 */
async function freePorts(n) {
  /** @type {net.Server[]} */
  const servers = [];
  /** @type {number[]} */
  const ports = [];
  try {
    while (ports.length < n) {
      const srv = net.createServer();
      servers.push(srv);
      const port = await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(/** @type {net.AddressInfo} */ (srv.address()).port));
      });
      if (!handedOut.has(port)) {
        handedOut.add(port);
        ports.push(port);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }
  return ports;
}
/** @type {Set<number>} */
const handedOut = new Set();

async function freePort() {
  return (await freePorts(1))[0];
}

/**
 * One GET; resolves with status, body and elapsed ms, never rejects.
 * @param {string} url
 * @param {{ timeoutMs?: number, agent?: http.Agent }} [o]
 * @returns {Promise<{ status: number, body: string, ms: number, error?: string }>}
 */
function get(url, o = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const done = (/** @type {number} */ status, /** @type {string} */ body, /** @type {string | undefined} */ error) =>
      resolve({ status, body, ms: Number(process.hrtime.bigint() - t0) / 1e6, error });
    const req = http.get(url, { agent: o.agent ?? false, timeout: o.timeoutMs ?? 5000 }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString(), undefined));
      res.on('error', (e) => done(0, '', e.message));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done(0, '', e.message));
  });
}

/**
 * Polls `url` until it answers `expect` (default 200), the server exits, or the time is up.
 * @param {Server} server
 * @param {string} url
 * @param {{ timeoutMs: number, expect?: number, intervalMs?: number }} o
 * @returns {Promise<number>} ms until ready
 */
async function waitReady(server, url, o) {
  const start = Date.now();
  const deadline = start + o.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (server.exitCode !== undefined) {
      throw new Error(`${server.name} exited (code ${server.exitCode}) before it was ready:\n${tail(server)}`);
    }
    const r = await get(url, { timeoutMs: Math.max(500, Math.min(5000, deadline - Date.now())) });
    if (r.status === (o.expect ?? 200)) return Date.now() - start;
    last = r.error ?? `HTTP ${r.status} ${r.body.slice(0, 200)}`;
    await sleep(o.intervalMs ?? 100);
  }
  throw new Error(`${server.name} not ready at ${url} after ${o.timeoutMs} ms (last: ${last}):\n${tail(server)}`);
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs a command to completion with a hard time limit.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ timeoutMs: number, cwd?: string, env?: NodeJS.ProcessEnv, inherit?: boolean }} o
 */
function runSync(cmd, args, o) {
  const r = spawnSync(cmd, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    timeout: o.timeoutMs,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    stdio: o.inherit ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return {
    ok: r.status === 0 && !r.error,
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    error: r.error ? r.error.message : r.signal ? `killed by ${r.signal} (time limit ${o.timeoutMs} ms)` : undefined,
  };
}

/**
 * Runs a command to completion without blocking the event loop (so accounting
 * timers keep running), with a hard time limit; output is collected.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ timeoutMs: number, cwd?: string, env?: NodeJS.ProcessEnv }} o
 * @returns {Promise<{ ok: boolean, status: number | null, stdout: string, stderr: string, error?: string }>}
 */
function runAsync(cmd, args, o) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedByTimer = false;
    child.stdout?.on('data', (c) => (stdout += c));
    child.stderr?.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      killedByTimer = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, status: null, stdout, stderr, error: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const error = killedByTimer ? `killed after the time limit of ${o.timeoutMs} ms` : signal ? `killed by ${signal}` : undefined;
      resolve({ ok: code === 0 && !error, status: code, stdout, stderr, error });
    });
  });
}

// ---------------------------------------------------------------- /proc readings

/** @param {string} file */
function readOr(file, fallback = '') {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * RSS (VmRSS) and PSS (proportional set size: shared pages divided among the
 * processes sharing them, so summing it over instances does not count Node's
 * shared code once per process) in KiB.
 * @param {number} pid
 */
function memoryOf(pid) {
  const status = readOr(`/proc/${pid}/status`);
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  const pss = /^Pss:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/smaps_rollup`));
  return { rssKiB: rss ? Number(rss[1]) : null, pssKiB: pss ? Number(pss[1]) : null };
}

/** @param {number} pid */
function childrenOf(pid) {
  /** @type {number[]} */
  const out = [];
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    for (const c of readOr(`/proc/${pid}/task/${t}/children`).trim().split(/\s+/)) {
      if (c) out.push(Number(c));
    }
  }
  return out;
}

/** @param {number} pid @returns {number[]} pid and all its descendants */
function treeOf(pid) {
  const seen = [pid];
  for (let i = 0; i < seen.length; i++) for (const c of childrenOf(seen[i])) if (!seen.includes(c)) seen.push(c);
  return seen;
}

/** @param {number} pid */
function cmdlineOf(pid) {
  return readOr(`/proc/${pid}/cmdline`).split('\0').filter(Boolean).join(' ');
}

/**
 * Of `pids`, the one holding the listening TCP socket for `port` (the server
 * process proper when a launcher sits above it); null if none is found.
 * @param {number[]} pids
 * @param {number} port
 */
function listenerOf(pids, port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  /** @type {Set<string>} */
  const inodes = new Set();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(f).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (cols.length > 9 && cols[3] === '0A' && cols[1].endsWith(`:${hexPort}`)) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of pids) {
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return pid;
    }
  }
  return null;
}

/**
 * Memory of a server: its main process (the one listening on `port`) and every
 * process below it.
 * @param {Server} server
 * @param {number} port
 */
function snapshotMemory(server, port) {
  const tree = treeOf(server.pid);
  const main = listenerOf(tree, port) ?? server.pid;
  const below = treeOf(main).filter((p) => p !== main);
  const children = below.map((pid) => ({ pid, cmd: shortCmd(cmdlineOf(pid)), ...memoryOf(pid) })).filter((c) => c.rssKiB !== null);
  const sum = (/** @type {(number | null)[]} */ xs) => /** @type {number} */ (xs.reduce((a, b) => (a ?? 0) + (b ?? 0), 0));
  const rss = children.map((c) => c.rssKiB ?? 0);
  /** @type {Record<string, number>} */
  const byCommand = {};
  for (const c of children) byCommand[c.cmd] = (byCommand[c.cmd] ?? 0) + 1;
  return {
    mainPid: main,
    main: { cmd: shortCmd(cmdlineOf(main)), ...memoryOf(main) },
    childCount: children.length,
    childRssKiB: sum(rss),
    childPssKiB: sum(children.map((c) => c.pssKiB)),
    childRssMinKiB: children.length ? Math.min(...rss) : null,
    childRssMaxKiB: children.length ? Math.max(...rss) : null,
    childCommands: byCommand,
    takenAt: new Date().toISOString(),
  };
}

/** @param {string} cmd */
function shortCmd(cmd) {
  return cmd.length > 160 ? cmd.slice(0, 157) + '...' : cmd;
}

module.exports = { startServer, stopGroup, freePort, freePorts, get, waitReady, sleep, runSync, runAsync, tail, snapshotMemory, memoryOf, treeOf };
