/**
 * The whole platform on each store backend: deployed apps, invocation records
 * and logs land in the store, and a restarted Nimbus serves what was deployed.
 */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { Client } from 'pg';
import { copyFixture, startNimbus, tmpDir } from '../helpers/nimbus';

const PG = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`platform on ${backend}`, () => {
    const schema = `t_platform_${crypto.randomBytes(4).toString('hex')}`;
    const store = backend === 'sqlite' ? path.join(tmpDir(), 'nimbus.db') : `${PG}?schema=${schema}`;
    after(async () => {
      if (backend !== 'postgres') return;
      const c = new Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    });

    it('records invocations and logs, and restores deployed apps after a restart', async () => {
      const app = copyFixture('behaviour');
      const dataDir = tmpDir();
      let nimbus = await startNimbus({ store, dataDir });
      try {
        assert.equal(nimbus.store.kind, backend);
        await nimbus.deploy(app);
        for (let i = 0; i < 3; i++) assert.equal((await fetch(`${nimbus.httpUrl}/warm`)).status, 200);
        assert.equal((await fetch(`${nimbus.httpUrl}/throws`)).status, 500);
      } finally {
        await nimbus.close(); // flushes logs and metering
      }
      nimbus = await startNimbus({ store, dataDir });
      try {
        const stats = await nimbus.store.invocations.stats();
        const warm = stats.find((s) => s.functionName === 'behaviour-dev-warm')!;
        assert.equal(warm.invocations, 3);
        assert.equal(warm.coldStarts, 1);
        assert.equal(warm.errors, 0);
        assert.equal(stats.find((s) => s.functionName === 'behaviour-dev-throws')!.errors, 1);
        const logs = await nimbus.store.logs.query({ functionName: 'behaviour-dev-warm' });
        assert.equal(logs.filter((l) => l.message.startsWith('REPORT RequestId:')).length, 3);
        // The app came back with the platform.
        assert.deepEqual((await nimbus.store.apps.list()).map((a) => a.name), ['behaviour-dev']);
        const res = await fetch(`${nimbus.httpUrl}/warm`);
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { count: number }).count, 1);
      } finally {
        await nimbus.close();
      }
    });
  });
}
