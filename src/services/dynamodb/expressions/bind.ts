/**
 * Resolves a parsed expression's `#names` and `:values` for one request and
 * runs the checks that need them, producing the bound trees the evaluators
 * walk. Error precedence inside one condition follows dynalite's grammar
 * (recorded against the service): undefined placeholder, then operand count,
 * then "must be distinct", then operand types; the first condition (in
 * document order) with any of them is the one reported.
 */
import { typeOf, compareScalar, type AttributeType, type AttributeValue } from '../model/attribute-value';
import type { Comparator, Cond, FnCall, Operand, Path, PathNode, UpdateAction } from './ast';
import { ExpressionError } from './errors';
import { conditionsOf } from './parser';

// ------------------------------------------------------------ bound trees

export type BOperand =
  | { k: 'path'; path: Path }
  | { k: 'value'; v: AttributeValue }
  | { k: 'size'; arg: BOperand }
  | { k: 'if_not_exists'; path: Path; fallback: BOperand }
  | { k: 'list_append'; a: BOperand; b: BOperand }
  | { k: 'arith'; op: '+' | '-'; a: BOperand; b: BOperand };

export type BCond =
  | { k: 'cmp'; op: Comparator; a: BOperand; b: BOperand }
  | { k: 'between'; x: BOperand; lo: BOperand; hi: BOperand }
  | { k: 'in'; x: BOperand; list: BOperand[] }
  | { k: 'exists'; path: Path; negate: boolean }
  | { k: 'attribute_type'; a: BOperand; type: BOperand }
  | { k: 'begins_with'; a: BOperand; b: BOperand }
  | { k: 'contains'; a: BOperand; b: BOperand }
  | { k: 'and' | 'or'; left: BCond; right: BCond }
  | { k: 'not'; c: BCond };

export type BUpdateAction =
  | { k: 'set'; path: Path; value: BOperand }
  | { k: 'remove'; path: Path }
  | { k: 'add'; path: Path; value: AttributeValue }
  | { k: 'delete'; path: Path; value: AttributeValue };

// ------------------------------------------------------------ context

export interface BindContext {
  names: Record<string, string> | undefined;
  values: Record<string, AttributeValue> | undefined;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

const FUNCTION_ARITY: Record<string, number> = {
  attribute_exists: 1,
  attribute_not_exists: 1,
  attribute_type: 2,
  begins_with: 2,
  contains: 2,
  size: 1,
  if_not_exists: 2,
  list_append: 2,
};

const VALID_TYPE_NAMES: ReadonlySet<string> = new Set(['S', 'N', 'B', 'NULL', 'SS', 'BOOL', 'L', 'BS', 'NS', 'M']);

/** The first error of each kind found while binding one condition. */
class Findings {
  placeholder: string | null = null;
  operands: string | null = null;
  distinct: string | null = null;
  types: string | null = null;

