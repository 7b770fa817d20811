/**
 * CloudFormation resource providers for S3 (composition glue, like
 * platform-resources.ts): `AWS::S3::Bucket`, and `Custom::S3`, the custom resource the
 * Serverless Framework generates for `s3` events on existing buckets.
 *
 * AWS::S3::Bucket (AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html):
 * - BucketName is optional: CloudFormation then names the bucket
 *   `<stack>-<logicalid>-<random>`, lower-cased, at most 63 characters. Changing it
 *   replaces the bucket ("Update requires: Replacement"); every other property
 *   updates in place, keeping the objects.
 * - NotificationConfiguration: Lambda, Queue and Topic configurations and
 *   EventBridgeConfiguration become the bucket's notification configuration. A
 *   function target is stored without checking that the function exists: functions
 *   deploy after resources. Configurations others added to the bucket (Custom::S3,
 *   PutBucketNotificationConfiguration) are kept: the provider replaces only its own.
 * - CorsConfiguration becomes the bucket's CORS rules (S3's CORSRule shape); Tags
 *   its tags. VersioningConfiguration Suspended is accepted; Enabled, object lock and
 *   replication (which need versions) fail the deploy: not supported yet.
 * - Accepted and without effect in Nimbus (no access control, encryption, storage
 *   classes, lifecycle expiry, logging, metrics or website hosting yet):
 *   AccessControl, PublicAccessBlockConfiguration, OwnershipControls,
 *   BucketEncryption, LifecycleConfiguration, AccelerateConfiguration,
 *   AnalyticsConfigurations, IntelligentTieringConfigurations,
 *   InventoryConfigurations, LoggingConfiguration, MetricsConfigurations,
 *   MetadataTableConfiguration, WebsiteConfiguration. Any other property fails with
 *   CloudFormation's "Encountered unsupported property".
 * - Deleting a bucket that holds objects fails as in CloudFormation ("The bucket you
 *   tried to delete is not empty"); DeletionPolicy Retain is the reconciler's.
 * - Ref is the name; attributes Arn, DomainName, DualStackDomainName,
 *   RegionalDomainName, WebsiteURL.
 *
 * Custom::S3 follows the framework's handler (lib/plugins/aws/custom-resources/
 * resources/s3): `FunctionName`, `BucketName`, `BucketConfigs: [{ Event, Rules }]`;
 * create and update put configurations with the ids `<FunctionName>-<md5 of the
 * config>` on the existing bucket, replacing that function's earlier ones; delete
 * removes them (a bucket already gone is fine).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JsonValue } from './aws';
import { ServiceError } from './aws';
import { jsonEqual, type ResourceProvider } from './app/cloudformation/reconcile';
import { configurationsOverlap, S3_OVERLAP_MESSAGE } from './app/serverless/s3-events';
import { PlatformError } from './errors';
import { parseTargets } from './services/s3/bucket-notifications';
import type { BucketConfig, NotificationTarget, S3Engine } from './services/s3/engine';
import { bucketNotEmpty, invalidArgument, noSuchBucket } from './services/s3/errors';
import { checkBucketName } from './services/s3/names';

type Props = Record<string, JsonValue>;

const ACCOUNT_ID = '000000000000';

function obj(v: JsonValue | undefined): Props {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Props) : {};
}

function deployError(message: string, cause?: unknown): PlatformError {
  return new PlatformError('ERR_APP_DEPLOY', message, cause === undefined ? undefined : { cause });
}

/** Runs an S3 step, turning S3's error into a deploy error that keeps its code and words. */
async function s3<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ServiceError) throw deployError(`${e.code}: ${e.message}`, e);
    throw e;
  }
}

/** CloudFormation's schema validation wording ("Properties validation failed for resource X with message: #/Path: why"). */
function invalid(logicalId: string, pointer: string, why: string): PlatformError {
  return deployError(`Properties validation failed for resource ${logicalId} with message: #/${pointer}: ${why}`);
}

const NO_OP_PROPERTIES = [
  'AccessControl', 'PublicAccessBlockConfiguration', 'OwnershipControls', 'BucketEncryption', 'LifecycleConfiguration',
  'AccelerateConfiguration', 'AnalyticsConfigurations', 'IntelligentTieringConfigurations', 'InventoryConfigurations',
  'LoggingConfiguration', 'MetricsConfigurations', 'MetadataTableConfiguration', 'WebsiteConfiguration',
];
const HANDLED_PROPERTIES = ['BucketName', 'NotificationConfiguration', 'CorsConfiguration', 'Tags', 'VersioningConfiguration'];
const NOT_SUPPORTED = {
  ObjectLockEnabled: 'object lock is not supported yet (Nimbus buckets keep one version of each object)',
  ObjectLockConfiguration: 'object lock is not supported yet (Nimbus buckets keep one version of each object)',
  ReplicationConfiguration: 'replication is not supported yet (it needs versioning, which Nimbus buckets do not have)',
} as const;
const CORS_METHODS = ['GET', 'PUT', 'HEAD', 'POST', 'DELETE'];

