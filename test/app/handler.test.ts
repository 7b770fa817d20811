import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPlatformError } from '../../src/errors';
import { resolveHandler } from '../../src/app/load-app';
import { splitHandler } from '../../src/app/handler';

describe('resolveHandler: Lambda Node.js handler rule', () => {
  it('splits the last path segment at its first dot; the rest is a nested export path', () => {
    assert.deepEqual(resolveHandler({ handler: 'index.handler' }), { modulePath: 'index', exportName: 'handler' });
    assert.deepEqual(resolveHandler({ handler: 'src/handlers/users.create' }), { modulePath: 'src/handlers/users', exportName: 'create' });
    assert.deepEqual(resolveHandler({ handler: 'a/b.c.d' }), { modulePath: 'a/b', exportName: 'c.d' });
    assert.deepEqual(resolveHandler({ handler: 'dir.v2/file.main' }), { modulePath: 'dir.v2/file', exportName: 'main' });
    assert.deepEqual(resolveHandler({ handler: './src/app.handler' }), { modulePath: './src/app', exportName: 'handler' });
  });

  it('rejects malformed handlers with ERR_APP_INVALID naming the function', () => {
    for (const handler of ['handler', 'src/handler', '.handler', 'index.', 'a/b.c..d', '../up.handler', 'dir.x/']) {
      assert.equal(splitHandler(handler), null, handler);
      assert.throws(
        () => resolveHandler({ key: 'hello', handler }),
        (e: unknown) => isPlatformError(e) && e.code === 'ERR_APP_INVALID' && e.message.includes('functions.hello.handler') && e.key === 'functions.hello.handler',
        handler,
      );
    }
  });
});
