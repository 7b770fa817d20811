/**
 * Parsed expressions, before placeholders are resolved. A parse depends only
 * on the expression text, so it is cached; `bind.ts` resolves `#names` and
 * `:values` per request.
 */

export type PathElem =
  | { k: 'name'; name: string } // a literal attribute name
  | { k: 'ph'; ref: string } // #placeholder
  | { k: 'index'; index: number };

export interface PathNode {
  k: 'path';
  elems: PathElem[];
}

export interface ValueRef {
  k: 'value';
  ref: string;
}

export interface FnCall {
  k: 'fn';
  name: string;
  args: Operand[];
}

/** SET's `a + b` / `a - b`. */
export interface Arith {
  k: 'arith';
  op: '+' | '-';
  left: Operand;
  right: Operand;
}

export type Operand = PathNode | ValueRef | FnCall | Arith;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Cond =
  | { k: 'cmp'; op: Comparator; left: Operand; right: Operand }
  | { k: 'between'; x: Operand; lo: Operand; hi: Operand }
  | { k: 'in'; x: Operand; list: Operand[] }
  | { k: 'call'; fn: FnCall }
  | { k: 'and' | 'or'; left: Cond; right: Cond }
  | { k: 'not'; c: Cond };

export type UpdateAction =
  | { k: 'set'; path: PathNode; value: Operand }
  | { k: 'remove'; path: PathNode }
  | { k: 'add'; path: PathNode; value: ValueRef }
  | { k: 'delete'; path: PathNode; value: ValueRef };

/** A resolved document path: attribute names and list indexes. */
export type Path = (string | number)[];
