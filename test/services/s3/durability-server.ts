/**
 * A Nimbus for the kill -9 tests: Platform.start (the composition root
 * `nimbus start` uses) with short leases, so events that were leased when the
 * process died are taken again within a second instead of AWS's timings.
 * Prints `AWS endpoint <url>` as `nimbus start` does (test/helpers/server-process.ts).
 *
 *   node durability-server.js <dataDir> <store>
 */
import { Platform } from '../../../src/platform';

async function main(): Promise<void> {
  const [dataDir, store] = process.argv.slice(2);
  if (!dataDir || !store) throw new Error('usage: durability-server <dataDir> <store>');
  const platform = await Platform.start({
    port: 0,
    awsPort: 0,
    dataDir,
    store,
    poolSize: 1,
    flushIntervalMs: 20,
    adminToken: process.env.NIMBUS_ADMIN_TOKEN,
    async: { leaseMs: 1000, backoffBaseMs: 50, backoffMaxMs: 500 },
    s3: { notifications: { leaseMs: 1000, retryMs: 100 } },
  });
  process.stdout.write(`  AWS endpoint  ${platform.awsUrl}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`durability-server: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
