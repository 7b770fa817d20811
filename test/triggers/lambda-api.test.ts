/**
 * The event source mapping operations of the Lambda API, through
 * @aws-sdk/client-lambda against a live endpoint on port 0: shapes, AWS's
 * errors, and that a mapping created over the wire polls its stream. The
 * backend is the real EventSourceMappings on SQLite; only functions (a name
 * list) and the stream (ArrayStreamSource) are stand-ins.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { AwsEndpoint, Credentials } from '../../src/aws';
import type { SqlStore } from '../../src/store/open';
import type { LambdaBackend, LambdaFunctionInfo } from '../../src/services/lambda/backend';
import { lambdaService } from '../../src/services/lambda/service';
import type { EventSourceMappings } from '../../src/triggers/event-source-mappings';
import { ArrayStreamSource, FN, FN_ARN, newMappings, openTriggersStore, ScriptedInvoker, sqliteBackend, STREAM, waitFor } from './helpers';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/** Functions that exist; everything a mapping operation does not call is unreachable here. */
function backendWith(esm: EventSourceMappings | undefined, functions: string[]): LambdaBackend {
  const info = (name: string): LambdaFunctionInfo => ({
    name,
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    memorySize: 128,
    timeout: 3,
    environment: {},
    description: '',
    lastModified: '2024-01-01T00:00:00.000+0000',
    codeSha256: '',
    codeSize: 0,
    version: '$LATEST',
    reservedConcurrency: null,
    appName: null,
  });
  const unused = (): never => {
    throw new Error('not used by these tests');
  };
  return {
    region: REGION,
    accountId: ACCOUNT,
    getFunction: async (name) => (functions.includes(name) ? info(name) : null),
    listFunctions: async () => functions.map(info),
    invoke: unused,
    invokeAsync: unused,
    putReservedConcurrency: unused,
    deleteReservedConcurrency: unused,
    concurrencyLimits: () => ({ accountLimit: 1000, unreserved: 1000 }),
    getEventInvokeConfig: unused,
    putEventInvokeConfig: unused,
    createFunction: unused,
    updateFunctionCode: unused,
    deleteFunction: unused,
    ...(esm ? { eventSourceMappings: esm } : {}),
  };
}

