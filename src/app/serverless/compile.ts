/**
 * Checked definition -> Stack: deployed names, defaults, merged environments, routes
 * with their CORS, the checks that span functions (duplicate names and routes), the
 * `resources` template (with the resources s3 events generate), stream event source
 * mappings and the role's IAM statements.
 * Intrinsics resolve here as far as the definition allows; the rest waits for deploy.
 */
import { isResolved } from '../cloudformation/intrinsics';
import { type CompiledTemplate, compileTemplate } from '../cloudformation/resources';
import type { EventSourceMappingSpec, FunctionSpec, HttpRoute, IamStatement, JsonValue, Stack } from '../stack';
import { type DefinitionContext, type KeyPath, keyPathString } from './context';
import { httpApiCors, mergeHttpCors } from './cors';
import type { HttpEventDefinition } from './http-events';
import type { IamStatementDefinition } from './iam';
import { checkBucketCollisions, generateS3Resources, withGeneratedResources } from './s3-events';
import type { StreamEventDefinition } from './stream-events';
import type { FunctionDefinition, ServerlessDefinition } from './validate';

/** Nimbus' account id (the one AWS's local tooling uses). */
const ACCOUNT_ID = '000000000000';

export interface CompileOptions {
  /** Absolute app directory. */
  appDir: string;
  /** Definition file name relative to appDir. */
  definitionFile: string;
  stage?: string;
  region?: string;
}

/** Lambda's defaults as the framework sets them (`memorySize: 1024`, `timeout: 6`). */
export const DEFAULT_MEMORY_SIZE = 1024;
export const DEFAULT_TIMEOUT = 6;
/** Lambda: function names are 1-64 letters, digits, hyphens and underscores. */
const FUNCTION_NAME_RE = /^[a-zA-Z0-9-_]{1,64}$/;
/** Lambda: "The total size of all environment variables doesn't exceed 4 KB." */
const ENV_LIMIT_BYTES = 4096;
/** API Gateway's stage name rule, which the framework enforces when there are http events. */
const REST_STAGE_RE = /^[-_a-zA-Z0-9]+$/;
/** HTTP API's integration timeout (30 s) and REST API's (29 s). */
const HTTP_API_TIMEOUT = 30;
const REST_API_TIMEOUT = 29;

