/**
 * DynamoDB Streams triggers end to end: a real Nimbus, apps deployed from
 * serverless.yml (tables under `resources:`, `stream` events), items written
 * through @aws-sdk/lib-dynamodb, and real functions that log every event they
 * receive as JSON lines (test/fixtures/apps/ddb-stream*). Expectations follow
 * the Lambda developer guide: "Using AWS Lambda with Amazon DynamoDB" (event
 * shape, batching, error handling), "Configuring partial batch response with
 * DynamoDB and Lambda", "Using event filtering with a DynamoDB event source".
 *
 * Every suite runs on both store backends (SQLite and PostgreSQL), like the
 * other DynamoDB suites.
 *
 * Determinism: every wait ends on something the function logged, and because
 * records reach a mapping's function in stream order, waiting for a later
 * "sentinel" record proves nothing earlier is still on its way. Only the check
 * that a deleted mapping stays silent needs a short pause (it can miss a bug,
 * never fail spuriously).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBRecord, DynamoDBStreamEvent, StreamRecord } from 'aws-lambda';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import type { Platform, PlatformOptions } from '../../../src/platform';
import { copyFixture, startNimbus, tmpDir, waitFor } from '../../helpers/nimbus';
import { BACKENDS, createTable, CREDENTIALS, storeFor } from './helpers';

/** Short scans, idle polls and retry backoff (names from EventSourceMappingsOptions). */
const TRIGGERS: PlatformOptions['triggers'] = { scanIntervalMs: 100, idlePollMs: 50, retry: { baseMs: 50, maxMs: 200 } };
const REGION = 'us-east-1';
/** Generous: the first invocation of each function includes its cold start. */
const WAIT_MS = 10_000;

/**
 * The official clients with the SDK's standard retries (unlike helpers.ts'
 * maxAttempts 1): on a loaded machine a kept-alive socket can be closed by the
 * server (Node's 5 s keepAliveTimeout) just as a request goes out, and what is
 * tested here is the triggers, not the connection. Retries cannot add stream
 * records: rewriting an item to the same value makes none, and TransactWrite
 * carries an idempotency token.
 */
function sdkClients(endpoint: string): { ddb: DynamoDBClient; doc: DynamoDBDocumentClient; streams: DynamoDBStreamsClient; lambda: LambdaClient } {
  const config = { endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 3 };
  const ddb = new DynamoDBClient(config);
  return { ddb, doc: DynamoDBDocumentClient.from(ddb), streams: new DynamoDBStreamsClient(config), lambda: new LambdaClient(config) };
}

function closeClients(c: ReturnType<typeof sdkClients>): void {
  c.ddb.destroy();
  c.streams.destroy();
  c.lambda.destroy();
}

interface Invocation {
  requestId: string;
  /** eventIDs the function failed on purpose in this invocation. */
  failed: string[];
  event: DynamoDBStreamEvent;
}

/** Every invocation `fn` logged so far (a line still being written is left for the next read). */
function invocations(logDir: string, fn: string): Invocation[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(logDir, `${fn}.jsonl`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Invocation);
}

