/**
 * The events compared field by field with AWS's documented sample events. The samples
 * are copied from the AWS docs (typed with @types/aws-lambda); for an equivalent request
 * our event must have the same keys and the same value semantics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2WithRequestContext,
} from 'aws-lambda';
import { clfTime, parseQuery } from '../../src/gateway/common';
import { buildV1Event, type V1Target } from '../../src/gateway/payload-v1';
import { buildV2Event, isTextContentType, type V2Target } from '../../src/gateway/payload-v2';
import type { GatewayRequest } from '../../src/gateway/types';

/**
 * REST "Input format of a Lambda function for proxy integration", current sample
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format).
 */
const DOC_V1: APIGatewayProxyEvent = {
  resource: '/my/path',
  path: '/my/path',
  httpMethod: 'GET',
  headers: { header1: 'value1', header2: 'value2' },
  multiValueHeaders: { header1: ['value1'], header2: ['value1', 'value2'] },
  queryStringParameters: { parameter1: 'value1', parameter2: 'value' },
  multiValueQueryStringParameters: { parameter1: ['value1', 'value2'], parameter2: ['value'] },
  requestContext: {
    accountId: '123456789012',
    apiId: 'id',
    authorizer: { claims: null, scopes: null },
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'id',
    extendedRequestId: 'request-id',
    httpMethod: 'GET',
    identity: {
      accessKey: null,
      accountId: null,
      caller: null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: 'IP',
      user: null,
      userAgent: 'user-agent',
      userArn: null,
      clientCert: {
        clientCertPem: 'CERT_CONTENT',
        subjectDN: 'www.example.com',
        issuerDN: 'Example issuer',
        serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1',
        validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
      },
      apiKey: null,
      apiKeyId: null,
    },
    path: '/my/path',
    protocol: 'HTTP/1.1',
    requestId: 'id=',
    requestTime: '04/Mar/2020:19:15:17 +0000',
    requestTimeEpoch: 1583349317135,
    resourceId: 'id',
    resourcePath: '/my/path',
    stage: '$default',
  },
  pathParameters: null,
  stageVariables: null,
  body: 'Hello from Lambda!',
  isBase64Encoded: false,
};
// The sample's identity has no apiKey/apiKeyId (the type requires them; the older sample
// below has apiKey) and its resourceId is null; the keys we compare come from the JSON.
const DOC_V1_IDENTITY_KEYS = [
  'accessKey',
  'accountId',
  'caller',
  'cognitoAuthenticationProvider',
  'cognitoAuthenticationType',
  'cognitoIdentityId',
  'cognitoIdentityPoolId',
  'principalOrgId',
  'sourceIp',
  'user',
  'userAgent',
  'userArn',
  'clientCert',
];

/**
 * The older captured sample on the same page (POST /testStage/hello/world?name=me, a
 * `/{proxy+}` resource): one real event, with a repeated query parameter.
 */
const DOC_V1_CAPTURED = {
  resource: '/{proxy+}',
  path: '/hello/world',
  httpMethod: 'POST',
  queryStringParameters: { name: 'me', multivalueName: 'me' },
  multiValueQueryStringParameters: { name: ['me'], multivalueName: ['you', 'me'] },
  pathParameters: { proxy: 'hello/world' },
  requestContext: { stage: 'testStage', resourcePath: '/{proxy+}', httpMethod: 'POST' },
  body: '{\r\n\t"a": 1\r\n}',
  isBase64Encoded: false,
} satisfies Partial<Omit<APIGatewayProxyEvent, 'requestContext'>> & {
  requestContext: Partial<APIGatewayProxyEvent['requestContext']>;
};

