/**
 * serverless.yml `resources` (a CloudFormation template fragment) -> ResourceSpec[] and
 * OutputSpec[], plus the compile-time intrinsic context the rest of the definition
 * (environment, IAM statements, stream ARNs) resolves against.
 *
 * What resolves at compile time: pseudo parameters, `Parameters` defaults,
 * `Conditions`, `Mappings`, literals, and the logical ids the Serverless Framework
 * generates for what Nimbus deploys itself (functions: `<Name>LambdaFunction`, the
 * role `IamRoleLambdaExecution`). What stays: Ref / Fn::GetAtt / Fn::Sub over the
 * template's own resources, resolved at deploy by the reconciler.
 */
import { PlatformError } from '../../errors';
import { type DefinitionContext, isPlainObject, type KeyPath, keyPathString } from '../serverless/context';
import type { DeletionPolicy, JsonValue, OutputSpec, ResourceSpec } from '../stack';
import { evaluateCondition, findReferences, type IntrinsicContext, resolveIntrinsics } from './intrinsics';

export interface TemplateCompileOptions {
  region: string;
  accountId: string;
  /** `<service>-<stage>` as the framework names the stack (or provider.stackName). */
  stackName: string;
  service: string;
  stage: string;
  /** The app's functions: key (under `functions:`) and deployed name. */
  functions: ReadonlyArray<{ key: string; name: string }>;
}

/** How compile-time resolution treats a framework-generated logical id Nimbus does not model. */
export type GeneratedIdPolicy = 'fail' | 'keep';

export interface CompiledTemplate {
  resources: ResourceSpec[];
  outputs: OutputSpec[];
  /**
   * Resolves `value` at compile time (resources of the template are kept for the
   * deploy). `unmodelled` lists the framework-generated logical ids it references
   * that Nimbus has no equivalent for (kept in the value with policy 'keep').
   */
  resolve(value: JsonValue, keys: KeyPath, generated?: GeneratedIdPolicy): { value: JsonValue; unmodelled: string[] };
  /** The compile-time context itself (pseudo parameters, parameters, conditions, mappings). */
  intrinsics: IntrinsicContext;
}

const SECTIONS_IGNORED = ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Rules'];
const RESOURCE_KEYS_IGNORED = ['Metadata', 'CreationPolicy', 'UpdatePolicy', 'Description'];
const POLICIES: readonly string[] = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
const REPLACE_POLICIES: readonly string[] = ['Delete', 'Retain', 'Snapshot'];
/** CloudFormation: "Template format error: Resource name X is non alphanumeric." */
const LOGICAL_ID_RE = /^[A-Za-z0-9]+$/;

/**
 * The framework's logical id of a function (lib/plugins/aws/lib/naming.js
 * getNormalizedFunctionName + getLambdaLogicalId): `-` -> `Dash`, `_` -> `Underscore`,
 * first letter upper-cased, then `LambdaFunction`.
 */
