/**
 * compileExpressions: every expression of a request, checked as DynamoDB
 * checks them and turned into functions the operation handlers call.
 *
 * Order of the checks (dynalite's validations, recorded against the service):
 * placeholders given without expressions; ExpressionAttributeNames (empty,
 * bad keys, empty values); ExpressionAttributeValues (empty, bad keys, bad
 * values); empty expressions; then each expression is parsed and bound in the
 * order Update, Condition, KeyCondition, Filter, Projection; last, unused
 * names and values.
 *
 * Parses depend only on the text and are kept in a small LRU keyed by it;
 * placeholders are bound per request.
 */
import { isServiceError } from '../../../aws';
import { validateAttributeValue, type AttributeValue, type Item } from '../model/attribute-value';
import type { Cond, Path, PathNode, UpdateAction } from './ast';
import { bindCondition, bindProjection, bindUpdate, type BCond, type BindContext } from './bind';
import { ExpressionError, invalidExpression, validation, type ExpressionKind } from './errors';
import { evalCondition } from './evaluate';
import { KeyConditionError, analyzeKeyCondition, keyConditionFor, type KeyCondition, type KeySchemaForQuery } from './key-condition';
import { parseCondition, parseProjection, parseUpdate } from './parser';
import { buildProjectionTree, projectWithTree } from './projection';
import { applyUpdate, type UpdateResult } from './update';

/** The operation the expressions belong to; it words "can only be specified" errors. */
export type ExpressionOperation = 'GetItem' | 'BatchGetItem' | 'TransactGetItems' | 'PutItem' | 'DeleteItem' | 'UpdateItem' | 'ConditionCheck' | 'Query' | 'Scan';

export interface ExpressionParams {
  ConditionExpression?: string;
  FilterExpression?: string;
  KeyConditionExpression?: string;
  ProjectionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  /** Raw wire values; they are validated here. */
  ExpressionAttributeValues?: Record<string, unknown>;
  operation?: ExpressionOperation;
}

export interface CompiledExpressions {
  /** ConditionExpression on the current item (undefined: no item). */
  condition?(item: Item | undefined): boolean;
  /** FilterExpression. */
  filter?(item: Item): boolean;
  /** Refuses a FilterExpression that names a key attribute (Query only). */
  checkFilterKeys?(keyAttributes: readonly string[]): void;
  /** ProjectionExpression. */
  project?(item: Item): Item;
  /** The resolved paths of the ProjectionExpression. */
  projectionPaths?: Path[];
  /** UpdateExpression on the current item (undefined: no item yet). */
  update?(item: Item | undefined, key: Item): UpdateResult;
  /** KeyConditionExpression against a table's or index's key schema. */
  keyCondition?(schema: KeySchemaForQuery): KeyCondition;
}

// ------------------------------------------------------------ parse cache

type Parsed = Cond | UpdateAction[] | PathNode[];
type CacheEntry = { ok: true; value: Parsed } | { ok: false; detail: string };

const CACHE_SIZE = 500;
const cache = new Map<string, CacheEntry>();

function parseCached(kind: ExpressionKind, src: string): Parsed {
  const key = kind + '\u0000' + src;
  let entry = cache.get(key);
  if (entry !== undefined) {
    // Refresh its place in the LRU order.
    cache.delete(key);
    cache.set(key, entry);
  } else {
    try {
      const value = kind === 'UpdateExpression' ? parseUpdate(src) : kind === 'ProjectionExpression' ? parseProjection(src) : parseCondition(src);
      entry = { ok: true, value };
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      entry = { ok: false, detail: e.detail };
    }
    cache.set(key, entry);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  if (!entry.ok) throw new ExpressionError(entry.detail);
  return entry.value;
}

/** For tests: how many parses are cached. */
export function parseCacheSize(): number {
  return cache.size;
}

// ------------------------------------------------------------ placeholder maps

const PLACEHOLDER_KEY = /^[A-Za-z0-9_]+$/;

function valuesNullMessage(p: ExpressionParams): string {
  switch (p.operation) {
    case 'UpdateItem':
      return 'UpdateExpression and ConditionExpression are null';
    case 'Query':
      return 'FilterExpression and KeyConditionExpression are null';
    case 'Scan':
      return 'FilterExpression is null';
    default:
      return 'ConditionExpression is null';
  }
}

function checkNames(names: Record<string, string>): void {
  const keys = Object.keys(names);
  if (keys.length === 0) throw validation('ExpressionAttributeNames must not be empty');
  for (const k of keys) {
    if (k[0] !== '#' || !PLACEHOLDER_KEY.test(k.slice(1))) throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${k}"`);
  }
  for (const k of keys) {
    if (names[k] === '') throw validation(`ExpressionAttributeNames contains invalid value: Empty attribute name for key ${k}`);
  }
}

function checkValues(raw: Record<string, unknown>): Record<string, AttributeValue> {
  const keys = Object.keys(raw);
  if (keys.length === 0) throw validation('ExpressionAttributeValues must not be empty');
  for (const k of keys) {
    if (k[0] !== ':' || !PLACEHOLDER_KEY.test(k.slice(1))) throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${k}"`);
  }
  const out: Record<string, AttributeValue> = {};
  for (const k of keys) {
    try {
      out[k] = validateAttributeValue(raw[k]);
    } catch (e) {
      if (isServiceError(e) && e.code === 'ValidationException') {
        throw validation(`ExpressionAttributeValues contains invalid value: ${e.message} for key ${k}`);
      }
      throw e;
    }
  }
  return out;
}

function wrap<T>(kind: ExpressionKind, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ExpressionError) throw invalidExpression(kind, e.detail);
    if (e instanceof KeyConditionError) throw validation(e.message);
    throw e;
  }
}

