import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EventSourceMappingSpec } from '../../src/app/stack';
import { app, cleanupApps, loadYaml, rejectsWith } from './helpers';

after(cleanupApps);

const TABLE_STREAM = 'arn:aws:dynamodb:us-east-1:000000000000:table/users/stream/2024-01-01T00:00:00.000';
const KINESIS = 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks';
const RESOURCES = 'resources:\n  Resources:\n    UsersTable:\n      Type: AWS::DynamoDB::Table\n    Dlq:\n      Type: AWS::SQS::Queue\n';

/** One function `h` with the given stream event (YAML under `- stream:`), plus the resources above. */
function streamApp(eventYaml: string): string {
  return `${app(`  h:\n    handler: h.main\n    events:\n      - stream:${eventYaml}\n`)}${RESOURCES}`;
}

async function mapping(eventYaml: string): Promise<EventSourceMappingSpec> {
  const stack = await loadYaml(streamApp(eventYaml));
  assert.equal(stack.eventSourceMappings?.length, 1);
  return stack.eventSourceMappings![0]!;
}

const DEFAULTS = {
  functionName: 'svc-dev-h',
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  startingPosition: 'TRIM_HORIZON',
  startingPositionTimestamp: null,
  enabled: true,
  maximumRetryAttempts: -1,
  bisectBatchOnFunctionError: false,
  maximumRecordAgeInSeconds: -1,
  parallelizationFactor: 1,
  functionResponseTypes: [],
  filterPatterns: [],
  onFailure: null,
  tumblingWindowInSeconds: 0,
};

describe('stream events: forms and defaults', () => {
  it('a string ARN: the type comes from the ARN, the framework and AWS defaults apply', async () => {
    assert.deepEqual(await mapping(` ${TABLE_STREAM}`), { ...DEFAULTS, sourceArn: TABLE_STREAM, kind: 'dynamodb' });
    assert.deepEqual(await mapping(` ${KINESIS}`), { ...DEFAULTS, sourceArn: KINESIS, kind: 'kinesis' });
  });

  it('an object with an intrinsic arn (long and short forms) and type', async () => {
    const expected = { ...DEFAULTS, sourceArn: { 'Fn::GetAtt': ['UsersTable', 'StreamArn'] }, kind: 'dynamodb' };
    assert.deepEqual(await mapping('\n          type: dynamodb\n          arn: !GetAtt UsersTable.StreamArn'), expected);
    assert.deepEqual(await mapping("\n          type: dynamodb\n          arn:\n            Fn::GetAtt: [UsersTable, StreamArn]"), expected);
  });

  it('an intrinsic that resolves at compile time becomes a plain ARN', async () => {
    const m = await mapping("\n          type: kinesis\n          arn: !Sub 'arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/clicks'");
    assert.equal(m.sourceArn, KINESIS);
  });

  it('every option', async () => {
    const m = await mapping(`
          arn: ${KINESIS}
          batchSize: 500
          batchWindow: 300
          startingPosition: AT_TIMESTAMP
          startingPositionTimestamp: 1700000000
          enabled: false
          maximumRetryAttempts: 10000
          bisectBatchOnFunctionError: true
          maximumRecordAgeInSeconds: 604800
          parallelizationFactor: 10
          functionResponseType: ReportBatchItemFailures
          tumblingWindowInSeconds: 900
          filterPatterns:
            - data: { kind: [click] }
            - partitionKey: [a]
          destinations:
            onFailure: arn:aws:sns:us-east-1:000000000000:failures`);
    assert.deepEqual(m, {
      functionName: 'svc-dev-h',
      sourceArn: KINESIS,
      kind: 'kinesis',
      batchSize: 500,
      maximumBatchingWindowInSeconds: 300,
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: 1700000000,
      enabled: false,
      maximumRetryAttempts: 10000,
      bisectBatchOnFunctionError: true,
      maximumRecordAgeInSeconds: 604800,
      parallelizationFactor: 10,
      functionResponseTypes: ['ReportBatchItemFailures'],
      filterPatterns: [{ data: { kind: ['click'] } }, { partitionKey: ['a'] }],
      onFailure: 'arn:aws:sns:us-east-1:000000000000:failures',
      tumblingWindowInSeconds: 900,
    });
  });

  it('onFailure: an ARN, { arn, type } with an intrinsic, or a bare intrinsic; -1 limits', async () => {
    const viaObject = await mapping(`\n          arn: ${TABLE_STREAM}\n          maximumRetryAttempts: -1\n          maximumRecordAgeInSeconds: -1\n          destinations:\n            onFailure:\n              arn: !GetAtt Dlq.Arn\n              type: sqs`);
    assert.deepEqual(viaObject.onFailure, { 'Fn::GetAtt': ['Dlq', 'Arn'] });
    assert.equal(viaObject.maximumRetryAttempts, -1);
    assert.equal(viaObject.maximumRecordAgeInSeconds, -1);
    const bare = await mapping(`\n          arn: ${TABLE_STREAM}\n          destinations:\n            onFailure: !GetAtt Dlq.Arn`);
    assert.deepEqual(bare.onFailure, { 'Fn::GetAtt': ['Dlq', 'Arn'] });
  });

  it('several stream events across functions, in order; consumer is warned', async () => {
    const yaml = `${app(`  a:\n    handler: h.main\n    events:\n      - stream: ${TABLE_STREAM}\n      - httpApi: 'GET /a'\n      - stream:\n          arn: ${KINESIS}\n          consumer: true\n  b:\n    handler: h.main\n    events:\n      - stream: ${KINESIS}\n`)}`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.eventSourceMappings?.map((m) => `${m.functionName} ${m.kind}`), ['svc-dev-a dynamodb', 'svc-dev-a kinesis', 'svc-dev-b kinesis']);
    assert.equal(stack.routes.length, 1);
    assert.deepEqual(stack.warnings, ['functions.a.events[2].stream.consumer (enhanced fan-out) is not supported yet and is ignored; the stream is read directly']);
  });
});