  first(): string | null {
    return this.placeholder ?? this.operands ?? this.distinct ?? this.types;
  }
}

export function formatPath(path: Path): string {
  return '[' + path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join(', ') + ']';
}

function pathsEqual(a: Path, b: Path): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function resolvePath(node: PathNode, ctx: BindContext, f: Findings): Path {
  const out: Path = new Array(node.elems.length);
  for (let i = 0; i < node.elems.length; i++) {
    const e = node.elems[i];
    if (e.k === 'name') out[i] = e.name;
    else if (e.k === 'index') out[i] = e.index;
    else {
      const name = ctx.names?.[e.ref];
      if (name === undefined) {
        f.placeholder ??= `An expression attribute name used in the document path is not defined; attribute name: ${e.ref}`;
        out[i] = e.ref;
      } else {
        ctx.usedNames.add(e.ref);
        out[i] = name;
      }
    }
  }
  return out;
}

const NULL_VALUE: AttributeValue = { NULL: true };

function resolveValue(ref: string, ctx: BindContext, f: Findings): AttributeValue {
  const v = ctx.values?.[ref];
  if (v === undefined) {
    f.placeholder ??= `An expression attribute value used in expression is not defined; attribute value: ${ref}`;
    return NULL_VALUE;
  }
  ctx.usedValues.add(ref);
  return v;
}

/** The type an operand is known to have before any item is seen (values, size()). */
function staticType(o: BOperand): AttributeType | null {
  if (o.k === 'value') return typeOf(o.v);
  if (o.k === 'size' || o.k === 'arith') return 'N';
  if (o.k === 'list_append') return 'L';
  return null;
}

function wrongType(fn: string, type: string): string {
  return `Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${type}`;
}

function notDistinct(op: string, path: Path): string {
  return `The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${formatPath(path)}`;
}

function checkDistinct(op: string, a: BOperand, b: BOperand, f: Findings): void {
  if (a.k === 'path' && b.k === 'path' && pathsEqual(a.path, b.path)) f.distinct ??= notDistinct(op, a.path);
}

/** "AttributeValue: {N:1}", as the BETWEEN messages print bounds. */
function describeValue(v: AttributeValue): string {
  const t = typeOf(v);
  const raw = (v as Record<string, unknown>)[t];
  return `AttributeValue: {${t}:${Array.isArray(raw) ? `[${raw.join(', ')}]` : String(raw)}}`;
}

// ------------------------------------------------------------ conditions

function bindConditionOperand(o: Operand, ctx: BindContext, f: Findings): BOperand {
  switch (o.k) {
    case 'path':
      return { k: 'path', path: resolvePath(o, ctx, f) };
    case 'value':
      return { k: 'value', v: resolveValue(o.ref, ctx, f) };
    case 'fn': {
      // Only size() reaches here: the parser refused other functions as operands.
      const args = o.args.map((a) => bindConditionOperand(a, ctx, f));
      if (args.length !== 1) {
        f.operands ??= `Incorrect number of operands for operator or function; operator or function: ${o.name}, number of operands: ${args.length}`;
        return { k: 'size', arg: args[0] };
      }
      const t = staticType(args[0]);
      if (t === 'N' || t === 'BOOL' || t === 'NULL') f.types ??= wrongType('size', t);
      return { k: 'size', arg: args[0] };
    }
    case 'arith':
      throw new Error('unreachable: the condition grammar has no arithmetic');
  }
}

function bindConditionFunction(fn: FnCall, ctx: BindContext, f: Findings): BCond {
  const args = fn.args.map((a) => bindConditionOperand(a, ctx, f));
  const arity = FUNCTION_ARITY[fn.name];
  const dummy: BCond = { k: 'exists', path: [], negate: false };
  if (args.length !== arity) {
    f.operands ??= `Incorrect number of operands for operator or function; operator or function: ${fn.name}, number of operands: ${args.length}`;
    return dummy;
  }
  if (args.length === 2) checkDistinct(fn.name, args[0], args[1], f);
  switch (fn.name) {
    case 'attribute_exists':
    case 'attribute_not_exists': {
      const a = args[0];
      if (a.k !== 'path') {
        f.types ??= `Operator or function requires a document path; operator or function: ${fn.name}`;
        return dummy;
      }
      return { k: 'exists', path: a.path, negate: fn.name === 'attribute_not_exists' };
    }
    case 'attribute_type': {
      const t = staticType(args[1]);
      if (t !== 'S') {
        // A path as the type gets the list of valid types in place of a type (dynalite).
        f.types ??= wrongType('attribute_type', t ?? '{NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
      } else {
        const name = (args[1] as { k: 'value'; v: { S: string } }).v.S;
        if (!VALID_TYPE_NAMES.has(name)) f.types ??= `Invalid attribute type name found; type: ${name}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`;
      }
      return { k: 'attribute_type', a: args[0], type: args[1] };
    }
    case 'begins_with':
      for (const a of args) {
        const t = staticType(a);
        if (t !== null && t !== 'S' && t !== 'B') {
          f.types ??= wrongType('begins_with', t);
          break;
        }
      }
      return { k: 'begins_with', a: args[0], b: args[1] };
    default:
      return { k: 'contains', a: args[0], b: args[1] };
  }
}

function checkOrderable(op: string, o: BOperand, f: Findings): void {
  const t = staticType(o);
  if (t !== null && t !== 'S' && t !== 'N' && t !== 'B') f.types ??= wrongType(op, t);
}

function bindAtom(c: Cond, ctx: BindContext, f: Findings): BCond {
  switch (c.k) {
    case 'cmp': {
      const a = bindConditionOperand(c.left, ctx, f);
      const b = bindConditionOperand(c.right, ctx, f);
      checkDistinct(c.op, a, b, f);
      if (c.op !== '=' && c.op !== '<>') {
        checkOrderable(c.op, a, f);
        checkOrderable(c.op, b, f);
      }
      return { k: 'cmp', op: c.op, a, b };
    }
    case 'between': {
      const x = bindConditionOperand(c.x, ctx, f);
      const lo = bindConditionOperand(c.lo, ctx, f);
      const hi = bindConditionOperand(c.hi, ctx, f);
      for (const o of [x, lo, hi]) checkOrderable('BETWEEN', o, f);
      if (lo.k === 'value' && hi.k === 'value' && f.types === null) {
        const tl = typeOf(lo.v);
        const th = typeOf(hi.v);
        if (tl !== th) {
          f.types = `The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: ${describeValue(lo.v)}, upper bound operand: ${describeValue(hi.v)}`;
        } else if ((tl === 'S' || tl === 'N' || tl === 'B') && compareScalar(lo.v, hi.v) > 0) {
          f.types = `The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: ${describeValue(lo.v)}, upper bound operand: ${describeValue(hi.v)}`;
        }
      }
      return { k: 'between', x, lo, hi };
    }
    case 'in': {
      const x = bindConditionOperand(c.x, ctx, f);
      const list = c.list.map((o) => bindConditionOperand(o, ctx, f));
      // At most 100 values in the list (AWS: "Comparison operator and function reference" — IN).
      if (list.length > 100) f.operands ??= `The IN operator is provided with too many operands; number of operands: ${list.length}`;
      return { k: 'in', x, list };
    }
    case 'call':
      return bindConditionFunction(c.fn, ctx, f);
    default:
      throw new Error('not an atom');
  }
}

/** Binds a condition (ConditionExpression, FilterExpression, KeyConditionExpression). */
export function bindCondition(cond: Cond, ctx: BindContext): BCond {
  // Report the first atom, in document order, that has any finding.
  const bound = new Map<Cond, BCond>();
  for (const atom of conditionsOf(cond)) {
    const f = new Findings();
    bound.set(atom, bindAtom(atom, ctx, f));
    const err = f.first();
    if (err !== null) throw new ExpressionError(err);
  }
  return build(cond);
  function build(c: Cond): BCond {
    switch (c.k) {
      case 'and':
      case 'or':
        return { k: c.k, left: build(c.left), right: build(c.right) };
      case 'not':
        return { k: 'not', c: build(c.c) };
      default:
        return bound.get(c) as BCond;
    }
  }
}

// ------------------------------------------------------------ paths shared by updates and projections

/**
 * DynamoDB refuses two paths where one contains the other ("overlap") and two
 * paths that use the same element as a map and as a list ("conflict"), path
 * one being the earlier (dynalite's tests: "Two document paths overlap with
 * each other; must remove or rewrite one of these paths; path one: [a], path
 * two: [a, b]"). All overlaps are looked for before conflicts.
 */
export function checkPathOverlaps(paths: Path[]): void {
  let conflict: string | null = null;
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = paths[i];
      const b = paths[j];
      const m = Math.min(a.length, b.length);
      let k = 0;
      while (k < m && a[k] === b[k]) k++;
      if (k === m) {
        throw new ExpressionError(
          `Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`,
        );
      }
      if (conflict === null && typeof a[k] !== typeof b[k]) {
        conflict = `Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${formatPath(a)}, path two: ${formatPath(b)}`;
      }
    }
  }
  if (conflict !== null) throw new ExpressionError(conflict);
}

