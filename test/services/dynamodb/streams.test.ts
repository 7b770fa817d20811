/**
 * DynamoDB Streams through @aws-sdk/client-dynamodb-streams: every view type,
 * INSERT / MODIFY / REMOVE in order, no record for a write that changes
 * nothing, iterators (TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER), closed
 * streams, and TTL deletions that really remove items and leave a record by
 * the service.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DeleteItemCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, UpdateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListStreamsCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { waitFor } from '../../helpers/nimbus';
import { BACKENDS, createTable, startDynamo, type DynamoTestContext } from './helpers';

async function readAll(t: DynamoTestContext, StreamArn: string, type: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON'): Promise<{ records: _Record[]; next?: string; shardId: string }> {
  const d = await t.streams.send(new DescribeStreamCommand({ StreamArn }));
  const shardId = d.StreamDescription!.Shards![0].ShardId!;
  let it = (await t.streams.send(new GetShardIteratorCommand({ StreamArn, ShardId: shardId, ShardIteratorType: type }))).ShardIterator;
  const records: _Record[] = [];
  for (let i = 0; i < 20 && it; i++) {
    const page = await t.streams.send(new GetRecordsCommand({ ShardIterator: it, Limit: 3 }));
    records.push(...(page.Records ?? []));
    if ((page.Records ?? []).length === 0) return { records, next: page.NextShardIterator, shardId };
    it = page.NextShardIterator;
  }
  return { records, next: it, shardId };
}

for (const backend of BACKENDS) describe(`DynamoDB Streams (${backend})`, () => {
  let t: DynamoTestContext;
  before(async () => {
    t = await startDynamo({ backend, dynamodb: { ttlIntervalMs: 100 } });
  });
  after(() => t?.nimbus.close());

  it('records INSERT, MODIFY and REMOVE in order with the images the view type asks for', async () => {
    const TableName = await createTable(t.ddb, { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    const Key = { pk: { S: 'a' }, sk: { S: '1' } };
    await t.ddb.send(new PutItemCommand({ TableName, Item: { ...Key, v: { N: '1' } } }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { ...Key, v: { N: '1' } } })); // no change: no record
    await t.ddb.send(new UpdateItemCommand({ TableName, Key, UpdateExpression: 'SET v = :two', ExpressionAttributeValues: { ':two': { N: '2' } } }));
    await t.ddb.send(new DeleteItemCommand({ TableName, Key }));
    await t.ddb.send(new DeleteItemCommand({ TableName, Key })); // nothing to delete: no record
    const arn = (await t.ddb.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!;
    const listed = await t.streams.send(new ListStreamsCommand({ TableName }));
    assert.deepEqual(listed.Streams?.map((s) => s.StreamArn), [arn]);
    const { records, next } = await readAll(t, arn);
    assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY', 'REMOVE']);
    assert.ok(next, 'an open shard always has a next iterator');
    const [ins, mod, rem] = records;
    assert.equal(ins.eventSource, 'aws:dynamodb');
    assert.equal(ins.eventVersion, '1.1');
    assert.equal(ins.awsRegion, 'us-east-1');
    assert.deepEqual(ins.dynamodb?.Keys, Key);
    assert.deepEqual(ins.dynamodb?.NewImage, { ...Key, v: { N: '1' } });
    assert.equal(ins.dynamodb?.OldImage, undefined);
    assert.deepEqual(mod.dynamodb?.OldImage?.v, { N: '1' });
    assert.deepEqual(mod.dynamodb?.NewImage?.v, { N: '2' });
    assert.deepEqual(rem.dynamodb?.OldImage?.v, { N: '2' });
    assert.equal(rem.dynamodb?.NewImage, undefined);
    assert.equal(ins.dynamodb?.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(ins.dynamodb?.ApproximateCreationDateTime instanceof Date);
    const seqs = records.map((r) => r.dynamodb!.SequenceNumber!);
    assert.deepEqual([...seqs].sort(), seqs);
    assert.ok((ins.dynamodb?.SizeBytes ?? 0) > 0);
  });

  it('KEYS_ONLY records carry only keys; iterators start where asked', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } });
    for (let i = 0; i < 4; i++) await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: `k${i}` }, secret: { S: 's' } } }));
    const arn = (await t.ddb.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!;
    const { records, shardId } = await readAll(t, arn);
    assert.equal(records.length, 4);
    assert.deepEqual(records[0].dynamodb?.Keys, { pk: { S: 'k0' } });
    assert.equal(records[0].dynamodb?.NewImage, undefined);
    const at = await t.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: records[2].dynamodb!.SequenceNumber }));
    const fromAt = await t.streams.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator! }));
    assert.deepEqual(fromAt.Records?.map((r) => r.dynamodb?.Keys?.pk.S), ['k2', 'k3']);
    const afterIt = await t.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: records[2].dynamodb!.SequenceNumber }));
    assert.deepEqual((await t.streams.send(new GetRecordsCommand({ ShardIterator: afterIt.ShardIterator! }))).Records?.map((r) => r.dynamodb?.Keys?.pk.S), ['k3']);
    const latest = await t.streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ShardIteratorType: 'LATEST' }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'k9' } } }));
    assert.deepEqual((await t.streams.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator! }))).Records?.map((r) => r.dynamodb?.Keys?.pk.S), ['k9']);
    // Disabling closes the stream: its records stay readable, and the shard ends.
    await t.ddb.send(new UpdateTableCommand({ TableName, StreamSpecification: { StreamEnabled: false } }));
    const closed = await t.streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    assert.equal(closed.StreamDescription?.StreamStatus, 'DISABLED');
    assert.ok(closed.StreamDescription?.Shards?.[0].SequenceNumberRange?.EndingSequenceNumber);
    const rest = await readAll(t, arn);
    assert.equal(rest.records.length, 5);
    assert.equal(rest.next, undefined);
  });

  it('TTL deletes expired items with a stream record by the service, and leaves the others', async () => {
    const TableName = await createTable(t.ddb, { hashOnly: true, StreamSpecification: { StreamEnabled: true, StreamViewType: 'OLD_IMAGE' } });
    const now = Math.floor(Date.now() / 1000);
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'old' }, exp: { N: String(now - 10) } } }));
    await t.ddb.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: 'exp' } }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'soon' }, exp: { N: String(now + 1) } } }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'later' }, exp: { N: String(now + 3600) } } }));
    await t.ddb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'no-ttl' }, exp: { S: 'not a number' } } }));
    const exists = async (pk: string) => (await t.ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } } }))).Item !== undefined;
    await waitFor(async () => !(await exists('old')) && !(await exists('soon')), 5000, 100);
    assert.ok(await exists('later'));
    assert.ok(await exists('no-ttl'));
    const arn = (await t.ddb.send(new DescribeTableCommand({ TableName }))).Table!.LatestStreamArn!;
    const removes = (await readAll(t, arn)).records.filter((r) => r.eventName === 'REMOVE');
    assert.deepEqual(removes.map((r) => r.dynamodb?.Keys?.pk.S).sort(), ['old', 'soon']);
    assert.deepEqual(removes[0].userIdentity, { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' });
  });
});