function pkOf(r: DynamoDBRecord): string {
  const pk = r.dynamodb?.Keys?.pk?.S;
  assert.ok(pk !== undefined, `record without a string pk: ${JSON.stringify(r)}`);
  return pk;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- the event's shape, checked at run time against @types/aws-lambda --------

/** Members of a record in Lambda's DynamoDB event (the guide's example event); a TTL deletion adds userIdentity. */
const RECORD_KEYS = ['awsRegion', 'dynamodb', 'eventID', 'eventName', 'eventSource', 'eventSourceARN', 'eventVersion'] as const satisfies readonly (keyof DynamoDBRecord)[];
const STREAM_RECORD_KEYS = ['ApproximateCreationDateTime', 'Keys', 'NewImage', 'OldImage', 'SequenceNumber', 'SizeBytes', 'StreamViewType'] as const satisfies readonly (keyof StreamRecord)[];
const VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'] as const satisfies readonly NonNullable<StreamRecord['StreamViewType']>[];
const EVENT_NAMES = ['INSERT', 'MODIFY', 'REMOVE'] as const satisfies readonly NonNullable<DynamoDBRecord['eventName']>[];
const ATTRIBUTE_TYPES = ['B', 'BOOL', 'BS', 'L', 'M', 'N', 'NS', 'NULL', 'S', 'SS'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function assertAttributeMap(v: unknown, where: string): void {
  assert.ok(isObject(v), `${where} is a map of attribute values`);
  for (const [name, av] of Object.entries(v)) {
    assert.ok(isObject(av) && Object.keys(av).length === 1 && ATTRIBUTE_TYPES.includes(Object.keys(av)[0]!), `${where}.${name} is one typed attribute value: ${JSON.stringify(av)}`);
  }
}

/** Every member of every record has the type @types/aws-lambda declares, and no member is unknown to it. */
function assertStreamEvent(v: unknown): asserts v is DynamoDBStreamEvent {
  assert.ok(isObject(v), 'the event is an object');
  assert.deepEqual(Object.keys(v), ['Records']);
  assert.ok(Array.isArray(v.Records) && v.Records.length > 0, 'Records is a non-empty array');
  for (const r of v.Records as unknown[]) {
    assert.ok(isObject(r));
    const { userIdentity, ...rest } = r;
    assert.deepEqual(Object.keys(rest).sort(), [...RECORD_KEYS].sort(), "a record has exactly the members of AWS's example event");
    // Only deletions by TTL carry it, in lower camel case (DynamoDB developer guide, "DynamoDB Streams and Time to Live").
    if (userIdentity !== undefined) assert.deepEqual(userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    for (const k of ['awsRegion', 'eventID', 'eventSource', 'eventSourceARN', 'eventVersion'] as const) assert.equal(typeof r[k], 'string', k);
    assert.ok((EVENT_NAMES as readonly unknown[]).includes(r.eventName), `eventName ${String(r.eventName)}`);
    const d = r.dynamodb;
    assert.ok(isObject(d));
    for (const k of Object.keys(d)) assert.ok((STREAM_RECORD_KEYS as readonly string[]).includes(k), `dynamodb.${k} is a StreamRecord member`);
    assert.equal(typeof d.ApproximateCreationDateTime, 'number');
    assertAttributeMap(d.Keys, 'dynamodb.Keys');
    if ('NewImage' in d) assertAttributeMap(d.NewImage, 'dynamodb.NewImage');
    if ('OldImage' in d) assertAttributeMap(d.OldImage, 'dynamodb.OldImage');
    assert.match(String(d.SequenceNumber), /^\d+$/);
    assert.ok(Number.isInteger(d.SizeBytes) && (d.SizeBytes as number) > 0, `SizeBytes ${String(d.SizeBytes)}`);
    assert.ok((VIEW_TYPES as readonly unknown[]).includes(d.StreamViewType), `StreamViewType ${String(d.StreamViewType)}`);
  }
}

// ---- the app with one table per behaviour -------------------------------------

for (const backend of BACKENDS) describe(`DynamoDB stream triggers with real functions (${backend})`, () => {
  const FN = (key: string): string => `ddbstream-dev-${key}`;
  let logDir: string;
  let nimbus: Platform;
  let ddb: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let streams: DynamoDBStreamsClient;
  let lambda: LambdaClient;

  const logOf = (key: string): Invocation[] => invocations(logDir, FN(key));
  const recordsOf = (key: string): DynamoDBRecord[] => logOf(key).flatMap((i) => i.event.Records);
  /** Waits until `key`'s function has logged a record of `pk` (with that eventName, if given) that it did not fail. */
  const delivered = (key: string, pk: string, eventName?: string): Promise<void> =>
    waitFor(() => logOf(key).some((i) => i.event.Records.some((r) => pkOf(r) === pk && (!eventName || r.eventName === eventName) && !i.failed.includes(r.eventID!))), WAIT_MS);
  const streamArn = async (table: string): Promise<string> => {
    const arn = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn;
    assert.ok(arn, `${table} has a stream`);
    return arn;
  };

  before(async () => {
    logDir = tmpDir('nimbus-ddb-stream-log-');
    process.env.NIMBUS_DDB_STREAM_LOG = logDir;
    nimbus = await startNimbus({ store: storeFor(backend), triggers: TRIGGERS, dynamodb: { ttlIntervalMs: 100 } });
    await nimbus.deploy(copyFixture('ddb-stream'));
    ({ ddb, doc, streams, lambda } = sdkClients(nimbus.awsUrl));
  });

  after(async () => {
    lambda?.destroy();
    ddb?.destroy();
    streams?.destroy();
    await nimbus?.close();
    delete process.env.NIMBUS_DDB_STREAM_LOG;
  });

  it("delivers AWS's event shape: Records[] with the images the view type asks for, as GetRecords has them", async () => {
    const tables = {
      NEW_AND_OLD_IMAGES: 'ddbstream-new-and-old',
      NEW_IMAGE: 'ddbstream-new-image',
      OLD_IMAGE: 'ddbstream-old-image',
      KEYS_ONLY: 'ddbstream-keys-only',
    } as const;
    const startSec = Math.floor(Date.now() / 1000);
    for (const table of Object.values(tables)) {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: 'a', sk: 1, v: 'one' } }));
      await doc.send(new UpdateCommand({ TableName: table, Key: { pk: 'a', sk: 1 }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 'two' } }));
      await doc.send(new DeleteCommand({ TableName: table, Key: { pk: 'a', sk: 1 } }));
    }
    const arns = Object.fromEntries(await Promise.all(Object.entries(tables).map(async ([view, t]) => [view, await streamArn(t)] as const)));
    const ofStream = (arn: string): DynamoDBRecord[] => recordsOf('shapes').filter((r) => r.eventSourceARN === arn);
    await waitFor(() => Object.values(arns).every((arn) => ofStream(arn).length >= 3), WAIT_MS);
    const endSec = Math.ceil(Date.now() / 1000);

    for (const inv of logOf('shapes')) {
      assertStreamEvent(inv.event);
      const typed: DynamoDBStreamEvent = inv.event;
      assert.ok(typed.Records.length <= 10, 'the framework default BatchSize (10)');
    }
    const keys = { pk: { S: 'a' }, sk: { N: '1' } };
    const one = { ...keys, v: { S: 'one' } };
    const two = { ...keys, v: { S: 'two' } };
    // Which image each change carries, per view type (DynamoDB developer guide, "Change data capture for DynamoDB Streams").
    const images: Record<keyof typeof tables, Array<{ NewImage?: object; OldImage?: object }>> = {
      NEW_AND_OLD_IMAGES: [{ NewImage: one }, { NewImage: two, OldImage: one }, { OldImage: two }],
      NEW_IMAGE: [{ NewImage: one }, { NewImage: two }, {}],
      OLD_IMAGE: [{}, { OldImage: one }, { OldImage: two }],
      KEYS_ONLY: [{}, {}, {}],
    };
    const ids = new Set<string>();
    for (const view of Object.keys(tables) as (keyof typeof tables)[]) {
      const recs = ofStream(arns[view]!);
      assert.deepEqual(recs.map((r) => r.eventName), ['INSERT', 'MODIFY', 'REMOVE'], view);
      recs.forEach((r, i) => {
        assert.equal(r.eventVersion, '1.1');
        assert.equal(r.eventSource, 'aws:dynamodb');
        assert.equal(r.awsRegion, REGION);
        assert.equal(r.eventSourceARN, arns[view]);
        ids.add(r.eventID!);
        const d = r.dynamodb!;
        assert.equal(d.StreamViewType, view);
        assert.deepEqual(d.Keys, keys);
        assert.deepEqual({ NewImage: d.NewImage, OldImage: d.OldImage }, { NewImage: undefined, OldImage: undefined, ...images[view][i] }, `${view} ${r.eventName}`);
        // Epoch seconds (a number), when the change was made.
        assert.ok(d.ApproximateCreationDateTime! >= startSec && d.ApproximateCreationDateTime! <= endSec, `ApproximateCreationDateTime ${d.ApproximateCreationDateTime}`);
        if (i > 0) assert.ok(BigInt(d.SequenceNumber!) > BigInt(recs[i - 1]!.dynamodb!.SequenceNumber!), 'sequence numbers grow');
      });
    }
    assert.equal(ids.size, 12, 'every record has its own eventID');
    // SizeBytes counts the images carried: the same change weighs more with both.
    const modifySize = (view: keyof typeof tables): number => ofStream(arns[view]!)[1]!.dynamodb!.SizeBytes!;
    assert.ok(modifySize('KEYS_ONLY') < modifySize('NEW_IMAGE') && modifySize('NEW_IMAGE') < modifySize('NEW_AND_OLD_IMAGES'));

    // The function gets the stream's own records: same ids, sequence numbers and images as GetRecords.
    const shard = (await streams.send(new DescribeStreamCommand({ StreamArn: arns.NEW_AND_OLD_IMAGES }))).StreamDescription!.Shards![0]!;
    const it0 = await streams.send(new GetShardIteratorCommand({ StreamArn: arns.NEW_AND_OLD_IMAGES, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const got = (await streams.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator }))).Records!;
    assert.deepEqual(
      got.map((r) => [r.eventID, r.eventName, r.dynamodb!.SequenceNumber, r.dynamodb!.SizeBytes, JSON.stringify(r.dynamodb!.NewImage ?? null), JSON.stringify(r.dynamodb!.OldImage ?? null)]),
      ofStream(arns.NEW_AND_OLD_IMAGES!).map((r) => [r.eventID, r.eventName, r.dynamodb!.SequenceNumber, r.dynamodb!.SizeBytes, JSON.stringify(r.dynamodb!.NewImage ?? null), JSON.stringify(r.dynamodb!.OldImage ?? null)]),
    );
  });

  it('honours BatchSize, keeps each item in order across batches, and delivers each change once', async () => {
    const table = 'ddbstream-batches';
    // One transaction: its 7 records reach the stream together, so the first batches are full.
    await doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: 7 }, (_, i) => ({ Put: { TableName: table, Item: { pk: `k${i}`, v: 1 } } })) }));
    for (const v of [2, 3, 4]) {
      await doc.send(new UpdateCommand({ TableName: table, Key: { pk: 'k0' }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': v } }));
    }
    await doc.send(new DeleteCommand({ TableName: table, Key: { pk: 'k0' } }));
    // The delete is the last change: once it is in, everything before it was delivered (in order) or never will be.
    await delivered('batches', 'k0', 'REMOVE');

    const sizes = logOf('batches').map((i) => i.event.Records.length);
    assert.ok(sizes.every((n) => n >= 1 && n <= 3), `batch sizes ${sizes.join(',')} within BatchSize 3`);
    assert.deepEqual(sizes.slice(0, 2), [3, 3], 'records waiting in the stream fill a batch');
    assert.ok(logOf('batches').every((i) => i.failed.length === 0));
    const recs = recordsOf('batches');
    assert.equal(recs.length, 11, 'each change exactly once');
    assert.equal(new Set(recs.map((r) => r.eventID)).size, 11);
    // Per item, in the order of the writes (AWS orders a stream's records per item).
    const k0 = recs.filter((r) => pkOf(r) === 'k0').map((r) => `${r.eventName} ${r.dynamodb?.NewImage?.v?.N ?? '-'}`);
    assert.deepEqual(k0, ['INSERT 1', 'MODIFY 2', 'MODIFY 3', 'MODIFY 4', 'REMOVE -']);
    assert.deepEqual(
      recs.filter((r) => pkOf(r) !== 'k0').map((r) => `${pkOf(r)} ${r.eventName}`).sort(),
      ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].map((k) => `${k} INSERT`),
    );
  });

  it('retries a failing batch MaximumRetryAttempts times, then skips it and goes on', async () => {
    const table = 'ddbstream-retries';
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'flaky', failTimes: 1 } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'poison', failTimes: -1 } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'good' } }));
    await delivered('retries', 'good');

    // BatchSize 1: one record per invocation. `flaky` succeeds on its retry; `poison`
    // fails its first attempt and both retries (MaximumRetryAttempts 2) and is skipped.
    const log = logOf('retries').map((i) => ({ pk: pkOf(i.event.Records[0]!), id: i.event.Records[0]!.eventID, failed: i.failed.length > 0, n: i.event.Records.length }));
    assert.deepEqual(
      log.map((l) => `${l.pk} ${l.failed ? 'failed' : 'ok'}`),
      ['flaky failed', 'flaky ok', 'poison failed', 'poison failed', 'poison failed', 'good ok'],
    );
    assert.ok(log.every((l) => l.n === 1));
    assert.equal(new Set(log.filter((l) => l.pk === 'poison').map((l) => l.id)).size, 1, 'a retry delivers the same record again');

    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: FN('retries') }))).EventSourceMappings ?? [];
    assert.equal(mapping?.MaximumRetryAttempts, 2);
    await waitFor(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping!.UUID }))).LastProcessingResult === 'OK', WAIT_MS);
  });

  it('BisectBatchOnFunctionError splits a failing batch until the bad record is alone', async () => {
    const table = 'ddbstream-bisect';
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ pk: 'a' }, { pk: 'b' }, { pk: 'c', failTimes: -1 }, { pk: 'd' }].map((Item) => ({ Put: { TableName: table, Item } })),
      }),
    );
    await delivered('bisect', 'd');
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'e' } }));
    await delivered('bisect', 'e');

    // Halves until `c` is alone; splitting does not count as a retry, so the
    // single record then gets its one retry (MaximumRetryAttempts 1) and is skipped.
    assert.deepEqual(
      logOf('bisect').map((i) => `${i.event.Records.map(pkOf).join('')} ${i.failed.length > 0 ? 'failed' : 'ok'}`),
      ['abcd failed', 'ab ok', 'cd failed', 'c failed', 'c failed', 'd ok', 'e ok'],
    );
  });

  it('ReportBatchItemFailures: retries from the lowest reported sequence number', async () => {
    const table = 'ddbstream-partial';
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ pk: 'r1' }, { pk: 'r2', failTimes: 1 }, { pk: 'r3' }, { pk: 'r4', failTimes: 2 }].map((Item) => ({ Put: { TableName: table, Item } })),
      }),
    );
    await delivered('partial', 'r4');
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'r5' } }));
    await delivered('partial', 'r5');

    // The function reports r2 and r4: the checkpoint moves past r1 and r2.. is retried;
    // then it reports r4 only: r3 is settled and r4 is retried alone.
    const log = logOf('partial');
    assert.deepEqual(
      log.map((i) => `${i.event.Records.map(pkOf).join(',')} / ${i.event.Records.filter((r) => i.failed.includes(r.eventID!)).map(pkOf).join(',')}`),
      ['r1,r2,r3,r4 / r2,r4', 'r2,r3,r4 / r4', 'r4 / ', 'r5 / '],
    );
  });

  it('filterPatterns: only matching records reach the function, the rest are skipped', async () => {
    const table = 'ddbstream-filters';
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'a', status: 'inactive' } }));
    await doc.send(new UpdateCommand({ TableName: table, Key: { pk: 'a' }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'active' } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'b', status: 'active' } }));
    await doc.send(new DeleteCommand({ TableName: table, Key: { pk: 'a' } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'z', status: 'active' } }));
    // `z` matches both filters and is the last record.
    await delivered('onlyInserts', 'z');
    await delivered('onlyActive', 'z');

    const seen = (key: string): string[] => recordsOf(key).map((r) => `${r.eventName} ${pkOf(r)}`);
    assert.deepEqual(seen('onlyInserts'), ['INSERT a', 'INSERT b', 'INSERT z'], '{ eventName: [INSERT] }');
    // The REMOVE has no NewImage (its OldImage is active): it does not match.
    assert.deepEqual(seen('onlyActive'), ['MODIFY a', 'INSERT b', 'INSERT z'], '{ dynamodb: { NewImage: { status: { S: [active] } } } }');
  });

  it('TTL deletions carry userIdentity, and a filter on it picks them out', async () => {
    const table = 'ddbstream-ttl';
    // Changes by users first (filtered out), then an item that expired a minute ago
    // (not epoch 0: AWS leaves items that expired more than five years ago alone).
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'kept', expires: Math.floor(Date.now() / 1000) + 3600 } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'removed' } }));
    await doc.send(new DeleteCommand({ TableName: table, Key: { pk: 'removed' } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'old', expires: Math.floor(Date.now() / 1000) - 60 } }));
    await delivered('expired', 'old', 'REMOVE');

    const recs = recordsOf('expired');
    for (const inv of logOf('expired')) assertStreamEvent(inv.event);
    assert.deepEqual(recs.map((r) => `${r.eventName} ${pkOf(r)}`), ['REMOVE old'], 'the user\'s delete and the inserts do not match');
    assert.deepEqual(recs[0]!.userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    assert.equal(recs[0]!.dynamodb?.OldImage?.pk?.S, 'old');
    assert.equal(recs[0]!.dynamodb?.NewImage, undefined);
  });

  it('CreateEventSourceMapping through the Lambda API: TRIM_HORIZON vs LATEST, and DeleteEventSourceMapping stops delivery', async () => {
    const table = await createTable(ddb, { hashOnly: true, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } });
    const arn = await streamArn(table);
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'x1' } }));
    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'x2' } }));

    const trim = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: FN('sdkTrimHorizon'), EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 }));
    const latest = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: nimbus.functionArn(FN('sdkLatest')), EventSourceArn: arn, StartingPosition: 'LATEST', BatchSize: 10 }));
    assert.equal(trim.State, 'Creating');
    assert.equal(trim.FunctionArn, nimbus.functionArn(FN('sdkTrimHorizon')));
    assert.equal(latest.FunctionArn, nimbus.functionArn(FN('sdkLatest')));
    assert.equal(latest.EventSourceArn, arn);
    assert.equal(latest.StartingPosition, 'LATEST');

    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'y1' } }));
    await delivered('sdkTrimHorizon', 'y1');
    await delivered('sdkLatest', 'y1');
    // TRIM_HORIZON: from the oldest record; LATEST: only what came after the mapping was created.
    assert.deepEqual(recordsOf('sdkTrimHorizon').map(pkOf), ['x1', 'x2', 'y1']);
    assert.deepEqual(recordsOf('sdkLatest').map(pkOf), ['y1']);
    assert.ok(recordsOf('sdkLatest').every((r) => r.eventSourceARN === arn));
    await waitFor(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID: latest.UUID }))).LastProcessingResult === 'OK', WAIT_MS);

    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: latest.UUID }));
    assert.equal(deleted.State, 'Deleting');
    await assert.rejects(lambda.send(new GetEventSourceMappingCommand({ UUID: latest.UUID })), { name: 'ResourceNotFoundException' });
    assert.deepEqual((await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: FN('sdkLatest') }))).EventSourceMappings, []);
    assert.ok(!nimbus.esm.activeShards().some((s) => s.startsWith(`${latest.UUID}/`)), 'its poller stopped');

    await doc.send(new PutCommand({ TableName: table, Item: { pk: 'z1' } }));
    await delivered('sdkTrimHorizon', 'z1');
    // The remaining mapping saw z1; give a stray poller of the deleted one a few idle polls to show up.
    await sleep(300);
    assert.deepEqual(recordsOf('sdkLatest').map(pkOf), ['y1'], 'nothing after the delete');
    assert.deepEqual(recordsOf('sdkTrimHorizon').map(pkOf), ['x1', 'x2', 'y1', 'z1']);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: trim.UUID }));
  });
});