/** A bucket's settings as the service stores them, read from the template's properties. */
interface BucketSettings {
  cors: Record<string, unknown>[] | null;
  tags: Record<string, string> | null;
  /** The provider's own notification targets (ids derived from the bucket name and the configuration). */
  targets: NotificationTarget[];
  eventBridge: boolean;
}

function strings(logicalId: string, pointer: string, v: JsonValue | undefined): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(logicalId, pointer, `expected type: JSONArray of strings, found: ${JSON.stringify(v ?? null)}`);
  return v as string[];
}

function readCors(logicalId: string, v: JsonValue | undefined): Record<string, unknown>[] | null {
  if (v === undefined || v === null) return null;
  const rules = obj(v).CorsRules;
  if (!Array.isArray(rules)) throw invalid(logicalId, 'CorsConfiguration', 'required key [CorsRules] not found');
  if (rules.length > 100) throw invalid(logicalId, 'CorsConfiguration/CorsRules', `expected maximum item count: 100, found: ${rules.length}`);
  return rules.map((raw, i) => {
    const r = obj(raw);
    const at = `CorsConfiguration/CorsRules/${i}`;
    for (const key of ['AllowedMethods', 'AllowedOrigins']) if (r[key] === undefined) throw invalid(logicalId, at, `required key [${key}] not found`);
    for (const key of Object.keys(r)) {
      if (!['AllowedHeaders', 'AllowedMethods', 'AllowedOrigins', 'ExposedHeaders', 'Id', 'MaxAge'].includes(key)) throw invalid(logicalId, at, `extraneous key [${key}] is not permitted`);
    }
    const methods = strings(logicalId, `${at}/AllowedMethods`, r.AllowedMethods);
    methods.forEach((m, j) => {
      if (!CORS_METHODS.includes(m)) throw invalid(logicalId, `${at}/AllowedMethods/${j}`, `${m} is not a valid enum value`);
    });
    // S3's CORSRule shape (PutBucketCors): ExposeHeaders, MaxAgeSeconds, ID.
    const rule: Record<string, unknown> = { AllowedMethods: methods, AllowedOrigins: strings(logicalId, `${at}/AllowedOrigins`, r.AllowedOrigins) };
    if (r.AllowedHeaders !== undefined) rule.AllowedHeaders = strings(logicalId, `${at}/AllowedHeaders`, r.AllowedHeaders);
    if (r.ExposedHeaders !== undefined) rule.ExposeHeaders = strings(logicalId, `${at}/ExposedHeaders`, r.ExposedHeaders);
    if (r.Id !== undefined) {
      if (typeof r.Id !== 'string' || r.Id.length > 255) throw invalid(logicalId, `${at}/Id`, 'expected a string of at most 255 characters');
      rule.ID = r.Id;
    }
    if (r.MaxAge !== undefined) {
      const n = typeof r.MaxAge === 'string' && r.MaxAge.trim() !== '' ? Number(r.MaxAge) : r.MaxAge;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw invalid(logicalId, `${at}/MaxAge`, `expected a whole number of at least 0, found: ${JSON.stringify(r.MaxAge)}`);
      rule.MaxAgeSeconds = n;
    }
    return rule;
  });
}

function readTags(logicalId: string, v: JsonValue | undefined): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw invalid(logicalId, 'Tags', `expected type: JSONArray, found: ${JSON.stringify(v)}`);
  const tags: Record<string, string> = {};
  v.forEach((t, i) => {
    const { Key, Value } = obj(t);
    if (typeof Key !== 'string') throw invalid(logicalId, `Tags/${i}`, 'required key [Key] not found');
    if (typeof Value !== 'string') throw invalid(logicalId, `Tags/${i}`, 'required key [Value] not found');
    tags[Key] = Value;
  });
  return tags;
}

/**
 * S3-style configuration ids (S3 names unnamed configurations with a base64 string),
 * derived from the bucket and the configuration so a later update can tell the
 * provider's own configurations from others'.
 */
