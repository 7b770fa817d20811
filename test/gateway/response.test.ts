/**
 * Function result -> HTTP response, REST (1.0) and HTTP API (2.0), and CORS headers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CorsConfig } from '../../src/app/stack';
import {
  httpApiAllowedOrigin,
  httpApiPreflight,
  httpApiResponseCorsHeaders,
  mergeRestCors,
  restPreflightHeaders,
} from '../../src/gateway/cors';
import {
  functionErrorResponse,
  HTTP_INTERNAL_ERROR_BODY,
  invokeRejectedResponse,
  mapV1Result,
  mapV2Result,
  REST_INTERNAL_ERROR_BODY,
} from '../../src/gateway/response';

const buf = (v: unknown) => Buffer.from(JSON.stringify(v));
const V1_OPTS = { binaryMediaTypes: [] as string[], accept: undefined };
const V2_OPTS = { corsHeaders: null, corsConfigured: false };

describe('response v1 (REST)', () => {
  it('maps statusCode, headers, body; default content-type application/json', () => {
    const r: APIGatewayProxyResult = { statusCode: 201, headers: { 'X-A': 'a', 'X-N': 5, 'X-B': true }, body: '{"ok":1}' };
    const out = mapV1Result(buf(r), V1_OPTS);
    assert.equal(out.statusCode, 201);
    assert.deepEqual(out.headers, { 'X-A': 'a', 'X-N': '5', 'X-B': 'true', 'Content-Type': 'application/json' });
    assert.equal(out.body, '{"ok":1}');
  });

  it('keeps the function content-type', () => {
    const out = mapV1Result(buf({ statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<p>' }), V1_OPTS);
    assert.deepEqual(out.headers, { 'content-type': 'text/html' });
  });

  it('merges multiValueHeaders; they win over headers for the same name', () => {
    const out = mapV1Result(
      buf({
        statusCode: 200,
        headers: { 'X-Single': 'one', 'Set-Cookie': 'lost=1' },
        multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'X-Multi': ['x', 'y'] },
        body: '',
      }),
      V1_OPTS,
    );
    assert.deepEqual(out.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(out.headers['Set-Cookie'], undefined);
    assert.deepEqual(out.headers['X-Multi'], ['x', 'y']);
    assert.equal(out.headers['X-Single'], 'one');
  });

  it('missing body is empty; numeric-string statusCode accepted', () => {
    const out = mapV1Result(buf({ statusCode: '204' }), V1_OPTS);
    assert.equal(out.statusCode, 204);
    assert.equal(out.body, '');
  });

  const malformed: Array<[string, unknown]> = [
    ['a string', 'hello'],
    ['a number', 42],
    ['null (handler returned nothing)', null],
    ['an array', [1, 2]],
    ['no statusCode', { body: 'x' }],
    ['statusCode not a number', { statusCode: 'abc', body: '' }],
    ['statusCode out of range', { statusCode: 42, body: '' }],
    ['object body', { statusCode: 200, body: { a: 1 } }],
    ['number body', { statusCode: 200, body: 5 }],
    ['headers not an object', { statusCode: 200, headers: 'x', body: '' }],
    ['header value an object', { statusCode: 200, headers: { a: { b: 1 } }, body: '' }],
    ['multiValueHeaders value not an array', { statusCode: 200, multiValueHeaders: { a: 'b' }, body: '' }],
    ['isBase64Encoded not a boolean', { statusCode: 200, body: '', isBase64Encoded: 'yes' }],
  ];
  for (const [name, value] of malformed) {
    it(`malformed -> 502 {"message": "Internal server error"}: ${name}`, () => {
      const out = mapV1Result(buf(value), V1_OPTS);
      assert.equal(out.statusCode, 502);
      assert.equal(out.body, '{"message": "Internal server error"}');
      assert.equal(out.headers['content-type'], 'application/json');
      assert.equal(out.headers['x-amzn-ErrorType'], 'InternalServerErrorException');
    });
  }

  it('not JSON at all -> 502', () => {
    assert.equal(mapV1Result(Buffer.from('not json'), V1_OPTS).statusCode, 502);
  });

  it('isBase64Encoded: literal base64 text without binaryMediaTypes (AWS default)', () => {
    const data = Buffer.from([1, 2, 3, 250]);
    const r = { statusCode: 200, body: data.toString('base64'), isBase64Encoded: true };
    assert.equal(mapV1Result(buf(r), V1_OPTS).body, data.toString('base64'));
  });

  it('isBase64Encoded: decoded when the first Accept type is a binary media type', () => {
    const data = Buffer.from([1, 2, 3, 250]);
    const r = { statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: data.toString('base64'), isBase64Encoded: true };
    const out = mapV1Result(buf(r), { binaryMediaTypes: ['image/*'], accept: 'image/png, */*' });
    assert.deepEqual(out.body, data);
    const text = mapV1Result(buf(r), { binaryMediaTypes: ['image/*'], accept: 'text/html, image/png' });
    assert.equal(text.body, data.toString('base64'));
  });

  it('function error -> 502, invocation rejected (throttle) -> 500, both "Internal server error"', () => {
    const fe = functionErrorResponse('rest');
    assert.equal(fe.statusCode, 502);
    assert.equal(fe.body, REST_INTERNAL_ERROR_BODY);
    const rej = invokeRejectedResponse('rest');
    assert.equal(rej.statusCode, 500);
    assert.equal(rej.body, REST_INTERNAL_ERROR_BODY);
  });
});

