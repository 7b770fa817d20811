/**
 * Function names as Lambda accepts them: `name`, `name:qualifier`, the partial
 * ARN `123456789012:function:name[:qualifier]` and the full ARN
 * `arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]`, with the
 * patterns AWS quotes in its validation messages (LocalStack's api_utils.py,
 * checked against AWS: Invoke and GetFunction quote the pattern with `\.`).
 */
import { str, type OperationContext } from '../../aws';
import type { LambdaFunctionInfo } from './backend';
import { functionNotFound, invalidParameter, resourceNotFound } from './errors';

const pattern = (dot: string): string =>
  `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_${dot}]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?`;

/** Invoke, GetFunction: NamespacedFunctionName, 1..170. */
export const NAMESPACED_FUNCTION_NAME_GET = str({ min: 1, max: 170, pattern: pattern('\\.') });
/** GetFunctionConfiguration and other reads: NamespacedFunctionName, 1..170. */
export const NAMESPACED_FUNCTION_NAME = str({ min: 1, max: 170, pattern: pattern('') });
/** Writes (CreateFunction, DeleteFunction, concurrency, event invoke config): FunctionName, 1..140. */
export const FUNCTION_NAME = str({ min: 1, max: 140, pattern: pattern('') });
export const QUALIFIER = str({ min: 1, max: 128, pattern: '(|[a-zA-Z0-9$_-]+)' });

const LOCATOR = /^(?:arn:(?:aws[a-zA-Z-]*):lambda:)?(?:([a-z]{2}(?:(?:-gov)|(?:-iso[a-z]?))?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_.]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;

export interface FunctionRef {
  name: string;
  /** From the name's `:qualifier` suffix or the Qualifier parameter. */
  qualifier?: string;
  /** The unqualified ARN. */
  arn: string;
}

export function functionArn(ctx: Pick<OperationContext, 'region' | 'accountId'>, name: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}`;
}

/**
 * Resolves a (validated) function name and optional Qualifier parameter.
 * A region other than ours is AWS's "not reachable in this region"; an
 * account other than ours cannot hold a function Nimbus knows.
 */
export function parseFunctionName(raw: string, qualifierParam: string | undefined, ctx: Pick<OperationContext, 'region' | 'accountId'>): FunctionRef {
  const m = LOCATOR.exec(raw);
  if (!m) throw functionNotFound(raw);
  const [, region, account, name, suffix] = m as unknown as [string, string | undefined, string | undefined, string, string | undefined];
  if (region !== undefined && region !== ctx.region) {
    throw resourceNotFound(`Functions from '${region}' are not reachable in this region ('${ctx.region}')`);
  }
  if (suffix !== undefined && qualifierParam !== undefined && suffix !== qualifierParam) {
    throw invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
  }
  const qualifier = suffix ?? qualifierParam;
  if (account !== undefined && account !== ctx.accountId) {
    throw functionNotFound(`arn:aws:lambda:${ctx.region}:${account}:function:${name}${qualifier ? ':' + qualifier : ''}`);
  }
  return { name, qualifier, arn: functionArn(ctx, name) };
}

/** Nimbus has `$LATEST` only: any other version or alias does not exist. */
export function requireLatest(ref: FunctionRef): void {
  if (ref.qualifier !== undefined && ref.qualifier !== '$LATEST') throw functionNotFound(`${ref.arn}:${ref.qualifier}`);
}

/** The ARN as AWS quotes it in "Function not found" (qualified when the request was). */
export function quotedArn(ref: FunctionRef): string {
  return ref.qualifier !== undefined ? `${ref.arn}:${ref.qualifier}` : ref.arn;
}

/** Resolves the name, requires `$LATEST`, and finds the function (or AWS's ResourceNotFoundException). */
export async function findFunction(
  backend: { getFunction(name: string): Promise<LambdaFunctionInfo | null> },
  raw: string,
  qualifier: string | undefined,
  ctx: Pick<OperationContext, 'region' | 'accountId'>,
): Promise<{ ref: FunctionRef; info: LambdaFunctionInfo }> {
  const ref = parseFunctionName(raw, qualifier, ctx);
  const info = await backend.getFunction(ref.name);
  if (!info) throw functionNotFound(quotedArn(ref));
  requireLatest(ref);
  return { ref, info };
}
