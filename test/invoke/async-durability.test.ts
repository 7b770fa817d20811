/**
 * `kill -9` of Nimbus loses no acknowledged asynchronous invocation: every
 * event that got its 202 runs after a restart (at least once), on both stores.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Client } from 'pg';
import { main } from '../../src/cli/main';
import { copyFixture, REPO, tmpDir, waitFor } from '../helpers/nimbus';
import { startServerProcess as startServer, type ServerProcess as Server } from '../helpers/server-process';

const PG = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`async durability across kill -9 (${backend})`, () => {
    const schema = `t_durable_${crypto.randomBytes(4).toString('hex')}`;
    const dataDir = tmpDir();
    const store = backend === 'sqlite' ? path.join(dataDir, 'nimbus.db') : `${PG}?schema=${schema}`;
    const markers = tmpDir('nimbus-markers-');
    const env = { NIMBUS_TEST_MARKERS: markers, NIMBUS_ADMIN_TOKEN: 'durability-token' };
    let server: Server | null = null;

    after(async () => {
      server?.proc.kill('SIGKILL');
      if (backend === 'postgres') {
        const c = new Client({ connectionString: PG });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
    });

    it('runs every acknowledged event after a restart', async () => {
      server = await startServer(dataDir, store, env);
      process.env.NIMBUS_TEST_MARKERS = markers;
      const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, env: { ...process.env, ...env }, cwd: REPO };
      assert.equal(await main(['deploy', copyFixture('async'), '--endpoint', server.awsUrl, '--token', 'durability-token'], quiet), 0);

      const lambda = new LambdaClient({ endpoint: server.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
      const acked: string[] = [];
      // Fire events and kill the server while they are still arriving.
      const sends = Array.from({ length: 60 }, async (_, i) => {
        try {
          const out = await lambda.send(new InvokeCommand({ FunctionName: 'asyncapp-dev-ok', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ i })) }));
          if (out.StatusCode === 202) acked.push(out.$metadata.requestId!);
        } catch {
          // not acknowledged: may or may not run
        }
      });
      await waitFor(() => acked.length >= 20, 10_000, 1);
      server.proc.kill('SIGKILL');
      await Promise.allSettled(sends);
      lambda.destroy();
      assert.ok(acked.length >= 20);

      server = await startServer(dataDir, store, env);
      const ran = () => new Set(fs.readdirSync(markers).filter((f) => f.startsWith('asyncapp-dev-ok.')).map((f) => f.split('.')[1]));
      await waitFor(() => acked.every((id) => ran().has(id)), 20_000, 100);
    });
  });
}
