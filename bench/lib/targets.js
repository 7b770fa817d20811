// @ts-check
'use strict';
/**
 * The servers under test. Each `start*` launches one in its own process group on
 * loopback ports picked at run time and resolves when it is ready; `stop()` ends
 * exactly that group.
 *
 * - bare: bench/targets/bare-server.js, the handler in-process (the reference)
 * - nimbus: `node bin/nimbus.js dev <app>` when the CLI works, else
 *   bench/targets/nimbus-start.js over dist/src/platform.js
 * - sls-offline / sls-offline-inprocess: serverless@3 + serverless-offline@14 from
 *   bench/peers, on a copy of the app that lists the plugin
 * - workerd: an equivalent trivial worker
 */
const fs = require('node:fs');
const path = require('node:path');
const { startServer, stopGroup, freePort, freePorts, waitReady, runSync } = require('./proc');
const { PEERS_DIR, BENCH_DIR } = require('./setup');

const ROOT = path.resolve(BENCH_DIR, '..');
const NODE = process.execPath;

/**
 * @typedef {import('./proc').Server} Server
 * @typedef {{ id: string, label: string, server: Server, port: number, baseUrl: string, startupMs: number, notes: string[], extra: Record<string, any>, stop: () => Promise<void> }} Running
 */

/** Every id the harness knows, in run order. */
const TARGETS = ['bare', 'nimbus', 'sls-offline', 'sls-offline-inprocess', 'workerd'];

const LABELS = /** @type {Record<string, string>} */ ({
  bare: 'bare node:http (reference)',
  nimbus: 'Nimbus',
  'sls-offline': 'serverless-offline (default: worker threads)',
  'sls-offline-inprocess': 'serverless-offline --useInProcess',
  workerd: 'workerd',
});

/**
 * How Nimbus is started: its CLI when `node bin/nimbus.js --help` works, else the
 * platform.js starter. `prefer`: auto | cli | platform.
 * @param {string} prefer
 * @returns {{ kind: 'cli' | 'platform', script: string, note: string } | { error: string }}
 */
function nimbusLauncher(prefer) {
  const cli = path.join(ROOT, 'bin', 'nimbus.js');
  const platform = path.join(ROOT, 'dist', 'src', 'platform.js');
  let cliProblem = 'bin/nimbus.js does not exist';
  if (prefer !== 'platform' && fs.existsSync(cli)) {
    const r = runSync(NODE, [cli, '--help'], { cwd: ROOT, timeoutMs: 20_000 });
    if (r.ok) return { kind: 'cli', script: cli, note: 'started with `node bin/nimbus.js dev`' };
    cliProblem = `\`node bin/nimbus.js --help\` failed (${r.error ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ')}`;
  }
  if (prefer === 'cli') return { error: cliProblem };
  if (fs.existsSync(platform)) {
    return {
      kind: 'platform',
      script: path.join(BENCH_DIR, 'targets', 'nimbus-start.js'),
      note: `started with bench/targets/nimbus-start.js (Platform.start + deploy) because ${cliProblem}`,
    };
  }
  return { error: `${cliProblem}, and dist/src/platform.js does not exist (does \`npx tsc -p tsconfig.json\` succeed?)` };
}

/**
 * @param {{ id: string, label: string, server: Server, port: number, readyPath: string, timeoutMs: number, notes?: string[], extra?: Record<string, any>, onStop?: () => void }} o
 * @returns {Promise<Running>}
 */
async function whenReady(o) {
  const baseUrl = `http://127.0.0.1:${o.port}`;
  try {
    const startupMs = await waitReady(o.server, baseUrl + o.readyPath, { timeoutMs: o.timeoutMs });
    return {
      id: o.id,
      label: o.label,
      server: o.server,
      port: o.port,
      baseUrl,
      startupMs,
      notes: o.notes ?? [],
      extra: o.extra ?? {},
      stop: async () => {
        await stopGroup(o.server);
        o.onStop?.();
      },
    };
  } catch (e) {
    await stopGroup(o.server);
    o.onStop?.();
    throw e;
  }
}

/**
 * @param {{ tmp: string, handlerFile: string, readyPath: string }} o
 */
async function startBare(o) {
  const port = await freePort();
  const server = startServer('bare', NODE, [path.join(BENCH_DIR, 'targets', 'bare-server.js'), o.handlerFile, 'handler', String(port)], {
    logFile: path.join(o.tmp, 'bare.log'),
  });
  return whenReady({ id: 'bare', label: LABELS.bare, server, port, readyPath: o.readyPath, timeoutMs: 15_000 });
}

/**
 * `dataDir`: start on an existing data directory (e.g. after a kill -9) and
 * leave it in place on stop; by default a new one is made and removed on stop.
 * @param {{ tmp: string, appDir: string, readyPath: string, launcher: { kind: 'cli' | 'platform', script: string, note: string }, poolSize?: number, name?: string, timeoutMs?: number, dataDir?: string }} o
 */
