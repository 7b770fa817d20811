/**
 * Recursive-descent parsers for condition (also filter and key condition),
 * update and projection expressions, plus the checks that depend on the text
 * alone. Grammar and error precedence follow DynamoDB's documented syntax
 * (AWS: "Condition and filter expressions, operators, and functions",
 * "Update expressions", "Projection expressions") and dynalite's grammars
 * (db/conditionParser.pegjs), whose tests were recorded against the service:
 *
 *  1. syntax errors (`Syntax error; token: "x", near: "y"`), first one found;
 *  2. then, in this order: redundant parentheses, unknown functions, functions
 *     used where they are not allowed, reserved words (conditions); unknown
 *     functions, misused functions, reserved words, repeated sections (updates).
 *
 * Errors that need the placeholders' values come later, in bind.ts.
 */
import type { Arith, Comparator, Cond, FnCall, Operand, PathElem, PathNode, UpdateAction, ValueRef } from './ast';
import { ExpressionError } from './errors';
import { tokenize, type Token } from './lexer';
import { isReservedWord } from './reserved-words';

export const CONDITION_FUNCTIONS: ReadonlySet<string> = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains']);
export const UPDATE_FUNCTIONS: ReadonlySet<string> = new Set(['if_not_exists', 'list_append']);
/** size() is the only function that yields an operand in a condition. */
const OPERAND_FUNCTIONS: ReadonlySet<string> = new Set(['size']);

const CONDITION_KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const UPDATE_KEYWORDS: ReadonlySet<string> = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);
const COMPARATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);

class SyntaxFail {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

class Parser {
  readonly toks: Token[];
  pos = 0;
  /** Redundant parentheses seen (only meaningful in conditions). */
  redundantParens = 0;
  private readonly parenthesized = new WeakSet<object>();

  constructor(
    readonly src: string,
    readonly keywords: ReadonlySet<string>,
  ) {
    this.toks = tokenize(src);
  }

  peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)];
  }

  next(): Token {
    const t = this.toks[this.pos];
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  isKeyword(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text.length === word.length && t.text.toUpperCase() === word;
  }

  isAnyKeyword(t: Token): boolean {
    return t.kind === 'ident' && this.keywords.has(t.text.toUpperCase());
  }

  isPunct(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  /**
   * DynamoDB's syntax error: the offending token, and the text around it
   * from the previous token to the next one (for "SET x = numx / :v" the
   * service answers token "/", near "numx / :v"; at the end, near is the
   * last token).
   */
  fail(at: number = this.pos): SyntaxFail {
    const t = this.toks[at];
    const prev = at > 0 ? this.toks[at - 1] : undefined;
    let near: string;
    if (t.kind === 'eof') near = prev ? this.src.slice(prev.start, prev.end) : '';
    else {
      const nextTok = this.toks[at + 1];
      const end = nextTok && nextTok.kind !== 'eof' ? nextTok.end : t.end;
      near = this.src.slice(prev ? prev.start : t.start, end);
    }
    return new SyntaxFail(at, `Syntax error; token: "${t.text}", near: "${near}"`);
  }

  expectPunct(p: string): void {
    if (!this.isPunct(this.peek(), p)) throw this.fail();
    this.next();
  }

  markParenthesized<T extends object>(node: T): T {
    if (this.parenthesized.has(node)) this.redundantParens++;
    this.parenthesized.add(node);
    return node;
  }

  /** Runs `fn`; on a syntax error restores the position and returns the error. */
  attempt<T>(fn: () => T): T | SyntaxFail {
    const pos = this.pos;
    const parens = this.redundantParens;
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof SyntaxFail)) throw e;
      this.pos = pos;
      this.redundantParens = parens;
      return e;
    }
  }

  // ------------------------------------------------------------ paths

  pathHead(): PathElem {
    const t = this.peek();
    if (t.kind === 'ident' && !this.isAnyKeyword(t)) {
      this.next();
      return { k: 'name', name: t.text };
    }
    if (t.kind === 'name') {
      this.next();
      return { k: 'ph', ref: t.text };
    }
    throw this.fail();
  }

  pathSuffixes(elems: PathElem[]): PathElem[] {
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '.')) {
        this.next();
        elems.push(this.pathHead());
      } else if (this.isPunct(t, '[')) {
        this.next();
        const n = this.peek();
        if (n.kind !== 'number') throw this.fail();
        this.next();
        this.expectPunct(']');
        elems.push({ k: 'index', index: Number(n.text) });
      } else return elems;
    }
  }

  path(): PathNode {
    return { k: 'path', elems: this.pathSuffixes([this.pathHead()]) };
  }

  // ------------------------------------------------------------ conditions

  condition(): Cond {
    const c = this.or();
    if (this.peek().kind !== 'eof') throw this.fail();
    return c;
  }

  or(): Cond {
    let left = this.and();
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      left = { k: 'or', left, right: this.and() };
    }
    return left;
  }

  and(): Cond {
    let left = this.not();
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      left = { k: 'and', left, right: this.not() };
    }
    return left;
  }

  not(): Cond {
    if (this.isKeyword(this.peek(), 'NOT')) {
      this.next();
      return { k: 'not', c: this.not() };
    }
    return this.primary();
  }

  primary(): Cond {
    if (!this.isPunct(this.peek(), '(')) return this.comparison();
    // "(" opens either a parenthesized condition or an operand such as "(a) > b".
    const grouped = this.attempt(() => {
      this.next();
      const c = this.or();
      this.expectPunct(')');
      // "(size(a)) > b": what was read as a condition is the left operand.
      const t = this.peek();
      if ((t.kind === 'punct' && COMPARATORS.has(t.text)) || this.isKeyword(t, 'BETWEEN') || this.isKeyword(t, 'IN')) throw this.fail();
      return this.markParenthesized(c);
    });
    if (!(grouped instanceof SyntaxFail)) return grouped;
    const cmp = this.attempt(() => this.comparison());
    if (!(cmp instanceof SyntaxFail)) return cmp;
    throw cmp.at >= grouped.at ? cmp : grouped;
  }

  comparison(): Cond {
    const left = this.operand();
    const t = this.peek();
    if (t.kind === 'punct' && COMPARATORS.has(t.text)) {
      this.next();
      return { k: 'cmp', op: t.text as Comparator, left, right: this.operand() };
    }
    if (this.isKeyword(t, 'BETWEEN')) {
      this.next();
      const lo = this.operand();
      if (!this.isKeyword(this.peek(), 'AND')) throw this.fail();
      this.next();
      return { k: 'between', x: left, lo, hi: this.operand() };
    }
    if (this.isKeyword(t, 'IN')) {
      this.next();
      this.expectPunct('(');
      const list = [this.operand()];
      while (this.isPunct(this.peek(), ',')) {
        this.next();
        list.push(this.operand());
      }
      this.expectPunct(')');
      return { k: 'in', x: left, list };
    }
    if (left.k === 'fn') return { k: 'call', fn: left };
    throw this.fail();
  }

  operand(): Operand {
    const t = this.peek();
    if (this.isPunct(t, '(')) {
      this.next();
      const inner = this.operand();
      this.expectPunct(')');
      this.markParenthesized(inner);
      // A grouped path may go on: "(a.b).c" (dynalite's grammar, GroupedPathExpression).
      if (inner.k === 'path' && (this.isPunct(this.peek(), '.') || this.isPunct(this.peek(), '['))) {
        return { k: 'path', elems: this.pathSuffixes([...inner.elems]) };
      }
      return inner;
    }
    if (t.kind === 'value') {
      this.next();
      return { k: 'value', ref: t.text };
    }
    if (t.kind === 'ident' && this.isPunct(this.peek(1), '(') && !this.isAnyKeyword(t)) {
      this.next();
      this.next();
      const args = [this.operand()];
      while (this.isPunct(this.peek(), ',')) {
        this.next();
        args.push(this.operand());
      }
      this.expectPunct(')');
      return { k: 'fn', name: t.text, args };
    }
    return this.path();
  }

  // ------------------------------------------------------------ updates

  update(): { actions: UpdateAction[]; repeated: string | null } {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    let repeated: string | null = null;
    do {
      const t = this.peek();
      const section = t.kind === 'ident' ? t.text.toUpperCase() : '';
      if (!UPDATE_KEYWORDS.has(section)) throw this.fail();
      this.next();
      if (seen.has(section) && repeated === null) repeated = section;
      seen.add(section);
      for (;;) {
        actions.push(this.updateAction(section));
        if (!this.isPunct(this.peek(), ',')) break;
        this.next();
      }
    } while (this.peek().kind !== 'eof');
    return { actions, repeated };
  }

  updateAction(section: string): UpdateAction {
    const path = this.path();
    switch (section) {
      case 'SET':
        this.expectPunct('=');
        return { k: 'set', path, value: this.setValue() };
      case 'REMOVE':
        return { k: 'remove', path };
      default: {
        const v = this.peek();
        if (v.kind !== 'value') throw this.fail();
        this.next();
        const value: ValueRef = { k: 'value', ref: v.text };
        return section === 'ADD' ? { k: 'add', path, value } : { k: 'delete', path, value };
      }
    }
  }

  setValue(): Operand {
    const left = this.updateOperand();
    const t = this.peek();
    if (this.isPunct(t, '+') || this.isPunct(t, '-')) {
      this.next();
      const arith: Arith = { k: 'arith', op: t.text as '+' | '-', left, right: this.updateOperand() };
      return arith;
    }
    return left;
  }

  updateOperand(): Operand {
    const t = this.peek();
    if (this.isPunct(t, '(')) {
      this.next();
      const inner = this.setValue();
      this.expectPunct(')');
      return inner;
    }
    if (t.kind === 'value') {
      this.next();
      return { k: 'value', ref: t.text };
    }
    if (t.kind === 'ident' && this.isPunct(this.peek(1), '(') && !this.isAnyKeyword(t)) {
      this.next();
      this.next();
      const args = [this.updateOperand()];
      while (this.isPunct(this.peek(), ',')) {
        this.next();
        args.push(this.updateOperand());
      }
      this.expectPunct(')');
      return { k: 'fn', name: t.text, args };
    }
    return this.path();
  }

  // ------------------------------------------------------------ projections

  projection(): PathNode[] {
    const paths = [this.path()];
    while (this.isPunct(this.peek(), ',')) {
      this.next();
      paths.push(this.path());
    }
    if (this.peek().kind !== 'eof') throw this.fail();
    return paths;
  }
}

