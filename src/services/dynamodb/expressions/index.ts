/**
 * DynamoDB's expression language: condition, filter, key condition,
 * projection and update expressions, compiled once per request (parses are
 * cached by text) into functions over items.
 */
export type { Path } from './ast';
export {
  compileExpressions,
  parseCacheSize,
  type CompiledExpressions,
  type ExpressionOperation,
  type ExpressionParams,
} from './compile';
export type { ExpressionKind } from './errors';
export { getPath, sizeOf } from './evaluate';
export type { KeyCondition, KeyConditionOp, KeySchemaForQuery } from './key-condition';
export { projectPaths } from './projection';
export type { UpdateResult } from './update';
export { isReservedWord } from './reserved-words';