export function bindProjection(paths: PathNode[], ctx: BindContext): Path[] {
  const f = new Findings();
  const out = paths.map((p) => resolvePath(p, ctx, f));
  if (f.placeholder !== null) throw new ExpressionError(f.placeholder);
  checkPathOverlaps(out);
  return out;
}

// ------------------------------------------------------------ updates

const HUMAN_TYPES: Record<AttributeType, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  BOOL: 'BOOLEAN',
  NULL: 'NULL',
  M: 'MAP',
  L: 'LIST',
  SS: 'STRING_SET',
  NS: 'NUMBER_SET',
  BS: 'BINARY_SET',
};

function bindUpdateOperand(o: Operand, ctx: BindContext, f: Findings, errors: string[]): BOperand {
  switch (o.k) {
    case 'path':
      return { k: 'path', path: resolvePath(o, ctx, f) };
    case 'value':
      return { k: 'value', v: resolveValue(o.ref, ctx, f) };
    case 'arith': {
      const a = bindUpdateOperand(o.left, ctx, f, errors);
      const b = bindUpdateOperand(o.right, ctx, f, errors);
      for (const x of [a, b]) {
        const t = staticType(x);
        if (t !== null && t !== 'N') {
          errors.push(wrongType(o.op, t));
          break;
        }
      }
      return { k: 'arith', op: o.op, a, b };
    }
    case 'fn': {
      const args = o.args.map((a) => bindUpdateOperand(a, ctx, f, errors));
      if (args.length !== 2) {
        errors.push(`Incorrect number of operands for operator or function; operator or function: ${o.name}, number of operands: ${args.length}`);
        return { k: 'value', v: NULL_VALUE };
      }
      if (o.name === 'if_not_exists') {
        const p = args[0];
        if (p.k !== 'path') {
          errors.push(`Operator or function requires a document path; operator or function: if_not_exists`);
          return { k: 'value', v: NULL_VALUE };
        }
        return { k: 'if_not_exists', path: p.path, fallback: args[1] };
      }
      for (const x of args) {
        const t = staticType(x);
        if (t !== null && t !== 'L') {
          errors.push(wrongType('list_append', t));
          break;
        }
      }
      return { k: 'list_append', a: args[0], b: args[1] };
    }
  }
}

