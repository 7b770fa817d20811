import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadApp } from '../../src/app/load-app';
import { app, cleanupApps, loadYaml, rejectsWith, writeApp } from './helpers';

after(cleanupApps);

/** One function `hello` with the given extra YAML lines (indented 4). */
function fn(lines: string, providerExtra = ''): string {
  return app(`  hello:\n    handler: src/hello.main\n${lines}`, providerExtra);
}

/** [title, yaml, ...strings the message must contain (besides serverless.yml)] */
const INVALID: Array<[string, string, ...string[]]> = [
  ['missing service', 'provider:\n  name: aws\n', 'service is required'],
  ['bad service name', 'service: 1abc\nprovider:\n  name: aws\n', 'service must start with a letter'],
  ['legacy service without name', 'service:\n  x: 1\nprovider:\n  name: aws\n', 'service.name is required'],
  ['missing provider', 'service: svc\n', 'provider is required'],
  ['provider not aws', 'service: svc\nprovider:\n  name: google\n', 'provider.name must be "aws"'],
  ['not a mapping', '- a\n- b\n', 'must be a mapping'],
  ['functions not a mapping', 'service: svc\nprovider:\n  name: aws\nfunctions: yes\n', 'functions must be a mapping'],
  ['function not a mapping', app('  hello: true\n'), 'functions.hello must be a mapping'],
  ['bad function key', app('  "he llo":\n    handler: a.b\n'), 'functions.he llo is not a valid function name'],
  ['missing handler', app('  hello:\n    timeout: 3\n'), 'functions.hello.handler is required'],
  ['image instead of handler', app('  hello:\n    image: repo/img\n'), 'functions.hello.handler is required (container image functions are not supported yet)'],
  ['handler without export', app('  hello:\n    handler: handler\n'), 'functions.hello.handler must be "path/to/module.export"', '(got "handler")'],
  ['handler with empty export', app('  hello:\n    handler: src/handler.\n'), 'functions.hello.handler must be "path/to/module.export"'],
  ['handler with ..', app('  hello:\n    handler: ../lib/x.main\n'), 'functions.hello.handler must be "path/to/module.export"'],
  ['handler not a string', app('  hello:\n    handler: 42\n'), 'functions.hello.handler must be a non-empty string'],
  ['memorySize too small', fn('    memorySize: 64\n'), 'functions.hello.memorySize must be an integer between 128 and 10240 (got 64)'],
  ['memorySize too big', fn('    memorySize: 10241\n'), 'functions.hello.memorySize must be an integer between 128 and 10240'],
  ['provider memorySize not a number', fn('', '  memorySize: lots\n'), 'provider.memorySize must be an integer between 128 and 10240 (got "lots")'],
  ['timeout zero', fn('', '  timeout: 0\n'), 'provider.timeout must be an integer between 1 and 900 (got 0)'],
  ['timeout fractional', fn('    timeout: 1.5\n'), 'functions.hello.timeout must be an integer between 1 and 900 (got 1.5)'],
  ['timeout too big', fn('    timeout: 901\n'), 'functions.hello.timeout must be an integer between 1 and 900'],
  ['negative reservedConcurrency', fn('    reservedConcurrency: -1\n'), 'functions.hello.reservedConcurrency must be an integer of at least 0 (got -1)'],
  ['negative provisionedConcurrency', fn('    provisionedConcurrency: -2\n'), 'functions.hello.provisionedConcurrency must be an integer of at least 0'],
  ['provisioned over reserved', fn('    reservedConcurrency: 2\n    provisionedConcurrency: 3\n'), 'functions.hello.provisionedConcurrency must not exceed reservedConcurrency (2)'],
  ['unsupported function runtime', fn('    runtime: python3.12\n'), 'functions.hello.runtime must be nodejsNN.x', '(got "python3.12")'],
  ['unsupported provider runtime', 'service: svc\nprovider:\n  name: aws\n  runtime: java21\n', 'provider.runtime must be nodejsNN.x', '(got "java21")'],
  ['description too long', fn(`    description: ${'x'.repeat(257)}\n`), 'functions.hello.description must be at most 256 characters'],
  ['bad name override', fn('    name: has space\n'), 'functions.hello.name name must be 1-64 letters'],
  ['generated name too long', app(`  ${'f'.repeat(62)}:\n    handler: a.b\n`), `functions.${'f'.repeat(62)} gives the deployed name`],
  ['duplicate deployed names', app('  a:\n    handler: a.b\n    name: same\n  b:\n    handler: a.b\n    name: same\n'), 'functions.b has the deployed name "same", which functions.a already has'],
  ['env reserved key', fn('    environment:\n      AWS_REGION: x\n'), 'functions.hello.environment.AWS_REGION is reserved by Lambda'],
  ['env bad name', fn('', '  environment:\n    1ABC: x\n'), 'provider.environment.1ABC is not a valid Lambda environment variable name'],
  ['env object value', fn('    environment:\n      CONF:\n        a: 1\n'), 'functions.hello.environment.CONF must be a string, number or boolean'],
  ['env null value', fn('    environment:\n      EMPTY:\n'), 'functions.hello.environment.EMPTY must be a string, number or boolean (got null)'],
  ['env over 4 KB', fn(`    environment:\n      BIG: ${'x'.repeat(3000)}\n`, `  environment:\n    BIG2: ${'y'.repeat(1200)}\n`), 'functions.hello.environment is', "4 KB limit"],
  ['events not a list', fn('    events:\n      http: get x\n'), 'functions.hello.events must be a list of events'],
  ['event with two types', fn('    events:\n      - http: GET /a\n        httpApi: GET /a\n'), 'functions.hello.events[0] must be an object with exactly one event type'],
  ['event not an object', fn('    events:\n      - http\n'), 'functions.hello.events[0] must be an object with exactly one event type'],
  ['http not string or object', fn('    events:\n      - http: 42\n'), 'functions.hello.events[0].http must be "METHOD path"'],
  ['http string with one part', fn('    events:\n      - http: users\n'), 'functions.hello.events[0].http must be "METHOD path"'],
  ['http object without path', fn('    events:\n      - http:\n          method: get\n'), 'functions.hello.events[0].http.path is required'],
  ['http object without method', fn('    events:\n      - http:\n          path: users\n'), 'functions.hello.events[0].http.method is required'],
  ['bad http method', fn('    events:\n      - http: fetch users\n'), 'functions.hello.events[0].http must be one of GET, POST, PUT, PATCH, OPTIONS, HEAD, DELETE, ANY or * (got "fetch")'],
  ['bad http object method', fn('    events:\n      - http:\n          path: users\n          method: connect\n'), 'functions.hello.events[0].http.method must be one of'],
  ['bad httpApi method', fn("    events:\n      - httpApi: 'TRACE /x'\n"), 'functions.hello.events[0].httpApi must be one of'],
  ['httpApi path without slash', fn("    events:\n      - httpApi: 'GET users'\n"), 'functions.hello.events[0].httpApi must start with "/" (got "users")'],
  ['httpApi object without method', fn('    events:\n      - httpApi:\n          path: /users\n'), 'functions.hello.events[0].httpApi.method is required'],
  ['httpApi catch-all with a method', fn("    events:\n      - httpApi:\n          path: '*'\n          method: GET\n"), 'functions.hello.events[0].httpApi.method must be "*" or omitted when path is "*"'],
  ['httpApi malformed string', fn("    events:\n      - httpApi: 'GET'\n"), 'functions.hello.events[0].httpApi must be "METHOD /path"'],
  ['greedy not last', fn("    events:\n      - httpApi: 'GET /files/{proxy+}/meta'\n"), 'functions.hello.events[0].httpApi has the greedy parameter {proxy+} before the last segment'],
  ['greedy not last (http object)', fn('    events:\n      - http:\n          path: a/{rest+}/b\n          method: get\n'), 'functions.hello.events[0].http.path has the greedy parameter'],
  ['partial-segment parameter', fn("    events:\n      - httpApi: 'GET /users/{id}.json'\n"), 'functions.hello.events[0].httpApi has an invalid path parameter "{id}.json"'],
  ['empty segment', fn('    events:\n      - http: get a//b\n'), 'functions.hello.events[0].http must not contain an empty segment'],
  ['duplicate parameter name', fn("    events:\n      - httpApi: 'GET /a/{id}/b/{id}'\n"), 'uses the path parameter {id} twice'],
  ['duplicate route in one function', fn("    events:\n      - httpApi: 'GET /users'\n      - httpApi: 'get /users/'\n"), 'functions.hello.events[1].httpApi defines the route GET /users already defined by functions.hello.events[0].httpApi'],
  ['duplicate route across functions', app('  a:\n    handler: a.b\n    events:\n      - http: GET users\n  b:\n    handler: a.b\n    events:\n      - http:\n          path: /users\n          method: get\n'), 'functions.b.events[0].http defines the route GET /users already defined by functions.a.events[0].http'],
  ['duplicate route with other parameter names', fn("    events:\n      - httpApi: 'GET /u/{id}'\n      - httpApi: 'GET /u/{userId}'\n"), 'GET /u/{userId}, which matches the same requests as GET /u/{id}'],
  ['duplicate ANY routes', fn("    events:\n      - httpApi: 'ANY /x'\n      - httpApi: '* /x'\n"), 'defines the route ANY /x already defined'],
  ['two $default routes', app("  a:\n    handler: a.b\n    events:\n      - httpApi: '*'\n  b:\n    handler: a.b\n    events:\n      - httpApi:\n          path: '*'\n"), 'functions.b.events[0].httpApi defines the route $default already defined by functions.a.events[0].httpApi'],
  ['REST sibling variables', fn('    events:\n      - http: get users/{id}\n      - http: post users/{userId}\n'), 'functions.hello.events[1].http path /users/{userId} has {userId} under /users where functions.hello.events[0].http has {id}'],
  ['bad http cors', fn('    events:\n      - http:\n          path: a\n          method: get\n          cors: yes please\n'), 'functions.hello.events[0].http.cors must be true, false or an object'],
  ['bad http cors maxAge', fn('    events:\n      - http:\n          path: a\n          method: get\n          cors:\n            maxAge: 0\n'), 'functions.hello.events[0].http.cors.maxAge must be an integer of at least 1'],
  ['bad httpApi cors', fn('', '  httpApi:\n    cors:\n      allowedOrigins: 5\n'), 'provider.httpApi.cors.allowedOrigins must be a string or a list of strings'],
  ['bad httpApi payload', fn('', "  httpApi:\n    payload: '3.0'\n"), 'provider.httpApi.payload must be "1.0" or "2.0"'],
  ['bad useDotenv', `useDotenv: yes\n${fn('')}`, 'useDotenv must be true or false'],
];

