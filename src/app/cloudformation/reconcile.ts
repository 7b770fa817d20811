/**
 * Deploy = reconcile, as CloudFormation updates a stack
 * (AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks.html):
 * 1. create new resources and update changed ones, in dependency order, resolving
 *    intrinsics against what is already deployed; unchanged resources (same resolved
 *    properties) are left alone, with their data;
 * 2. then clean up: delete the old physical resources of replaced ones (unless
 *    UpdateReplacePolicy Retain) and the resources no longer in the template, in
 *    reverse order (unless DeletionPolicy Retain / RetainExceptOnCreate).
 * A failure in step 1 rolls back what this run did (created resources deleted,
 * updated ones updated back, replacements deleted) and throws, naming the resource.
 *
 * Services plug in a ResourceProvider per resource type; types without one are
 * warned about and skipped.
 */
import { PlatformError, type PlatformErrorCode } from '../../errors';
import type { EventSourceMappingSpec, FunctionSpec, JsonValue, ResourceSpec, Stack } from '../stack';
import { findAttributeReferences, type IntrinsicContext, resolveIntrinsics } from './intrinsics';
import { deploymentOrder } from './resources';

export interface DeployedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  /** Resolved properties. */
  properties: JsonValue;
  attributes: Record<string, JsonValue>;
  deletionPolicy: string;
}

export interface ResourceProvider {
  readonly type: string;
  create(r: { logicalId: string; stackName: string; properties: JsonValue }): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }>;
  /** A different physicalId means "replaced": the reconciler deletes the old one afterwards unless UpdateReplacePolicy Retain. */
  update(r: { logicalId: string; stackName: string; physicalId: string; previous: JsonValue; properties: JsonValue }): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }>;
  delete(r: { physicalId: string; properties: JsonValue }): Promise<void>;
  /** What Ref returns. */
  ref(physicalId: string, attributes: Record<string, JsonValue>): JsonValue;
  /**
   * Every Fn::GetAtt attribute the type can have (some only in some configurations,
   * e.g. a table's StreamArn). Others are template errors, reported before anything
   * changes as CloudFormation validates templates before it deploys.
   */
  readonly attributeNames?: readonly string[];
}

export interface ReconcileOptions {
  stack: Stack;
  /** What the previous deploy returned (its `resources`), or [] for a new app. */
  previous: DeployedResource[];
  providers: ReadonlyMap<string, ResourceProvider>;
  pseudo: { region: string; accountId: string; stackName: string };
  warn(msg: string): void;
}

export interface ReconcileResult {
  /**
   * What is deployed now, in deployment order (store it; pass it as `previous` next
   * time). Resources whose deletion failed are kept at the end, so the next deploy
   * tries again.
   */
  resources: DeployedResource[];
  /** Resolves a template (environmentTemplates, ESM sourceArn, outputs) against the deployed resources. */
  resolve(value: JsonValue, where: string): JsonValue;
}

/** The code of deploy failures. */
export const DEPLOY_ERROR_CODE: PlatformErrorCode = 'ERR_APP_DEPLOY';

type Action =
  | { kind: 'created'; resource: DeployedResource; provider: ResourceProvider }
  | { kind: 'updated'; before: DeployedResource; after: DeployedResource; provider: ResourceProvider };

