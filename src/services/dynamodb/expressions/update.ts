/**
 * Applies a bound UpdateExpression (AWS: "Update expressions"). Every operand
 * is read from the item as it was before the update, and every list index
 * names an element of the original list, as DynamoDB does: replacements are
 * made first, then removals (highest index first), then appends (an index
 * past the end appends, in index order). The input item is never modified:
 * containers on the changed paths are copied.
 */
import { ServiceError } from '../../../aws';
import type { AttributeValue, Item } from '../model/attribute-value';
import { addNumbers, subtractNumbers } from '../model/number';
import type { Path } from './ast';
import type { BOperand, BUpdateAction } from './bind';
import { INVALID_PATH, MISSING_ATTRIBUTE, WRONG_OPERAND_TYPE, validation } from './errors';
import { getPath } from './evaluate';

export interface UpdateResult {
  item: Item;
  /** The action paths, in expression order, for ReturnValues UPDATED_OLD / UPDATED_NEW (projectPaths). */
  updatedPaths: Path[];
}

function evalUpdateOperand(o: BOperand, item: Item | undefined): AttributeValue {
  switch (o.k) {
    case 'path': {
      const v = getPath(item, o.path);
      if (v === undefined) throw validation(MISSING_ATTRIBUTE);
      return v;
    }
    case 'value':
      return o.v;
    case 'if_not_exists':
      return getPath(item, o.path) ?? evalUpdateOperand(o.fallback, item);
    case 'list_append': {
      const a = evalUpdateOperand(o.a, item);
      if (!('L' in a)) throw validation(WRONG_OPERAND_TYPE);
      const b = evalUpdateOperand(o.b, item);
      if (!('L' in b)) throw validation(WRONG_OPERAND_TYPE);
      return { L: [...a.L, ...b.L] };
    }
    case 'arith': {
      const a = evalUpdateOperand(o.a, item);
      if (!('N' in a)) throw validation(WRONG_OPERAND_TYPE);
      const b = evalUpdateOperand(o.b, item);
      if (!('N' in b)) throw validation(WRONG_OPERAND_TYPE);
      return { N: o.op === '+' ? addNumbers(a.N, b.N) : subtractNumbers(a.N, b.N) };
    }
    case 'size':
      throw new Error('size() is not an update operand');
  }
}

function setKind(v: AttributeValue): 'SS' | 'NS' | 'BS' | null {
  if ('SS' in v) return 'SS';
  if ('NS' in v) return 'NS';
  if ('BS' in v) return 'BS';
  return null;
}

function members(v: AttributeValue, kind: 'SS' | 'NS' | 'BS'): string[] {
  return (v as Record<string, string[]>)[kind];
}

/** ADD: number addition or set union; a missing attribute starts from 0 / the empty set. */
function addValue(existing: AttributeValue | undefined, value: AttributeValue): AttributeValue {
  if (existing === undefined) return value;
  if ('N' in value) {
    if (!('N' in existing)) throw validation(WRONG_OPERAND_TYPE);
    return { N: addNumbers(existing.N, value.N) };
  }
  const kind = setKind(value) as 'SS' | 'NS' | 'BS';
  if (setKind(existing) !== kind) throw validation(WRONG_OPERAND_TYPE);
  const have = members(existing, kind);
  const seen = new Set(have);
  const out = [...have];
  for (const m of members(value, kind)) {
    if (!seen.has(m)) {
      seen.add(m);
      out.push(m);
    }
  }
  return { [kind]: out } as AttributeValue;
}

/** DELETE: set difference; undefined when the set becomes empty (the attribute is removed). */
function deleteValue(existing: AttributeValue, value: AttributeValue): AttributeValue | undefined {
  const kind = setKind(value) as 'SS' | 'NS' | 'BS';
  if (setKind(existing) !== kind) throw validation(WRONG_OPERAND_TYPE);
  const drop = new Set(members(value, kind));
  const out = members(existing, kind).filter((m) => !drop.has(m));
  return out.length === 0 ? undefined : ({ [kind]: out } as AttributeValue);
}

type Container = Record<string, AttributeValue> | AttributeValue[];