function notificationId(bucket: string, kind: string, index: number, config: JsonValue): string {
  const hex = createHash('md5').update(JSON.stringify([bucket, kind, index, config])).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return Buffer.from(uuid).toString('base64');
}

const TARGET_KINDS = [
  { list: 'LambdaConfigurations', key: 'Function', kind: 'lambda' },
  { list: 'QueueConfigurations', key: 'Queue', kind: 'queue' },
  { list: 'TopicConfigurations', key: 'Topic', kind: 'topic' },
] as const;

function readNotifications(logicalId: string, bucket: string, v: JsonValue | undefined): { targets: NotificationTarget[]; eventBridge: boolean } {
  const n = obj(v);
  for (const key of Object.keys(n)) {
    if (!['LambdaConfigurations', 'QueueConfigurations', 'TopicConfigurations', 'EventBridgeConfiguration'].includes(key)) {
      throw invalid(logicalId, 'NotificationConfiguration', `extraneous key [${key}] is not permitted`);
    }
  }
  const targets: NotificationTarget[] = [];
  for (const { list, key, kind } of TARGET_KINDS) {
    const raw = n[list];
    if (raw === undefined || raw === null) continue;
    if (!Array.isArray(raw)) throw invalid(logicalId, `NotificationConfiguration/${list}`, `expected type: JSONArray, found: ${JSON.stringify(raw)}`);
    const inputs = raw.map((c, i) => {
      const at = `NotificationConfiguration/${list}/${i}`;
      const conf = obj(c);
      if (typeof conf.Event !== 'string') throw invalid(logicalId, at, 'required key [Event] not found');
      if (typeof conf[key] !== 'string') throw invalid(logicalId, at, `required key [${key}] not found`);
      const arn = conf[key] as string;
      // S3 checks the destination's ARN: "The ARN is not well formed".
      const service = arn.split(':')[2];
      if (!arn.startsWith('arn:') || service !== (kind === 'lambda' ? 'lambda' : kind === 'queue' ? 'sqs' : 'sns')) {
        throw deployError(`InvalidArgument: The ARN is not well formed (${at}/${key}: ${JSON.stringify(arn)})`);
      }
      const rules = obj(obj(conf.Filter).S3Key).Rules;
      if (conf.Filter !== undefined && !Array.isArray(rules)) throw invalid(logicalId, `${at}/Filter/S3Key`, 'required key [Rules] not found');
      return {
        Id: notificationId(bucket, kind, i, c),
        Arn: arn,
        Events: [conf.Event],
        Filter: Array.isArray(rules) ? { Key: { FilterRules: rules.map((r) => ({ Name: String(obj(r).Name ?? ''), Value: String(obj(r).Value ?? '') })) } } : undefined,
      };
    });
    // S3's own checks and words for events and filter rules; functions are not looked up (they deploy later).
    targets.push(...parseTargets(kind, inputs, () => true));
  }
  return { targets, eventBridge: n.EventBridgeConfiguration !== undefined && n.EventBridgeConfiguration !== null };
}

/** S3 refuses overlapping configurations for the same event type (see s3-events.ts). */
function checkOverlaps(targets: readonly NotificationTarget[]): void {
  const shapes = targets.flatMap((t) => t.events.map((event) => ({ event, prefix: t.prefix ?? '', suffix: t.suffix ?? '', id: t.id })));
  for (let i = 0; i < shapes.length; i++) {
    for (let j = i + 1; j < shapes.length; j++) {
      if (shapes[i]!.id !== shapes[j]!.id && configurationsOverlap(shapes[i]!, shapes[j]!)) throw invalidArgument(S3_OVERLAP_MESSAGE);
    }
  }
}

function readSettings(logicalId: string, bucket: string, p: Props): BucketSettings {
  for (const key of Object.keys(p)) {
    if (key in NOT_SUPPORTED) {
      if (key === 'ObjectLockEnabled' && (p[key] === false || p[key] === 'false')) continue;
      throw deployError(`Properties.${key}: ${NOT_SUPPORTED[key as keyof typeof NOT_SUPPORTED]}`);
    }
    // CloudFormation's words for a property the type does not have.
    if (!HANDLED_PROPERTIES.includes(key) && !NO_OP_PROPERTIES.includes(key)) throw deployError(`Encountered unsupported property ${key}`);
  }
  if (p.BucketName !== undefined && typeof p.BucketName !== 'string') throw invalid(logicalId, 'BucketName', `expected type: String, found: ${JSON.stringify(p.BucketName)}`);
  const versioning = obj(p.VersioningConfiguration).Status;
  if (p.VersioningConfiguration !== undefined && versioning !== 'Enabled' && versioning !== 'Suspended') {
    throw invalid(logicalId, 'VersioningConfiguration/Status', `${JSON.stringify(versioning ?? null)} is not a valid enum value`);
  }
  if (versioning === 'Enabled') throw deployError('Properties.VersioningConfiguration Status Enabled is not supported yet (Nimbus buckets keep one version of each object; use Suspended or remove it)');
  return { cors: readCors(logicalId, p.CorsConfiguration), tags: readTags(logicalId, p.Tags), ...readNotifications(logicalId, bucket, p.NotificationConfiguration) };
}