function topLevelNames(c: BCond, out: string[]): void {
  switch (c.k) {
    case 'and':
    case 'or':
      topLevelNames(c.left, out);
      topLevelNames(c.right, out);
      return;
    case 'not':
      topLevelNames(c.c, out);
      return;
    case 'exists':
      out.push(c.path[0] as string);
      return;
  }
  const operands = c.k === 'cmp' ? [c.a, c.b] : c.k === 'between' ? [c.x, c.lo, c.hi] : c.k === 'in' ? [c.x, ...c.list] : c.k === 'attribute_type' ? [c.a, c.type] : [c.a, c.b];
  for (let o of operands) {
    while (o.k === 'size') o = o.arg;
    if (o.k === 'path') out.push(o.path[0] as string);
  }
}

// ------------------------------------------------------------ entry point

/**
 * Parses every expression present, resolves placeholders and applies
 * DynamoDB's cross-checks; throws ServiceError ValidationException with
 * DynamoDB's messages.
 */
export function compileExpressions(p: ExpressionParams): CompiledExpressions {
  const present = (s: string | undefined): s is string => s !== undefined && s !== null;
  const hasUpdate = present(p.UpdateExpression);
  const hasCondition = present(p.ConditionExpression);
  const hasKey = present(p.KeyConditionExpression);
  const hasFilter = present(p.FilterExpression);
  const hasProjection = present(p.ProjectionExpression);
  const names = p.ExpressionAttributeNames ?? undefined;
  const rawValues = p.ExpressionAttributeValues ?? undefined;

  if (names !== undefined && !(hasUpdate || hasCondition || hasKey || hasFilter || hasProjection)) {
    throw validation('ExpressionAttributeNames can only be specified when using expressions');
  }
  if (rawValues !== undefined && !(hasUpdate || hasCondition || hasKey || hasFilter)) {
    throw validation(`ExpressionAttributeValues can only be specified when using expressions: ${valuesNullMessage(p)}`);
  }
  if (names !== undefined) checkNames(names);
  const values = rawValues !== undefined ? checkValues(rawValues) : undefined;

  const order: [ExpressionKind, string | undefined][] = [
    ['UpdateExpression', p.UpdateExpression],
    ['ConditionExpression', p.ConditionExpression],
    ['KeyConditionExpression', p.KeyConditionExpression],
    ['FilterExpression', p.FilterExpression],
    ['ProjectionExpression', p.ProjectionExpression],
  ];
  for (const [kind, src] of order) {
    if (present(src) && src.trim() === '') throw invalidExpression(kind, 'The expression can not be empty;');
  }

  const ctx: BindContext = { names, values, usedNames: new Set(), usedValues: new Set() };
  const out: CompiledExpressions = {};

  if (hasUpdate) {
    const actions = wrap('UpdateExpression', () => bindUpdate(parseCached('UpdateExpression', p.UpdateExpression as string) as UpdateAction[], ctx));
    out.update = (item, key) => applyUpdate(actions, item, key);
  }
  if (hasCondition) {
    const cond = wrap('ConditionExpression', () => bindCondition(parseCached('ConditionExpression', p.ConditionExpression as string) as Cond, ctx));
    out.condition = (item) => evalCondition(cond, item);
  }
  if (hasKey) {
    const parts = wrap('KeyConditionExpression', () =>
      analyzeKeyCondition(bindCondition(parseCached('KeyConditionExpression', p.KeyConditionExpression as string) as Cond, ctx)),
    );
    out.keyCondition = (schema) => keyConditionFor(parts, schema);
  }
  if (hasFilter) {
    const cond = wrap('FilterExpression', () => bindCondition(parseCached('FilterExpression', p.FilterExpression as string) as Cond, ctx));
    out.filter = (item) => evalCondition(cond, item);
    out.checkFilterKeys = (keys) => {
      const used: string[] = [];
      topLevelNames(cond, used);
      for (const name of used) {
        if (keys.includes(name)) throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${name}`);
      }
    };
  }
  if (hasProjection) {
    const paths = wrap('ProjectionExpression', () => bindProjection(parseCached('ProjectionExpression', p.ProjectionExpression as string) as PathNode[], ctx));
    const tree = buildProjectionTree(paths);
    out.projectionPaths = paths;
    out.project = (item) => projectWithTree(item, tree);
  }

  if (names !== undefined) {
    const unused = Object.keys(names).filter((k) => !ctx.usedNames.has(k));
    if (unused.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unused.join(', ')}}`);
  }
  if (values !== undefined) {
    const unused = Object.keys(values).filter((k) => !ctx.usedValues.has(k));
    if (unused.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unused.join(', ')}}`);
  }
  return out;
}
