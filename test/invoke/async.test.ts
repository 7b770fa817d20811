/**
 * Asynchronous invocations through the Lambda API (`InvocationType: Event`)
 * with Lambda's retry, event age and destination semantics, on short delays.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Platform } from '../../src/platform';
import { copyFixture, startNimbus, tmpDir, waitFor } from '../helpers/nimbus';

const FN = (k: string) => `asyncapp-dev-${k}`;

describe('asynchronous invocations', () => {
  let nimbus: Platform;
  let lambda: LambdaClient;
  let markers: string;

  before(async () => {
    markers = tmpDir('nimbus-markers-');
    process.env.NIMBUS_TEST_MARKERS = markers;
    nimbus = await startNimbus({ async: { retryDelaysMs: [100, 200], backoffBaseMs: 50, backoffMaxMs: 200, leaseMs: 2000 } });
    await nimbus.deploy(copyFixture('async'));
    lambda = new LambdaClient({ endpoint: nimbus.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  after(async () => {
    lambda.destroy();
    await nimbus.close();
    delete process.env.NIMBUS_TEST_MARKERS;
  });

  const files = (prefix: string) => fs.readdirSync(markers).filter((f) => f.startsWith(prefix));
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(markers, f), 'utf8'));
  const event = async (fn: string, payload: unknown) => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: FN(fn), InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
    assert.equal(out.StatusCode, 202);
    assert.equal(out.Payload?.length ?? 0, 0);
    return out.$metadata.requestId!;
  };

  it('runs an accepted event once, with the same request id', async () => {
    const id = await event('ok', { n: 1 });
    await waitFor(() => files(`${FN('ok')}.${id}.`).length === 1);
    const rec = read(files(`${FN('ok')}.${id}.`)[0]!);
    assert.deepEqual(rec.event, { n: 1 });
    assert.match(rec.trace, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(files(`${FN('ok')}.${id}.`).length, 1, 'ran exactly once');
  });

  it('retries a failing event twice with increasing delays, then sends the record to OnFailure', async () => {
    const id = await event('fails', { boom: true });
    await waitFor(() => files(`${FN('fails')}.${id}.`).length === 3, 5000);
    const times = files(`${FN('fails')}.${id}.`).map((f) => Number(f.split('.').pop())).sort((a, b) => a - b);
    assert.ok(times[1]! - times[0]! >= 90, `first retry after ${times[1]! - times[0]!} ms`);
    assert.ok(times[2]! - times[1]! >= 190, `second retry after ${times[2]! - times[1]!} ms`);
    await waitFor(() => files('sink.').some((f) => read(f).requestContext?.requestId === id), 5000);
    const record = files('sink.').map(read).find((r) => r.requestContext.requestId === id);
    assert.equal(record.version, '1.0');
    assert.match(record.timestamp, /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(record.requestContext, { requestId: id, functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${FN('fails')}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    assert.deepEqual(record.requestPayload, { boom: true });
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    assert.equal(record.responsePayload.errorType, 'Error');
    assert.equal(record.responsePayload.errorMessage, 'failing on purpose: {"boom":true}');
  });

  it('honours MaximumRetryAttempts 0 and an ARN destination', async () => {
    const id = await event('noRetry', { x: 1 });
    await waitFor(() => files('sink.').some((f) => read(f).requestContext?.requestId === id), 5000);
    assert.equal(files(`${FN('noRetry')}.${id}.`).length, 1);
    assert.equal(files('sink.').map(read).find((r) => r.requestContext.requestId === id).requestContext.approximateInvokeCount, 1);
  });

  it('sends a Success record to OnSuccess after a retry succeeded', async () => {
    const id = await event('failsOnce', { id: 'e1' });
    await waitFor(() => files('sink.').some((f) => read(f).requestContext?.requestId === id), 5000);
    const record = files('sink.').map(read).find((r) => r.requestContext.requestId === id);
    assert.equal(record.requestContext.condition, 'Success');
    assert.equal(record.requestContext.approximateInvokeCount, 2);
    assert.deepEqual(record.responsePayload, { handled: 'e1' });
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  });

  it('keeps throttled events until they are too old, then reports EventAgeExceeded', async () => {
    // The API refuses ages under 60 s; the platform call below sets a short one, as a test shortcut.
    await nimbus.updateSpec(FN('throttled'), (s) => ({ ...s, eventInvoke: { maximumRetryAttempts: null, maximumEventAgeInSeconds: 1, onSuccess: null, onFailure: s.eventInvoke!.onFailure } }));
    const id = await event('throttled', { t: 1 });
    await waitFor(() => files('sink.').some((f) => read(f).requestContext?.requestId === id), 5000);
    const record = files('sink.').map(read).find((r) => r.requestContext.requestId === id);
    assert.equal(record.requestContext.condition, 'EventAgeExceeded');
    assert.equal(record.requestContext.approximateInvokeCount, 0);
    assert.equal(record.responseContext, undefined);
    assert.equal(files(`${FN('throttled')}.`).length, 0, 'never ran');
  });

  it('refuses an event for a function that does not exist', async () => {
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: 'nope', InvocationType: 'Event', Payload: Buffer.from('{}') })),
      (e: Error) => e.name === 'ResourceNotFoundException',
    );
  });
});
