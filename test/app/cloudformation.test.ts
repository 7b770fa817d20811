import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { deploymentOrder, functionLogicalId } from '../../src/app/cloudformation/resources';
import { loadApp } from '../../src/app/load-app';
import type { ResourceSpec } from '../../src/app/stack';
import { isPlatformError } from '../../src/errors';
import { app, cleanupApps, fixture, loadYaml, rejectsWith } from './helpers';

after(cleanupApps);

const TABLE_ARN = { 'Fn::GetAtt': ['UsersTable', 'Arn'] };
const QUEUE_ARN = { 'Fn::GetAtt': ['DeadLetters', 'Arn'] };

/** A definition with one function and `resources` given as YAML (indented under resources:). */
function withResources(resourcesYaml: string, functionExtra = ''): string {
  return `${app(`  hello:\n    handler: h.main\n${functionExtra}`)}resources:\n${resourcesYaml}`;
}

describe('cloudformation: the cfn-users fixture', () => {
  it('compiles resources, outputs, environment templates, stream events and IAM statements', async () => {
    const stack = await loadApp(fixture('cfn-users'), { env: {} });
    assert.deepEqual(stack.resources, [
      {
        logicalId: 'UsersTable',
        type: 'AWS::DynamoDB::Table',
        properties: {
          TableName: 'users-dev-users',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        },
        dependsOn: [],
        deletionPolicy: 'Retain',
        updateReplacePolicy: 'Delete',
      },
      {
        logicalId: 'DeadLetters',
        type: 'AWS::SQS::Queue',
        properties: { QueueName: 'users-dev-dlq', Tags: [{ Key: 'table', Value: { Ref: 'UsersTable' } }] },
        dependsOn: ['UsersTable'],
        deletionPolicy: 'Delete',
        updateReplacePolicy: 'Delete',
      },
    ]);
    assert.deepEqual(stack.outputs, [{ name: 'TableName', value: { Ref: 'UsersTable' }, description: 'The users table', exportName: 'users-dev-table' }]);
    assert.deepEqual(stack.warnings, ['resources.Outputs.ApiUrl references HttpApi, which Nimbus does not model yet; the output is left out']);

    const [api, onUser] = stack.functions;
    assert.deepEqual(api!.environment, { REGION_TAG: 'eu-west-1-dev', ON_USER: 'users-dev-onUser', ON_USER_ARN: 'arn:aws:lambda:eu-west-1:000000000000:function:users-dev-onUser' });
    assert.deepEqual(api!.environmentTemplates, { TABLE: { Ref: 'UsersTable' }, QUEUE_URL: { Ref: 'DeadLetters' } });
    assert.deepEqual(onUser!.environment, { REGION_TAG: 'eu-west-1-dev' });
    assert.deepEqual(onUser!.environmentTemplates, { TABLE: { Ref: 'UsersTable' } });

    const statements = [
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: [TABLE_ARN] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [QUEUE_ARN, 'arn:aws:sqs:eu-west-1:000000000000:other'] },
    ];
    assert.deepEqual(api!.iamStatements, statements);
    assert.deepEqual(onUser!.iamStatements, statements);

    assert.deepEqual(stack.eventSourceMappings, [
      {
        functionName: 'users-dev-onUser',
        sourceArn: { 'Fn::GetAtt': ['UsersTable', 'StreamArn'] },
        kind: 'dynamodb',
        batchSize: 50,
        maximumBatchingWindowInSeconds: 5,
        startingPosition: 'LATEST',
        startingPositionTimestamp: null,
        enabled: true,
        maximumRetryAttempts: 3,
        bisectBatchOnFunctionError: true,
        maximumRecordAgeInSeconds: 3600,
        parallelizationFactor: 1,
        functionResponseTypes: ['ReportBatchItemFailures'],
        filterPatterns: [{ eventName: ['INSERT'] }],
        onFailure: QUEUE_ARN,
        tumblingWindowInSeconds: 0,
      },
      {
        functionName: 'users-dev-onUser',
        sourceArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/clicks',
        kind: 'kinesis',
        // The framework's defaults (stream.js), then AWS's.
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
      },
    ]);
    // JSON-serializable: the store keeps it.
    assert.deepEqual(JSON.parse(JSON.stringify(stack)), stack);
  });

  it('conditions follow the stage: the prod-only resource and property appear in prod', async () => {
    const stack = await loadApp(fixture('cfn-users'), { env: {}, stage: 'prod' });
    assert.deepEqual(stack.resources?.map((r) => r.logicalId), ['UsersTable', 'DeadLetters', 'ProdAlarms']);
    const table = stack.resources![0]!.properties as Record<string, unknown>;
    assert.deepEqual(table.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(table.TableName, 'users-prod-users');
  });
});

