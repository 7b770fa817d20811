// @ts-check
'use strict';
/**
 * Starts Nimbus through its composition root (dist/src/platform.js) when the CLI
 * (bin/nimbus.js) is not usable: `Platform.start(...)` then `platform.deploy(app)`.
 * Takes the CLI's own arguments so bench/run.js can use either interchangeably.
 *
 * usage: node bench/targets/nimbus-start.js dev <appDir> --port P --aws-port P2 --data-dir D [--pool-size N]
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const argv = process.argv.slice(2);
if (argv[0] !== 'dev' || !argv[1]) throw new Error('usage: nimbus-start.js dev <appDir> --port P --aws-port P2 --data-dir D [--pool-size N]');
/** @param {string} name */
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
};

async function main() {
  const { Platform } = require(path.join(ROOT, 'dist', 'src', 'platform.js'));
  const poolSize = opt('pool-size');
  const platform = await Platform.start({
    host: '127.0.0.1',
    port: Number(opt('port') ?? 3000),
    awsPort: Number(opt('aws-port') ?? 4566),
    dataDir: opt('data-dir'),
    ...(poolSize ? { poolSize: Number(poolSize) } : {}),
  });
  const result = await platform.deploy(path.resolve(argv[1]));
  for (const w of result.warnings ?? []) process.stdout.write(`warning: ${w}\n`);
  process.stdout.write(`nimbus (platform.js) serving ${argv[1]} on ${platform.httpUrl}\n`);
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    platform.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`nimbus-start: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
