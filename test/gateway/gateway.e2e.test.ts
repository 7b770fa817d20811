/**
 * The gateway on a real http server (port 0), driven with fetch and node:http. The invoke
 * engine is replaced by a tiny echo Invoker: a test double of the neighbour layer, not of
 * the gateway.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CorsConfig, HttpRoute } from '../../src/app/stack';
import { Gateway } from '../../src/gateway/gateway';
import type { GatewayApi } from '../../src/gateway/types';
import { InvokeError, type InvokeRequest, type InvokeResult, type Invoker } from '../../src/invoke/types';

/** Functions by name: each gets the parsed event and returns a result (or throws InvokeError). */
const FUNCTIONS: Record<string, (event: any) => unknown> = {
  // v1 must answer in the proxy format; v2 can rely on the shortcut (no statusCode).
  'echo-rest': (e: APIGatewayProxyEvent) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) }),
  'echo-http': (e: APIGatewayProxyEventV2) => e,
  // sends the request body back as it came (binary round trip)
  mirror: (e: { body?: string | null; isBase64Encoded: boolean; headers: Record<string, string> }) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/octet-stream' },
    body: e.body ?? '',
    isBase64Encoded: e.isBase64Encoded,
  }),
  cookies: () => ({ statusCode: 200, cookies: ['a=1; Path=/', 'b=2'], body: 'ok' }),
  malformed: () => ({ statusCode: 200, body: { not: 'a string' } }),
};

class EchoInvoker implements Invoker {
  calls: InvokeRequest[] = [];
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    this.calls.push(req);
    const base = { requestId: 'lambda-req', logTail: '', executedVersion: '$LATEST' };
    if (req.functionName === 'throttled') throw new InvokeError('TooManyRequestsException', 'Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded');
    if (req.functionName === 'crash') {
      return { ...base, functionError: 'Unhandled', payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}') };
    }
    const fn = FUNCTIONS[req.functionName];
    if (!fn) throw new InvokeError('ResourceNotFoundException', `Function not found: ${req.functionName}`);
    return { ...base, payload: Buffer.from(JSON.stringify(fn(JSON.parse(String(req.payload))))) };
  }
}

const route = (kind: HttpRoute['kind'], method: string, path: string, functionName: string, cors: CorsConfig | null = null): HttpRoute => ({
  kind,
  method,
  path,
  functionName,
  cors,
});

const HTTP_CORS: CorsConfig = {
  allowOrigins: ['https://app.example.com'],
  allowHeaders: ['content-type'],
  allowMethods: ['GET', 'POST'],
  exposeHeaders: ['x-trace'],
  allowCredentials: false,
  maxAge: 600,
};
const REST_CORS: CorsConfig = {
  allowOrigins: ['*'],
  allowHeaders: ['Content-Type', 'Authorization'],
  allowMethods: [],
  exposeHeaders: [],
  allowCredentials: false,
  maxAge: null,
};

const HTTP_API: GatewayApi = {
  id: 'httpapi01',
  name: 'svc-http',
  stage: '$default',
  routes: [
    route('httpApi', 'GET', '/users/{id}', 'echo-http'),
    route('httpApi', 'POST', '/upload', 'mirror'),
    route('httpApi', 'GET', '/cookies', 'cookies'),
    route('httpApi', 'GET', '/crash', 'crash'),
    route('httpApi', 'GET', '/throttled', 'throttled'),
    route('httpApi', 'GET', '/files/{proxy+}', 'echo-http'),
  ],
  httpApiCors: HTTP_CORS,
};
const REST_API: GatewayApi = {
  id: 'restapi01',
  name: 'svc-rest',
  stage: 'dev',
  routes: [
    route('http', 'GET', '/items/{name}', 'echo-rest', REST_CORS),
    route('http', 'POST', '/items/{name}', 'echo-rest', REST_CORS),
    route('http', 'POST', '/blob', 'mirror'),
    route('http', 'GET', '/crash', 'crash'),
    route('http', 'GET', '/throttled', 'throttled'),
    route('http', 'GET', '/bad', 'malformed'),
    route('http', 'ANY', '/', 'echo-rest'),
  ],
  httpApiCors: null,
  binaryMediaTypes: ['application/octet-stream'],
};

