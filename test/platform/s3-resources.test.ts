/**
 * AWS::S3::Bucket and Custom::S3 (src/platform-s3-resources.ts): the providers on
 * their own against an S3 engine over a real store, then apps with `s3` events and
 * bucket resources deployed by a live Nimbus and checked with the official S3 client.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  type NotificationConfiguration,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ResourceProvider } from '../../src/app/cloudformation/reconcile';
import { parseYaml } from '../../src/app/serverless/parse';
import type { JsonValue } from '../../src/app/stack';
import { isPlatformError, type PlatformError } from '../../src/errors';
import type { DeployResult, Platform } from '../../src/platform';
import { customS3Provider, s3BucketProvider } from '../../src/platform-s3-resources';
import { S3Engine } from '../../src/services/s3/engine';
import { BlobStore } from '../../src/store/blobs';
import { openStore, type SqlStore } from '../../src/store/open';
import { copyFixture, startNimbus, tmpDir, waitFor } from '../helpers/nimbus';

const FN = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** A rejected promise's error, which must be a platform error. */
async function failure(p: Promise<unknown>): Promise<PlatformError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isPlatformError(e), `expected a PlatformError, got ${String(e)}`);
    return e;
  }
  return assert.fail('it succeeded');
}

describe('S3 resource providers against an S3 engine', () => {
  let store: SqlStore;
  let engine: S3Engine;
  let buckets: ResourceProvider;
  let custom: ResourceProvider;

  before(async () => {
    const dir = tmpDir();
    store = await openStore({ url: path.join(dir, 'nimbus.db') });
    engine = new S3Engine(store.objects, new BlobStore(path.join(dir, 'blobs')), 'us-east-1');
    buckets = s3BucketProvider(engine, 'us-east-1');
    custom = customS3Provider(engine);
  });
  after(async () => {
    await engine?.close();
    await store?.close();
  });

  const config = async (name: string) => engine.config(await engine.bucket(name));
  const create = (logicalId: string, properties: JsonValue, stackName = 'app-dev') => buckets.create({ logicalId, stackName, properties });

  it('creates a named bucket with CORS in S3 CORSRule shape, tags and notifications, and its attributes', async () => {
    const r = await create('Site', {
      BucketName: 'p-site',
      CorsConfiguration: { CorsRules: [{ Id: 'web', AllowedMethods: ['GET'], AllowedOrigins: ['*'], AllowedHeaders: ['*'], ExposedHeaders: ['ETag'], MaxAge: '60' }] },
      Tags: [{ Key: 'a', Value: 'b' }],
      NotificationConfiguration: {
        LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: FN('f'), Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: '.png' }] } } }],
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      },
    });
    assert.equal(r.physicalId, 'p-site');
    assert.equal(buckets.ref(r.physicalId, r.attributes), 'p-site');
    assert.deepEqual(r.attributes, {
      Arn: 'arn:aws:s3:::p-site',
      DomainName: 'p-site.s3.amazonaws.com',
      DualStackDomainName: 'p-site.s3.dualstack.us-east-1.amazonaws.com',
      RegionalDomainName: 'p-site.s3.us-east-1.amazonaws.com',
      WebsiteURL: 'http://p-site.s3-website-us-east-1.amazonaws.com',
    });
    const c = await config('p-site');
    assert.deepEqual(c.cors, [{ ID: 'web', AllowedMethods: ['GET'], AllowedOrigins: ['*'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }]);
    assert.deepEqual(c.tags, { a: 'b' });
    assert.equal(c.notifications?.eventBridge, true);
    assert.equal(c.notifications?.targets.length, 1);
    assert.deepEqual({ ...c.notifications!.targets[0], id: undefined }, { id: undefined, arn: FN('f'), kind: 'lambda', events: ['s3:ObjectCreated:*'], suffix: '.png' });
  });

  it('generates <stack>-<logicalid>-<random> names, lower-cased, at most 63 characters', async () => {
    const a = await create('Uploads', {}, 'My-App-dev');
    assert.match(a.physicalId, /^my-app-dev-uploads-[a-z0-9]{12}$/);
    const long = await create('AVeryLongLogicalIdForABucketThatGoesOnAndOn', {}, 'a-rather-long-stack-name-for-testing');
    assert.ok(long.physicalId.length <= 63, long.physicalId);
    assert.match(long.physicalId, /^a-rather-long-stack-name-for-testing-averylong[a-z]*-[a-z0-9]{12}$/);
    assert.ok(await engine.store.getBucket(long.physicalId));
  });

  it('refuses what CloudFormation or S3 refuses, creating nothing', async () => {
    assert.match((await failure(create('Dup', { BucketName: 'p-site' }))).message, /^p-site already exists$/);
    assert.match((await failure(create('Bad', { BucketName: 'Bad_Name' }))).message, /^InvalidBucketName: The specified bucket is not valid\.$/);
    assert.equal((await failure(create('X', { BucketName: 'p-x', Frobnicate: 1 }))).message, 'Encountered unsupported property Frobnicate');
    assert.match((await failure(create('X', { BucketName: 'p-x', VersioningConfiguration: { Status: 'Enabled' } }))).message, /VersioningConfiguration Status Enabled is not supported yet/);
    assert.match((await failure(create('X', { BucketName: 'p-x', CorsConfiguration: { CorsRules: [{ AllowedMethods: ['PATCH'], AllowedOrigins: ['*'] }] } }))).message,
      /^Properties validation failed for resource X with message: #\/CorsConfiguration\/CorsRules\/0\/AllowedMethods\/0: PATCH is not a valid enum value$/);
    assert.match((await failure(create('X', { BucketName: 'p-x', CorsConfiguration: { CorsRules: [{ AllowedMethods: ['GET'] }] } }))).message, /required key \[AllowedOrigins\] not found/);
    assert.match((await failure(create('X', { BucketName: 'p-x', NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectMade', Function: FN('f') }] } }))).message,
      /^InvalidArgument: The event is not supported for notifications$/);
    const overlapping = { LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: FN('f') }, { Event: 's3:ObjectCreated:Put', Function: FN('g') }] };
    assert.match((await failure(create('X', { BucketName: 'p-x', NotificationConfiguration: overlapping }))).message, /^InvalidArgument: Configuration is ambiguously defined\./);
    assert.equal(await engine.store.getBucket('p-x'), null);
  });

  it('updates in place keep the objects and configurations others added; a new BucketName replaces the bucket', async () => {
    const props = { BucketName: 'p-upd', NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: FN('f') }] } };
    const r = await create('Upd', props);
    // A Custom::S3 attaches a function to the same bucket.
    const c = await custom.create({ logicalId: 'GCustomS31', stackName: 'app-dev', properties: { FunctionName: 'g', BucketName: 'p-upd', BucketConfigs: [{ Event: 's3:ObjectRemoved:*', Rules: [{ Prefix: 'x/' }] }] } });
    assert.equal(c.physicalId, 'p-upd/g');
    const next = { ...props, Tags: [{ Key: 'k', Value: 'v' }], NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectCreated:Put', Function: FN('h') }] } };
    const u = await buckets.update({ logicalId: 'Upd', stackName: 'app-dev', physicalId: r.physicalId, previous: props, properties: next });
    assert.equal(u.physicalId, 'p-upd');
    const cfg = await config('p-upd');
    assert.deepEqual(cfg.tags, { k: 'v' });
    assert.deepEqual(cfg.notifications?.targets.map((t) => [t.arn, t.events[0], t.prefix ?? null]).sort(), [
      [FN('g'), 's3:ObjectRemoved:*', 'x/'],
      [FN('h'), 's3:ObjectCreated:Put', null],
    ]);
    assert.match(cfg.notifications!.targets.find((t) => t.arn === FN('g'))!.id, /^g-[a-f0-9]{32}$/);

    const replaced = await buckets.update({ logicalId: 'Upd', stackName: 'app-dev', physicalId: 'p-upd', previous: next, properties: { ...next, BucketName: 'p-upd-2' } });
    assert.equal(replaced.physicalId, 'p-upd-2');
    assert.ok(await engine.store.getBucket('p-upd-2'));
    assert.ok(await engine.store.getBucket('p-upd'), 'the reconciler deletes the old bucket, not the update');
  });

  it('deleting a bucket with objects fails in S3\'s words; an empty or missing one is deleted', async () => {
    await create('Full', { BucketName: 'p-full' });
    await engine.store.putObject({ bucket: 'p-full', key: 'k', blobId: 'a'.repeat(32), size: 0, etag: '"x"', lastModified: Date.now(), meta: '{"metadata":{}}' });
    assert.equal((await failure(buckets.delete({ physicalId: 'p-full', properties: {} }))).message, 'BucketNotEmpty: The bucket you tried to delete is not empty');
    assert.ok(await engine.store.getBucket('p-full'));
    await engine.store.deleteObject('p-full', 'k');
    await buckets.delete({ physicalId: 'p-full', properties: {} });
    assert.equal(await engine.store.getBucket('p-full'), null);
    await buckets.delete({ physicalId: 'p-full', properties: {} });
  });

  it('Custom::S3 replaces only its function\'s configurations, needs the bucket, and detaches on delete', async () => {
    await create('Ext', { BucketName: 'p-ext', NotificationConfiguration: { LambdaConfigurations: [{ Event: 's3:ObjectRemoved:*', Function: FN('other') }] } });
    const props = (configs: JsonValue[]): JsonValue => ({ FunctionName: 'svc-dev-f', BucketName: 'p-ext', BucketConfigs: configs });
    await custom.create({ logicalId: 'FCustomS31', stackName: 's', properties: props([{ Event: 's3:ObjectCreated:*', Rules: [{ Prefix: 'a/' }, { Suffix: '.csv' }] }]) });
    let targets = (await config('p-ext')).notifications!.targets;
    assert.deepEqual(targets.filter((t) => t.arn === FN('svc-dev-f')).map((t) => ({ prefix: t.prefix, suffix: t.suffix, events: t.events })), [{ prefix: 'a/', suffix: '.csv', events: ['s3:ObjectCreated:*'] }]);
    await custom.update({ logicalId: 'FCustomS31', stackName: 's', physicalId: 'p-ext/svc-dev-f', previous: null, properties: props([{ Event: 's3:ObjectCreated:Put', Rules: [] }, { Event: 's3:ObjectCreated:Copy', Rules: [] }]) });
    targets = (await config('p-ext')).notifications!.targets;
    assert.deepEqual(targets.map((t) => `${t.arn.split(':').pop()} ${t.events[0]}`).sort(), ['other s3:ObjectRemoved:*', 'svc-dev-f s3:ObjectCreated:Copy', 'svc-dev-f s3:ObjectCreated:Put']);
    await custom.delete({ physicalId: 'p-ext/svc-dev-f', properties: props([]) });
    assert.deepEqual((await config('p-ext')).notifications!.targets.map((t) => t.arn), [FN('other')]);

    assert.equal((await failure(custom.create({ logicalId: 'F', stackName: 's', properties: { FunctionName: 'f', BucketName: 'p-nope', BucketConfigs: [] } }))).message, 'NoSuchBucket: The specified bucket does not exist');
    await custom.delete({ physicalId: 'p-nope/f', properties: { FunctionName: 'f', BucketName: 'p-nope', BucketConfigs: [] } });
  });
});

