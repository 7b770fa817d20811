/**
 * Condition and filter expressions: every comparator and function, logical
 * precedence, nested paths, and DynamoDB's validation messages and their
 * precedence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpressions, type ExpressionParams } from '../../../../src/services/dynamodb/expressions';
import type { Item } from '../../../../src/services/dynamodb/model/attribute-value';
import { throwsMessage } from './helpers';

const item: Item = {
  id: { S: 'k1' },
  n: { N: '5' },
  s: { S: 'hello' },
  b: { B: Buffer.from('abc').toString('base64') },
  t: { BOOL: true },
  z: { NULL: true },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2.5'] },
  bs: { BS: [Buffer.from('x').toString('base64')] },
  l: { L: [{ S: 'x' }, { N: '2' }, { M: { deep: { S: 'yes' } } }] },
  m: { M: { nested: { M: { v: { N: '10' } } }, lst: { L: [{ N: '1' }] } } },
  '#weird': { S: 'w' },
};

const values = {
  ':five': { N: '5.0' },
  ':four': { N: '4' },
  ':six': { N: '6' },
  ':ten': { N: '10' },
  ':hello': { S: 'hello' },
  ':he': { S: 'he' },
  ':ell': { S: 'ell' },
  ':a': { S: 'a' },
  ':x': { S: 'x' },
  ':yes': { S: 'yes' },
  ':ab': { B: Buffer.from('ab').toString('base64') },
  ':bc': { B: Buffer.from('bc').toString('base64') },
  ':two': { N: '2' },
  ':twoFive': { N: '2.50' },
  ':S': { S: 'S' },
  ':N': { S: 'N' },
  ':NULL': { S: 'NULL' },
  ':L': { S: 'L' },
  ':true': { BOOL: true },
  ':list': { L: [{ S: 'x' }, { N: '2' }, { M: { deep: { S: 'yes' } } }] },
  ':xs': { B: Buffer.from('x').toString('base64') },
};

/** Evaluates a condition on `item`, declaring exactly the values it uses. */
/** `on`: the item, or null for no item. */
function cond(expr: string, on: Item | null = item, names?: Record<string, string>): boolean {
  const used = Object.fromEntries(Object.entries(values).filter(([k]) => new RegExp(`${k}(?![A-Za-z0-9_])`).test(expr)));
  const p: ExpressionParams = { ConditionExpression: expr };
  if (Object.keys(used).length > 0) p.ExpressionAttributeValues = used;
  if (names) p.ExpressionAttributeNames = names;
  const c = compileExpressions(p);
  assert.ok(c.condition);
  return c.condition(on ?? undefined);
}

function err(p: ExpressionParams, message: string): void {
  throwsMessage(() => compileExpressions(p), message);
}

test('comparators on numbers, strings and binaries', () => {
  assert.equal(cond('n = :five'), true);
  assert.equal(cond('n <> :five'), false);
  assert.equal(cond('n < :six'), true);
  assert.equal(cond('n <= :five'), true);
  assert.equal(cond('n > :four'), true);
  assert.equal(cond('n >= :six'), false);
  assert.equal(cond(':four < n'), true);
  assert.equal(cond('s = :hello'), true);
  assert.equal(cond('s > :he'), true);
  assert.equal(cond('b > :ab'), true);
  assert.equal(cond('b < :bc'), true);
});

test('comparisons across types or with absent attributes are false, not errors', () => {
  assert.equal(cond('s = :five'), false);
  assert.equal(cond('s < :five'), false);
  assert.equal(cond('s > :five'), false);
  assert.equal(cond('absent = :five'), false);
  assert.equal(cond('absent < :five'), false);
  assert.equal(cond('absent <> :five'), true);
  assert.equal(cond('s <> :five'), true);
});

