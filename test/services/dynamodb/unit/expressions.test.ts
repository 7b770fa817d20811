/**
 * compileExpressions as a whole: placeholder maps, empty and unused
 * placeholders, check order across expressions, projections and key
 * conditions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpressions, isReservedWord, type ExpressionParams } from '../../../../src/services/dynamodb/expressions';
import type { Item } from '../../../../src/services/dynamodb/model/attribute-value';
import { throwsMessage } from './helpers';

function err(p: ExpressionParams, message: string): void {
  throwsMessage(() => compileExpressions(p), message);
}

test('placeholders given without expressions', () => {
  err({ ExpressionAttributeNames: { '#a': 'a' } }, 'ExpressionAttributeNames can only be specified when using expressions');
  err({ ExpressionAttributeValues: { ':a': { S: 'a' } }, operation: 'PutItem' }, 'ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null');
  err(
    { ExpressionAttributeValues: {}, operation: 'UpdateItem' },
    'ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null',
  );
  err(
    { ProjectionExpression: 'a', ExpressionAttributeValues: { ':a': { S: 'a' } }, operation: 'Query' },
    'ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null',
  );
  err({ ExpressionAttributeValues: { ':a': { S: 'a' } }, operation: 'Scan' }, 'ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null');
});

test('placeholder maps: empty, bad keys, bad values, in that order', () => {
  err({ ConditionExpression: '', UpdateExpression: '', ExpressionAttributeNames: {}, ExpressionAttributeValues: {} }, 'ExpressionAttributeNames must not be empty');
  err({ ConditionExpression: '', ExpressionAttributeNames: { a: 'a' }, ExpressionAttributeValues: {} }, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"');
  err({ ConditionExpression: 'a = :a', ExpressionAttributeNames: { '#a': '' } }, 'ExpressionAttributeNames contains invalid value: Empty attribute name for key #a');
  err({ ConditionExpression: '', ExpressionAttributeValues: {} }, 'ExpressionAttributeValues must not be empty');
  err({ ConditionExpression: '', ExpressionAttributeValues: { ':b': { a: '' }, b: { S: 'a' } } }, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"');
  err(
    { ConditionExpression: '', ExpressionAttributeValues: { ':b': {} } },
    'ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :b',
  );
  err(
    { ConditionExpression: '', ExpressionAttributeValues: { ':b': { SS: [] } } },
    'ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :b',
  );
  err(
    { ConditionExpression: '', ExpressionAttributeValues: { ':b': { N: '1e126' } } },
    'ExpressionAttributeValues contains invalid value: Number overflow. Attempting to store a number with magnitude larger than supported range for key :b',
  );
});

test('empty expressions, in the order Update, Condition, KeyCondition, Filter, Projection', () => {
  err({ ConditionExpression: '', UpdateExpression: '' }, 'Invalid UpdateExpression: The expression can not be empty;');
  err({ ConditionExpression: '' }, 'Invalid ConditionExpression: The expression can not be empty;');
  err({ KeyConditionExpression: '', FilterExpression: '', ProjectionExpression: '' }, 'Invalid KeyConditionExpression: The expression can not be empty;');
  // Emptiness is checked before any expression is parsed.
  err({ KeyConditionExpression: 'attribute_type(a, :a)', FilterExpression: '', ExpressionAttributeValues: { ':a': { S: 'N' } } }, 'Invalid FilterExpression: The expression can not be empty;');
  err({ FilterExpression: 'a > b', ProjectionExpression: '  ' }, 'Invalid ProjectionExpression: The expression can not be empty;');
});

test('unused placeholders are refused after every expression is checked', () => {
  err(
    {
      UpdateExpression: 'remove a set b = list_append(b, if_not_exists(a, :a))',
      ConditionExpression: 'a = :b',
      ExpressionAttributeValues: { ':a': { S: 'a' }, ':b': { S: 'a' } },
      ExpressionAttributeNames: { '#a': 'a', '#b': 'b' },
    },
    'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}',
  );
  err(
    { UpdateExpression: 'remove a', ConditionExpression: 'a = :b', ExpressionAttributeValues: { ':a': { S: 'a' }, ':b': { S: 'a' }, ':c': { S: 'a' } } },
    'Value provided in ExpressionAttributeValues unused in expressions: keys: {:a, :c}',
  );
  // Placeholders used by any expression count.
  const c = compileExpressions({
    UpdateExpression: 'SET #n = :v',
    ConditionExpression: 'attribute_not_exists(#k)',
    ExpressionAttributeNames: { '#n': 'n', '#k': 'k' },
    ExpressionAttributeValues: { ':v': { N: '1' } },
  });
  assert.equal(c.condition?.(undefined), true);
  // The update is checked before the condition.
  err({ UpdateExpression: 'SET a = :x', ConditionExpression: 'a = :y' }, 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x');
});

const doc: Item = {
  id: { S: '1' },
  a: { M: { b: { S: 'ab' }, c: { N: '1' }, d: { L: [{ S: 'l0' }, { M: { e: { S: 'deep' }, f: { S: 'no' } } }, { S: 'l2' }, { S: 'l3' }] } } },
  lst: { L: [{ N: '0' }, { N: '1' }, { N: '2' }, { N: '3' }] },
  top: { S: 't' },
};

function project(expr: string, names?: Record<string, string>): Item {
  const c = compileExpressions(names ? { ProjectionExpression: expr, ExpressionAttributeNames: names } : { ProjectionExpression: expr });
  assert.ok(c.project);
  return c.project(doc);
}

test('projection: nested shapes, compacted lists, missing paths left out', () => {
  assert.deepEqual(project('top, id'), { top: { S: 't' }, id: { S: '1' } });
  assert.deepEqual(project('a.b, a.d[1].e'), { a: { M: { b: { S: 'ab' }, d: { L: [{ M: { e: { S: 'deep' } } }] } } } });
  assert.deepEqual(project('lst[3], lst[1], lst[9]'), { lst: { L: [{ N: '1' }, { N: '3' }] } });
  assert.deepEqual(project('nope, a.nope, lst[7], top.x, a.b[0]'), {});
  assert.deepEqual(project('#a.#b', { '#a': 'a', '#b': 'b' }), { a: { M: { b: { S: 'ab' } } } });
  assert.deepEqual(project('a'), { a: doc.a });
  const c = compileExpressions({ ProjectionExpression: 'a.b, lst[0]' });
  assert.deepEqual(c.projectionPaths, [['a', 'b'], ['lst', 0]]);
});

test('projection errors', () => {
  err({ ProjectionExpression: 'a b' }, 'Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"');
  err({ ProjectionExpression: 'a,' }, 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","');
  err({ ProjectionExpression: 'a, name' }, 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name');
  err({ ProjectionExpression: 'a, #b' }, 'Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #b');
  err(
    { ProjectionExpression: 'a, a.b' },
    'Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
  );
  err(
    { ProjectionExpression: 'a.b, a[0]' },
    'Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]',
  );
});

function key(expr: string, values: Record<string, unknown>, schema: { hash: string; range?: string; types?: Record<string, 'S' | 'N' | 'B'> }) {
  const c = compileExpressions({ KeyConditionExpression: expr, ExpressionAttributeValues: values });
  assert.ok(c.keyCondition);
  return c.keyCondition(schema);
}

test('key conditions: hash equality and one sort key condition', () => {
  const schema = { hash: 'pk', range: 'sk', types: { pk: 'S' as const, sk: 'N' as const } };
  const v = { ':p': { S: 'x' }, ':a': { N: '1' }, ':b': { N: '5' } };
  assert.deepEqual(key('pk = :p', { ':p': { S: 'x' } }, schema), { hash: { S: 'x' } });
  assert.deepEqual(key('pk = :p AND sk BETWEEN :a AND :b', v, schema), { hash: { S: 'x' }, range: { op: 'BETWEEN', values: [{ N: '1' }, { N: '5' }] } });
  assert.deepEqual(key('sk < :a and :p = pk', { ':p': { S: 'x' }, ':a': { N: '1' } }, schema), { hash: { S: 'x' }, range: { op: 'LT', values: [{ N: '1' }] } });
  // A value first flips the operator.
  assert.deepEqual(key(':a <= sk AND pk = :p', { ':p': { S: 'x' }, ':a': { N: '1' } }, schema).range, { op: 'GE', values: [{ N: '1' }] });
  assert.deepEqual(key('(pk = :p) AND (begins_with(sk, :s))', { ':p': { S: 'x' }, ':s': { S: 'ab' } }, { hash: 'pk', range: 'sk' }).range, {
    op: 'BEGINS_WITH',
    values: [{ S: 'ab' }],
  });
});

test('key conditions: structure errors', () => {
  const f = (expr: string, message: string, values: Record<string, unknown> = {}) =>
    err({ KeyConditionExpression: expr, ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}) }, message);
  f('a > b and size(b) > c or a > c', 'Invalid operator used in KeyConditionExpression: OR');
  f('a in (b, size(c), d)', 'Invalid operator used in KeyConditionExpression: IN');
  f('attribute_exists(a)', 'Invalid operator used in KeyConditionExpression: attribute_exists');
  f('contains(a.d, b)', 'Invalid operator used in KeyConditionExpression: contains');
  f('not a > b', 'Invalid operator used in KeyConditionExpression: NOT');
  f('a <> b', 'Invalid operator used in KeyConditionExpression: <>');
  f('attribute_type(a, :a)', 'Invalid operator used in KeyConditionExpression: attribute_type', { ':a': { S: 'S' } });
  f(':a between size(b) and size(a) and b > :b', 'Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand', {
    ':a': { S: '1' },
    ':b': { S: '1' },
  });
  f('begins_with(:a, b) and a > :b', 'Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand', {
    ':a': { S: '1' },
    ':b': { S: '1' },
  });
  for (const e of ['size(b) > a AND a.b > b AND b > c', 'a > size(b.d)', 'a between size(b) and size(a)']) f(e, 'KeyConditionExpressions cannot contain nested operations');
  for (const e of ['b > a.b', 'b between c[1] and d', 'a between b and size(a)', 'begins_with(a, b)']) {
    f(e, 'Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition');
  }
  for (const e of ['b.d > a AND c.d > e.f', 'a.d > c', 'b[0] > a']) f(e, 'KeyConditionExpressions cannot have conditions on nested attributes');
  f(':b > :a AND a < :b', 'Invalid condition in KeyConditionExpression: No key attribute specified', { ':a': { N: '1' }, ':b': { N: '1' } });
  f('b > :a AND b < :a and c = :a and d = :a', 'KeyConditionExpressions must only contain one condition per key', { ':a': { N: '1' } });
  f('(a > :a and b > :a) and (b > :a and c > :a)', 'KeyConditionExpressions must only contain one condition per key', { ':a': { N: '1' } });
  f('a between :b and :a', 'Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}', {
    ':a': { S: 'a' },
    ':b': { N: '1' },
  });
  f('a > 4', 'Invalid KeyConditionExpression: Syntax error; token: "4", near: "> 4"');
  f('attribute_type(a, b)', 'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}');
});

test('key conditions against the key schema', () => {
  const hashOnly = { hash: 'a', types: { a: 'S' as const } };
  const ranged = { hash: 'a', range: 'b' };
  const S1 = { ':a': { S: '1' } };
  const notSupported = 'Query key condition not supported';
  for (const e of ['a > :a', 'a < :a', ':a <= a', ':a >= a', 'begins_with(a, :a)', 'a between :a and :a', 'a = :a AND b = :a', 'y = :a and z = :a']) {
    throwsMessage(() => key(e, S1, hashOnly), notSupported);
  }
  throwsMessage(() => key('z between :a and :a', S1, ranged), 'Query condition missed key schema element: a');
  throwsMessage(() => key('a = :a and c = :a', S1, ranged), 'Query condition missed key schema element: b');
  throwsMessage(() => key('b = :a', S1, ranged), 'Query condition missed key schema element: a');
  // Value types are checked before the shape (dynalite: ':a > a' on a string key with a number).
  const mismatch = 'One or more parameter values were invalid: Condition parameter type does not match schema type';
  throwsMessage(() => key(':a > a', { ':a': { N: '1' } }, hashOnly), mismatch);
  throwsMessage(() => key('a = :a', { ':a': { N: '1' } }, hashOnly), mismatch);
});

test('reserved words: the whole AWS list, case-insensitive', () => {
  for (const w of ['name', 'NAME', 'Status', 'data', 'size', 'abort', 'zone', 'ttl']) assert.equal(isReservedWord(w), true, w);
  for (const w of ['id', 'pk', 'sk', 'email', 'createdAt']) assert.equal(isReservedWord(w), false, w);
});