async function serve(backend: LambdaBackend): Promise<{ server: http.Server; client: LambdaClient }> {
  const endpoint = new AwsEndpoint({ services: [lambdaService(backend)], credentials: new Credentials(), region: REGION, accountId: ACCOUNT });
  const server = http.createServer((req, res) => endpoint.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const client = new LambdaClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  return { server, client };
}

async function expectError(p: Promise<unknown>, name: string, message: string | RegExp, status?: number): Promise<void> {
  await assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, name);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    if (status !== undefined) assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe('Lambda API: event source mappings', () => {
  const backend = sqliteBackend();
  let store: SqlStore;
  let esm: EventSourceMappings;
  let source: ArrayStreamSource;
  let invoker: ScriptedInvoker;
  let server: http.Server;
  let client: LambdaClient;

  before(async () => {
    const opened = await openTriggersStore(backend.newUrl());
    store = opened.store;
    source = new ArrayStreamSource();
    source.createStream(STREAM);
    invoker = new ScriptedInvoker();
    esm = newMappings(opened.repo, source, invoker);
    await esm.start();
    ({ server, client } = await serve(backendWith(esm, [FN, 'other'])));
  });
  after(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
    await esm.close();
    await store.close();
    await backend.cleanup();
  });

  it('creates, gets, lists, updates and deletes a mapping with AWS shapes, and the mapping polls', async () => {
    const created = await client.send(
      new CreateEventSourceMappingCommand({
        FunctionName: FN,
        EventSourceArn: STREAM,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 2,
        MaximumRetryAttempts: 3,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } },
      }),
    );
    assert.equal(created.$metadata.httpStatusCode, 202);
    assert.match(created.UUID!, /^[0-9a-f-]{36}$/);
    assert.equal(created.State, 'Creating');
    assert.equal(created.FunctionArn, FN_ARN);
    assert.equal(created.EventSourceArn, STREAM);
    assert.equal(created.BatchSize, 2);
    assert.equal(created.MaximumBatchingWindowInSeconds, 0);
    assert.equal(created.ParallelizationFactor, 1);
    assert.equal(created.MaximumRetryAttempts, 3);
    assert.equal(created.MaximumRecordAgeInSeconds, -1);
    assert.equal(created.BisectBatchOnFunctionError, true);
    assert.deepEqual(created.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(created.FilterCriteria, { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] });
    assert.deepEqual(created.DestinationConfig, { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } });
    assert.equal(created.StartingPosition, 'TRIM_HORIZON');
    assert.equal(created.LastProcessingResult, 'No records processed');
    assert.equal(created.StateTransitionReason, 'User action');
    assert.ok(created.LastModified instanceof Date);
    assert.equal(created.EventSourceMappingArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${created.UUID}`);
    const uuid = created.UUID!;

    source.put(STREAM, 'shard-0', [{ eventName: 'INSERT', dynamodb: { NewImage: { n: { N: '1' } } } }]);
    await waitFor(() => invoker.delivered().length === 1, 'the record');
    await waitFor(async () => (await client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 'OK');

    const got = await client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    assert.equal(got.State, 'Enabled');
    assert.equal(got.BatchSize, 2);

    const listed = await client.send(new ListEventSourceMappingsCommand({ FunctionName: FN_ARN }));
    assert.deepEqual(listed.EventSourceMappings!.map((m) => m.UUID), [uuid]);
    assert.equal(listed.NextMarker, undefined);
    assert.deepEqual((await client.send(new ListEventSourceMappingsCommand({ FunctionName: 'other' }))).EventSourceMappings, []);
    assert.deepEqual((await client.send(new ListEventSourceMappingsCommand({ EventSourceArn: STREAM }))).EventSourceMappings!.map((m) => m.UUID), [uuid]);

    const updated = await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false, BatchSize: 7, FilterCriteria: {}, DestinationConfig: { OnFailure: {} } }));
    assert.equal(updated.$metadata.httpStatusCode, 202);
    assert.equal(updated.State, 'Disabling');
    assert.equal(updated.BatchSize, 7);
    assert.equal(updated.FilterCriteria, undefined);
    assert.deepEqual(updated.DestinationConfig, {});
    assert.equal((await client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State, 'Disabled');

    const deleted = await client.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    assert.equal(deleted.$metadata.httpStatusCode, 202);
    assert.equal(deleted.State, 'Deleting');
    await expectError(client.send(new GetEventSourceMappingCommand({ UUID: uuid })), 'ResourceNotFoundException', 'The resource you requested does not exist.', 404);
  });

  it('answers AWS errors', async () => {
    const base = { FunctionName: FN, EventSourceArn: STREAM, StartingPosition: 'LATEST' as const };
    const first = await client.send(new CreateEventSourceMappingCommand(base));
    await expectError(
      client.send(new CreateEventSourceMappingCommand(base)),
      'ResourceConflictException',
      `The event source arn (" ${STREAM} ") and function (" ${FN} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${first.UUID}`,
      409,
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ FunctionName: FN, EventSourceArn: STREAM.replace('orders', 'x') })),
      'InvalidParameterValueException',
      "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'missing' })),
      'InvalidParameterValueException',
      'Function does not exist',
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other', FilterCriteria: { Filters: [{ Pattern: '{"eventName":"INSERT"}' }] } })),
      'InvalidParameterValueException',
      'Invalid filter pattern definition.',
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other', StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date() })),
      'InvalidParameterValueException',
      `Unsupported starting position for arn type: ${STREAM}`,
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:123456789012:q' } } })),
      'InvalidParameterValueException',
      'Unsupported DestinationConfig parameter for given event source mapping type.',
    );
    await expectError(
      client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other', EventSourceArn: STREAM.replace('orders', 'gone') })),
      'InvalidParameterValueException',
      /^Cannot access stream arn:aws:dynamodb:us-east-1:123456789012:table\/gone\/stream\//,
    );
    await expectError(client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other', BatchSize: 0 })), 'ValidationException', /batchSize|BatchSize/);
    await expectError(client.send(new UpdateEventSourceMappingCommand({ UUID: 'nope', BatchSize: 5 })), 'ResourceNotFoundException', 'The resource you requested does not exist.');
    await expectError(client.send(new DeleteEventSourceMappingCommand({ UUID: 'nope' })), 'ResourceNotFoundException', 'The resource you requested does not exist.');
    // Moving the mapping of `other` onto FN, which already maps this stream.
    const second = await client.send(new CreateEventSourceMappingCommand({ ...base, FunctionName: 'other' }));
    await expectError(client.send(new UpdateEventSourceMappingCommand({ UUID: second.UUID!, FunctionName: FN })), 'ResourceConflictException', /provided mapping already exists/);
    await client.send(new DeleteEventSourceMappingCommand({ UUID: first.UUID! }));
    await client.send(new DeleteEventSourceMappingCommand({ UUID: second.UUID! }));
  });

  it('pages with MaxItems and Marker', async () => {
    const uuids: string[] = [];
    for (const fn of [FN, 'other']) {
      uuids.push((await client.send(new CreateEventSourceMappingCommand({ FunctionName: fn, EventSourceArn: STREAM, StartingPosition: 'LATEST', Enabled: false }))).UUID!);
    }
    const p1 = await client.send(new ListEventSourceMappingsCommand({ MaxItems: 1 }));
    assert.equal(p1.EventSourceMappings!.length, 1);
    assert.ok(p1.NextMarker);
    const p2 = await client.send(new ListEventSourceMappingsCommand({ MaxItems: 1, Marker: p1.NextMarker }));
    assert.equal(p2.NextMarker, undefined);
    assert.deepEqual([...p1.EventSourceMappings!, ...p2.EventSourceMappings!].map((m) => m.UUID).sort(), [...uuids].sort());
    for (const u of uuids) await client.send(new DeleteEventSourceMappingCommand({ UUID: u }));
  });
});

describe('Lambda API: event source mappings without stream sources', () => {
  it('answers as an unsupported operation', async () => {
    const { server, client } = await serve(backendWith(undefined, [FN]));
    try {
      await assert.rejects(client.send(new ListEventSourceMappingsCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.$metadata?.httpStatusCode, 404);
        return true;
      });
    } finally {
      client.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
