/**
 * Resolved definition -> typed, checked definition. Everything that makes the input
 * invalid throws ERR_APP_INVALID naming the file, the key path and why; keys Nimbus
 * does not compile produce warnings (rules in schema.ts). Cross-function checks
 * (duplicate routes and names) are in compile.ts.
 */
import { splitHandler } from '../handler';
import { type DefinitionContext, isIntrinsic, isPlainObject, type KeyPath, keyPathString } from './context';
import { type HttpApiCorsInput, readHttpApiCors } from './cors';
import { admitsMajor } from './framework-version';
import { type HttpEventDefinition, readEvents } from './http-events';
import { type IamStatementDefinition, readIamStatements } from './iam';
import { type ProviderS3Buckets, readProviderS3, type S3EventDefinition } from './s3-events';
import type { StreamEventDefinition } from './stream-events';
import { checkKeys } from './keys';
import { FUNCTION_KEYS, PROVIDER_HTTP_API_KEYS, PROVIDER_KEYS, RESERVED_ENV_KEYS, TOP_LEVEL_KEYS } from './schema';
import { isNodeRuntime, readInteger, readRuntime, readString } from './values';

/**
 * The framework v3's default runtime when neither the function nor the provider sets
 * one (lib/plugins/aws/provider.js getRuntime(), `nodejs16.x` since serverless/serverless#12058).
 * Any nodejsNN.x runs on the local Node.js.
 */
export const DEFAULT_RUNTIME = 'nodejs16.x';

export interface ProviderDefinition {
  stage: string | null;
  region: string | null;
  runtime: string | null;
  memorySize: number | null;
  timeout: number | null;
  environment: Record<string, string>;
  /** Environment values that are CloudFormation intrinsics (resolved in compile.ts). */
  environmentTemplates: Record<string, unknown>;
  httpApiCors: HttpApiCorsInput;
  /** provider.stackName, when set (AWS::StackName). */
  stackName: string | null;
  iamStatements: IamStatementDefinition[];
  /** provider.s3: buckets that s3 events name by key (their name and properties). */
  s3Buckets: ProviderS3Buckets;
}

export interface FunctionDefinition {
  key: string;
  keys: KeyPath;
  name: string | null;
  handler: string;
  runtime: string;
  memorySize: number | null;
  timeout: number | null;
  environment: Record<string, string>;
  environmentTemplates: Record<string, unknown>;
  reservedConcurrency: number | null;
  provisionedConcurrency: number | null;
  description: string | null;
  events: HttpEventDefinition[];
  streams: StreamEventDefinition[];
  s3Events: S3EventDefinition[];
  maximumRetryAttempts: number | null;
  maximumEventAge: number | null;
  /** As written: a function key of this service or an ARN. */
  destinations: { onSuccess: string | null; onFailure: string | null };
  onError: string | null;
}

export interface ServerlessDefinition {
  service: string;
  frameworkVersion: string | null;
  provider: ProviderDefinition;
  functions: FunctionDefinition[];
  /** `resources` as written (a CloudFormation template fragment, or a list of them); compiled in compile.ts. */
  resources: unknown;
}

const SERVICE_RE = /^[a-zA-Z][0-9a-zA-Z-]+$/;
const FUNCTION_KEY_RE = /^[a-zA-Z0-9-_]+$/;
/** Lambda: "Keys start with a letter and are at least two characters ... letters, numbers, and the underscore". */
const ENV_KEY_RE = /^[a-zA-Z][a-zA-Z0-9_]+$/;

export function validateDefinition(ctx: DefinitionContext, config: unknown): ServerlessDefinition {
  if (config === null || config === undefined) ctx.invalid([], 'is empty');
  if (!isPlainObject(config)) ctx.invalid([], 'must be a mapping with service, provider and functions', { value: config });

  checkKeys(ctx, [], config, TOP_LEVEL_KEYS, ['plugins']);
  warnPlugins(ctx, config.plugins);

  const service = readService(ctx, config.service);
  const frameworkVersion = readFrameworkVersion(ctx, config.frameworkVersion);
  if (config.useDotenv !== undefined && typeof config.useDotenv !== 'boolean') {
    ctx.invalid(['useDotenv'], 'must be true or false', { value: config.useDotenv });
  }
  const provider = readProvider(ctx, config.provider);
  const functions = readFunctions(ctx, config.functions, provider);
  return { service, frameworkVersion, provider, functions, resources: config.resources };
}

