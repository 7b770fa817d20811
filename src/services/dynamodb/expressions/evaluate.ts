/**
 * Evaluation of bound conditions against an item (AWS: "Comparison operator
 * and function reference"). Comparisons between values of different types,
 * or with a missing attribute, are false rather than errors, as DynamoDB does.
 */
import {
  attributeValueEquals,
  compareScalar,
  typeOf,
  type AttributeValue,
  type Item,
} from '../model/attribute-value';
import { numbersEqual } from '../model/number';
import type { Path } from './ast';
import type { BCond, BOperand } from './bind';

const hasOwn = Object.prototype.hasOwnProperty;

/** The value at `path`, or undefined when any step is missing or of the wrong kind. */
export function getPath(item: Item | undefined, path: Path): AttributeValue | undefined {
  if (item === undefined) return undefined;
  const head = path[0] as string;
  let cur: AttributeValue | undefined = item[head];
  // Items come from JSON: guard against inherited members such as "constructor".
  if (cur === undefined || !hasOwn.call(item, head)) return undefined;
  for (let i = 1; i < path.length; i++) {
    const seg = path[i];
    if (typeof seg === 'number') {
      if (!('L' in cur)) return undefined;
      cur = cur.L[seg];
    } else {
      if (!('M' in cur)) return undefined;
      const m: Record<string, AttributeValue> = cur.M;
      cur = m[seg];
      if (cur !== undefined && !hasOwn.call(m, seg)) return undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * size(): the length of a string in UTF-16 code units (verified against the
 * service by ExtendDB, github.com/ExtendDB/extenddb/pull/67), of a binary in
 * bytes, the number of elements of a set, list or map; other types have no size.
 */
export function sizeOf(v: AttributeValue): number | undefined {
  if ('S' in v) return v.S.length;
  if ('B' in v) return Buffer.from(v.B, 'base64').length;
  if ('SS' in v) return v.SS.length;
  if ('NS' in v) return v.NS.length;
  if ('BS' in v) return v.BS.length;
  if ('L' in v) return v.L.length;
  if ('M' in v) return Object.keys(v.M).length;
  return undefined;
}

/** Condition operands (paths, values and size()); update-only operands are evaluated in update.ts. */
export function evalOperand(o: BOperand, item: Item | undefined): AttributeValue | undefined {
  switch (o.k) {
    case 'path':
      return getPath(item, o.path);
    case 'value':
      return o.v;
    case 'size': {
      const v = evalOperand(o.arg, item);
      if (v === undefined) return undefined;
      const n = sizeOf(v);
      return n === undefined ? undefined : { N: String(n) };
    }
    default:
      throw new Error(`operand ${o.k} is only valid in an update`);
  }
}

function isScalar(v: AttributeValue): boolean {
  return 'S' in v || 'N' in v || 'B' in v;
}

/** Order of two values, or null when they are not comparable scalars of the same type. */
function order(a: AttributeValue | undefined, b: AttributeValue | undefined): number | null {
  if (a === undefined || b === undefined || !isScalar(a)) return null;
  if (typeOf(a) !== typeOf(b)) return null;
  return compareScalar(a, b);
}

function beginsWith(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if ('S' in a) return 'S' in b && a.S.startsWith(b.S);
  if ('B' in a && 'B' in b) {
    const x = Buffer.from(a.B, 'base64');
    const p = Buffer.from(b.B, 'base64');
    return x.length >= p.length && x.subarray(0, p.length).equals(p);
  }
  return false;
}

function contains(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if ('S' in a) return 'S' in b && a.S.includes(b.S);
  if ('SS' in a) return 'S' in b && a.SS.includes(b.S);
  if ('NS' in a) {
    if (!('N' in b)) return false;
    for (const n of a.NS) if (numbersEqual(n, b.N)) return true;
    return false;
  }
  if ('BS' in a) return 'B' in b && a.BS.includes(b.B);
  if ('L' in a) {
    for (const x of a.L) if (attributeValueEquals(x, b)) return true;
    return false;
  }
  // A binary contains a byte subsequence (legacy CONTAINS: "checks for a
  // subsequence of the target"; AWS API reference, Condition).
  if ('B' in a && 'B' in b) return Buffer.from(a.B, 'base64').includes(Buffer.from(b.B, 'base64'));
  return false;
}

export function evalCondition(c: BCond, item: Item | undefined): boolean {
  switch (c.k) {
    case 'and':
      return evalCondition(c.left, item) && evalCondition(c.right, item);
    case 'or':
      return evalCondition(c.left, item) || evalCondition(c.right, item);
    case 'not':
      return !evalCondition(c.c, item);
    case 'cmp': {
      const a = evalOperand(c.a, item);
      const b = evalOperand(c.b, item);
      switch (c.op) {
        case '=':
          return a !== undefined && b !== undefined && attributeValueEquals(a, b);
        case '<>':
          return a === undefined || b === undefined || !attributeValueEquals(a, b);
        case '<': {
          const o = order(a, b);
          return o !== null && o < 0;
        }
        case '<=': {
          const o = order(a, b);
          return o !== null && o <= 0;
        }
        case '>': {
          const o = order(a, b);
          return o !== null && o > 0;
        }
        case '>=': {
          const o = order(a, b);
          return o !== null && o >= 0;
        }
      }
      return false;
    }
    case 'between': {
      const x = evalOperand(c.x, item);
      const lo = order(x, evalOperand(c.lo, item));
      if (lo === null || lo < 0) return false;
      const hi = order(x, evalOperand(c.hi, item));
      return hi !== null && hi <= 0;
    }
    case 'in': {
      const x = evalOperand(c.x, item);
      if (x === undefined) return false;
      for (const o of c.list) {
        const v = evalOperand(o, item);
        if (v !== undefined && attributeValueEquals(x, v)) return true;
      }
      return false;
    }
    case 'exists':
      return (getPath(item, c.path) !== undefined) !== c.negate;
    case 'attribute_type': {
      const v = evalOperand(c.a, item);
      const t = evalOperand(c.type, item);
      return v !== undefined && t !== undefined && 'S' in t && typeOf(v) === t.S;
    }
    case 'begins_with':
      return beginsWith(evalOperand(c.a, item), evalOperand(c.b, item));
    case 'contains':
      return contains(evalOperand(c.a, item), evalOperand(c.b, item));
  }
}
