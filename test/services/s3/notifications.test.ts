/**
 * S3 event notifications to functions, configured through the API: S3's
 * event shape (URL-encoded keys, size, eTag, sequencer), event and prefix /
 * suffix filters, deletes, and the recursive loop stop.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { DeleteObjectCommand, GetBucketNotificationConfigurationCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { copyFixture, tmpDir, waitFor } from '../../helpers/nimbus';
import { newBucket, rejection, startS3, type S3TestContext } from './helpers';

const ARN = (fn: string) => `arn:aws:lambda:us-east-1:000000000000:function:s3notify-dev-${fn}`;

function lines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

describe('S3 notifications', () => {
  let t: S3TestContext;
  let out: string;
  before(async () => {
    out = tmpDir('nimbus-s3notify-');
    process.env.NIMBUS_S3_NOTIFY_OUT = out;
    t = await startS3({ poolSize: 1 });
    await t.nimbus.deploy(copyFixture('s3-notify'));
  });
  after(() => t?.nimbus.close());

  it('delivers S3 event records to the matching function, filtered by event, prefix and suffix', async () => {
    const Bucket = await newBucket(t.s3);
    await t.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket,
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Id: 'uploads',
              LambdaFunctionArn: ARN('record'),
              Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.jpg' }] } },
            },
          ],
        },
      }),
    );
    const cfg = await t.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket }));
    assert.equal(cfg.LambdaFunctionConfigurations?.[0]?.LambdaFunctionArn, ARN('record'));
    assert.deepEqual(cfg.LambdaFunctionConfigurations?.[0]?.Filter?.Key?.FilterRules?.map((r) => r.Name), ['Prefix', 'Suffix']);
    await t.s3.send(new PutObjectCommand({ Bucket, Key: 'in/ignored.png', Body: 'x' }));
    await t.s3.send(new PutObjectCommand({ Bucket, Key: 'out/ignored.jpg', Body: 'x' }));
    const put = await t.s3.send(new PutObjectCommand({ Bucket, Key: 'in/my photo.jpg', Body: 'jpeg bytes' }));
    await t.s3.send(new DeleteObjectCommand({ Bucket, Key: 'in/my photo.jpg' }));
    const file = path.join(out, 'record.jsonl');
    await waitFor(() => lines<S3Event>(file).filter((e) => e.Records[0].s3.bucket.name === Bucket).length >= 2, 10_000, 50);
    const events = lines<S3Event>(file).filter((e) => e.Records[0].s3.bucket.name === Bucket).map((e) => e.Records[0]);
    assert.deepEqual(events.map((e) => e.eventName).sort(), ['ObjectCreated:Put', 'ObjectRemoved:Delete']);
    const created = events.find((e) => e.eventName === 'ObjectCreated:Put')!;
    assert.equal(created.eventSource, 'aws:s3');
    assert.equal(created.eventVersion, '2.1');
    assert.equal(created.awsRegion, 'us-east-1');
    assert.equal(created.s3.object.key, 'in/my+photo.jpg');
    assert.equal(created.s3.object.size, 10);
    assert.equal(created.s3.object.eTag, put.ETag!.replace(/"/g, ''));
    assert.match(created.s3.object.sequencer, /^[0-9A-F]+$/);
    assert.equal(created.s3.bucket.arn, `arn:aws:s3:::${Bucket}`);
    assert.equal(created.s3.configurationId, 'uploads');
    const removed = events.find((e) => e.eventName === 'ObjectRemoved:Delete')!;
    assert.ok(removed.s3.object.sequencer > created.s3.object.sequencer);
    const unknown = await rejection(
      t.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket, NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: ARN('nope'), Events: ['s3:ObjectCreated:*'] }] } })),
    );
    assert.equal(unknown.name, 'InvalidArgument');
  });

  it('stops a function that keeps writing into the bucket that triggers it', async () => {
    const Bucket = await newBucket(t.s3);
    await t.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket, NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: ARN('loop'), Events: ['s3:ObjectCreated:Put'] }] } }));
    const errors: string[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => {
      errors.push(a.map(String).join(' '));
    };
    try {
      await t.s3.send(new PutObjectCommand({ Bucket, Key: 'start', Body: 'go' }));
      await waitFor(() => errors.some((e) => e.includes('recursive invocation loop') && e.includes(Bucket)), 30_000, 50);
    } finally {
      console.error = orig;
    }
    const runs = lines<{ key: string }>(path.join(out, 'loop.jsonl')).length;
    assert.equal(runs, 16, `the loop ran ${runs} times`);
  });
});