describe('validation: invalid definitions are ERR_APP_INVALID naming the file and key', () => {
  for (const [title, yaml, ...contains] of INVALID) {
    it(title, async () => {
      await rejectsWith(loadYaml(yaml), 'ERR_APP_INVALID', 'serverless.yml', ...contains);
    });
  }

  it('the message format, exactly', async () => {
    const err = await rejectsWith(loadYaml(fn('    timeout: abc\n')), 'ERR_APP_INVALID');
    assert.equal(err.message, 'serverless.yml: functions.hello.timeout must be an integer between 1 and 900 (got "abc")');
    assert.equal(err.file, 'serverless.yml');
    assert.equal(err.key, 'functions.hello.timeout');
  });

  it('YAML syntax errors name the line', async () => {
    const yaml = 'service: svc\nprovider:\n  name: aws\n  runtime: [nodejs20.x\nfunctions: {}\n';
    await rejectsWith(loadYaml(yaml), 'ERR_APP_INVALID', 'serverless.yml:', 'syntax error');
    const bad = 'service: svc\nprovider:\n  name: aws\n\tfoo: 1\n';
    await rejectsWith(loadYaml(bad), 'ERR_APP_INVALID', 'serverless.yml:4:', 'syntax error');
  });

  it('duplicate YAML keys name the line', async () => {
    await rejectsWith(loadYaml('service: a\nservice: b\n'), 'ERR_APP_INVALID', 'serverless.yml:2:', 'unique');
  });

  it('JSON syntax errors name the line', async () => {
    const dir = writeApp({ 'serverless.json': '{\n  "service": "x",\n  oops\n}' });
    await rejectsWith(loadApp(dir), 'ERR_APP_INVALID', 'serverless.json:3:', 'syntax error');
  });

  it('an empty file', async () => {
    await rejectsWith(loadYaml('# nothing\n'), 'ERR_APP_INVALID', 'serverless.yml is empty');
  });

  it('REST API stage names must be API Gateway-safe when there are http events', async () => {
    await rejectsWith(loadYaml(fn('    events:\n      - http: get a\n'), { stage: 'a.b' }), 'ERR_APP_INVALID', 'provider.stage must contain only letters');
    const ok = await loadYaml(fn("    name: fine\n    events:\n      - httpApi: 'GET /a'\n"), { stage: 'a.b' });
    assert.equal(ok.stage, 'a.b');
  });
});

