/**
 * When a Node handler's invocation is over, and with what: the rules of Lambda's
 * Node runtime (aws-lambda-nodejs-runtime-interface-client, CallbackContext.js and
 * Runtime.js). The `rules` function has a 2 s timeout, and the modes that must
 * answer at once leave a 5 s timer pending: waiting for the event loop would time out.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('Node handler completion rules', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('hardening'));
  });
  after(() => nimbus.close());

  const run = async (fn: string, event: unknown = {}) => {
    const r = await nimbus.engine.invoke({ functionName: `hardening-dev-${fn}`, payload: JSON.stringify(event), source: 'test' });
    const body = JSON.parse(r.payload.toString()) as unknown;
    return r.functionError ? { error: body as { errorType: string; errorMessage: string } } : { result: body };
  };
  const errorOf = (o: { error?: { errorType: string; errorMessage: string } }) => o.error && { type: o.error.errorType, message: o.error.errorMessage };

  it('context.done / succeed / fail answer at once, with work still pending', async () => {
    assert.deepEqual(await run('rules', { mode: 'done' }), { result: 'done' });
    assert.deepEqual(await run('rules', { mode: 'succeed' }), { result: 'succeeded' });
    assert.deepEqual(errorOf(await run('rules', { mode: 'fail' })), { type: 'Error', message: 'failed' });
    assert.deepEqual(errorOf(await run('rules', { mode: 'failEmpty' })), { type: 'string', message: 'handled' });
  });

  it('callback(err) answers at once; callback(null, result) waits for the event loop unless told not to', async () => {
    assert.deepEqual(errorOf(await run('rules', { mode: 'cbError' })), { type: 'Error', message: 'callback error' });
    assert.deepEqual(errorOf(await run('rules', { mode: 'cbString' })), { type: 'string', message: 'just a string' });
    // The result is serialized when it is sent: after the timer that changes it, or before.
    assert.deepEqual(await run('rules', { mode: 'cbWaits' }), { result: { fired: true } });
    assert.deepEqual(await run('rules', { mode: 'cbNoWait' }), { result: { fired: false } });
  });

  it('counts only the first of callback / done / succeed / fail', async () => {
    assert.deepEqual(await run('rules', { mode: 'first' }), { result: 'first' });
  });

  it('reports a synchronous throw as the error', async () => {
    assert.deepEqual(errorOf(await run('rules', { mode: 'throw' })), { type: 'Error', message: 'thrown' });
  });

  it('answers null for a non-async handler that never answers, returns a value, or returns a promise that never settles', async () => {
    assert.deepEqual(await run('rules', { mode: 'none' }), { result: null });
    assert.deepEqual(await run('syncreturn'), { result: null });
    assert.deepEqual(await run('syncnever'), { result: null });
  });

  it('fails an async handler whose promise never settles with Runtime.NodeJsExit', async () => {
    const r = await run('asyncnever');
    assert.equal(r.error?.errorType, 'Runtime.NodeJsExit');
    assert.match(r.error!.errorMessage, /^The Lambda runtime client detected an unexpected Node\.js exit code\. This is most commonly caused by a Promise that was never settled\./);
    // The instance is fine afterwards.
    assert.deepEqual(await run('rules', { mode: 'done' }), { result: 'done' });
  });

  it('reports a rejection with undefined as Lambda does', async () => {
    assert.deepEqual(errorOf(await run('asyncundefined')), { type: 'string', message: 'handled' });
  });

  it('logs each function error as "Invoke Error"', async () => {
    await nimbus.logs.flush();
    const text = (await nimbus.store.logs.query({ functionName: 'hardening-dev-rules' })).map((l) => l.message).join('\n');
    assert.match(text, /\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"callback error"/);
  });
});
