/**
 * `s3` events -> the CloudFormation resources the Serverless Framework v3 generates
 * for them (lib/plugins/aws/package/compile/events/s3/index.js), which then deploy
 * through the ordinary reconcile path:
 * - a new bucket (no `existing`): one `AWS::S3::Bucket` per bucket name, logical id
 *   `S3Bucket<Name>` (naming.js getBucketLogicalId: the name with everything but
 *   letters and digits removed, first letter upper-cased), `BucketName` and one
 *   `NotificationConfiguration.LambdaConfigurations` entry per event (`Event`,
 *   `Function: !GetAtt <Fn>LambdaFunction.Arn`, `Filter.S3Key.Rules` from `rules`),
 *   the events of every function on that bucket in one resource. A bucket named in
 *   `provider.s3` takes its name and its other (camelCase) properties from there.
 *   `resources.Resources` entries are then deep-merged over the generated ones as the
 *   framework merges `resources` into its template (lodash `_.merge`: objects by key,
 *   arrays by index), so a resource declared with the generated logical id configures
 *   the generated bucket;
 * - an existing bucket (`existing: true`): one `Custom::S3` resource per function,
 *   `<Fn>CustomS31`, with `FunctionName`, `BucketName` (a string or an intrinsic) and
 *   `BucketConfigs: [{ Event, Rules: [{ Prefix }, { Suffix }] }]`; it adds those
 *   notification configurations to the bucket and removes them on delete.
 *   `forceDeploy` adds `ForceDeploy: <now>`, so every deploy re-applies them.
 * The Lambda permissions, the custom resource's handler function and its role are
 * not generated: Nimbus does not enforce permissions and runs the custom resource
 * itself (src/platform-s3-resources.ts).
 */
import { functionLogicalId } from '../cloudformation/resources';
import type { JsonValue } from '../stack';
import { type DefinitionContext, isIntrinsic, isPlainObject, type KeyPath, keyPathString } from './context';
import { checkKeys } from './keys';
import { S3_EVENT_KEYS } from './schema';
import { S3_EVENT_TYPES } from '../../services/s3/event-types';

export interface S3RuleDefinition {
  name: 'prefix' | 'suffix';
  /** A string or an intrinsic. */
  value: unknown;
  keys: KeyPath;
}

export interface S3EventDefinition {
  /** Key path of the event, e.g. `functions.resize.events[0].s3`. */
  keys: KeyPath;
  /** A bucket name (or a `provider.s3` key); an intrinsic only with `existing`. */
  bucket: unknown;
  bucketKeys: KeyPath;
  event: string;
  rules: S3RuleDefinition[];
  existing: boolean;
  forceDeploy: boolean;
}

/** The framework's default event (`s3:ObjectCreated:*`). */
export const S3_DEFAULT_EVENT = 's3:ObjectCreated:*';

export { S3_EVENT_TYPES };

/**
 * The framework's bucket name check (config schema `awsS3BucketName`: dot-separated
 * labels of lowercase letters, digits and inner hyphens, not an IP address, 3-63
 * characters). S3's stricter rules apply when the bucket is created.
 */
const BUCKET_NAME_RE = /(?!^(\d{1,3}\.){3}\d{1,3}$)(^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$)/;

export function isFrameworkBucketName(name: string): boolean {
  return name.length >= 3 && name.length <= 63 && BUCKET_NAME_RE.test(name);
}

/** naming.js getBucketLogicalId: `S3Bucket` + the name's letters and digits, first upper-cased. */
export function bucketLogicalId(name: string): string {
  const n = name.replace(/[^0-9A-Za-z]/g, '');
  return `S3Bucket${n.charAt(0).toUpperCase()}${n.slice(1)}`;
}

