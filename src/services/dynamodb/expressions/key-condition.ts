/**
 * KeyConditionExpression: after the general condition checks, DynamoDB only
 * accepts `hashKey = :v` and at most one sort key condition (=, <, <=, >, >=,
 * BETWEEN, begins_with) joined by AND (AWS: "Query" — KeyConditionExpression).
 * The structure is checked once per expression; the key schema is checked
 * when the caller knows the table or index. Messages from dynalite's
 * test/query.js, recorded against the service.
 */
import { typeOf, type AttributeValue } from '../model/attribute-value';
import type { BCond, BOperand } from './bind';
import { ExpressionError, validation } from './errors';

export type KeyConditionOp = 'EQ' | 'LT' | 'LE' | 'GT' | 'GE' | 'BETWEEN' | 'BEGINS_WITH';

export interface KeyCondition {
  hash: AttributeValue;
  range?: { op: KeyConditionOp; values: AttributeValue[] };
}

export interface KeySchemaForQuery {
  hash: string;
  range?: string;
  /** Attribute types of the key attributes, to check the values' types. */
  types?: Record<string, 'S' | 'N' | 'B'>;
}

/** One `key <op> values` condition, operands put in key-first order. */
export interface KeyConditionPart {
  name: string;
  op: KeyConditionOp;
  values: AttributeValue[];
}

const OPS: Record<string, KeyConditionOp> = { '=': 'EQ', '<': 'LT', '<=': 'LE', '>': 'GT', '>=': 'GE' };
/** `:v < k` is `k > :v`. */
const FLIPPED: Record<KeyConditionOp, KeyConditionOp> = { EQ: 'EQ', LT: 'GT', LE: 'GE', GT: 'LT', GE: 'LE', BETWEEN: 'BETWEEN', BEGINS_WITH: 'BEGINS_WITH' };

function invalidOperator(op: string): ExpressionError {
  return new ExpressionError(`Invalid operator used in KeyConditionExpression: ${op}`);
}

/** These messages are not prefixed with "Invalid KeyConditionExpression: ". */
export class KeyConditionError extends Error {}

function operatorName(c: BCond): string | null {
  switch (c.k) {
    case 'or':
      return 'OR';
    case 'not':
      return 'NOT';
    case 'in':
      return 'IN';
    case 'cmp':
      return c.op === '<>' ? '<>' : null;
    case 'exists':
      return c.negate ? 'attribute_not_exists' : 'attribute_exists';
    case 'attribute_type':
      return 'attribute_type';
    case 'contains':
      return 'contains';
    default:
      return null;
  }
}

function firstInvalidOperator(c: BCond): string | null {
  const own = operatorName(c);
  if (own !== null) return own;
  if (c.k === 'and') return firstInvalidOperator(c.left) ?? firstInvalidOperator(c.right);
  return null;
}

function atoms(c: BCond, out: BCond[] = []): BCond[] {
  if (c.k === 'and') {
    atoms(c.left, out);
    atoms(c.right, out);
  } else out.push(c);
  return out;
}

/**
 * Checks the shape of a bound key condition and returns its parts. Errors
 * that DynamoDB words as "Invalid KeyConditionExpression: ..." are thrown as
 * ExpressionError, the others (unprefixed) as KeyConditionError.
 */
export function analyzeKeyCondition(cond: BCond): KeyConditionPart[] {
  const bad = firstInvalidOperator(cond);
  if (bad !== null) throw new KeyConditionError(`Invalid operator used in KeyConditionExpression: ${bad}`);
  const parts: KeyConditionPart[] = [];
  const seen = new Set<string>();
  for (const atom of atoms(cond)) {
    let operands: BOperand[];
    let op: KeyConditionOp;
    if (atom.k === 'cmp') {
      operands = [atom.a, atom.b];
      op = OPS[atom.op];
    } else if (atom.k === 'between') {
      operands = [atom.x, atom.lo, atom.hi];
      op = 'BETWEEN';
    } else if (atom.k === 'begins_with') {
      operands = [atom.a, atom.b];
      op = 'BEGINS_WITH';
    } else throw invalidOperator(atom.k);
    if (op === 'BETWEEN' || op === 'BEGINS_WITH') {
      if (operands[0].k !== 'path') {
        const name = op === 'BETWEEN' ? 'BETWEEN' : 'begins_with';
        throw new KeyConditionError(`Invalid condition in KeyConditionExpression: ${name} operator must have the key attribute as its first operand`);
      }
    }
    // Operands are looked at left to right, the first problem wins (dynalite's tests).
    let keyAt = -1;
    for (let i = 0; i < operands.length; i++) {
      const o = operands[i];
      if (o.k === 'path') {
        if (keyAt >= 0) throw new KeyConditionError('Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
        if (o.path.length > 1) throw new KeyConditionError('KeyConditionExpressions cannot have conditions on nested attributes');
        keyAt = i;
      } else if (o.k !== 'value') {
        throw new KeyConditionError('KeyConditionExpressions cannot contain nested operations');
      }
    }
    if (keyAt < 0) throw new KeyConditionError('Invalid condition in KeyConditionExpression: No key attribute specified');
    const name = (operands[keyAt] as { path: (string | number)[] }).path[0] as string;
    if (seen.has(name)) throw new KeyConditionError('KeyConditionExpressions must only contain one condition per key');
    seen.add(name);
    const values = operands.filter((_, i) => i !== keyAt).map((o) => (o as { v: AttributeValue }).v);
    parts.push({ name, op: keyAt === 0 ? op : FLIPPED[op], values });
  }
  return parts;
}

function notSupported(): Error {
  return validation('Query key condition not supported');
}

function missed(name: string): Error {
  return validation(`Query condition missed key schema element: ${name}`);
}

/** Matches the parts against a table's or index's key schema. */
export function keyConditionFor(parts: KeyConditionPart[], schema: KeySchemaForQuery): KeyCondition {
  // Value types first: ':a > a' with a number on a string hash key is a type
  // mismatch, not an unsupported condition (dynalite's test/query.js).
  if (schema.types) {
    for (const p of parts) {
      const want = schema.types[p.name];
      if (want === undefined) continue;
      for (const v of p.values) {
        if (typeOf(v) !== want) throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
      }
    }
  }
  const keyCount = schema.range === undefined ? 1 : 2;
  if (parts.length > keyCount) throw notSupported();
  const hash = parts.find((p) => p.name === schema.hash);
  if (hash === undefined) throw missed(schema.hash);
  if (hash.op !== 'EQ') throw notSupported();
  const other = parts.find((p) => p !== hash);
  if (other !== undefined && other.name !== schema.range) {
    throw schema.range === undefined ? notSupported() : missed(schema.range);
  }
  return other === undefined ? { hash: hash.values[0] } : { hash: hash.values[0], range: { op: other.op, values: other.values } };
}
