/**
 * Table operations through @aws-sdk/client-dynamodb against a live Nimbus:
 * CreateTable / DescribeTable / ListTables (paged) / UpdateTable (GSIs,
 * streams, billing) / DeleteTable, TTL and tags, with AWS's errors.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  QueryCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { BACKENDS, createTable, rejection, startDynamo, uniqueName, type DynamoTestContext } from './helpers';

for (const backend of BACKENDS) describe(`DynamoDB tables (${backend})`, () => {
  let t: DynamoTestContext;
  before(async () => {
    t = await startDynamo({ backend });
  });
  after(() => t?.nimbus.close());

  it('creates a table (CREATING in the answer, ACTIVE after) that the SDK waiter accepts', async () => {
    const TableName = uniqueName('users');
    const out = await t.ddb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        Tags: [{ Key: 'team', Value: 'core' }],
      }),
    );
    assert.equal(out.TableDescription?.TableStatus, 'CREATING');
    assert.equal(out.TableDescription?.TableArn, `arn:aws:dynamodb:us-east-1:000000000000:table/${TableName}`);
    assert.match(out.TableDescription?.TableId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(out.TableDescription?.CreationDateTime instanceof Date);
    await waitUntilTableExists({ client: t.ddb, maxWaitTime: 5, minDelay: 1 }, { TableName });
    const d = await t.ddb.send(new DescribeTableCommand({ TableName }));
    assert.equal(d.Table?.TableStatus, 'ACTIVE');
    assert.deepEqual(d.Table?.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
    assert.equal(d.Table?.ProvisionedThroughput?.ReadCapacityUnits, 5);
    assert.equal(d.Table?.ItemCount, 0);
    await t.ddb.send(new PutItemCommand({ TableName, Item: { id: { S: 'a' }, name: { S: 'Ada' } } }));
    const d2 = await t.ddb.send(new DescribeTableCommand({ TableName }));
    assert.equal(d2.Table?.ItemCount, 1);
    assert.ok((d2.Table?.TableSizeBytes ?? 0) > 0);
  });

  it('refuses a table that exists, and answers unknown tables with ResourceNotFoundException', async () => {
    const TableName = await createTable(t.ddb);
    const dup = await rejection(createTable(t.ddb, { TableName }));
    assert.equal(dup.name, 'ResourceInUseException');
    assert.equal(dup.message, `Table already exists: ${TableName}`);
    const missing = await rejection(t.ddb.send(new DescribeTableCommand({ TableName: 'nope-nope' })));
    assert.equal(missing.name, 'ResourceNotFoundException');
    assert.equal(missing.message, 'Requested resource not found: Table: nope-nope not found');
  });

  it('validates CreateTable as AWS does', async () => {
    const bad = await rejection(
      t.ddb.send(
        new CreateTableCommand({
          TableName: 'ab',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    assert.equal(bad.name, 'ValidationException');
    assert.equal(bad.message, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
    const undef = await rejection(
      t.ddb.send(
        new CreateTableCommand({
          TableName: uniqueName(),
          AttributeDefinitions: [{ AttributeName: 'x', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    assert.equal(undef.message, 'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [x]');
    const noThroughput = await rejection(
      t.ddb.send(
        new CreateTableCommand({
          TableName: uniqueName(),
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      ),
    );
    assert.equal(noThroughput.message, 'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
    const extra = await rejection(
      t.ddb.send(
        new CreateTableCommand({
          TableName: uniqueName(),
          AttributeDefinitions: [
            { AttributeName: 'id', AttributeType: 'S' },
            { AttributeName: 'x', AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    assert.equal(extra.message, 'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
    const lsiNoRange = await rejection(
      createTable(t.ddb, {
        hashOnly: true,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'x', AttributeType: 'S' },
        ],
        LocalSecondaryIndexes: [{ IndexName: 'byX', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'x', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
      }),
    );
    assert.equal(lsiNoRange.message, 'One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
  });

  it('lists tables in pages', async () => {
    const prefix = uniqueName('list');
    for (let i = 0; i < 5; i++) await createTable(t.ddb, { TableName: `${prefix}-${i}` });
    const names: string[] = [];
    let start: string | undefined;
    for (;;) {
      const page = await t.ddb.send(new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: start }));
      assert.ok((page.TableNames?.length ?? 0) <= 2);
      names.push(...(page.TableNames ?? []));
      start = page.LastEvaluatedTableName;
      if (!start) break;
    }
    assert.deepEqual(names.filter((n) => n.startsWith(prefix)), [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    assert.deepEqual([...names].sort(), names);
  });

  it('adds a GSI (backfilled from existing items) and removes it', async () => {
    const TableName = await createTable(t.ddb);
    for (let i = 0; i < 5; i++) {
      await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: `u${i}` }, sk: { S: 'profile' }, email: { S: i % 2 ? 'odd@x' : 'even@x' } } }));
    }
    const upd = await t.ddb.send(
      new UpdateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'email', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'byEmail', KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } } }],
      }),
    );
    assert.equal(upd.TableDescription?.GlobalSecondaryIndexes?.[0]?.IndexName, 'byEmail');
    const q = await t.ddb.send(
      new QueryCommand({ TableName, IndexName: 'byEmail', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': { S: 'even@x' } } }),
    );
    assert.equal(q.Count, 3);
    assert.deepEqual(Object.keys(q.Items![0]).sort(), ['email', 'pk', 'sk']);
    const two = await rejection(
      t.ddb.send(
        new UpdateTableCommand({
          TableName,
          GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byEmail' } }, { Delete: { IndexName: 'other' } }],
        }),
      ),
    );
    assert.equal(two.name, 'LimitExceededException');
    await t.ddb.send(new UpdateTableCommand({ TableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byEmail' } }] }));
    const after = await t.ddb.send(new DescribeTableCommand({ TableName }));
    assert.deepEqual(after.Table?.AttributeDefinitions?.map((a) => a.AttributeName), ['pk', 'sk']);
    assert.equal(after.Table?.GlobalSecondaryIndexes, undefined);
    const gone = await rejection(t.ddb.send(new QueryCommand({ TableName, IndexName: 'byEmail', KeyConditionExpression: 'email = :e', ExpressionAttributeValues: { ':e': { S: 'x' } } })));
    assert.equal(gone.message, 'The table does not have the specified index: byEmail');
  });

  it('enables and disables streams (a new stream each time) and switches billing', async () => {
    const TableName = await createTable(t.ddb);
    const on = await t.ddb.send(new UpdateTableCommand({ TableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
    const arn1 = on.TableDescription?.LatestStreamArn;
    assert.match(arn1 ?? '', new RegExp(`^arn:aws:dynamodb:us-east-1:000000000000:table/${TableName}/stream/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}$`));
    const again = await rejection(t.ddb.send(new UpdateTableCommand({ TableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } })));
    assert.equal(again.name, 'ValidationException');
    await t.ddb.send(new UpdateTableCommand({ TableName, StreamSpecification: { StreamEnabled: false } }));
    const off = await t.ddb.send(new DescribeTableCommand({ TableName }));
    assert.equal(off.Table?.StreamSpecification, undefined);
    const on2 = await t.ddb.send(new UpdateTableCommand({ TableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } }));
    assert.notEqual(on2.TableDescription?.LatestStreamArn, arn1);
    const prov = await t.ddb.send(new UpdateTableCommand({ TableName, BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }));
    assert.equal(prov.TableDescription?.ProvisionedThroughput?.WriteCapacityUnits, 4);
    assert.equal(prov.TableDescription?.BillingModeSummary, undefined);
  });

  it('deletes tables (with their items) and honours deletion protection', async () => {
    const TableName = await createTable(t.ddb, { DeletionProtectionEnabled: true });
    const prot = await rejection(t.ddb.send(new DeleteTableCommand({ TableName })));
    assert.equal(prot.name, 'ResourceInUseException');
    await t.ddb.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: false }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    const del = await t.ddb.send(new DeleteTableCommand({ TableName }));
    assert.equal(del.TableDescription?.TableStatus, 'DELETING');
    assert.equal((await rejection(t.ddb.send(new DescribeTableCommand({ TableName })))).name, 'ResourceNotFoundException');
    // A new table of the same name starts empty.
    await createTable(t.ddb, { TableName });
    const q = await t.ddb.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'a' } } }));
    assert.equal(q.Count, 0);
  });

  it('describes and updates time to live, and tags tables', async () => {
    const TableName = await createTable(t.ddb);
    assert.deepEqual((await t.ddb.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription, { TimeToLiveStatus: 'DISABLED' });
    await t.ddb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } }));
    assert.deepEqual((await t.ddb.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires' });
    const twice = await rejection(t.ddb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } })));
    assert.equal(twice.message, 'TimeToLive is already enabled');
    const arn = (await t.ddb.send(new DescribeTableCommand({ TableName }))).Table!.TableArn!;
    await t.ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await t.ddb.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['a'] }));
    assert.deepEqual((await t.ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags, [{ Key: 'b', Value: '2' }]);
  });
});