// ---- restart -----------------------------------------------------------------

for (const backend of BACKENDS) describe(`DynamoDB stream triggers across a restart of Nimbus (${backend})`, () => {
  it('continues from the checkpoint: acknowledged batches are not delivered again, the failing one is retried', async () => {
    const logDir = tmpDir('nimbus-ddb-restart-log-');
    const dataDir = tmpDir('nimbus-ddb-restart-data-');
    // The same store (SQLite file in dataDir, or one PostgreSQL schema) for both runs.
    const store = storeFor(backend);
    const FN = 'ddbrestart-dev-consumer';
    const TABLE = 'ddbrestart-items';
    type Line = { requestId: string; ok: boolean; keys: string[] };
    const lines = (): Line[] => {
      try {
        return fs.readFileSync(path.join(logDir, `${FN}.jsonl`), 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Line);
      } catch {
        return [];
      }
    };
    const okKeys = (ls: Line[]): string[] => ls.filter((l) => l.ok).flatMap((l) => l.keys);
    process.env.NIMBUS_DDB_STREAM_LOG = logDir;
    let nimbus: Platform | null = await startNimbus({ dataDir, store, triggers: TRIGGERS });
    let c = sdkClients(nimbus.awsUrl);
    try {
      await nimbus.deploy(copyFixture('ddb-stream-restart'));
      const [mapping] = await nimbus.esm.list({ functionName: FN });
      assert.ok(mapping);
      await c.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'a1' } }));
      await c.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'a2' } }));
      await waitFor(() => okKeys(lines()).includes('a2'), WAIT_MS);
      // b1 fails (and is retried) until the unblock file exists: it is in flight at the restart.
      await c.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'b1', block: true } }));
      await waitFor(() => lines().some((l) => !l.ok && l.keys.includes('b1')), WAIT_MS);

      closeClients(c);
      await nimbus.close();
      nimbus = null;
      const beforeRestart = lines().length;
      assert.deepEqual(okKeys(lines()), ['a1', 'a2']);
      fs.writeFileSync(path.join(logDir, 'unblock'), '');

      nimbus = await startNimbus({ dataDir, store, triggers: TRIGGERS });
      c = sdkClients(nimbus.awsUrl);
      assert.deepEqual((await nimbus.esm.list({ functionName: FN })).map((m) => m.uuid), [mapping.uuid], 'the redeploy on start keeps the mapping');
      await waitFor(() => okKeys(lines()).includes('b1'), WAIT_MS);
      await c.doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'c1' } }));
      await waitFor(() => okKeys(lines()).includes('c1'), WAIT_MS);

      // After the restart: b1 (retried from the checkpoint), then c1; a1 and a2 never again.
      assert.deepEqual(
        lines().slice(beforeRestart).map((l) => `${l.keys.join(',')} ${l.ok ? 'ok' : 'failed'}`),
        ['b1 ok', 'c1 ok'],
      );
      assert.deepEqual(okKeys(lines()), ['a1', 'a2', 'b1', 'c1']);
    } finally {
      closeClients(c);
      await nimbus?.close();
      delete process.env.NIMBUS_DDB_STREAM_LOG;
    }
  });
});