describe('cloudformation: resources', () => {
  it('DependsOn and implicit references order the deployment; ties keep declaration order', async () => {
    const stack = await loadYaml(withResources(`  Resources:
    C:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: !Sub '\${B}-\${A.Arn}'
    B:
      Type: AWS::SQS::Queue
      DependsOn: [A, A]
    A:
      Type: AWS::SQS::Queue
    D:
      Type: AWS::SQS::Queue
      DependsOn: A
      Properties:
        X: !Select [0, [!GetAtt C.Arn]]
`));
    const byId = new Map(stack.resources!.map((r) => [r.logicalId, r]));
    assert.deepEqual(byId.get('C')!.dependsOn, ['B', 'A']);
    assert.deepEqual(byId.get('B')!.dependsOn, ['A']);
    assert.deepEqual(byId.get('D')!.dependsOn, ['A', 'C']);
    assert.deepEqual(deploymentOrder(stack.resources!), ['A', 'B', 'C', 'D']);
  });

  it('deploymentOrder is deterministic and reports cycles with their path', () => {
    const r = (logicalId: string, dependsOn: string[]): ResourceSpec => ({ logicalId, type: 'AWS::SQS::Queue', properties: {}, dependsOn, deletionPolicy: 'Delete', updateReplacePolicy: 'Delete' });
    assert.deepEqual(deploymentOrder([r('Z', []), r('Y', ['Z']), r('X', [])]), ['Z', 'Y', 'X']);
    assert.deepEqual(deploymentOrder([]), []);
    let err: unknown;
    try {
      deploymentOrder([r('Free', []), r('A', ['B']), r('B', ['C']), r('C', ['A']), r('D', ['A'])], 'serverless.yml');
    } catch (e) {
      err = e;
    }
    assert.ok(isPlatformError(err));
    assert.equal(err.code, 'ERR_APP_INVALID');
    assert.equal(err.message, 'serverless.yml: resources.Resources has a circular dependency: A -> B -> C -> A (CloudFormation: "Circular dependency between resources: [A, B, C]")');
  });

  it('cycles through references fail the load', async () => {
    await rejectsWith(
      loadYaml(withResources(`  Resources:
    A:
      Type: AWS::SQS::Queue
      Properties:
        Name: !GetAtt B.Arn
    B:
      Type: AWS::SQS::Queue
      Properties:
        Name: !Ref A
`)),
      'ERR_APP_INVALID',
      'serverless.yml: resources.Resources has a circular dependency: A -> B -> A',
    );
    await rejectsWith(loadYaml(withResources('  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      Properties:\n        Name: !Ref A\n')), 'ERR_APP_INVALID', 'circular dependency: A -> A');
  });

  it('invalid resources name the key and why', async () => {
    const cases: Array<[string, string]> = [
      ['  Resources:\n    A:\n      Properties: {}\n', 'serverless.yml: resources.Resources.A.Type is required'],
      ['  Resources:\n    A:\n      Type: Table\n', 'resources.Resources.A.Type must be a resource type such as AWS::DynamoDB::Table (got "Table")'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      Properties: [1]\n', 'resources.Resources.A.Properties must be a mapping'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      DependsOn: Nope\n', 'resources.Resources.A.DependsOn names Nope, which is not a resource of this template (CloudFormation: "Unresolved resource dependencies [Nope]'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      DependsOn: [1]\n', 'resources.Resources.A.DependsOn must be a logical id or a list of logical ids'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      DeletionPolicy: Keep\n', 'resources.Resources.A.DeletionPolicy must be one of Delete, Retain, RetainExceptOnCreate, Snapshot (got "Keep")'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      UpdateReplacePolicy: RetainExceptOnCreate\n', 'resources.Resources.A.UpdateReplacePolicy must be one of Delete, Retain, Snapshot'],
      ['  Resources:\n    my-queue:\n      Type: AWS::SQS::Queue\n', 'resources.Resources.my-queue is not a valid logical id'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      Properties:\n        X: !Ref Nope\n', 'resources.Resources.A.Properties.X.Ref references Nope, which is not a resource, parameter or pseudo parameter'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      Properties:\n        X: !Ref ApiGatewayRestApi\n', 'resources.Resources.A.Properties.X.Ref references ApiGatewayRestApi, a resource the Serverless Framework generates that Nimbus does not model yet'],
      ['  Resources:\n    A:\n      Type: AWS::SQS::Queue\n      Condition: Nope\n', 'resources.Resources.A.Condition names Nope, which resources.Conditions does not define'],
      ['  Parameters:\n    P:\n      Type: String\n', 'resources.Parameters.P has no Default'],
      ['  Outputs:\n    O:\n      Description: x\n', 'resources.Outputs.O.Value is required'],
      ['  Resources: [1]\n', 'resources.Resources must be a mapping'],
      ['  Conditions:\n    A: !Equals [!Ref AWS::Region, x]\n    B: !Not [{Condition: B}]\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n      Condition: B\n', 'resources.Conditions.B depends on itself'],
    ];
    for (const [yaml, message] of cases) await rejectsWith(loadYaml(withResources(yaml)), 'ERR_APP_INVALID', message);
  });

  it('a reference to a resource whose condition is false fails; one under the same condition is dropped with it', async () => {
    const yaml = (cond: string): string => withResources(`  Conditions:
    Off: !Equals [a, b]
  Resources:
    Maybe:
      Type: AWS::SQS::Queue
      Condition: Off
    User:
      Type: AWS::SQS::Queue
${cond}      Properties:
        X: !GetAtt Maybe.Arn
`);
    await rejectsWith(loadYaml(yaml('')), 'ERR_APP_INVALID', 'resources.Resources.User.Properties.X.Fn::GetAtt references Maybe, which is not created because its condition Off is false');
    const stack = await loadYaml(yaml('      Condition: Off\n'));
    assert.deepEqual(stack.resources, []);
  });

  it('parameters with defaults, mappings, lists of resources, stackName, policies and warnings', async () => {
    const yaml = `${app('  hello:\n    handler: h.main\n', '  stackName: custom-stack\n')}resources:
  - Parameters:
      Env:
        Type: String
        Default: qa
      Zones:
        Type: CommaDelimitedList
        Default: 'a, b'
    Mappings:
      Sizes:
        qa: { Capacity: 2 }
    Transform: AWS::Serverless-2016-10-31
  - Resources:
      T:
        Type: AWS::DynamoDB::Table
        DeletionPolicy: Snapshot
        UpdateReplacePolicy: Retain
        Metadata: { any: thing }
        Propertys: {}
        Properties:
          Stack: !Ref AWS::StackName
          Capacity: !FindInMap [Sizes, !Ref Env, Capacity]
          Zone: !Select [1, !Ref Zones]
          Role: !GetAtt IamRoleLambdaExecution.Arn
          Fn: !Ref HelloLambdaFunction
`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.resources, [
      {
        logicalId: 'T',
        type: 'AWS::DynamoDB::Table',
        properties: { Stack: 'custom-stack', Capacity: 2, Zone: 'b', Role: 'arn:aws:iam::000000000000:role/svc-dev-us-east-1-lambdaRole', Fn: 'svc-dev-hello' },
        dependsOn: [],
        deletionPolicy: 'Snapshot',
        updateReplacePolicy: 'Retain',
      },
    ]);
    assert.deepEqual(stack.warnings, [
      'resources.Transform is not supported yet and is ignored (no macros or transforms run)',
      'resources.Resources.T.Propertys is not a CloudFormation resource attribute and is ignored',
      'resources.Resources.T.DeletionPolicy Snapshot: Nimbus takes no snapshots, so the AWS::DynamoDB::Table is deleted as with Delete',
    ]);
  });

  it("function logical ids follow the framework's naming", () => {
    assert.equal(functionLogicalId('hello'), 'HelloLambdaFunction');
    assert.equal(functionLogicalId('create-user_v2'), 'CreateDashuserUnderscorev2LambdaFunction');
  });

  it('a resource overriding a generated function resource is warned and ignored', async () => {
    const stack = await loadYaml(withResources('  Resources:\n    HelloLambdaFunction:\n      Type: AWS::Lambda::Function\n      Properties:\n        MemorySize: 2048\n'));
    assert.deepEqual(stack.resources, []);
    assert.deepEqual(stack.warnings, ['resources.Resources.HelloLambdaFunction overrides the function resource the framework generates; Nimbus does not apply resource overrides and ignores it']);
  });
});

