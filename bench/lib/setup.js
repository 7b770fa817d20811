// @ts-check
'use strict';
/**
 * On-demand installation of what the benchmark needs beyond Nimbus itself:
 * wrk (Debian package), else autocannon (bench/package.json), and the reference
 * platforms (bench/peers/package.json, own lockfile). Each step is bounded in time
 * and says clearly what failed and how to do it by hand.
 */
const fs = require('node:fs');
const path = require('node:path');
const { runSync } = require('./proc');
const { findLoadTool } = require('./load');

const BENCH_DIR = path.resolve(__dirname, '..');
const PEERS_DIR = path.join(BENCH_DIR, 'peers');

/** @param {string} msg */
function say(msg) {
  process.stderr.write(`bench: ${msg}\n`);
}

/**
 * wrk if present; else try `apt-get install -y wrk` (root only); else autocannon
 * via `npm ci --prefix bench`. `prefer: 'autocannon'` skips wrk.
 * @param {{ install: boolean, prefer?: string }} o
 */
function ensureLoadTool(o) {
  let tool = findLoadTool(o.prefer);
  if (tool) return tool;
  if (o.install && o.prefer !== 'autocannon') {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && fs.existsSync('/usr/bin/apt-get')) {
      say('wrk is not installed; trying `apt-get install -y wrk` ...');
      let r = runSync('apt-get', ['install', '-y', '-q', 'wrk'], { timeoutMs: 180_000 });
      if (!r.ok) {
        say('apt-get install failed; running `apt-get update` once and retrying ...');
        runSync('apt-get', ['update', '-q'], { timeoutMs: 180_000 });
        r = runSync('apt-get', ['install', '-y', '-q', 'wrk'], { timeoutMs: 180_000 });
      }
      if (!r.ok) say(`could not install wrk with apt-get (${r.error ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    } else {
      say('wrk is not installed and apt-get is not usable here (needs root on Debian/Ubuntu).');
    }
    tool = findLoadTool();
    if (tool) return tool;
  }
  if (o.install) {
    say('falling back to autocannon: `npm ci --prefix bench` ...');
    const r = runSync('npm', ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], { timeoutMs: 300_000 });
    if (!r.ok) say(`npm ci --prefix bench failed (${r.error ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    tool = findLoadTool(o.prefer);
    if (tool) return tool;
  }
  throw new Error(
    'no load generator: install wrk (`apt-get install -y wrk`, see bench/setup.sh) or autocannon (`npm ci --prefix bench`)' +
      (o.install ? '' : '; --no-install was given'),
  );
}

/** @param {string[]} [packages] */
function peersInstalled(packages = ['serverless', 'serverless-offline']) {
  return packages.every((p) => fs.existsSync(path.join(PEERS_DIR, 'node_modules', p, 'package.json')));
}

/**
 * Installs bench/peers from its lockfile when missing. Returns an error message
 * instead of throwing, so the peers' scenarios can be skipped while the rest runs.
 * @param {{ install: boolean, packages?: string[] }} o packages: those that must be there (default: serverless and serverless-offline)
 * @returns {string | null}
 */
function ensurePeers(o) {
  if (peersInstalled(o.packages)) return null;
  if (!o.install) return 'bench/peers is not installed (--no-install); run `npm ci --prefix bench/peers`';
  say('installing the reference platforms: `npm ci --prefix bench/peers` (serverless@3, serverless-offline@14, workerd, dynalite, s3rver; ~0.5 GB, about 30 s) ...');
  const r = runSync('npm', ['ci', '--prefix', PEERS_DIR, '--legacy-peer-deps', '--no-audit', '--no-fund'], { timeoutMs: 600_000 });
  if (!r.ok || !peersInstalled(o.packages)) {
    return `npm ci --prefix bench/peers failed (${r.error ?? `exit ${r.status}`}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`;
  }
  return null;
}

/** @param {string} name */
function peerVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

module.exports = { ensureLoadTool, ensurePeers, peerVersion, BENCH_DIR, PEERS_DIR };
