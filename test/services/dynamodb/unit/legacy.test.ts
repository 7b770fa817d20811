/**
 * Legacy parameters (Expected, AttributeUpdates, KeyConditions, QueryFilter,
 * ScanFilter, ConditionalOperator): their translation into expressions, the
 * semantics of each ComparisonOperator and update action once compiled, and
 * DynamoDB's validation messages for them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRequest, translateLegacy, type LegacyRequest } from '../../../../src/services/dynamodb/legacy';
import type { Item } from '../../../../src/services/dynamodb/model/attribute-value';
import { throwsMessage } from './helpers';

const item: Item = {
  pk: { S: 'k' },
  n: { N: '5' },
  s: { S: 'hello' },
  b: { B: Buffer.from('abcdef').toString('base64') },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2'] },
  l: { L: [{ S: 'x' }, { N: '2' }] },
  t: { BOOL: true },
};

/** Whether a PutItem with this Expected map would pass on `it`. */
function expected(exp: unknown, it: Item | null = item, extra: Partial<LegacyRequest> = {}): boolean {
  const c = compileRequest('PutItem', { Expected: exp, ...extra });
  assert.ok(c.condition, 'a condition was compiled');
  return c.condition(it ?? undefined);
}

/** Whether a ScanFilter keeps `it`. */
function scanFilter(filter: unknown, it: Item = item, extra: Partial<LegacyRequest> = {}): boolean {
  const c = compileRequest('Scan', { ScanFilter: filter, ...extra });
  assert.ok(c.filter, 'a filter was compiled');
  return c.filter(it);
}

const cond = (ComparisonOperator: string, ...AttributeValueList: unknown[]) => ({ ComparisonOperator, AttributeValueList });