/** naming.js getCustomResourceS3ResourceLogicalId: `<NormalizedFunction>CustomS31` (the 1 is historical). */
export function customS3LogicalId(functionKey: string): string {
  const n = functionKey.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${n.charAt(0).toUpperCase()}${n.slice(1)}CustomS31`;
}

function readEventName(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string {
  if (raw === undefined || raw === null) return S3_DEFAULT_EVENT;
  if (typeof raw !== 'string' || !S3_EVENT_TYPES.includes(raw)) {
    ctx.invalid(keys, 'must be an S3 event type such as s3:ObjectCreated:*, s3:ObjectCreated:Put or s3:ObjectRemoved:* (S3\'s supported event types)', { value: raw });
  }
  return raw;
}

function readRules(ctx: DefinitionContext, keys: KeyPath, raw: unknown): S3RuleDefinition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) ctx.invalid(keys, 'must be a list of rules such as - prefix: uploads/ or - suffix: .jpg', { value: raw });
  const rules: S3RuleDefinition[] = [];
  raw.forEach((rule, i) => {
    const k = [...keys, i];
    // The framework's schema: one property per rule, prefix or suffix, a string or an intrinsic.
    if (!isPlainObject(rule) || Object.keys(rule).length !== 1) ctx.invalid(k, 'must be a mapping with exactly one of prefix or suffix', { value: rule });
    const [name] = Object.keys(rule);
    if (name !== 'prefix' && name !== 'suffix') ctx.invalid([...k, name], 'is not a rule: a rule is prefix or suffix');
    const value = rule[name];
    if (typeof value !== 'string' && !isIntrinsic(value)) ctx.invalid([...k, name], 'must be a string or a CloudFormation intrinsic', { value });
    // S3: "Cannot specify more than one prefix rule in a filter." (and suffix).
    if (rules.some((r) => r.name === name)) ctx.invalid([...k, name], `repeats the ${name} rule (S3: "Cannot specify more than one ${name} rule in a filter.")`);
    rules.push({ name, value, keys: [...k, name] });
  });
  return rules;
}

function readFlag(ctx: DefinitionContext, keys: KeyPath, raw: unknown): boolean {
  if (raw === undefined || raw === null) return false;
  if (typeof raw !== 'boolean') ctx.invalid(keys, 'must be true or false', { value: raw });
  return raw;
}

export function readS3Event(ctx: DefinitionContext, keys: KeyPath, raw: unknown): S3EventDefinition {
  if (typeof raw === 'string') {
    if (raw.trim() === '') ctx.invalid(keys, 'must be a bucket name or a mapping with bucket', { value: raw });
    return { keys, bucket: raw, bucketKeys: keys, event: S3_DEFAULT_EVENT, rules: [], existing: false, forceDeploy: false };
  }
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a bucket name or a mapping with bucket (and event, rules, existing)', { value: raw });
  checkKeys(ctx, keys, raw, S3_EVENT_KEYS);
  const k = (name: string): KeyPath => [...keys, name];
  const existing = readFlag(ctx, k('existing'), raw.existing);
  const forceDeploy = readFlag(ctx, k('forceDeploy'), raw.forceDeploy);
  const bucket = raw.bucket;
  if (bucket === undefined || bucket === null) ctx.invalid(k('bucket'), 'is required');
  if (isIntrinsic(bucket)) {
    // Framework: S3_INVALID_NEW_BUCKET_FORMAT.
    if (!existing) ctx.invalid(k('bucket'), 'is a CloudFormation intrinsic, which needs existing: true (the framework only attaches events to such buckets, it does not create them)');
  } else if (typeof bucket !== 'string' || bucket.trim() === '') {
    ctx.invalid(k('bucket'), 'must be a bucket name or a CloudFormation intrinsic (with existing: true)', { value: bucket });
  }
  if (forceDeploy && !existing) ctx.warn(`${keyPathString(k('forceDeploy'))} only applies with existing: true and is ignored`);
  return { keys, bucket, bucketKeys: k('bucket'), event: readEventName(ctx, k('event'), raw.event), rules: readRules(ctx, k('rules'), raw.rules), existing, forceDeploy };
}

/** `provider.s3`: bucket key -> its settings (`name` and CloudFormation properties in camelCase). */
export type ProviderS3Buckets = Record<string, Record<string, unknown>>;

export function readProviderS3(ctx: DefinitionContext, keys: KeyPath, raw: unknown): ProviderS3Buckets {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping of bucket keys to bucket settings', { value: raw });
  const out: ProviderS3Buckets = {};
  for (const [key, settings] of Object.entries(raw)) {
    if (!isPlainObject(settings)) ctx.invalid([...keys, key], 'must be a mapping (name and AWS::S3::Bucket properties in camelCase)', { value: settings });
    if (settings.name !== undefined && settings.name !== null && typeof settings.name !== 'string') {
      ctx.invalid([...keys, key, 'name'], 'must be a bucket name', { value: settings.name });
    }
    out[key] = settings;
  }
  return out;
}

/** A function's s3 events, as compile.ts hands them over. */
export interface S3EventFunction {
  key: string;
  keys: KeyPath;
  /** Deployed name. */
  name: string;
  events: S3EventDefinition[];
}

export interface GeneratedS3Resources {
  /** Logical id -> CloudFormation resource (Type, Properties, DependsOn), in the framework's order. */
  resources: Record<string, Record<string, unknown>>;
  /** New buckets: logical id -> bucket name and the event that first named it (for messages). */
  buckets: Map<string, { name: string; keys: KeyPath }>;
}

/** The framework's generated resources for every s3 event of the app. */
export function generateS3Resources(ctx: DefinitionContext, functions: readonly S3EventFunction[], providerS3: ProviderS3Buckets): GeneratedS3Resources {
  const resources: Record<string, Record<string, unknown>> = {};
  const buckets = new Map<string, { name: string; keys: KeyPath }>();

  // New buckets, grouped by bucket name in the order events name them.
  const byName = new Map<string, { logicalId: string; ref: string; configs: Record<string, unknown>[]; keys: KeyPath }>();
  for (const fn of functions) {
    for (const ev of fn.events) {
      if (ev.existing) continue;
      const ref = ev.bucket as string;
      const settings = providerS3[ref];
      const name = settings ? (typeof settings.name === 'string' ? settings.name : ref) : ref;
      if (!isFrameworkBucketName(name)) {
        const where = settings ? ` (from provider.s3.${ref})` : '';
        ctx.invalid(ev.bucketKeys, `names the bucket ${JSON.stringify(name)}${where}, which is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)`);
      }
      const config: Record<string, unknown> = { Event: ev.event, Function: { 'Fn::GetAtt': [functionLogicalId(fn.key), 'Arn'] } };
      if (ev.rules.length > 0) config.Filter = { S3Key: { Rules: ev.rules.map((r) => ({ Name: r.name, Value: r.value })) } };
      let entry = byName.get(name);
      if (!entry) {
        entry = { logicalId: bucketLogicalId(settings ? ref : name), ref, configs: [], keys: ev.keys };
        byName.set(name, entry);
      }
      checkOverlap(ctx, ev, entry.configs.map((c, i) => ({ config: c, index: i })), config, functions);
      entry.configs.push(config);
    }
  }
  for (const [name, entry] of byName) {
    const other = [...buckets].find(([id]) => id === entry.logicalId);
    if (other) ctx.invalid(entry.keys, `creates the bucket ${JSON.stringify(name)} with the logical id ${entry.logicalId}, which the bucket ${JSON.stringify(other[1].name)} already has (the framework names buckets by their letters and digits only)`);
    const settings = providerS3[entry.ref];
    const extra: Record<string, unknown> = {};
    let provided: Record<string, unknown> = {};
    if (settings) {
      // The framework upper-cases the first letter of each provider.s3 key (naming.normalizeName).
      for (const [key, value] of Object.entries(settings)) if (key !== 'name') extra[`${key.charAt(0).toUpperCase()}${key.slice(1)}`] = value;
      if (isPlainObject(extra.NotificationConfiguration)) provided = extra.NotificationConfiguration;
      delete extra.NotificationConfiguration;
    }
    resources[entry.logicalId] = {
      Type: 'AWS::S3::Bucket',
      Properties: { BucketName: name, NotificationConfiguration: { LambdaConfigurations: entry.configs, ...provided }, ...extra },
    };
    buckets.set(entry.logicalId, { name, keys: entry.keys });
  }

  // Existing buckets: one Custom::S3 per function.
  const customByBucket = new Map<string, string[]>();
  for (const fn of functions) {
    const existing = fn.events.filter((e) => e.existing);
    if (existing.length === 0) continue;
    const first = JSON.stringify(existing[0]!.bucket);
    for (const ev of existing.slice(1)) {
      if (JSON.stringify(ev.bucket) !== first) {
        // Framework: S3_MULTIPLE_BUCKETS_PER_FUNCTION.
        ctx.invalid(ev.bucketKeys, `attaches ${keyPathString(fn.keys)} to a second existing bucket: only one existing S3 bucket can be configured per function (${first} and ${JSON.stringify(ev.bucket)})`);
      }
    }
    const logicalId = customS3LogicalId(fn.key);
    const properties: Record<string, unknown> = {
      FunctionName: fn.name,
      BucketName: existing[0]!.bucket,
      // As the framework writes them: `[{ Prefix: v }]` (lodash startCase of the rule name).
      BucketConfigs: existing.map((ev) => ({ Event: ev.event, Rules: ev.rules.map((r) => ({ [r.name === 'prefix' ? 'Prefix' : 'Suffix']: r.value })) })),
    };
    if (existing.some((e) => e.forceDeploy)) properties.ForceDeploy = Date.now();
    const resource: Record<string, unknown> = { Type: 'Custom::S3', Properties: properties };
    // Several custom resources on one bucket are chained (the framework avoids concurrent read-modify-writes).
    const chain = customByBucket.get(first) ?? [];
    if (chain.length > 0) resource.DependsOn = [chain[chain.length - 1]!];
    customByBucket.set(first, [...chain, logicalId]);
    resources[logicalId] = resource;
  }
  return { resources, buckets };
}

/** Whether two event types can match one event: equal, or one is the other's family wildcard (`s3:ObjectCreated:*` and `s3:ObjectCreated:Put`). */
function eventsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const family = (e: string): string => e.slice(0, e.lastIndexOf(':'));
  return (a.endsWith(':*') || b.endsWith(':*')) && family(a) === family(b);
}

function ruleValue(config: Record<string, unknown>, name: 'prefix' | 'suffix'): string | null | undefined {
  const filter = config.Filter;
  const rules = isPlainObject(filter) && isPlainObject(filter.S3Key) && Array.isArray(filter.S3Key.Rules) ? filter.S3Key.Rules : [];
  const rule = rules.find((r) => isPlainObject(r) && typeof r.Name === 'string' && r.Name.toLowerCase() === name) as Record<string, unknown> | undefined;
  if (!rule) return '';
  return typeof rule.Value === 'string' ? rule.Value : undefined; // undefined: an intrinsic, unknown until deploy
}

/**
 * S3 refuses two configurations of one bucket whose event types, prefixes and suffixes
 * all overlap: "Configuration is ambiguously defined. Cannot have overlapping suffixes
 * in two rules if the prefixes are overlapping for the same event type."
 * (AmazonS3/latest/userguide/notification-how-to-filtering.html). The framework's docs
 * say it too: the same configuration cannot repeat on one bucket.
 */
export function configurationsOverlap(a: { event: string; prefix: string; suffix: string }, b: { event: string; prefix: string; suffix: string }): boolean {
  return (
    eventsOverlap(a.event, b.event) &&
    (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) &&
    (a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix))
  );
}

export const S3_OVERLAP_MESSAGE = 'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.';

function checkOverlap(
  ctx: DefinitionContext,
  ev: S3EventDefinition,
  before: { config: Record<string, unknown>; index: number }[],
  config: Record<string, unknown>,
  functions: readonly S3EventFunction[],
): void {
  const shape = (c: Record<string, unknown>): { event: string; prefix: string; suffix: string } | null => {
    const prefix = ruleValue(c, 'prefix');
    const suffix = ruleValue(c, 'suffix');
    return prefix === undefined || suffix === undefined || prefix === null || suffix === null ? null : { event: String(c.Event), prefix, suffix };
  };
  const mine = shape(config);
  if (!mine) return;
  for (const { config: other } of before) {
    const theirs = shape(other);
    if (!theirs || !configurationsOverlap(mine, theirs)) continue;
    const fnId = (other.Function as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const owner = functions.find((f) => functionLogicalId(f.key) === fnId);
    ctx.invalid(ev.keys, `overlaps an earlier s3 event of ${owner ? keyPathString(owner.keys) : fnId} on the same bucket (S3: "${S3_OVERLAP_MESSAGE}"): use different event types, prefixes or suffixes`);
  }
}

/** lodash `_.merge` as the framework merges `resources` into its template: objects by key, arrays by index. */
export function lodashMerge(target: unknown, source: unknown): unknown {
  if (source === undefined) return target;
  if (Array.isArray(target) && Array.isArray(source)) {
    const out = [...target];
    source.forEach((v, i) => {
      if (v !== undefined) out[i] = lodashMerge(out[i], v);
    });
    return out;
  }
  if (isPlainObject(target) && isPlainObject(source)) {
    const out: Record<string, unknown> = { ...target };
    for (const [k, v] of Object.entries(source)) if (v !== undefined) out[k] = lodashMerge(out[k], v);
    return out;
  }
  return structuredClone(source);
}

/**
 * `resources` with the generated resources merged under it (the framework's order:
 * generated first, the user's `resources` merged over them). A list of `resources`
 * mappings stays a list, with the generated ones as its first entry.
 */
export function withGeneratedResources(generated: Record<string, Record<string, unknown>>, raw: unknown): unknown {
  if (Object.keys(generated).length === 0) return raw;
  const base = { Resources: generated };
  if (raw === undefined || raw === null) return base;
  if (Array.isArray(raw)) {
    // Merged here item by item as lodash would, then handed over as one mapping; an
    // invalid item is left for compileTemplate to report.
    if (raw.some((item) => item !== null && item !== undefined && !isPlainObject(item))) return raw;
    let merged: unknown = base;
    for (const item of raw) if (isPlainObject(item)) merged = lodashMerge(merged, item);
    return merged;
  }
  if (!isPlainObject(raw)) return raw; // compileTemplate reports it
  if (raw.Resources !== undefined && raw.Resources !== null && !isPlainObject(raw.Resources)) return raw;
  return lodashMerge(base, raw);
}

/** Where a generated bucket's name is also declared by another resource (CloudFormation: "<name> already exists"). */
export function checkBucketCollisions(
  ctx: DefinitionContext,
  buckets: ReadonlyMap<string, { name: string; keys: KeyPath }>,
  resources: ReadonlyArray<{ logicalId: string; type: string; properties: JsonValue }>,
): void {
  for (const r of resources) {
    if (r.type !== 'AWS::S3::Bucket' || buckets.has(r.logicalId)) continue;
    const p = r.properties;
    const name = p !== null && typeof p === 'object' && !Array.isArray(p) ? p.BucketName : undefined;
    for (const [id, b] of buckets) {
      if (name !== b.name) continue;
      ctx.invalid(
        b.keys,
        `creates the bucket ${JSON.stringify(b.name)} (as ${id}), which resources.Resources.${r.logicalId} also creates (CloudFormation: "${b.name} already exists"): ` +
          `declare the resource as ${id} to configure the bucket the event creates, or set existing: true on the event`,
      );
    }
  }
}