/**
 * HTTP API payload format 2.0 sample
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
const DOC_V2 = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  cookies: ['cookie1', 'cookie2'],
  headers: { header1: 'value1', header2: 'value1,value2' },
  queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'api-id',
    authentication: {
      clientCert: {
        clientCertPem: 'CERT_CONTENT',
        subjectDN: 'www.example.com',
        issuerDN: 'Example issuer',
        serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1',
        validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
      },
    },
    authorizer: {
      jwt: { claims: { claim1: 'value1', claim2: 'value2' }, scopes: ['scope1', 'scope2'] },
    },
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'id',
    http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
    requestId: 'id',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2020:19:03:58 +0000',
    timeEpoch: 1583348638390,
  },
  body: 'Hello from Lambda',
  pathParameters: { parameter1: 'value1' },
  isBase64Encoded: false,
  stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
} satisfies APIGatewayProxyEventV2WithRequestContext<APIGatewayEventRequestContextV2 & { authorizer: unknown }>;

function request(over: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    method: 'GET',
    rawPath: '/my/path',
    rawQueryString: '',
    rawHeaders: ['Host', 'abc123.execute-api.localhost:3000', 'User-Agent', 'user-agent'],
    body: null,
    sourceIp: '192.0.2.1',
    protocol: 'HTTP/1.1',
    host: 'abc123.execute-api.localhost:3000',
    localPort: 3000,
    scheme: 'http',
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    extendedRequestId: 'LiaEkHIfoAMFnMQ=',
    timeEpoch: 1583349317135,
    traceId: 'Root=1-5e6035c5-0123456789abcdef01234567',
    ...over,
  };
}

const V1_TARGET: V1Target = {
  apiId: 'abc123',
  accountId: '123456789012',
  stage: 'dev',
  resource: '/my/path',
  resourceId: 'roq9wj',
  path: '/my/path',
  pathParameters: null,
  binaryMediaTypes: [],
};

const keys = (o: object) => Object.keys(o).sort();
/** Keys present after a JSON round trip (undefined fields vanish, as on the wire). */
const wire = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