export function compileStack(ctx: DefinitionContext, def: ServerlessDefinition, opts: CompileOptions): Stack {
  const stage = opts.stage || def.provider.stage || 'dev';
  const region = opts.region || def.provider.region || 'us-east-1';
  const { provider } = def;
  if (def.functions.some((fd) => fd.events.some((e) => e.kind === 'http')) && !REST_STAGE_RE.test(stage)) {
    ctx.invalid(['provider', 'stage'], 'must contain only letters, digits, hyphens and underscores when there are http events (API Gateway stage names)', { value: stage });
  }

  const deployedName = (fd: FunctionDefinition): string => fd.name ?? `${def.service}-${stage}-${fd.key}`;
  // The framework names the CloudFormation stack `<service>-<stage>` (naming.js getStackName) unless provider.stackName.
  const stackName = provider.stackName ?? `${def.service}-${stage}`;
  // s3 events become the resources the framework generates for them (AWS::S3::Bucket,
  // Custom::S3), with `resources` merged over them as the framework merges its template.
  const s3 = generateS3Resources(
    ctx,
    def.functions.map((fd) => ({ key: fd.key, keys: fd.keys, name: deployedName(fd), events: fd.s3Events })),
    provider.s3Buckets,
  );
  const template = compileTemplate(ctx, withGeneratedResources(s3.resources, def.resources), {
    region,
    accountId: ACCOUNT_ID,
    stackName,
    service: def.service,
    stage,
    functions: def.functions.map((fd) => ({ key: fd.key, name: deployedName(fd) })),
  });
  checkBucketCollisions(ctx, s3.buckets, template.resources);
  const providerEnv = resolveEnvironment(ctx, template, ['provider', 'environment'], provider.environment, provider.environmentTemplates);
  const iamStatements = provider.iamStatements.map((st) => compileStatement(template, st));
  const eventSourceMappings: EventSourceMappingSpec[] = [];

  const functions: FunctionSpec[] = [];
  const names = new Map<string, string>();
  for (const fd of def.functions) {
    const name = deployedName(fd);
    if (!FUNCTION_NAME_RE.test(name)) {
      const reason = fd.name === null ? `gives the deployed name ${JSON.stringify(name)}, which` : 'name';
      ctx.invalid(fd.name === null ? fd.keys : [...fd.keys, 'name'], `${reason} must be 1-64 letters, digits, hyphens or underscores (Lambda's rule)`, fd.name === null ? undefined : { value: fd.name });
    }
    const other = names.get(name);
    if (other !== undefined) ctx.invalid(fd.keys, `has the deployed name ${JSON.stringify(name)}, which functions.${other} already has`);
    names.set(name, fd.key);

    const own = resolveEnvironment(ctx, template, [...fd.keys, 'environment'], fd.environment, fd.environmentTemplates);
    // The function's own value wins over the provider's, whichever of them is a template.
    const environment = { ...omit(providerEnv.environment, own.templates), ...own.environment };
    const environmentTemplates = { ...omit(providerEnv.templates, own.environment), ...own.templates };
    const size = Object.entries(environment).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (size > ENV_LIMIT_BYTES) {
      ctx.invalid([...fd.keys, 'environment'], `is ${size} bytes with provider.environment, over Lambda's 4 KB limit for environment variables`);
    }
    if (fd.provisionedConcurrency !== null && fd.reservedConcurrency !== null && fd.provisionedConcurrency > fd.reservedConcurrency) {
      ctx.invalid([...fd.keys, 'provisionedConcurrency'], `must not exceed reservedConcurrency (${fd.reservedConcurrency})`, { value: fd.provisionedConcurrency });
    }

    const spec: FunctionSpec = {
      key: fd.key,
      name,
      handler: fd.handler,
      runtime: fd.runtime,
      memorySize: fd.memorySize ?? provider.memorySize ?? DEFAULT_MEMORY_SIZE,
      timeout: fd.timeout ?? provider.timeout ?? DEFAULT_TIMEOUT,
      environment,
      reservedConcurrency: fd.reservedConcurrency,
      provisionedConcurrency: fd.provisionedConcurrency,
      codeDir: opts.appDir,
      iamStatements: structuredClone(iamStatements),
    };
    if (Object.keys(environmentTemplates).length > 0) spec.environmentTemplates = environmentTemplates;
    if (fd.description !== null) spec.description = fd.description;
    if (fd.maximumRetryAttempts !== null || fd.maximumEventAge !== null || fd.destinations.onSuccess !== null || fd.destinations.onFailure !== null) {
      spec.eventInvoke = {
        maximumRetryAttempts: fd.maximumRetryAttempts,
        maximumEventAgeInSeconds: fd.maximumEventAge,
        onSuccess: fd.destinations.onSuccess,
        onFailure: fd.destinations.onFailure,
      };
    }
    if (fd.onError !== null) spec.deadLetterTarget = fd.onError;
    functions.push(spec);

    warnTimeouts(ctx, fd.keys, fd.timeout !== null, spec.timeout, fd.events);
    for (const ev of fd.streams) eventSourceMappings.push(compileStream(ctx, template, ev, name));
  }

  // Destinations may name a function of this service by its key (the framework's shorthand).
  const arnOf = (key: string): string | undefined => {
    const f = functions.find((x) => x.key === key);
    return f && `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${f.name}`;
  };
  def.functions.forEach((fd, i) => {
    const ev = functions[i]!.eventInvoke;
    if (!ev) return;
    for (const which of ['onSuccess', 'onFailure'] as const) {
      const target = ev[which];
      if (target === null || target.startsWith('arn:')) continue;
      const arn = arnOf(target);
      if (!arn) ctx.invalid([...fd.keys, 'destinations', which], `names no function of this service and is not an ARN`, { value: target });
      ev[which] = arn;
    }
  });

  const events = def.functions.flatMap((fd, i) => fd.events.map((ev) => ({ ev, fn: functions[i] })));
  checkRoutes(ctx, events.map((e) => e.ev));

  const restCors = mergeHttpCors(events.filter((e) => e.ev.kind === 'http').map((e) => e.ev));
  const routes: HttpRoute[] = events.map(({ ev, fn }) => {
    const route: HttpRoute = {
      kind: ev.kind,
      method: ev.method,
      path: ev.path,
      functionName: fn.name,
      cors: ev.kind === 'http' && ev.cors ? (restCors.get(ev.path) ?? null) : null,
    };
    if (ev.isDefaultRoute) route.isDefaultRoute = true;
    return route;
  });

  return {
    service: def.service,
    stage,
    region,
    appDir: opts.appDir,
    definitionFile: opts.definitionFile,
    functions,
    routes,
    httpApi: {
      cors: httpApiCors(
        provider.httpApiCors,
        events.filter((e) => e.ev.kind === 'httpApi').map((e) => e.ev.method),
      ),
    },
    warnings: ctx.warnings,
    stackName,
    resources: template.resources,
    outputs: template.outputs,
    eventSourceMappings,
  };
}

