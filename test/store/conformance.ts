/**
 * The one suite every store backend runs (DESIGN.md, style rule 4). `open` must
 * open the same backing store on every call (same file, same schema), so the
 * suite can check reopening, migrations on restart and persistence. Tests share
 * that store, so each uses its own names (prefixed with a per-run id).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Stack } from '../../src/app/stack';
import type { Db, Migration } from '../../src/store/db';
import type { SqlStore } from '../../src/store/open';
import type { AppRecord, FunctionRecord, InvocationRecord, LogRecord, Store } from '../../src/store/types';

export function storeConformance(name: string, open: () => Promise<Store>): void {
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

    describe('lifecycle', () => {
      it('migrations are idempotent: reopening applies nothing twice', async () => {
        const again = await open();
        try {
          const db = dbOf(again);
          const rows = await db.all<{ module: string; version: number }>('SELECT module, version FROM nimbus_migrations WHERE module = ?', ['core']);
          assert.deepEqual(rows, [{ module: 'core', version: 1 }]);
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
