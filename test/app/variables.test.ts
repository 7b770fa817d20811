import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadApp, readServerlessDefinition } from '../../src/app/load-app';
import { cleanupApps, fixture, loadYaml, rejectsWith } from './helpers';

after(cleanupApps);

const ENV = { NIMBUS_TEST_VALUE: 'from-env', NIMBUS_TEST_EMPTY: '', NIMBUS_TEST_FLAG: '1' };

/** A definition whose provider.environment is `env` (YAML lines indented 4). */
function withEnv(envYaml: string, rest = ''): string {
  return `service: svc\nprovider:\n  name: aws\n  environment:\n${envYaml}\n${rest}functions:\n  f:\n    handler: f.handler\n`;
}

describe('variables: the fixture app', () => {
  it('resolves every variable form', async () => {
    const stack = await loadApp(fixture('variables'), { env: ENV });
    assert.equal(stack.service, 'vars-svc');
    assert.equal(stack.stage, 'dev');
    assert.equal(stack.region, 'eu-central-1');
    const f = stack.functions[0];
    assert.equal(f.name, 'vars-svc-dev-api');
    assert.equal(f.memorySize, 256, '${self:custom.memory.${sls:stage}}: a nested variable in the address');
    assert.equal(f.timeout, 15);
    const { INSTANCE, ...env } = f.environment;
    assert.match(INSTANCE, /^\d+$/);
    assert.deepEqual(env, {
      STAGE: 'dev',
      REGION: 'eu-central-1',
      ACCOUNT: '000000000000',
      TABLE: 'vars-svc-dev-users',
      FROM_ENV: 'from-env',
      ENV_FALLBACK: 'env-default',
      CHAIN: 'chain-end',
      NESTED_FALLBACK: 'svc',
      DB_HOST: 'localhost',
      DB_PORT: '5432',
      JSON_KEY: 'json-feature',
      MISSING_FILE: 'no-file',
      INTERPOLATED: 'vars-svc-dev-eu-central-1',
      NUMBER: '42',
      BOOL: 'true',
      PARAM: 'example.com',
      PARAM_DEFAULT: 'cdn.example.com',
      // A backslash escapes the variable; like the framework, the text is kept as written.
      ESCAPED: 'cost: \\${not.a.variable}',
      OWN: 'svc-own',
    });
    assert.deepEqual(stack.routes.map((r) => r.path), ['/svc']);
  });

  it('follows the stage and region options everywhere', async () => {
    const stack = await loadApp(fixture('variables'), { env: ENV, stage: 'prod', region: 'us-west-2' });
    const env = stack.functions[0].environment;
    assert.equal(stack.functions[0].memorySize, 2048);
    assert.equal(env.STAGE, 'prod');
    assert.equal(env.REGION, 'us-west-2');
    assert.equal(env.DB_HOST, 'db.internal');
    assert.equal(env.PARAM, 'prod.example.com');
    assert.equal(env.PARAM_DEFAULT, 'cdn.example.com');
    assert.equal(env.TABLE, 'vars-svc-prod-users');
  });

  it('resolves objects from files (with their own variables), intrinsics and foreign ${...} stay', async () => {
    const { config } = await readServerlessDefinition(fixture('variables'), { env: ENV });
    const custom = config.custom as Record<string, unknown>;
    assert.deepEqual(custom.settings, { db: { host: 'localhost', port: 5432, name: 'vars-svc-db' } });
    assert.equal(custom.region, 'eu-central-1');
    const resources = config.resources as { Resources: { Table: { Properties: Record<string, unknown> } } };
    assert.deepEqual(resources.Resources.Table.Properties, {
      TableName: { 'Fn::Sub': 'vars-svc-dev-users-${AWS::Region}' },
      Other: { 'Fn::Sub': ['${Prefix}-x', { Prefix: { Ref: 'AWS::StackName' } }] },
    });
  });
});

