/**
 * The legacy (pre-expression) parameters DynamoDB still accepts: `Expected`,
 * `AttributeUpdates`, `KeyConditions`, `QueryFilter`, `ScanFilter` and
 * `ConditionalOperator` (AWS developer guide: "Legacy conditional
 * parameters"). Each is checked with DynamoDB's messages, then translated
 * into the equivalent expression and compiled by the expression compiler,
 * so conditions, filters and updates have a single evaluator. Where the
 * legacy semantics differ (ADD of a list appends; runtime type errors of an
 * update are worded differently; KeyConditions and QueryFilter errors), the
 * compiled functions are wrapped here.
 *
 * Messages and the order of the checks are dynalite's (validations/index.js
 * validateAttributeConditions / validateConditions, validations/query.js,
 * actions/query.js, test/updateItem.js), which were recorded against the
 * service; the ConditionalOperator messages are those of Amazon's DAX client
 * (RequestValidator) and DynamoDB Local.
 */
import { serializationError, validationError } from '../../aws';
import { invalidParameter, validation } from './errors';
import { compileExpressions, type CompiledExpressions, type ExpressionParams, type KeySchemaForQuery } from './expressions';
import { WRONG_OPERAND_TYPE } from './expressions/errors';
import { compareScalar, typeOf, validateAttributeValue, type AttributeType, type AttributeValue } from './model/attribute-value';

export type LegacyOperation = 'PutItem' | 'DeleteItem' | 'UpdateItem' | 'Query' | 'Scan';

/** The members of a PutItem, DeleteItem, UpdateItem, Query or Scan request that take part (legacy ones as they came off the wire). */
export interface LegacyRequest {
  ConditionExpression?: string;
  UpdateExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: unknown;
  Expected?: unknown;
  AttributeUpdates?: unknown;
  KeyConditions?: unknown;
  QueryFilter?: unknown;
  ScanFilter?: unknown;
  ConditionalOperator?: unknown;
  AttributesToGet?: unknown;
}

export type ComparisonOperator = 'EQ' | 'NE' | 'LE' | 'LT' | 'GE' | 'GT' | 'NOT_NULL' | 'NULL' | 'CONTAINS' | 'NOT_CONTAINS' | 'BEGINS_WITH' | 'IN' | 'BETWEEN';

/** One checked KeyConditions entry. */
export interface LegacyKeyCondition {
  name: string;
  op: ComparisonOperator;
  values: AttributeValue[];
}

export interface LegacyTranslation {
  /** The request's own expressions plus the translated ones, placeholder maps merged: what compileExpressions takes. */
  params: ExpressionParams;
  /** Whether any legacy parameter was present. */
  legacy: boolean;
  /** KeyConditions, checked against the key schema before the key condition is used. */
  keyConditions?: LegacyKeyCondition[];
  /** QueryFilter's attribute names (a filter on a key attribute is refused with its own message). */
  queryFilterNames?: string[];
  /** AttributeUpdates was translated (its runtime type errors are worded differently). */
  attributeUpdates?: boolean;
}

// ------------------------------------------------------------ per-operation tables

/** Expression and non-expression members in the order DynamoDB lists them when both are used (dynalite's validations). */
const MEMBERS: Record<LegacyOperation, { expr: (keyof LegacyRequest)[]; legacy: (keyof LegacyRequest)[] }> = {
  PutItem: { expr: ['ConditionExpression'], legacy: ['Expected', 'ConditionalOperator'] },
  DeleteItem: { expr: ['ConditionExpression'], legacy: ['Expected', 'ConditionalOperator'] },
  UpdateItem: { expr: ['UpdateExpression', 'ConditionExpression'], legacy: ['AttributeUpdates', 'Expected', 'ConditionalOperator'] },
  Query: {
    expr: ['ProjectionExpression', 'FilterExpression', 'KeyConditionExpression'],
    legacy: ['AttributesToGet', 'QueryFilter', 'ConditionalOperator', 'KeyConditions'],
  },
  Scan: { expr: ['ProjectionExpression', 'FilterExpression'], legacy: ['AttributesToGet', 'ScanFilter', 'ConditionalOperator'] },
};