/** Key-order-insensitive equality of JSON values. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]!));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k]!, b[k]!));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function reconcileResources(opts: ReconcileOptions): Promise<ReconcileResult> {
  const { stack, providers, pseudo, warn } = opts;
  const file = stack.definitionFile || undefined;
  const specs = stack.resources ?? [];
  const byId = new Map(specs.map((s) => [s.logicalId, s]));
  const previous = new Map(opts.previous.map((p) => [p.logicalId, p]));
  const fail = (spec: ResourceSpec | { logicalId: string; type: string }, what: string, cause?: unknown): never => {
    const key = `resources.Resources.${spec.logicalId}`;
    throw new PlatformError(DEPLOY_ERROR_CODE, `${file ? `${file}: ` : ''}${key} (${spec.type}) ${what}`, { file, key, cause });
  };

  // Checked before anything changes.
  for (const spec of specs) {
    const prev = previous.get(spec.logicalId);
    if (prev && prev.type !== spec.type) {
      fail(spec, `was deployed as ${prev.type}; a resource's type cannot change (CloudFormation does not update resource types): rename the logical id to replace it`);
    }
  }
  checkAttributes(stack, byId, providers);
  const order = deploymentOrder(specs, file);

  const state = new Map<string, DeployedResource>();
  const unavailable = new Map<string, string>();
  const ctx: IntrinsicContext = {
    region: pseudo.region,
    accountId: pseudo.accountId,
    partition: 'aws',
    stackName: pseudo.stackName,
    urlSuffix: 'amazonaws.com',
    file,
    ref(id) {
      const d = state.get(id);
      const provider = d && providers.get(d.type);
      return d && provider ? provider.ref(d.physicalId, d.attributes) : undefined;
    },
    getAtt(id, attribute) {
      return state.get(id)?.attributes[attribute];
    },
    unresolved(id, attribute) {
      const reason = unavailable.get(id);
      if (reason !== undefined) return reason;
      const d = state.get(id);
      if (d && attribute !== null) {
        const has = Object.keys(d.attributes);
        return `references ${id}.${attribute}, but ${d.type} resources have ${has.length ? `the attributes ${has.join(', ')}` : 'no attributes'} in Nimbus`;
      }
      if (byId.has(id)) return `references ${id}, which is not deployed yet`;
      return undefined;
    },
  };

  // Types without a provider: one warning per type, naming its resources.
  const missingTypes = new Map<string, string[]>();
  for (const id of order) {
    const spec = byId.get(id)!;
    if (providers.has(spec.type)) continue;
    missingTypes.set(spec.type, [...(missingTypes.get(spec.type) ?? []), id]);
    unavailable.set(id, `references ${id} (${spec.type}), which Nimbus does not deploy yet (no provider for that type)`);
  }
  for (const [type, ids] of missingTypes) {
    warn(`resources: ${type} is not supported yet; ${ids.map((i) => `resources.Resources.${i}`).join(', ')} ${ids.length > 1 ? 'are' : 'is'} not deployed`);
  }

  const actions: Action[] = [];
  const replacedOld: { resource: DeployedResource; spec: ResourceSpec; provider: ResourceProvider }[] = [];
  const kept: DeployedResource[] = [];

  for (const id of order) {
    const spec = byId.get(id)!;
    const prev = previous.get(id);
    const provider = providers.get(spec.type);
    if (!provider) {
      // Deployed before by a provider that is gone: keep the record, do not touch it.
      if (prev) kept.push(prev);
      continue;
    }
    let phase = 'properties';
    try {
      const properties = resolveIntrinsics(spec.properties, ctx, `resources.Resources.${id}.Properties`);
      if (!prev) {
        phase = 'create';
        const r = await provider.create({ logicalId: id, stackName: pseudo.stackName, properties });
        const resource: DeployedResource = { logicalId: id, type: spec.type, physicalId: r.physicalId, properties, attributes: r.attributes, deletionPolicy: spec.deletionPolicy };
        actions.push({ kind: 'created', resource, provider });
        state.set(id, resource);
      } else if (jsonEqual(prev.properties, properties)) {
        state.set(id, { ...prev, deletionPolicy: spec.deletionPolicy });
      } else {
        phase = 'update';
        const r = await provider.update({ logicalId: id, stackName: pseudo.stackName, physicalId: prev.physicalId, previous: prev.properties, properties });
        const after: DeployedResource = { logicalId: id, type: spec.type, physicalId: r.physicalId, properties, attributes: r.attributes, deletionPolicy: spec.deletionPolicy };
        actions.push({ kind: 'updated', before: prev, after, provider });
        if (r.physicalId !== prev.physicalId) replacedOld.push({ resource: prev, spec, provider });
        state.set(id, after);
      }
    } catch (e) {
      const rolledBack = await rollback(actions, pseudo.stackName);
      // Resolution errors already name the file and key path; keep the why.
      const cause = e instanceof PlatformError && file && e.message.startsWith(`${file}: `) ? e.message.slice(file.length + 2) : message(e);
      fail(spec, `${phase === 'properties' ? 'could not be deployed' : `${phase} failed`}: ${cause}${rolledBack}`, e);
    }
  }

  // Cleanup: replaced physical resources, then removed resources in reverse order.
  const leftovers: DeployedResource[] = [];
  for (const { resource, spec, provider } of replacedOld) {
    if (spec.updateReplacePolicy === 'Retain') continue;
    try {
      await provider.delete({ physicalId: resource.physicalId, properties: resource.properties });
    } catch (e) {
      warn(`resources.Resources.${resource.logicalId}: the replaced ${resource.type} ${resource.physicalId} could not be deleted: ${message(e)}`);
    }
  }
  const removed = opts.previous.filter((p) => !byId.has(p.logicalId)).reverse();
  for (const r of removed) {
    if (r.deletionPolicy === 'Retain' || r.deletionPolicy === 'RetainExceptOnCreate') continue;
    const provider = providers.get(r.type);
    if (!provider) {
      warn(`resources.Resources.${r.logicalId} (${r.type}) was removed but cannot be deleted: Nimbus has no provider for that type; it is forgotten`);
      continue;
    }
    try {
      await provider.delete({ physicalId: r.physicalId, properties: r.properties });
    } catch (e) {
      warn(`resources.Resources.${r.logicalId} (${r.type}) was removed but could not be deleted (the next deploy tries again): ${message(e)}`);
      leftovers.unshift(r);
    }
  }

  const resources = [...order.filter((id) => state.has(id)).map((id) => state.get(id)!), ...kept, ...leftovers];
  return {
    resources,
    resolve: (value, where) => resolveIntrinsics(value, ctx, where),
  };
}

/**
 * Fn::GetAtt of an attribute the resource's type does not have fails before anything
 * is deployed, as CloudFormation's template validation does ("Template error: resource
 * X does not support attribute type Y in Fn::GetAtt"), wherever the template uses it.
 */