function warnPlugins(ctx: DefinitionContext, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  const list = Array.isArray(raw) ? raw : isPlainObject(raw) && Array.isArray(raw.modules) ? raw.modules : [];
  const names = list.filter((x): x is string => typeof x === 'string');
  ctx.warn(`plugins are not run by Nimbus and are ignored${names.length ? `: ${names.join(', ')}` : ''}`);
}

function readService(ctx: DefinitionContext, raw: unknown): string {
  if (raw === undefined || raw === null) ctx.invalid(['service'], 'is required');
  let name: unknown = raw;
  let keys: KeyPath = ['service'];
  if (isPlainObject(raw)) {
    // The legacy `service: { name }` form.
    name = raw.name;
    keys = ['service', 'name'];
    if (name === undefined || name === null) ctx.invalid(keys, 'is required');
  }
  if (typeof name !== 'string' || !SERVICE_RE.test(name)) {
    ctx.invalid(keys, 'must start with a letter and contain only letters, digits and hyphens', { value: name });
  }
  return name;
}

function readFrameworkVersion(ctx: DefinitionContext, raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' && typeof raw !== 'number') ctx.invalid(['frameworkVersion'], 'must be a version range string', { value: raw });
  const range = String(raw);
  if (admitsMajor(range, 3) === false) {
    ctx.warn(`frameworkVersion ${JSON.stringify(range)} does not include Serverless Framework v3; Nimbus follows v3 semantics`);
  }
  return range;
}

function readOptionalString(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') return String(raw);
  return readString(ctx, keys, raw, { nonEmpty: true });
}

function readPayload(ctx: DefinitionContext, keys: KeyPath, raw: unknown): void {
  if (raw === undefined || raw === null || raw === '2.0' || raw === 2) return;
  if (raw === '1.0' || raw === 1) {
    ctx.warn(`${keyPathString(keys)} "1.0" is not supported yet and is ignored (HTTP API events use payload format 2.0)`);
    return;
  }
  ctx.invalid(keys, 'must be "1.0" or "2.0"', { value: raw });
}

function readProvider(ctx: DefinitionContext, raw: unknown): ProviderDefinition {
  const keys = ['provider'];
  if (raw === undefined || raw === null) ctx.invalid(keys, 'is required (with name: aws)');
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping', { value: raw });
  checkKeys(ctx, keys, raw, PROVIDER_KEYS);
  if (raw.name === undefined || raw.name === null) ctx.invalid(['provider', 'name'], 'is required (Nimbus runs aws apps)');
  if (raw.name !== 'aws') ctx.invalid(['provider', 'name'], 'must be "aws"; Nimbus runs AWS apps only', { value: raw.name });

  let httpApiCors: HttpApiCorsInput = null;
  if (raw.httpApi !== undefined && raw.httpApi !== null) {
    const k = ['provider', 'httpApi'];
    if (!isPlainObject(raw.httpApi)) ctx.invalid(k, 'must be a mapping', { value: raw.httpApi });
    checkKeys(ctx, k, raw.httpApi, PROVIDER_HTTP_API_KEYS);
    readPayload(ctx, [...k, 'payload'], raw.httpApi.payload);
    httpApiCors = readHttpApiCors(ctx, [...k, 'cors'], raw.httpApi.cors);
  }

  return {
    stage: readOptionalString(ctx, ['provider', 'stage'], raw.stage),
    region: readOptionalString(ctx, ['provider', 'region'], raw.region),
    runtime: raw.runtime === undefined || raw.runtime === null ? null : readRuntime(ctx, ['provider', 'runtime'], raw.runtime),
    memorySize: readMemorySize(ctx, ['provider', 'memorySize'], raw.memorySize),
    timeout: readTimeout(ctx, ['provider', 'timeout'], raw.timeout),
    ...readEnvironmentAndTemplates(ctx, ['provider', 'environment'], raw.environment),
    httpApiCors,
    stackName: readOptionalString(ctx, ['provider', 'stackName'], raw.stackName),
    iamStatements: readIamStatements(ctx, raw),
    s3Buckets: readProviderS3(ctx, ['provider', 's3'], raw.s3),
  };
}