const OPERATORS: readonly ComparisonOperator[] = ['EQ', 'NE', 'LE', 'LT', 'GE', 'GT', 'NOT_NULL', 'NULL', 'CONTAINS', 'NOT_CONTAINS', 'BEGINS_WITH', 'IN', 'BETWEEN'];
/** As the service lists the enum in its constraint message (dynalite's validations). */
const OPERATOR_ENUM = '[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]';

/** How many values each operator takes (AWS API reference, Condition); IN takes one or more. */
const ARITY: Record<ComparisonOperator, number> = {
  EQ: 1, NE: 1, LE: 1, LT: 1, GE: 1, GT: 1, CONTAINS: 1, NOT_CONTAINS: 1, BEGINS_WITH: 1, NOT_NULL: 0, NULL: 0, IN: -1, BETWEEN: 2,
};

/** Value types each operator accepts in QueryFilter, ScanFilter and KeyConditions (dynalite's validateConditions). */
const FILTER_TYPES: Partial<Record<ComparisonOperator, readonly AttributeType[]>> = {
  EQ: ['S', 'N', 'B', 'SS', 'NS', 'BS'],
  NE: ['S', 'N', 'B', 'SS', 'NS', 'BS'],
  LE: ['S', 'N', 'B'],
  LT: ['S', 'N', 'B'],
  GE: ['S', 'N', 'B'],
  GT: ['S', 'N', 'B'],
  CONTAINS: ['S', 'N', 'B'],
  NOT_CONTAINS: ['S', 'N', 'B'],
  BEGINS_WITH: ['S', 'B'],
  IN: ['S', 'N', 'B'],
  BETWEEN: ['S', 'N', 'B'],
};

/**
 * Expected is not type-checked by the service the way filters are (dynalite's
 * validateAttributeConditions); only the operators whose translation the
 * expression language would refuse are checked, with the filters' wording.
 */
const EXPECTED_TYPES: Partial<Record<ComparisonOperator, readonly AttributeType[]>> = {
  LE: ['S', 'N', 'B'],
  LT: ['S', 'N', 'B'],
  GE: ['S', 'N', 'B'],
  GT: ['S', 'N', 'B'],
  BEGINS_WITH: ['S', 'B'],
  BETWEEN: ['S', 'N', 'B'],
};

/** KeyConditions operators a key can be queried with (dynalite's actions/query.js). */
const INDEXABLE: ReadonlySet<ComparisonOperator> = new Set(['EQ', 'LE', 'LT', 'GE', 'GT', 'BEGINS_WITH', 'BETWEEN']);

/** The expression language takes at most 100 values in one IN (AWS: "Comparison operator and function reference"). */
const IN_CHUNK = 100;

// ------------------------------------------------------------ wire shapes

const present = (v: unknown): boolean => v !== undefined && v !== null;

function wireMap(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (Array.isArray(v)) throw serializationError('Start of list found where not expected');
  throw serializationError('Expected map or null');
}

function wireStruct(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (Array.isArray(v)) throw serializationError('Start of list found where not expected');
  throw serializationError('Expected null');
}

function wireList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') throw serializationError('Start of structure or map found where not expected.');
  throw serializationError('Expected list or null');
}

function wireBool(v: unknown): boolean | undefined {
  if (!present(v)) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    // Coral converts the usual spellings (dynalite: checkTypes 'Boolean').
    const u = v.toUpperCase();
    if (u === 'TRUE' || u === '1' || u === 'YES') return true;
    if (u === 'FALSE' || u === '0' || u === 'NO') return false;
    throw serializationError(`'${u}' can not be converted to an Boolean`);
  }
  throw serializationError('Unexpected value type in payload');
}

function wireString(v: unknown): string | undefined {
  if (!present(v)) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') throw serializationError('class java.lang.Boolean can not be converted to an String');
  if (typeof v === 'number') throw serializationError('class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String');
  throw serializationError(Array.isArray(v) ? 'Start of list found where not expected' : 'Start of structure or map found where not expected.');
}