function checkAttributes(stack: Stack, byId: ReadonlyMap<string, ResourceSpec>, providers: ReadonlyMap<string, ResourceProvider>): void {
  const file = stack.definitionFile || undefined;
  const templates: Array<[where: string, value: JsonValue]> = [];
  for (const r of stack.resources ?? []) templates.push([`resources.Resources.${r.logicalId}.Properties`, r.properties]);
  for (const o of stack.outputs ?? []) templates.push([`resources.Outputs.${o.name}.Value`, o.value]);
  for (const fn of stack.functions) {
    for (const [name, t] of Object.entries(fn.environmentTemplates ?? {})) templates.push([`functions.${fn.key}.environment.${name}`, t]);
  }
  for (const m of stack.eventSourceMappings ?? []) {
    const key = stack.functions.find((f) => f.name === m.functionName)?.key ?? m.functionName;
    templates.push([`functions.${key}.events (stream)`, m.sourceArn]);
    if (m.onFailure !== null) templates.push([`functions.${key}.events (stream).destinations.onFailure`, m.onFailure]);
  }
  for (const [where, value] of templates) {
    for (const [id, attribute] of findAttributeReferences(value)) {
      const spec = byId.get(id);
      const known = spec && providers.get(spec.type)?.attributeNames;
      if (!spec || !known || known.includes(attribute)) continue;
      throw new PlatformError(
        'ERR_APP_INVALID',
        `${file ? `${file}: ` : ''}${where} references ${id}.${attribute}: Template error: resource ${id} does not support attribute type ${attribute} in Fn::GetAtt (${spec.type} has ${known.join(', ')})`,
        { file, key: where },
      );
    }
  }
}

/**
 * Undoes this run's actions, newest first. Resources created in this run are
 * deleted whatever their DeletionPolicy (as RetainExceptOnCreate does): a retained
 * half-deployed resource would only collide with the next deploy. Returns a note for
 * the error message.
 */
