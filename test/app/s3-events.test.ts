/**
 * `s3` events compile into the resources the Serverless Framework v3 generates
 * (lib/plugins/aws/package/compile/events/s3/index.js): AWS::S3::Bucket
 * `S3Bucket<Name>` for new buckets, Custom::S3 `<Fn>CustomS31` for existing ones.
 */
import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ResourceSpec, Stack } from '../../src/app/stack';
import { bucketLogicalId, configurationsOverlap, customS3LogicalId, lodashMerge } from '../../src/app/serverless/s3-events';
import { app, cleanupApps, loadYaml, rejectsWith } from './helpers';

after(cleanupApps);

const ARN = (fn: string): string => `arn:aws:lambda:us-east-1:000000000000:function:svc-dev-${fn}`;

function resource(stack: Stack, id: string): ResourceSpec {
  const r = stack.resources?.find((x) => x.logicalId === id);
  assert.ok(r, `no resource ${id} in ${JSON.stringify(stack.resources?.map((x) => x.logicalId))}`);
  return r;
}

/** One function `h` with the given events (YAML list items under events:). */
function fnApp(events: string, extra = ''): string {
  return `${app(`  h:\n    handler: h.main\n    events:\n${events}`)}${extra}`;
}

describe('s3 events: new buckets (AWS::S3::Bucket)', () => {
  it('the string form creates S3Bucket<Name> with one Lambda configuration for s3:ObjectCreated:*', async () => {
    const stack = await loadYaml(fnApp('      - s3: photos\n'));
    assert.deepEqual(stack.warnings, []);
    assert.deepEqual(resource(stack, 'S3BucketPhotos'), {
      logicalId: 'S3BucketPhotos',
      type: 'AWS::S3::Bucket',
      properties: { BucketName: 'photos', NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: ARN('h') }] } },
      dependsOn: [],
      deletionPolicy: 'Delete',
      updateReplacePolicy: 'Delete',
    });
  });

  it('the object form: event and rules become Event and Filter.S3Key.Rules', async () => {
    const stack = await loadYaml(fnApp('      - s3:\n          bucket: photos\n          event: s3:ObjectRemoved:Delete\n          rules:\n            - prefix: uploads/\n            - suffix: .jpg\n'));
    const p = resource(stack, 'S3BucketPhotos').properties as Record<string, unknown>;
    assert.deepEqual(p.NotificationConfiguration, {
      LambdaConfigurations: [
        { Event: 's3:ObjectRemoved:Delete', Function: ARN('h'), Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'uploads/' }, { Name: 'suffix', Value: '.jpg' }] } } },
      ],
    });
  });

  it('events of several functions on one bucket are merged into one resource, in order', async () => {
    const yaml = app(
      '  a:\n    handler: h.main\n    events:\n      - s3: photos\n      - s3: { bucket: other, event: "s3:ObjectCreated:Put" }\n' +
        '  b:\n    handler: h.main\n    events:\n      - s3: { bucket: photos, event: "s3:ObjectRemoved:*" }\n',
    );
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.resources?.map((r) => r.logicalId), ['S3BucketPhotos', 'S3BucketOther']);
    const p = resource(stack, 'S3BucketPhotos').properties as { NotificationConfiguration: { LambdaConfigurations: unknown[] } };
    assert.deepEqual(p.NotificationConfiguration.LambdaConfigurations, [
      { Event: 's3:ObjectCreated:*', Function: ARN('a') },
      { Event: 's3:ObjectRemoved:*', Function: ARN('b') },
    ]);
  });

  it('logical ids keep the letters and digits of the name (naming.js)', () => {
    assert.equal(bucketLogicalId('my-photos.bucket-2'), 'S3BucketMyphotosbucket2');
    assert.equal(customS3LogicalId('resize-image_v2'), 'ResizeDashimageUnderscorev2CustomS31');
  });

  it('provider.s3 buckets: the key names the logical id, name the bucket, other keys become properties', async () => {
    const provider = '  s3:\n    uploads:\n      name: svc-uploads\n      corsConfiguration:\n        CorsRules:\n          - AllowedMethods: [GET]\n            AllowedOrigins: ["*"]\n';
    const stack = await loadYaml(`service: svc\nprovider:\n  name: aws\n${provider}functions:\n  h:\n    handler: h.main\n    events:\n      - s3: uploads\n`);
    assert.deepEqual(stack.warnings, []);
    assert.deepEqual(resource(stack, 'S3BucketUploads').properties, {
      BucketName: 'svc-uploads',
      NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: ARN('h') }] },
      CorsConfiguration: { CorsRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] },
    });
  });

  it('a resource declared with the generated logical id is merged over the generated bucket (the framework\'s _.merge)', async () => {
    const resources = 'resources:\n  Resources:\n    S3BucketPhotos:\n      Type: AWS::S3::Bucket\n      DeletionPolicy: Retain\n      Properties:\n        Tags: [{ Key: team, Value: media }]\n';
    const stack = await loadYaml(fnApp('      - s3: photos\n', resources));
    const r = resource(stack, 'S3BucketPhotos');
    assert.equal(r.deletionPolicy, 'Retain');
    assert.deepEqual(r.properties, {
      BucketName: 'photos',
      NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: ARN('h') }] },
      Tags: [{ Key: 'team', Value: 'media' }],
    });
  });

  it('arrays merge by index as lodash does', () => {
    assert.deepEqual(lodashMerge({ a: [{ x: 1, y: 2 }, { x: 3 }] }, { a: [{ y: 9 }], b: 1 }), { a: [{ x: 1, y: 9 }, { x: 3 }], b: 1 });
  });

  it('the generated bucket can be referenced from environment and other resources', async () => {
    const extra = 'resources:\n  Outputs:\n    PhotosArn:\n      Value: !GetAtt S3BucketPhotos.Arn\n';
    const yaml = `${app('  h:\n    handler: h.main\n    environment:\n      BUCKET: !Ref S3BucketPhotos\n    events:\n      - s3: photos\n')}${extra}`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.functions[0]!.environmentTemplates, { BUCKET: { Ref: 'S3BucketPhotos' } });
    assert.deepEqual(stack.outputs, [{ name: 'PhotosArn', value: { 'Fn::GetAtt': ['S3BucketPhotos', 'Arn'] } }]);
  });

  it('another resource creating the same bucket name is refused (CloudFormation: "photos already exists")', async () => {
    const resources = 'resources:\n  Resources:\n    Photos:\n      Type: AWS::S3::Bucket\n      Properties:\n        BucketName: photos\n';
    await rejectsWith(loadYaml(fnApp('      - s3: photos\n', resources)), 'ERR_APP_INVALID', 'functions.h.events[0].s3', 'resources.Resources.Photos', 'photos already exists', 'S3BucketPhotos', 'existing: true');
  });
});