describe('translation', () => {
  test('requests without legacy parameters come back unchanged', () => {
    const req = { ConditionExpression: 'a = :a', ExpressionAttributeValues: { ':a': { S: 'x' } } };
    const t = translateLegacy('PutItem', req);
    assert.equal(t.legacy, false);
    assert.equal(t.params.ConditionExpression, 'a = :a');
    assert.deepEqual(t.params.ExpressionAttributeValues, req.ExpressionAttributeValues);
  });

  test('Expected becomes a ConditionExpression with generated placeholders', () => {
    const t = translateLegacy('PutItem', { Expected: { 'odd.name': { Value: { S: 'v' } }, gone: { Exists: false } } });
    assert.equal(t.params.ConditionExpression, '(#_L0 = :_L0) AND (attribute_not_exists(#_L1))');
    assert.deepEqual(t.params.ExpressionAttributeNames, { '#_L0': 'odd.name', '#_L1': 'gone' });
    assert.deepEqual(t.params.ExpressionAttributeValues, { ':_L0': { S: 'v' } });
  });

  test('ConditionalOperator OR joins the conditions with OR', () => {
    const t = translateLegacy('Scan', { ScanFilter: { a: cond('NOT_NULL'), b: cond('IN', { N: '1' }, { N: '2' }) }, ConditionalOperator: 'OR' });
    assert.equal(t.params.FilterExpression, '(attribute_exists(#_L0)) OR (#_L1 IN (:_L0, :_L1))');
  });

  test('AttributeUpdates becomes one UpdateExpression with a section per action', () => {
    const t = translateLegacy('UpdateItem', {
      AttributeUpdates: {
        a: { Value: { S: 'x' } },
        b: { Action: 'DELETE' },
        c: { Action: 'ADD', Value: { N: '1' } },
        d: { Action: 'DELETE', Value: { SS: ['z'] } },
        e: { Action: 'ADD', Value: { L: [{ N: '1' }] } },
      },
    });
    assert.equal(t.params.UpdateExpression, 'SET #_L0 = :_L0, #_L4 = list_append(if_not_exists(#_L4, :_L3), :_L4) REMOVE #_L1 ADD #_L2 :_L1 DELETE #_L3 :_L2');
  });

  test('generated placeholders never collide with the request’s own', () => {
    // KeyConditions may go with a FilterExpression; the client's placeholders start with the default prefix.
    const req: LegacyRequest = {
      KeyConditions: { pk: cond('EQ', { S: 'k' }) },
      FilterExpression: '#_L0 = :_L0',
      ExpressionAttributeNames: { '#_L0': 's' },
      ExpressionAttributeValues: { ':_L0': { S: 'hello' } },
    };
    const t = translateLegacy('Query', req);
    assert.equal(t.params.KeyConditionExpression, '#__L0 = :__L0');
    assert.deepEqual(t.params.ExpressionAttributeNames, { '#_L0': 's', '#__L0': 'pk' });
    const c = compileRequest('Query', req);
    assert.deepEqual(c.keyCondition!({ hash: 'pk', types: { pk: 'S' } }), { hash: { S: 'k' } });
    assert.equal(c.filter!(item), true);
    assert.equal(c.filter!({ ...item, s: { S: 'bye' } }), false);
  });

  test('IN with more values than an expression takes is split', () => {
    const list = Array.from({ length: 150 }, (_, i) => ({ N: String(i) }));
    const t = translateLegacy('Scan', { ScanFilter: { n: cond('IN', ...list) } });
    assert.match(t.params.FilterExpression!, /^#_L0 IN \(.*\) OR #_L0 IN \(.*\)$/);
    assert.equal(scanFilter({ n: cond('IN', ...list) }, { n: { N: '120' } }), true);
    assert.equal(scanFilter({ n: cond('IN', ...list) }, { n: { N: '150' } }), false);
  });
});

describe('comparison operators', () => {
  test('EQ and NE, types never equal across types', () => {
    assert.equal(scanFilter({ n: cond('EQ', { N: '5.0' }) }), true);
    assert.equal(scanFilter({ n: cond('EQ', { S: '5' }) }), false);
    assert.equal(scanFilter({ ss: cond('EQ', { SS: ['b', 'a'] }) }), true);
    assert.equal(scanFilter({ n: cond('NE', { N: '5' }) }), false);
    assert.equal(scanFilter({ n: cond('NE', { S: '5' }) }), true);
    assert.equal(scanFilter({ missing: cond('NE', { S: 'x' }) }), true);
    assert.equal(scanFilter({ missing: cond('EQ', { S: 'x' }) }), false);
  });

  test('LT LE GT GE and BETWEEN order numbers, strings and binaries; other types never match', () => {
    assert.equal(scanFilter({ n: cond('LT', { N: '10' }) }), true);
    assert.equal(scanFilter({ n: cond('LE', { N: '5' }) }), true);
    assert.equal(scanFilter({ n: cond('GT', { N: '5' }) }), false);
    assert.equal(scanFilter({ n: cond('GE', { N: '5' }) }), true);
    assert.equal(scanFilter({ s: cond('GT', { S: 'hell' }) }), true);
    assert.equal(scanFilter({ s: cond('GT', { N: '1' }) }), false);
    assert.equal(scanFilter({ n: cond('BETWEEN', { N: '5' }, { N: '6' }) }), true);
    assert.equal(scanFilter({ n: cond('BETWEEN', { N: '6' }, { N: '7' }) }), false);
    assert.equal(scanFilter({ b: cond('BETWEEN', { B: Buffer.from('a').toString('base64') }, { B: Buffer.from('b').toString('base64') }) }), true);
  });

  test('NULL and NOT_NULL test for the attribute', () => {
    assert.equal(scanFilter({ t: cond('NOT_NULL') }), true);
    assert.equal(scanFilter({ t: cond('NULL') }), false);
    assert.equal(scanFilter({ nope: { ComparisonOperator: 'NULL' } }), true);
  });

  test('CONTAINS and NOT_CONTAINS: substrings, subsequences, set members, list elements', () => {
    assert.equal(scanFilter({ s: cond('CONTAINS', { S: 'ell' }) }), true);
    assert.equal(scanFilter({ ss: cond('CONTAINS', { S: 'a' }) }), true);
    assert.equal(scanFilter({ ns: cond('CONTAINS', { N: '2.0' }) }), true);
    assert.equal(scanFilter({ l: cond('CONTAINS', { S: 'x' }) }), true);
    assert.equal(scanFilter({ b: cond('CONTAINS', { B: Buffer.from('cd').toString('base64') }) }), true);
    assert.equal(scanFilter({ s: cond('CONTAINS', { N: '1' }) }), false);
    assert.equal(scanFilter({ ss: cond('NOT_CONTAINS', { S: 'c' }) }), true);
    assert.equal(scanFilter({ s: cond('NOT_CONTAINS', { S: 'he' }) }), false);
  });

  test('BEGINS_WITH and IN', () => {
    assert.equal(scanFilter({ s: cond('BEGINS_WITH', { S: 'he' }) }), true);
    assert.equal(scanFilter({ s: cond('BEGINS_WITH', { S: 'lo' }) }), false);
    assert.equal(scanFilter({ s: cond('IN', { S: 'x' }, { S: 'hello' }) }), true);
    assert.equal(scanFilter({ s: cond('IN', { S: 'x' }) }), false);
  });

  test('AND by default, OR with ConditionalOperator', () => {
    const f = { n: cond('EQ', { N: '5' }), s: cond('EQ', { S: 'nope' }) };
    assert.equal(scanFilter(f), false);
    assert.equal(scanFilter(f, item, { ConditionalOperator: 'AND' }), false);
    assert.equal(scanFilter(f, item, { ConditionalOperator: 'OR' }), true);
  });
});

describe('Expected', () => {
  test('Value (with or without Exists: true) means equal; Exists: false means absent', () => {
    assert.equal(expected({ n: { Value: { N: '5' } } }), true);
    assert.equal(expected({ n: { Value: { N: '5' }, Exists: true } }), true);
    assert.equal(expected({ n: { Value: { N: '6' } } }), false);
    assert.equal(expected({ t: { Value: { BOOL: true } } }), true);
    assert.equal(expected({ zz: { Exists: false } }), true);
    assert.equal(expected({ n: { Exists: false } }), false);
    // No item at all: nothing exists.
    assert.equal(expected({ pk: { Exists: false } }, null), true);
    assert.equal(expected({ pk: { Value: { S: 'k' } } }, null), false);
  });

  test('ComparisonOperator with Value or AttributeValueList', () => {
    assert.equal(expected({ n: { ComparisonOperator: 'GT', Value: { N: '4' } } }), true);
    assert.equal(expected({ n: cond('BETWEEN', { N: '1' }, { N: '4' }) }), false);
    assert.equal(expected({ n: { ComparisonOperator: 'NOT_NULL' }, s: { ComparisonOperator: 'NULL' } }, item, { ConditionalOperator: 'OR' }), true);
  });

  test('validation, with DynamoDB’s messages', () => {
    const bad = (exp: unknown, message: string) => throwsMessage(() => compileRequest('PutItem', { Expected: exp }), message);
    bad({ a: { Value: { S: 'a' }, AttributeValueList: [] } }, 'One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a');
    bad({ a: { Exists: true, ComparisonOperator: 'EQ', Value: { S: 'a' } } }, 'One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a');
    bad({ a: { ComparisonOperator: 'EQ' } }, 'One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a');
    bad({ a: { Value: { S: 'a' }, ComparisonOperator: 'BETWEEN' } }, 'One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator');
    bad({ a: { Value: { S: 'a' }, ComparisonOperator: 'NULL' } }, 'One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator');
    bad({ a: { AttributeValueList: [{ S: 'a' }] } }, 'One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a');
    bad({ a: {} }, 'One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a');
    bad({ a: { Exists: true } }, 'One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a');
    bad({ a: { Exists: false, Value: { S: 'a' } } }, 'One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a');
    bad({ a: cond('BETWEEN', { N: '1' }, { S: 'a' }) }, 'One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type');
    bad({ a: cond('BETWEEN', { N: '2' }, { N: '1' }) }, 'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
    bad({ a: cond('LT', { SS: ['a'] }) }, 'One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type');
    bad({ a: { Value: { SS: [] } } }, 'One or more parameter values were invalid: An string set  may not be empty');
    bad({ a: cond('EQUALS', { S: 'a' }) }, "1 validation error detected: Value 'EQUALS' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
  });
});

describe('filters', () => {
  test('validation, with DynamoDB’s messages', () => {
    const bad = (filter: unknown, message: string) => throwsMessage(() => compileRequest('Scan', { ScanFilter: filter }), message);
    bad({ a: cond('EQ') }, 'One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator');
    bad({ a: cond('EQ', { S: 'a' }, { S: 'b' }) }, 'One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator');
    bad({ a: cond('NOT_NULL', { S: 'a' }) }, 'One or more parameter values were invalid: Invalid number of argument(s) for the NOT_NULL ComparisonOperator');
    bad({ a: cond('IN') }, 'One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator');
    bad({ a: cond('IN', { S: 'a' }, { N: '1' }) }, 'One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type');
    bad({ a: cond('EQ', { BOOL: true }) }, 'One or more parameter values were invalid: ComparisonOperator EQ is not valid for BOOL AttributeValue type');
    bad({ a: cond('BEGINS_WITH', { N: '1' }) }, 'One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type');
    bad({ a: cond('CONTAINS', { SS: ['a'] }) }, 'One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for SS AttributeValue type');
    bad({ a: cond('BETWEEN', { S: 'b' }, { S: 'a' }) }, 'The BETWEEN condition was provided a range where the lower bound is greater than the upper bound');
    bad({ a: { AttributeValueList: [{ S: 'a' }] } }, "1 validation error detected: Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null");
  });

  test('ConditionalOperator needs a map of two or more conditions, and AND or OR', () => {
    throwsMessage(() => compileRequest('Scan', { ConditionalOperator: 'OR' }), 'ConditionalOperator cannot be used without Filter or Expected');
    throwsMessage(() => compileRequest('Scan', { ScanFilter: { a: cond('NULL') }, ConditionalOperator: 'OR' }), 'ConditionalOperator can only be used when Filter or Expected has two or more elements');
    throwsMessage(() => compileRequest('PutItem', { Expected: { a: { Exists: false } }, ConditionalOperator: 'AND' }), 'ConditionalOperator can only be used when Filter or Expected has two or more elements');
    throwsMessage(
      () => compileRequest('DeleteItem', { Expected: { a: { Exists: false }, b: { Exists: false } }, ConditionalOperator: 'XOR' }),
      "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]",
    );
  });

  test('QueryFilter may not name a key attribute', () => {
    const c = compileRequest('Query', { KeyConditions: { pk: cond('EQ', { S: 'k' }) }, QueryFilter: { sk: cond('NOT_NULL') } });
    throwsMessage(() => c.checkFilterKeys!(['pk', 'sk']), 'QueryFilter can only contain non-primary key attributes: Primary key attribute: sk');
    c.checkFilterKeys!(['pk']);
  });
});

describe('mixing legacy and expression parameters', () => {
  test('is refused, naming both sides in DynamoDB’s order', () => {
    throwsMessage(
      () => compileRequest('PutItem', { Expected: { a: { Exists: false } }, ConditionExpression: 'attribute_not_exists(a)' }),
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}',
    );
    throwsMessage(
      () => compileRequest('UpdateItem', { Expected: { a: { Exists: false } }, AttributeUpdates: {}, UpdateExpression: 'REMOVE a', ConditionExpression: 'attribute_exists(b)' }),
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}',
    );
    throwsMessage(
      () => compileRequest('Query', { QueryFilter: { a: cond('NULL') }, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'k' } } }),
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}',
    );
    throwsMessage(
      () => compileRequest('Query', { KeyConditions: { pk: cond('EQ', { S: 'k' }) }, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'k' } } }),
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}',
    );
    throwsMessage(
      () => compileRequest('Scan', { AttributesToGet: ['a'], FilterExpression: 'attribute_exists(a)' }),
      'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {FilterExpression}',
    );
  });

  test('placeholder maps without expressions of the request’s own are refused', () => {
    throwsMessage(() => compileRequest('PutItem', { Expected: { a: { Exists: false } }, ExpressionAttributeNames: { '#a': 'a' } }), 'ExpressionAttributeNames can only be specified when using expressions');
    throwsMessage(
      () => compileRequest('UpdateItem', { AttributeUpdates: { a: { Action: 'DELETE' } }, ExpressionAttributeValues: { ':a': { S: 'a' } } }),
      'ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null',
    );
    throwsMessage(
      () => compileRequest('Query', { KeyConditions: { pk: cond('EQ', { S: 'k' }) }, ProjectionExpression: 'a', ExpressionAttributeValues: { ':a': { S: 'a' } } }),
      'ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null',
    );
  });

  test('unused placeholders of the request’s own are still reported', () => {
    throwsMessage(
      () => compileRequest('Query', { KeyConditions: { pk: cond('EQ', { S: 'k' }) }, FilterExpression: 'a = :a', ExpressionAttributeValues: { ':a': { S: 'a' }, ':b': { S: 'b' } } }),
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}',
    );
  });
});

