/**
 * A function calling another through the AWS SDK: it authenticates with the
 * short-lived credentials Nimbus issued to its instance, and the trace context
 * (X-Amzn-Trace-Id) continues into the callee and is recorded with both
 * invocations.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../../src/platform';
import { copyFixture, startNimbus } from '../../helpers/nimbus';

describe('trace context and function credentials', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('chain'));
  });
  after(() => nimbus.close());

  it('continues the trace root from the HTTP request through an SDK call to the callee', async () => {
    const root = '1-5759e988-bd862e3fe1be46a994272793';
    const res = await fetch(`${nimbus.httpUrl}/chain`, { headers: { 'x-amzn-trace-id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { trace: string; key: string; callee: { trace: string; key: string; event: unknown } };
    assert.match(body.trace, new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1$`));
    assert.match(body.callee.trace, new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1$`));
    assert.notEqual(body.callee.trace, body.trace, 'each hop gets its own Parent');
    assert.deepEqual(body.callee.event, { from: 'caller' });
    // Issued session credentials, not the admin key.
    assert.match(body.key, /^ASIA/);
    assert.match(body.callee.key, /^ASIA/);
    assert.notEqual(body.key, body.callee.key, 'each function has its own credentials');

    await nimbus.meter.flush();
    const recorded = await nimbus.store.invocations.list({ limit: 10 });
    const roots = recorded.filter((r) => r.functionName.startsWith('chain-dev-')).map((r) => [r.functionName, r.traceId?.split(';')[0]]);
    assert.deepEqual(roots.sort(), [['chain-dev-callee', `Root=${root}`], ['chain-dev-caller', `Root=${root}`]]);
  });
});
