/**
 * Runs the store conformance suite against PostgreSQL. CI starts the server;
 * if it is unreachable this file fails rather than skips, so a broken CI
 * database can never pass as green.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Client } from 'pg';
import { STORE_MIGRATIONS, openStore } from '../../src/store/open';
import { toPgPlaceholders } from '../../src/store/postgres';
import { dbOf, storeConformance } from './conformance';

const BASE_URL = process.env.NIMBUS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const created: string[] = [];

function schemaUrl(schema: string): string {
  created.push(schema);
  const u = new URL(BASE_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

function newSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

after(async () => {
  if (created.length === 0) return;
  const client = new Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    for (const s of created) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
});

const mainUrl = schemaUrl(newSchema());
storeConformance('postgres', () => openStore({ url: mainUrl }), { url: mainUrl });

describe('postgres store specifics', () => {
  it('creates the schema and keeps every table in it', async () => {
    const schema = newSchema();
    const store = await openStore({ url: schemaUrl(schema) });
    try {
      const rows = await dbOf(store).all<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name',
        [schema],
      );
      assert.deepEqual(
        rows.map((r) => r.table_name),
        [
          'apps',
          'dynamodb_ids',
          'dynamodb_items',
          'dynamodb_stream_records',
          'dynamodb_streams',
          'dynamodb_tables',
          'dynamodb_tx_tokens',
          'function_logs',
          'functions',
          'invocations',
          'nimbus_migrations',
          'queue_items',
          's3_buckets',
          's3_objects',
          's3_parts',
          's3_uploads',
        ],
      );
      assert.match(store.location, new RegExp(`schema=${schema}`));
    } finally {
      await store.close();
    }
  });

  it('several nodes starting against a fresh schema at once migrate exactly once', async () => {
    const url = schemaUrl(newSchema());
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ url })));
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

  it('parses BIGINT as number on its own pool only, leaving pg global parsers alone', async () => {
    const store = await openStore({ url: mainUrl });
    const client = new Client({ connectionString: BASE_URL });
    await client.connect();
    try {
      assert.deepEqual(await dbOf(store).get('SELECT CAST(1700000000000 AS BIGINT) AS n'), { n: 1_700_000_000_000 });
      const plain = await client.query('SELECT CAST(1700000000000 AS BIGINT) AS n');
      assert.equal(plain.rows[0].n, '1700000000000');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('bad URLs are ERR_STORE_URL and never echo the password', async () => {
    for (const url of [
      'postgres://u:s3cret@127.0.0.1:notaport/db',
      'postgresql://u:s3cret@127.0.0.1/db?schema=Bad-Name',
      'postgres://u:s3cret@127.0.0.1/db?schema=pg_catalog',
    ]) {
      await assert.rejects(openStore({ url }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_STORE_URL', url);
        assert.doesNotMatch(e.message, /s3cret/);
        return true;
      });
    }
  });

  // docs/errors.md: an unreachable database is an ERR_STORE_URL (fix the --store value or the server).
  it('an unreachable server or missing database is ERR_STORE_URL naming the URL without its password', async () => {
    await assert.rejects(openStore({ url: 'postgres://u:s3cret@127.0.0.1:1/db?schema=x' }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_STORE_URL');
      assert.ok(e.message.includes('postgres://u@127.0.0.1:1/db'), e.message);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
    const missing = new URL(BASE_URL);
    missing.pathname = `/nimbus_missing_${randomBytes(4).toString('hex')}`;
    await assert.rejects(openStore({ url: missing.toString() }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_STORE_URL');
      assert.match(e.message, /does not exist/);
      return true;
    });
  });

  it('queue: a claim skips rows another transaction has locked instead of waiting for them', async () => {
    const store = await openStore({ url: mainUrl });
    try {
      const q = `skip-${randomBytes(4).toString('hex')}`;
      const T = 1_000_000;
      const items = await store.queue.enqueueMany(['a', 'b', 'c'].map((payload) => ({ queue: q, payload, availableAt: T })));
      let unlock!: () => void;
      const held = new Promise<void>((r) => (unlock = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // Another node in the middle of claiming the oldest row.
      const other = dbOf(store).tx(async (t) => {
        await t.all('SELECT id FROM queue_items WHERE id = ? FOR UPDATE', [items[0].id]);
        locked();
        await held;
      });
      await isLocked;
      const got = await store.queue.claim(q, 'w', { max: 10, leaseMs: 60_000, now: T });
      assert.deepEqual(got.map((i) => i.payload), ['b', 'c']);
      unlock();
      await other;
      assert.deepEqual((await store.queue.claim(q, 'w', { max: 10, leaseMs: 60_000, now: T })).map((i) => i.payload), ['a']);
      await store.queue.purge(q);
    } finally {
      await store.close();
    }
  });

  it('queue: LISTEN/NOTIFY wakes pollers on other nodes of the same schema only', async () => {
    const otherUrl = schemaUrl(newSchema());
    const [a, b, other, otherWriter] = await Promise.all([
      openStore({ url: mainUrl }),
      openStore({ url: mainUrl }),
      openStore({ url: otherUrl }),
      openStore({ url: otherUrl }),
    ]);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    try {
      const q = `wake-${randomBytes(4).toString('hex')}`;
      const woken: string[] = [];
      const strangers: string[] = [];
      b.queue.onEnqueued(q, (name) => woken.push(name));
      other.queue.onEnqueued(null, (name) => strangers.push(name));
      // Each listener connects in the background; enqueue until the first notification arrives.
      const deadline = Date.now() + 5000;
      while ((woken.length === 0 || strangers.length === 0) && Date.now() < deadline) {
        if (woken.length === 0) await a.queue.enqueue(q, 'x');
        if (strangers.length === 0) await otherWriter.queue.enqueue('ping', 'x');
        await sleep(20);
      }
      assert.deepEqual([...new Set(woken)], [q], 'b never enqueued: its wake-ups came from a');
      assert.deepEqual([...new Set(strangers)], ['ping']);
      // Both listeners are up now; a's enqueues must not reach the store in the other schema.
      strangers.length = 0;
      const before = woken.length;
      await a.queue.enqueueMany([{ queue: q, payload: 'y' }, { queue: q, payload: 'z' }]);
      for (let i = 0; i < 100 && woken.length === before; i++) await sleep(10);
      assert.ok(woken.length > before);
      await sleep(50);
      assert.deepEqual(strangers, []);
      await a.queue.purge(q);
    } finally {
      await Promise.all([a, b, other, otherWriter].map((s) => s.close()));
    }
  });

  // The CI database uses the C collation, where ORDER BY on text is byte order;
  // many installs default to a locale (en_US.UTF-8), where it is not.
  it('documents: listTables keeps code-unit order under a locale-aware collation', async () => {
    const store = await openStore({ url: schemaUrl(newSchema()) });
    try {
      const db = dbOf(store);
      const icu = await db.get("SELECT collname FROM pg_collation WHERE collname = 'en-US-x-icu'");
      if (!icu) return; // a server built without ICU has no locale to test against
      await db.exec('ALTER TABLE dynamodb_tables ALTER COLUMN name TYPE TEXT COLLATE "en-US-x-icu"');
      for (const n of ['b', 'B', 'a', '_x', 'a.1', 'A-2', 'a-1']) await store.documents.createTable(n, () => '{}');
      assert.deepEqual((await store.documents.listTables()).map((t) => t.name), ['A-2', 'B', '_x', 'a', 'a-1', 'a.1', 'b']);
    } finally {
      await store.close();
    }
  });

  // S3 lists in UTF-8 byte order. The CI database's C collation would hide a
  // key column that follows the database default, so check the columns.
  it('objects: key columns compare bytewise whatever the database locale (COLLATE "C")', async () => {
    const schema = newSchema();
    const store = await openStore({ url: schemaUrl(schema) });
    try {
      const rows = await dbOf(store).all<{ table_name: string; column_name: string; collation_name: string | null }>(
        `SELECT table_name, column_name, collation_name FROM information_schema.columns
         WHERE table_schema = ? AND table_name IN ('s3_objects', 's3_uploads', 's3_buckets') AND column_name IN ('key', 'bucket', 'name', 'upload_id')
         ORDER BY table_name, column_name`,
        [schema],
      );
      assert.deepEqual(
        rows.map((r) => `${r.table_name}.${r.column_name}:${r.collation_name}`),
        ['s3_buckets.name:C', 's3_objects.bucket:C', 's3_objects.key:C', 's3_uploads.bucket:C', 's3_uploads.key:C', 's3_uploads.upload_id:C'],
      );
    } finally {
      await store.close();
    }
  });

  it('rewrites ? placeholders outside literals, identifiers and comments', () => {
    assert.equal(toPgPlaceholders('SELECT ? , ?'), 'SELECT $1 , $2');
    assert.equal(
      toPgPlaceholders(`SELECT '?', 'it''s ?', "we?ird", ? -- what?\n, /* ? */ ?`),
      `SELECT '?', 'it''s ?', "we?ird", $1 -- what?\n, /* ? */ $2`,
    );
    assert.equal(toPgPlaceholders('no params'), 'no params');
  });
});