describe('variables: forms', () => {
  it('self: references resolved values, and values that resolve to objects', async () => {
    const yaml = `service: svc
custom:
  a: \${self:custom.b}
  b: \${self:custom.c}-b
  c: c
  obj:
    X1: \${self:custom.a}
  list: [one, two]
provider:
  name: aws
  environment: \${self:custom.obj}
functions:
  f:
    handler: f.handler
    environment:
      SECOND: \${self:custom.list.1}
`;
    const stack = await loadYaml(yaml);
    assert.deepEqual(stack.functions[0].environment, { X1: 'c-b', SECOND: 'two' });
  });

  it('sls:stage falls back to provider.stage, then dev', async () => {
    const a = await loadYaml(withEnv('    V_S: ${sls:stage}', ''));
    assert.equal(a.functions[0].environment.V_S, 'dev');
    const b = await loadYaml(withEnv('    V_S: ${sls:stage}').replace('provider:\n', 'provider:\n  stage: staging\n'));
    assert.equal(b.functions[0].environment.V_S, 'staging');
    const c = await loadYaml(withEnv('    V_S: ${sls:stage}'), { stage: 'cli' });
    assert.equal(c.functions[0].environment.V_S, 'cli');
  });

  it('opt:region and aws:region', async () => {
    const yaml = withEnv("    V_R: ${opt:region, 'none'}\n    V_A: ${aws:region}");
    assert.deepEqual((await loadYaml(yaml)).functions[0].environment, { V_R: 'none', V_A: 'us-east-1' });
    assert.deepEqual((await loadYaml(yaml, { region: 'eu-north-1' })).functions[0].environment, { V_R: 'eu-north-1', V_A: 'eu-north-1' });
  });

  it('env: empty counts as unset; fallbacks of every literal kind', async () => {
    const yaml = withEnv(
      [
        `    V_A: \${env:EMPTY, 'fallback'}`,
        `    V_B: \${env:UNSET, "double \\"quoted\\""}`,
        `    V_C: \${env:UNSET, 1.5}`,
        `    V_D: \${env:UNSET, true}`,
        `    V_E: \${env:UNSET, env:ALSO_UNSET, env:SET}`,
      ].join('\n'),
    );
    const stack = await loadYaml(yaml, { env: { EMPTY: '', SET: 'set' } });
    assert.deepEqual(stack.functions[0].environment, { V_A: 'fallback', V_B: 'double "quoted"', V_C: '1.5', V_D: 'true', V_E: 'set' });
  });

  it('a whole-value variable keeps its type', async () => {
    const yaml = `service: svc\nprovider:\n  name: aws\n  timeout: \${env:TIMEOUT, 30}\n  memorySize: \${env:MEM}\nfunctions:\n  f:\n    handler: f.handler\n`;
    const stack = await loadYaml(yaml, { env: { MEM: '2048' } });
    assert.equal(stack.functions[0].timeout, 30);
    assert.equal(stack.functions[0].memorySize, 2048);
  });

  it('a value that is itself a variable resolves again', async () => {
    const stack = await loadYaml(withEnv('    V_X: ${env:INDIRECT}'), { env: { INDIRECT: '${env:TARGET}', TARGET: 'target' } });
    assert.equal(stack.functions[0].environment.V_X, 'target');
  });

  it('file: whole file, a key, a missing file, text files', async () => {
    const yaml = withEnv(
      [
        '    V_W: ${file(./conf/a.yml):nested.deep}',
        '    V_J: ${file(./conf/b.json):list.0}',
        "    V_M: ${file(./conf/missing.yml), 'missing'}",
        "    V_K: ${file(./conf/a.yml):nope, 'no-key'}",
        '    V_T: ${file(./conf/token.txt)}',
      ].join('\n'),
      'custom:\n  whole: ${file(./conf/a.yml)}\nresources:\n  Resources:\n    Something:\n      Type: AWS::SQS::Queue\n',
    );
    const stack = await loadYaml(yaml, {}, {
      'conf/a.yml': 'nested:\n  deep: !Ref Something\nname: ${self:service}\n',
      'conf/b.json': '{"list": ["first"]}',
      'conf/token.txt': 'abc',
    });
    const env = stack.functions[0].environment;
    assert.deepEqual(env, { V_J: 'first', V_M: 'missing', V_K: 'no-key', V_T: 'abc' });
    // The intrinsic tag survives the include; it needs the deployed queue, so it stays a template.
    assert.deepEqual(stack.functions[0].environmentTemplates, { V_W: { Ref: 'Something' } });
  });

  it('strToBool', async () => {
    const yaml = withEnv('    V_A: ${strToBool(${env:X})}\n    V_B: ${strToBool(false)}');
    assert.deepEqual((await loadYaml(yaml, { env: { X: 'true' } })).functions[0].environment, { V_A: 'true', V_B: 'false' });
    await rejectsWith(loadYaml(yaml, { env: { X: 'yes' } }), 'ERR_APP_VARIABLE', 'provider.environment.V_A', 'strToBool');
  });

  it('ssm/cf/s3 use their fallback locally, with a warning', async () => {
    const stack = await loadYaml(withEnv("    V_A: ${ssm:/app/key, 'local'}"));
    assert.equal(stack.functions[0].environment.V_A, 'local');
    assert.ok(stack.warnings.some((w) => w.includes('provider.environment.V_A') && w.includes('"ssm"')), stack.warnings.join('\n'));
  });

  it('CloudFormation ${Name} and ${AWS::Region} are not variables', async () => {
    const stack = await loadYaml(withEnv('    V_A: ${Bucket}-${AWS::Region}'));
    assert.equal(stack.functions[0].environment.V_A, '${Bucket}-${AWS::Region}');
  });
});