function omit<T>(obj: Record<string, T>, keys: Record<string, unknown>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !(k in keys)));
}

/**
 * Environment templates -> plain values where they resolve at compile time (pseudo
 * parameters, literals, function ids), templates where they need resources.
 */
function resolveEnvironment(
  ctx: DefinitionContext,
  template: CompiledTemplate,
  keys: KeyPath,
  plain: Record<string, string>,
  raw: Record<string, unknown>,
): { environment: Record<string, string>; templates: Record<string, JsonValue> } {
  const environment = { ...plain };
  const templates: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    const k = [...keys, name];
    const r = template.resolve(value as JsonValue, k, 'keep');
    if (r.unmodelled.length > 0) {
      ctx.warn(`${keyPathString(k)} references ${r.unmodelled.join(', ')}, which Nimbus does not model yet; the variable is not set`);
      continue;
    }
    if (r.value === null) continue; // AWS::NoValue: not set
    if (!isResolved(r.value)) templates[name] = r.value;
    else if (typeof r.value === 'string' || typeof r.value === 'number' || typeof r.value === 'boolean') environment[name] = String(r.value);
    else ctx.invalid(k, 'must resolve to a string, number or boolean', { value: r.value });
  }
  return { environment, templates };
}

function compileStatement(template: CompiledTemplate, st: IamStatementDefinition): IamStatement {
  const list = (values: unknown[], name: string): JsonValue[] =>
    values.map((v, i) => template.resolve(v as JsonValue, [...st.keys, name, i], 'keep').value);
  const out: IamStatement = { Effect: st.Effect, Action: [...st.Action], Resource: list(st.Resource, 'Resource') };
  if (st.NotAction) out.NotAction = [...st.NotAction];
  if (st.NotResource) out.NotResource = list(st.NotResource, 'NotResource');
  if (st.Condition) out.Condition = template.resolve(st.Condition as JsonValue, [...st.keys, 'Condition'], 'keep').value;
  if (st.Sid !== undefined) out.Sid = st.Sid;
  return out;
}