let server: http.Server;
let base: string;
let port: number;
const invoker = new EchoInvoker();

before(async () => {
  const gateway = new Gateway(invoker, { region: 'us-east-1', accountId: '123456789012' });
  gateway.setApis([HTTP_API, REST_API]);
  // Merged table: the REST API's unstaged aliases /crash and /throttled collide with the
  // HTTP API's routes listed first; the first wins, the REST ones stay at /dev/....
  assert.deepEqual(
    gateway.conflicts.map((c) => `${c.apiId} ${c.method} ${c.path}`),
    ['restapi01 GET /crash', 'restapi01 GET /throttled'],
  );
  server = http.createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** node:http request with raw (repeatable) headers; for what fetch cannot send (Host, duplicates). */
function raw(
  method: string,
  path: string,
  headers: string[],
  body?: Buffer | Buffer[],
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const b of body) req.write(b);
    else if (body) req.write(body);
    req.end();
  });
}

describe('gateway e2e: HTTP API (payload 2.0)', () => {
  it('routes, passes path/query/headers, and returns the 2.0 shortcut', async () => {
    const { status, headers, body } = await raw('GET', '/users/a%20b?x=1&x=2&y=', [
      'Host', `127.0.0.1:${port}`,
      'X-Dup', 'one',
      'X-Dup', 'two',
      'Cookie', 'c1=v1; c2=v2',
    ]);
    assert.equal(status, 200);
    assert.equal(headers['content-type'], 'application/json');
    const ev = JSON.parse(body.toString()) as APIGatewayProxyEventV2;
    assert.equal(ev.version, '2.0');
    assert.equal(ev.routeKey, 'GET /users/{id}');
    assert.equal(ev.rawPath, '/users/a b');
    assert.equal(ev.rawQueryString, 'x=1&x=2&y=');
    assert.deepEqual(ev.pathParameters, { id: 'a b' });
    assert.deepEqual(ev.queryStringParameters, { x: '1,2', y: '' });
    assert.equal(ev.headers['x-dup'], 'one,two');
    assert.deepEqual(ev.cookies, ['c1=v1', 'c2=v2']);
    assert.equal(ev.requestContext.stage, '$default');
    assert.equal(ev.requestContext.apiId, 'httpapi01');
    assert.equal(ev.requestContext.accountId, '123456789012');
    assert.equal(ev.requestContext.http.sourceIp, '127.0.0.1');
    assert.equal(ev.requestContext.requestId, headers['apigw-requestid']);
    assert.match(ev.requestContext.requestId, /^[A-Za-z0-9_-]{15}=$/);
    assert.match(ev.headers['x-amzn-trace-id']!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const call = invoker.calls.at(-1)!;
    assert.equal(call.functionName, 'echo-http');
    assert.equal(call.source, 'httpApi');
    assert.equal(call.traceId, ev.headers['x-amzn-trace-id']);
  });

  it('greedy path parameter', async () => {
    const res = await fetch(`${base}/files/a/b/c.txt`);
    const ev = (await res.json()) as APIGatewayProxyEventV2;
    assert.deepEqual(ev.pathParameters, { proxy: 'a/b/c.txt' });
    assert.equal(ev.routeKey, 'GET /files/{proxy+}');
  });

  it('binary body round trip (base64 in, base64 out)', async () => {
    const data = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) data[i] = i;
    const res = await fetch(`${base}/upload`, { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  it('cookies array -> set-cookie headers', async () => {
    const res = await fetch(`${base}/cookies`);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2']);
    assert.equal(await res.text(), 'ok');
  });

  it('unknown route -> 404 {"message":"Not Found"}', async () => {
    const res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '{"message":"Not Found"}');
    assert.ok(res.headers.get('apigw-requestid'));
  });

  it('function error -> 500 {"message":"Internal Server Error"}; throttle -> 500', async () => {
    for (const p of ['/crash', '/throttled']) {
      const res = await fetch(base + p);
      assert.equal(res.status, 500, p);
      assert.equal(await res.text(), '{"message":"Internal Server Error"}');
    }
  });

  it('CORS preflight answered by the gateway (no OPTIONS route): 204', async () => {
    const res = await fetch(`${base}/users/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET,POST');
    assert.equal(res.headers.get('access-control-allow-headers'), 'content-type');
    assert.equal(res.headers.get('access-control-max-age'), '600');
    assert.equal(await res.text(), '');
  });

  it('preflight is answered for paths without any route too', async () => {
    const res = await fetch(`${base}/no/such/route`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
  });

  it('OPTIONS that is not a preflight is routed normally (none here: 404)', async () => {
    const res = await fetch(`${base}/users/1`, { method: 'OPTIONS' });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('CORS headers on actual responses', async () => {
    const res = await fetch(`${base}/users/1`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('access-control-expose-headers'), 'x-trace');
    await res.arrayBuffer();
  });
});

describe('gateway e2e: REST API (payload 1.0)', () => {
  it('answers at /<stage>/<path> with multi-value query and headers', async () => {
    const { status, headers, body } = await raw('GET', '/dev/items/x%2By?q=1&q=2', [
      'Host', `127.0.0.1:${port}`,
      'X-Dup', 'one',
      'X-Dup', 'two',
    ]);
    assert.equal(status, 200);
    const ev = JSON.parse(body.toString()) as APIGatewayProxyEvent;
    assert.equal(ev.resource, '/items/{name}');
    assert.equal(ev.path, '/items/x%2By', 'path without the stage, still encoded');
    assert.equal(ev.requestContext.path, '/dev/items/x%2By');
    assert.equal(ev.requestContext.stage, 'dev');
    assert.deepEqual(ev.pathParameters, { name: 'x+y' });
    assert.deepEqual(ev.queryStringParameters, { q: '2' });
    assert.deepEqual(ev.multiValueQueryStringParameters, { q: ['1', '2'] });
    assert.equal(ev.headers['X-Dup'], 'two');
    assert.deepEqual(ev.multiValueHeaders['X-Dup'], ['one', 'two']);
    assert.equal(ev.body, null);
    assert.equal(ev.stageVariables, null);
    assert.equal(ev.requestContext.requestId, headers['x-amzn-requestid']);
    assert.equal(ev.requestContext.extendedRequestId, headers['x-amz-apigw-id']);
    assert.match(ev.requestContext.requestTime!, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    // the trace id AWS starts is on the event headers and on the response
    assert.match(ev.headers['X-Amzn-Trace-Id']!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(headers['x-amzn-trace-id'], ev.headers['X-Amzn-Trace-Id']);
    assert.equal(invoker.calls.at(-1)!.source, 'http');
  });

  it('answers at /<path> too, and passes an incoming trace id through', async () => {
    const res = await fetch(`${base}/items/abc`, { headers: { 'x-amzn-trace-id': 'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa' } });
    const ev = (await res.json()) as APIGatewayProxyEvent;
    assert.equal(ev.path, '/items/abc');
    assert.equal(ev.requestContext.path, '/dev/items/abc');
    assert.equal(ev.headers['x-amzn-trace-id'], 'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal(invoker.calls.at(-1)!.traceId, 'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa');
  });

  it('root resource at /<stage>', async () => {
    const res = await fetch(`${base}/dev`, { method: 'DELETE' });
    const ev = (await res.json()) as APIGatewayProxyEvent;
    assert.equal(ev.resource, '/');
    assert.equal(ev.path, '/');
    assert.equal(ev.httpMethod, 'DELETE');
  });

  it('text body as utf8; binary round trip with binaryMediaTypes and Accept', async () => {
    const res = await fetch(`${base}/dev/items/a`, { method: 'POST', body: 'héllo', headers: { 'content-type': 'text/plain' } });
    const ev = (await res.json()) as APIGatewayProxyEvent;
    assert.equal(ev.body, 'héllo');
    assert.equal(ev.isBase64Encoded, false);

    const data = Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff]);
    const bin = await fetch(`${base}/dev/blob`, {
      method: 'POST',
      body: data,
      headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' },
    });
    assert.equal(bin.status, 200);
    assert.deepEqual(Buffer.from(await bin.arrayBuffer()), data);
  });

  it('unknown path or method -> 403 {"message":"Missing Authentication Token"}', async () => {
    for (const [method, p] of [
      ['GET', '/dev/nope'],
      ['DELETE', '/dev/items/x'],
      ['GET', '/dev/items'],
    ]) {
      const res = await fetch(base + p, { method });
      assert.equal(res.status, 403, `${method} ${p}`);
      assert.equal(await res.text(), '{"message":"Missing Authentication Token"}');
      assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
      assert.ok(res.headers.get('x-amzn-requestid'));
    }
  });

  it('function error -> 502, malformed result -> 502, throttle -> 500 {"message": "Internal server error"}', async () => {
    for (const [p, code] of [
      ['/dev/crash', 502],
      ['/dev/bad', 502],
      ['/dev/throttled', 500],
    ] as const) {
      const res = await fetch(base + p);
      assert.equal(res.status, code, p);
      assert.equal(await res.text(), '{"message": "Internal server error"}');
    }
  });

  it('CORS: OPTIONS mock integration answers 200 with Access-Control-*', async () => {
    const res = await fetch(`${base}/dev/items/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-headers'), 'Content-Type,Authorization');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET,POST,OPTIONS');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
  });

  it('CORS on actual REST responses is the function\'s job: none added', async () => {
    const res = await fetch(`${base}/dev/items/x`, { headers: { origin: 'https://site.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
  });

  it('OPTIONS on a path without cors -> 403', async () => {
    const res = await fetch(`${base}/dev/blob`, { method: 'OPTIONS', headers: { origin: 'https://x', 'access-control-request-method': 'POST' } });
    assert.equal(res.status, 403);
    await res.arrayBuffer();
  });
});

describe('gateway e2e: hosts and limits', () => {
  it('<apiId>.execute-api.localhost targets one API', async () => {
    const rest = await raw('GET', '/users/1', ['Host', `restapi01.execute-api.localhost:${port}`]);
    assert.equal(rest.status, 403, 'HTTP API route not visible on the REST API host');
    const ok = await raw('GET', '/dev/items/1', ['Host', `restapi01.execute-api.localhost:${port}`]);
    assert.equal(ok.status, 200);
    const ev = JSON.parse(ok.body.toString()) as APIGatewayProxyEvent;
    assert.equal(ev.requestContext.domainName, `restapi01.execute-api.localhost:${port}`);
    assert.equal(ev.requestContext.domainPrefix, 'restapi01');
    const httpHost = await raw('GET', '/dev/items/1', ['Host', `httpapi01.execute-api.localhost:${port}`]);
    assert.equal(httpHost.status, 404, 'REST route not visible on the HTTP API host');
    const unknown = await raw('GET', '/users/1', ['Host', `nope.execute-api.localhost:${port}`]);
    assert.equal(unknown.status, 403);
  });

  it('body over 10 MB (Content-Length) -> 413 before invoking', async () => {
    const before = invoker.calls.length;
    const res = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 413);
    assert.equal(await res.text(), 'HTTP content length exceeded 10485760 bytes.');
    assert.equal(invoker.calls.length, before);
  });

  it('chunked body over 10 MB -> 413', async () => {
    const chunk = Buffer.alloc(1024 * 1024);
    const chunks = Array.from({ length: 11 }, () => chunk);
    const res = await raw('POST', '/upload', ['Host', `127.0.0.1:${port}`, 'Content-Type', 'application/octet-stream', 'Transfer-Encoding', 'chunked'], chunks);
    assert.equal(res.status, 413);
  });

  it('an event over Lambda\'s 6 MB limit is not invoked: 500', async () => {
    const before = invoker.calls.length;
    // 5 MB of binary becomes ~6.7 MB of base64 in the event.
    const res = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024, 7), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '{"message":"Internal Server Error"}');
    assert.equal(invoker.calls.length, before);
  });

  it('keep-alive connection serves several requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: `/users/${i}`, agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode!));
            })
            .on('error', reject);
        });
        assert.equal(status, 200);
      }
    } finally {
      agent.destroy();
    }
  });
});