describe('payload v1 (REST)', () => {
  const req = request({
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    rawHeaders: [
      'Host', 'abc123.execute-api.localhost:3000',
      'header1', 'value1',
      'header2', 'value1',
      'header2', 'value2',
      'User-Agent', 'user-agent',
      'Content-Type', 'text/plain',
    ],
    body: Buffer.from('Hello from Lambda!'),
  });
  const ev = wire(buildV1Event(req, V1_TARGET));

  it('has exactly the documented top-level keys', () => {
    assert.deepEqual(keys(ev), keys(DOC_V1));
  });

  it('has the documented requestContext keys (no authorizer without one on the route)', () => {
    const docKeys = keys(DOC_V1.requestContext).filter((k) => k !== 'authorizer');
    assert.deepEqual(keys(ev.requestContext), docKeys);
  });

  it('has every documented identity key, null when unauthenticated', () => {
    for (const k of DOC_V1_IDENTITY_KEYS) assert.ok(k in ev.requestContext.identity, `identity.${k}`);
    assert.equal(ev.requestContext.identity.sourceIp, '192.0.2.1');
    assert.equal(ev.requestContext.identity.userAgent, 'user-agent');
    for (const k of ['accessKey', 'accountId', 'caller', 'cognitoIdentityId', 'user', 'userArn', 'apiKey', 'clientCert'] as const) {
      assert.equal(ev.requestContext.identity[k], null, k);
    }
  });

  it('headers: single-value = last value, multi-value = all, client casing kept', () => {
    assert.equal(ev.headers.header1, DOC_V1.headers.header1);
    assert.equal(ev.headers.header2, DOC_V1.headers.header2);
    assert.deepEqual(ev.multiValueHeaders.header1, DOC_V1.multiValueHeaders.header1);
    assert.deepEqual(ev.multiValueHeaders.header2, DOC_V1.multiValueHeaders.header2);
    assert.equal(ev.headers['User-Agent'], 'user-agent');
    assert.equal(ev.headers['user-agent'], undefined);
  });

  it('query: multi-value = all; single-value = last (as in the captured sample)', () => {
    assert.deepEqual(ev.multiValueQueryStringParameters, DOC_V1.multiValueQueryStringParameters);
    // The current doc sample shows the first value, the captured one the last
    // (["you","me"] -> "me"); real events carry the last.
    assert.equal(ev.queryStringParameters?.parameter1, 'value2');
    assert.equal(ev.queryStringParameters?.parameter2, DOC_V1.queryStringParameters?.parameter2);
    const cap = wire(buildV1Event(request({ rawQueryString: 'name=me&multivalueName=you&multivalueName=me' }), V1_TARGET));
    assert.deepEqual(cap.queryStringParameters, DOC_V1_CAPTURED.queryStringParameters);
    assert.deepEqual(cap.multiValueQueryStringParameters, DOC_V1_CAPTURED.multiValueQueryStringParameters);
  });

  it('scalars match the sample semantics', () => {
    assert.equal(ev.resource, DOC_V1.resource);
    assert.equal(ev.path, DOC_V1.path);
    assert.equal(ev.httpMethod, DOC_V1.httpMethod);
    assert.equal(ev.body, DOC_V1.body);
    assert.equal(ev.isBase64Encoded, false);
    assert.equal(ev.pathParameters, null);
    assert.equal(ev.stageVariables, null);
    const rc = ev.requestContext;
    assert.equal(rc.accountId, '123456789012');
    assert.equal(rc.apiId, 'abc123');
    assert.equal(rc.domainName, 'abc123.execute-api.localhost:3000');
    assert.equal(rc.domainPrefix, 'abc123');
    assert.equal(rc.extendedRequestId, 'LiaEkHIfoAMFnMQ=');
    assert.equal(rc.httpMethod, 'GET');
    assert.equal(rc.path, '/dev/my/path', 'requestContext.path carries the stage');
    assert.equal(rc.protocol, 'HTTP/1.1');
    assert.equal(rc.requestId, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    assert.equal(rc.requestTime, DOC_V1.requestContext.requestTime, 'same instant, same format');
    assert.equal(rc.requestTimeEpoch, DOC_V1.requestContext.requestTimeEpoch);
    assert.equal(rc.resourceId, 'roq9wj');
    assert.equal(rc.resourcePath, '/my/path');
    assert.equal(rc.stage, 'dev');
  });

  it('adds X-Amzn-Trace-Id and X-Forwarded-* like API Gateway', () => {
    assert.equal(ev.headers['X-Amzn-Trace-Id'], req.traceId);
    assert.deepEqual(ev.multiValueHeaders['X-Amzn-Trace-Id'], [req.traceId]);
    assert.equal(ev.headers['X-Forwarded-For'], '192.0.2.1');
    assert.equal(ev.headers['X-Forwarded-Port'], '3000');
    assert.equal(ev.headers['X-Forwarded-Proto'], 'http');
  });

  it('keeps an incoming trace header and appends to X-Forwarded-For', () => {
    const e = buildV1Event(
      request({ rawHeaders: ['x-amzn-trace-id', 'Root=1-abc', 'X-Forwarded-For', '203.0.113.9'] }),
      V1_TARGET,
    );
    assert.equal(e.headers['x-amzn-trace-id'], 'Root=1-abc');
    assert.equal(e.headers['X-Amzn-Trace-Id'], undefined);
    assert.equal(e.headers['X-Forwarded-For'], '203.0.113.9, 192.0.2.1');
  });

  it('null query and path parameters when there are none; captured proxy sample semantics', () => {
    const e = wire(
      buildV1Event(
        request({ method: 'POST', rawPath: '/testStage/hello/world', body: Buffer.from('{\r\n\t"a": 1\r\n}'), rawHeaders: ['Content-Type', 'application/json'] }),
        { ...V1_TARGET, stage: 'testStage', resource: '/{proxy+}', path: '/hello/world', pathParameters: { proxy: 'hello/world' } },
      ),
    );
    assert.equal(e.queryStringParameters, null);
    assert.equal(e.multiValueQueryStringParameters, null);
    assert.equal(e.resource, DOC_V1_CAPTURED.resource);
    assert.equal(e.path, DOC_V1_CAPTURED.path);
    assert.deepEqual(e.pathParameters, DOC_V1_CAPTURED.pathParameters);
    assert.equal(e.requestContext.resourcePath, DOC_V1_CAPTURED.requestContext.resourcePath);
    assert.equal(e.requestContext.stage, DOC_V1_CAPTURED.requestContext.stage);
    assert.equal(e.requestContext.path, '/testStage/hello/world');
    assert.equal(e.body, DOC_V1_CAPTURED.body);
    assert.equal(e.isBase64Encoded, false);
  });

  it('body null without one; binary bodies are utf8 text unless binaryMediaTypes match', () => {
    assert.equal(buildV1Event(request(), V1_TARGET).body, null);
    const bin = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]);
    const hdr = ['Content-Type', 'image/png'];
    const plain = buildV1Event(request({ method: 'POST', body: bin, rawHeaders: hdr }), V1_TARGET);
    assert.equal(plain.isBase64Encoded, false);
    assert.equal(plain.body, bin.toString('utf8'));
    for (const types of [['image/png'], ['image/*'], ['*/*']]) {
      const e = buildV1Event(request({ method: 'POST', body: bin, rawHeaders: hdr }), { ...V1_TARGET, binaryMediaTypes: types });
      assert.equal(e.isBase64Encoded, true, types.join());
      assert.equal(e.body, bin.toString('base64'));
    }
    const other = buildV1Event(request({ method: 'POST', body: bin, rawHeaders: hdr }), { ...V1_TARGET, binaryMediaTypes: ['application/octet-stream'] });
    assert.equal(other.isBase64Encoded, false);
  });

  it('path stays percent-encoded, path parameters are decoded (REST)', () => {
    const e = buildV1Event(request({ rawPath: '/users/test%2Balias%40x.com' }), {
      ...V1_TARGET,
      resource: '/users/{id}',
      path: '/users/test%2Balias%40x.com',
      pathParameters: { id: 'test+alias@x.com' },
    });
    assert.equal(e.path, '/users/test%2Balias%40x.com');
    assert.equal(e.requestContext.path, '/dev/users/test%2Balias%40x.com');
    assert.deepEqual(e.pathParameters, { id: 'test+alias@x.com' });
  });

  it('root path', () => {
    const e = buildV1Event(request({ rawPath: '/dev' }), { ...V1_TARGET, resource: '/', path: '/' });
    assert.equal(e.path, '/');
    assert.equal(e.requestContext.path, '/dev/');
  });
});