describe('validation: accepted edge cases', () => {
  it('a specific method and ANY on one path, and http vs httpApi on one path, may coexist', async () => {
    const yaml = fn("    events:\n      - httpApi: 'GET /x'\n      - httpApi: 'ANY /x'\n      - http: GET x\n      - http: ANY x\n");
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.routes.map((r) => `${r.kind} ${r.method} ${r.path}`), ['httpApi GET /x', 'httpApi ANY /x', 'http GET /x', 'http ANY /x']);
  });

  it('ANY /{proxy+} and the $default route are different routes', async () => {
    const stack = await loadYaml(fn("    events:\n      - httpApi: 'ANY /{proxy+}'\n      - httpApi: '*'\n      - httpApi:\n          method: '*'\n          path: /{all+}\n".replace("      - httpApi:\n          method: '*'\n          path: /{all+}\n", '')));
    assert.deepEqual(stack.routes.map((r) => [r.method, r.path, r.isDefaultRoute ?? false]), [
      ['ANY', '/{proxy+}', false],
      ['ANY', '/{proxy+}', true],
    ]);
  });

  it('numeric strings are accepted for integers (as CloudFormation does)', async () => {
    const stack = await loadYaml(fn("    memorySize: '256'\n    timeout: ' 12 '\n    reservedConcurrency: '0'\n    provisionedConcurrency: 0\n"));
    assert.equal(stack.functions[0].memorySize, 256);
    assert.equal(stack.functions[0].timeout, 12);
    assert.equal(stack.functions[0].reservedConcurrency, 0);
    assert.equal(stack.functions[0].provisionedConcurrency, null);
  });

  it('provided runtimes take any handler string', async () => {
    const stack = await loadYaml(app('  bin:\n    handler: bootstrap\n    runtime: provided\n  bin2:\n    handler: my-handler\n    runtime: provided.al2\n'));
    assert.deepEqual(stack.functions.map((f) => [f.handler, f.runtime]), [['bootstrap', 'provided'], ['my-handler', 'provided.al2']]);
  });

  it('root paths', async () => {
    const stack = await loadYaml(fn("    events:\n      - http: GET /\n      - httpApi: 'GET /'\n      - http:\n          path: ''\n          method: post\n"));
    assert.deepEqual(stack.routes.map((r) => `${r.kind} ${r.method} ${r.path}`), ['http GET /', 'httpApi GET /', 'http POST /']);
  });

  it('functions: with no value and no events', async () => {
    const stack = await loadYaml('service: svc\nprovider:\n  name: aws\nfunctions:\n');
    assert.deepEqual(stack.functions, []);
  });
});