function run<T>(p: Parser, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SyntaxFail) throw new ExpressionError(e.message);
    throw e;
  }
}

// ------------------------------------------------------------ text-only checks

function reservedIn(path: PathNode): string | null {
  for (const e of path.elems) if (e.k === 'name' && isReservedWord(e.name)) return e.name;
  return null;
}

function operandsOf(c: Cond): Operand[] {
  switch (c.k) {
    case 'cmp':
      return [c.left, c.right];
    case 'between':
      return [c.x, c.lo, c.hi];
    case 'in':
      return [c.x, ...c.list];
    case 'call':
      return [c.fn];
    default:
      return [];
  }
}

function conditionsOf(c: Cond, out: Cond[] = []): Cond[] {
  if (c.k === 'and' || c.k === 'or') {
    conditionsOf(c.left, out);
    conditionsOf(c.right, out);
  } else if (c.k === 'not') conditionsOf(c.c, out);
  else out.push(c);
  return out;
}

/** Post-order walk of function calls (inner calls first, as DynamoDB reports them). */
function eachCall(o: Operand, fn: (call: FnCall, parent: FnCall | null) => void, parent: FnCall | null = null): void {
  if (o.k === 'fn') {
    for (const a of o.args) eachCall(a, fn, o);
    fn(o, parent);
  } else if (o.k === 'arith') {
    eachCall(o.left, fn, parent);
    eachCall(o.right, fn, parent);
  }
}

/** Document-order walk of the paths of an operand. */
function eachPath(o: Operand, fn: (p: PathNode) => void): void {
  if (o.k === 'path') fn(o);
  else if (o.k === 'fn') for (const a of o.args) eachPath(a, fn);
  else if (o.k === 'arith') {
    eachPath(o.left, fn);
    eachPath(o.right, fn);
  }
}