/** Lambda's limits: 128..10240 MB. */
function readMemorySize(ctx: DefinitionContext, keys: KeyPath, raw: unknown): number | null {
  return raw === undefined || raw === null ? null : readInteger(ctx, keys, raw, 128, 10240);
}

/** Lambda's limits: 1..900 s. */
function readTimeout(ctx: DefinitionContext, keys: KeyPath, raw: unknown): number | null {
  return raw === undefined || raw === null ? null : readInteger(ctx, keys, raw, 1, 900);
}

/** `environment`: plain values as strings; values that are CloudFormation intrinsics apart (resolved in compile.ts). */
export function readEnvironmentAndTemplates(ctx: DefinitionContext, keys: KeyPath, raw: unknown): { environment: Record<string, string>; environmentTemplates: Record<string, unknown> } {
  const environment: Record<string, string> = {};
  const environmentTemplates: Record<string, unknown> = {};
  if (raw === undefined || raw === null) return { environment, environmentTemplates };
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping of NAME: value', { value: raw });
  for (const [name, value] of Object.entries(raw)) {
    const k = [...keys, name];
    if (!ENV_KEY_RE.test(name)) {
      ctx.invalid(k, 'is not a valid Lambda environment variable name (a letter, then letters, digits or underscores; at least two characters)');
    }
    if (RESERVED_ENV_KEYS.has(name)) ctx.invalid(k, 'is reserved by Lambda and cannot be set');
    if (typeof value === 'string') environment[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') environment[name] = String(value);
    else if (isIntrinsic(value)) environmentTemplates[name] = value;
    else ctx.invalid(k, 'must be a string, number or boolean', { value });
  }
  return { environment, environmentTemplates };
}

/** The framework also takes a list of mappings (e.g. `- ${file(./users.yml)}`), merged in order. */
function mergeList(ctx: DefinitionContext, key: string, raw: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  raw.forEach((item, i) => {
    if (item === null || item === undefined) return;
    if (!isPlainObject(item)) ctx.invalid([key, i], 'must be a mapping', { value: item });
    Object.assign(out, item);
  });
  return out;
}

function readFunctions(ctx: DefinitionContext, raw: unknown, provider: ProviderDefinition): FunctionDefinition[] {
  if (raw === undefined || raw === null) return [];
  const all = Array.isArray(raw) ? mergeList(ctx, 'functions', raw) : raw;
  if (!isPlainObject(all)) ctx.invalid(['functions'], 'must be a mapping of function names to functions', { value: raw });
  return Object.entries(all).map(([key, fn]) => readFunction(ctx, key, fn, provider));
}

function readFunction(ctx: DefinitionContext, key: string, raw: unknown, provider: ProviderDefinition): FunctionDefinition {
  const keys = ['functions', key];
  if (!FUNCTION_KEY_RE.test(key)) ctx.invalid(keys, 'is not a valid function name (letters, digits, hyphens and underscores only)');
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping with at least a handler', { value: raw });
  checkKeys(ctx, keys, raw, FUNCTION_KEYS, ['httpApi']);

  if (raw.httpApi !== undefined && raw.httpApi !== null) {
    if (!isPlainObject(raw.httpApi)) ctx.invalid([...keys, 'httpApi'], 'must be a mapping', { value: raw.httpApi });
    checkKeys(ctx, [...keys, 'httpApi'], raw.httpApi, { payload: 'supported' });
    readPayload(ctx, [...keys, 'httpApi', 'payload'], raw.httpApi.payload);
  }

  const runtime = raw.runtime === undefined || raw.runtime === null ? (provider.runtime ?? DEFAULT_RUNTIME) : readRuntime(ctx, [...keys, 'runtime'], raw.runtime);
  const events = readEvents(ctx, keys, raw.events);

  if (raw.handler === undefined || raw.handler === null) {
    ctx.invalid([...keys, 'handler'], raw.image !== undefined ? 'is required (container image functions are not supported yet)' : 'is required');
  }
  const handler = readString(ctx, [...keys, 'handler'], raw.handler, { nonEmpty: true });
  if (isNodeRuntime(runtime) && !splitHandler(handler)) {
    ctx.invalid([...keys, 'handler'], 'must be "path/to/module.export" (e.g. src/handlers/users.create)', { value: handler });
  }

  let description: string | null = null;
  if (raw.description !== undefined && raw.description !== null) {
    description = readString(ctx, [...keys, 'description'], raw.description);
    if (description.length > 256) ctx.invalid([...keys, 'description'], 'must be at most 256 characters (Lambda\'s limit)');
  }

  const reservedConcurrency =
    raw.reservedConcurrency === undefined || raw.reservedConcurrency === null
      ? null
      : readInteger(ctx, [...keys, 'reservedConcurrency'], raw.reservedConcurrency, 0, Number.MAX_SAFE_INTEGER);
  // 0 means none, as the framework skips a falsy provisionedConcurrency.
  const provisioned =
    raw.provisionedConcurrency === undefined || raw.provisionedConcurrency === null
      ? 0
      : readInteger(ctx, [...keys, 'provisionedConcurrency'], raw.provisionedConcurrency, 0, Number.MAX_SAFE_INTEGER);

  return {
    key,
    keys,
    name: readOptionalString(ctx, [...keys, 'name'], raw.name),
    handler,
    runtime,
    memorySize: readMemorySize(ctx, [...keys, 'memorySize'], raw.memorySize),
    timeout: readTimeout(ctx, [...keys, 'timeout'], raw.timeout),
    ...readEnvironmentAndTemplates(ctx, [...keys, 'environment'], raw.environment),
    reservedConcurrency,
    provisionedConcurrency: provisioned === 0 ? null : provisioned,
    description,
    events: events.http,
    streams: events.streams,
    s3Events: events.s3,
    // Lambda's limits for PutFunctionEventInvokeConfig.
    maximumRetryAttempts: raw.maximumRetryAttempts === undefined || raw.maximumRetryAttempts === null ? null : readInteger(ctx, [...keys, 'maximumRetryAttempts'], raw.maximumRetryAttempts, 0, 2),
    maximumEventAge: raw.maximumEventAge === undefined || raw.maximumEventAge === null ? null : readInteger(ctx, [...keys, 'maximumEventAge'], raw.maximumEventAge, 60, 21600),
    destinations: readDestinations(ctx, [...keys, 'destinations'], raw.destinations),
    onError: readTarget(ctx, [...keys, 'onError'], raw.onError),
  };
}

/**
 * `destinations: { onSuccess, onFailure }`, each a function key of this service,
 * an ARN, or (Framework v3) `{ type, arn }`.
 */
function readDestinations(ctx: DefinitionContext, keys: KeyPath, raw: unknown): { onSuccess: string | null; onFailure: string | null } {
  if (raw === undefined || raw === null) return { onSuccess: null, onFailure: null };
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a mapping with onSuccess and/or onFailure', { value: raw });
  for (const k of Object.keys(raw)) if (k !== 'onSuccess' && k !== 'onFailure') ctx.warn(`${keyPathString([...keys, k])} is not a Serverless Framework v3 option and is ignored`);
  return { onSuccess: readTarget(ctx, [...keys, 'onSuccess'], raw.onSuccess), onFailure: readTarget(ctx, [...keys, 'onFailure'], raw.onFailure) };
}

function readTarget(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (isIntrinsic(raw)) {
    ctx.warn(`${keyPathString(keys)} uses a CloudFormation intrinsic, which is not resolved yet; the target is ignored`);
    return null;
  }
  if (isPlainObject(raw)) return readTarget(ctx, [...keys, 'arn'], raw.arn);
  return readString(ctx, keys, raw, { nonEmpty: true });
}