interface Change {
  parent: Container;
  seg: string | number;
  /** undefined removes. */
  value: AttributeValue | undefined;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Walks to the container holding the last element of `path` in `root`,
 * copying every container on the way that was not copied yet.
 */
function parentFor(root: Record<string, AttributeValue>, path: Path, copied: Set<object>): Container {
  let container: Container = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i];
    const child: AttributeValue | undefined =
      typeof seg === 'number' ? (container as AttributeValue[])[seg] : hasOwn.call(container, seg) ? (container as Record<string, AttributeValue>)[seg] : undefined;
    const wantList = typeof path[i + 1] === 'number';
    if (child === undefined) throw validation(INVALID_PATH);
    let inner: Container;
    if (wantList) {
      if (!('L' in child)) throw validation(INVALID_PATH);
      inner = child.L;
      if (!copied.has(inner)) {
        inner = [...child.L];
        copied.add(inner);
        setIn(container, seg, { L: inner });
      }
    } else {
      if (!('M' in child)) throw validation(INVALID_PATH);
      inner = child.M;
      if (!copied.has(inner)) {
        inner = { ...child.M };
        copied.add(inner);
        setIn(container, seg, { M: inner });
      }
    }
    container = inner;
  }
  const last = path[path.length - 1];
  // The last step must fit its container: an index into a list, a name into a map.
  if (Array.isArray(container) !== (typeof last === 'number')) throw validation(INVALID_PATH);
  return container;
}

function setIn(container: Container, seg: string | number, v: AttributeValue): void {
  if (Array.isArray(container)) container[seg as number] = v;
  else container[seg as string] = v;
}

function keyError(name: string): ServiceError {
  return validation(`One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`);
}

/**
 * Runs the actions on `item` (undefined: no item yet, start from `key`).
 * Updating a key attribute is refused before anything else (dynalite's tests).
 */
export function applyUpdate(actions: BUpdateAction[], item: Item | undefined, key: Item): UpdateResult {
  for (const a of actions) {
    const head = a.path[0] as string;
    if (hasOwn.call(key, head)) throw keyError(head);
  }
  const base: Item = item ?? key;
  // Operands of SET are all read from the item as it was.
  const setValues = new Map<BUpdateAction, AttributeValue>();
  for (const a of actions) if (a.k === 'set') setValues.set(a, evalUpdateOperand(a.value, base));

  const result: Item = { ...base };
  const copied = new Set<object>([result]);
  const changes: Change[] = [];
  for (const a of actions) {
    const parent = parentFor(result, a.path, copied);
    const seg = a.path[a.path.length - 1];
    switch (a.k) {
      case 'set':
        changes.push({ parent, seg, value: setValues.get(a) });
        break;
      case 'remove':
        changes.push({ parent, seg, value: undefined });
        break;
      case 'add':
        changes.push({ parent, seg, value: addValue(getPath(base, a.path), a.value) });
        break;
      case 'delete': {
        const existing = getPath(base, a.path);
        if (existing !== undefined) changes.push({ parent, seg, value: deleteValue(existing, a.value) });
        break;
      }
    }
  }

  const removals: Change[] = [];
  const appends: Change[] = [];
  for (const c of changes) {
    if (Array.isArray(c.parent)) {
      const i = c.seg as number;
      if (c.value === undefined) removals.push(c);
      else if (i < c.parent.length) c.parent[i] = c.value;
      else appends.push(c);
    } else if (c.value === undefined) delete c.parent[c.seg as string];
    else c.parent[c.seg as string] = c.value;
  }
  // Highest index first, so each removal still names an element of the original list.
  removals.sort((x, y) => (y.seg as number) - (x.seg as number));
  for (const c of removals) {
    const list = c.parent as AttributeValue[];
    const i = c.seg as number;
    if (i < list.length) list.splice(i, 1);
  }
  appends.sort((x, y) => (x.seg as number) - (y.seg as number));
  for (const c of appends) (c.parent as AttributeValue[]).push(c.value as AttributeValue);

  return { item: result, updatedPaths: actions.map((a) => a.path) };
}
