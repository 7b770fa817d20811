/**
 * The one suite every store backend runs (DESIGN.md, style rule 4). `open` must
 * open the same backing store on every call (same file, same schema), so the
 * suite can check reopening, migrations on restart and persistence. Tests share
 * that store, so each uses its own names (prefixed with a per-run id).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Stack } from '../../src/app/stack';
import type { Db, Migration } from '../../src/store/db';
import type { SqlStore } from '../../src/store/open';
import type { AppRecord, FunctionRecord, InvocationRecord, LogRecord, QueueItem, Store, WorkQueue } from '../../src/store/types';
import { documentsConformance } from './documents-conformance';
import { objectsConformance } from './objects-conformance';

/**
 * `url` is the URL `open` opens, for tests that need another process on the
 * same store (the queue's kill -9 test); without it they are skipped.
 */
export function storeConformance(name: string, open: () => Promise<Store>, opts: { url?: string } = {}): void {
  describe(`store conformance: ${name}`, () => {
    const run = 'r' + randomBytes(4).toString('hex');
    let store: Store;

    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    describe('apps', () => {
      it('round-trips a stack exactly and upserts by name', async () => {
        const app = appRecord(`${run}-shop-dev`, 1);
        await store.apps.put(app);
        assert.deepEqual(await store.apps.get(app.name), app);

        const changed: AppRecord = { ...app, version: 2, deployedAt: app.deployedAt + 1000, stack: { ...app.stack, warnings: ['x'] } };
        await store.apps.put(changed);
        assert.deepEqual(await store.apps.get(app.name), changed);
        assert.equal((await store.apps.list()).filter((a) => a.name === app.name).length, 1);
      });

      it('lists by name in code-unit order, independent of insertion order and locale', async () => {
        const names = [`${run}-b`, `${run}-B`, `${run}-a`, `${run}-_`, `${run}-a1`];
        for (const n of names) await store.apps.put(appRecord(n, 1));
        const listed = (await store.apps.list()).map((a) => a.name).filter((n) => names.includes(n));
        assert.deepEqual(listed, [`${run}-B`, `${run}-_`, `${run}-a`, `${run}-a1`, `${run}-b`]);
      });

      it('returns null for a missing app and deletes once', async () => {
        const n = `${run}-gone`;
        assert.equal(await store.apps.get(n), null);
        await store.apps.put(appRecord(n, 1));
        assert.equal(await store.apps.delete(n), true);
        assert.equal(await store.apps.delete(n), false);
        assert.equal(await store.apps.get(n), null);
      });
    });

    describe('functions', () => {
      it('round-trips, filters by app, orders by name, upserts and deletes', async () => {
        const a = `${run}-fa`;
        const b = `${run}-fb`;
        const f2 = fnRecord(`${run}-f2`, a);
        const f1 = fnRecord(`${run}-f1`, a);
        const g = fnRecord(`${run}-g`, b);
        for (const f of [f2, g, f1]) await store.functions.put(f);

        assert.deepEqual(await store.functions.get(f1.name), f1);
        assert.deepEqual(await store.functions.list(a), [f1, f2]);
        assert.deepEqual(await store.functions.list(b), [g]);
        assert.deepEqual(await store.functions.list(`${run}-none`), []);
        const all = (await store.functions.list()).filter((f) => f.name.startsWith(run));
        assert.deepEqual(all.map((f) => f.name), [f1.name, f2.name, g.name]);

        const moved: FunctionRecord = { ...f2, appName: b, version: 7, updatedAt: f2.updatedAt + 5, spec: { ...f2.spec, memorySize: 2048 } };
        await store.functions.put(moved);
        assert.deepEqual(await store.functions.get(f2.name), moved);
        assert.deepEqual(await store.functions.list(a), [f1]);
        assert.deepEqual(await store.functions.list(b), [moved, g]);

        assert.equal(await store.functions.delete(f1.name), true);
        assert.equal(await store.functions.delete(f1.name), false);
        assert.equal(await store.functions.get(f1.name), null);
      });
    });

    describe('invocations', () => {
      it('inserts a batch of hundreds and lists newest first with filters and limit', async () => {
        const fn = `${run}-inv`;
        const t0 = 1_700_000_000_000;
        const batch = Array.from({ length: 600 }, (_, i) =>
          invocation(fn, { requestId: `req-${i}`, startedAt: t0 + i, durationMs: i + 0.25, cold: i % 7 === 0, initDurationMs: i % 7 === 0 ? 123.5 : null }),
        );
        await store.invocations.insertMany(batch);
        await store.invocations.insertMany([]);

        const newest = await store.invocations.list({ functionName: fn, limit: 3 });
        assert.deepEqual(newest, [batch[599], batch[598], batch[597]]);

        const defaultLimit = await store.invocations.list({ functionName: fn });
        assert.equal(defaultLimit.length, 600);
        assert.deepEqual(defaultLimit[599], batch[0]);

        const recent = await store.invocations.list({ functionName: fn, since: t0 + 590 });
        assert.deepEqual(recent.map((r) => r.requestId), Array.from({ length: 10 }, (_, i) => `req-${599 - i}`));
        assert.deepEqual(await store.invocations.list({ functionName: fn, limit: 0 }), []);
        assert.deepEqual(await store.invocations.list({ functionName: `${run}-nothing` }), []);
      });

      it('computes stats exactly: counts, cold starts, nearest-rank p50/p99, GB-seconds', async () => {
        const a = `${run}-stats-a`;
        const b = `${run}-stats-b`;
        const c = `${run}-stats-c`;
        const t0 = 1_700_000_000_000;
        // a: durations 1..100 in a scrambled order; 30 cold; 5 errors, 3 timeouts, 2 crashes.
        const durations = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
        const outcomes = (i: number): InvocationRecord['outcome'] => (i < 5 ? 'error' : i < 8 ? 'timeout' : i < 10 ? 'crash' : 'success');
        const recs: InvocationRecord[] = durations.map((d, i) =>
          invocation(a, { startedAt: t0 + i, durationMs: d, billedDurationMs: 100, memorySizeMb: 512, cold: i % 10 < 3, outcome: outcomes(i) }),
        );
        // Throttles: never counted as invocations, cold starts, durations or GB-s.
        recs.push(invocation(a, { startedAt: t0, durationMs: 100_000, billedDurationMs: 100_000, cold: true, outcome: 'throttle' }));
        recs.push(invocation(a, { startedAt: t0, durationMs: 0, billedDurationMs: 0, outcome: 'throttle' }));
        // b: one invocation before `since`, ten after (durations 10..100).
        recs.push(invocation(b, { startedAt: t0 - 10_000, durationMs: 5000, billedDurationMs: 5000, memorySizeMb: 1024 }));
        for (let i = 1; i <= 10; i++) {
          recs.push(invocation(b, { startedAt: t0 + i, durationMs: i * 10, billedDurationMs: i * 10, memorySizeMb: 1024, cold: i === 1 }));
        }
        // c: only throttled.
        recs.push(invocation(c, { startedAt: t0, outcome: 'throttle', durationMs: 0, billedDurationMs: 0 }));
        await store.invocations.insertMany(recs);

        const expectA = {
          functionName: a,
          invocations: 100,
          errors: 10,
          throttles: 2,
          coldStarts: 30,
          p50DurationMs: 50,
          p99DurationMs: 99,
          gbSeconds: 5, // 100 x (100 ms / 1000) x (512 MB / 1024)
        };
        const expectB = {
          functionName: b,
          invocations: 11,
          errors: 0,
          throttles: 0,
          coldStarts: 1,
          p50DurationMs: 60, // nearest rank ceil(0.5 x 11) = 6th of 10,20,...,100,5000
          p99DurationMs: 5000, // ceil(0.99 x 11) = 11th
          gbSeconds: 5.55, // (5000 + 550) ms x 1 GB
        };
        const expectC = { functionName: c, invocations: 0, errors: 0, throttles: 1, coldStarts: 0, p50DurationMs: null, p99DurationMs: null, gbSeconds: 0 };

        assert.deepEqual(await store.invocations.stats(a), [expectA]);
        const all = (await store.invocations.stats()).filter((s) => s.functionName.startsWith(`${run}-stats-`));
        assert.deepEqual(all, [expectA, expectB, expectC]);

        // Since t0: b's old 5000 ms invocation drops out; 10 left: p50 = 5th = 50, p99 = 10th = 100.
        const sinceB = await store.invocations.stats(b, t0);
        assert.deepEqual(sinceB, [{ ...expectB, invocations: 10, p50DurationMs: 50, p99DurationMs: 100, gbSeconds: 0.55 }]);
        assert.deepEqual(await store.invocations.stats(`${run}-stats-none`), []);
      });
    });

    describe('logs', () => {
      it('assigns strictly increasing ids in insertion order and filters', async () => {
        const fa = `${run}-log-a`;
        const fb = `${run}-log-b`;
        const recs: LogRecord[] = Array.from({ length: 400 }, (_, i) =>
          logRecord(i % 2 ? fb : fa, `m${i}`, { requestId: i % 4 === 0 ? `${run}-req-${i % 8}` : null, ts: 1000 + i }),
        );
        await store.logs.appendMany(recs);
        await store.logs.appendMany([]);

        const a = await store.logs.query({ functionName: fa });
        assert.deepEqual(a.map((r) => r.message), recs.filter((_, i) => i % 2 === 0).map((r) => r.message));
        assertIncreasing(a.map((r) => r.id));
        const both = [...a, ...(await store.logs.query({ functionName: fb }))].sort((x, y) => num(x.id) - num(y.id));
        assert.deepEqual(both.map((r) => r.message), recs.map((r) => r.message), 'ids follow insertion order across functions');
        assert.deepEqual(stripId(a[0]), recs[0]);

        const byReq = await store.logs.query({ requestId: `${run}-req-4` });
        assert.deepEqual(byReq.map((r) => r.message), recs.filter((_, i) => i % 8 === 4).map((r) => r.message));
        const since = await store.logs.query({ functionName: fa, since: 1000 + 390 });
        assert.deepEqual(since.map((r) => r.message), ['m390', 'm392', 'm394', 'm396', 'm398']);
      });

      it('tails with afterId across batches', async () => {
        const fn = `${run}-tail`;
        await store.logs.appendMany([logRecord(fn, 'one'), logRecord(fn, 'two')]);
        const first = await store.logs.query({ functionName: fn });
        const last = num(first[first.length - 1].id);
        assert.deepEqual(await store.logs.query({ functionName: fn, afterId: last }), []);
        await store.logs.appendMany([logRecord(fn, 'three'), logRecord(`${run}-other`, 'x'), logRecord(fn, 'four')]);
        const next = await store.logs.query({ functionName: fn, afterId: last });
        assert.deepEqual(next.map((r) => r.message), ['three', 'four']);
        assert.ok(num(next[0].id) > last);
      });

      it('limit returns the most recent matches, oldest first; default limit is 1000', async () => {
        const fn = `${run}-limit`;
        await store.logs.appendMany(Array.from({ length: 1005 }, (_, i) => logRecord(fn, `m${i}`)));
        const five = await store.logs.query({ functionName: fn, limit: 5 });
        assert.deepEqual(five.map((r) => r.message), ['m1000', 'm1001', 'm1002', 'm1003', 'm1004']);
        const dflt = await store.logs.query({ functionName: fn });
        assert.equal(dflt.length, 1000);
        assert.equal(dflt[0].message, 'm5');
        assert.equal(dflt[999].message, 'm1004');
        assert.deepEqual(await store.logs.query({ functionName: fn, limit: 0 }), []);
        const tail = await store.logs.query({ functionName: fn, afterId: num(five[1].id), limit: 2 });
        assert.deepEqual(tail.map((r) => r.message), ['m1003', 'm1004']);
      });

      it('concurrent batches each keep their order and never interleave ids', async () => {
        const fn = `${run}-conc`;
        const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 50 }, (_, i) => logRecord(fn, `${b}:${i}`)));
        await Promise.all(batches.map((batch) => store.logs.appendMany(batch)));
        const rows = await store.logs.query({ functionName: fn });
        assert.equal(rows.length, 300);
        assertIncreasing(rows.map((r) => r.id));
        // Each batch occupies one contiguous run, in its own order.
        for (let start = 0; start < 300; start += 50) {
          const b = rows[start].message.split(':')[0];
          assert.deepEqual(rows.slice(start, start + 50).map((r) => r.message), Array.from({ length: 50 }, (_, i) => `${b}:${i}`));
        }
      });
    });

    describe('transactions (Db)', () => {
      it('commits on resolve and rolls back on throw, rethrowing the same error', async () => {
        const db = dbOf(store);
        const kept = `${run}-tx-kept`;
        const lost = `${run}-tx-lost`;
        const value = await db.tx(async (t) => {
          await t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [kept, '{}', 1, 1]);
          return 42;
        });
        assert.equal(value, 42);
        const boom = new Error('boom');
        await assert.rejects(
          db.tx(async (t) => {
            await t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [lost, '{}', 1, 1]);
            await t.run('UPDATE apps SET version = 9 WHERE name = ?', [kept]);
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await db.get('SELECT name FROM apps WHERE name = ?', [lost]), undefined);
        assert.deepEqual(await db.get('SELECT version FROM apps WHERE name = ?', [kept]), { version: 1 });
      });

      it('refuses to commit after a failed statement, even if the callback caught it', async () => {
        const db = dbOf(store);
        const n = `${run}-tx-doomed`;
        await assert.rejects(
          db.tx(async (t) => {
            await t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [n, '{}', 1, 1]);
            await t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [n, '{}', 1, 1]).catch(() => undefined);
          }),
          { code: 'ERR_STORE' },
        );
        assert.equal(await db.get('SELECT name FROM apps WHERE name = ?', [n]), undefined);
      });

      it('reports driver errors as ERR_STORE and handles used after the transaction as errors', async () => {
        const db = dbOf(store);
        await assert.rejects(db.all('SELECT * FROM no_such_table'), { code: 'ERR_STORE' });
        let leaked: { run(sql: string): Promise<unknown> } | undefined;
        await db.tx(async (t) => {
          leaked = t;
        });
        await assert.rejects(leaked!.run('SELECT 1'), { code: 'ERR_STORE' });
      });

      it('a rolled-back transaction does not take other callers\u2019 writes with it', async () => {
        const db = dbOf(store);
        const inTx = `${run}-iso-tx`;
        const outside = `${run}-iso-out`;
        const other = `${run}-iso-other`;
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        const failing = db.tx(async (t) => {
          await t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [inTx, '{}', 1, 1]);
          entered();
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('rollback me');
        });
        await inside;
        const plain = store.apps.put(appRecord(outside, 1));
        const otherTx = db.tx((t) => t.run('INSERT INTO apps (name, stack, version, deployed_at) VALUES (?, ?, ?, ?)', [other, '{}', 1, 1]));
        await assert.rejects(failing, /rollback me/);
        await plain;
        await otherTx;
        assert.equal(await store.apps.get(inTx), null);
        assert.notEqual(await store.apps.get(outside), null);
        assert.notEqual(await db.get('SELECT name FROM apps WHERE name = ?', [other]), undefined);
      });

      it('insertRows writes many rows in order, with an ON CONFLICT suffix', async () => {
        const db = dbOf(store);
        const rows = Array.from({ length: 250 }, (_, i) => [`${run}-ir-${String(i).padStart(3, '0')}`, '{}', i, i]);
        assert.equal(await db.insertRows('apps', ['name', 'stack', 'version', 'deployed_at'], rows), 250);
        assert.equal(await db.insertRows('apps', ['name', 'stack', 'version', 'deployed_at'], rows.slice(0, 10), 'ON CONFLICT (name) DO NOTHING'), 0);
        const got = await db.all<{ version: number }>('SELECT version FROM apps WHERE name LIKE ? ORDER BY version', [`${run}-ir-%`]);
        assert.deepEqual(got.map((r) => r.version), rows.map((r) => r[2]));
        const count = await db.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM apps WHERE name LIKE ?', [`${run}-ir-%`]);
        assert.equal(count?.n, 250, 'COUNT(*) comes back as a number');
      });
    });

    queueConformance(name, () => store, open, run, opts.url);

    documentsConformance(() => store, open, run);

    objectsConformance(() => store, run);

    describe('lifecycle', () => {
      it('migrations are idempotent: reopening applies nothing twice', async () => {
        const again = await open();
        try {
          const db = dbOf(again);
          const rows = await db.all<{ module: string; version: number }>('SELECT module, version FROM nimbus_migrations WHERE module = ? ORDER BY version', ['core']);
          assert.deepEqual(rows, [
            { module: 'core', version: 1 },
            { module: 'core', version: 2 },
          ]);
        } finally {
          await again.close();
        }
      });

      it('other modules add migrations that run once, in version order', async () => {
        const mod = `m${run}`;
        const table = `${mod}_items`;
        const migrations: Migration[] = [
          { module: mod, version: 2, name: 'add note', sqlite: `ALTER TABLE ${table} ADD COLUMN note TEXT`, postgres: `ALTER TABLE ${table} ADD COLUMN note TEXT` },
          { module: mod, version: 1, name: 'items', sqlite: `CREATE TABLE ${table} (id TEXT PRIMARY KEY)`, postgres: `CREATE TABLE ${table} (id TEXT PRIMARY KEY)` },
        ];
        const sql = store as SqlStore;
        assert.deepEqual(await sql.migrate(migrations), [`${mod}@1`, `${mod}@2`]);
        assert.deepEqual(await sql.migrate(migrations), []);
        await sql.db.run(`INSERT INTO ${table} (id, note) VALUES (?, ?)`, ['k', 'v']);
        assert.deepEqual(await sql.db.all(`SELECT id, note FROM ${table}`), [{ id: 'k', note: 'v' }]);

        const broken: Migration[] = [
          { module: `${mod}x`, version: 1, name: 'ok', sqlite: `CREATE TABLE ${table}x (id TEXT)`, postgres: `CREATE TABLE ${table}x (id TEXT)` },
          { module: `${mod}x`, version: 2, name: 'bad', sqlite: 'CREATE TABLE (', postgres: 'CREATE TABLE (' },
        ];
        await assert.rejects(sql.migrate(broken), (e: Error & { code?: string }) => e.code === 'ERR_STORE' && e.message.includes(`${mod}x@2`));
        // All or nothing: the good step before the bad one was rolled back too.
        await assert.rejects(sql.db.all(`SELECT * FROM ${table}x`), { code: 'ERR_STORE' });
      });

      it('data persists after close and reopen', async () => {
        const first = await open();
        const app = appRecord(`${run}-persist`, 3);
        await first.apps.put(app);
        await first.logs.appendMany([logRecord(`${run}-persist`, 'kept')]);
        await first.close();
        await assert.rejects(first.apps.get(app.name), { code: 'ERR_STORE' });
        const second = await open();
        try {
          assert.deepEqual(await second.apps.get(app.name), app);
          assert.deepEqual((await second.logs.query({ functionName: `${run}-persist` })).map((r) => r.message), ['kept']);
        } finally {
          await second.close();
        }
      });

      it('reports kind and a location', () => {
        assert.equal(store.kind, name);
        assert.ok(store.location.length > 0);
      });
    });
  });
}