describe('validation: warnings name the key', () => {
  it('unsupported and unknown keys', async () => {
    const yaml = `service: svc
frameworkVersion: '2'
plugins:
  - serverless-offline
  - serverless-esbuild
custom:
  anything: goes
package:
  individually: true
provider:
  name: aws
  runtime: nodejs20.x
  deploymentBucket: my-bucket
  iam:
    role:
      statements: []
  tracing:
    lambda: true
  httpApi:
    payload: '1.0'
    authorizers: {}
    metrics: true
functions:
  hello:
    handler: src/hello.main
    vpc:
      securityGroupIds: [sg-1]
      subnetIds: [subnet-1]
    memroySize: 512
    tags:
      a: b
    httpApi:
      payload: '2.0'
    events:
      - sqs: arn:aws:sqs:us-east-1:000000000000:q
      - foo: bar
      - http:
          path: secure
          method: get
          authorizer: aws_iam
          integration: lambda
          operationId: getSecure
          cors:
            cacheControl: max-age=60
            exposedHeaders: [X-Id]
      - httpApi:
          method: get
          path: /jwt
          authorizer: jwt
resources:
  Resources:
    Table:
      Type: AWS::DynamoDB::Table
  Outputs:
    TableName:
      Value: !Ref Table
layers:
  common:
    path: layer
`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.warnings, [
      'layers is not supported yet and is ignored',
      'plugins are not run by Nimbus and are ignored: serverless-offline, serverless-esbuild',
      'frameworkVersion "2" does not include Serverless Framework v3; Nimbus follows v3 semantics',
      'provider.tracing is not supported yet and is ignored',
      'provider.httpApi.authorizers is not supported yet and is ignored',
      'provider.httpApi.payload "1.0" is not supported yet and is ignored (HTTP API events use payload format 2.0)',
      'functions.hello.vpc is not supported yet and is ignored',
      'functions.hello.memroySize is not a Serverless Framework v3 option and is ignored',
      'functions.hello.events[0].sqs is not supported yet and is ignored',
      'functions.hello.events[1].foo is not a Serverless Framework v3 event type and is ignored',
      'functions.hello.events[2].http.authorizer is not supported yet and is ignored',
      'functions.hello.events[2].http.integration "lambda" is not supported yet and is ignored (Nimbus uses the lambda-proxy integration)',
      'functions.hello.events[2].http.cors.cacheControl is not supported yet and is ignored',
      'functions.hello.events[2].http.cors.exposedHeaders is not a Serverless Framework v3 option and is ignored',
      'functions.hello.events[3].httpApi.authorizer is not supported yet and is ignored',
    ]);
    // The routes still compile.
    assert.deepEqual(stack.routes.map((r) => `${r.method} ${r.path}`), ['GET /secure', 'GET /jwt']);
  });

  it('frameworkVersion ranges that include v3 do not warn', async () => {
    for (const v of ['3', '^3.0.0', '>=2.0.0 <4.0.0', '3.x', '2 || 3', '>=3', '~3.38.0']) {
      const stack = await loadYaml(`frameworkVersion: '${v}'\n${fn('')}`);
      assert.deepEqual(stack.warnings, [], v);
    }
    for (const v of ['2', '^4.0.0', '<3', '>=4']) {
      const stack = await loadYaml(`frameworkVersion: '${v}'\n${fn('')}`);
      assert.equal(stack.warnings.length, 1, v);
    }
  });

  it('API Gateway integration timeouts', async () => {
    const stack = await loadYaml(app("  a:\n    handler: a.b\n    timeout: 30\n    events:\n      - httpApi: 'GET /a'\n  b:\n    handler: a.b\n    events:\n      - http: get b\n", '  timeout: 60\n'));
    assert.deepEqual(stack.warnings, [
      "functions.a.timeout: 30 s leaves no room within the HTTP API's 30 s integration timeout; requests may time out before the function finishes",
      "functions.b (timeout 60 s from the provider or the default): 60 s exceeds the REST API's 29 s integration timeout; requests may time out before the function finishes",
    ]);
  });

  it('environment values that are CloudFormation intrinsics: resolved when they can be, templates when they need resources', async () => {
    const resources = 'resources:\n  Resources:\n    UsersTable:\n      Type: AWS::DynamoDB::Table\n    Queue:\n      Type: AWS::SQS::Queue\n';
    const stack = await loadYaml(fn("    environment:\n      TABLE: !Ref UsersTable\n      ARN: !GetAtt Queue.Arn\n      REGION: !Sub '${AWS::Region}-x'\n      PLAIN: x\n") + resources);
    assert.deepEqual(stack.functions[0].environment, { REGION: 'us-east-1-x', PLAIN: 'x' });
    assert.deepEqual(stack.functions[0].environmentTemplates, { TABLE: { Ref: 'UsersTable' }, ARN: { 'Fn::GetAtt': ['Queue', 'Arn'] } });
    assert.deepEqual(stack.warnings, []);
    await rejectsWith(loadYaml(fn('    environment:\n      TABLE: !Ref UsersTabel\n') + resources), 'ERR_APP_INVALID', 'serverless.yml: functions.hello.environment.TABLE.Ref references UsersTabel, which is not a resource');
  });
});

describe('validation: list forms the framework merges', () => {
  it('functions and resources given as lists of mappings', async () => {
    const yaml = 'service: svc\nprovider:\n  name: aws\nfunctions:\n  - ${file(./a.yml)}\n  - b:\n      handler: b.main\nresources:\n  - Resources:\n      T:\n        Type: AWS::SQS::Queue\n';
    const stack = await loadYaml(yaml, {}, { 'a.yml': 'a:\n  handler: a.main\n' });
    assert.deepEqual(stack.functions.map((f) => f.name), ['svc-dev-a', 'svc-dev-b']);
    assert.deepEqual(stack.warnings, []);
    assert.deepEqual(stack.resources?.map((r) => r.logicalId), ['T']);
    await rejectsWith(loadYaml('service: svc\nprovider:\n  name: aws\nfunctions:\n  - nope\n'), 'ERR_APP_INVALID', 'functions[0] must be a mapping');
  });
});
