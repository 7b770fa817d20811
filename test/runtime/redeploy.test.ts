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
    let stop = false;
    const beforeDeploy: Array<Promise<unknown>> = [];
    let deployed = false;
    const worker = async () => {
      while (!stop) {
        const p = call();
        if (!deployed) beforeDeploy.push(p);
        await p;
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    await sleep(200);
    await nimbus.deploy(dir, { codeChanged: true });
    deployed = true;
    // Load goes on; every request from before the redeploy must still be answered.
    const settled = await Promise.race([Promise.allSettled(beforeDeploy).then(() => true), sleep(5000).then(() => false)]);
    stop = true;
    await Promise.all(workers);
    assert.ok(settled, 'requests from before the redeploy starved while load continued');
    for (const r of await Promise.allSettled(beforeDeploy)) assert.equal(r.status, 'fulfilled');
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

  const provisionedPids = () => nimbus.runtime.pids().filter((p) => p > 0);

  it('provisions the new version after a redeploy', async () => {
    await waitFor(() => nimbus.runtime.counts(name).provisioned === 2 && nimbus.runtime.counts(name).idle === 2, 5000);
    const version = nimbus.engine.getFunction(name)!.config.version;
    assert.equal(nimbus.runtime.counts(name, version).provisioned, 2);
    const old = new Set(provisionedPids());
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