describe('cloudformation: environment', () => {
  it('the function value wins over the provider value, template or not', async () => {
    const yaml = `${app('  a:\n    handler: h.main\n    environment:\n      XX: plain\n      YY: !Ref Q\n', '  environment:\n    XX: !Ref Q\n    YY: from-provider\n')}resources:\n  Resources:\n    Q:\n      Type: AWS::SQS::Queue\n`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.functions[0]!.environment, { XX: 'plain' });
    assert.deepEqual(stack.functions[0]!.environmentTemplates, { YY: { Ref: 'Q' } });
  });

  it('AWS::NoValue leaves a variable unset; a list is invalid; generated ids are warned', async () => {
    const stack = await loadYaml(app("  a:\n    handler: h.main\n    environment:\n      GONE: !Ref AWS::NoValue\n      URL: !Sub 'https://${ApiGatewayRestApi}.example'\n"));
    assert.deepEqual(stack.functions[0]!.environment, {});
    assert.equal(stack.functions[0]!.environmentTemplates, undefined);
    assert.deepEqual(stack.warnings, ['functions.a.environment.URL references ApiGatewayRestApi, which Nimbus does not model yet; the variable is not set']);
    await rejectsWith(loadYaml(app("  a:\n    handler: h.main\n    environment:\n      LL: !Split [',', 'a,b']\n")), 'ERR_APP_INVALID', 'functions.a.environment.LL must resolve to a string, number or boolean');
  });
});