function compileStream(ctx: DefinitionContext, template: CompiledTemplate, ev: StreamEventDefinition, functionName: string): EventSourceMappingSpec {
  const arnKeys = ev.arnKeys;
  const sourceArn = template.resolve(ev.arn as JsonValue, arnKeys).value;
  if (isResolved(sourceArn)) {
    const service = typeof sourceArn === 'string' ? sourceArn.split(':')[2] : undefined;
    if (typeof sourceArn !== 'string' || !sourceArn.startsWith('arn:') || service !== ev.kind) {
      ctx.invalid(arnKeys, `must resolve to a ${ev.kind === 'dynamodb' ? 'DynamoDB' : 'Kinesis'} stream ARN`, { value: sourceArn });
    }
  }
  const onFailure = ev.onFailure === null ? null : template.resolve(ev.onFailure as JsonValue, [...ev.keys, 'destinations', 'onFailure']).value;
  return {
    functionName,
    sourceArn,
    kind: ev.kind,
    batchSize: ev.batchSize,
    maximumBatchingWindowInSeconds: ev.maximumBatchingWindowInSeconds,
    startingPosition: ev.startingPosition,
    startingPositionTimestamp: ev.startingPositionTimestamp,
    enabled: ev.enabled,
    maximumRetryAttempts: ev.maximumRetryAttempts,
    bisectBatchOnFunctionError: ev.bisectBatchOnFunctionError,
    maximumRecordAgeInSeconds: ev.maximumRecordAgeInSeconds,
    parallelizationFactor: ev.parallelizationFactor,
    functionResponseTypes: [...ev.functionResponseTypes],
    filterPatterns: ev.filterPatterns.map((p) => structuredClone(p) as JsonValue),
    onFailure,
    tumblingWindowInSeconds: ev.tumblingWindowInSeconds,
  };
}

/** The framework's warnings for function timeouts an API Gateway integration cannot wait for. */
function warnTimeouts(ctx: DefinitionContext, fnKeys: readonly (string | number)[], own: boolean, timeout: number, events: HttpEventDefinition[]): void {
  const where = own ? keyPathString([...fnKeys, 'timeout']) : `${keyPathString(fnKeys)} (timeout ${timeout} s from the provider or the default)`;
  if (events.some((e) => e.kind === 'httpApi') && timeout >= HTTP_API_TIMEOUT) {
    ctx.warn(`${where}: ${timeout} s ${timeout > HTTP_API_TIMEOUT ? 'exceeds' : 'leaves no room within'} the HTTP API's ${HTTP_API_TIMEOUT} s integration timeout; requests may time out before the function finishes`);
  }
  if (events.some((e) => e.kind === 'http') && timeout > REST_API_TIMEOUT) {
    ctx.warn(`${where}: ${timeout} s exceeds the REST API's ${REST_API_TIMEOUT} s integration timeout; requests may time out before the function finishes`);
  }
}

/** A path with parameter names erased: routes that differ only in names match the same requests. */
function shape(path: string): string {
  return path.replace(/\{[^}/]+\+\}/g, '{+}').replace(/\{[^}/]+\}/g, '{}');
}

/**
 * Rejects two routes of one API that match the same requests (same method and path
 * shape; a specific method and ANY may coexist), and, for REST APIs, two different
 * variable path parts at one level (API Gateway allows one variable child per resource).
 */
function checkRoutes(ctx: DefinitionContext, events: HttpEventDefinition[]): void {
  const seen = new Map<string, HttpEventDefinition>();
  const restVariables = new Map<string, { segment: string; ev: HttpEventDefinition }>();
  for (const ev of events) {
    const routeKey = ev.isDefaultRoute ? '$default' : `${ev.method} ${ev.path}`;
    const id = `${ev.kind} ${ev.isDefaultRoute ? '$default' : `${ev.method} ${shape(ev.path)}`}`;
    const prev = seen.get(id);
    if (prev) {
      const prevKey = prev.isDefaultRoute ? '$default' : `${prev.method} ${prev.path}`;
      const what = prevKey === routeKey ? `the route ${routeKey}` : `the route ${routeKey}, which matches the same requests as ${prevKey}`;
      ctx.invalid(ev.keys, `defines ${what} already defined by ${keyPathString(prev.keys)}`);
    }
    seen.set(id, ev);

    if (ev.kind !== 'http' || ev.path === '/') continue;
    const segments = ev.path.slice(1).split('/');
    segments.forEach((segment, i) => {
      if (!segment.startsWith('{')) return;
      const parent = `/${segments.slice(0, i).join('/')}`;
      const other = restVariables.get(parent);
      if (!other) restVariables.set(parent, { segment, ev });
      else if (other.segment !== segment) {
        ctx.invalid(ev.keys, `path ${ev.path} has ${segment} under ${parent} where ${keyPathString(other.ev.keys)} has ${other.segment} (API Gateway REST APIs allow one variable path part per level)`);
      }
    });
  }
}
