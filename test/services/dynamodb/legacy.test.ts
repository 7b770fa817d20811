/**
 * Legacy (pre-expression) parameters end to end, through client-dynamodb,
 * lib-dynamodb and the v2 SDK (AWS.DynamoDB and its DocumentClient, which
 * older apps use with Expected, AttributeUpdates, KeyConditions and
 * ScanFilter): conditional writes, attribute updates, queries and scans, and
 * DynamoDB's errors for them.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand as DocQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BACKENDS, createTable, rejection, startDynamo, type DynamoTestContext } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AWS = require('aws-sdk') as typeof import('aws-sdk');

const S = (s: string) => ({ S: s });
const N = (n: number | string) => ({ N: String(n) });

for (const backend of BACKENDS) describe(`DynamoDB legacy parameters (${backend})`, () => {
  let t: DynamoTestContext;
  before(async () => {
    t = await startDynamo({ backend });
  });
  after(() => t?.nimbus.close());

  function v2() {
    const opts = { endpoint: t.nimbus.awsUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', maxRetries: 0 };
    return { ddb: new AWS.DynamoDB(opts), dc: new AWS.DynamoDB.DocumentClient(opts) };
  }

  it('PutItem and DeleteItem with Expected (Exists, Value, ComparisonOperator, ConditionalOperator)', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true });
    const Item = { pk: S('a'), v: N(1), tag: S('x') };
    await t.ddb.send(new PutItemCommand({ TableName, Item, Expected: { pk: { Exists: false } } }));
    const again = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item, Expected: { pk: { Exists: false } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })));
    assert.equal(again.name, 'ConditionalCheckFailedException');
    assert.deepEqual(again.error.Item, Item);
    await t.ddb.send(new PutItemCommand({ TableName, Item: { ...Item, v: N(2) }, Expected: { v: { Value: N(1) }, tag: { Exists: true, Value: S('x') } } }));
    const or = { v: { ComparisonOperator: 'GT' as const, AttributeValueList: [N(10)] }, tag: { ComparisonOperator: 'BEGINS_WITH' as const, AttributeValueList: [S('x')] } };
    await assert.rejects(t.ddb.send(new DeleteItemCommand({ TableName, Key: { pk: S('a') }, Expected: or })), { name: 'ConditionalCheckFailedException' });
    const del = await t.ddb.send(new DeleteItemCommand({ TableName, Key: { pk: S('a') }, Expected: or, ConditionalOperator: 'OR', ReturnValues: 'ALL_OLD' }));
    assert.deepEqual(del.Attributes, { pk: S('a'), v: N(2), tag: S('x') });
  });

  it('UpdateItem with AttributeUpdates (PUT, ADD, DELETE) and Expected, with ReturnValues', async () => {
    const TableName = await createTable(t.ddb);
    const Key = { pk: S('u'), sk: S('1') };
    const created = await t.ddb.send(
      new UpdateItemCommand({
        TableName,
        Key,
        AttributeUpdates: { name: { Value: S('Ada') }, visits: { Action: 'ADD', Value: N(1) }, tags: { Action: 'ADD', Value: { SS: ['a', 'b'] } }, log: { Action: 'ADD', Value: { L: [S('one')] } } },
        Expected: { pk: { Exists: false } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.deepEqual(created.Attributes, { ...Key, name: S('Ada'), visits: N(1), tags: { SS: ['a', 'b'] }, log: { L: [S('one')] } });
    const upd = await t.ddb.send(
      new UpdateItemCommand({
        TableName,
        Key,
        AttributeUpdates: { visits: { Action: 'ADD', Value: N(2) }, tags: { Action: 'DELETE', Value: { SS: ['a'] } }, name: { Action: 'DELETE' }, log: { Action: 'ADD', Value: { L: [S('two')] } } },
        Expected: { visits: { ComparisonOperator: 'EQ', AttributeValueList: [N(1)] } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    assert.deepEqual(upd.Attributes, { visits: N(3), tags: { SS: ['b'] }, log: { L: [S('one'), S('two')] } });
    const got = await t.ddb.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    assert.deepEqual(got.Item, { ...Key, visits: N(3), tags: { SS: ['b'] }, log: { L: [S('one'), S('two')] } });
    const failed = await rejection(t.ddb.send(new UpdateItemCommand({ TableName, Key, AttributeUpdates: { visits: { Action: 'ADD', Value: N(1) } }, Expected: { visits: { Value: N(1) } } })));
    assert.equal(failed.name, 'ConditionalCheckFailedException');
    const mismatch = await rejection(t.ddb.send(new UpdateItemCommand({ TableName, Key, AttributeUpdates: { tags: { Action: 'ADD', Value: { NS: ['1'] } } } })));
    assert.equal(mismatch.name, 'ValidationException');
    assert.equal(mismatch.message, 'Type mismatch for attribute to update');
    const keyPut = await rejection(t.ddb.send(new UpdateItemCommand({ TableName, Key, AttributeUpdates: { sk: { Value: S('2') } } })));
    assert.equal(keyPut.message, 'One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key');
  });

  it('Query with KeyConditions, QueryFilter and ConditionalOperator, on the table and an index, paged', async () => {
    const TableName = await createTable(t.ddb, {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'status', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    });
    for (let i = 1; i <= 6; i++) {
      await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: S('p'), sk: N(i), status: S(i % 2 ? 'odd' : 'even'), color: S(i <= 3 ? 'red' : 'blue') } }));
    }
    const between = await t.ddb.send(
      new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] }, sk: { ComparisonOperator: 'BETWEEN', AttributeValueList: [N(2), N(5)] } }, ScanIndexForward: false }),
    );
    assert.deepEqual(between.Items?.map((x) => x.sk.N), ['5', '4', '3', '2']);
    const filtered = await t.ddb.send(
      new QueryCommand({
        TableName,
        KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } },
        QueryFilter: { color: { ComparisonOperator: 'EQ', AttributeValueList: [S('red')] }, status: { ComparisonOperator: 'EQ', AttributeValueList: [S('even')] } },
        ConditionalOperator: 'OR',
        AttributesToGet: ['sk'],
      }),
    );
    assert.deepEqual(filtered.Items, [1, 2, 3, 4, 6].map((i) => ({ sk: N(i) })));
    assert.equal(filtered.ScannedCount, 6);
    // KeyConditions may go with a FilterExpression.
    const mixedOk = await t.ddb.send(
      new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } }, FilterExpression: 'color = :c', ExpressionAttributeValues: { ':c': S('blue') }, Select: 'COUNT' }),
    );
    assert.equal(mixedOk.Count, 3);
    const page1 = await t.ddb.send(
      new QueryCommand({ TableName, IndexName: 'byStatus', KeyConditions: { status: { ComparisonOperator: 'EQ', AttributeValueList: [S('odd')] }, sk: { ComparisonOperator: 'GE', AttributeValueList: [N(2)] } }, Limit: 1 }),
    );
    assert.deepEqual(page1.Items?.map((x) => x.sk.N), ['3']);
    const page2 = await t.ddb.send(
      new QueryCommand({ TableName, IndexName: 'byStatus', KeyConditions: { status: { ComparisonOperator: 'EQ', AttributeValueList: [S('odd')] }, sk: { ComparisonOperator: 'GE', AttributeValueList: [N(2)] } }, ExclusiveStartKey: page1.LastEvaluatedKey }),
    );
    assert.deepEqual(page2.Items?.map((x) => x.sk.N), ['5']);
    const onKey = await rejection(
      t.ddb.send(new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] } }, QueryFilter: { sk: { ComparisonOperator: 'GT', AttributeValueList: [N(1)] } } })),
    );
    assert.equal(onKey.message, 'QueryFilter can only contain non-primary key attributes: Primary key attribute: sk');
    const notIndexable = await rejection(
      t.ddb.send(new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [S('p')] }, sk: { ComparisonOperator: 'NE', AttributeValueList: [N(1)] } } })),
    );
    assert.equal(notIndexable.message, 'Attempted conditional constraint is not an indexable operation');
    const hashRange = await rejection(t.ddb.send(new QueryCommand({ TableName, KeyConditions: { pk: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: [S('p')] } } })));
    assert.equal(hashRange.message, 'Query key condition not supported');
  });

  it('Scan with ScanFilter and AttributesToGet', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true });
    for (const [pk, n, tags] of [['a', 1, ['x']], ['b', 2, ['y']], ['c', 3, ['x', 'y']]] as const) {
      await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: S(pk), n: N(n), tags: { SS: [...tags] } } }));
    }
    const out = await t.ddb.send(
      new ScanCommand({ TableName, ScanFilter: { tags: { ComparisonOperator: 'CONTAINS', AttributeValueList: [S('x')] }, n: { ComparisonOperator: 'IN', AttributeValueList: [N(1), N(3)] } }, AttributesToGet: ['pk'] }),
    );
    assert.deepEqual(out.Items?.map((x) => x.pk.S).sort(), ['a', 'c']);
    assert.deepEqual(Object.keys(out.Items![0]), ['pk']);
    const none = await t.ddb.send(new ScanCommand({ TableName, ScanFilter: { missing: { ComparisonOperator: 'NOT_NULL' } }, Select: 'COUNT' }));
    assert.equal(none.Count, 0);
    assert.equal(none.ScannedCount, 3);
  });

  it('errors over the wire, with DynamoDB’s messages', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true });
    const mixed = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: S('m') }, Expected: { pk: { Exists: false } }, ConditionExpression: 'attribute_not_exists(pk)' })));
    assert.equal(mixed.name, 'ValidationException');
    assert.equal(mixed.message, 'Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}');
    const arity = await rejection(t.ddb.send(new ScanCommand({ TableName, ScanFilter: { a: { ComparisonOperator: 'EQ', AttributeValueList: [] } } })));
    assert.equal(arity.message, 'One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator');
    const single = await rejection(t.ddb.send(new ScanCommand({ TableName, ScanFilter: { a: { ComparisonOperator: 'NULL' } }, ConditionalOperator: 'OR' })));
    assert.equal(single.message, 'ConditionalOperator can only be used when Filter or Expected has two or more elements');
    const noValue = await rejection(t.ddb.send(new UpdateItemCommand({ TableName, Key: { pk: S('m') }, AttributeUpdates: { a: { Action: 'ADD' } } })));
    assert.equal(noValue.message, 'One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified');
  });

  it('lib-dynamodb marshals legacy parameters too', async () => {
    const TableName = await createTable(t.ddb);
    await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'd', sk: '1' }, AttributeUpdates: { score: { Action: 'ADD', Value: 5 } } }));
    await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'd', sk: '2' }, AttributeUpdates: { score: { Action: 'PUT', Value: 9 } } }));
    const q = await t.doc.send(new DocQuery({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: ['d'] } }, QueryFilter: { score: { ComparisonOperator: 'GT', AttributeValueList: [6] } } }));
    assert.deepEqual(q.Items, [{ pk: 'd', sk: '2', score: 9 }]);
  });

  it('the v2 SDK: AWS.DynamoDB and DocumentClient with legacy parameters', async () => {
    const TableName = await createTable(t.ddb);
    const { ddb, dc } = v2();
    await dc.put({ TableName, Item: { pk: 'v2', sk: 'a', n: 1 }, Expected: { pk: { Exists: false } } }).promise();
    await assert.rejects(dc.put({ TableName, Item: { pk: 'v2', sk: 'a', n: 1 }, Expected: { pk: { Exists: false } } }).promise(), { code: 'ConditionalCheckFailedException' });
    const upd = await dc
      .update({ TableName, Key: { pk: 'v2', sk: 'a' }, AttributeUpdates: { n: { Action: 'ADD', Value: 41 }, tags: { Action: 'ADD', Value: dc.createSet(['t1']) } }, Expected: { n: { Value: 1 } }, ReturnValues: 'ALL_NEW' })
      .promise();
    assert.equal(upd.Attributes?.n, 42);
    assert.deepEqual((upd.Attributes?.tags as { values: string[] }).values, ['t1']);
    await dc.put({ TableName, Item: { pk: 'v2', sk: 'b', n: 7 } }).promise();
    const q = await dc.query({ TableName, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: ['v2'] }, sk: { ComparisonOperator: 'BEGINS_WITH', AttributeValueList: ['a'] } } }).promise();
    assert.deepEqual(q.Items?.map((x) => x.sk), ['a']);
    const s = await dc.scan({ TableName, ScanFilter: { n: { ComparisonOperator: 'LT', AttributeValueList: [10] } } }).promise();
    assert.deepEqual(s.Items?.map((x) => x.sk), ['b']);
    const low = await ddb.scan({ TableName, ScanFilter: { n: { ComparisonOperator: 'BETWEEN', AttributeValueList: [{ N: '40' }, { N: '50' }] } } }).promise();
    assert.deepEqual(low.Items?.map((x) => x.sk.S), ['a']);
    await ddb.deleteItem({ TableName, Key: { pk: { S: 'v2' }, sk: { S: 'b' } }, Expected: { n: { ComparisonOperator: 'NOT_NULL' } } }).promise();
    const err = await ddb.updateItem({ TableName, Key: { pk: { S: 'v2' }, sk: { S: 'a' } }, AttributeUpdates: { n: { Action: 'DELETE', Value: { N: '1' } } } }).promise().catch((e: Error & { code: string }) => e);
    assert.ok(err instanceof Error);
    assert.equal((err as Error & { code: string }).code, 'ValidationException');
    assert.equal(err.message, 'One or more parameter values were invalid: DELETE action with value is not supported for the type N');
  });
});