/**
 * The work queue (store.queue). Times are synthetic (T and up) wherever a test
 * depends on them, passed as availableAt and `now`, so nothing here sleeps.
 */
function queueConformance(name: string, getStore: () => Store, open: () => Promise<Store>, run: string, url: string | undefined): void {
  describe('queue', () => {
    const T = 1_000_000;
    const qn = (s: string): string => `${run}-q-${s}`;
    const wq = (): WorkQueue => getStore().queue;

    it('enqueue, claim, complete: a round trip', async () => {
      const q = qn('rt');
      const before = Date.now();
      const item = await wq().enqueue(q, 'hello \u{1F44B} "quoted"');
      assert.equal(item.queue, q);
      assert.equal(item.payload, 'hello \u{1F44B} "quoted"');
      assert.equal(item.attempts, 0);
      assert.equal(item.leaseOwner, null);
      assert.equal(item.leaseUntil, null);
      assert.ok(item.id.length > 0);
      assert.ok(item.enqueuedAt >= before && item.enqueuedAt <= Date.now());
      assert.equal(item.availableAt, item.enqueuedAt, 'available at once by default');
      assert.deepEqual(await wq().get(item.id), item);
      assert.deepEqual(await wq().count(q), { ready: 1, leased: 0, delayed: 0 });

      const claimed = await wq().claim(q, 'w1', { max: 10, leaseMs: 30_000 });
      assert.equal(claimed.length, 1);
      const c = claimed[0];
      assert.deepEqual({ ...c, availableAt: 0, leaseUntil: 0 }, { ...item, attempts: 1, leaseOwner: 'w1', availableAt: 0, leaseUntil: 0 });
      assert.ok((c.leaseUntil ?? 0) >= before + 30_000);
      assert.equal(c.availableAt, c.leaseUntil, 'a leased item is next available when its lease ends');
      assert.deepEqual(await wq().get(item.id), c);
      assert.deepEqual(await wq().count(q), { ready: 0, leased: 1, delayed: 0 });
      assert.deepEqual(await wq().claim(q, 'w2', { max: 10, leaseMs: 30_000 }), []);

      assert.equal(await wq().complete(item.id, 'w1'), true);
      assert.equal(await wq().complete(item.id, 'w1'), false);
      assert.equal(await wq().get(item.id), null);
      assert.deepEqual(await wq().count(q), { ready: 0, leased: 0, delayed: 0 });
      assert.equal(await wq().nextAvailableAt(q), null);
    });

    it('claims skip leased and delayed items; count tells ready, leased and delayed apart', async () => {
      const q = qn('skip');
      const a = await wq().enqueue(q, 'a', { availableAt: T });
      const b = await wq().enqueue(q, 'b', { availableAt: T + 1 });
      await wq().enqueue(q, 'later', { availableAt: T + 60_000 });
      const first = await wq().claim(q, 'w1', { max: 1, leaseMs: 10_000, now: T + 10 });
      assert.deepEqual(first.map((i) => i.id), [a.id]);
      assert.deepEqual(await wq().count(q, { now: T + 10 }), { ready: 1, leased: 1, delayed: 1 });
      const second = await wq().claim(q, 'w2', { max: 10, leaseMs: 10_000, now: T + 10 });
      assert.deepEqual(second.map((i) => i.id), [b.id]);
      assert.deepEqual(await wq().claim(q, 'w3', { max: 10, leaseMs: 10_000, now: T + 10 }), []);
      assert.deepEqual(await wq().count(q, { now: T + 10 }), { ready: 0, leased: 2, delayed: 1 });
      // Both leases end at T + 10 010 (a before b: same time, enqueue order), the delayed item is due at T + 60 000.
      const all = await wq().claim(q, 'w3', { max: 10, leaseMs: 10_000, now: T + 60_000 });
      assert.deepEqual(all.map((i) => [i.payload, i.attempts]), [['a', 2], ['b', 2], ['later', 1]]);
      assert.deepEqual(await wq().completeMany(all.map((i) => i.id), 'w3'), [true, true, true]);
    });

    it('an expired lease makes the item claimable again with attempts + 1, and the old holder has lost it', async () => {
      const q = qn('expiry');
      const dst = qn('expiry-dst');
      const item = await wq().enqueue(q, 'x', { availableAt: T });
      const [first] = await wq().claim(q, 'w1', { max: 1, leaseMs: 1000, now: T });
      assert.equal(first.attempts, 1);
      assert.equal(first.leaseUntil, T + 1000);
      assert.deepEqual(await wq().claim(q, 'w2', { max: 1, leaseMs: 1000, now: T + 999 }), [], 'not before the lease ends');

      const [second] = await wq().claim(q, 'w2', { max: 1, leaseMs: 1000, now: T + 1000 });
      assert.deepEqual(second, { ...first, attempts: 2, leaseOwner: 'w2', leaseUntil: T + 2000, availableAt: T + 2000 });
      // The first holder comes back (a crashed or stalled worker): every lease operation fails, changing nothing.
      assert.equal(await wq().complete(item.id, 'w1'), false);
      assert.deepEqual(await wq().completeMany([item.id], 'w1'), [false]);
      assert.equal(await wq().release(item.id, 'w1', { availableAt: T, payload: 'stale' }), false);
      assert.equal(await wq().extend(item.id, 'w1', 60_000), false);
      assert.equal(await wq().completeAndEnqueue(item.id, 'w1', [{ queue: dst, payload: 'stale' }]), false);
      assert.deepEqual(await wq().get(item.id), second);
      assert.deepEqual(await wq().count(dst), { ready: 0, leased: 0, delayed: 0 }, 'a lost completeAndEnqueue enqueues nothing');

      // An expired lease nobody took yet still belongs to its holder.
      assert.equal(await wq().extend(item.id, 'w2', 1000, { now: T + 5000 }), true);
      assert.deepEqual(await wq().claim(q, 'w3', { max: 1, leaseMs: 1000, now: T + 5999 }), []);
      assert.equal(await wq().complete(item.id, 'w2'), true);
      assert.equal(await wq().get(item.id), null);
    });

    it('extend moves the lease expiry from now', async () => {
      const q = qn('extend');
      const item = await wq().enqueue(q, 'x', { availableAt: T });
      await wq().claim(q, 'w1', { max: 1, leaseMs: 1000, now: T });
      assert.equal(await wq().extend(item.id, 'w1', 5000, { now: T + 900 }), true);
      assert.equal((await wq().get(item.id))?.leaseUntil, T + 5900);
      assert.deepEqual(await wq().claim(q, 'w2', { max: 1, leaseMs: 1000, now: T + 1000 }), []);
      assert.equal(await wq().nextAvailableAt(q), T + 5900);
      const [again] = await wq().claim(q, 'w2', { max: 1, leaseMs: 1000, now: T + 5900 });
      assert.equal(again.attempts, 2);
      assert.equal(await wq().extend('no-such-item', 'w2', 1000), false);
      await wq().purge(q);
    });

    it('release makes an item claimable again from a new time, keeping attempts and optionally rewriting the payload', async () => {
      const q = qn('release');
      const item = await wq().enqueue(q, 'v1', { availableAt: T });
      await wq().claim(q, 'w1', { max: 1, leaseMs: 60_000, now: T });
      assert.equal(await wq().release(item.id, 'w1', { availableAt: T + 5000 }), true);
      assert.deepEqual(await wq().get(item.id), { ...item, attempts: 1, availableAt: T + 5000 });
      assert.deepEqual(await wq().count(q, { now: T + 1 }), { ready: 0, leased: 0, delayed: 1 });
      assert.equal(await wq().release(item.id, 'w1', { availableAt: T }), false, 'released already: no lease left');
      assert.deepEqual(await wq().claim(q, 'w1', { max: 1, leaseMs: 60_000, now: T + 4999 }), []);

      const [again] = await wq().claim(q, 'w2', { max: 1, leaseMs: 60_000, now: T + 5000 });
      assert.deepEqual([again.payload, again.attempts], ['v1', 2]);
      assert.equal(await wq().release(item.id, 'w2', { availableAt: T, payload: 'v2 \u00e9' }), true);
      const [third] = await wq().claim(q, 'w3', { max: 1, leaseMs: 60_000, now: T + 1 });
      assert.deepEqual([third.payload, third.attempts], ['v2 \u00e9', 3]);
      assert.equal(await wq().complete(item.id, 'w3'), true);
    });

    it('enqueue with an id is idempotent while the item exists', async () => {
      const q = qn('idem');
      const id = `${run}-idem`;
      const first = await wq().enqueue(q, 'first', { id, availableAt: T });
      assert.equal(first.id, id);
      assert.deepEqual(await wq().enqueue(q, 'second', { id, availableAt: T + 5 }), first);

      const batch = await wq().enqueueMany([
        { queue: q, payload: 'again', id },
        { queue: q, payload: 'new', id: `${id}-b` },
        { queue: q, payload: 'duplicate within the batch', id: `${id}-b` },
      ]);
      assert.deepEqual(batch[0], first);
      assert.equal(batch[1].payload, 'new');
      assert.deepEqual(batch[2], batch[1]);
      assert.equal((await wq().count(q)).ready, 2);

      // Racing enqueues of one id make one item.
      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => wq().enqueue(q, `race ${i}`, { id: `${id}-race` })));
      assert.equal(new Set(racing.map((r) => JSON.stringify(r))).size, 1);
      assert.equal((await wq().count(q)).ready, 3);

      // Once completed, the id can be used again.
      const claimed = await wq().claim(q, 'w', { max: 10, leaseMs: 60_000 });
      assert.equal(claimed.length, 3);
      assert.deepEqual(await wq().completeMany(claimed.map((i) => i.id), 'w'), [true, true, true]);
      const reborn = await wq().enqueue(q, 'third', { id });
      assert.deepEqual([reborn.payload, reborn.attempts], ['third', 0]);
      assert.equal(await wq().purge(q), 1);
    });

    it('claims oldest availableAt first, then in enqueue order, at most max at a time', async () => {
      const q = qn('order');
      const times = [30, 10, 20, 10, 40, 0, 20];
      await wq().enqueueMany(times.map((t, i) => ({ queue: q, payload: `p${i}`, availableAt: T + t })));
      await wq().enqueue(q, 'p7', { availableAt: T + 10 });
      await wq().enqueue(q, 'p8', { availableAt: T + 1_000_000 });
      assert.deepEqual(await wq().claim(q, 'w', { max: 0, leaseMs: 60_000, now: T + 100 }), []);
      const batches: string[][] = [];
      for (;;) {
        const got = await wq().claim(q, 'w', { max: 3, leaseMs: 60_000, now: T + 100 });
        if (got.length === 0) break;
        batches.push(got.map((i) => i.payload));
      }
      assert.deepEqual(batches, [
        ['p5', 'p1', 'p3'],
        ['p7', 'p2', 'p6'],
        ['p0', 'p4'],
      ]);
      assert.equal(await wq().purge(q), 9, 'purge removes leased and delayed items too');

      const many = qn('max');
      await wq().enqueueMany(Array.from({ length: 25 }, (_, i) => ({ queue: many, payload: String(i), availableAt: T })));
      const sizes: number[] = [];
      for (let n = -1; n !== 0; ) {
        n = (await wq().claim(many, 'w', { max: 10, leaseMs: 60_000, now: T })).length;
        sizes.push(n);
      }
      assert.deepEqual(sizes, [10, 10, 5, 0]);
      assert.equal(await wq().purge(many), 25);
    });

    it('completeAndEnqueue moves an item atomically: never in both queues, never in neither', async () => {
      const src = qn('move-src');
      const dst = qn('move-dst');
      const item = await wq().enqueue(src, 'work', { availableAt: T });
      await wq().claim(src, 'w', { max: 1, leaseMs: 60_000, now: T });

      // A destination write that fails rolls the completion back with it.
      await withUniquePayloads(getStore(), `${run}_move_uniq`, dst, async () => {
        await assert.rejects(
          wq().completeAndEnqueue(item.id, 'w', [
            { queue: dst, payload: 'same' },
            { queue: dst, payload: 'same' },
          ]),
          { code: 'ERR_STORE' },
        );
      });
      assert.equal((await wq().get(item.id))?.leaseOwner, 'w', 'still there, still leased');
      assert.equal(await wq().nextAvailableAt(dst), null, 'and nothing arrived');

      const moved = `${run}-moved`;
      assert.equal(await wq().completeAndEnqueue(item.id, 'w', [{ queue: dst, payload: 'result', id: moved, availableAt: T + 1 }]), true);
      assert.equal(await wq().get(item.id), null);
      const arrived = await wq().get(moved);
      assert.deepEqual(arrived && [arrived.queue, arrived.payload, arrived.attempts, arrived.availableAt], [dst, 'result', 0, T + 1]);

      // Racing moves of one item: exactly one wins and only its item arrives.
      const item2 = await wq().enqueue(src, 'work 2', { availableAt: T });
      await wq().claim(src, 'w', { max: 1, leaseMs: 60_000, now: T });
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => wq().completeAndEnqueue(item2.id, 'w', [{ queue: dst, payload: `copy ${i}` }])));
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await wq().count(dst)).ready, 2);
      assert.equal(await wq().completeAndEnqueue(`${run}-never`, 'w', []), false);
      await wq().purge(dst);
    });

    it('a write that fails changes nothing and does not take concurrent writes with it', async () => {
      const q = qn('fail');
      await withUniquePayloads(getStore(), `${run}_fail_uniq`, q, async () => {
        const results = await Promise.allSettled([
          wq().enqueue(q, 'solo 1'),
          wq().enqueueMany([
            { queue: q, payload: 'fine' },
            { queue: q, payload: 'same' },
            { queue: q, payload: 'same' },
          ]),
          wq().enqueue(q, 'solo 2'),
        ]);
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.equal((results[1] as PromiseRejectedResult).reason.code, 'ERR_STORE');
      });
      const left = await wq().claim(q, 'w', { max: 10, leaseMs: 60_000 });
      assert.deepEqual(left.map((i) => i.payload).sort(), ['solo 1', 'solo 2'], 'the failed batch left nothing behind');
      await wq().purge(q);
    });

    it('completeMany completes exactly the items the owner holds', async () => {
      const q = qn('many');
      const items = await wq().enqueueMany(['a', 'b', 'c', 'd'].map((p) => ({ queue: q, payload: p, availableAt: T })));
      await wq().claim(q, 'w1', { max: 3, leaseMs: 60_000, now: T });
      await wq().claim(q, 'w2', { max: 3, leaseMs: 60_000, now: T });
      const ids = items.map((i) => i.id);
      assert.deepEqual(await wq().completeMany([ids[0], ids[3], 'missing', ids[2], ids[1]], 'w1'), [true, false, false, true, true]);
      assert.deepEqual(await wq().completeMany([], 'w1'), []);
      assert.equal((await wq().get(ids[3]))?.leaseOwner, 'w2');
      assert.deepEqual(await wq().completeMany([ids[3]], 'w2'), [true]);
    });

    it('nextAvailableAt is the earliest time an item becomes claimable, lease expiries included', async () => {
      const q = qn('next');
      assert.equal(await wq().nextAvailableAt(q), null);
      await wq().enqueue(q, 'b', { availableAt: T + 500 });
      await wq().enqueue(q, 'a', { availableAt: T + 200 });
      assert.equal(await wq().nextAvailableAt(q), T + 200);
      await wq().claim(q, 'w', { max: 1, leaseMs: 1000, now: T + 300 });
      assert.equal(await wq().nextAvailableAt(q), T + 500);
      await wq().claim(q, 'w', { max: 1, leaseMs: 100, now: T + 600 });
      assert.equal(await wq().nextAvailableAt(q), T + 700);
      assert.equal(await wq().purge(q), 2);
      assert.equal(await wq().nextAvailableAt(q), null);
    });

    it('concurrent claimers on separate connections claim every item exactly once', async () => {
      const q = qn('concurrent');
      const total = 200;
      await wq().enqueueMany(Array.from({ length: total }, (_, i) => ({ queue: q, payload: String(i), availableAt: T })));
      const stores = await Promise.all(Array.from({ length: 4 }, () => open()));
      try {
        const seen = new Map<string, number>();
        let claimed = 0;
        const claimers = stores.flatMap((s, si) =>
          [0, 1].map(async (k) => {
            const owner = `w${si}.${k}`;
            // now = T throughout: no lease ever expires, so a second claim of an item would be a bug.
            for (let idle = 0; claimed < total && idle < 500; ) {
              const items = await s.queue.claim(q, owner, { max: 7, leaseMs: 60_000, now: T });
              if (items.length === 0) {
                idle++;
                await new Promise((r) => setTimeout(r, 1));
                continue;
              }
              claimed += items.length;
              for (const it of items) {
                seen.set(it.id, (seen.get(it.id) ?? 0) + 1);
                assert.deepEqual([it.attempts, it.leaseOwner], [1, owner]);
              }
              assert.ok((await s.queue.completeMany(items.map((i) => i.id), owner)).every(Boolean));
            }
          }),
        );
        await Promise.all(claimers);
        assert.equal(seen.size, total);
        assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], 'no item claimed twice');
        assert.equal(claimed, total);
        assert.deepEqual(await wq().count(q), { ready: 0, leased: 0, delayed: 0 });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('onEnqueued wakes listeners after the commit, per queue or for every queue, until unsubscribed', async () => {
      const q = qn('wake');
      const other = qn('wake-other');
      const seen: string[] = [];
      const any: string[] = [];
      let inListener: Promise<QueueItem[]> | undefined;
      const off = wq().onEnqueued(q, (name) => {
        seen.push(name);
        // The item is committed by the time anyone is woken: claiming here finds it.
        inListener ??= wq().claim(q, 'l', { max: 10, leaseMs: 60_000 });
      });
      const offAny = wq().onEnqueued(null, (name) => {
        if (name === q || name === other) any.push(name);
      });
      const item = await wq().enqueue(q, 'x');
      assert.ok(seen.includes(q));
      assert.deepEqual((await inListener)?.map((i) => i.id), [item.id]);

      await wq().enqueue(other, 'y');
      assert.ok(!seen.includes(other));
      assert.ok(any.includes(q) && any.includes(other));

      // Release makes an item available again: that wakes pollers too.
      const before = seen.length;
      assert.equal(await wq().release(item.id, 'l', { availableAt: T }), true);
      assert.ok(seen.length > before);

      off();
      offAny();
      const frozen = [seen.length, any.length];
      await wq().enqueue(q, 'z');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([seen.length, any.length], frozen);
      await wq().purge(q);
      await wq().purge(other);
    });

    it('get, purge, and argument checks', async () => {
      const q = qn('misc');
      assert.equal(await wq().get(`${run}-nothing`), null);
      assert.equal(await wq().purge(q), 0);
      await wq().enqueueMany([
        { queue: q, payload: '', availableAt: T },
        { queue: q, payload: 'x'.repeat(300_000), availableAt: T + 10 ** 12 },
      ]);
      const [empty] = await wq().claim(q, 'w', { max: 5, leaseMs: 1, now: T });
      assert.equal(empty.payload, '');
      assert.deepEqual(await wq().count(q, { now: T }), { ready: 0, leased: 1, delayed: 1 });
      assert.equal(await wq().purge(q), 2);

      const bad = { code: 'ERR_INTERNAL' };
      await assert.rejects(wq().enqueue('', 'x'), bad);
      await assert.rejects(wq().enqueue(q, 'x', { availableAt: Number.NaN }), bad);
      await assert.rejects(wq().enqueue(q, 'x', { id: '' }), bad);
      await assert.rejects(wq().claim(q, '', { max: 1, leaseMs: 1 }), bad);
      await assert.rejects(wq().claim(q, 'w', { max: -1, leaseMs: 1 }), bad);
      await assert.rejects(wq().claim(q, 'w', { max: 1.5, leaseMs: 1 }), bad);
      await assert.rejects(wq().claim(q, 'w', { max: 1, leaseMs: Number.POSITIVE_INFINITY }), bad);
      await assert.rejects(wq().release('id', 'w', { availableAt: Number.NaN }), bad);
      assert.equal(await wq().nextAvailableAt(q), null, 'nothing was written by the rejected calls');
    });

    it('close lets writes already issued commit first', async () => {
      const q = qn('close');
      const s1 = await open();
      const pending = [s1.queue.enqueue(q, 'a', { id: `${run}-close-a` }), s1.queue.enqueueMany([{ queue: q, payload: 'b', id: `${run}-close-b` }])];
      await s1.close();
      await Promise.all(pending);
      assert.deepEqual((await wq().claim(q, 'w', { max: 10, leaseMs: 60_000 })).map((i) => i.payload).sort(), ['a', 'b']);
      assert.equal(await wq().purge(q), 2);
    });

    it('an acknowledged enqueue survives kill -9 of the process that made it', { skip: url === undefined ? 'no store URL given' : false }, async () => {
      const q = qn('crash');
      const child = spawn(process.execPath, [path.join(__dirname, 'queue-crash-child.js'), url as string, q, `${run}-crash`], {
        env: { ...process.env, NIMBUS_QUEUE_CRASH_CHILD: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked: string[] = [];
      let stderr = '';
      let buf = '';
      let killing = false;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the child acknowledged only ${acked.length} items in time; stderr: ${stderr}`));
        }, 10_000);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.startsWith('acked ')) acked.push(line.slice('acked '.length));
          }
          // Killed while its four loops are mid-enqueue, at a random moment (maybe mid-commit).
          if (acked.length >= 300 && !killing) {
            killing = true;
            clearTimeout(timer);
            setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, Math.random() * 4);
          }
        });
        child.on('exit', () => {
          clearTimeout(timer);
          if (!killing) reject(new Error(`the child exited early; stderr: ${stderr}`));
        });
      });
      // Lines still in the pipe when the kill landed count too: those enqueues resolved.
      assert.equal(await closed, 'SIGKILL');
      const reopened = await open();
      try {
        const rows = await dbOf(reopened).all<{ id: string }>('SELECT id FROM queue_items WHERE queue = ?', [q]);
        const stored = new Set(rows.map((r) => r.id));
        assert.deepEqual(acked.filter((id) => !stored.has(id)), [], `${name}: acknowledged items lost`);
        assert.ok(acked.length >= 300);
        await reopened.queue.purge(q);
      } finally {
        await reopened.close();
      }
    });
  });
}

/** A unique index on payload for one queue: lets a test make a write fail inside the store on either backend. */
async function withUniquePayloads(store: Store, index: string, queue: string, fn: () => Promise<void>): Promise<void> {
  const db = dbOf(store);
  await db.exec(`CREATE UNIQUE INDEX ${index} ON queue_items (payload) WHERE queue = '${queue.replace(/'/g, "''")}'`);
  try {
    await fn();
  } finally {
    await db.exec(`DROP INDEX ${index}`);
  }
}

/** Store-level tests of transactions need the Db under the SQL store. */
export function dbOf(store: Store): Db {
  assert.ok('db' in store, 'the store exposes its Db');
  return (store as SqlStore).db;
}

function num(id: number | undefined): number {
  assert.equal(typeof id, 'number');
  return id as number;
}

function assertIncreasing(ids: (number | undefined)[]): void {
  for (let i = 1; i < ids.length; i++) assert.ok(num(ids[i]) > num(ids[i - 1]), `id ${ids[i]} after ${ids[i - 1]}`);
}

function stripId(r: LogRecord): LogRecord {
  const { id: _id, ...rest } = r;
  return rest;
}

export function stack(service: string): Stack {
  return {
    service,
    stage: 'dev',
    region: 'eu-west-1',
    appDir: `/apps/${service}`,
    definitionFile: 'serverless.yml',
    functions: [fnSpec(`${service}-dev-hello`), { ...fnSpec(`${service}-dev-bye`), description: 'says bye \u{1F44B} "quoted"' }],
    routes: [
      { kind: 'httpApi', method: 'GET', path: '/hello/{id}', functionName: `${service}-dev-hello`, cors: null },
      {
        kind: 'http',
        method: 'ANY',
        path: '/{proxy+}',
        functionName: `${service}-dev-bye`,
        cors: { allowOrigins: ['*'], allowHeaders: ['Content-Type'], allowMethods: ['GET', 'POST'], exposeHeaders: [], allowCredentials: false, maxAge: null },
      },
    ],
    httpApi: { cors: { allowOrigins: ['https://a.example'], allowHeaders: [], allowMethods: ['*'], exposeHeaders: ['x-id'], allowCredentials: true, maxAge: 600 } },
    warnings: ["functions.bye.layers is not supported yet"],
  };
}

function fnSpec(name: string): Stack['functions'][number] {
  return {
    key: name.split('-').pop() ?? name,
    name,
    handler: 'src/handler.main',
    runtime: 'nodejs20.x',
    memorySize: 1024,
    timeout: 6,
    environment: { TABLE: 'users', EMPTY: '', UNICODE: 'caf\u00e9' },
    reservedConcurrency: null,
    provisionedConcurrency: 2,
    codeDir: '/apps/code',
  };
}

export function appRecord(name: string, version: number): AppRecord {
  return { name, stack: stack(name), version, deployedAt: 1_700_000_000_000 + version };
}

function fnRecord(name: string, appName: string): FunctionRecord {
  return { name, appName, spec: fnSpec(name), version: 1, updatedAt: 1_700_000_000_123 };
}

function invocation(functionName: string, over: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    requestId: randomBytes(8).toString('hex'),
    functionName,
    startedAt: 1_700_000_000_000,
    durationMs: 12.5,
    billedDurationMs: 13,
    initDurationMs: null,
    memorySizeMb: 128,
    maxMemoryUsedMb: 64,
    cold: false,
    outcome: 'success',
    source: 'httpApi',
    traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793',
    ...over,
  };
}

export function logRecord(functionName: string, message: string, over: Partial<LogRecord> = {}): LogRecord {
  return { functionName, requestId: null, ts: 1_700_000_000_000, stream: 'stdout', message, ...over };
}