export function bindUpdate(actions: UpdateAction[], ctx: BindContext): BUpdateAction[] {
  const f = new Findings();
  const errors: string[] = [];
  const out: BUpdateAction[] = [];
  for (const a of actions) {
    const path = resolvePath(a.path, ctx, f);
    switch (a.k) {
      case 'set':
        out.push({ k: 'set', path, value: bindUpdateOperand(a.value, ctx, f, errors) });
        break;
      case 'remove':
        out.push({ k: 'remove', path });
        break;
      default:
        out.push({ k: a.k, path, value: resolveValue(a.value.ref, ctx, f) });
    }
  }
  if (f.placeholder !== null) throw new ExpressionError(f.placeholder);
  // ADD takes a number or a set, DELETE a set (AWS: "Update expressions");
  // these are reported before anything about SET (dynalite's tests).
  for (const a of out) {
    if (a.k !== 'add' && a.k !== 'delete') continue;
    const t = typeOf(a.value);
    const ok = t === 'SS' || t === 'NS' || t === 'BS' || (a.k === 'add' && t === 'N');
    if (!ok) {
      throw new ExpressionError(`Incorrect operand type for operator or function; operator: ${a.k.toUpperCase()}, operand type: ${HUMAN_TYPES[t]}`);
    }
  }
  checkPathOverlaps(out.map((a) => a.path));
  if (errors.length > 0) throw new ExpressionError(errors[0]);
  return out;
}