/** The bucket's configuration with this resource's settings applied over `before` (the provider's previous settings). */
function applySettings(c: BucketConfig, now: BucketSettings, before: BucketSettings | null): BucketConfig {
  const next: BucketConfig = { ...c };
  if (now.cors) next.cors = now.cors;
  else if (before?.cors) delete next.cors;
  if (now.tags) next.tags = now.tags;
  else if (before?.tags) delete next.tags;
  const mine = new Set((before?.targets ?? []).map((t) => t.id));
  const kept = (c.notifications?.targets ?? []).filter((t) => !mine.has(t.id));
  const targets = [...kept, ...now.targets];
  checkOverlaps(targets);
  const eventBridge = now.eventBridge || (before?.eventBridge ? false : (c.notifications?.eventBridge ?? false));
  if (targets.length > 0 || eventBridge) next.notifications = { targets, eventBridge };
  else delete next.notifications;
  return next;
}

/** CloudFormation's generated bucket names: `<stack>-<logicalid>-<random>`, lower-cased, at most 63 characters. */
function generatedName(stackName: string, logicalId: string): string {
  const suffix = randomBytes(8).toString('hex').slice(0, 12);
  const base = `${stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 63 - suffix.length - 1).replace(/^-+/, '');
  return `${base || 'bucket'}-${suffix}`;
}

/**
 * S3 website endpoints: the older regions use `s3-website-<region>`, the others
 * `s3-website.<region>` (AmazonS3/latest/userguide/WebsiteEndpoints.html).
 */
const DASH_WEBSITE_REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1', 'us-gov-west-1'];

function bucketAttributes(name: string, region: string): Record<string, JsonValue> {
  const website = DASH_WEBSITE_REGIONS.includes(region) ? `s3-website-${region}` : `s3-website.${region}`;
  return {
    Arn: `arn:aws:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
    WebsiteURL: `http://${name}.${website}.amazonaws.com`,
  };
}

export function s3BucketProvider(engine: S3Engine, region: string): ResourceProvider {
  /** Creates the bucket with its settings, or nothing: the reconciler only knows of (and rolls back) buckets whose create returned. */
  const createWhole = async (logicalId: string, name: string, p: Props): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }> => {
    const settings = await s3(() => {
      const read = readSettings(logicalId, name, p);
      checkBucketName(name);
      checkOverlaps(read.targets);
      return read;
    });
    const r = await engine.store.createBucket({ name, region, createdAt: Date.now() });
    // CloudFormation's words when the name is taken (by this app or another).
    if (r === 'exists') throw deployError(`${name} already exists`);
    try {
      await s3(() => engine.updateConfig(name, (c) => applySettings(c, settings, null)));
    } catch (e) {
      await engine.store.deleteBucket(name).catch(() => undefined);
      throw e;
    }
    return { physicalId: name, attributes: bucketAttributes(name, region) };
  };
  return {
    type: 'AWS::S3::Bucket',
    async create({ logicalId, stackName, properties }) {
      const p = obj(properties);
      const name = typeof p.BucketName === 'string' ? p.BucketName : generatedName(stackName, logicalId);
      return createWhole(logicalId, name, p);
    },
    async update({ logicalId, stackName, physicalId, previous, properties }) {
      const p = obj(properties);
      const before = obj(previous);
      if (!jsonEqual(p.BucketName ?? null, before.BucketName ?? null)) {
        // "Update requires: Replacement": a new bucket; the reconciler deletes the old one afterwards.
        const name = typeof p.BucketName === 'string' ? p.BucketName : generatedName(stackName, logicalId);
        return createWhole(logicalId, name, p);
      }
      await s3(async () => {
        const now = readSettings(logicalId, physicalId, p);
        const was = readSettings(logicalId, physicalId, before);
        await engine.updateConfig(physicalId, (c) => applySettings(c, now, was));
      });
      return { physicalId, attributes: bucketAttributes(physicalId, region) };
    },
    async delete({ physicalId }) {
      const r = await engine.store.deleteBucket(physicalId);
      // CloudFormation fails the delete of a bucket with objects, in S3's words; a bucket already gone is fine.
      if (r === 'not-empty') await s3(() => Promise.reject(bucketNotEmpty(physicalId)));
    },
    ref: (physicalId) => physicalId,
    // AWS::S3::Bucket's return values (the MetadataTableConfiguration ones aside).
    attributeNames: ['Arn', 'DomainName', 'DualStackDomainName', 'RegionalDomainName', 'WebsiteURL'],
  };
}

