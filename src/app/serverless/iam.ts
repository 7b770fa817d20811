/**
 * The function role's policy statements: `provider.iam.role.statements` (framework v3)
 * and the older `provider.iamRoleStatements`, normalized to lists. Kept in the Stack
 * for later; Nimbus does not enforce permissions yet. Statement rules follow the
 * framework's schema (awsIamPolicyStatements: Effect, Action or NotAction, Resource or
 * NotResource) and IAM's policy grammar.
 */
import { type DefinitionContext, isIntrinsic, isPlainObject, type KeyPath, keyPathString } from './context';
import { checkKeys } from './keys';
import { PROVIDER_IAM_KEYS, PROVIDER_IAM_ROLE_KEYS } from './schema';

/** A statement as written, normalized to lists; Resource entries may be intrinsics. */
export interface IamStatementDefinition {
  keys: KeyPath;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown[];
  NotAction?: string[];
  NotResource?: unknown[];
  Condition?: Record<string, unknown>;
  Sid?: string;
}

/** Reads both keys of `provider` (statements of `iam.role` first). */
export function readIamStatements(ctx: DefinitionContext, provider: Record<string, unknown>): IamStatementDefinition[] {
  const out: IamStatementDefinition[] = [];
  const iam = provider.iam;
  if (iam !== undefined && iam !== null) {
    const keys = ['provider', 'iam'];
    if (!isPlainObject(iam)) ctx.invalid(keys, 'must be a mapping with role', { value: iam });
    checkKeys(ctx, keys, iam, PROVIDER_IAM_KEYS);
    const role = iam.role;
    if (typeof role === 'string' || isIntrinsic(role)) {
      ctx.warn(`${keyPathString([...keys, 'role'])} (an existing role) is not supported yet and is ignored (permissions are not enforced)`);
    } else if (role !== undefined && role !== null) {
      if (!isPlainObject(role)) ctx.invalid([...keys, 'role'], 'must be a role ARN or a mapping with statements', { value: role });
      checkKeys(ctx, [...keys, 'role'], role, PROVIDER_IAM_ROLE_KEYS);
      out.push(...readStatementList(ctx, [...keys, 'role', 'statements'], role.statements));
    }
  }
  out.push(...readStatementList(ctx, ['provider', 'iamRoleStatements'], provider.iamRoleStatements));
  return out;
}

function readStatementList(ctx: DefinitionContext, keys: KeyPath, raw: unknown): IamStatementDefinition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) ctx.invalid(keys, 'must be a list of IAM policy statements', { value: raw });
  return raw.map((s, i) => readStatement(ctx, [...keys, i], s));
}

const STATEMENT_KEYS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal'];

function readStatement(ctx: DefinitionContext, keys: KeyPath, raw: unknown): IamStatementDefinition {
  if (!isPlainObject(raw)) ctx.invalid(keys, 'must be a policy statement (Effect, Action, Resource)', { value: raw });
  for (const k of Object.keys(raw)) {
    if (!STATEMENT_KEYS.includes(k)) ctx.warn(`${keyPathString([...keys, k])} is not an IAM policy statement element and is ignored`);
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') ctx.invalid([...keys, 'Effect'], 'must be Allow or Deny', raw.Effect === undefined ? undefined : { value: raw.Effect });
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;
  if (has('Action') === has('NotAction')) ctx.invalid(keys, 'must have exactly one of Action and NotAction');
  if (has('Resource') === has('NotResource')) ctx.invalid(keys, 'must have exactly one of Resource and NotResource');
  const st: IamStatementDefinition = {
    keys,
    Effect: raw.Effect,
    Action: has('Action') ? readActions(ctx, [...keys, 'Action'], raw.Action) : [],
    Resource: has('Resource') ? readResources(ctx, [...keys, 'Resource'], raw.Resource) : [],
  };
  if (has('NotAction')) st.NotAction = readActions(ctx, [...keys, 'NotAction'], raw.NotAction);
  if (has('NotResource')) st.NotResource = readResources(ctx, [...keys, 'NotResource'], raw.NotResource);
  if (has('Condition')) {
    if (!isPlainObject(raw.Condition)) ctx.invalid([...keys, 'Condition'], 'must be a mapping of condition operators', { value: raw.Condition });
    st.Condition = raw.Condition;
  }
  if (has('Sid')) {
    if (typeof raw.Sid !== 'string') ctx.invalid([...keys, 'Sid'], 'must be a string', { value: raw.Sid });
    st.Sid = raw.Sid;
  }
  return st;
}

/** `service:Action` (wildcards allowed) or `*`. */
function readActions(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  list.forEach((a, i) => {
    const k = Array.isArray(raw) ? [...keys, i] : keys;
    if (typeof a !== 'string' || !(a === '*' || /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a))) {
      ctx.invalid(k, 'must be an action such as dynamodb:GetItem (wildcards allowed) or *', { value: a });
    }
  });
  return list as string[];
}

/** ARNs, `*`, or intrinsics that give them (e.g. `!GetAtt UsersTable.Arn`). */
function readResources(ctx: DefinitionContext, keys: KeyPath, raw: unknown): unknown[] {
  const list = Array.isArray(raw) ? raw : [raw];
  list.forEach((r, i) => {
    const k = Array.isArray(raw) ? [...keys, i] : keys;
    if (typeof r === 'string') {
      if (r !== '*' && !r.startsWith('arn:')) ctx.invalid(k, 'must be an ARN, * or a CloudFormation intrinsic', { value: r });
    } else if (!isIntrinsic(r)) ctx.invalid(k, 'must be an ARN, * or a CloudFormation intrinsic', { value: r });
  });
  return list;
}
