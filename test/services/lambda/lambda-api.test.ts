/**
 * The Lambda API end to end: @aws-sdk/client-lambda, unmodified, against a
 * live Nimbus serving the behaviour fixture app.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { strToU8, zipSync } from 'fflate';
import type { Platform } from '../../../src/platform';
import { copyFixture } from '../../helpers/nimbus';
import { lambdaClient, startLambdaNimbus } from './helpers';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';

async function rejects(p: Promise<unknown>, name: string, status: number, message?: string | RegExp): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } } & Record<string, unknown>;
    assert.equal(err.name, name, err.message);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${name}`);
}

const zip = (src: string): Uint8Array => zipSync({ 'index.js': strToU8(src) });

describe('Lambda API through @aws-sdk/client-lambda', () => {
  let nimbus: Platform;
  let lambda: LambdaClient;
  before(async () => {
    ({ nimbus } = await startLambdaNimbus());
    await nimbus.deploy(copyFixture('behaviour'));
    lambda = lambdaClient(nimbus.awsUrl);
  });
  after(async () => {
    lambda?.destroy();
    await nimbus?.close();
  });

  describe('Invoke', () => {
    it('RequestResponse: payload, executed version, the log tail', async () => {
      const r = await lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', Payload: Buffer.from('{"a":1}'), LogType: 'Tail' }));
      assert.equal(r.StatusCode, 200);
      assert.equal(r.ExecutedVersion, '$LATEST');
      assert.equal(r.FunctionError, undefined);
      assert.equal(JSON.parse(Buffer.from(r.Payload!).toString()).statusCode, 200);
      const log = Buffer.from(r.LogResult!, 'base64').toString();
      assert.match(log, /^START RequestId: \S+ Version: \$LATEST/m);
      assert.match(log, /^REPORT RequestId: /m);
      assert.match(r.$metadata.requestId!, /^[0-9a-f-]{36}$/);
      assert.ok(log.includes(r.$metadata.requestId!), 'x-amzn-RequestId is the invocation id');
    });

    it('a failing function: 200 with X-Amz-Function-Error', async () => {
      const r = await lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-throws' }));
      assert.equal(r.StatusCode, 200);
      assert.equal(r.FunctionError, 'Unhandled');
      assert.equal(JSON.parse(Buffer.from(r.Payload!).toString()).errorType, 'TypeError');
    });

    it('Event is 202 with an empty body; DryRun is 204', async () => {
      const e = await lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', InvocationType: 'Event', Payload: Buffer.from('{}') }));
      assert.equal(e.StatusCode, 202);
      assert.equal(e.Payload?.length ?? 0, 0);
      const d = await lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', InvocationType: 'DryRun' }));
      assert.equal(d.StatusCode, 204);
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'nope', InvocationType: 'DryRun' })), 'ResourceNotFoundException', 404);
    });

    it('every form of the function name, and $LATEST as qualifier', async () => {
      for (const FunctionName of ['behaviour-dev-warm', '000000000000:function:behaviour-dev-warm', `${ARN}:behaviour-dev-warm`, `${ARN}:behaviour-dev-warm:$LATEST`, 'behaviour-dev-warm:$LATEST']) {
        const r = await lambda.send(new InvokeCommand({ FunctionName }));
        assert.equal(r.StatusCode, 200, FunctionName);
      }
      assert.equal((await lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', Qualifier: '$LATEST' }))).StatusCode, 200);
    });

    it('unknown functions, versions and aliases, regions', async () => {
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'missing' })), 'ResourceNotFoundException', 404, `Function not found: ${ARN}:missing`);
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', Qualifier: 'prod' })), 'ResourceNotFoundException', 404, `Function not found: ${ARN}:behaviour-dev-warm:prod`);
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm:1' })), 'ResourceNotFoundException', 404, `Function not found: ${ARN}:behaviour-dev-warm:1`);
      await rejects(
        lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:eu-west-1:000000000000:function:behaviour-dev-warm' })),
        'ResourceNotFoundException',
        404,
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
      );
      await rejects(
        lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm:prod', Qualifier: 'dev' })),
        'InvalidParameterValueException',
        400,
        'The derived qualifier from the function name does not match the specified qualifier.',
      );
    });

    it('invalid names are ValidationException with the pattern AWS quotes', async () => {
      await rejects(
        lambda.send(new InvokeCommand({ FunctionName: 'bad name!' })),
        'ValidationException',
        400,
        "1 validation error detected: Value 'bad name!' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
      );
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'x'.repeat(171) })), 'ValidationException', 400, /Member must have length less than or equal to 170/);
    });

    it('payloads: JSON only, at most 6 MB', async () => {
      await rejects(lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', Payload: Buffer.from('not json') })), 'InvalidRequestContentException', 400, /^Could not parse request body into json: Could not parse payload into json: /);
      const big = Buffer.from(JSON.stringify({ s: 'x'.repeat(6 * 1024 * 1024) }));
      await rejects(
        lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-warm', Payload: big })),
        'RequestTooLargeException',
        413,
        `${big.length} byte payload is too large for the RequestResponse invocation type (limit 6291456 bytes)`,
      );
    });

    it('throttles are 429 TooManyRequestsException with Reason and Retry-After', async () => {
      const e = await rejects(lambda.send(new InvokeCommand({ FunctionName: 'behaviour-dev-disabled' })), 'TooManyRequestsException', 429, 'Rate Exceeded.');
      assert.equal(e.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      assert.equal(e.Type, 'User');
      assert.equal(e.retryAfterSeconds, '1');
    });
  });

  describe('reading functions', () => {
    it('ListFunctions pages with Marker / MaxItems', async () => {
      const names: string[] = [];
      let Marker: string | undefined;
      let pages = 0;
      do {
        const r = await lambda.send(new ListFunctionsCommand({ MaxItems: 4, Marker }));
        names.push(...r.Functions!.map((f) => f.FunctionName!));
        Marker = r.NextMarker;
        pages++;
      } while (Marker);
      const all = (await lambda.send(new ListFunctionsCommand({}))).Functions!.map((f) => f.FunctionName!);
      assert.deepEqual(names, all);
      assert.ok(all.includes('behaviour-dev-warm'));
      assert.equal(pages, Math.ceil(all.length / 4));
      assert.deepEqual([...all].sort(), all);
      await rejects(lambda.send(new ListFunctionsCommand({ MaxItems: 0 })), 'ValidationException', 400, "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
    });

    it('GetFunction and GetFunctionConfiguration', async () => {
      const g = await lambda.send(new GetFunctionCommand({ FunctionName: 'behaviour-dev-reserved' }));
      const c: FunctionConfiguration = g.Configuration!;
      assert.equal(c.FunctionName, 'behaviour-dev-reserved');
      assert.equal(c.FunctionArn, `${ARN}:behaviour-dev-reserved`);
      assert.equal(c.Runtime, 'nodejs20.x');
      assert.equal(c.Handler, 'src/fns.slow');
      assert.equal(c.Timeout, 5);
      assert.equal(c.MemorySize, 256);
      assert.equal(c.Version, '$LATEST');
      assert.equal(c.State, 'Active');
      assert.equal(c.Environment?.Variables?.FROM_PROVIDER, 'yes-provider');
      assert.match(c.LastModified!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
      assert.equal(g.Concurrency?.ReservedConcurrentExecutions, 1);
      const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${ARN}:behaviour-dev-reserved` }));
      assert.equal(conf.FunctionName, 'behaviour-dev-reserved');
      assert.equal(conf.CodeSha256, c.CodeSha256);
      await rejects(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, `Function not found: ${ARN}:nope`);
    });

    it('GetAccountSettings', async () => {
      const s = await lambda.send(new GetAccountSettingsCommand({}));
      assert.equal(s.AccountLimit?.ConcurrentExecutions, 1000);
      assert.ok((s.AccountUsage?.FunctionCount ?? 0) >= 11);
    });
  });

  describe('concurrency and async settings', () => {
    it('Put / Get / DeleteFunctionConcurrency', async () => {
      assert.deepEqual((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow' }))).ReservedConcurrentExecutions, undefined);
      const p = await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow', ReservedConcurrentExecutions: 5 }));
      assert.equal(p.ReservedConcurrentExecutions, 5);
      assert.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow' }))).ReservedConcurrentExecutions, 5);
      const d = await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow' }));
      assert.equal(d.$metadata.httpStatusCode, 204);
      assert.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow' }))).ReservedConcurrentExecutions, undefined);
      await rejects(
        lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow', ReservedConcurrentExecutions: 950 })),
        'InvalidParameterValueException',
        400,
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
      );
      await rejects(lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'behaviour-dev-slow', ReservedConcurrentExecutions: -1 })), 'ValidationException', 400, /Member must have value greater than or equal to 0/);
    });

    it('Put / GetFunctionEventInvokeConfig', async () => {
      await rejects(
        lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'behaviour-dev-mem' })),
        'ResourceNotFoundException',
        404,
        `The function ${ARN}:behaviour-dev-mem:$LATEST doesn't have an EventInvokeConfig`,
      );
      const put = await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'behaviour-dev-mem',
          MaximumRetryAttempts: 1,
          MaximumEventAgeInSeconds: 120,
          DestinationConfig: { OnFailure: { Destination: `${ARN}:behaviour-dev-warm` } },
        }),
      );
      assert.equal(put.FunctionArn, `${ARN}:behaviour-dev-mem:$LATEST`);
      assert.ok(put.LastModified instanceof Date);
      const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'behaviour-dev-mem' }));
      assert.equal(got.MaximumRetryAttempts, 1);
      assert.equal(got.MaximumEventAgeInSeconds, 120);
      assert.equal(got.DestinationConfig?.OnFailure?.Destination, `${ARN}:behaviour-dev-warm`);
      await rejects(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'behaviour-dev-mem' })), 'InvalidParameterValueException', 400, 'You must specify at least one of error handling or destination setting.');
      await rejects(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'behaviour-dev-mem', MaximumRetryAttempts: 3 })), 'ValidationException', 400, /Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2/);
      await rejects(
        lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'behaviour-dev-mem', DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:q' } } })),
        'InvalidParameterValueException',
        400,
        /not supported by Nimbus yet/,
      );
    });
  });

  describe('functions created through the API', () => {
    it('CreateFunction / Invoke / UpdateFunctionCode / DeleteFunction', async () => {
      const created = await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'api-made',
          Runtime: 'nodejs20.x',
          Role: 'arn:aws:iam::000000000000:role/lambda-role',
          Handler: 'index.handler',
          Code: { ZipFile: zip("exports.handler = async (e) => ({ v: 1, got: e });") },
          Environment: { Variables: { A: 'b' } },
          MemorySize: 256,
        }),
      );
      assert.equal(created.$metadata.httpStatusCode, 201);
      assert.equal(created.FunctionName, 'api-made');
      assert.equal(created.FunctionArn, `${ARN}:api-made`);
      assert.equal(created.MemorySize, 256);
      let r = await lambda.send(new InvokeCommand({ FunctionName: 'api-made', Payload: Buffer.from('{"x":1}') }));
      assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { v: 1, got: { x: 1 } });

      await rejects(
        lambda.send(new CreateFunctionCommand({ FunctionName: 'api-made', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: zip('') } })),
        'ResourceConflictException',
        409,
        'Function already exist: api-made',
      );

      const updated = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'api-made', ZipFile: zip('exports.handler = async () => ({ v: 2 });') }));
      assert.notEqual(updated.CodeSha256, created.CodeSha256);
      r = await lambda.send(new InvokeCommand({ FunctionName: 'api-made' }));
      assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { v: 2 });

      const d = await lambda.send(new DeleteFunctionCommand({ FunctionName: 'api-made' }));
      assert.equal(d.$metadata.httpStatusCode, 204);
      await rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'api-made' })), 'ResourceNotFoundException', 404, `Function not found: ${ARN}:api-made`);
      await rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: 'api-made' })), 'ResourceNotFoundException', 404);
    });

    it('only ZipFile code for now; AWS-worded checks of the package and handler', async () => {
      const base = { FunctionName: 'api-s3', Runtime: 'nodejs20.x' as const, Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler' };
      await rejects(lambda.send(new CreateFunctionCommand({ ...base, Code: { S3Bucket: 'bucket', S3Key: 'key.zip' } })), 'InvalidParameterValueException', 400, /only ZipFile/);
      await rejects(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'behaviour-dev-warm', S3Bucket: 'bucket', S3Key: 'key.zip' })), 'InvalidParameterValueException', 400, /only ZipFile/);
      await rejects(lambda.send(new CreateFunctionCommand({ ...base, Code: { ZipFile: Buffer.from('not a zip') } })), 'InvalidParameterValueException', 400, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
      await rejects(
        lambda.send(new CreateFunctionCommand({ ...base, Handler: undefined, Code: { ZipFile: zip('') } })),
        'InvalidParameterValueException',
        400,
        'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
      );
      await rejects(lambda.send(new CreateFunctionCommand({ ...base, Role: 'nope', Code: { ZipFile: zip('') } })), 'ValidationException', 400, /Value 'nope' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    });
  });

  it('an operation Nimbus does not implement yet is UnknownOperationException, naming it', async () => {
    await rejects(lambda.send(new GetAliasCommand({ FunctionName: 'behaviour-dev-warm', Name: 'live' })), 'UnknownOperationException', 404, 'Nimbus does not implement the lambda operation GetAlias yet');
  });
});