/** What a Custom::S3 resource attaches: the function, the bucket, the configurations. */
interface CustomS3Target {
  functionName: string;
  bucket: string;
  targets: NotificationTarget[];
}

/** The framework handler's ids: `<FunctionName>-<md5 of the config>`; a function's configurations are those with its prefix. */
function isOwnedBy(t: NotificationTarget, functionName: string): boolean {
  const prefix = `${functionName}-`;
  return t.id.startsWith(prefix) && /^[a-f0-9]{32}$/.test(t.id.slice(prefix.length));
}

function readCustom(region: string, properties: JsonValue): CustomS3Target {
  const p = obj(properties);
  if (typeof p.FunctionName !== 'string' || p.FunctionName === '') throw deployError(`Properties.FunctionName must be a function name (got ${JSON.stringify(p.FunctionName ?? null)})`);
  if (typeof p.BucketName !== 'string' || p.BucketName === '') throw deployError(`Properties.BucketName must be a bucket name (got ${JSON.stringify(p.BucketName ?? null)})`);
  if (!Array.isArray(p.BucketConfigs)) throw deployError(`Properties.BucketConfigs must be a list of { Event, Rules } (got ${JSON.stringify(p.BucketConfigs ?? null)})`);
  const functionName = p.FunctionName;
  const arn = `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${functionName}`;
  const inputs = p.BucketConfigs.map((c) => {
    const conf = obj(c);
    const rules = Array.isArray(conf.Rules) ? conf.Rules : [];
    return {
      Id: `${functionName}-${createHash('md5').update(JSON.stringify(c)).digest('hex')}`,
      Arn: arn,
      Events: typeof conf.Event === 'string' ? [conf.Event] : [],
      Filter: rules.length > 0 ? { Key: { FilterRules: rules.map((r) => { const [name] = Object.keys(obj(r)); return { Name: (name ?? '').toLowerCase(), Value: String(obj(r)[name ?? ''] ?? '') }; }) } } : undefined,
    };
  });
  return { functionName, bucket: p.BucketName, targets: parseTargets('lambda', inputs, () => true) };
}

export function customS3Provider(engine: S3Engine): ResourceProvider {
  const attach = async (t: CustomS3Target): Promise<void> => {
    await s3(() =>
      engine.updateConfig(t.bucket, (c) => {
        const targets = [...(c.notifications?.targets ?? []).filter((x) => !isOwnedBy(x, t.functionName)), ...t.targets];
        checkOverlaps(targets);
        return { ...c, notifications: { targets, eventBridge: c.notifications?.eventBridge ?? false } };
      }),
    );
  };
  const detach = async (functionName: string, bucket: string): Promise<void> => {
    try {
      await engine.updateConfig(bucket, (c) => {
        if (!c.notifications) return c;
        return { ...c, notifications: { ...c.notifications, targets: c.notifications.targets.filter((x) => !isOwnedBy(x, functionName)) } };
      });
    } catch (e) {
      // The framework's handler ignores a bucket that is gone (ignoreMissingBucket).
      if (e instanceof ServiceError && e.code === noSuchBucket(bucket).code) return;
      throw e;
    }
  };
  const physicalIdOf = (t: CustomS3Target): string => `${t.bucket}/${t.functionName}`;
  return {
    type: 'Custom::S3',
    async create({ properties }) {
      const t = await s3(() => readCustom(engine.region, properties));
      await attach(t);
      return { physicalId: physicalIdOf(t), attributes: {} };
    },
    async update({ properties }) {
      // Another bucket or function is another physical id: the reconciler deletes the old one (detaching it) afterwards.
      const t = await s3(() => readCustom(engine.region, properties));
      await attach(t);
      return { physicalId: physicalIdOf(t), attributes: {} };
    },
    async delete({ properties }) {
      const p = obj(properties);
      if (typeof p.FunctionName !== 'string' || typeof p.BucketName !== 'string') return;
      await detach(p.FunctionName, p.BucketName);
    },
    ref: (physicalId) => physicalId,
    attributeNames: [],
  };
}