function misuse(name: string): string {
  return `The function is not allowed to be used this way in an expression; function: ${name}`;
}

function checkCondition(cond: Cond, redundantParens: number): void {
  if (redundantParens > 0) throw new ExpressionError('The expression has redundant parentheses;');
  const atoms = conditionsOf(cond);
  let unknown: string | null = null;
  let misused: string | null = null;
  for (const atom of atoms) {
    if (atom.k === 'call' && OPERAND_FUNCTIONS.has(atom.fn.name)) {
      // size() alone is not a condition; its arguments are looked at first.
      for (const a of atom.fn.args) visitCalls(a, false);
      misused ??= misuse(atom.fn.name);
      continue;
    }
    for (const o of operandsOf(atom)) visitCalls(o, atom.k === 'call' && o === atom.fn);
  }
  function visitCalls(o: Operand, isCondition: boolean): void {
    eachCall(o, (call, parent) => {
      const name = call.name;
      if (!CONDITION_FUNCTIONS.has(name) && !OPERAND_FUNCTIONS.has(name)) {
        unknown ??= UPDATE_FUNCTIONS.has(name) ? `The function is not allowed in a condition expression; function: ${name}` : `Invalid function name; function: ${name}`;
        return;
      }
      const asCondition = isCondition && parent === null;
      if (CONDITION_FUNCTIONS.has(name) && !asCondition) misused ??= misuse(name);
    });
  }
  if (unknown !== null) throw new ExpressionError(unknown);
  if (misused !== null) throw new ExpressionError(misused);
  for (const atom of atoms) {
    for (const o of operandsOf(atom)) {
      let found: string | null = null;
      eachPath(o, (p) => {
        found ??= reservedIn(p);
      });
      if (found !== null) throw new ExpressionError(`Attribute name is a reserved keyword; reserved keyword: ${found}`);
    }
  }
}

function checkUpdate(actions: UpdateAction[], repeated: string | null): void {
  let unknown: string | null = null;
  let misused: string | null = null;
  for (const a of actions) {
    if (a.k !== 'set') continue;
    eachCall(a.value, (call, parent) => {
      const name = call.name;
      if (!UPDATE_FUNCTIONS.has(name)) {
        unknown ??=
          CONDITION_FUNCTIONS.has(name) || OPERAND_FUNCTIONS.has(name)
            ? `The function is not allowed in an update expression; function: ${name}`
            : `Invalid function name; function: ${name}`;
        return;
      }
      // list_append cannot take the result of another list_append (observed on
      // the service by ScyllaDB's Alternator tests, test_update_expression.py).
      if (name === 'list_append' && parent !== null && parent.name === 'list_append') misused ??= misuse(name);
    });
  }
  if (unknown !== null) throw new ExpressionError(unknown);
  if (misused !== null) throw new ExpressionError(misused);
  for (const a of actions) {
    let found = reservedIn(a.path);
    if (found === null && (a.k === 'set' || a.k === 'add' || a.k === 'delete')) {
      eachPath(a.value, (p) => {
        found ??= reservedIn(p);
      });
    }
    if (found !== null) throw new ExpressionError(`Attribute name is a reserved keyword; reserved keyword: ${found}`);
  }
  if (repeated !== null) throw new ExpressionError(`The "${repeated}" section can only be used once in an update expression;`);
}

// ------------------------------------------------------------ entry points

export function parseCondition(src: string): Cond {
  const p = new Parser(src, CONDITION_KEYWORDS);
  const cond = run(p, () => p.condition());
  checkCondition(cond, p.redundantParens);
  return cond;
}

export function parseUpdate(src: string): UpdateAction[] {
  const p = new Parser(src, UPDATE_KEYWORDS);
  const { actions, repeated } = run(p, () => p.update());
  checkUpdate(actions, repeated);
  return actions;
}

export function parseProjection(src: string): PathNode[] {
  const p = new Parser(src, new Set());
  const paths = run(p, () => p.projection());
  for (const path of paths) {
    const found = reservedIn(path);
    if (found !== null) throw new ExpressionError(`Attribute name is a reserved keyword; reserved keyword: ${found}`);
  }
  return paths;
}

export { conditionsOf, eachPath, operandsOf };
