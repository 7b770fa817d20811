/**
 * Scale-out: past `eagerInstances` busy instances a request waits briefly for a
 * warm one (or is pipelined behind a fast one), and slow functions still get one
 * instance per concurrent request.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('scale-out of slow functions', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus({ eagerInstances: 1, scaleOutWaitMs: 50 });
    await nimbus.deploy(copyFixture('behaviour'));
  });
  after(() => nimbus.close());

  it('starts one instance per concurrent slow invocation (after the wait)', async () => {
    const t0 = Date.now();
    const res = await Promise.all([1, 2, 3, 4].map(() => fetch(`${nimbus.httpUrl}/slow?ms=400`).then((r) => r.json() as Promise<{ pid: number }>)));
    const elapsed = Date.now() - t0;
    assert.equal(new Set(res.map((r) => r.pid)).size, 4);
    assert.ok(elapsed < 1500, `took ${elapsed} ms: invocations were serialized`);
  });
});

describe('scale-out of fast functions', () => {
  let nimbus: Platform;
  before(async () => {
    // A long wait, so that only a broken reuse path (not a slow machine) starts instances.
    nimbus = await startNimbus({ eagerInstances: 1, scaleOutWaitMs: 3000 });
    await nimbus.deploy(copyFixture('behaviour'));
  });
  after(() => nimbus.close());

  it('reuses the warm instance for concurrent fast invocations instead of starting more', async () => {
    assert.equal((await fetch(`${nimbus.httpUrl}/warm`)).status, 200); // one warm instance
    for (let round = 0; round < 5; round++) {
      const res = await Promise.all(Array.from({ length: 8 }, () => fetch(`${nimbus.httpUrl}/warm`).then((r) => r.json() as Promise<{ pid: number; count: number }>)));
      assert.equal(new Set(res.map((r) => r.pid)).size, 1);
      // One at a time, in order: every count from this round is distinct.
      assert.equal(new Set(res.map((r) => r.count)).size, 8);
    }
    assert.equal(nimbus.runtime.counts('behaviour-dev-warm').total, 1);
  });
});

describe('a burst on a fresh function', () => {
  let nimbus: Platform;
  before(async () => {
    // Eager scale-out and a tiny wait: instances start while others are pipelined.
    nimbus = await startNimbus({ eagerInstances: 2, scaleOutWaitMs: 1 });
    await nimbus.deploy(copyFixture('behaviour'));
  });
  after(() => nimbus.close());

  it('answers every request while instances start, pipeline and scale out at once', async () => {
    for (let round = 0; round < 8; round++) {
      const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(`${nimbus.httpUrl}/warm`).then(async (r) => (await r.text(), r.status))));
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
    }
    await nimbus.logs.flush();
    const errors = (await nimbus.store.logs.query({ functionName: 'behaviour-dev-warm' })).filter((l) => /INIT_REPORT|Error/.test(l.message));
    assert.deepEqual(errors.map((l) => l.message), []);
  });
});
