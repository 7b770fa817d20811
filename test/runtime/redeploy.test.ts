/**
 * Redeploys under load: requests that were waiting for an instance of the old
 * version are served, and provisioned concurrency is restored for the new one.
 * Provisioned instances lost later are reported so that they can be replaced.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Platform } from '../../src/platform';
import { RuntimeManager } from '../../src/runtime/manager';
import { copyFixture, pidAlive, startNimbus, waitFor } from '../helpers/nimbus';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a redeploy under load', () => {
  let nimbus: Platform;
  let dir: string;
  before(async () => {
    // One instance before requests queue for it: waiting requests are the norm here.
    nimbus = await startNimbus({ eagerInstances: 1, scaleOutWaitMs: 10 });
    dir = copyFixture('hardening');
    await nimbus.deploy(dir);
  });
  after(() => nimbus.close());

  it('serves the requests that were waiting for an instance of the old version', async () => {
    const call = () => nimbus.engine.invoke({ functionName: 'hardening-dev-ok', payload: '{}', source: 'test' });
    await call();
    // Whether a waiting request of the old version would have starved depends on
    // timing (it did when the new version's instance was busy before the request
    // gave up waiting): a few rounds make that all but certain to show.
    for (let round = 0; round < 6; round++) {
      // Load before the redeploy, and other load after it: the requests of the
      // old version still waiting must not starve while the new version is busy.
      let deployed = false;
      let stop = false;
      const beforeDeploy: Array<Promise<unknown>> = [];
      const early = async () => {
        while (!deployed) {
          const p = call();
          beforeDeploy.push(p);
          await p;
        }
      };
      const late = async () => {
        while (!stop) await call();
      };
      const earlyWorkers = Array.from({ length: 8 }, early);
      await sleep(100);
      await nimbus.deploy(dir, { codeChanged: true });
      deployed = true;
      const lateWorkers = Array.from({ length: 8 }, late);
      // Served within a few cold starts (well under this bound), not after the
      // load happens to pause (seconds, or never, before waiters were retried).
      const settled = await Promise.race([Promise.allSettled(beforeDeploy).then(() => true), sleep(2000).then(() => false)]);
      stop = true;
      await Promise.all([...earlyWorkers, ...lateWorkers]);
      assert.ok(settled, `round ${round}: requests from before the redeploy starved while load continued`);
      for (const r of await Promise.allSettled(beforeDeploy)) assert.equal(r.status, 'fulfilled');
    }
  });
});

describe('provisioned concurrency across redeploys and losses', () => {
  let nimbus: Platform;
  let dir: string;
  const name = 'hardening-dev-provisioned';
  before(async () => {
    nimbus = await startNimbus();
    dir = copyFixture('hardening');
    await nimbus.deploy(dir);
  });
  after(() => nimbus.close());

  it('provisions the new version after a redeploy', async () => {
    await waitFor(() => nimbus.runtime.counts(name).provisioned === 2 && nimbus.runtime.counts(name).idle === 2, 5000);
    const version = nimbus.engine.getFunction(name)!.config.version;
    assert.equal(nimbus.runtime.counts(name, version).provisioned, 2);
    const old = new Set(nimbus.runtime.pids());
    await nimbus.deploy(dir, { codeChanged: true });
    const next = nimbus.engine.getFunction(name)!.config.version;
    assert.notEqual(next, version);
    // Retired instances no longer count, so two of the new version start.
    await waitFor(() => nimbus.runtime.counts(name, next).provisioned === 2 && nimbus.runtime.counts(name).idle === 2 && nimbus.runtime.counts(name).total === 2, 5000);
    assert.equal(nimbus.runtime.counts(name, version).provisioned, 0);
    const r = await nimbus.engine.invoke({ functionName: name, payload: '{}', source: 'test' });
    const { pid } = JSON.parse(r.payload.toString()) as { pid: number };
    assert.ok(!old.has(pid), 'served by an instance of the old version');
  });

  it('reports a provisioned instance lost after init (and not one retired by a redeploy)', async () => {
    // A runtime of its own, to hear its onProvisionedLost; the function comes from the live platform.
    const lost: string[] = [];
    const runtime = new RuntimeManager({
      poolSize: 0,
      keepAliveMs: 60_000,
      sdkDir: path.join(nimbus.opts.dataDir, 'runtime', 'sdk'),
      onLog: () => {},
      onProvisionedLost: (fn) => lost.push(fn),
    });
    try {
      const fn = nimbus.engine.getFunction(name)!.config;
      await Promise.all([runtime.provision(fn), runtime.provision(fn)]);
      assert.equal(runtime.counts(name).provisioned, 2);
      const [a, b] = runtime.pids();
      process.kill(a!, 'SIGKILL');
      await waitFor(() => lost.length === 1, 3000);
      assert.deepEqual(lost, [name]);
      assert.equal(runtime.counts(name).provisioned, 1);
      // The owner replaces it.
      await runtime.provision(fn);
      assert.equal(runtime.counts(name).provisioned, 2);
      // Retired instances are not losses.
      runtime.retire(name);
      assert.equal(runtime.counts(name).provisioned, 0);
      await waitFor(() => runtime.counts(name).total === 0, 3000);
      assert.ok(!pidAlive(b!));
      assert.deepEqual(lost, [name]);
    } finally {
      await runtime.close();
    }
  });
});
