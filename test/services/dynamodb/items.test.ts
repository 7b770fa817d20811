/**
 * Item operations through the official clients (client-dynamodb, lib-dynamodb
 * and the v2 DocumentClient) against a live Nimbus: writes with conditions and
 * ReturnValues, Query and Scan with every key condition, paging across Limit
 * and the 1 MB page, parallel scans, batches, secondary indexes, numbers.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type QueryCommandOutput, BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand as DocQuery, ScanCommand as DocScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BACKENDS, createTable, rejection, startDynamo, type DynamoTestContext } from './helpers';

for (const backend of BACKENDS) describe(`DynamoDB items (${backend})`, () => {
  let t: DynamoTestContext;
  before(async () => {
    t = await startDynamo({ backend });
  });
  after(() => t?.nimbus.close());

  it('puts, gets (with projection), updates and deletes items through lib-dynamodb', async () => {
    const TableName = await createTable(t.ddb);
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'u1', sk: 'profile', name: 'Ada', tags: new Set(['a', 'b']), address: { city: 'London', zip: 'N1' }, scores: [1, 2, 3] } }));
    const got = await t.doc.send(new GetCommand({ TableName, Key: { pk: 'u1', sk: 'profile' } }));
    assert.deepEqual(got.Item, { pk: 'u1', sk: 'profile', name: 'Ada', tags: new Set(['a', 'b']), address: { city: 'London', zip: 'N1' }, scores: [1, 2, 3] });
    const proj = await t.doc.send(
      new GetCommand({ TableName, Key: { pk: 'u1', sk: 'profile' }, ProjectionExpression: '#n, address.city, scores[1]', ExpressionAttributeNames: { '#n': 'name' } }),
    );
    assert.deepEqual(proj.Item, { name: 'Ada', address: { city: 'London' }, scores: [2] });
    const upd = await t.doc.send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'u1', sk: 'profile' },
        UpdateExpression: 'SET visits = if_not_exists(visits, :zero) + :one, address.city = :c REMOVE scores[0] ADD tags :t',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':c': 'Paris', ':t': new Set(['c']) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    // UPDATED_NEW shows each updated path as it is after the update (scores[0] is now 2).
    assert.deepEqual(upd.Attributes, { visits: 1, address: { city: 'Paris' }, tags: new Set(['a', 'b', 'c']), scores: [2] });
    const all = await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'u1', sk: 'profile' }, UpdateExpression: 'SET visits = visits + :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'ALL_OLD' }));
    assert.equal(all.Attributes?.visits, 1);
    const del = await t.doc.send(new DeleteCommand({ TableName, Key: { pk: 'u1', sk: 'profile' }, ReturnValues: 'ALL_OLD' }));
    assert.equal(del.Attributes?.visits, 2);
    assert.equal((await t.doc.send(new GetCommand({ TableName, Key: { pk: 'u1', sk: 'profile' } }))).Item, undefined);
  });

  it('UpdateItem creates a missing item from its key and refuses to change key attributes', async () => {
    const TableName = await createTable(t.ddb);
    const out = await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'n', sk: '1' }, UpdateExpression: 'SET c = :v', ExpressionAttributeValues: { ':v': 5 }, ReturnValues: 'ALL_NEW' }));
    assert.deepEqual(out.Attributes, { pk: 'n', sk: '1', c: 5 });
    const key = await rejection(t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'n', sk: '1' }, UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': 'x' } })));
    assert.equal(key.name, 'ValidationException');
    assert.match(key.message, /Cannot update attribute pk\. This attribute is part of the key/);
  });

  it('conditions: ConditionalCheckFailedException, with the old item on request', async () => {
    const TableName = await createTable(t.ddb);
    const put = { TableName, Item: { pk: { S: 'c' }, sk: { S: '1' }, v: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' };
    await t.ddb.send(new PutItemCommand(put));
    const again = await rejection(t.ddb.send(new PutItemCommand({ ...put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })));
    assert.equal(again.name, 'ConditionalCheckFailedException');
    assert.equal(again.message, 'The conditional request failed');
    assert.deepEqual(again.error.Item, { pk: { S: 'c' }, sk: { S: '1' }, v: { N: '1' } });
    const upd = await rejection(
      t.ddb.send(new UpdateItemCommand({ TableName, Key: { pk: { S: 'c' }, sk: { S: '1' } }, UpdateExpression: 'SET v = :n', ConditionExpression: 'v > :n', ExpressionAttributeValues: { ':n': { N: '5' } } })),
    );
    assert.equal(upd.name, 'ConditionalCheckFailedException');
    await t.ddb.send(new DeleteItemCommand({ TableName, Key: { pk: { S: 'c' }, sk: { S: '1' } }, ConditionExpression: 'v = :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    const unused = await rejection(
      t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'x' }, sk: { S: 'y' } }, ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':u': { S: 'u' } } })),
    );
    assert.equal(unused.message, 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}');
  });

  it('key and item validation follows AWS', async () => {
    const TableName = await createTable(t.ddb);
    const missing = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' } } })));
    assert.equal(missing.message, 'One or more parameter values were invalid: Missing the key sk in the item');
    const type = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { N: '1' } } })));
    assert.equal(type.message, 'One or more parameter values were invalid: Type mismatch for key sk expected: S actual: N');
    const key = await rejection(t.ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'a' } } })));
    assert.equal(key.message, 'The provided key element does not match the schema');
    const empty = await rejection(t.ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: '' }, sk: { S: 'x' } } })));
    assert.equal(empty.message, 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk');
    const big = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { S: 'b' }, blob: { S: 'x'.repeat(400 * 1024) } } })));
    assert.equal(big.message, 'Item size has exceeded the maximum allowed size');
    const noTable = await rejection(t.ddb.send(new GetItemCommand({ TableName: 'missing-table', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })));
    assert.equal(noTable.name, 'ResourceNotFoundException');
    assert.equal(noTable.message, 'Requested resource not found');
    const badNum = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { S: 'b' }, n: { N: 'abc' } } })));
    assert.equal(badNum.name, 'ValidationException');
  });

  it('numbers keep 38 digits and sort numerically as range keys', async () => {
    const TableName = await createTable(t.ddb, { rangeType: 'N' });
    const values = ['-1e10', '-12.5', '-1.25', '0', '0.001', '1', '1.5', '10', '99999999999999999999999999999999999999', '1E+100'];
    for (const v of [...values].reverse()) await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'n' }, sk: { N: v } } }));
    const q = await t.ddb.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'n' } } }));
    assert.deepEqual(
      q.Items!.map((i) => i.sk.N),
      ['-10000000000', '-12.5', '-1.25', '0', '0.001', '1', '1.5', '10', '99999999999999999999999999999999999999', '1E+100'].map((s) => (s === '1E+100' ? '1' + '0'.repeat(100) : s)),
    );
    const precise = await t.ddb.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: 'n' }, sk: { N: '1' } },
        UpdateExpression: 'SET big = :a ADD big2 :a',
        ExpressionAttributeValues: { ':a': { N: '12345678901234567890123456789012345678' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.equal(precise.Attributes?.big.N, '12345678901234567890123456789012345678');
    const tooMany = await rejection(t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'n' }, sk: { N: '123456789012345678901234567890123456789' } } })));
    assert.equal(tooMany.message, 'Attempting to store more than 38 significant digits in a Number');
  });

  it('Query: every key condition, direction, Limit paging and COUNT', async () => {
    const TableName = await createTable(t.ddb);
    for (let i = 0; i < 20; i++) await t.doc.send(new PutCommand({ TableName, Item: { pk: 'q', sk: `item#${String(i).padStart(2, '0')}`, n: i } }));
    await t.doc.send(new PutCommand({ TableName, Item: { pk: 'q', sk: 'other', n: 100 } }));
    const keys = async (cond: string, values: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      (await t.doc.send(new DocQuery({ TableName, KeyConditionExpression: cond, ExpressionAttributeValues: values, ...extra }))).Items!.map((i) => i.sk as string);
    assert.equal((await keys('pk = :p', { ':p': 'q' })).length, 21);
    assert.deepEqual(await keys('pk = :p AND sk = :s', { ':p': 'q', ':s': 'item#03' }), ['item#03']);
    assert.deepEqual(await keys('pk = :p AND sk < :s', { ':p': 'q', ':s': 'item#02' }), ['item#00', 'item#01']);
    assert.deepEqual(await keys('pk = :p AND sk <= :s', { ':p': 'q', ':s': 'item#01' }), ['item#00', 'item#01']);
    assert.deepEqual(await keys('pk = :p AND sk > :s', { ':p': 'q', ':s': 'item#19' }), ['other']);
    assert.deepEqual(await keys('pk = :p AND sk >= :s', { ':p': 'q', ':s': 'item#19' }), ['item#19', 'other']);
    assert.deepEqual(await keys('pk = :p AND sk BETWEEN :a AND :b', { ':p': 'q', ':a': 'item#05', ':b': 'item#07' }), ['item#05', 'item#06', 'item#07']);
    assert.equal((await keys('pk = :p AND begins_with(sk, :pre)', { ':p': 'q', ':pre': 'item#1' })).length, 10);
    assert.deepEqual(await keys('pk = :p AND begins_with(sk, :pre)', { ':p': 'q', ':pre': 'item#0' }, { ScanIndexForward: false, Limit: 2 }), ['item#09', 'item#08']);
    const filtered = await t.doc.send(new DocQuery({ TableName, KeyConditionExpression: 'pk = :p', FilterExpression: 'n >= :min', ExpressionAttributeValues: { ':p': 'q', ':min': 15 } }));
    assert.equal(filtered.Count, 6);
    assert.equal(filtered.ScannedCount, 21);
    const count = await t.ddb.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } }, Select: 'COUNT' }));
    assert.equal(count.Count, 21);
    assert.equal(count.Items, undefined);
    // Paging with Limit visits every item once, in order.
    const seen: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await t.doc.send(new DocQuery({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'q' }, Limit: 4, ExclusiveStartKey: start }));
      seen.push(...page.Items!.map((i) => i.sk as string));
      start = page.LastEvaluatedKey;
    } while (start);
    assert.equal(seen.length, 21);
    assert.deepEqual([...seen].sort(), seen);
    const between = await rejection(t.doc.send(new DocQuery({ TableName, KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b', ExpressionAttributeValues: { ':p': 'q', ':a': 'z', ':b': 'a' } })));
    assert.match(between.message, /^Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound/);
  });

  it('Query and Scan stop at 1 MB and continue from LastEvaluatedKey', async () => {
    const TableName = await createTable(t.ddb);
    const blob = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 25; i++) await t.doc.send(new PutCommand({ TableName, Item: { pk: 'big', sk: String(i).padStart(3, '0'), blob } }));
    const first = await t.doc.send(new DocQuery({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'big' } }));
    assert.ok(first.Count! >= 9 && first.Count! <= 11, `page of ${first.Count}`);
    assert.ok(first.LastEvaluatedKey);
    let total = first.Count!;
    let start: Record<string, unknown> | undefined = first.LastEvaluatedKey;
    while (start) {
      const page: QueryCommandOutput = await t.doc.send(new DocQuery({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'big' }, ExclusiveStartKey: start }));
      total += page.Count!;
      start = page.LastEvaluatedKey;
    }
    assert.equal(total, 25);
    const scan = await t.doc.send(new DocScan({ TableName, Select: 'COUNT' }));
    assert.ok(scan.LastEvaluatedKey);
    assert.ok(scan.ScannedCount! < 25);
  });

  it('Scan: filters, parallel segments cover every item exactly once', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true });
    for (let i = 0; i < 60; i++) await t.doc.send(new PutCommand({ TableName, Item: { pk: `k${i}`, even: i % 2 === 0 } }));
    const evens = await t.doc.send(new DocScan({ TableName, FilterExpression: 'even = :t', ExpressionAttributeValues: { ':t': true } }));
    assert.equal(evens.Count, 30);
    assert.equal(evens.ScannedCount, 60);
    const seen = new Set<string>();
    for (let s = 0; s < 4; s++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await t.doc.send(new DocScan({ TableName, Segment: s, TotalSegments: 4, Limit: 7, ExclusiveStartKey: start }));
        for (const it of page.Items!) {
          assert.ok(!seen.has(it.pk as string), `${it.pk} twice`);
          seen.add(it.pk as string);
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    assert.equal(seen.size, 60);
    const seg = await rejection(t.ddb.send(new ScanCommand({ TableName, Segment: 4, TotalSegments: 4 })));
    assert.equal(seg.message, 'The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 4 is not less than TotalSegments: 4');
  });

  it('BatchWriteItem and BatchGetItem across tables', async () => {
    const a = await createTable(t.ddb, { hashOnly: true });
    const b = await createTable(t.ddb, { hashOnly: true });
    const out = await t.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [a]: Array.from({ length: 15 }, (_, i) => ({ PutRequest: { Item: { pk: `a${i}`, v: i } } })),
          [b]: Array.from({ length: 10 }, (_, i) => ({ PutRequest: { Item: { pk: `b${i}`, v: i } } })),
        },
      }),
    );
    assert.deepEqual(out.UnprocessedItems, {});
    await t.doc.send(new BatchWriteCommand({ RequestItems: { [a]: [{ DeleteRequest: { Key: { pk: 'a0' } } }] } }));
    const got = await t.doc.send(
      new BatchGetCommand({ RequestItems: { [a]: { Keys: [{ pk: 'a0' }, { pk: 'a1' }, { pk: 'a2' }] }, [b]: { Keys: [{ pk: 'b9' }], ProjectionExpression: 'v' } } }),
    );
    assert.deepEqual(got.Responses?.[a]?.map((i) => i.pk).sort(), ['a1', 'a2']);
    assert.deepEqual(got.Responses?.[b], [{ v: 9 }]);
    assert.deepEqual(got.UnprocessedKeys, {});
    const tooMany = await rejection(
      t.doc.send(new BatchWriteCommand({ RequestItems: { [a]: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: `x${i}` } } })) } })),
    );
    assert.equal(tooMany.name, 'ValidationException');
    const dup = await rejection(t.doc.send(new BatchGetCommand({ RequestItems: { [a]: { Keys: [{ pk: 'a1' }, { pk: 'a1' }] } } })));
    assert.equal(dup.message, 'Provided list of item keys contains duplicates');
  });

  it('global and local secondary indexes, sparse and projected', async () => {
    const TableName = await createTable(t.ddb, {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'created', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title'] } },
      ],
      LocalSecondaryIndexes: [
        { IndexName: 'byCreated', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'created', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
    for (let i = 0; i < 6; i++) {
      await t.doc.send(new PutCommand({ TableName, Item: { pk: 'user', sk: `order#${i}`, created: 100 - i, title: `t${i}`, secret: 's', ...(i < 4 ? { status: i % 2 ? 'open' : 'done' } : {}) } }));
    }
    const open = await t.doc.send(new DocQuery({ TableName, IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'open' } }));
    assert.deepEqual(open.Items, [
      { pk: 'user', sk: 'order#3', status: 'open', created: 97, title: 't3' },
      { pk: 'user', sk: 'order#1', status: 'open', created: 99, title: 't1' },
    ]);
    // Moving an item between index partitions moves its entry.
    await t.doc.send(new UpdateCommand({ TableName, Key: { pk: 'user', sk: 'order#3' }, UpdateExpression: 'SET #s = :d', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':d': 'done' } }));
    const open2 = await t.doc.send(new DocQuery({ TableName, IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'open' } }));
    assert.equal(open2.Count, 1);
    const lsi = await t.doc.send(new DocQuery({ TableName, IndexName: 'byCreated', KeyConditionExpression: 'pk = :p AND created < :c', ExpressionAttributeValues: { ':p': 'user', ':c': 98 } }));
    assert.deepEqual(lsi.Items!.map((i) => i.created), [95, 96, 97]);
    assert.deepEqual(Object.keys(lsi.Items![0]).sort(), ['created', 'pk', 'sk']);
    // An LSI fetches attributes it does not project from the table.
    const full = await t.doc.send(new DocQuery({ TableName, IndexName: 'byCreated', KeyConditionExpression: 'pk = :p AND created = :c', ExpressionAttributeValues: { ':p': 'user', ':c': 95 }, Select: 'ALL_ATTRIBUTES' }));
    assert.equal(full.Items![0].secret, 's');
    const gsiAll = await rejection(t.doc.send(new DocQuery({ TableName, IndexName: 'byStatus', KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'open' }, Select: 'ALL_ATTRIBUTES' })));
    assert.match(gsiAll.message, /Select type ALL_ATTRIBUTES is not supported for global secondary index byStatus/);
    const consistent = await rejection(t.doc.send(new DocQuery({ TableName, IndexName: 'byStatus', ConsistentRead: true, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'open' } })));
    assert.equal(consistent.message, 'Consistent reads are not supported on global secondary indexes');
    const badType = await rejection(t.doc.send(new PutCommand({ TableName, Item: { pk: 'user', sk: 'x', status: 5 } })));
    assert.equal(badType.message, 'One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus');
  });

  it('the v2 DocumentClient works unchanged', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const AWS = require('aws-sdk') as typeof import('aws-sdk');
    const dc = new AWS.DynamoDB.DocumentClient({ endpoint: t.nimbus.awsUrl, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' });
    await dc.put({ TableName, Item: { pk: 'v2', list: [1, 'two'], nested: { ok: true } } }).promise();
    const got = await dc.get({ TableName, Key: { pk: 'v2' } }).promise();
    assert.deepEqual(got.Item, { pk: 'v2', list: [1, 'two'], nested: { ok: true } });
    const q = await dc.query({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'v2' } }).promise();
    assert.equal(q.Count, 1);
  });
});

describe('DynamoDB item collections (tables with local indexes)', () => {
  let t: DynamoTestContext;
  before(async () => {
    // AWS's limit is 10 GB; a small one makes it testable.
    t = await startDynamo({ dynamodb: { itemCollectionLimitBytes: 8 * 1024 } });
  });
  after(() => t?.nimbus.close());

  it('refuses a write that grows a partition past the limit, and only for tables with local indexes', async () => {
    const withLsi = await createTable(t.ddb, {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'at', AttributeType: 'S' },
      ],
      LocalSecondaryIndexes: [{ IndexName: 'byAt', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    });
    const plain = await createTable(t.ddb);
    const blob = 'x'.repeat(1000);
    let refused: { name: string } | null = null;
    for (let i = 0; i < 10 && !refused; i++) {
      try {
        await t.doc.send(new PutCommand({ TableName: withLsi, Item: { pk: 'big', sk: String(i), at: String(i), blob } }));
      } catch (e) {
        refused = e as Error;
      }
    }
    assert.equal(refused?.name, 'ItemCollectionSizeLimitExceededException');
    // Other partitions and shrinking writes still work; tables without local indexes have no limit.
    await t.doc.send(new PutCommand({ TableName: withLsi, Item: { pk: 'small', sk: '0', at: '0' } }));
    await t.doc.send(new PutCommand({ TableName: withLsi, Item: { pk: 'big', sk: '0', at: '0' } }));
    for (let i = 0; i < 12; i++) await t.doc.send(new PutCommand({ TableName: plain, Item: { pk: 'big', sk: String(i), blob } }));
  });
});
