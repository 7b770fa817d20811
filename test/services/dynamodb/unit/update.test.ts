/**
 * Update expressions: SET (arithmetic, if_not_exists, list_append, nested
 * paths, list appends), REMOVE, ADD, DELETE, their runtime errors and the
 * validation messages, with DynamoDB's precedence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpressions, projectPaths, type ExpressionParams } from '../../../../src/services/dynamodb/expressions';
import type { Item } from '../../../../src/services/dynamodb/model/attribute-value';
import { throwsMessage } from './helpers';

const KEY: Item = { id: { S: 'k' } };

function update(expr: string, item: Item | undefined, values?: Record<string, unknown>, names?: Record<string, string>, key: Item = KEY) {
  const p: ExpressionParams = { UpdateExpression: expr };
  if (values) p.ExpressionAttributeValues = values;
  if (names) p.ExpressionAttributeNames = names;
  const c = compileExpressions(p);
  assert.ok(c.update);
  return c.update(item, key);
}

function compileErr(expr: string, message: string, values?: Record<string, unknown>, names?: Record<string, string>): void {
  const p: ExpressionParams = { UpdateExpression: expr };
  if (values) p.ExpressionAttributeValues = values;
  if (names) p.ExpressionAttributeNames = names;
  throwsMessage(() => compileExpressions(p), message);
}

const N = (n: string) => ({ N: n });
const S = (s: string) => ({ S: s });

test('SET: values, nested maps, list elements and appends past the end', () => {
  const item: Item = { id: S('k'), m: { M: { a: N('1') } }, l: { L: [S('a'), S('b')] } };
  const r = update('SET x = :v, m.b = :v, m.a = :w, l[0] = :w, l[9] = :v, l[5] = :w', item, { ':v': S('v'), ':w': N('2') });
  assert.deepEqual(r.item, {
    id: S('k'),
    m: { M: { a: N('2'), b: S('v') } },
    l: { L: [N('2'), S('b'), N('2'), S('v')] },
    x: S('v'),
  });
  assert.deepEqual(r.updatedPaths, [['x'], ['m', 'b'], ['m', 'a'], ['l', 0], ['l', 9], ['l', 5]]);
  // The input is not modified.
  assert.deepEqual(item, { id: S('k'), m: { M: { a: N('1') } }, l: { L: [S('a'), S('b')] } });
});

test('SET: operands are read from the item as it was (swap)', () => {
  const r = update('SET a = b, b = a', { id: S('k'), a: N('1'), b: N('2') });
  assert.deepEqual(r.item, { id: S('k'), a: N('2'), b: N('1') });
});

test('SET: arithmetic is exact with 38 digits', () => {
  const item: Item = { id: S('k'), n: N('99999999999999999999999999999999999998'), f: N('0.1') };
  let r = update('SET n = n + :one, f = f + :two', item, { ':one': N('1'), ':two': N('0.2') });
  assert.deepEqual(r.item.n, N('99999999999999999999999999999999999999'));
  assert.deepEqual(r.item.f, N('0.3'));
  r = update('SET d = :a - n', item, { ':a': N('-1') });
  assert.deepEqual(r.item.d, N('-99999999999999999999999999999999999999'));
  throwsMessage(() => update('SET n = n + :one', { ...item, n: N('99999999999999999999999999999999999999') }, { ':one': N('1.5') }), 'Attempting to store more than 38 significant digits in a Number');
  throwsMessage(() => update('SET n = n + :big', { id: S('k'), n: N('9e125') }, { ':big': N('9e125') }), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
});

test('SET: if_not_exists and list_append', () => {
  const item: Item = { id: S('k'), l: { L: [N('1')] }, c: N('3') };
  const r = update(
    'SET c = if_not_exists(c, :zero), d = if_not_exists(d, :zero), l = list_append(l, :more), p = list_append(:more, l), q = list_append(if_not_exists(q, :empty), :more)',
    item,
    { ':zero': N('0'), ':more': { L: [N('2')] }, ':empty': { L: [] } },
  );
  assert.deepEqual(r.item.c, N('3'));
  assert.deepEqual(r.item.d, N('0'));
  assert.deepEqual(r.item.l, { L: [N('1'), N('2')] });
  assert.deepEqual(r.item.p, { L: [N('2'), N('1')] });
  assert.deepEqual(r.item.q, { L: [N('2')] });
  // if_not_exists can read the key of a new item (dynalite: "should update values from other attributes").
  assert.deepEqual(update('set b = if_not_exists(b, id)', undefined).item, { id: S('k'), b: S('k') });
});

test('REMOVE: attributes, nested members, list elements shift, absent ones are ignored', () => {
  const item: Item = { id: S('k'), a: N('1'), m: { M: { x: N('1'), y: N('2') } }, l: { L: [N('0'), N('1'), N('2'), N('3'), N('4')] } };
  const r = update('REMOVE a, m.x, l[3], l[1], l[10], nope, m.nope', item);
  assert.deepEqual(r.item, { id: S('k'), m: { M: { y: N('2') } }, l: { L: [N('0'), N('2'), N('4')] } });
});

test('ADD: numbers and sets, creating absent attributes', () => {
  const item: Item = { id: S('k'), n: N('5'), ss: { SS: ['a', 'b'] }, l: { L: [N('1')] } };
  const r = update('ADD n :two, newn :two, ss :ss, newss :ss, ns :ns, l[3] :two', item, { ':two': N('2'), ':ss': { SS: ['b', 'c'] }, ':ns': { NS: ['1'] } });
  assert.deepEqual(r.item.n, N('7'));
  assert.deepEqual(r.item.newn, N('2'));
  assert.deepEqual(r.item.ss, { SS: ['a', 'b', 'c'] });
  assert.deepEqual(r.item.newss, { SS: ['b', 'c'] });
  assert.deepEqual(r.item.ns, { NS: ['1'] });
  assert.deepEqual(r.item.l, { L: [N('1'), N('2')] });
});

test('DELETE: set difference; an emptied set disappears; a absent attribute is fine', () => {
  const item: Item = { id: S('k'), ns: { NS: ['1', '2', '3'] }, ss: { SS: ['a'] } };
  const r = update('DELETE ns :ns, ss :ss, absent :ss', item, { ':ns': { NS: ['1', '4'] }, ':ss': { SS: ['a'] } });
  assert.deepEqual(r.item, { id: S('k'), ns: { NS: ['2', '3'] } });
});

test('all clauses together, any order, clause keywords in any case', () => {
  const r = update('delete c :c ADD d :d, e :e remove b SeT f = :f', { id: S('k'), b: S('x'), c: { SS: ['a', 'b'] } }, {
    ':c': { SS: ['a', 'b'] },
    ':d': N('5'),
    ':e': { SS: ['a', 'b'] },
    ':f': { L: [S('a'), N('1')] },
  });
  assert.deepEqual(r.item, { id: S('k'), d: N('5'), e: { SS: ['a', 'b'] }, f: { L: [S('a'), N('1')] } });
});

test('nested update with list indexes, as dynalite recorded it against DynamoDB', () => {
  const key: Item = { a: S('key') };
  const item: Item = { a: S('key'), b: { M: { a: N('1'), b: N('2'), c: N('3') } }, c: { L: [N('1'), N('3')] } };
  const c = compileExpressions({
    UpdateExpression: 'set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a',
    ExpressionAttributeValues: { ':a': N('2'), ':b': { SS: ['a'] } },
  });
  const r = c.update?.(item, key);
  assert.ok(r);
  assert.deepEqual(r.item, {
    a: S('key'),
    b: { M: { a: S('key'), b: N('2'), c: N('4') } },
    c: { L: [N('1'), S('key'), N('3'), N('-1'), N('2'), { SS: ['a'] }] },
  });
  // ReturnValues UPDATED_NEW and UPDATED_OLD.
  assert.deepEqual(projectPaths(r.item, r.updatedPaths), { b: { M: { c: N('4'), a: S('key') } }, c: { L: [S('key'), N('3'), N('2')] } });
  assert.deepEqual(projectPaths(item, r.updatedPaths), { b: { M: { c: N('3'), a: N('1') } }, c: { L: [N('3')] } });
});

test('runtime errors', () => {
  const item: Item = { id: S('k'), s: S('x'), n: N('1'), m: { M: { one: S('a') } }, l: { L: [S('a')] }, ns: { NS: ['1'] }, ss: { SS: ['a'] } };
  const absent = 'The provided expression refers to an attribute that does not exist in the item';
  const wrongType = 'An operand in the update expression has an incorrect data type';
  const badPath = 'The document path provided in the update expression is invalid for update';
  throwsMessage(() => update('SET c = nope', item), absent);
  throwsMessage(() => update('SET c = list_append(nope, l)', item), absent);
  throwsMessage(() => update('SET c = s + :one', item, { ':one': N('1') }), wrongType);
  throwsMessage(() => update('SET c = list_append(l, s)', item), wrongType);
  throwsMessage(() => update('ADD ss :ns', item, { ':ns': { NS: ['1'] } }), wrongType);
  throwsMessage(() => update('ADD ns :n', item, { ':n': N('1') }), wrongType);
  throwsMessage(() => update('ADD s :n', item, { ':n': N('1') }), wrongType);
  throwsMessage(() => update('DELETE ns :ss', item, { ':ss': { SS: ['1'] } }), wrongType);
  throwsMessage(() => update('DELETE n :ns', item, { ':ns': { NS: ['1'] } }), wrongType);
  for (const expr of ['SET nope.a = :v', 'SET nope[1] = :v', 'SET s.a = :v', 'SET m[0] = :v', 'SET l.a = :v', 'REMOVE nope.a', 'REMOVE m[0]', 'REMOVE l.x', 'ADD nope.a :v', 'DELETE m[1] :v']) {
    throwsMessage(() => update(expr, item, expr.includes(':v') ? { ':v': { SS: ['z'] } } : undefined), badPath);
  }
  throwsMessage(() => update('SET b.a = :v', undefined, { ':v': N('1') }), badPath);
});

test('key attributes cannot be updated', () => {
  const key: Item = { a: S('h'), b: S('r') };
  const msg = (k: string) => `One or more parameter values were invalid: Cannot update attribute ${k}. This attribute is part of the key`;
  throwsMessage(() => update('add a.b :a', undefined, { ':a': N('1') }, undefined, key), msg('a'));
  throwsMessage(() => update('remove d set c = :a, a = :a', undefined, { ':a': N('1') }, undefined, key), msg('a'));
  throwsMessage(() => update('set d[1] = :a add b.b :a', undefined, { ':a': N('1') }, undefined, key), msg('b'));
  throwsMessage(() => update('set #k = :a', undefined, { ':a': N('1') }, { '#k': 'b' }, key), msg('b'));
});

test('syntax errors', () => {
  const bad = [
    'whatever', 'set a', 'add a', 'delete a', 'set a=set', 'remove a = b', 'add a = b', 'delete a = b', 'delete a b',
    'delete a if_not_exist(b)', 'add a if_not_exist(b)', 'remove a b', 'set a b', 'set :a = b', 'add :a b', 'delete :a b',
    'remove :a', 'set a = b / c', 'set a = b * c', 'set a[1] = "eight"', 'set a[1] = 1', 'SET a = if_not_exist(a, 100)',
    'SET if_not_exist(a, b) = a', 'set (a = (b + c))', 'set a = (b.c).d + e', 'set a = (b.c)[0] + e', 'set a = b + c + d', 'set a = :v,',
  ];
  for (const expr of bad) {
    assert.throws(() => compileExpressions({ UpdateExpression: expr }), /^ValidationException: Invalid UpdateExpression: Syntax error; token: /, expr);
  }
  compileErr('SET x = numx / :v', 'Invalid UpdateExpression: Syntax error; token: "/", near: "numx / :v"');
  compileErr('SET a = :v +', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "+"');
});

test('text-level errors and their order: functions, reserved words, repeated sections', () => {
  const V = { ':a': S('a'), ':b': S('a') };
  const NM = { '#a': 'a', '#b': 'b' };
  compileErr(' set #c = :c set abOrt = true ', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt', V, NM);
  compileErr(' remove Absolute ', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute');
  compileErr('set #c = if_not_exist(:c) set c = d', 'Invalid UpdateExpression: Invalid function name; function: if_not_exist', V, NM);
  compileErr('set a = size(b)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: size');
  compileErr('set a = list_append(list_append(:a, :b), :c)', 'Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append');
  for (const [expr, section] of [
    ['set a = #c set c = :d', 'SET'],
    ['remove #d set a = b remove e', 'REMOVE'],
    ['add #d :e set a = b add e :f', 'ADD'],
    ['delete #d :e set a = b delete #e :f', 'DELETE'],
  ]) {
    compileErr(expr, `Invalid UpdateExpression: The "${section}" section can only be used once in an update expression;`, V, NM);
  }
});

test('placeholder, type and path errors and their order', () => {
  const V = { ':a': S('a'), ':b': S('a') };
  const NM = { '#a': 'a', '#b': 'b' };
  compileErr('SET #c = if_not_exists(:c)', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #c', V, NM);
  compileErr('SET #a = if_not_exists(:c)', 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :c', V, NM);
  compileErr('set a = if_not_exists(c)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1');
  compileErr('set a = list_append(c)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1');
  compileErr('set a = if_not_exists(:a, c)', 'Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists', { ':a': S('a') });
  const fnType = (fn: string, t: string) => `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: ${fn}, operand type: ${t}`;
  compileErr('set a = list_append(:a, a)', fnType('list_append', 'S'), { ':a': S('a') });
  compileErr('set a = list_append(a, :a)', fnType('list_append', 'N'), { ':a': N('1') });
  compileErr('set a = a + :a', fnType('+', 'S'), { ':a': S('a') });
  compileErr('set a = :a - :c', fnType('-', 'S'), { ':a': S('a'), ':c': { B: 'YQ==' } });
  compileErr('set a = a - :j', fnType('-', 'L'), { ':j': { L: [] } });
  const opType = (op: string, t: string) => `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${op}, operand type: ${t}`;
  compileErr('delete a.b :a', opType('DELETE', 'STRING'), { ':a': S('a') });
  compileErr('add a.b :a', opType('ADD', 'BOOLEAN'), { ':a': { BOOL: true } });
  compileErr('add a.b :a', opType('ADD', 'MAP'), { ':a': { M: {} } });
  compileErr('add a.b :a', opType('ADD', 'LIST'), { ':a': { L: [] } });
  compileErr('add a.b :a', opType('ADD', 'BINARY'), { ':a': { B: 'YQ==' } });
  compileErr('add a.b :a', opType('ADD', 'NULL'), { ':a': { NULL: true } });
  compileErr('delete a.b :a', opType('DELETE', 'NUMBER'), { ':a': N('1') });
  // ADD/DELETE operand types are reported before SET's function problems.
  compileErr('set b = list_append(:a, a), c = if_not_exists(a) add a.b :a', opType('ADD', 'STRING'), { ':a': S('a') });
  const overlap = (one: string, two: string) => `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${one}, path two: ${two}`;
  const conflict = (one: string, two: string) => `Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: ${one}, path two: ${two}`;
  compileErr('set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)', overlap('[c, [1], a]', '[c]'), undefined, { '#c': 'c' });
  compileErr('set #c[3].#d = a, #c[3] = a', overlap('[c, [3], [3]]', '[c, [3]]'), undefined, { '#c': 'c', '#d': '[3]' });
  compileErr('SET a = :a REMOVE a', overlap('[a]', '[a]'), { ':a': S('a') });
  compileErr('set #c[3].#d = a, #c.#d[3] = if_not_exists(a)', conflict('[c, [3], [3]]', '[c, [3], [3]]'), undefined, { '#c': 'c', '#d': '[3]' });
  compileErr('remove a.#c set a[1] = #d', conflict('[a, c]', '[a, [1]]'), undefined, { '#c': 'c', '#d': '[3]' });
});

test('parses are cached by text, values bound per request', () => {
  const expr = 'SET cachedAttr = :v';
  const one = compileExpressions({ UpdateExpression: expr, ExpressionAttributeValues: { ':v': N('1') } });
  const two = compileExpressions({ UpdateExpression: expr, ExpressionAttributeValues: { ':v': N('2') } });
  assert.deepEqual(one.update?.(undefined, KEY).item.cachedAttr, N('1'));
  assert.deepEqual(two.update?.(undefined, KEY).item.cachedAttr, N('2'));
  // Cached failures fail the same way again.
  for (let i = 0; i < 2; i++) compileErr('SET cached = = 1', 'Invalid UpdateExpression: Syntax error; token: "=", near: "= = 1"');
});
