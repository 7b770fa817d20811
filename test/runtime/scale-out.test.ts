/**
 * Scale-out: past `eagerInstances` busy instances a request waits briefly for a
 * warm one, and slow functions still get one instance per concurrent request.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('scale-out', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus({ eagerInstances: 1, scaleOutWaitMs: 30 });
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

  it('reuses warm instances for fast invocations instead of starting more', async () => {
    const before = nimbus.runtime.counts('behaviour-dev-warm').total;
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 8 }, () => fetch(`${nimbus.httpUrl}/warm`).then((r) => r.text())));
    }
    const after = nimbus.runtime.counts('behaviour-dev-warm').total;
    assert.ok(after - before <= 4, `started ${after - before} instances for 40 fast requests`);
  });
});