describe('s3 events: existing buckets (Custom::S3)', () => {
  it('one Custom::S3 per function with FunctionName, BucketName and BucketConfigs as the framework writes them', async () => {
    const stack = await loadYaml(
      fnApp('      - s3:\n          bucket: legacy\n          existing: true\n          rules:\n            - prefix: in/\n      - s3:\n          bucket: legacy\n          existing: true\n          event: s3:ObjectRemoved:*\n'),
    );
    assert.deepEqual(stack.warnings, []);
    const r = resource(stack, 'HCustomS31');
    assert.equal(r.type, 'Custom::S3');
    assert.deepEqual(r.properties, {
      FunctionName: 'svc-dev-h',
      BucketName: 'legacy',
      BucketConfigs: [
        { Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'in/' }] },
        { Event: 's3:ObjectRemoved:*', Rules: [] },
      ],
    });
    assert.equal(stack.resources?.some((x) => x.type === 'AWS::S3::Bucket'), false);
  });

  it('a bucket given as an intrinsic depends on its resource; resources on one bucket are chained', async () => {
    const yaml =
      app(
        '  a:\n    handler: h.main\n    events:\n      - s3: { bucket: !Ref Uploads, existing: true }\n' +
          '  b:\n    handler: h.main\n    events:\n      - s3: { bucket: !Ref Uploads, existing: true, forceDeploy: true }\n',
      ) + 'resources:\n  Resources:\n    Uploads:\n      Type: AWS::S3::Bucket\n';
    const stack = await loadYaml(yaml);
    const a = resource(stack, 'ACustomS31');
    const b = resource(stack, 'BCustomS31');
    assert.deepEqual((a.properties as Record<string, unknown>).BucketName, { Ref: 'Uploads' });
    assert.deepEqual(a.dependsOn, ['Uploads']);
    assert.deepEqual([...b.dependsOn].sort(), ['ACustomS31', 'Uploads']);
    assert.equal(typeof (b.properties as Record<string, unknown>).ForceDeploy, 'number');
    assert.equal('ForceDeploy' in (a.properties as Record<string, unknown>), false);
  });

  it('forceDeploy without existing is warned and ignored', async () => {
    const stack = await loadYaml(fnApp('      - s3: { bucket: photos, forceDeploy: true }\n'));
    assert.deepEqual(stack.warnings, ['functions.h.events[0].s3.forceDeploy only applies with existing: true and is ignored']);
  });
});