describe('KeyConditions', () => {
  const schema = { hash: 'pk', range: 'sk', types: { pk: 'S', sk: 'N' } as Record<string, 'S' | 'N' | 'B'> };
  const key = (kc: unknown, s: typeof schema | { hash: string; types: Record<string, 'S' | 'N' | 'B'> } = schema) => compileRequest('Query', { KeyConditions: kc }).keyCondition!(s);

  test('hash EQ and every range operator', () => {
    assert.deepEqual(key({ pk: cond('EQ', { S: 'k' }) }), { hash: { S: 'k' } });
    assert.deepEqual(key({ pk: cond('EQ', { S: 'k' }), sk: cond('BETWEEN', { N: '1' }, { N: '3' }) }), { hash: { S: 'k' }, range: { op: 'BETWEEN', values: [{ N: '1' }, { N: '3' }] } });
    for (const op of ['EQ', 'LT', 'LE', 'GT', 'GE']) {
      assert.deepEqual(key({ sk: cond(op, { N: '2' }), pk: cond('EQ', { S: 'k' }) }).range, { op, values: [{ N: '2' }] });
    }
    const s = { hash: 'pk', range: 'sk', types: { pk: 'S', sk: 'S' } as Record<string, 'S' | 'N' | 'B'> };
    assert.deepEqual(key({ pk: cond('EQ', { S: 'k' }), sk: cond('BEGINS_WITH', { S: 'a' }) }, s).range, { op: 'BEGINS_WITH', values: [{ S: 'a' }] });
  });

  test('errors, with DynamoDB’s messages', () => {
    throwsMessage(() => compileRequest('Query', { KeyConditions: {} }), 'Conditions can be of length 1 or 2 only');
    throwsMessage(() => compileRequest('Query', {}), 'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    throwsMessage(() => key({ pk: cond('EQ', { S: 'k' }), sk: cond('NE', { N: '1' }) }), 'Attempted conditional constraint is not an indexable operation');
    throwsMessage(() => key({ pk: cond('EQ', { N: '1' }) }), 'One or more parameter values were invalid: Condition parameter type does not match schema type');
    throwsMessage(() => key({ pk: cond('GT', { S: 'k' }) }), 'Query key condition not supported');
    throwsMessage(() => key({ sk: cond('EQ', { N: '1' }) }), 'Query condition missed key schema element: pk');
    throwsMessage(() => key({ pk: cond('EQ', { S: 'k' }), x: cond('EQ', { N: '1' }) }), 'Query condition missed key schema element: sk');
    throwsMessage(() => key({ pk: cond('EQ', { S: 'k' }), x: cond('NE', { N: '1' }) }, { hash: 'pk', types: { pk: 'S' } }), 'Query key condition not supported');
  });
});

describe('AttributeUpdates', () => {
  const key: Item = { pk: { S: 'k' } };
  const update = (au: unknown, it: Item | undefined) => {
    const c = compileRequest('UpdateItem', { AttributeUpdates: au });
    return c.update ? c.update(it, key) : undefined;
  };

  test('PUT, ADD on numbers, sets and lists, DELETE from sets and of attributes', () => {
    const r = update(
      {
        s: { Value: { S: 'new' } },
        n: { Action: 'ADD', Value: { N: '-2' } },
        ss: { Action: 'ADD', Value: { SS: ['b', 'c'] } },
        ns: { Action: 'DELETE', Value: { NS: ['1', '9'] } },
        l: { Action: 'ADD', Value: { L: [{ S: 'y' }] } },
        t: { Action: 'DELETE' },
        fresh: { Action: 'ADD', Value: { N: '3' } },
        list2: { Action: 'ADD', Value: { L: [{ N: '1' }] } },
      },
      item,
    )!;
    assert.deepEqual(r.item, {
      pk: { S: 'k' },
      n: { N: '3' },
      s: { S: 'new' },
      b: item.b,
      ss: { SS: ['a', 'b', 'c'] },
      ns: { NS: ['2'] },
      l: { L: [{ S: 'x' }, { N: '2' }, { S: 'y' }] },
      fresh: { N: '3' },
      list2: { L: [{ N: '1' }] },
    });
    assert.deepEqual(
      r.updatedPaths.map((p) => p[0]).sort(),
      ['fresh', 'l', 'list2', 'n', 'ns', 's', 'ss', 't'],
    );
  });

  test('on a missing item: created from the key, DELETEs do nothing', () => {
    const r = update({ a: { Action: 'DELETE' }, b: { Action: 'DELETE', Value: { SS: ['x'] } }, c: { Action: 'ADD', Value: { NS: ['1'] } } }, undefined)!;
    assert.deepEqual(r.item, { pk: { S: 'k' }, c: { NS: ['1'] } });
  });

  test('deleting the last members of a set removes the attribute', () => {
    assert.deepEqual(update({ ss: { Action: 'DELETE', Value: { SS: ['a', 'b'] } } }, { pk: { S: 'k' }, ss: { SS: ['a', 'b'] } })!.item, { pk: { S: 'k' } });
  });

  test('errors, with DynamoDB’s messages', () => {
    const bad = (au: unknown, message: string, it: Item | undefined = item) => throwsMessage(() => update(au, it), message);
    bad({ a: { Action: 'PUT' } }, 'One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified');
    bad({ a: { Action: 'ADD' } }, 'One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified');
    for (const v of [{ S: '1' }, { N: '1' }, { BOOL: true }, { L: [] }]) {
      bad({ a: { Action: 'DELETE', Value: v } }, `One or more parameter values were invalid: DELETE action with value is not supported for the type ${Object.keys(v)[0]}`);
    }
    for (const v of [{ S: '1' }, { B: 'Yg==' }, { NULL: true }, { M: {} }]) {
      bad({ a: { Action: 'ADD', Value: v } }, `One or more parameter values were invalid: ADD action is not supported for the type ${Object.keys(v)[0]}`);
    }
    bad({ a: { Action: 'REPLACE', Value: { S: 'x' } } }, "1 validation error detected: Value 'REPLACE' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]");
    bad({ pk: { Value: { S: 'other' } } }, 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key');
    // Runtime type errors are worded as AttributeUpdates words them.
    bad({ ss: { Action: 'DELETE', Value: { NS: ['1'] } } }, 'Type mismatch for attribute to update');
    bad({ n: { Action: 'DELETE', Value: { NS: ['1'] } } }, 'Type mismatch for attribute to update');
    bad({ ss: { Action: 'ADD', Value: { NS: ['1'] } } }, 'Type mismatch for attribute to update');
    bad({ ns: { Action: 'ADD', Value: { N: '1' } } }, 'Type mismatch for attribute to update');
    bad({ s: { Action: 'ADD', Value: { L: [{ N: '1' }] } } }, 'Type mismatch for attribute to update');
  });
});
