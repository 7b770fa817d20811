/**
 * A `provided` runtime: a Python bootstrap that speaks the Lambda Runtime API
 * over HTTP (next / response / error / init error and the Lambda-Runtime-* headers).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('provided runtime (Runtime API over HTTP)', () => {
  let nimbus: Platform;
  let dir: string;

  before(async () => {
    nimbus = await startNimbus();
    dir = copyFixture('provided');
    await nimbus.deploy(dir);
  });
  after(() => nimbus.close());

  it('runs a Python bootstrap and passes the Runtime API headers', async () => {
    const traceIn = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const res = await fetch(nimbus.httpUrl + '/py', { method: 'POST', body: JSON.stringify({ text: 'hi' }), headers: { 'x-amzn-trace-id': traceIn } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.echo, 'hi!');
    assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
    assert.ok(Number(body.deadlineMs) > Date.now() && Number(body.deadlineMs) <= Date.now() + 3000);
    assert.equal(body.arn, 'arn:aws:lambda:us-east-1:000000000000:function:provided-dev-py');
    assert.match(String(body.trace), /^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=1$/);
    assert.equal(body.handler, 'function.handler');
    assert.equal(body.function, 'provided-dev-py');
    // Warm: the same process serves the next one.
    const again = await fetch(nimbus.httpUrl + '/py', { method: 'POST', body: JSON.stringify({ text: 'x' }) });
    assert.equal(again.status, 200);
    assert.equal(nimbus.runtime.counts('provided-dev-py').total, 1);
  });

  it('reports /error as a function error', async () => {
    const r = await nimbus.engine.invoke({ functionName: 'provided-dev-py', payload: JSON.stringify({ body: JSON.stringify({ fail: true }) }), source: 'test' });
    assert.equal(r.functionError, 'Unhandled');
    const err = JSON.parse(r.payload.toString());
    assert.equal(err.errorType, 'Custom.Failure');
    assert.equal(err.errorMessage, 'asked to fail');
  });

  it('reports /init/error and keeps serving after it is fixed', async () => {
    const yml = path.join(dir, 'serverless.yml');
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace("SUFFIX: '!'", "SUFFIX: '!'\n      FAIL_INIT: '1'"));
    await nimbus.deploy(dir);
    const r = await nimbus.engine.invoke({ functionName: 'provided-dev-py', payload: '{}', source: 'test' });
    assert.equal(r.functionError, 'Unhandled');
    assert.equal(JSON.parse(r.payload.toString()).errorType, 'Custom.InitError');
    fs.writeFileSync(yml, fs.readFileSync(yml, 'utf8').replace("\n      FAIL_INIT: '1'", ''));
    await nimbus.deploy(dir);
    const ok = await fetch(nimbus.httpUrl + '/py', { method: 'POST', body: '{"text":"back"}' });
    assert.equal(ok.status, 200);
  });
});