describe('stream events: errors name the key', () => {
  const cases: Array<[string, string, string]> = [
    ['not an ARN', ' users-table', 'functions.h.events[0].stream must be a stream ARN'],
    ['an SQS ARN', ' arn:aws:sqs:us-east-1:000000000000:q', 'functions.h.events[0].stream must be a DynamoDB or Kinesis stream ARN'],
    ['an SQS ARN in an object', '\n          arn: arn:aws:sqs:us-east-1:000000000000:q', 'functions.h.events[0].stream.arn must be a DynamoDB or Kinesis stream ARN'],
    ['a number', ' 42', 'functions.h.events[0].stream must be a stream ARN or an object with arn'],
    ['no arn', '\n          batchSize: 5', 'functions.h.events[0].stream.arn is required'],
    ['intrinsic without type', '\n          arn: !GetAtt UsersTable.StreamArn', 'functions.h.events[0].stream.type is required when arn is a CloudFormation intrinsic'],
    ['bad type', '\n          type: sqs\n          arn: !GetAtt UsersTable.StreamArn', 'functions.h.events[0].stream.type must be dynamodb or kinesis (got "sqs")'],
    ['unknown resource', '\n          type: dynamodb\n          arn: !GetAtt Nope.StreamArn', 'functions.h.events[0].stream.arn.Fn::GetAtt references Nope'],
    ['resolves to a non-ARN', "\n          type: dynamodb\n          arn: !Sub '${AWS::Region}'", 'functions.h.events[0].stream.arn must resolve to a DynamoDB stream ARN (got "us-east-1")'],
    ['batchSize 0', `\n          arn: ${TABLE_STREAM}\n          batchSize: 0`, 'functions.h.events[0].stream.batchSize must be an integer between 1 and 10000 (got 0)'],
    ['batchSize too big', `\n          arn: ${TABLE_STREAM}\n          batchSize: 10001`, 'stream.batchSize must be an integer between 1 and 10000'],
    ['batchWindow', `\n          arn: ${TABLE_STREAM}\n          batchWindow: 301`, 'stream.batchWindow must be an integer between 0 and 300'],
    ['startingPosition', `\n          arn: ${TABLE_STREAM}\n          startingPosition: EARLIEST`, 'stream.startingPosition must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP (got "EARLIEST")'],
    ['AT_TIMESTAMP on DynamoDB', `\n          arn: ${TABLE_STREAM}\n          startingPosition: AT_TIMESTAMP\n          startingPositionTimestamp: 1`, 'stream.startingPosition AT_TIMESTAMP is supported for Kinesis streams only'],
    ['AT_TIMESTAMP without timestamp', `\n          arn: ${KINESIS}\n          startingPosition: AT_TIMESTAMP`, 'stream.startingPositionTimestamp is required when startingPosition is AT_TIMESTAMP'],
    ['enabled', `\n          arn: ${TABLE_STREAM}\n          enabled: 'no'`, 'stream.enabled must be true or false'],
    ['maximumRetryAttempts', `\n          arn: ${TABLE_STREAM}\n          maximumRetryAttempts: -2`, 'stream.maximumRetryAttempts must be an integer between -1 and 10000'],
    ['maximumRecordAgeInSeconds', `\n          arn: ${TABLE_STREAM}\n          maximumRecordAgeInSeconds: 59`, 'stream.maximumRecordAgeInSeconds must be -1 (no limit) or an integer between 60 and 604800 (got 59)'],
    ['parallelizationFactor', `\n          arn: ${TABLE_STREAM}\n          parallelizationFactor: 11`, 'stream.parallelizationFactor must be an integer between 1 and 10'],
    ['tumblingWindowInSeconds', `\n          arn: ${TABLE_STREAM}\n          tumblingWindowInSeconds: 901`, 'stream.tumblingWindowInSeconds must be an integer between 0 and 900'],
    ['functionResponseType', `\n          arn: ${TABLE_STREAM}\n          functionResponseType: Partial`, 'stream.functionResponseType must be ReportBatchItemFailures'],
    ['filterPatterns', `\n          arn: ${TABLE_STREAM}\n          filterPatterns: [INSERT]`, 'stream.filterPatterns must be a list of filter patterns'],
    ['onFailure missing', `\n          arn: ${TABLE_STREAM}\n          destinations: {}`, 'stream.destinations.onFailure is required'],
    ['onFailure not a queue or topic', `\n          arn: ${TABLE_STREAM}\n          destinations:\n            onFailure: arn:aws:lambda:us-east-1:000000000000:function:f`, 'stream.destinations.onFailure must be the ARN of an SQS queue or SNS topic'],
    ['onFailure intrinsic without type', `\n          arn: ${TABLE_STREAM}\n          destinations:\n            onFailure:\n              arn: !GetAtt Dlq.Arn`, 'stream.destinations.onFailure.type is required when arn is a CloudFormation intrinsic'],
  ];
  for (const [name, yaml, message] of cases) {
    it(name, async () => {
      await rejectsWith(loadYaml(streamApp(yaml)), 'ERR_APP_INVALID', `serverless.yml: ${message.startsWith('functions') ? '' : 'functions.h.events[0].'}${message}`);
    });
  }

  it('other event types stay warned', async () => {
    const stack = await loadYaml(app('  h:\n    handler: h.main\n    events:\n      - sqs: arn:aws:sqs:us-east-1:000000000000:q\n      - schedule: rate(1 minute)\n'));
    assert.deepEqual(stack.warnings, ['functions.h.events[0].sqs is not supported yet and is ignored', 'functions.h.events[1].schedule is not supported yet and is ignored']);
    assert.deepEqual(stack.eventSourceMappings, []);
  });
});
