/** Function code uses the AWS SDKs without installing them, already pointed at Nimbus. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus } from '../helpers/nimbus';

describe('AWS SDKs inside functions', () => {
  let nimbus: Platform;
  before(async () => {
    nimbus = await startNimbus();
    await nimbus.deploy(copyFixture('sdk'));
  });
  after(() => nimbus.close());

  const invoke = async (fn: string) => {
    const r = await nimbus.engine.invoke({ functionName: `sdk-dev-${fn}`, payload: '{}', source: 'test' });
    assert.equal(r.functionError, undefined, r.payload.toString());
    return JSON.parse(r.payload.toString());
  };

  it('CommonJS: require @aws-sdk v3 and aws-sdk v2, both aimed at the AWS endpoint', async () => {
    const r = await invoke('cjs');
    const aws = new URL(nimbus.awsUrl);
    assert.equal(r.v3, 'function');
    assert.equal(r.v3Endpoint, `${aws.protocol}//${aws.hostname}:${aws.port}`);
    assert.equal(r.v2Endpoint, nimbus.awsUrl + '/');
    assert.equal(r.v2PathStyle, true);
    assert.equal(r.region, 'us-east-1');
  });

  it('ES modules: import @aws-sdk v3', async () => {
    const r = await invoke('esm');
    const aws = new URL(nimbus.awsUrl);
    assert.equal(r.v3, 'function');
    assert.equal(r.endpoint, `${aws.protocol}//${aws.hostname}:${aws.port}`);
  });
});