test('BETWEEN and IN', () => {
  assert.equal(cond('n BETWEEN :four AND :six'), true);
  assert.equal(cond('n between :five and :five'), true);
  assert.equal(cond('n BETWEEN :six AND :ten'), false);
  assert.equal(cond('s BETWEEN :four AND :six'), false);
  assert.equal(cond('n IN (:four, :five)'), true);
  assert.equal(cond('n IN (:four, :six)'), false);
  assert.equal(cond('s in (:hello)'), true);
  assert.equal(cond('absent IN (:four)'), false);
  assert.equal(cond('l IN (:list, :four)'), true);
});

test('functions', () => {
  assert.equal(cond('attribute_exists(n)'), true);
  assert.equal(cond('attribute_exists(m.nested.v)'), true);
  assert.equal(cond('attribute_exists(m.nested.nope)'), false);
  assert.equal(cond('attribute_not_exists(absent)'), true);
  assert.equal(cond('attribute_not_exists(id)', null), true);
  assert.equal(cond('attribute_exists(id)', null), false);
  assert.equal(cond('attribute_type(n, :N)'), true);
  assert.equal(cond('attribute_type(n, :S)'), false);
  assert.equal(cond('attribute_type(z, :NULL)'), true);
  assert.equal(cond('attribute_type(l, :L)'), true);
  assert.equal(cond('begins_with(s, :he)'), true);
  assert.equal(cond('begins_with(s, :ell)'), false);
  assert.equal(cond('begins_with(b, :ab)'), true);
  assert.equal(cond('begins_with(n, :he)'), false);
  assert.equal(cond('contains(s, :ell)'), true);
  assert.equal(cond('contains(ss, :a)'), true);
  assert.equal(cond('contains(ss, :x)'), false);
  assert.equal(cond('contains(ns, :twoFive)'), true);
  assert.equal(cond('contains(bs, :xs)'), true);
  assert.equal(cond('contains(l, :x)'), true);
  assert.equal(cond('contains(l, :two)'), true);
  assert.equal(cond('contains(b, :bc)'), true);
  assert.equal(cond('contains(n, :five)'), false);
  assert.equal(cond('size(s) = :five'), true);
  assert.equal(cond('size(ss) = :two'), true);
  assert.equal(cond('size(l) > :two'), true);
  assert.equal(cond('size(m) = :two'), true);
  assert.equal(cond('size(b) BETWEEN :two AND :four'), true);
  assert.equal(cond('size(n) = :five'), false);
  assert.equal(cond('size(absent) = :five'), false);
  // size() of a string counts UTF-16 code units (verified against the service by ExtendDB).
  const c = compileExpressions({ ConditionExpression: 'size(u) = :three', ExpressionAttributeValues: { ':three': { N: '3' } } });
  assert.equal(c.condition?.({ u: { S: '\u00e9\u{1d11e}' } }), true);
});

test('nested paths, list indexes and placeholders', () => {
  assert.equal(cond('l[2].deep = :yes'), true);
  assert.equal(cond('l[1] = :two'), true);
  assert.equal(cond('l[9] = :two'), false);
  assert.equal(cond('m.nested.v = :ten'), true);
  assert.equal(cond('m.lst[0] < :two'), true);
  assert.equal(cond('m[0] = :two'), false);
  assert.equal(cond('l.x = :two'), false);
  assert.equal(cond('#m.#i.#v = :ten', item, { '#m': 'm', '#i': 'nested', '#v': 'v' }), true);
  // A placeholder is one attribute name, dots and all.
  assert.equal(cond('#w = :x', { 'a.b': { S: 'x' } }, { '#w': 'a.b' }), true);
  assert.equal(cond('(m.nested).v = :ten'), true);
  // Inherited object members are not attributes.
  assert.equal(cond('attribute_exists(hasOwnProperty)'), false);
  assert.equal(cond('attribute_exists(m.toString)'), false);
});