describe('variables: errors', () => {
  it('a missing variable names the file, the key and the variable', async () => {
    const err = await rejectsWith(loadYaml(withEnv('    DB_URL: ${env:DB_URL}')), 'ERR_APP_VARIABLE', 'serverless.yml', 'provider.environment.DB_URL', '${env:DB_URL}', 'DB_URL is not set');
    assert.equal(err.file, 'serverless.yml');
    assert.equal(err.key, 'provider.environment.DB_URL');
  });

  it('a missing self reference, opt, file key, param', async () => {
    await rejectsWith(loadYaml(withEnv('    V_A: ${self:custom.nope}')), 'ERR_APP_VARIABLE', 'provider.environment.V_A', '${self:custom.nope}', 'custom.nope');
    await rejectsWith(loadYaml(withEnv('    V_A: ${opt:stage}')), 'ERR_APP_VARIABLE', '${opt:stage}', '--stage');
    await rejectsWith(loadYaml(withEnv('    V_A: ${file(./x.yml)}')), 'ERR_APP_VARIABLE', '${file(./x.yml)}', './x.yml does not exist');
    await rejectsWith(loadYaml(withEnv('    V_A: ${param:zone}')), 'ERR_APP_VARIABLE', '${param:zone}', 'params.dev');
  });

  it('every fallback missing', async () => {
    await rejectsWith(loadYaml(withEnv('    V_A: ${env:X, env:Y}')), 'ERR_APP_VARIABLE', '${env:X, env:Y}', 'X is not set', 'Y is not set');
  });

  it('errors inside a file value name the file it came from', async () => {
    const yaml = withEnv('    V_A: ok', 'custom: ${file(./c.yml)}\n');
    await rejectsWith(loadYaml(yaml, {}, { 'c.yml': 'x: ${env:NOPE}\n' }), 'ERR_APP_VARIABLE', 'custom.x', '${env:NOPE}', 'c.yml');
  });

  it('detects cycles', async () => {
    const direct = 'service: svc\ncustom:\n  a: ${self:custom.a}\nprovider:\n  name: aws\n';
    await rejectsWith(loadYaml(direct), 'ERR_APP_VARIABLE', 'custom.a', 'circular');
    const indirect = 'service: svc\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.c}\n  c: x-${self:custom.a}\nprovider:\n  name: aws\n';
    await rejectsWith(loadYaml(indirect), 'ERR_APP_VARIABLE', 'circular', 'custom.a -> custom.b -> custom.c -> custom.a');
    const parent = 'service: svc\ncustom:\n  a: 1\n  b: ${self:custom}\nprovider:\n  name: aws\n';
    await rejectsWith(loadYaml(parent), 'ERR_APP_VARIABLE', 'custom.b', 'circular');
    const stage = "service: svc\nprovider:\n  name: aws\n  stage: ${sls:stage}\n";
    await rejectsWith(loadYaml(stage), 'ERR_APP_VARIABLE', 'provider.stage', 'circular');
    const viaFile = 'service: svc\ncustom:\n  a: ${file(./c.yml):v}\nprovider:\n  name: aws\n';
    await rejectsWith(loadYaml(viaFile, {}, { 'c.yml': 'v: ${self:custom.a}\n' }), 'ERR_APP_VARIABLE', 'circular');
  });

  it('an object inside a larger string', async () => {
    const yaml = withEnv('    V_A: x-${self:custom.o}', 'custom:\n  o:\n    k: v\n');
    await rejectsWith(loadYaml(yaml), 'ERR_APP_VARIABLE', 'provider.environment.V_A', 'part of a larger string');
  });

  it('unsupported sources, addresses and syntax', async () => {
    await rejectsWith(loadYaml(withEnv('    V_A: ${ssm:/app/key}')), 'ERR_APP_VARIABLE', '${ssm:/app/key}', 'no local value');
    await rejectsWith(loadYaml(withEnv('    V_A: ${vault:x}')), 'ERR_APP_VARIABLE', 'unsupported variable source "vault"');
    await rejectsWith(loadYaml(withEnv('    V_A: ${sls:foo}')), 'ERR_APP_VARIABLE', 'unsupported "sls" variable address');
    await rejectsWith(loadYaml(withEnv('    V_A: ${env:X')), 'ERR_APP_VARIABLE', 'provider.environment.V_A', 'invalid variable syntax');
    await rejectsWith(loadYaml(withEnv('    V_A: ${env:X, fallback}')), 'ERR_APP_VARIABLE', 'invalid fallback value "fallback"');
    await rejectsWith(loadYaml(withEnv('    V_A: ${file(../outside.yml)}')), 'ERR_APP_VARIABLE', 'outside the app directory');
    await rejectsWith(loadYaml(withEnv('    V_A: ${file(./x.js)}'), {}, { 'x.js': 'module.exports = 1' }), 'ERR_APP_VARIABLE', 'not supported yet');
  });

  it('a syntax error in an included file names that file and line', async () => {
    await rejectsWith(loadYaml(withEnv('    V_A: ${file(./bad.yml):x}'), {}, { 'bad.yml': 'x: [1,\n' }), 'ERR_APP_INVALID', 'bad.yml:');
  });
});
