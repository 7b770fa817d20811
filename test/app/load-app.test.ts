import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadApp } from '../../src/app/load-app';
import type { CorsConfig, Stack } from '../../src/app/stack';
import { cleanupApps, fixture, rejectsWith, writeApp } from './helpers';

after(cleanupApps);

const REST_DEFAULT_HEADERS = ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'];
const HTTP_API_DEFAULT_HEADERS = [...REST_DEFAULT_HEADERS, 'X-Amzn-Trace-Id'];

describe('loadApp: valid apps', () => {
  it('compiles a minimal app with the framework defaults', async () => {
    const dir = fixture('minimal');
    const stack = await loadApp(dir, { env: {} });
    const expected: Stack = {
      service: 'minimal',
      stackName: 'minimal-dev',
      stage: 'dev',
      region: 'us-east-1',
      appDir: dir,
      definitionFile: 'serverless.yml',
      functions: [
        {
          key: 'hello',
          name: 'minimal-dev-hello',
          handler: 'handler.hello',
          runtime: 'nodejs16.x',
          memorySize: 1024,
          timeout: 6,
          environment: {},
          reservedConcurrency: null,
          provisionedConcurrency: null,
          codeDir: dir,
          iamStatements: [],
        },
      ],
      routes: [],
      httpApi: { cors: null },
      warnings: [],
      resources: [],
      outputs: [],
      eventSourceMappings: [],
    };
    assert.deepEqual(stack, expected);
  });

  it('stage and region options win over the provider; a relative dir resolves', async () => {
    const stack = await loadApp(path.relative(process.cwd(), fixture('full')), { stage: 'qa', region: 'ap-south-1', env: {} });
    assert.equal(stack.stage, 'qa');
    assert.equal(stack.region, 'ap-south-1');
    assert.equal(stack.appDir, fixture('full'));
    assert.equal(stack.functions[0].name, 'users-api-qa-createUser');
  });

  it('compiles every supported key', async () => {
    const dir = fixture('full');
    const stack = await loadApp(dir, { env: {} });
    assert.equal(stack.service, 'users-api');
    assert.equal(stack.stage, 'prod');
    assert.equal(stack.region, 'eu-west-1');
    const providerEnv = { LOG_LEVEL: 'info', SHARED: 'from-provider', RETRIES: '3', VERBOSE: 'false' };
    assert.ok(stack.functions.every((f) => Array.isArray(f.iamStatements) && f.iamStatements.length === 0));
    assert.deepEqual(stack.functions.map(({ iamStatements: _, ...f }) => f), [
      {
        key: 'createUser',
        name: 'users-api-prod-createUser',
        handler: 'src/handlers/users.create',
        runtime: 'nodejs20.x',
        memorySize: 256,
        timeout: 20,
        environment: { LOG_LEVEL: 'info', SHARED: 'from-function', RETRIES: '3', VERBOSE: 'false', TABLE: 'users' },
        reservedConcurrency: 10,
        provisionedConcurrency: 2,
        codeDir: dir,
        description: 'Creates a user',
      },
      {
        key: 'legacy',
        name: 'legacy-handler',
        handler: 'src/legacy.main.handler',
        runtime: 'nodejs18.x',
        memorySize: 512,
        timeout: 10,
        environment: providerEnv,
        reservedConcurrency: null,
        provisionedConcurrency: null,
        codeDir: dir,
      },
      {
        key: 'catchAll',
        name: 'users-api-prod-catchAll',
        handler: 'index.handler',
        runtime: 'nodejs20.x',
        memorySize: 512,
        timeout: 10,
        environment: providerEnv,
        reservedConcurrency: null,
        provisionedConcurrency: null,
        codeDir: dir,
      },
      {
        key: 'worker',
        name: 'users-api-prod-worker',
        handler: 'bootstrap',
        runtime: 'provided.al2023',
        memorySize: 512,
        timeout: 10,
        environment: providerEnv,
        reservedConcurrency: null,
        provisionedConcurrency: null,
        codeDir: dir,
      },
    ]);
    assert.deepEqual(stack.routes, [
      { kind: 'httpApi', method: 'POST', path: '/users', functionName: 'users-api-prod-createUser', cors: null },
      { kind: 'httpApi', method: 'GET', path: '/users/{id}', functionName: 'users-api-prod-createUser', cors: null },
      { kind: 'httpApi', method: 'ANY', path: '/users/{id}/files/{path+}', functionName: 'users-api-prod-createUser', cors: null },
      { kind: 'http', method: 'GET', path: '/items/{itemId}', functionName: 'legacy-handler', cors: null },
      { kind: 'http', method: 'ANY', path: '/items', functionName: 'legacy-handler', cors: null },
      { kind: 'http', method: 'POST', path: '/', functionName: 'legacy-handler', cors: null },
      { kind: 'httpApi', method: 'ANY', path: '/{proxy+}', functionName: 'users-api-prod-catchAll', cors: null, isDefaultRoute: true },
    ]);
    assert.deepEqual(stack.httpApi.cors, {
      allowOrigins: ['https://app.example.com', 'https://admin.example.com'],
      allowHeaders: ['Content-Type', 'Authorization'],
      // Not given: OPTIONS plus the methods the HTTP API's routes use (ANY adds all).
      allowMethods: ['OPTIONS', 'POST', 'GET', 'PUT', 'PATCH', 'HEAD', 'DELETE'],
      exposeHeaders: ['X-Request-Id'],
      allowCredentials: true,
      maxAge: 600,
    });
    // deploymentBucket, tags and package have no local meaning: accepted silently.
    assert.deepEqual(stack.warnings, []);
  });

  it('merges http cors per path like the framework and fills httpApi cors methods', async () => {
    const stack = await loadApp(fixture('http-cors'), { env: {} });
    const things: CorsConfig = {
      allowOrigins: ['https://a.example.com', 'https://*.b.example.com'],
      allowHeaders: ['X-Custom', ...REST_DEFAULT_HEADERS],
      allowMethods: ['OPTIONS', 'POST', 'GET'],
      exposeHeaders: [],
      allowCredentials: true,
      maxAge: 300,
    };
    const byKey = new Map(stack.routes.map((r) => [`${r.kind} ${r.method} ${r.path}`, r.cors]));
    assert.deepEqual(byKey.get('http GET /things'), things);
    assert.deepEqual(byKey.get('http POST /things'), things);
    assert.equal(byKey.get('http DELETE /things'), null, 'an event without cors has none (the preflight is per path)');
    assert.deepEqual(byKey.get('http ANY /open'), {
      allowOrigins: ['*'],
      allowHeaders: REST_DEFAULT_HEADERS,
      allowMethods: ['OPTIONS', 'DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'],
      exposeHeaders: [],
      allowCredentials: false,
      maxAge: null,
    });
    assert.deepEqual(byKey.get('http PUT /comma'), {
      allowOrigins: ['https://x.example.com', 'https://y.example.com'],
      allowHeaders: REST_DEFAULT_HEADERS,
      allowMethods: ['GET', 'OPTIONS', 'PUT'],
      exposeHeaders: [],
      allowCredentials: false,
      maxAge: null,
    });
    assert.equal(byKey.get('httpApi GET /a'), null);
    assert.deepEqual(stack.httpApi.cors, {
      allowOrigins: ['*'],
      allowHeaders: HTTP_API_DEFAULT_HEADERS,
      allowMethods: ['OPTIONS', 'GET', 'PATCH'],
      exposeHeaders: [],
      allowCredentials: false,
      maxAge: null,
    });
  });

  it('reads serverless.yaml with the legacy service object', async () => {
    const stack = await loadApp(fixture('legacy-yaml'), { env: {} });
    assert.equal(stack.definitionFile, 'serverless.yaml');
    assert.equal(stack.service, 'legacy-service');
    assert.equal(stack.functions[0].name, 'legacy-service-dev-hi');
    assert.equal(stack.functions[0].runtime, 'nodejs14.x');
  });

  it('reads serverless.json', async () => {
    const stack = await loadApp(fixture('json-app'), { env: {} });
    assert.equal(stack.definitionFile, 'serverless.json');
    assert.equal(stack.stage, 'qa');
    assert.deepEqual(stack.routes, [{ kind: 'httpApi', method: 'GET', path: '/ping', functionName: 'json-app-qa-ping', cors: null }]);
  });

  it('prefers serverless.yml over serverless.yaml and serverless.json', async () => {
    const yml = 'service: from-yml\nprovider:\n  name: aws\n';
    const dir = writeApp({ 'serverless.yml': yml, 'serverless.yaml': 'service: from-yaml\n', 'serverless.json': '{}' });
    const stack = await loadApp(dir, { env: {} });
    assert.equal(stack.service, 'from-yml');
    assert.equal(stack.definitionFile, 'serverless.yml');
  });

  it('loads .env.<stage> (else .env) with useDotenv; the real environment wins', async () => {
    const dir = fixture('dotenv');
    const dev = await loadApp(dir, { env: { DOTENV_OVERRIDDEN: 'from-env' } });
    assert.deepEqual(dev.functions[0].environment, { SECRET: 'from-dotenv', OVERRIDDEN: 'from-env' });
    await rejectsWith(loadApp(dir, { stage: 'prod', env: {} }), 'ERR_APP_VARIABLE', 'provider.environment.OVERRIDDEN', '${env:DOTENV_OVERRIDDEN}');
    const prod = await loadApp(dir, { stage: 'prod', env: { DOTENV_OVERRIDDEN: 'x' } });
    assert.equal(prod.functions[0].environment.SECRET, 'from-prod\nfile');
  });
});

describe('loadApp: finding the definition', () => {
  it('ERR_APP_NOT_FOUND names the directory when there is no definition', async () => {
    const dir = writeApp({ 'README.md': 'hi' });
    await rejectsWith(loadApp(dir), 'ERR_APP_NOT_FOUND', dir, 'serverless.yml');
  });

  it('ERR_APP_NOT_FOUND for a missing directory', async () => {
    await rejectsWith(loadApp('/nonexistent/nimbus-app'), 'ERR_APP_NOT_FOUND', '/nonexistent/nimbus-app');
  });

  it('says serverless.ts is not supported yet', async () => {
    const dir = writeApp({ 'serverless.ts': 'export default {}' });
    await rejectsWith(loadApp(dir), 'ERR_APP_NOT_FOUND', 'serverless.ts is not supported yet');
  });
});