test('precedence: NOT binds tighter than AND, AND tighter than OR; parentheses group', () => {
  // true OR (false AND false) = true; (true OR false) AND false = false
  assert.equal(cond('n = :five OR n = :six AND n = :four'), true);
  assert.equal(cond('(n = :five OR n = :six) AND n = :four'), false);
  assert.equal(cond('NOT n = :five AND n = :six'), false);
  assert.equal(cond('NOT (n = :five AND n = :six)'), true);
  assert.equal(cond('not n = :five or n = :five'), true);
  assert.equal(cond('NOT NOT n = :five'), true);
  assert.equal(cond('(n) = :five'), true);
  assert.equal(cond('(n = :five)'), true);
  assert.equal(cond('(size(s)) = :five'), true);
  assert.equal(cond('(s) BETWEEN :he AND (s)'), true);
});

test('syntax errors report the token and the text around it', () => {
  err({ ConditionExpression: 'a > 4' }, 'Invalid ConditionExpression: Syntax error; token: "4", near: "> 4"');
  err({ ConditionExpression: 'a =' }, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="');
  err({ FilterExpression: 'a in (b,c,)' }, 'Invalid FilterExpression: Syntax error; token: ")", near: ",)"');
  const syntax = [
    'things are not gonna be ok',
    'attribute_exists(Pictures-RearView)',
    'attribute_exists("Pictures.RearView")',
    'attribute_exists(Pictures..RearView)',
    'attribute_exists(Pi#ctures.RearView)',
    'attribute_exists(asdf[a])',
    'a in b, c',
    'a > between',
    'a in b',
    '(a)between(b.(c.d))and(c)',
    '#$.b > a',
    'a > :things.stuff',
    'b[:a] > a',
    '\u00fc > a',
    'size(a).b > a',
    '(size(a)).b > a',
    'size(a)[0] > a',
    'a = b = c',
    'a = :v AND',
  ];
  for (const expr of syntax) {
    assert.throws(() => compileExpressions({ FilterExpression: expr }), /^ValidationException: Invalid FilterExpression: Syntax error; token: /, expr);
  }
});

test('text-level errors and their precedence: parentheses, functions, misuse, reserved words', () => {
  const f = (e: string, msg: string) => err({ FilterExpression: e }, `Invalid FilterExpression: ${msg}`);
  for (const e of ['a=a and a > ((views))', '(a)between(((b.c)).d)and(c)', 'a > whatever((:things), ((a)))', 'a=a AND ((a=a AND a=a)) AND a=a', '((a > :v))']) {
    f(e, 'The expression has redundant parentheses;');
  }
  f('a=a and whatever((:things)) > a', 'Invalid function name; function: whatever');
  f('attRIbute_exIsts((views), #a)', 'Invalid function name; function: attRIbute_exIsts');
  f('if_not_exists(a, :b)', 'The function is not allowed in a condition expression; function: if_not_exists');
  const misuse = (fn: string) => `The function is not allowed to be used this way in an expression; function: ${fn}`;
  f('a=a and attribute_exists((views), (#a)) > b', misuse('attribute_exists'));
  f('attribute_type(things, :a) > b', misuse('attribute_type'));
  f('contains(:things, c) > b', misuse('contains'));
  f('size(contains(a, b)) > a', misuse('contains'));
  f('size(things)', misuse('size'));
  f('a between b and attribute_exists(things)', misuse('attribute_exists'));
  f('a in (b, attribute_exists(things))', misuse('attribute_exists'));
  f('attribute_exists(views, #a)', 'Attribute name is a reserved keyword; reserved keyword: views');
  f(':a < abOrT', 'Attribute name is a reserved keyword; reserved keyword: abOrT');
  // Reserved words come after function problems, before undefined placeholders.
  f('size(views) OR whatever(a)', 'Invalid function name; function: whatever');
});

test('per-condition errors: placeholders, operand counts, distinct operands, operand types', () => {
  const f = (e: string, msg: string, extra: Partial<ExpressionParams> = {}) => err({ FilterExpression: e, ...extra }, `Invalid FilterExpression: ${msg}`);
  f('attribute_exists(#Pictures.RearView, :a) and a=a', 'An expression attribute name used in the document path is not defined; attribute name: #Pictures');
  f('(a)between(b.c[45].#d)and(:a)', 'An expression attribute name used in the document path is not defined; attribute name: #d');
  f(':a < :b', 'An expression attribute value used in expression is not defined; attribute value: :a');
  const count = (fn: string, n: number) => `Incorrect number of operands for operator or function; operator or function: ${fn}, number of operands: ${n}`;
  f('attribute_exists(things, a) and a=a', count('attribute_exists', 2));
  f('attribute_type(things)', count('attribute_type', 1));
  f('begins_with(things, size(a), b)', count('begins_with', 3));
  f('size(things, a) > b', count('size', 2));
  const names = { ExpressionAttributeNames: { '#a': 'a' } };
  const distinct = (op: string, path: string) => `The first operand must be distinct from the remaining operands for this operator or function; operator: ${op}, first operand: ${path}`;
  f('a = a AND #a = b AND :views > a', distinct('=', '[a]'), names);
  f('#a <> a', distinct('<>', '[a]'), names);
  f('contains(ab.bc[1].a, ab.bc[1].#a)', distinct('contains', '[ab, bc, [1], a]'), names);
  const type = (fn: string, t: string) => `Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${t}`;
  f('begins_with(a, :a)', type('begins_with', 'N'), { ExpressionAttributeValues: { ':a': { N: '1' } } });
  f('begins_with(:a, a)', type('begins_with', 'L'), { ExpressionAttributeValues: { ':a': { L: [] } } });
  f('attribute_type(a, :a)', type('attribute_type', 'N'), { ExpressionAttributeValues: { ':a': { N: '1' } } });
  f('size(:a) > a', type('size', 'BOOL'), { ExpressionAttributeValues: { ':a': { BOOL: true } } });
  f('size(size(a)) > :a', type('size', 'N'), { ExpressionAttributeValues: { ':a': { N: '1' } } });
  f('attribute_type(a, :a)', 'Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}', { ExpressionAttributeValues: { ':a': { S: 'X' } } });
  f('attribute_exists(:a) and a=a', 'Operator or function requires a document path; operator or function: attribute_exists', { ExpressionAttributeValues: { ':a': { S: '1' } } });
  f('a < :m', type('<', 'M'), { ExpressionAttributeValues: { ':m': { M: {} } } });
  f(
    'a between :hi and :lo',
    'The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}',
    { ExpressionAttributeValues: { ':hi': { N: '10' }, ':lo': { N: '1' } } },
  );
  f(
    'a between :n and :s',
    'The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}',
    { ExpressionAttributeValues: { ':n': { N: '1' }, ':s': { S: 'a' } } },
  );
  // The first condition with a problem wins; within it, undefined placeholders come first.
  f('a = :undefined AND size(:v) > b', 'An expression attribute value used in expression is not defined; attribute value: :undefined', {
    ExpressionAttributeValues: { ':v': { N: '1' } },
  });
  f('attribute_type(a, size(a)) and a=a and a=:a', type('attribute_type', 'N'), { ExpressionAttributeValues: { ':a': { N: '1' } } });
  const many = Array.from({ length: 101 }, (_, i) => `:v${i}`);
  f(`a IN (${many.join(', ')})`, 'The IN operator is provided with too many operands; number of operands: 101', {
    ExpressionAttributeValues: Object.fromEntries(many.map((k) => [k, { N: '1' }])),
  });
});

test('filter: key attributes are refused on demand', () => {
  const c = compileExpressions({ FilterExpression: 'attribute_exists(x.y) AND size(pk) > :n', ExpressionAttributeValues: { ':n': { N: '1' } } });
  c.checkFilterKeys?.(['other']);
  throwsMessage(() => c.checkFilterKeys?.(['pk', 'sk']), 'Filter Expression can only contain non-primary key attributes: Primary key attribute: pk');
  assert.equal(c.filter?.({ x: { M: { y: { S: '' } } }, pk: { S: 'ab' } }), true);
});
