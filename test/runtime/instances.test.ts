/**
 * Function instances through a live Nimbus: warm reuse, scale to zero,
 * provisioned and reserved concurrency, timeouts, memory limit, crashes and
 * import failures — driven over HTTP like a user's client would.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, pidAlive, startNimbus, waitFor } from '../helpers/nimbus';

describe('function instances', () => {
  let nimbus: Platform;
  let url: string;

  before(async () => {
    process.env.NIMBUS_TEST_PLATFORM_SECRET = 'must-not-leak';
    nimbus = await startNimbus({ keepAliveMs: 800 });
    await nimbus.deploy(copyFixture('behaviour'));
    url = nimbus.httpUrl;
  });
  after(async () => {
    delete process.env.NIMBUS_TEST_PLATFORM_SECRET;
    await nimbus.close();
  });

  const get = async (p: string) => {
    const res = await fetch(url + p);
    return { status: res.status, body: await res.text(), headers: res.headers };
  };

  it('reuses a warm instance and keeps module state', async () => {
    const a = JSON.parse((await get('/warm')).body);
    const b = JSON.parse((await get('/warm')).body);
    assert.equal(b.pid, a.pid);
    assert.equal(b.count, a.count + 1);
    // The function's environment (provider + function) and never the platform's own.
    assert.deepEqual(a.env, { p: 'yes-provider', f: 'yes-function', secret: null });
    assert.equal(a.initType, 'on-demand');
  });

  it('gives the handler the full Lambda context and environment', async () => {
    const c = JSON.parse((await get('/context')).body);
    assert.match(c.awsRequestId, /^[0-9a-f-]{36}$/);
    assert.equal(c.functionName, 'behaviour-dev-context');
    assert.equal(c.functionVersion, '$LATEST');
    assert.equal(c.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:behaviour-dev-context');
    assert.equal(c.memoryLimitInMB, '256');
    assert.equal(c.logGroupName, '/aws/lambda/behaviour-dev-context');
    assert.match(c.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    assert.ok(c.remaining > 4000 && c.remaining <= 5000, `remaining ${c.remaining}`);
    assert.equal(c.callbackWaitsForEmptyEventLoop, true);
    assert.equal(c.env._HANDLER, 'src/fns.context');
    assert.equal(c.env.AWS_REGION, 'us-east-1');
    assert.equal(c.env.AWS_DEFAULT_REGION, 'us-east-1');
    assert.equal(c.env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs20.x');
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_NAME, 'behaviour-dev-context');
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
    assert.equal(c.env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
    assert.equal(c.env.AWS_LAMBDA_LOG_STREAM_NAME, c.logStreamName);
    assert.equal(c.env.AWS_ENDPOINT_URL, nimbus.awsUrl);
    assert.ok(c.env.AWS_ACCESS_KEY_ID && c.env.AWS_SECRET_ACCESS_KEY && c.env.AWS_SESSION_TOKEN);
    assert.equal(c.env.TZ, ':UTC');
    assert.match(c.env._X_AMZN_TRACE_ID, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/);
    assert.equal(c.env.NODE_EXTRA_CA_CERTS, null);
  });

  it('reaps idle instances (scale to zero)', async () => {
    const { pid } = JSON.parse((await get('/warm')).body);
    assert.ok(pidAlive(pid));
    await waitFor(() => nimbus.runtime.counts('behaviour-dev-warm').total === 0, 5000);
    await waitFor(() => !pidAlive(pid), 2000);
    // And comes back cold on the next request.
    const again = JSON.parse((await get('/warm')).body);
    assert.notEqual(again.pid, pid);
    assert.equal(again.count, 1);
  });

  it('keeps provisioned instances initialized and never reaps them', async () => {
    await waitFor(() => nimbus.runtime.counts('behaviour-dev-provisioned').provisioned === 2, 5000);
    const r = JSON.parse((await get('/provisioned')).body);
    assert.equal(r.initType, 'provisioned-concurrency');
    await new Promise((res) => setTimeout(res, 1500)); // > keepAlive
    assert.equal(nimbus.runtime.counts('behaviour-dev-provisioned').total, 2);
  });

  it('times out with Lambda\'s message and kills the instance', async () => {
    const first = await get('/slow?ms=10');
    assert.equal(first.status, 200);
    const { pid } = JSON.parse(first.body);
    const r = await get('/slow?ms=3000');
    assert.equal(r.status, 500); // HTTP API answers a failed integration with 500
    await waitFor(() => !pidAlive(pid), 2000);
    await nimbus.logs.flush();
    const all = (await nimbus.store.logs.query({ functionName: 'behaviour-dev-slow' })).map((l) => l.message).join('\n');
    assert.match(all, /Task timed out after 1\.00 seconds/);
    const ok = await get('/slow?ms=10');
    assert.equal(ok.status, 200);
  });

  it('enforces the memory limit', async () => {
    const r = await get('/mem?mb=300');
    assert.equal(r.status, 500);
    await nimbus.logs.flush();
    const all = (await nimbus.store.logs.query({ functionName: 'behaviour-dev-mem' })).map((l) => l.message).join('\n');
    assert.match(all, /Runtime\.OutOfMemory|signal: killed/);
    assert.match(all, /Max Memory Used: 128 MB/);
    // A fresh instance serves the next request.
    assert.equal((await get('/mem?mb=1')).status, 200);
  });

  it('survives a handler that exits the process', async () => {
    assert.equal((await get('/crash')).status, 500);
    await nimbus.logs.flush();
    const all = (await nimbus.store.logs.query({ functionName: 'behaviour-dev-crash' })).map((l) => l.message).join('\n');
    assert.match(all, /about to exit/);
    assert.match(all, /Runtime exited with error: exit status 1/);
    assert.equal((await get('/warm')).status, 200);
  });

  it('reports a thrown error as a function error', async () => {
    assert.equal((await get('/throws')).status, 500);
    const res = await nimbus.engine.invoke({ functionName: 'behaviour-dev-throws', payload: '{}', source: 'test' });
    assert.equal(res.functionError, 'Unhandled');
    const err = JSON.parse(res.payload.toString());
    assert.equal(err.errorType, 'TypeError');
    assert.equal(err.errorMessage, 'something broke');
    assert.ok(Array.isArray(err.trace) && err.trace[0] === 'TypeError: something broke');
  });

  it('reports import failures and missing handlers as Lambda does', async () => {
    const a = await nimbus.engine.invoke({ functionName: 'behaviour-dev-importfail', payload: '{}', source: 'test' });
    assert.equal(a.functionError, 'Unhandled');
    const ea = JSON.parse(a.payload.toString());
    assert.equal(ea.errorType, 'Error');
    assert.equal(ea.errorMessage, 'cannot start: missing configuration');
    const b = await nimbus.engine.invoke({ functionName: 'behaviour-dev-missing', payload: '{}', source: 'test' });
    assert.deepEqual(JSON.parse(b.payload.toString()).errorType, 'Runtime.HandlerNotFound');
    assert.equal(JSON.parse(b.payload.toString()).errorMessage, 'fns.nope is undefined or not exported');
    assert.equal((await get('/importfail')).status, 500);
  });

  it('throttles over reserved concurrency and when it is zero', async () => {
    const results = await Promise.all([get('/reserved?ms=400'), get('/reserved?ms=400'), get('/reserved?ms=400')]);
    const ok = results.filter((r) => r.status === 200).length;
    assert.equal(ok, 1, JSON.stringify(results.map((r) => r.status)));
    // API Gateway never passes a Lambda throttle through as 429: the HTTP API answers 500.
    for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.status, 500);
    assert.equal((await get('/disabled')).status, 500);
    await nimbus.meter.flush();
    const [s] = await nimbus.store.invocations.stats('behaviour-dev-reserved');
    assert.equal(s!.throttles, 2);
    await assert.rejects(nimbus.engine.invoke({ functionName: 'behaviour-dev-disabled', payload: '{}', source: 'test' }), (e: Error & { reason?: string }) => {
      assert.equal(e.name, 'TooManyRequestsException');
      assert.equal(e.reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      return true;
    });
  });

  it('writes START / END / REPORT lines and metering for every invocation', async () => {
    await get('/warm');
    await Promise.all([nimbus.logs.flush(), nimbus.meter.flush()]);
    const logs = await nimbus.store.logs.query({ functionName: 'behaviour-dev-warm' });
    const text = logs.map((l) => l.message).join('\n');
    assert.match(text, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    assert.match(text, /REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms/);
    const stats = await nimbus.store.invocations.stats('behaviour-dev-warm');
    assert.equal(stats.length, 1);
    assert.ok(stats[0]!.invocations >= 3);
    assert.ok(stats[0]!.coldStarts >= 2);
    assert.ok(stats[0]!.gbSeconds > 0);
  });
});