describe('cloudformation: IAM statements', () => {
  it('provider.iam.role.statements and provider.iamRoleStatements, normalized to lists', async () => {
    const provider = `  iam:
    role:
      name: custom-name
      statements:
        - Sid: Read
          Effect: Allow
          Action: s3:GetObject
          Resource: 'arn:aws:s3:::bucket/*'
          Condition:
            StringEquals:
              aws:RequestedRegion: !Ref AWS::Region
  iamRoleStatements:
    - Effect: Deny
      NotAction: [iam:*]
      NotResource: '*'
`;
    const stack = await loadYaml(app('  a:\n    handler: h.main\n', provider));
    assert.deepEqual(stack.functions[0]!.iamStatements, [
      { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::bucket/*'], Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } },
      { Effect: 'Deny', Action: [], Resource: [], NotAction: ['iam:*'], NotResource: ['*'] },
    ]);
    assert.deepEqual(stack.warnings, []);
  });

  it('invalid statements name the key', async () => {
    const st = (s: string): string => app('  a:\n    handler: h.main\n', `  iamRoleStatements:\n    - ${s}\n`);
    await rejectsWith(loadYaml(st('Action: s3:GetObject\n      Resource: "*"')), 'ERR_APP_INVALID', 'provider.iamRoleStatements[0].Effect must be Allow or Deny');
    await rejectsWith(loadYaml(st('Effect: Allow\n      Resource: "*"')), 'ERR_APP_INVALID', 'provider.iamRoleStatements[0] must have exactly one of Action and NotAction');
    await rejectsWith(loadYaml(st('Effect: Allow\n      Action: s3:GetObject')), 'ERR_APP_INVALID', 'provider.iamRoleStatements[0] must have exactly one of Resource and NotResource');
    await rejectsWith(loadYaml(st('Effect: Allow\n      Action: [getobject]\n      Resource: "*"')), 'ERR_APP_INVALID', 'provider.iamRoleStatements[0].Action[0] must be an action such as dynamodb:GetItem');
    await rejectsWith(loadYaml(st('Effect: Allow\n      Action: s3:GetObject\n      Resource: bucket')), 'ERR_APP_INVALID', 'provider.iamRoleStatements[0].Resource must be an ARN, * or a CloudFormation intrinsic (got "bucket")');
    await rejectsWith(loadYaml(app('  a:\n    handler: h.main\n', '  iam:\n    role:\n      statements: {}\n')), 'ERR_APP_INVALID', 'provider.iam.role.statements must be a list of IAM policy statements');
  });

  it('an existing role and managed policies are warned (permissions are not enforced)', async () => {
    const stack = await loadYaml(app('  a:\n    handler: h.main\n', '  iam:\n    role: arn:aws:iam::000000000000:role/x\n'));
    assert.deepEqual(stack.warnings, ['provider.iam.role (an existing role) is not supported yet and is ignored (permissions are not enforced)']);
    const stack2 = await loadYaml(app('  a:\n    handler: h.main\n', '  iam:\n    role:\n      managedPolicies: [arn:aws:iam::aws:policy/X]\n'));
    assert.deepEqual(stack2.warnings, ['provider.iam.role.managedPolicies is not supported yet and is ignored (permissions are not enforced)']);
  });
});