export function functionLogicalId(key: string): string {
  const n = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${n.charAt(0).toUpperCase()}${n.slice(1)}LambdaFunction`;
}

/** The framework's default role (naming.js getRoleLogicalId / getRoleName). */
export const ROLE_LOGICAL_ID = 'IamRoleLambdaExecution';

/**
 * Logical ids the framework generates for things Nimbus runs differently (API Gateway,
 * log groups, the deployment bucket, permissions, versions, event source mappings ...).
 * Templates reference them (often in Outputs); Nimbus has no value for them yet.
 */
function isGeneratedId(id: string): boolean {
  return (
    /^(ApiGateway|HttpApi|WebsocketsApi|ServerlessDeploymentBucket|ServiceEndpoint)/.test(id) ||
    /(LogGroup|LambdaPermission.*|LambdaVersion\w*|EventSourceMapping\w*|LambdaFunctionUrl|LambdaEvConf|Alias)$/.test(id)
  );
}

/** lodash.merge-like deep merge (the framework merges a list of `resources` objects this way). */
function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    target[k] = isPlainObject(t) && isPlainObject(v) ? deepMerge({ ...t }, v) : v;
  }
  return target;
}

function asJson(v: unknown): JsonValue {
  return v as JsonValue;
}

export function compileTemplate(ctx: DefinitionContext, raw: unknown, opts: TemplateCompileOptions): CompiledTemplate {
  let template: Record<string, unknown> = {};
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (item === null || item === undefined) return;
      if (!isPlainObject(item)) ctx.invalid(['resources', i], 'must be a mapping (Resources, Outputs, ...)', { value: item });
      template = deepMerge(template, item);
    });
  } else if (raw !== undefined && raw !== null) {
    if (!isPlainObject(raw)) ctx.invalid(['resources'], 'must be a mapping (Resources, Outputs, ...)', { value: raw });
    template = raw;
  }

  for (const section of Object.keys(template)) {
    if (['Resources', 'Outputs', 'Conditions', 'Parameters', 'Mappings', ...SECTIONS_IGNORED].includes(section)) continue;
    if (section === 'Transform') ctx.warn('resources.Transform is not supported yet and is ignored (no macros or transforms run)');
    else if (section === 'extensions') ctx.warn('resources.extensions is not supported yet and is ignored (Nimbus does not generate the resources it would extend)');
    else ctx.warn(`resources.${section} is not a CloudFormation template section and is ignored`);
  }

  const section = (name: string): Record<string, unknown> => {
    const v = template[name];
    if (v === undefined || v === null) return {};
    if (!isPlainObject(v)) ctx.invalid(['resources', name], 'must be a mapping', { value: v });
    return v;
  };
  const rawResources = section('Resources');
  const rawParameters = section('Parameters');
  const rawConditions = section('Conditions');
  const mappings = section('Mappings') as Record<string, JsonValue>;
  const rawOutputs = section('Outputs');

  const functionIds = new Map(opts.functions.map((f) => [functionLogicalId(f.key), f.name]));
  const functionArn = (name: string): string => `arn:aws:lambda:${opts.region}:${opts.accountId}:function:${name}`;
  const roleName = `${opts.service}-${opts.stage}-${opts.region}-lambdaRole`;

  const parameters = new Map<string, JsonValue>();
  for (const [name, p] of Object.entries(rawParameters)) {
    const keys = ['resources', 'Parameters', name];
    if (!isPlainObject(p)) ctx.invalid(keys, 'must be a mapping with Type and Default', { value: p });
    if (p.Default === undefined) ctx.invalid(keys, 'has no Default (Nimbus deploys without stack parameters)');
    const type = typeof p.Type === 'string' ? p.Type : 'String';
    // List parameters are comma-delimited strings that Ref gives as a list.
    const isList = type === 'CommaDelimitedList' || type.startsWith('List<');
    parameters.set(name, isList && typeof p.Default === 'string' ? p.Default.split(',').map((s) => s.trim()) : asJson(p.Default));
  }

  // Resources first pass: which ids exist and which conditions drop them.
  const declared = new Map<string, Record<string, unknown>>();
  for (const [id, r] of Object.entries(rawResources)) {
    const keys = ['resources', 'Resources', id];
    if (!LOGICAL_ID_RE.test(id)) ctx.invalid(keys, 'is not a valid logical id (letters and digits only, as CloudFormation requires)');
    if (!isPlainObject(r)) ctx.invalid(keys, 'must be a mapping with Type and Properties', { value: r });
    if (functionIds.has(id)) {
      ctx.warn(`${keyPathString(keys)} overrides the function resource the framework generates; Nimbus does not apply resource overrides and ignores it`);
      continue;
    }
    declared.set(id, r);
  }

  const conditionState = new Map<string, boolean | 'evaluating'>();
  const dropped = new Map<string, string>();
  const base = {
    region: opts.region,
    accountId: opts.accountId,
    partition: 'aws' as const,
    stackName: opts.stackName,
    urlSuffix: 'amazonaws.com' as const,
    file: ctx.file,
    mappings,
  };
  const condition = (name: string): boolean | undefined => {
    const state = conditionState.get(name);
    if (state === 'evaluating') ctx.invalid(['resources', 'Conditions', name], 'depends on itself (a condition cycle)');
    if (state !== undefined) return state;
    if (!(name in rawConditions)) return undefined;
    conditionState.set(name, 'evaluating');
    const b = evaluateCondition(asJson(rawConditions[name]), intrinsics('fail'), keyPathString(['resources', 'Conditions', name]));
    conditionState.set(name, b);
    return b;
  };
  const ref = (id: string): JsonValue | undefined => {
    if (declared.has(id)) return undefined;
    if (parameters.has(id)) return parameters.get(id)!;
    const fn = functionIds.get(id);
    if (fn !== undefined) return fn;
    if (id === ROLE_LOGICAL_ID) return roleName;
    return undefined;
  };
  const getAtt = (id: string, attribute: string): JsonValue | undefined => {
    if (declared.has(id)) return undefined;
    const fn = functionIds.get(id);
    if (fn !== undefined && attribute === 'Arn') return functionArn(fn);
    if (id === ROLE_LOGICAL_ID && attribute === 'Arn') return `arn:aws:iam::${opts.accountId}:role/${roleName}`;
    return undefined;
  };
  const unmodelled = new Set<string>();
  function intrinsics(generated: GeneratedIdPolicy): IntrinsicContext {
    return {
      ...base,
      ref,
      getAtt,
      condition,
      unresolved(id, attribute) {
        if (dropped.has(id)) return dropped.get(id)!;
        if (declared.has(id)) return 'keep';
        if (functionIds.has(id) || id === ROLE_LOGICAL_ID) return `references ${id}.${attribute}, an attribute Nimbus does not provide (it provides Arn)`;
        if (parameters.has(id)) return `references ${id}, a parameter, with Fn::GetAtt (use Ref)`;
        if (isGeneratedId(id)) {
          if (generated === 'keep') {
            unmodelled.add(id);
            return 'keep';
          }
          return `references ${id}, a resource the Serverless Framework generates that Nimbus does not model yet`;
        }
        return undefined;
      },
    };
  }

  const resolve = (value: JsonValue, keys: KeyPath, generated: GeneratedIdPolicy = 'fail'): { value: JsonValue; unmodelled: string[] } => {
    unmodelled.clear();
    const v = resolveIntrinsics(value, intrinsics(generated), keyPathString(keys));
    return { value: v, unmodelled: [...unmodelled] };
  };

  for (const [id, r] of declared) {
    if (r.Condition === undefined) continue;
    const keys = ['resources', 'Resources', id, 'Condition'];
    if (typeof r.Condition !== 'string') ctx.invalid(keys, 'must be the name of a condition', { value: r.Condition });
    const b = condition(r.Condition);
    if (b === undefined) ctx.invalid(keys, `names ${r.Condition}, which resources.Conditions does not define`);
    if (!b) dropped.set(id, `references ${id}, which is not created because its condition ${r.Condition} is false`);
  }

  const resources: ResourceSpec[] = [];
  for (const [id, r] of declared) {
    if (dropped.has(id)) continue;
    const keys = ['resources', 'Resources', id];
    for (const k of Object.keys(r)) {
      if (['Type', 'Properties', 'DependsOn', 'DeletionPolicy', 'UpdateReplacePolicy', 'Condition', ...RESOURCE_KEYS_IGNORED].includes(k)) continue;
      ctx.warn(`${keyPathString([...keys, k])} is not a CloudFormation resource attribute and is ignored`);
    }
    // CloudFormation: "Template format error: Every Resources object must contain a Type member."
    if (typeof r.Type !== 'string' || r.Type.trim() === '') ctx.invalid([...keys, 'Type'], 'is required (a resource type such as AWS::DynamoDB::Table)', r.Type === undefined ? undefined : { value: r.Type });
    const type = r.Type;
    if (!/^(AWS|Custom|Alexa)::[A-Za-z0-9]+(::[A-Za-z0-9]+)?$/.test(type)) ctx.invalid([...keys, 'Type'], 'must be a resource type such as AWS::DynamoDB::Table', { value: type });
    let properties: JsonValue = {};
    if (r.Properties !== undefined && r.Properties !== null) {
      if (!isPlainObject(r.Properties)) ctx.invalid([...keys, 'Properties'], 'must be a mapping', { value: r.Properties });
      properties = resolve(asJson(r.Properties), [...keys, 'Properties']).value;
    }
    const explicit = readDependsOn(ctx, [...keys, 'DependsOn'], r.DependsOn);
    for (const dep of explicit) {
      if (declared.has(dep) && !dropped.has(dep)) continue;
      if (functionIds.has(dep) || dep === ROLE_LOGICAL_ID || isGeneratedId(dep)) continue; // deployed by Nimbus itself
      const why = dropped.has(dep)
        ? `names ${dep}, which is not created because its condition is false`
        : `names ${dep}, which is not a resource of this template (CloudFormation: "Unresolved resource dependencies [${dep}] in the Resources block of the template")`;
      ctx.invalid([...keys, 'DependsOn'], why);
    }
    const implicit = findReferences(properties).filter((x) => declared.has(x));
    const dependsOn = [...new Set([...explicit.filter((d) => declared.has(d)), ...implicit])];
    const deletionPolicy = readPolicy(ctx, [...keys, 'DeletionPolicy'], r.DeletionPolicy, POLICIES, type);
    const updateReplacePolicy = readPolicy(ctx, [...keys, 'UpdateReplacePolicy'], r.UpdateReplacePolicy, REPLACE_POLICIES, type);
    resources.push({ logicalId: id, type, properties, dependsOn, deletionPolicy, updateReplacePolicy });
  }
  deploymentOrder(resources, ctx.file);

  const outputs: OutputSpec[] = [];
  for (const [name, o] of Object.entries(rawOutputs)) {
    const keys = ['resources', 'Outputs', name];
    if (!LOGICAL_ID_RE.test(name)) ctx.invalid(keys, 'is not a valid output name (letters and digits only)');
    if (!isPlainObject(o)) ctx.invalid(keys, 'must be a mapping with Value', { value: o });
    if (o.Value === undefined || o.Value === null) ctx.invalid([...keys, 'Value'], 'is required');
    if (o.Condition !== undefined) {
      if (typeof o.Condition !== 'string') ctx.invalid([...keys, 'Condition'], 'must be the name of a condition', { value: o.Condition });
      const b = condition(o.Condition);
      if (b === undefined) ctx.invalid([...keys, 'Condition'], `names ${o.Condition}, which resources.Conditions does not define`);
      if (!b) continue;
    }
    const value = resolve(asJson(o.Value), [...keys, 'Value'], 'keep');
    if (value.unmodelled.length) {
      ctx.warn(`${keyPathString(keys)} references ${value.unmodelled.join(', ')}, which Nimbus does not model yet; the output is left out`);
      continue;
    }
    const out: OutputSpec = { name, value: value.value };
    if (o.Description !== undefined) {
      if (typeof o.Description !== 'string') ctx.invalid([...keys, 'Description'], 'must be a string', { value: o.Description });
      out.description = o.Description;
    }
    if (o.Export !== undefined) {
      if (!isPlainObject(o.Export) || o.Export.Name === undefined) ctx.invalid([...keys, 'Export'], 'must be a mapping with Name', { value: o.Export });
      out.exportName = resolve(asJson(o.Export.Name), [...keys, 'Export', 'Name']).value;
    }
    outputs.push(out);
  }

  return { resources, outputs, resolve, intrinsics: intrinsics('fail') };
}

function readDependsOn(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')) {
    ctx.invalid(keys, 'must be a logical id or a list of logical ids', { value: raw });
  }
  return [...new Set(list as string[])];
}

function readPolicy(ctx: DefinitionContext, keys: KeyPath, raw: unknown, allowed: readonly string[], type: string): DeletionPolicy {
  if (raw === undefined || raw === null) return 'Delete';
  if (typeof raw !== 'string' || !allowed.includes(raw)) ctx.invalid(keys, `must be one of ${allowed.join(', ')}`, { value: raw });
  if (raw === 'Snapshot') {
    ctx.warn(`${keyPathString(keys)} Snapshot: Nimbus takes no snapshots, so the ${type} is deleted as with Delete`);
  }
  return raw as DeletionPolicy;
}

/**
 * The order to create resources in: each after what it depends on (DependsOn and
 * references), ties broken by declaration order, so the result is deterministic.
 * Delete in the reverse order. A cycle is ERR_APP_INVALID naming its resources
 * (CloudFormation: "Circular dependency between resources: [A, B]").
 */
export function deploymentOrder(resources: readonly ResourceSpec[], file?: string): string[] {
  const ids = new Set(resources.map((r) => r.logicalId));
  const deps = new Map(resources.map((r) => [r.logicalId, r.dependsOn.filter((d) => ids.has(d))]));
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < resources.length) {
    const next = resources.find((r) => !done.has(r.logicalId) && deps.get(r.logicalId)!.every((d) => done.has(d)));
    if (!next) {
      const cycle = findCycle(resources.filter((r) => !done.has(r.logicalId)).map((r) => r.logicalId), deps);
      const where = file ? `${file}: resources.Resources` : 'resources.Resources';
      throw new PlatformError(
        'ERR_APP_INVALID',
        `${where} has a circular dependency: ${cycle.join(' -> ')} (CloudFormation: "Circular dependency between resources: [${[...new Set(cycle)].sort().join(', ')}]")`,
        { file, key: 'resources.Resources' },
      );
    }
    done.add(next.logicalId);
    order.push(next.logicalId);
  }
  return order;
}

/** One cycle among `pending` (each has an unmet dependency inside `pending`): `A -> B -> A`. */
function findCycle(pending: string[], deps: Map<string, string[]>): string[] {
  const inPending = new Set(pending);
  const path: string[] = [];
  let at = pending[0]!;
  while (!path.includes(at)) {
    path.push(at);
    at = deps.get(at)!.find((d) => inPending.has(d))!;
  }
  return [...path.slice(path.indexOf(at)), at];
}