describe('payload v2 (HTTP API)', () => {
  const V2_TARGET: V2Target = { apiId: 'abc123', accountId: '123456789012', routeKey: '$default', pathParameters: null };
  const req = request({
    method: 'POST',
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    rawHeaders: [
      'Host', 'abc123.execute-api.localhost:3000',
      'Header1', 'value1',
      'Header2', 'value1',
      'header2', 'value2',
      'Cookie', 'cookie1; cookie2',
      'User-Agent', 'agent',
      'Content-Type', 'text/plain',
    ],
    body: Buffer.from('Hello from Lambda'),
    requestId: 'JKJaXmPLvHcESHA=',
    timeEpoch: 1584039838390,
  });
  const ev = wire(buildV2Event(req, { ...V2_TARGET, pathParameters: { parameter1: 'value1' } }));

  it('has the documented top-level keys (stageVariables omitted: none)', () => {
    assert.deepEqual(keys(ev), keys(DOC_V2).filter((k) => k !== 'stageVariables'));
  });

  it('has the documented requestContext keys (no authentication/authorizer: no mTLS, no authorizer)', () => {
    assert.deepEqual(
      keys(ev.requestContext),
      keys(DOC_V2.requestContext).filter((k) => k !== 'authentication' && k !== 'authorizer'),
    );
    assert.deepEqual(keys(ev.requestContext.http), keys(DOC_V2.requestContext.http));
  });

  it('values match the sample semantics', () => {
    assert.equal(ev.version, '2.0');
    assert.equal(ev.routeKey, DOC_V2.routeKey);
    assert.equal(ev.rawPath, DOC_V2.rawPath);
    assert.equal(ev.rawQueryString, DOC_V2.rawQueryString);
    assert.deepEqual(ev.cookies, DOC_V2.cookies);
    assert.equal(ev.headers.header1, DOC_V2.headers.header1);
    assert.equal(ev.headers.header2, DOC_V2.headers.header2, 'duplicates comma-joined, names lower-cased');
    assert.equal(ev.headers.cookie, undefined, 'cookies move to the cookies field');
    assert.deepEqual(ev.queryStringParameters, DOC_V2.queryStringParameters);
    assert.deepEqual(ev.pathParameters, DOC_V2.pathParameters);
    assert.equal(ev.body, DOC_V2.body);
    assert.equal(ev.isBase64Encoded, false);
    const rc = ev.requestContext;
    assert.equal(rc.accountId, '123456789012');
    assert.equal(rc.apiId, 'abc123');
    assert.equal(rc.domainPrefix, 'abc123');
    assert.deepEqual(rc.http, DOC_V2.requestContext.http);
    assert.equal(rc.requestId, 'JKJaXmPLvHcESHA=');
    assert.equal(rc.routeKey, '$default');
    assert.equal(rc.stage, DOC_V2.requestContext.stage);
    assert.equal(rc.time, DOC_V2.requestContext.time);
    assert.equal(rc.timeEpoch, 1584039838390);
  });

  it('omits cookies, query, path parameters and body when there are none', () => {
    const e = wire(buildV2Event(request(), V2_TARGET));
    for (const k of ['cookies', 'queryStringParameters', 'pathParameters', 'body', 'stageVariables']) {
      assert.ok(!(k in e), k);
    }
    assert.equal(e.rawQueryString, '');
    assert.equal(e.isBase64Encoded, false);
  });

  it('route key of a specific route', () => {
    const e = buildV2Event(request({ rawPath: '/users/42' }), { ...V2_TARGET, routeKey: 'GET /users/{id}', pathParameters: { id: '42' } });
    assert.equal(e.routeKey, 'GET /users/{id}');
    assert.equal(e.requestContext.routeKey, 'GET /users/{id}');
  });

  it('decodes the path like HTTP APIs do', () => {
    const e = buildV2Event(request({ rawPath: '/a%2Fb/c%20d' }), V2_TARGET);
    assert.equal(e.rawPath, '/a/b/c d');
    assert.equal(e.requestContext.http.path, '/a/b/c d');
  });

  it('adds x-amzn-trace-id and x-forwarded-* (lower case)', () => {
    const e = buildV2Event(request(), V2_TARGET);
    assert.equal(e.headers['x-amzn-trace-id'], 'Root=1-5e6035c5-0123456789abcdef01234567');
    assert.equal(e.headers['x-forwarded-for'], '192.0.2.1');
    assert.equal(e.headers['x-forwarded-port'], '3000');
    assert.equal(e.headers['x-forwarded-proto'], 'http');
    assert.equal(e.headers.host, 'abc123.execute-api.localhost:3000');
  });

  it('base64-encodes every body that is not text-like', () => {
    const data = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const cases: Array<[string | null, boolean]> = [
      ['text/plain', false],
      ['text/html; charset=utf-8', false],
      ['application/json', false],
      ['Application/JSON; charset=UTF-8', false],
      ['application/xml', false],
      ['application/javascript', false],
      ['application/octet-stream', true],
      ['image/png', true],
      ['application/x-www-form-urlencoded', true],
      ['multipart/form-data; boundary=x', true],
      [null, true],
    ];
    for (const [ct, b64] of cases) {
      const e = buildV2Event(request({ method: 'POST', body: data, rawHeaders: ct ? ['content-type', ct] : [] }), V2_TARGET);
      assert.equal(e.isBase64Encoded, b64, String(ct));
      assert.equal(e.body, b64 ? data.toString('base64') : data.toString('utf8'), String(ct));
      assert.equal(isTextContentType(ct ?? undefined), !b64);
    }
  });

  it('several cookie headers all land in cookies', () => {
    const e = buildV2Event(request({ rawHeaders: ['cookie', 'a=1; b=2', 'Cookie', 'c=3'] }), V2_TARGET);
    assert.deepEqual(e.cookies, ['a=1', 'b=2', 'c=3']);
  });
});

describe('helpers', () => {
  it('clfTime formats like requestTime (UTC)', () => {
    assert.equal(clfTime(1583349317135), '04/Mar/2020:19:15:17 +0000');
    assert.equal(clfTime(Date.UTC(2015, 3, 9, 12, 34, 56)), '09/Apr/2015:12:34:56 +0000');
    assert.equal(clfTime(1583349317999), '04/Mar/2020:19:15:17 +0000');
  });
  it('parseQuery decodes, keeps order and repeats, tolerates oddities', () => {
    assert.deepEqual(parseQuery('a=1&b=x%20y&a=2&flag&&c=&d=e=f'), [
      ['a', '1'],
      ['b', 'x y'],
      ['a', '2'],
      ['flag', ''],
      ['c', ''],
      ['d', 'e=f'],
    ]);
    assert.deepEqual(parseQuery(''), []);
    assert.deepEqual(parseQuery('q=%E2%9C%93&bad=%ZZ'), [
      ['q', '✓'],
      ['bad', '%ZZ'],
    ]);
  });
});