describe('response v2 (HTTP API)', () => {
  it('structured result with statusCode', () => {
    const r: APIGatewayProxyStructuredResultV2 = { statusCode: 201, headers: { 'content-type': 'text/html', 'x-n': 1 }, body: '<p>' };
    const out = mapV2Result(buf(r), V2_OPTS);
    assert.equal(out.statusCode, 201);
    assert.deepEqual(out.headers, { 'content-type': 'text/html', 'x-n': '1' });
    assert.equal(out.body, '<p>');
  });

  it('cookies become set-cookie headers', () => {
    const out = mapV2Result(buf({ statusCode: 200, cookies: ['a=1; Path=/', 'b=2'], body: 'x' }), V2_OPTS);
    assert.deepEqual(out.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
  });

  it('isBase64Encoded bodies are decoded unconditionally', () => {
    const data = Buffer.from([0, 255, 1, 254]);
    const out = mapV2Result(buf({ statusCode: 200, body: data.toString('base64'), isBase64Encoded: true }), V2_OPTS);
    assert.deepEqual(out.body, data);
  });

  // The documented shortcut table: output -> interpretation.
  it('shortcut: a string is the body itself, 200, application/json', () => {
    const out = mapV2Result(buf('Hello from Lambda!'), V2_OPTS);
    assert.equal(out.statusCode, 200);
    assert.deepEqual(out.headers, { 'content-type': 'application/json' });
    assert.equal(out.body, 'Hello from Lambda!');
  });
  it('shortcut: an object without statusCode is sent as its JSON', () => {
    const payload = Buffer.from('{ "message": "Hello from Lambda!" }');
    const out = mapV2Result(payload, V2_OPTS);
    assert.equal(out.statusCode, 200);
    assert.equal(out.headers['content-type'], 'application/json');
    assert.equal(out.body, '{ "message": "Hello from Lambda!" }');
  });
  it('shortcut: numbers, arrays, booleans, null', () => {
    for (const v of [42, [1, 'a'], true, null]) {
      const out = mapV2Result(buf(v), V2_OPTS);
      assert.equal(out.statusCode, 200);
      assert.equal(out.body, JSON.stringify(v));
    }
  });

  for (const [name, value] of [
    ['statusCode not a number', { statusCode: 'x' }],
    ['object body', { statusCode: 200, body: {} }],
    ['cookies not an array', { statusCode: 200, cookies: 'a=1' }],
    ['headers not an object', { statusCode: 200, headers: [] }],
  ] as Array<[string, unknown]>) {
    it(`malformed structured result -> 500 Internal Server Error: ${name}`, () => {
      const out = mapV2Result(buf(value), V2_OPTS);
      assert.equal(out.statusCode, 500);
      assert.equal(out.body, '{"message":"Internal Server Error"}');
    });
  }

  it('invalid JSON -> 500', () => {
    assert.equal(mapV2Result(Buffer.from('{'), V2_OPTS).statusCode, 500);
  });

  it('function error and rejected invocation -> 500 {"message":"Internal Server Error"}', () => {
    for (const r of [functionErrorResponse('http'), invokeRejectedResponse('http')]) {
      assert.equal(r.statusCode, 500);
      assert.equal(r.body, HTTP_INTERNAL_ERROR_BODY);
    }
  });

  it('with CORS configured: backend CORS headers dropped, configured ones added', () => {
    const out = mapV2Result(
      buf({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': 'https://evil', 'x-a': '1' }, body: '' }),
      { corsConfigured: true, corsHeaders: { 'access-control-allow-origin': 'https://app' } },
    );
    assert.equal(out.headers['Access-Control-Allow-Origin'], undefined);
    assert.equal(out.headers['access-control-allow-origin'], 'https://app');
    assert.equal(out.headers['x-a'], '1');
  });
});

const CORS: CorsConfig = {
  allowOrigins: ['https://app.example.com', 'https://*'],
  allowHeaders: ['content-type', 'authorization'],
  allowMethods: ['GET', 'POST'],
  exposeHeaders: ['x-request-id'],
  allowCredentials: true,
  maxAge: 300,
};

describe('cors: HTTP API', () => {
  it('origin matching: exact, https://*, *', () => {
    assert.equal(httpApiAllowedOrigin(CORS, 'https://app.example.com'), 'https://app.example.com');
    assert.equal(httpApiAllowedOrigin(CORS, 'https://other.org'), 'https://other.org');
    assert.equal(httpApiAllowedOrigin(CORS, 'http://other.org'), null);
    assert.equal(httpApiAllowedOrigin({ ...CORS, allowOrigins: ['*'] }, 'http://x'), '*');
  });
  it('preflight needs Origin and Access-Control-Request-Method', () => {
    assert.equal(httpApiPreflight(CORS, undefined, 'GET'), null);
    assert.equal(httpApiPreflight(CORS, 'https://app.example.com', undefined), null);
  });
  it('preflight: 204 with the configured Access-Control-* headers', () => {
    const p = httpApiPreflight(CORS, 'https://app.example.com', 'POST');
    assert.deepEqual(p, {
      statusCode: 204,
      headers: {
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'GET,POST',
        'access-control-allow-headers': 'content-type,authorization',
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '300',
      },
    });
  });
  it('preflight from a disallowed origin: 204 without CORS headers', () => {
    assert.deepEqual(httpApiPreflight(CORS, 'http://nope', 'GET'), { statusCode: 204, headers: {} });
  });
  it('actual response headers: origin, credentials, expose', () => {
    assert.deepEqual(httpApiResponseCorsHeaders(CORS, 'https://app.example.com'), {
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id',
    });
    assert.equal(httpApiResponseCorsHeaders(CORS, undefined), null);
  });
});

describe('cors: REST OPTIONS mock (Serverless Framework)', () => {
  const cfg = (over: Partial<CorsConfig> = {}): CorsConfig => ({
    allowOrigins: ['*'],
    allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'],
    allowMethods: [],
    exposeHeaders: [],
    allowCredentials: false,
    maxAge: null,
    ...over,
  });
  it('merges the routes of one path: their methods plus OPTIONS', () => {
    const m = mergeRestCors([
      { method: 'GET', cors: cfg() },
      { method: 'POST', cors: cfg() },
    ]);
    assert.deepEqual(m.allowMethods, ['GET', 'POST', 'OPTIONS']);
    assert.deepEqual(m.allowOrigins, ['*']);
  });
  it('headers of `cors: true`', () => {
    const h = restPreflightHeaders(mergeRestCors([{ method: 'GET', cors: cfg() }]), 'https://x');
    assert.deepEqual(h, {
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent',
      'Access-Control-Allow-Methods': 'GET,OPTIONS',
    });
  });
  it('credentials and max-age only when set; ANY expands', () => {
    const h = restPreflightHeaders(mergeRestCors([{ method: 'ANY', cors: cfg({ allowCredentials: true, maxAge: 86400 }) }]), undefined);
    assert.equal(h['Access-Control-Allow-Credentials'], 'true');
    assert.equal(h['Access-Control-Max-Age'], '86400');
    assert.equal(h['Access-Control-Allow-Methods'], 'DELETE,GET,HEAD,PATCH,POST,PUT,OPTIONS');
  });
  it('several origins: the request origin when it matches one, else the first', () => {
    const c = mergeRestCors([{ method: 'GET', cors: cfg({ allowOrigins: ['https://a.com', 'https://*.b.com'] }) }]);
    assert.equal(restPreflightHeaders(c, 'https://x.b.com')['Access-Control-Allow-Origin'], 'https://x.b.com');
    assert.equal(restPreflightHeaders(c, 'https://a.com')['Access-Control-Allow-Origin'], 'https://a.com');
    assert.equal(restPreflightHeaders(c, 'https://evil.com')['Access-Control-Allow-Origin'], 'https://a.com');
  });
});
