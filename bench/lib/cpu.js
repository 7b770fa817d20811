// @ts-check
'use strict';
/**
 * How busy the machine was with work that is not the benchmark's. On a shared
 * 2-core machine (other test suites, other benches) a run can lose half its CPU;
 * instead of silently reporting a bad number, each run records the CPU used by
 * everything else (and the hypervisor's steal) so noisy runs are visible, and the
 * harness can wait for a quiet machine first (--wait-quiet).
 *
 * Jiffies come from /proc/stat (machine) and /proc/<pid>/stat (the server tree
 * and the harness, whose cutime/cstime include the load generator once it has
 * been waited for). Linux only; elsewhere the readings are null.
 */
const fs = require('node:fs');
const { treeOf, sleep } = require('./proc');

/** @param {string} file */
function readOr(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function machineJiffies() {
  const line = readOr('/proc/stat').split('\n')[0];
  if (!line.startsWith('cpu ')) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal ?? 0 };
}

/**
 * utime+stime of one process, plus cutime+cstime (its children already waited
 * for) when `withChildren`.
 * @param {number} pid
 * @param {boolean} withChildren
 */
function processJiffies(pid, withChildren) {
  const s = readOr(`/proc/${pid}/stat`);
  const close = s.lastIndexOf(')');
  if (close === -1) return 0;
  const f = s.slice(close + 2).split(' ');
  // fields after "(comm)": state=0 ... utime=11 stime=12 cutime=13 cstime=14
  return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
}

/**
 * Starts accounting; `end()` gives, in cores (1 = one core fully busy) averaged
 * over the interval: total busy, ours (server tree + harness + load generator),
 * others, and steal.
 * @param {number[]} rootPids processes whose trees are "ours" (besides this process)
 */
function startAccounting(rootPids) {
  const t0 = process.hrtime.bigint();
  const m0 = machineJiffies();
  /** @type {Map<number, number>} */
  const seen = new Map();
  // Server processes count with their own time only (a child that exits would
  // otherwise be counted twice: as itself and in its parent's cutime); one that
  // exits between samples keeps its last reading (at most 0.5 s of it is lost).
  const sample = () => {
    for (const root of rootPids) {
      for (const pid of treeOf(root)) {
        const j = processJiffies(pid, false);
        if (j > 0) seen.set(pid, j);
      }
    }
  };
  /** @type {Map<number, number>} */
  const first = new Map();
  for (const root of rootPids) for (const pid of treeOf(root)) first.set(pid, processJiffies(pid, false));
  // The harness counts with its waited-for children: that is the load generator.
  const self0 = processJiffies(process.pid, true);
  // Short-lived children (a new instance, a worker) are picked up while the run lasts.
  const timer = setInterval(sample, 500);
  return {
    end() {
      clearInterval(timer);
      sample();
      const m1 = machineJiffies();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (!m0 || !m1 || seconds <= 0) return null;
      let ours = processJiffies(process.pid, true) - self0;
      for (const [pid, j] of seen) ours += Math.max(0, j - (first.get(pid) ?? 0));
      const hz = 100; // USER_HZ: /proc reports in 1/100 s on every Linux
      const busy = (m1.busy - m0.busy) / hz / seconds;
      const oursCores = ours / hz / seconds;
      return {
        seconds: Math.round(seconds * 100) / 100,
        busyCores: round(busy),
        oursCores: round(oursCores),
        otherCores: round(Math.max(0, busy - oursCores)),
        stealCores: round((m1.steal - m0.steal) / hz / seconds),
      };
    },
  };
}

/** @param {number} x */
function round(x) {
  return Math.round(x * 100) / 100;
}

/** Cores busy machine-wide over `ms`. @param {number} ms */
async function busyCores(ms) {
  const a = machineJiffies();
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const b = machineJiffies();
  if (!a || !b) return null;
  return (b.busy - a.busy) / 100 / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/**
 * Waits (at most `maxS` seconds) until the machine is quiet: under `threshold`
 * cores busy over a 1 s window. Returns the last reading and the seconds waited.
 * @param {number} maxS
 * @param {number} [threshold]
 */
async function waitQuiet(maxS, threshold = 0.25) {
  const start = Date.now();
  let last = await busyCores(1000);
  while (last !== null && last >= threshold && Date.now() - start < maxS * 1000) last = await busyCores(1000);
  return { busyCores: last === null ? null : round(last), waitedS: Math.round((Date.now() - start) / 100) / 10, quiet: last !== null && last < threshold };
}

module.exports = { startAccounting, waitQuiet, busyCores };