describe('S3 resources deployed by a live Nimbus', () => {
  let nimbus: Platform;
  let s3: S3Client;
  const out = tmpDir('nimbus-s3-events-');

  before(async () => {
    // Where the fixture's functions record the events they get (serverless.yml: OUT_DIR).
    process.env.NIMBUS_S3_EVENTS_OUT = out;
    nimbus = await startNimbus({ dataDir: tmpDir() });
    s3 = new S3Client({ endpoint: nimbus.awsUrl, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(async () => {
    s3?.destroy();
    await nimbus?.close();
  });

  const notifications = async (Bucket: string): Promise<NotificationConfiguration> => {
    const { $metadata: _, ...rest } = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket }));
    return rest;
  };
  /** Lambda configurations as `<function> <event> <rules>` lines, sorted. */
  const lambdaLines = async (Bucket: string): Promise<string[]> =>
    ((await notifications(Bucket)).LambdaFunctionConfigurations ?? [])
      .map((c) => `${c.LambdaFunctionArn!.split(':').pop()} ${c.Events!.join(',')} ${(c.Filter?.Key?.FilterRules ?? []).map((r) => `${r.Name}=${r.Value}`).join(',')}`.trim())
      .sort();
  const bucketNames = async (): Promise<string[]> => ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!);
  const exists = async (Bucket: string): Promise<boolean> => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket }));
      return true;
    } catch (e) {
      if ((e as Error).name === 'NotFound' || (e as Error).name === 'NoSuchBucket') return false;
      throw e;
    }
  };
  const edit = (dir: string, change: (d: Record<string, any>) => void): void => {
    const file = path.join(dir, 'serverless.yml');
    const d = parseYaml(fs.readFileSync(file, 'utf8'), file) as Record<string, any>;
    change(d);
    fs.writeFileSync(file, stringify(d));
  };
  const outputs = (r: DeployResult): Record<string, string> => r.app.deployment!.outputs;

  describe('s3 events (s3-events)', () => {
    let dir: string;
    let first: DeployResult;
    let inbox: string;

    it('creates the generated buckets with merged notifications and attaches functions to existing buckets', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 's3-events-legacy' }));
      dir = copyFixture('s3-events');
      first = await nimbus.deploy(dir);
      assert.deepEqual(first.warnings, []);
      inbox = outputs(first).InboxName!;
      assert.match(inbox, /^s3-events-dev-inbox-[a-z0-9]{12}$/);
      assert.deepEqual(outputs(first), {
        InboxName: inbox,
        InboxArn: `arn:aws:s3:::${inbox}`,
        PhotosDomain: 's3-events-photos.s3.us-east-1.amazonaws.com',
      });
      assert.deepEqual((await bucketNames()).sort(), [inbox, 's3-events-assets', 's3-events-legacy', 's3-events-photos'].sort());
      assert.ok(await exists('s3-events-photos'));

      assert.deepEqual(await lambdaLines('s3-events-photos'), [
        's3-events-dev-audit s3:ObjectRemoved:*',
        's3-events-dev-resize s3:ObjectCreated:* Prefix=uploads/,Suffix=.jpg',
      ]);
      assert.deepEqual(await lambdaLines('s3-events-assets'), ['s3-events-dev-resize s3:ObjectCreated:*']);
      assert.deepEqual(await lambdaLines('s3-events-legacy'), ['s3-events-dev-legacy s3:ObjectCreated:Put Suffix=.csv']);
      assert.deepEqual(await lambdaLines(inbox), ['s3-events-dev-inbox s3:ObjectCreated:*']);
      const legacy = await notifications('s3-events-legacy');
      assert.match(legacy.LambdaFunctionConfigurations![0]!.Id!, /^s3-events-dev-legacy-[a-f0-9]{32}$/);

      // provider.s3 properties and the merged resource's tags reached the buckets.
      assert.deepEqual(nimbus.s3.config(await nimbus.s3.bucket('s3-events-assets')).cors, [{ AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['https://example.com'], MaxAgeSeconds: 600 }]);
      assert.deepEqual(nimbus.s3.config(await nimbus.s3.bucket('s3-events-photos')).tags, { team: 'media' });
      // Generated resources first (the framework's template order), then the app's own;
      // InboxCustomS31 waits for the bucket it names (!Ref Inbox).
      assert.deepEqual(first.app.deployment!.resources.map((r) => r.logicalId), ['S3BucketS3eventsphotos', 'S3BucketAssets', 'LegacyCustomS31', 'Inbox', 'InboxCustomS31']);
    });

    it('the deployed notifications deliver S3 events to the functions, filtered as configured', async () => {
      const put = (Bucket: string, Key: string) => s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
      await put('s3-events-photos', 'uploads/cat.png'); // suffix does not match
      await put('s3-events-photos', 'uploads/cat.jpg');
      await s3.send(new DeleteObjectCommand({ Bucket: 's3-events-photos', Key: 'uploads/cat.jpg' }));
      await put('s3-events-legacy', 'report.txt'); // suffix does not match
      await put('s3-events-legacy', 'report.csv');
      await put(inbox, 'mail/1');
      const seen = (fn: string): string[] => {
        const file = path.join(out, `s3-events-dev-${fn}.jsonl`);
        if (!fs.existsSync(file)) return [];
        return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
          const r = JSON.parse(l) as { bucket: string; key: string; event: string };
          return `${r.bucket} ${r.event} ${r.key}`;
        });
      };
      await waitFor(() => seen('resize').length + seen('audit').length + seen('legacy').length + seen('inbox').length >= 4, 15_000, 50);
      assert.deepEqual(seen('resize'), ['s3-events-photos ObjectCreated:Put uploads/cat.jpg']);
      assert.deepEqual(seen('audit'), ['s3-events-photos ObjectRemoved:Delete uploads/cat.jpg']);
      assert.deepEqual(seen('legacy'), ['s3-events-legacy ObjectCreated:Put report.csv']);
      assert.deepEqual(seen('inbox'), [`${inbox} ObjectCreated:Put mail/1`]);
    });

    it('a redeploy reconciles: removed events leave the buckets, existing buckets are detached, not deleted', async () => {
      edit(dir, (d) => {
        d.functions.audit.events = [];
        delete d.functions.audit.environment;
        d.functions.legacy.events = [];
      });
      const r = await nimbus.deploy(dir);
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(await lambdaLines('s3-events-photos'), ['s3-events-dev-resize s3:ObjectCreated:* Prefix=uploads/,Suffix=.jpg']);
      assert.deepEqual(await lambdaLines('s3-events-legacy'), []);
      assert.ok(await exists('s3-events-legacy'));
      assert.equal(r.app.deployment!.resources.some((x) => x.logicalId === 'LegacyCustomS31'), false);
    });

    it('a removed bucket that holds objects is kept with a warning (the next deploy tries again)', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 's3-events-assets', Key: 'logo.png', Body: 'x' }));
      edit(dir, (d) => {
        d.functions.resize.events = d.functions.resize.events.filter((e: { s3: unknown }) => e.s3 !== 'assets');
      });
      const r = await nimbus.deploy(dir);
      assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
      assert.match(r.warnings[0]!, /resources\.Resources\.S3BucketAssets \(AWS::S3::Bucket\) was removed but could not be deleted \(the next deploy tries again\): BucketNotEmpty: The bucket you tried to delete is not empty/);
      assert.ok(await exists('s3-events-assets'));
    });
  });

  describe('AWS::S3::Bucket resources (s3-cfn)', () => {
    let dir: string;
    let scratch: string;

    it('creates buckets with every applied property and resolves the attributes', async () => {
      dir = copyFixture('s3-cfn');
      const r = await nimbus.deploy(dir);
      assert.deepEqual(r.warnings, []);
      scratch = outputs(r).ScratchName!;
      assert.match(scratch, /^s3-cfn-dev-scratch-[a-z0-9]{12}$/);
      assert.deepEqual({ ...outputs(r), ScratchName: undefined }, {
        ScratchName: undefined,
        SiteArn: 'arn:aws:s3:::s3-cfn-site',
        SiteDomain: 's3-cfn-site.s3.amazonaws.com',
        SiteWebsite: 'http://s3-cfn-site.s3-website-us-east-1.amazonaws.com',
      });
      for (const b of ['s3-cfn-site', 's3-cfn-archive', scratch]) assert.ok(await exists(b), b);
      assert.deepEqual(await lambdaLines('s3-cfn-site'), ['s3-cfn-dev-worker s3:ObjectCreated:* Prefix=incoming/']);
      const cfg = nimbus.s3.config(await nimbus.s3.bucket('s3-cfn-site'));
      assert.deepEqual(cfg.cors, [{ ID: 'browsers', AllowedHeaders: ['*'], AllowedMethods: ['GET', 'PUT'], AllowedOrigins: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3000 }]);
      assert.deepEqual(cfg.tags, { stage: 's3-cfn-dev' });
    });

    it('versioning Enabled fails the deploy and changes nothing', async () => {
      edit(dir, (d) => {
        d.resources.Resources.Site.Properties.VersioningConfiguration.Status = 'Enabled';
        // Declared first, so it is created before Site fails: the rollback deletes it.
        d.resources.Resources = { Extra: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 's3-cfn-extra' } }, ...d.resources.Resources };
      });
      const e = await failure(nimbus.deploy(dir));
      assert.equal(e.code, 'ERR_APP_DEPLOY');
      assert.match(e.message, /resources\.Resources\.Site \(AWS::S3::Bucket\) update failed: Properties\.VersioningConfiguration Status Enabled is not supported yet.*; rolled back: Extra deleted$/);
      assert.equal(await exists('s3-cfn-extra'), false);
      assert.deepEqual(await lambdaLines('s3-cfn-site'), ['s3-cfn-dev-worker s3:ObjectCreated:* Prefix=incoming/']);
    });

    it('a new BucketName replaces the bucket; removed buckets are deleted unless DeletionPolicy Retain', async () => {
      edit(dir, (d) => {
        delete d.resources.Resources.Extra;
        const site = d.resources.Resources.Site.Properties;
        site.VersioningConfiguration.Status = 'Suspended';
        site.BucketName = 's3-cfn-site-2';
        delete d.resources.Resources.Scratch;
        delete d.resources.Resources.Archive;
        delete d.resources.Outputs.ScratchName;
      });
      const r = await nimbus.deploy(dir);
      assert.deepEqual(r.warnings, []);
      assert.equal(outputs(r).SiteArn, 'arn:aws:s3:::s3-cfn-site-2');
      assert.equal(await exists('s3-cfn-site'), false);
      assert.equal(await exists(scratch), false);
      assert.ok(await exists('s3-cfn-archive'), 'DeletionPolicy Retain keeps the bucket');
      assert.deepEqual(await lambdaLines('s3-cfn-site-2'), ['s3-cfn-dev-worker s3:ObjectCreated:* Prefix=incoming/']);
    });
  });
});