/** Entries of a legacy map, null entries skipped as Coral's deserializer does. */
function entries(raw: unknown): [string, Record<string, unknown>][] {
  const m = wireMap(raw);
  const out: [string, Record<string, unknown>][] = [];
  for (const k of Object.keys(m)) {
    if (!present(m[k])) continue;
    out.push([k, wireStruct(m[k])]);
  }
  return out;
}

function firstParam(param: string): string {
  return param[0].toLowerCase() + param.slice(1);
}

function enumError(value: string, at: string, set: string): string {
  return `Value '${value}' at '${at}' failed to satisfy constraint: Member must satisfy enum value set: ${set}`;
}

// ------------------------------------------------------------ placeholders

/**
 * Generated `#name` / `:value` placeholders. The compiler only takes
 * placeholders a client could also write, so a prefix none of the request's
 * own placeholders starts with is picked per request: generated and client
 * placeholders can then never collide.
 */
class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly byName = new Map<string, string>();
  private valueCount = 0;

  constructor(private readonly prefix: string) {}

  static forRequest(req: LegacyRequest): Placeholders {
    const own = [...Object.keys(req.ExpressionAttributeNames ?? {}), ...Object.keys(wireMapOrEmpty(req.ExpressionAttributeValues))].map((k) => k.slice(1));
    let prefix = '_L';
    while (own.some((k) => k.startsWith(prefix))) prefix = '_' + prefix;
    return new Placeholders(prefix);
  }

  name(attribute: string): string {
    let p = this.byName.get(attribute);
    if (p === undefined) {
      // An empty name is refused (wording not confirmed against the service).
      if (attribute === '') throw invalidParameter('An attribute name can not be empty');
      p = `#${this.prefix}${this.byName.size}`;
      this.byName.set(attribute, p);
      this.names[p] = attribute;
    }
    return p;
  }

  value(v: AttributeValue): string {
    const p = `:${this.prefix}${this.valueCount++}`;
    this.values[p] = v;
    return p;
  }
}