describe('s3 events: validation', () => {
  const fails = (events: string, ...contains: string[]) => rejectsWith(loadYaml(fnApp(events)), 'ERR_APP_INVALID', ...contains);

  it('event names must be S3 event types', async () => {
    await fails('      - s3: { bucket: photos, event: "s3:ObjectMade:*" }\n', 'functions.h.events[0].s3.event', 'S3 event type', 's3:ObjectMade:*');
    await fails('      - s3: { bucket: photos, event: ObjectCreated }\n', 'functions.h.events[0].s3.event');
  });

  it('rules: one of prefix or suffix each, strings, no repeats', async () => {
    await fails('      - s3: { bucket: photos, rules: [{ prefix: a/, suffix: .jpg }] }\n', 'functions.h.events[0].s3.rules[0]', 'exactly one of prefix or suffix');
    await fails('      - s3: { bucket: photos, rules: [{ name: a }] }\n', 'functions.h.events[0].s3.rules[0].name', 'prefix or suffix');
    await fails('      - s3: { bucket: photos, rules: [{ prefix: a/ }, { prefix: b/ }] }\n', 'rules[1].prefix', 'Cannot specify more than one prefix rule in a filter.');
    await fails('      - s3: { bucket: photos, rules: [{ suffix: 5 }] }\n', 'rules[0].suffix', 'must be a string');
    await fails('      - s3: { bucket: photos, rules: { prefix: a/ } }\n', 'functions.h.events[0].s3.rules', 'list of rules');
  });

  it('bucket names follow the framework\'s pattern', async () => {
    await fails('      - s3: Photos\n', 'functions.h.events[0].s3', '"Photos"', 'not a valid S3 bucket name');
    await fails('      - s3: ab\n', 'not a valid S3 bucket name');
    await fails('      - s3: 192.168.0.1\n', 'not a valid S3 bucket name');
    await fails('      - s3: { bucket: -photos }\n', 'functions.h.events[0].s3.bucket');
  });

  it('an intrinsic bucket needs existing: true; one existing bucket per function', async () => {
    await fails('      - s3: { bucket: !Ref B }\n', 'functions.h.events[0].s3.bucket', 'existing: true');
    await fails('      - s3: { bucket: one, existing: true }\n      - s3: { bucket: two, existing: true }\n', 'functions.h.events[1].s3.bucket', 'only one existing S3 bucket');
    await fails('      - s3: { event: "s3:ObjectCreated:*" }\n', 'functions.h.events[0].s3.bucket is required');
    await fails('      - s3: { bucket: photos, existing: yes }\n', 'functions.h.events[0].s3.existing', 'true or false');
  });

  it('overlapping configurations on one bucket are refused with S3\'s words', async () => {
    await fails('      - s3: photos\n      - s3: { bucket: photos, event: "s3:ObjectCreated:Put", rules: [{ prefix: a/ }] }\n', 'functions.h.events[1].s3', 'Configuration is ambiguously defined');
    // Different event families, or disjoint prefixes, do not overlap.
    await loadYaml(fnApp('      - s3: photos\n      - s3: { bucket: photos, event: "s3:ObjectRemoved:*" }\n'));
    await loadYaml(fnApp('      - s3: { bucket: photos, rules: [{ prefix: a/ }] }\n      - s3: { bucket: photos, rules: [{ prefix: b/ }] }\n'));
    assert.equal(configurationsOverlap({ event: 's3:ObjectCreated:*', prefix: 'a/', suffix: '.jpg' }, { event: 's3:ObjectCreated:Copy', prefix: 'a/b', suffix: '' }), true);
    assert.equal(configurationsOverlap({ event: 's3:ObjectCreated:Put', prefix: '', suffix: '.jpg' }, { event: 's3:ObjectCreated:Copy', prefix: '', suffix: '.jpg' }), false);
    assert.equal(configurationsOverlap({ event: 's3:ObjectCreated:*', prefix: '', suffix: '.jpg' }, { event: 's3:ObjectCreated:*', prefix: '', suffix: '.png' }), false);
  });

  it('s3 is no longer an unsupported event type; unknown keys are warned', async () => {
    const stack = await loadYaml(fnApp('      - s3: { bucket: photos, bucketEvents: [x] }\n'));
    assert.deepEqual(stack.warnings, ['functions.h.events[0].s3.bucketEvents is not a Serverless Framework v3 option and is ignored']);
  });
});