async function rollback(actions: Action[], stackName: string): Promise<string> {
  if (actions.length === 0) return '';
  const done: string[] = [];
  const failed: string[] = [];
  for (const a of [...actions].reverse()) {
    const id = a.kind === 'created' ? a.resource.logicalId : a.after.logicalId;
    try {
      if (a.kind === 'created') {
        await a.provider.delete({ physicalId: a.resource.physicalId, properties: a.resource.properties });
        done.push(`${id} deleted`);
      } else if (a.after.physicalId !== a.before.physicalId) {
        // The replacement goes; the old physical resource was never deleted.
        await a.provider.delete({ physicalId: a.after.physicalId, properties: a.after.properties });
        done.push(`${id} replacement deleted`);
      } else {
        await a.provider.update({ logicalId: id, stackName, physicalId: a.after.physicalId, previous: a.after.properties, properties: a.before.properties });
        done.push(`${id} restored`);
      }
    } catch (e) {
      failed.push(`${id}: ${message(e)}`);
    }
  }
  return `; rolled back: ${done.length ? done.join(', ') : 'nothing'}${failed.length ? `; rollback failed for ${failed.join('; ')}` : ''}`;
}

/** What the Stack's deploy-time templates resolve to, once resources are deployed. */
export interface ResolvedStackTemplates {
  /** Per function (deployed name): `environment` with `environmentTemplates` resolved over it. */
  environments: Record<string, Record<string, string>>;
  /** `eventSourceMappings` with `sourceArn` and `onFailure` resolved to ARNs. */
  eventSourceMappings: Array<EventSourceMappingSpec & { sourceArn: string; onFailure: string | null }>;
  /** Output name -> value (strings as-is, other values as JSON). */
  outputs: Record<string, string>;
}

/**
 * Resolves every deploy-time template of `stack` with reconcileResources()' `resolve`.
 * Throws ERR_APP_INVALID naming the key when a value does not resolve to what it must
 * be (a string for environment variables and ARNs).
 */
export function resolveStackTemplates(stack: Stack, resolve: ReconcileResult['resolve']): ResolvedStackTemplates {
  const file = stack.definitionFile || undefined;
  const invalid = (key: string, why: string): never => {
    throw new PlatformError('ERR_APP_INVALID', `${file ? `${file}: ` : ''}${key} ${why}`, { file, key });
  };
  const asString = (v: JsonValue, key: string, what: string): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return invalid(key, `must resolve to ${what} (got ${JSON.stringify(v)})`);
  };

  const environments: Record<string, Record<string, string>> = {};
  for (const fn of stack.functions) environments[fn.name] = functionEnvironment(fn, resolve, asString);

  const keyOf = (fnName: string): string => stack.functions.find((f) => f.name === fnName)?.key ?? fnName;
  const eventSourceMappings = (stack.eventSourceMappings ?? []).map((m, i) => {
    const where = `functions.${keyOf(m.functionName)}.events (stream ${i})`;
    const sourceArn = asString(resolve(m.sourceArn, `${where}.arn`), `${where}.arn`, 'a stream ARN');
    const onFailure = m.onFailure === null ? null : asString(resolve(m.onFailure, `${where}.destinations.onFailure`), `${where}.destinations.onFailure`, 'a queue or topic ARN');
    return { ...m, sourceArn, onFailure };
  });

  const outputs: Record<string, string> = {};
  for (const o of stack.outputs ?? []) {
    const v = resolve(o.value, `resources.Outputs.${o.name}.Value`);
    outputs[o.name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { environments, eventSourceMappings, outputs };
}

function functionEnvironment(fn: FunctionSpec, resolve: ReconcileResult['resolve'], asString: (v: JsonValue, key: string, what: string) => string): Record<string, string> {
  const env = { ...fn.environment };
  for (const [name, template] of Object.entries(fn.environmentTemplates ?? {})) {
    const key = `functions.${fn.key}.environment.${name}`;
    const v = resolve(template, key);
    // AWS::NoValue at the top resolves to null: the variable is not set.
    if (v === null) continue;
    env[name] = asString(v, key, 'a string, number or boolean');
  }
  return env;
}