function wireMapOrEmpty(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

// ------------------------------------------------------------ conditions

interface CheckedCondition {
  name: string;
  op: ComparisonOperator;
  values: AttributeValue[];
}

function values(list: unknown[]): AttributeValue[] {
  return list.filter(present).map((v) => validateAttributeValue(v));
}

function checkSameType(vals: AttributeValue[]): void {
  if (vals.length === 0) return;
  const t = typeOf(vals[0]);
  if (vals.some((v) => typeOf(v) !== t)) throw invalidParameter('AttributeValues inside AttributeValueList must be of same type');
}

function checkTypes(op: ComparisonOperator, vals: AttributeValue[], table: Partial<Record<ComparisonOperator, readonly AttributeType[]>>): void {
  const allowed = table[op];
  if (!allowed) return;
  for (const v of vals) {
    const t = typeOf(v);
    if (!allowed.includes(t)) throw invalidParameter(`ComparisonOperator ${op} is not valid for ${t} AttributeValue type`);
  }
}

function checkArity(op: ComparisonOperator, n: number): void {
  const want = ARITY[op];
  if (want >= 0 ? n !== want : n < 1) throw invalidParameter(`Invalid number of argument(s) for the ${op} ComparisonOperator`);
}

function checkBetween(op: ComparisonOperator, vals: AttributeValue[]): void {
  if (op === 'BETWEEN' && compareScalar(vals[0], vals[1]) > 0) {
    throw validation('The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
  }
}

/** Enum errors of ComparisonOperator members, collected before any other check as Coral does. */
function operatorEnumErrors(param: string, raw: unknown, required: boolean, out: string[]): void {
  if (!present(raw)) return;
  for (const [name, c] of entries(raw)) {
    const op = wireString(c.ComparisonOperator);
    const at = `${firstParam(param)}.${name}.member.comparisonOperator`;
    if (op === undefined) {
      if (required) out.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
    } else if (!OPERATORS.includes(op as ComparisonOperator)) {
      out.push(enumError(op, at, OPERATOR_ENUM));
    }
  }
}

/** QueryFilter, ScanFilter, KeyConditions entries (dynalite's validateConditions). */
function checkFilter(raw: unknown): CheckedCondition[] {
  const out: CheckedCondition[] = [];
  for (const [name, c] of entries(raw)) {
    const op = wireString(c.ComparisonOperator) as ComparisonOperator;
    const vals = present(c.AttributeValueList) ? values(wireList(c.AttributeValueList)) : [];
    checkArity(op, vals.length);
    checkSameType(vals);
    checkTypes(op, vals, FILTER_TYPES);
    checkBetween(op, vals);
    out.push({ name, op, values: vals });
  }
  return out;
}

/** Expected entries (dynalite's validateAttributeConditions). */
function checkExpected(raw: unknown): CheckedCondition[] {
  const out: CheckedCondition[] = [];
  for (const [name, c] of entries(raw)) {
    const hasList = present(c.AttributeValueList);
    const hasValue = present(c.Value);
    const exists = wireBool(c.Exists);
    if (hasList && hasValue) throw invalidParameter(`Value and AttributeValueList cannot be used together for Attribute: ${name}`);
    const op = wireString(c.ComparisonOperator) as ComparisonOperator | undefined;
    if (op !== undefined) {
      if (exists !== undefined) throw invalidParameter(`Exists and ComparisonOperator cannot be used together for Attribute: ${name}`);
      if (op !== 'NULL' && op !== 'NOT_NULL' && !hasList && !hasValue) {
        throw invalidParameter(`Value or AttributeValueList must be used with ComparisonOperator: ${op} for Attribute: ${name}`);
      }
      const vals = hasList ? values(wireList(c.AttributeValueList)) : hasValue ? [validateAttributeValue(c.Value)] : [];
      checkArity(op, vals.length);
      checkSameType(vals);
      checkTypes(op, vals, EXPECTED_TYPES);
      checkBetween(op, vals);
      out.push({ name, op, values: vals });
    } else if (hasList) {
      throw invalidParameter(`AttributeValueList can only be used with a ComparisonOperator for Attribute: ${name}`);
    } else if (exists === false) {
      if (hasValue) throw invalidParameter(`Value cannot be used when Exists is false for Attribute: ${name}`);
      out.push({ name, op: 'NULL', values: [] });
    } else {
      // No Exists, or Exists true: the attribute must have this value.
      if (!hasValue) throw invalidParameter(`Value must be provided when Exists is ${exists === undefined ? 'null' : 'true'} for Attribute: ${name}`);
      out.push({ name, op: 'EQ', values: [validateAttributeValue(c.Value)] });
    }
  }
  return out;
}

/** One condition as an expression (AWS: "Legacy conditional parameters", each operator's expression equivalent). */
function conditionText(c: CheckedCondition, ph: Placeholders): string {
  const n = ph.name(c.name);
  const v = (i: number): string => ph.value(c.values[i]);
  switch (c.op) {
    case 'EQ':
      return `${n} = ${v(0)}`;
    case 'NE':
      return `${n} <> ${v(0)}`;
    case 'LE':
      return `${n} <= ${v(0)}`;
    case 'LT':
      return `${n} < ${v(0)}`;
    case 'GE':
      return `${n} >= ${v(0)}`;
    case 'GT':
      return `${n} > ${v(0)}`;
    case 'NOT_NULL':
      return `attribute_exists(${n})`;
    case 'NULL':
      return `attribute_not_exists(${n})`;
    case 'CONTAINS':
      return `contains(${n}, ${v(0)})`;
    case 'NOT_CONTAINS':
      return `NOT contains(${n}, ${v(0)})`;
    case 'BEGINS_WITH':
      return `begins_with(${n}, ${v(0)})`;
    case 'BETWEEN':
      return `${n} BETWEEN ${v(0)} AND ${v(1)}`;
    case 'IN': {
      const lists: string[] = [];
      for (let i = 0; i < c.values.length; i += IN_CHUNK) {
        lists.push(`${n} IN (${c.values.slice(i, i + IN_CHUNK).map((x) => ph.value(x)).join(', ')})`);
      }
      return lists.join(' OR ');
    }
  }
}

function joinConditions(conds: CheckedCondition[], operator: 'AND' | 'OR', ph: Placeholders): string | undefined {
  if (conds.length === 0) return undefined;
  if (conds.length === 1) return conditionText(conds[0], ph);
  return conds.map((c) => `(${conditionText(c, ph)})`).join(` ${operator} `);
}

// ------------------------------------------------------------ AttributeUpdates

const ACTION_ENUM = '[ADD, PUT, DELETE]';
const SET_TYPES: ReadonlySet<AttributeType> = new Set(['SS', 'NS', 'BS']);

interface CheckedUpdate {
  name: string;
  action: 'PUT' | 'ADD' | 'DELETE';
  value?: AttributeValue;
}

function actionEnumErrors(raw: unknown, out: string[]): void {
  if (!present(raw)) return;
  for (const [name, u] of entries(raw)) {
    const action = wireString(u.Action);
    if (action !== undefined && action !== 'PUT' && action !== 'ADD' && action !== 'DELETE') {
      out.push(enumError(action, `attributeUpdates.${name}.member.action`, ACTION_ENUM));
    }
  }
}

/** AttributeUpdates entries (AWS: "AttributeUpdates (legacy)"; messages from dynalite's test/updateItem.js). */
function checkUpdates(raw: unknown): CheckedUpdate[] {
  const out: CheckedUpdate[] = [];
  for (const [name, u] of entries(raw)) {
    const action = (wireString(u.Action) ?? 'PUT') as CheckedUpdate['action'];
    const value = present(u.Value) ? validateAttributeValue(u.Value) : undefined;
    if (value === undefined) {
      if (action !== 'DELETE') throw invalidParameter('Only DELETE action is allowed when no attribute value is specified');
    } else {
      const t = typeOf(value);
      if (action === 'DELETE' && !SET_TYPES.has(t)) throw invalidParameter(`DELETE action with value is not supported for the type ${t}`);
      // ADD takes numbers and sets, and (legacy only) lists, which it appends to.
      if (action === 'ADD' && !SET_TYPES.has(t) && t !== 'N' && t !== 'L') throw invalidParameter(`ADD action is not supported for the type ${t}`);
    }
    out.push({ name, action, value });
  }
  return out;
}

function updateText(updates: CheckedUpdate[], ph: Placeholders): string | undefined {
  const set: string[] = [];
  const remove: string[] = [];
  const add: string[] = [];
  const del: string[] = [];
  for (const u of updates) {
    const n = ph.name(u.name);
    if (u.action === 'PUT') set.push(`${n} = ${ph.value(u.value as AttributeValue)}`);
    else if (u.action === 'DELETE') {
      if (u.value === undefined) remove.push(n);
      else del.push(`${n} ${ph.value(u.value)}`);
    } else if (typeOf(u.value as AttributeValue) === 'L') {
      // Legacy ADD of a list appends to the list, or creates it (dynalite's test/updateItem.js, "should add list value").
      set.push(`${n} = list_append(if_not_exists(${n}, ${ph.value({ L: [] })}), ${ph.value(u.value as AttributeValue)})`);
    } else add.push(`${n} ${ph.value(u.value as AttributeValue)}`);
  }
  const parts: string[] = [];
  if (set.length) parts.push(`SET ${set.join(', ')}`);
  if (remove.length) parts.push(`REMOVE ${remove.join(', ')}`);
  if (add.length) parts.push(`ADD ${add.join(', ')}`);
  if (del.length) parts.push(`DELETE ${del.join(', ')}`);
  return parts.length ? parts.join(' ') : undefined;
}

// ------------------------------------------------------------ translation

/** Query needs one of them; checked before any expression is parsed (dynalite's validations/query.js). */
function checkKeyConditionsGiven(operation: LegacyOperation, req: LegacyRequest): void {
  if (operation === 'Query' && !present(req.KeyConditions) && !present(req.KeyConditionExpression)) {
    throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  }
}

function checkConditionalOperator(req: LegacyRequest, map: unknown): 'AND' | 'OR' {
  const op = wireString(req.ConditionalOperator);
  if (op === undefined) return 'AND';
  if (!present(map)) throw validation('ConditionalOperator cannot be used without Filter or Expected');
  if (entries(map).length < 2) throw validation('ConditionalOperator can only be used when Filter or Expected has two or more elements');
  return op as 'AND' | 'OR';
}

/**
 * Checks the legacy parameters of a request and translates them into
 * expressions. Requests without legacy parameters come back unchanged.
 */
export function translateLegacy(operation: LegacyOperation, req: LegacyRequest): LegacyTranslation {
  const own: ExpressionParams = {
    operation,
    ConditionExpression: req.ConditionExpression,
    UpdateExpression: req.UpdateExpression,
    KeyConditionExpression: req.KeyConditionExpression,
    FilterExpression: req.FilterExpression,
    ProjectionExpression: req.ProjectionExpression,
    ExpressionAttributeNames: req.ExpressionAttributeNames,
    ExpressionAttributeValues: req.ExpressionAttributeValues as Record<string, unknown> | undefined,
  };
  const members = MEMBERS[operation];
  // AttributesToGet alone is handled by the read path (get-item.ts); here it only counts as a non-expression member.
  const legacyNames = members.legacy.filter((m) => m !== 'AttributesToGet' && present(req[m]));
  if (legacyNames.length === 0 && !present(req.AttributesToGet)) {
    checkKeyConditionsGiven(operation, req);
    return { params: own, legacy: false };
  }

  // 1. Constraint errors (enums, required members) come first, all of them.
  const enums: string[] = [];
  if (operation === 'UpdateItem') actionEnumErrors(req.AttributeUpdates, enums);
  operatorEnumErrors('Expected', req.Expected, false, enums);
  operatorEnumErrors('KeyConditions', req.KeyConditions, true, enums);
  operatorEnumErrors('QueryFilter', req.QueryFilter, true, enums);
  operatorEnumErrors('ScanFilter', req.ScanFilter, true, enums);
  const condOp = wireString(req.ConditionalOperator);
  if (condOp !== undefined && condOp !== 'AND' && condOp !== 'OR') enums.push(enumError(condOp, 'conditionalOperator', '[OR, AND]'));
  if (enums.length > 0) throw validationError(enums);

  // 2. Legacy and expression members are not mixed (AWS: "Legacy conditional parameters").
  const exprUsed = members.expr.filter((m) => present(req[m]));
  if (exprUsed.length > 0) {
    // KeyConditions may go with a FilterExpression or ProjectionExpression, not with a KeyConditionExpression (dynalite's validateExpressionParams).
    const mixed = members.legacy.filter((m) => present(req[m]) && (m !== 'KeyConditions' || present(req.KeyConditionExpression)));
    if (mixed.length > 0) {
      throw validation(`Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {${mixed.join(', ')}} Expression parameters: {${exprUsed.join(', ')}}`);
    }
  }
  if (legacyNames.length === 0) {
    checkKeyConditionsGiven(operation, req);
    return { params: own, legacy: false };
  }

  // 3. Placeholder maps need expressions of the request's own; the compiler words those errors.
  const namesWithout = present(req.ExpressionAttributeNames) && exprUsed.length === 0;
  const valuesWithout = present(req.ExpressionAttributeValues) && !exprUsed.some((m) => m !== 'ProjectionExpression');
  if (namesWithout || valuesWithout) {
    compileExpressions(own);
    throw validation('ExpressionAttributeNames can only be specified when using expressions');
  }

  // 4. The legacy members themselves.
  const ph = Placeholders.forRequest(req);
  const out: LegacyTranslation = { params: own, legacy: true };
  const params: ExpressionParams = { ...own };
  if (operation === 'Query' || operation === 'Scan') {
    const filterParam = operation === 'Query' ? req.QueryFilter : req.ScanFilter;
    const filter = present(filterParam) ? checkFilter(filterParam) : undefined;
    const joiner = checkConditionalOperator(req, filterParam);
    if (operation === 'Query') {
      checkKeyConditionsGiven(operation, req);
      if (present(req.KeyConditions)) {
        const kc = checkFilter(req.KeyConditions);
        if (kc.length !== 1 && kc.length !== 2) throw validation('Conditions can be of length 1 or 2 only');
        out.keyConditions = kc;
        // A non-indexable operator always ends in an error once the key schema is known (compileRequest).
        if (kc.every((c) => INDEXABLE.has(c.op))) params.KeyConditionExpression = joinConditions(kc, 'AND', ph);
      }
      if (filter) out.queryFilterNames = filter.map((c) => c.name);
    }
    if (filter) params.FilterExpression = joinConditions(filter, joiner, ph);
  } else {
    const expected = present(req.Expected) ? checkExpected(req.Expected) : undefined;
    const joiner = checkConditionalOperator(req, req.Expected);
    if (operation === 'UpdateItem' && present(req.AttributeUpdates)) {
      params.UpdateExpression = updateText(checkUpdates(req.AttributeUpdates), ph);
      out.attributeUpdates = true;
    }
    if (expected) params.ConditionExpression = joinConditions(expected, joiner, ph);
  }
  if (Object.keys(ph.names).length > 0) params.ExpressionAttributeNames = { ...(own.ExpressionAttributeNames ?? {}), ...ph.names };
  if (Object.keys(ph.values).length > 0) params.ExpressionAttributeValues = { ...(own.ExpressionAttributeValues ?? {}), ...ph.values };
  out.params = params;
  return out;
}

// ------------------------------------------------------------ compile

/** KeyConditions against a key schema, in dynalite's order (actions/query.js). */
export function checkKeyConditions(kc: LegacyKeyCondition[], schema: KeySchemaForQuery): void {
  const byName = new Map(kc.map((c) => [c.name, c]));
  if (schema.range === undefined && kc.length > 1) throw validation('Query key condition not supported');
  const keys: [string, boolean][] = [[schema.hash, true]];
  if (schema.range !== undefined) keys.push([schema.range, false]);
  for (const [attr, isHash] of keys) {
    const c = byName.get(attr);
    if (c === undefined) {
      if (isHash || kc.length > 1) throw validation(`Query condition missed key schema element: ${attr}`);
      continue;
    }
    if (!INDEXABLE.has(c.op)) throw validation('Attempted conditional constraint is not an indexable operation');
    const want = schema.types?.[attr];
    if (want !== undefined && c.values.some((v) => typeOf(v) !== want)) {
      throw invalidParameter('Condition parameter type does not match schema type');
    }
    if (isHash && c.op !== 'EQ') throw validation('Query key condition not supported');
  }
  // Reached only with conditions the schema cannot serve (every key checked above is fine).
  if (kc.some((c) => !INDEXABLE.has(c.op))) throw validation('Attempted conditional constraint is not an indexable operation');
}

/**
 * The request's expressions, legacy parameters included, checked and
 * compiled: what the operation handlers call in place of compileExpressions.
 */
export function compileRequest(operation: LegacyOperation, req: LegacyRequest): CompiledExpressions {
  const t = translateLegacy(operation, req);
  const compiled = compileExpressions(t.params);
  if (!t.legacy) return compiled;
  const out: CompiledExpressions = { ...compiled };
  const kc = t.keyConditions;
  if (kc) {
    const inner = compiled.keyCondition;
    out.keyCondition = (schema) => {
      checkKeyConditions(kc, schema);
      return inner!(schema);
    };
  }
  const qf = t.queryFilterNames;
  if (qf) {
    out.checkFilterKeys = (keys) => {
      for (const k of keys) {
        if (qf.includes(k)) throw validation(`QueryFilter can only contain non-primary key attributes: Primary key attribute: ${k}`);
      }
    };
  }
  const update = compiled.update;
  if (t.attributeUpdates && update) {
    out.update = (item, key) => {
      try {
        return update(item, key);
      } catch (e) {
        // The same failure as an UpdateExpression's, in AttributeUpdates' words (dynalite's test/updateItem.js).
        if (e instanceof Error && e.message === WRONG_OPERAND_TYPE) throw validation('Type mismatch for attribute to update');
        throw e;
      }
    };
  }
  return out;
}