async function startNimbus(o) {
  const [port, awsPort] = await freePorts(2);
  const name = o.name ?? 'nimbus';
  const ownDir = !o.dataDir;
  const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(o.tmp, `${name}-data-`));
  const args = [o.launcher.script, 'dev', o.appDir, '--port', String(port), '--aws-port', String(awsPort), '--data-dir', dataDir];
  if (o.poolSize !== undefined) args.push('--pool-size', String(o.poolSize));
  const server = startServer(name, NODE, args, { cwd: ROOT, logFile: path.join(o.tmp, `${name}.log`) });
  return whenReady({
    id: 'nimbus',
    label: LABELS.nimbus,
    server,
    port,
    readyPath: o.readyPath,
    timeoutMs: o.timeoutMs ?? 90_000,
    notes: [o.launcher.note],
    extra: { awsPort, dataDir },
    onStop: () => {
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/**
 * A copy of the app for serverless-offline: the same files plus the plugin in
 * `plugins`, with node_modules pointing at bench/peers' install.
 * @param {string} appDir
 * @param {string} dest
 */
function offlineCopy(appDir, dest) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(appDir, dest, { recursive: true, filter: (src) => !/(^|\/)(node_modules|\.serverless)$/.test(src) });
  const yml = path.join(dest, 'serverless.yml');
  const text = fs.readFileSync(yml, 'utf8');
  if (/^plugins:/m.test(text)) throw new Error(`${yml} already lists plugins; the bench adds serverless-offline itself`);
  fs.writeFileSync(yml, `${text.trimEnd()}\n\nplugins:\n  - serverless-offline\n`);
  fs.symlinkSync(path.join(PEERS_DIR, 'node_modules'), path.join(dest, 'node_modules'), 'dir');
  return dest;
}

/**
 * serverless-offline, fully offline: fake credentials, telemetry and
 * notifications off, a private HOME (no ~/.aws, no ~/.serverlessrc of the user's),
 * no instance-metadata lookups; startup is bounded by the readiness timeout.
 * @param {{ tmp: string, appDir: string, readyPath: string, inProcess: boolean, name?: string }} o
 */
async function startOffline(o) {
  const id = o.inProcess ? 'sls-offline-inprocess' : 'sls-offline';
  const name = o.name ?? id;
  const [port, lambdaPort, wsPort] = await freePorts(3);
  const dir = offlineCopy(o.appDir, path.join(o.tmp, `${name}-app`));
  const home = path.join(o.tmp, `${name}-home`);
  fs.mkdirSync(home, { recursive: true });
  const sls = path.join(PEERS_DIR, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const args = [sls, 'offline', '--host', '127.0.0.1', '--httpPort', String(port), '--lambdaPort', String(lambdaPort), '--websocketPort', String(wsPort), '--noSponsor'];
  if (o.inProcess) args.push('--useInProcess');
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    SLS_DISABLE_AUTO_UPDATE: '1',
    SERVERLESS_PLATFORM_STAGE: 'offline',
    CI: '1',
  };
  const server = startServer(name, NODE, args, { cwd: dir, env, logFile: path.join(o.tmp, `${name}.log`) });
  return whenReady({
    id,
    label: LABELS[id],
    server,
    port,
    readyPath: o.readyPath,
    timeoutMs: 90_000,
    onStop: () => {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

function workerdBinary() {
  const candidates = [
    path.join(PEERS_DIR, 'node_modules', '@cloudflare', `workerd-${process.platform}-${process.arch === 'x64' ? '64' : process.arch}`, 'bin', 'workerd'),
    path.join(PEERS_DIR, 'node_modules', 'workerd', 'bin', 'workerd'),
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

/**
 * @param {{ tmp: string, readyPath: string }} o
 */
async function startWorkerd(o) {
  const bin = workerdBinary();
  if (!bin) throw new Error('workerd is not installed in bench/peers (optional dependency; not available for this platform?)');
  const port = await freePort();
  const dir = path.join(o.tmp, 'workerd');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(BENCH_DIR, 'targets', 'workerd', 'worker.js'), path.join(dir, 'worker.js'));
  fs.writeFileSync(
    path.join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .trivial) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const trivial :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2024-09-01",
);
`,
  );
  const server = startServer('workerd', bin, ['serve', path.join(dir, 'config.capnp')], { cwd: dir, logFile: path.join(o.tmp, 'workerd.log') });
  return whenReady({ id: 'workerd', label: LABELS.workerd, server, port, readyPath: o.readyPath, timeoutMs: 30_000 });
}

function workerdVersion() {
  const bin = workerdBinary();
  if (!bin) return null;
  const r = runSync(bin, ['--version'], { timeoutMs: 10_000 });
  return r.ok ? r.stdout.trim().replace(/^workerd\s+/, '') : null;
}

module.exports = { TARGETS, LABELS, nimbusLauncher, startBare, startNimbus, startOffline, startWorkerd, workerdBinary, workerdVersion, ROOT };
