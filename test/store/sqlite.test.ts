import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { STORE_MIGRATIONS, openStore } from '../../src/store/open';
import { SqliteDb } from '../../src/store/sqlite';
import { appRecord, dbOf, logRecord, storeConformance } from './conformance';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-store-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const conformanceUrl = path.join(dir, 'nested', 'conformance.db');
storeConformance('sqlite', () => openStore({ url: conformanceUrl }), { url: conformanceUrl });

describe('sqlite store specifics', () => {
  it('runs in WAL mode with synchronous=FULL', async () => {
    const store = await openStore({ url: path.join(dir, 'pragmas.db') });
    try {
      const db = dbOf(store);
      assert.deepEqual(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
      assert.deepEqual(await db.get('PRAGMA synchronous'), { synchronous: 2 }); // 2 = FULL
    } finally {
      await store.close();
    }
  });

  it('concurrent transactions do not interleave, even when their callbacks await', async () => {
    const store = await openStore({ url: path.join(dir, 'interleave.db') });
    try {
      const db = dbOf(store);
      const insert = 'INSERT INTO function_logs (function_name, request_id, ts, stream, message) VALUES (?, ?, ?, ?, ?)';
      await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          db.tx(async (t) => {
            for (let i = 0; i < 5; i++) {
              await t.run(insert, ['f', null, 0, 'stdout', `${name}${i}`]);
              await new Promise((r) => setImmediate(r)); // give the others every chance to run
            }
          }),
        ),
      );
      const rows = await db.all<{ message: string }>('SELECT message FROM function_logs ORDER BY id');
      assert.deepEqual(
        rows.map((r) => r.message),
        ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4', 'c0', 'c1', 'c2', 'c3', 'c4'],
      );
    } finally {
      await store.close();
    }
  });

  it('a call outside a transaction waits for it instead of joining it', async () => {
    const store = await openStore({ url: path.join(dir, 'outside.db') });
    try {
      const db = dbOf(store);
      const order: string[] = [];
      const tx = db.tx(async (t) => {
        await t.run("INSERT INTO apps (name, stack, version, deployed_at) VALUES ('in-tx', '{}', 1, 1)");
        await new Promise((r) => setTimeout(r, 10));
        order.push('tx body done');
        throw new Error('roll back');
      });
      const read = db.get('SELECT name FROM apps WHERE name = ?', ['in-tx']).then((r) => {
        order.push('read');
        return r;
      });
      await assert.rejects(tx, /roll back/);
      assert.equal(await read, undefined, 'the read never saw the uncommitted row');
      assert.deepEqual(order, ['tx body done', 'read']);
    } finally {
      await store.close();
    }
  });

  it('a directory URL gets nimbus.db inside it; parent directories are created', async () => {
    const d = path.join(dir, 'data-dir');
    fs.mkdirSync(d);
    const store = await openStore({ url: d });
    assert.equal(store.location, path.join(d, 'nimbus.db'));
    await store.close();
    assert.ok(fs.existsSync(path.join(d, 'nimbus.db')));

    const deep = path.join(dir, 'a', 'b', 'c', 'store.db');
    const s2 = await openStore({ url: deep });
    await s2.apps.put(appRecord('x', 1));
    await s2.close();
    assert.ok(fs.existsSync(deep));
  });

  it('keeps appended logs after a reopen with ids still increasing', async () => {
    const file = path.join(dir, 'ids.db');
    const s1 = await openStore({ url: file });
    await s1.logs.appendMany([logRecord('f', 'one'), logRecord('f', 'two')]);
    const before = await s1.logs.query({});
    await dbOf(s1).run('DELETE FROM function_logs WHERE message = ?', ['two']);
    await s1.close();
    const s2 = await openStore({ url: file });
    try {
      await s2.logs.appendMany([logRecord('f', 'three')]);
      const rows = await s2.logs.query({});
      assert.deepEqual(rows.map((r) => r.message), ['one', 'three']);
      // AUTOINCREMENT: the id of the deleted newest row is never handed out again.
      assert.ok((rows[1].id ?? 0) > (before[1].id ?? 0));
    } finally {
      await s2.close();
    }
  });

  it('bad URLs and a file that is not a database are ERR_STORE_URL', async () => {
    await assert.rejects(openStore({ url: '' }), { code: 'ERR_STORE_URL' });
    await assert.rejects(openStore({ url: 'mysql://root:hunter2@db/app' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_STORE_URL');
      assert.match(e.message, /mysql/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    const junk = path.join(dir, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database, just a long enough text file to have a header '.repeat(20));
    await assert.rejects(openStore({ url: junk }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_STORE_URL');
      assert.ok(e.message.includes(junk), e.message);
      return true;
    });
  });

  it('two stores opening the same new file at once both migrate cleanly', async () => {
    const file = path.join(dir, 'race.db');
    const stores = await Promise.all([openStore({ url: file }), openStore({ url: file })]);
    try {
      const rows = await dbOf(stores[0]).all('SELECT module, version FROM nimbus_migrations ORDER BY module, version');
      assert.deepEqual(
        rows,
        STORE_MIGRATIONS.map((m) => ({ module: m.module, version: m.version })).sort((a, b) => a.module.localeCompare(b.module) || a.version - b.version),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('queue: an idle claim is a read: it neither takes nor waits for the write lock', async () => {
    const file = path.join(dir, 'idle-claim.db');
    const store = await openStore({ url: file });
    // Another process (here: another connection) in the middle of a long write.
    const writer = new Database(file);
    try {
      writer.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      assert.deepEqual(await store.queue.claim('idle', 'w', { max: 10, leaseMs: 1000 }), []);
      assert.equal(await store.queue.nextAvailableAt('idle'), null);
      assert.ok(Date.now() - started < 1000, 'did not wait for the writer');
      writer.exec('ROLLBACK');
    } finally {
      writer.close();
      await store.close();
    }
  });

  it('close waits for a running transaction, then refuses new work', async () => {
    const db = new SqliteDb(path.join(dir, 'close.db'));
    let committed = false;
    const tx = db.tx(async (t) => {
      await t.exec('CREATE TABLE t (x INTEGER)');
      await new Promise((r) => setTimeout(r, 10));
      committed = true;
    });
    await db.close();
    await tx;
    assert.equal(committed, true);
    await assert.rejects(db.all('SELECT 1'), { code: 'ERR_STORE' });
    await assert.rejects(db.tx(async () => undefined), { code: 'ERR_STORE' });
  });
});
