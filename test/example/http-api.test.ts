/**
 * The bundled example app (what `npm start` serves), through a live Nimbus:
 * CommonJS, TypeScript, ES module and callback handlers over HTTP API and REST.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Platform } from '../../src/platform';
import { REPO, startNimbus, tmpDir } from '../helpers/nimbus';

describe('examples/http-api', () => {
  let nimbus: Platform;
  let url: string;
  before(async () => {
    // A copy: deploying bundles TypeScript into the app's .nimbus/ folder.
    const dir = path.join(tmpDir(), 'http-api');
    fs.cpSync(path.join(REPO, 'examples', 'http-api'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.nimbus`) });
    nimbus = await startNimbus();
    const res = await nimbus.deploy(dir);
    assert.deepEqual(res.warnings, []);
    url = nimbus.httpUrl;
  });
  after(() => nimbus.close());

  it('hello (CommonJS, HTTP API) with and without a path parameter', async () => {
    const a = (await (await fetch(`${url}/hello`)).json()) as Record<string, unknown>;
    assert.equal(a.message, 'Hello, world!');
    assert.equal(a.stage, 'dev');
    assert.equal(a.function, 'hello-nimbus-dev-hello');
    const b = (await (await fetch(`${url}/hello/Ada`)).json()) as Record<string, unknown>;
    assert.equal(b.message, 'Hello, Ada!');
    assert.equal(b.warmInvocations, 2);
  });

  it('items (TypeScript) uses the 2.0 plain-object shortcut', async () => {
    const res = await fetch(`${url}/items/2`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), { id: '2', name: 'Kettle', price: 42 });
    assert.equal((await fetch(`${url}/items/9`)).status, 404);
  });

  it('echo (ES module) parses JSON bodies', async () => {
    const res = await fetch(`${url}/echo`, { method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await res.json(), { received: { n: 1 } });
    const bad = await fetch(`${url}/echo`, { method: 'POST', body: 'nope', headers: { 'content-type': 'text/plain' } });
    assert.equal(bad.status, 400);
  });

  it('legacy (callback, REST API) answers on /path and /<stage>/path, with CORS preflight', async () => {
    for (const p of ['/legacy/a/b', '/dev/legacy/a/b']) {
      const res = await fetch(url + p, { method: 'DELETE' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { method: 'DELETE', path: '/legacy/a/b', proxy: 'a/b' });
    }
    const pre = await fetch(`${url}/legacy/x`, { method: 'OPTIONS', headers: { origin: 'http://example.com', 'access-control-request-method': 'PUT' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PUT/);
  });

  it('HTTP API CORS (provider.httpApi.cors: true) answers preflights itself', async () => {
    const pre = await fetch(`${url}/hello`, { method: 'OPTIONS', headers: { origin: 'http://example.com', 'access-control-request-method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  });

  it('unknown routes: HTTP API 404', async () => {
    const res = await fetch(`${url}/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { message: 'Not Found' });
  });
});
