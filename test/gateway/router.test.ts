/**
 * Route precedence, as API Gateway documents it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.evaluation).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteTable, splitPath } from '../../src/gateway/router';

function table(...keys: string[]): RouteTable<string> {
  return new RouteTable(
    keys.map((k) => {
      if (k === '$default') return { method: 'ANY', path: '$default', value: k };
      const [method, path] = k.split(' ');
      return { method, path, value: k };
    }),
  );
}

function hit(t: RouteTable<string>, method: string, path: string): string | null {
  return t.match(method, path)?.value ?? null;
}

describe('router: AWS documented example', () => {
  // The example table from the AWS page, verbatim.
  const t = table('GET /pets/dog/1', 'GET /pets/dog/{id}', 'GET /pets/{proxy+}', 'ANY /{proxy+}', '$default');
  it('a full static match wins', () => assert.equal(hit(t, 'GET', '/pets/dog/1'), 'GET /pets/dog/1'));
  it('then a full match with a path variable', () => assert.equal(hit(t, 'GET', '/pets/dog/2'), 'GET /pets/dog/{id}'));
  it('then the route with the method and a greedy variable', () =>
    assert.equal(hit(t, 'GET', '/pets/cat/1'), 'GET /pets/{proxy+}'));
  it('ANY catches methods not defined for a route', () => assert.equal(hit(t, 'POST', '/test/5'), 'ANY /{proxy+}'));
  it('greedy routes beat $default', () => assert.equal(hit(t, 'DELETE', '/pets/dog/1'), 'ANY /{proxy+}'));
  it('$default catches what nothing else does', () => assert.equal(hit(t, 'GET', '/'), '$default'));
});

describe('router: precedence', () => {
  it('static beats param beats greedy at each segment', () => {
    const t = table('GET /a/{x}', 'GET /a/b', 'GET /a/{proxy+}');
    assert.equal(hit(t, 'GET', '/a/b'), 'GET /a/b');
    assert.equal(hit(t, 'GET', '/a/c'), 'GET /a/{x}');
    assert.equal(hit(t, 'GET', '/a/c/d'), 'GET /a/{proxy+}');
  });
  it('a specific method beats ANY on the same path', () => {
    const t = table('ANY /users', 'GET /users', 'POST /users');
    assert.equal(hit(t, 'GET', '/users'), 'GET /users');
    assert.equal(hit(t, 'POST', '/users'), 'POST /users');
    assert.equal(hit(t, 'PATCH', '/users'), 'ANY /users');
  });
  it('registration order does not change precedence', () => {
    const a = table('GET /{proxy+}', 'GET /x/{id}', 'GET /x/y');
    const b = table('GET /x/y', 'GET /x/{id}', 'GET /{proxy+}');
    for (const t of [a, b]) {
      assert.equal(hit(t, 'GET', '/x/y'), 'GET /x/y');
      assert.equal(hit(t, 'GET', '/x/z'), 'GET /x/{id}');
      assert.equal(hit(t, 'GET', '/x/y/z'), 'GET /{proxy+}');
    }
  });
  it('falls back to a less specific path that has the method', () => {
    const t = table('GET /pets/{id}', 'ANY /{proxy+}');
    assert.equal(hit(t, 'DELETE', '/pets/1'), 'ANY /{proxy+}');
    const u = table('GET /pets/dog', 'POST /pets/{id}');
    assert.equal(hit(u, 'POST', '/pets/dog'), 'POST /pets/{id}');
  });
  it('backtracks from a dead-end static branch to a param branch', () => {
    const t = table('GET /a/b/c', 'GET /a/{x}/d');
    assert.equal(hit(t, 'GET', '/a/b/d'), 'GET /a/{x}/d');
    const m = t.match('GET', '/a/b/d');
    assert.deepEqual(m?.params, { x: 'b' });
  });
  it('a non-greedy full match with ANY beats a greedy route with the exact method', () => {
    const t = table('ANY /pets/{id}', 'GET /{proxy+}');
    assert.equal(hit(t, 'GET', '/pets/1'), 'ANY /pets/{id}');
  });
  it('greedy needs at least one segment: /{proxy+} does not match /', () => {
    const t = table('ANY /{proxy+}');
    assert.equal(hit(t, 'GET', '/'), null);
    assert.equal(hit(t, 'GET', '/x'), 'ANY /{proxy+}');
    const u = table('GET /files/{proxy+}');
    assert.equal(hit(u, 'GET', '/files'), null);
    assert.equal(hit(u, 'GET', '/files/a'), 'GET /files/{proxy+}');
  });
  it('a param does not match an empty segment', () => {
    const t = table('GET /a/{x}/b');
    assert.equal(hit(t, 'GET', '/a//b'), null);
  });
  it('root route', () => {
    const t = table('GET /', 'GET /{id}');
    assert.equal(hit(t, 'GET', '/'), 'GET /');
    assert.equal(hit(t, 'GET', '/7'), 'GET /{id}');
    assert.equal(hit(t, 'POST', '/'), null);
  });
  it('paths are case-sensitive', () => {
    const t = table('GET /Users');
    assert.equal(hit(t, 'GET', '/users'), null);
    assert.equal(hit(t, 'GET', '/Users'), 'GET /Users');
  });
  it('a trailing slash is ignored', () => {
    const t = table('GET /users');
    assert.equal(hit(t, 'GET', '/users/'), 'GET /users');
  });
  it('no match and no $default -> null', () => {
    const t = table('GET /a');
    assert.equal(t.match('GET', '/b'), null);
    assert.equal(t.match('POST', '/a'), null);
  });
  it('$default catches every method and path', () => {
    const t = table('GET /a', '$default');
    assert.equal(hit(t, 'POST', '/a'), '$default');
    assert.equal(hit(t, 'GET', '/x/y/z'), '$default');
    assert.equal(t.match('GET', '/x')?.params, null);
  });
  it('the first of two identical routes wins, the second is a recorded conflict', () => {
    const t = new RouteTable<string>([
      { method: 'GET', path: '/a/{id}', value: 'first' },
      { method: 'GET', path: '/a/{other}', value: 'second' },
      { method: 'ANY', path: '/b', value: 'b1' },
      { method: 'ANY', path: '/b', value: 'b2' },
    ]);
    assert.equal(t.match('GET', '/a/1')?.value, 'first');
    assert.deepEqual(t.match('GET', '/a/1')?.params, { id: '1' });
    assert.equal(t.match('PUT', '/b')?.value, 'b1');
    assert.deepEqual(
      t.conflicts.map((c) => c.value),
      ['second', 'b2'],
    );
  });
  it('hasPath ignores the method', () => {
    const t = table('GET /a/{id}');
    assert.equal(t.hasPath('/a/1'), true);
    assert.equal(t.hasPath('/b'), false);
  });
  it('rejects a greedy variable that is not last', () => {
    assert.throws(() => table('GET /{proxy+}/x'));
  });
});

describe('router: path parameters', () => {
  it('null when the route has none', () => {
    assert.equal(table('GET /a').match('GET', '/a')?.params, null);
  });
  it('named by the route, several per path', () => {
    const t = table('GET /users/{userId}/posts/{postId}');
    assert.deepEqual(t.match('GET', '/users/u1/posts/p2')?.params, { userId: 'u1', postId: 'p2' });
  });
  it('sibling routes may name the same position differently', () => {
    const t = table('GET /users/{id}', 'GET /users/{userId}/posts');
    assert.deepEqual(t.match('GET', '/users/1')?.params, { id: '1' });
    assert.deepEqual(t.match('GET', '/users/1/posts')?.params, { userId: '1' });
  });
  it('are URL-decoded ("API Gateway decodes URL-encoded request parameters")', () => {
    const t = table('GET /items/{name}');
    assert.deepEqual(t.match('GET', '/items/a%20b%2Bc%40d')?.params, { name: 'a b+c@d' });
    assert.deepEqual(t.match('GET', '/items/a+b')?.params, { name: 'a+b' });
    assert.deepEqual(t.match('GET', '/items/caf%C3%A9')?.params, { name: 'café' });
  });
  it('an encoded slash stays inside one parameter', () => {
    const t = table('GET /items/{name}');
    assert.deepEqual(t.match('GET', '/items/a%2Fb')?.params, { name: 'a/b' });
  });
  it('a malformed escape is passed through raw', () => {
    const t = table('GET /items/{name}');
    assert.deepEqual(t.match('GET', '/items/100%')?.params, { name: '100%' });
  });
  it('greedy captures the decoded remainder without the leading slash', () => {
    const t = table('ANY /files/{proxy+}', 'GET /{any+}');
    assert.deepEqual(t.match('PUT', '/files/a/b%20c/d.txt')?.params, { proxy: 'a/b c/d.txt' });
    assert.deepEqual(t.match('GET', '/x')?.params, { any: 'x' });
  });
  it('params and greedy together', () => {
    const t = table('GET /t/{tenant}/{proxy+}');
    assert.deepEqual(t.match('GET', '/t/acme/a/b')?.params, { tenant: 'acme', proxy: 'a/b' });
  });
  it('a failed branch leaves no stray captures', () => {
    const t = table('GET /{a}/{b}/x', 'GET /{c}/y/{d}');
    assert.deepEqual(t.match('GET', '/1/y/2')?.params, { c: '1', d: '2' });
  });
});

describe('router: splitPath', () => {
  it('splits without the leading slash and one trailing slash', () => {
    assert.deepEqual(splitPath('/'), []);
    assert.deepEqual(splitPath(''), []);
    assert.deepEqual(splitPath('/a'), ['a']);
    assert.deepEqual(splitPath('/a/b/'), ['a', 'b']);
    assert.deepEqual(splitPath('/a//b'), ['a', '', 'b']);
  });
});
