/**
 * GetItem and Query answer with the stored item text when nothing changes it
 * (no projection, no filter): the items, counts, capacity and paging keys must
 * be what the parsed path gives. Both paths are exercised side by side, on
 * both store backends, and on a global index whose entries share a key (where
 * paging needs the base key of the last entry).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BACKENDS, createTable, startDynamo, type DynamoTestContext } from './helpers';

type Item = Record<string, AttributeValue>;

function item(i: number): Item {
  return {
    pk: { S: 'p' },
    sk: { S: `k${String(i).padStart(3, '0')}` },
    n: { N: String(i * 1.5) },
    b: { B: new Uint8Array([i, 255 - i]) },
    ss: { SS: ['x', `y${i}`] },
    m: { M: { deep: { L: [{ S: 'é "q" \u2028' }, { NULL: true }, { BOOL: i % 2 === 0 }] } } },
    g: { S: i % 3 === 0 ? 'same' : `g${i}` },
    big: { S: 'z'.repeat(500 + i) },
  };
}

async function queryAll(t: DynamoTestContext, input: ConstructorParameters<typeof QueryCommand>[0]): Promise<{ items: Item[]; pages: number; counts: number[] }> {
  const items: Item[] = [];
  const counts: number[] = [];
  let start: Item | undefined;
  let pages = 0;
  do {
    const page = await t.ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    pages++;
    counts.push(page.Count ?? -1);
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
    assert.ok(pages < 100, 'paging does not end');
  } while (start);
  return { items, pages, counts };
}

for (const backend of BACKENDS) describe(`DynamoDB reads of stored item text (${backend})`, () => {
  let t: DynamoTestContext;
  let TableName: string;
  const items = Array.from({ length: 12 }, (_, i) => item(i));
  before(async () => {
    t = await startDynamo({ backend });
    TableName = await createTable(t.ddb, {
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'byG', KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    });
    for (const it of items) await t.ddb.send(new PutItemCommand({ TableName, Item: it }));
  });
  after(() => t?.nimbus.close());

  it('GetItem returns the stored item, its capacity from the stored size, and the same as a projection of every attribute', async () => {
    const want = items[4]!;
    const got = await t.ddb.send(new GetItemCommand({ TableName, Key: { pk: want.pk!, sk: want.sk! }, ReturnConsumedCapacity: 'TOTAL', ConsistentRead: true }));
    assert.deepEqual(got.Item, want);
    assert.deepEqual(got.ConsumedCapacity, { TableName, CapacityUnits: 1 });
    const names = Object.keys(want);
    const projected = await t.ddb.send(
      new GetItemCommand({ TableName, Key: { pk: want.pk!, sk: want.sk! }, ProjectionExpression: names.map((_, i) => `#a${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#a${i}`, n])) }),
    );
    assert.deepEqual(projected.Item, got.Item);
    const missing = await t.ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: 'p' }, sk: { S: 'nope' } }, ReturnConsumedCapacity: 'TOTAL' }));
    assert.equal(missing.Item, undefined);
    assert.deepEqual(missing.ConsumedCapacity, { TableName, CapacityUnits: 0.5 });
  });

  it('Query pages through every item in order, with and without a (pass-all) filter, forwards and backwards', async () => {
    const base = { TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } };
    const raw = await queryAll(t, { ...base, Limit: 5 });
    assert.deepEqual(raw.items, items);
    assert.deepEqual(raw.counts, [5, 5, 2]);
    const filtered = await queryAll(t, { ...base, Limit: 5, FilterExpression: 'attribute_exists(big)' });
    assert.deepEqual(filtered.items, raw.items);
    const back = await queryAll(t, { ...base, Limit: 7, ScanIndexForward: false });
    assert.deepEqual(back.items, [...items].reverse());
    const whole = await t.ddb.send(new QueryCommand({ ...base, ReturnConsumedCapacity: 'TOTAL' }));
    assert.deepEqual(whole.Items, items);
    assert.equal(whole.LastEvaluatedKey, undefined);
    assert.equal(whole.ScannedCount, 12);
    const count = await t.ddb.send(new QueryCommand({ ...base, Select: 'COUNT', Limit: 4 }));
    assert.equal(count.Count, 4);
    assert.equal(count.Items, undefined);
    assert.deepEqual(count.LastEvaluatedKey, { pk: items[3]!.pk, sk: items[3]!.sk });
  });

  it('a global index whose entries share a key pages one entry at a time without losing or repeating any', async () => {
    const same = items.filter((it) => it.g!.S === 'same');
    assert.equal(same.length, 4);
    const r = await queryAll(t, { TableName, IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'same' } }, Limit: 1 });
    assert.deepEqual(
      r.items.map((it) => it.sk!.S).sort(),
      same.map((it) => it.sk!.S).sort(),
    );
    for (const it of r.items) assert.deepEqual(it, items.find((x) => x.sk!.S === it.sk!.S));
  });

  it('one page of more index entries than the store returns at a time continues after the last entry read', async () => {
    // readPage fetches 256 rows at a time; the next fetch starts after the
    // last row's full position (index key, then base key).
    const n = 300;
    for (let i = 0; i < n; i += 25) {
      const batch = Array.from({ length: Math.min(25, n - i) }, (_, j) => ({ PutRequest: { Item: { pk: { S: 'many' }, sk: { S: String(i + j).padStart(4, '0') }, g: { S: 'crowd' } } } }));
      await t.ddb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: batch } }));
    }
    const page = await t.ddb.send(new QueryCommand({ TableName, IndexName: 'byG', KeyConditionExpression: 'g = :g', ExpressionAttributeValues: { ':g': { S: 'crowd' } } }));
    assert.equal(page.Count, n);
    assert.equal(page.LastEvaluatedKey, undefined);
    assert.equal(new Set(page.Items!.map((it) => it.sk!.S)).size, n);
  });
});
