/**
 * The account-wide concurrency limit: functions without reserved concurrency
 * share what the reservations leave (AWS: unreserved = limit - sum(reserved)).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { InvokeError } from '../../src/invoke/types';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('account concurrency limit', () => {
  let nimbus: Platform;
  before(async () => {
    // behaviour reserves 1 (reserved) + 0 (disabled): 2 of 3 are left for everyone else.
    nimbus = await startNimbus({ concurrencyLimit: 3 });
    await nimbus.deploy(copyFixture('behaviour'));
  });
  after(() => nimbus.close());

  it('throttles unreserved functions past the unreserved pool with ConcurrentInvocationLimitExceeded', async () => {
    const slow = (fn: string) => nimbus.engine.invoke({ functionName: `behaviour-dev-${fn}`, payload: JSON.stringify({ queryStringParameters: { ms: '500' } }), source: 'test' });
    const results = await Promise.allSettled([slow('slow'), slow('slow'), slow('slow'), slow('reserved')]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(rejected.length, 1);
    const e = rejected[0]!.reason as InvokeError;
    assert.equal(e.code, 'TooManyRequestsException');
    assert.equal(e.reason, 'ConcurrentInvocationLimitExceeded');
    // The reserved function still had its own capacity.
    assert.equal(results[3]!.status, 'fulfilled');
  });
});
