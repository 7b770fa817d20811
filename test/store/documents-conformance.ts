/**
 * The document store (store.documents, DocumentStore in src/store/types.ts)
 * that services/dynamodb keeps its tables, items, index entries and streams in.
 * Part of the store conformance suite (conformance.ts): every backend must give
 * the same answers. Keys are opaque byte strings to the store, so the tests use
 * raw bytes chosen where engines are known to differ (bytes >= 0x80, 0x00,
 * prefixes, the empty key) and check the order against Buffer.compare (memcmp).
 *
 * Times are synthetic wherever the store takes them as arguments; stream times
 * below 1000 belong to the trimStreams test alone (trimming is store-wide).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DocIndexRow, DocRangeQuery, DocStreamRow, DocTableRow, DocumentStore, DocWriteTx, Store } from '../../src/store/types';

const EMPTY = Buffer.alloc(0);
const H_MAX = 2 ** 32 - 1;
/** A time for stream records and tokens, far from Date.now() and above the trim test's times. */
const T = 1_000_000;

function b(...bytes: number[]): Buffer {
  return Buffer.from(bytes);
}

function hex(k: Buffer): string {
  return k.length === 0 ? '<>' : k.toString('hex');
}

/** A row's identity as text, for readable deepEqual failures. */
function rowId(r: Pick<DocIndexRow, 'h' | 'pk' | 'sk' | 'bpk' | 'bsk'>): string {
  return `${r.h}/${hex(r.pk)}/${hex(r.sk)}/${hex(r.bpk)}/${hex(r.bsk)}`;
}

function baseRow(h: number, pk: Buffer, sk: Buffer, item = `{"k":"${hex(pk)}/${hex(sk)}"}`, size = 10): DocIndexRow {
  return { h, pk, sk, bpk: EMPTY, bsk: EMPTY, item, size };
}

function indexRow(h: number, pk: Buffer, sk: Buffer, bpk: Buffer, bsk: Buffer): DocIndexRow {
  return { h, pk, sk, bpk, bsk, item: `{"ix":"${hex(bpk)}/${hex(bsk)}"}`, size: 7 };
}

/** memcmp order of (sk, bpk, bsk): the order Query promises. */
function byRangeKey(x: DocIndexRow, y: DocIndexRow): number {
  return Buffer.compare(x.sk, y.sk) || Buffer.compare(x.bpk, y.bpk) || Buffer.compare(x.bsk, y.bsk);
}

/** (h, pk, sk, bpk, bsk) order: the order Scan promises. */
function byScanKey(x: DocIndexRow, y: DocIndexRow): number {
  return x.h - y.h || Buffer.compare(x.pk, y.pk) || byRangeKey(x, y);
}

/** A fixed permutation, so rows are never inserted in the order they are read back. */
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (i * 7919 + 13) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

type Bound = { key: Buffer; inclusive: boolean } | undefined;

function within(sk: Buffer, lower: Bound, upper: Bound): boolean {
  if (lower) {
    const c = Buffer.compare(sk, lower.key);
    if (c < 0 || (c === 0 && !lower.inclusive)) return false;
  }
  if (upper) {
    const c = Buffer.compare(sk, upper.key);
    if (c > 0 || (c === 0 && !upper.inclusive)) return false;
  }
  return true;
}

/** Follows `after` page by page until a short page, as Query's LastEvaluatedKey does. */
async function queryAll(docs: DocumentStore, q: Omit<DocRangeQuery, 'after'>): Promise<{ rows: DocIndexRow[]; pages: number }> {
  const rows: DocIndexRow[] = [];
  let after: DocRangeQuery['after'];
  for (let pages = 1; ; pages++) {
    assert.ok(pages < 1000, 'query pagination does not end');
    const page = await docs.query({ ...q, after });
    assert.ok(page.length <= q.limit);
    rows.push(...page);
    if (page.length < q.limit) return { rows, pages };
    const last = page[page.length - 1];
    after = { sk: last.sk, bpk: last.bpk, bsk: last.bsk };
  }
}

async function scanAll(docs: DocumentStore, tableId: number, index: string, hFrom: number, hTo: number, limit: number): Promise<DocIndexRow[]> {
  const rows: DocIndexRow[] = [];
  let after: DocIndexRow | undefined;
  for (let pages = 1; ; pages++) {
    assert.ok(pages < 1000, 'scan pagination does not end');
    const page = await docs.scan({ tableId, index, hFrom, hTo, after, limit });
    rows.push(...page);
    if (page.length < limit) return rows;
    after = page[page.length - 1];
  }
}

export function documentsConformance(getStore: () => Store, open: () => Promise<Store>, run: string): void {
  describe('documents', () => {
    const docs = (): DocumentStore => getStore().documents;
    const tn = (s: string): string => `${run}-d-${s}`;

    async function newTable(suffix: string): Promise<DocTableRow> {
      const t = await docs().createTable(tn(suffix), (id) => JSON.stringify({ id, name: tn(suffix) }));
      assert.ok(t, `table ${tn(suffix)} created`);
      return t;
    }

    async function putRows(tableId: number, index: string, rows: readonly DocIndexRow[], ttl: (r: DocIndexRow) => number | null = () => null): Promise<void> {
      await docs().write(async (w) => {
        for (const r of rows) await w.put(tableId, index, r, ttl(r));
      });
    }

    describe('tables', () => {
      it('createTable hands the new id to meta, returns the row, and returns null for an existing name', async () => {
        const name = tn('create');
        let seen: number | undefined;
        const t = await docs().createTable(name, (id) => {
          seen = id;
          return `{"id":${id},"v":"caf\u00e9 \u{1F44B}"}`;
        });
        assert.ok(t);
        assert.equal(typeof t.id, 'number');
        assert.equal(t.id, seen);
        assert.deepEqual(t, { name, id: t.id, meta: `{"id":${t.id},"v":"caf\u00e9 \u{1F44B}"}` });
        assert.deepEqual(await docs().getTable(name), t);
        assert.equal(await docs().getTable(tn('create-missing')), null);

        assert.equal(await docs().createTable(name, () => '{"other":true}'), null);
        assert.deepEqual(await docs().getTable(name), t, 'the existing table is left as it was');
      });

      it('concurrent creates: one winner per name, distinct ids across names', async () => {
        const same = await Promise.all(Array.from({ length: 8 }, (_, i) => docs().createTable(tn('race'), () => `{"n":${i}}`)));
        const winners = same.filter((t): t is DocTableRow => t !== null);
        assert.equal(winners.length, 1);
        assert.deepEqual(await docs().getTable(tn('race')), winners[0]);

        const many = await Promise.all(Array.from({ length: 8 }, (_, i) => docs().createTable(tn(`many-${i}`), (id) => String(id))));
        const ids = many.map((t) => t?.id);
        assert.equal(new Set(ids).size, 8);
        for (const t of many) assert.equal(t?.meta, String(t?.id));
      });

      it('ids are never reused, also after deleteTable and for the same name', async () => {
        const first = await newTable('reuse');
        await putRows(first.id, '', [baseRow(1, b(1), EMPTY)]);
        assert.deepEqual(await docs().deleteTable(first.name), first);
        const second = await newTable('reuse');
        assert.ok(second.id > first.id, `${second.id} > ${first.id}`);
        const other = await newTable('reuse-other');
        assert.ok(other.id > second.id);
        // A new table of the same name starts empty: nothing of the old one shows through.
        assert.equal(await docs().getItem(second.id, 1, b(1), EMPTY), null);
        assert.deepEqual(await docs().countItems(second.id, ''), { items: 0, bytes: 0 });
      });

      it('updateTable passes the current meta and id, stores what fn returns, and null leaves it', async () => {
        const t = await newTable('update');
        const calls: [string, number][] = [];
        const updated = await docs().updateTable(t.name, (meta, id) => {
          calls.push([meta, id]);
          return JSON.stringify({ ...(JSON.parse(meta) as object), status: 'UPDATING' });
        });
        assert.deepEqual(calls, [[t.meta, t.id]]);
        const meta2 = JSON.stringify({ ...(JSON.parse(t.meta) as object), status: 'UPDATING' });
        assert.deepEqual(updated, { name: t.name, id: t.id, meta: meta2 });
        assert.deepEqual(await docs().getTable(t.name), updated);

        const left = await docs().updateTable(t.name, (meta) => {
          calls.push([meta, -1]);
          return null;
        });
        assert.deepEqual(calls[1], [meta2, -1], 'the second call saw the first one\u2019s result');
        assert.deepEqual(left, updated);
        assert.deepEqual(await docs().getTable(t.name), updated);

        let called = false;
        assert.equal(
          await docs().updateTable(tn('update-missing'), () => {
            called = true;
            return 'x';
          }),
          null,
        );
        assert.equal(called, false);
      });

      it('concurrent updateTable calls each see the previous one\u2019s result (no lost update)', async () => {
        const t = await newTable('update-race');
        await Promise.all(
          Array.from({ length: 20 }, () =>
            docs().updateTable(t.name, (meta) => {
              const m = JSON.parse(meta) as { n?: number };
              return JSON.stringify({ ...m, n: (m.n ?? 0) + 1 });
            }),
          ),
        );
        assert.equal((JSON.parse((await docs().getTable(t.name))?.meta ?? '{}') as { n?: number }).n, 20);
      });

      it('listTables lists every table once, by name in code-unit order, and forgets deleted ones', async () => {
        // DynamoDB table names use [a-zA-Z0-9_.-]: punctuation sorts apart from letters only in code-unit order.
        const suffixes = ['b', 'B', 'a', '_x', 'a.1', 'A-2', 'a-1', '0', 'gone'];
        const shuffledNames = shuffled(suffixes).map((s) => `${run}-l-${s}`);
        for (const n of shuffledNames) assert.ok(await docs().createTable(n, () => '{}'));
        assert.ok(await docs().deleteTable(`${run}-l-gone`));
        const listed = (await docs().listTables()).map((t) => t.name).filter((n) => n.startsWith(`${run}-l-`));
        assert.deepEqual(
          listed,
          ['0', 'A-2', 'B', '_x', 'a', 'a-1', 'a.1', 'b'].map((s) => `${run}-l-${s}`),
        );
        const all = await docs().listTables();
        const mine = all.find((t) => t.name === `${run}-l-a`);
        assert.deepEqual(mine, await docs().getTable(`${run}-l-a`));
      });

      it('deleteTable removes the table, its items and index entries, and disables its streams', async () => {
        const t = await newTable('delete');
        const keep = await newTable('delete-keep');
        await putRows(t.id, '', [baseRow(5, b(1), b(2)), baseRow(H_MAX, b(0xff), EMPTY)]);
        await putRows(t.id, 'gsi', [indexRow(9, b(3), b(4), b(1), b(2))]);
        await putRows(keep.id, '', [baseRow(5, b(1), b(2))]);
        await docs().createStream(t.id, `${run}:stream:delete:old`, '{}', T);
        const live = await docs().createStream(t.id, `${run}:stream:delete`, '{}', T + 1);
        const kept = await docs().createStream(keep.id, `${run}:stream:delete-keep`, '{}', T);

        const before = Date.now();
        assert.deepEqual(await docs().deleteTable(t.name), t);
        const afterDelete = Date.now();
        assert.equal(await docs().getTable(t.name), null);
        assert.equal(await docs().deleteTable(t.name), null, 'deleting twice finds nothing');
        assert.ok(!(await docs().listTables()).some((x) => x.name === t.name));
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 0, bytes: 0 });
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 0, bytes: 0 });
        assert.equal(await docs().getItem(t.id, 5, b(1), b(2)), null);
        assert.deepEqual(await docs().scan({ tableId: t.id, index: 'gsi', hFrom: 0, hTo: H_MAX, limit: 10 }), []);

        const streams = await docs().listStreams(t.id);
        assert.deepEqual(streams.map((s) => s.arn), [`${run}:stream:delete:old`, live.arn], 'streams stay readable for their retention');
        assert.equal(streams[0].disabledAt, T + 1, 'an already disabled stream keeps its time');
        const disabledAt = streams[1].disabledAt ?? -1;
        assert.ok(disabledAt >= before && disabledAt <= afterDelete, `disabledAt ${disabledAt} is the deletion time`);

        assert.equal((await docs().getItem(keep.id, 5, b(1), b(2)))?.item, baseRow(5, b(1), b(2)).item, 'other tables keep their items');
        assert.deepEqual(await docs().getStream(kept.arn), kept);
      });
    });

    describe('items', () => {
      it('put and getItem round-trip a row exactly; put upserts; delete removes', async () => {
        const t = await newTable('rt');
        const item = JSON.stringify({ id: { S: 'caf\u00e9 \u{1F44B} "q" \\ \u0000' }, n: { N: '1' } });
        const r = baseRow(H_MAX, b(0x80, 0x00, 0xff), b(0x00), item, 123);
        await putRows(t.id, '', [r]);
        assert.deepEqual(await docs().getItem(t.id, H_MAX, b(0x80, 0x00, 0xff), b(0x00)), r);
        assert.ok(Buffer.isBuffer((await docs().getItem(t.id, H_MAX, r.pk, r.sk))?.pk), 'keys come back as Buffers');

        // Every key part is part of the identity.
        assert.equal(await docs().getItem(t.id, H_MAX - 1, r.pk, r.sk), null, 'h');
        assert.equal(await docs().getItem(t.id, H_MAX, b(0x80, 0x00), r.sk), null, 'pk prefix');
        assert.equal(await docs().getItem(t.id, H_MAX, b(0x80, 0x00, 0xff, 0x00), r.sk), null, 'pk extended by 0x00');
        assert.equal(await docs().getItem(t.id, H_MAX, r.pk, EMPTY), null, 'empty sk is not 0x00');
        assert.equal(await docs().getItem(t.id, H_MAX, r.pk, b(0x00, 0x00)), null, 'sk extended by 0x00');

        // An empty sort key (hash-only table) is a key of its own.
        const hashOnly = baseRow(7, b(0x61), EMPTY, '{"hash":"only"}', 5);
        await putRows(t.id, '', [hashOnly]);
        assert.deepEqual(await docs().getItem(t.id, 7, b(0x61), EMPTY), hashOnly);
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 2, bytes: 128 });

        const replaced = { ...r, item: '{"replaced":true}', size: 17 };
        await putRows(t.id, '', [replaced]);
        assert.deepEqual(await docs().getItem(t.id, H_MAX, r.pk, r.sk), replaced);
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 2, bytes: 22 }, 'upsert replaced the row and its size');

        // Inside a write: reads see the transaction's own writes.
        const seen = await docs().write(async (w) => {
          await w.delete(t.id, '', r);
          const gone = await w.getItem(t.id, H_MAX, r.pk, r.sk);
          await w.put(t.id, '', { ...hashOnly, item: '{"v":2}' }, null);
          const now = await w.getItem(t.id, 7, b(0x61), EMPTY);
          return [gone, now?.item];
        });
        assert.deepEqual(seen, [null, '{"v":2}']);
        assert.equal(await docs().getItem(t.id, H_MAX, r.pk, r.sk), null);
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 1, bytes: 5 });

        // Deleting what is not there is a no-op.
        await docs().write((w) => w.delete(t.id, '', r));
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 1, bytes: 5 });
        assert.deepEqual(await docs().countItems(t.id, 'nope'), { items: 0, bytes: 0 });
      });

      it('getItem sees base rows only, and index entries are keyed by (pk, sk, bpk, bsk)', async () => {
        const t = await newTable('ix-identity');
        const pk = b(0x10);
        const sk = b(0x20);
        await putRows(t.id, 'gsi', [indexRow(3, pk, sk, b(1), b(1)), indexRow(3, pk, sk, b(1), b(2))]);
        assert.equal(await docs().getItem(t.id, 3, pk, sk), null, 'index entries are not items');
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 2, bytes: 14 });
        // Upsert of one entry leaves its sibling with the same (pk, sk).
        await putRows(t.id, 'gsi', [{ ...indexRow(3, pk, sk, b(1), b(2)), item: '{"new":1}', size: 9 }]);
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 2, bytes: 16 });
        await docs().write((w) => w.delete(t.id, 'gsi', indexRow(3, pk, sk, b(1), b(1))));
        const left = await docs().query({ tableId: t.id, index: 'gsi', h: 3, pk, reverse: false, limit: 10 });
        assert.deepEqual(left.map((r) => [rowId(r), r.item]), [[rowId(indexRow(3, pk, sk, b(1), b(2))), '{"new":1}']]);

        // dropIndex removes that index's entries only.
        await putRows(t.id, '', [baseRow(3, pk, sk)]);
        await putRows(t.id, 'other', [indexRow(4, pk, sk, b(9), b(9))]);
        await docs().dropIndex(t.id, 'gsi');
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 0, bytes: 0 });
        assert.equal((await docs().countItems(t.id, 'other')).items, 1);
        assert.equal((await docs().countItems(t.id, '')).items, 1);
      });

      // Keys are byte strings compared with memcmp: a shorter key sorts before
      // its extensions, 0x00 is an ordinary byte, bytes >= 0x80 are above 0x7f.
      const SKS = [
        [],
        [0x00],
        [0x00, 0x00],
        [0x01],
        [0x01, 0x00],
        [0x01, 0x7f],
        [0x01, 0x80],
        [0x01, 0xff],
        [0x02],
        [0x7f],
        [0x7f, 0xff],
        [0x80],
        [0x80, 0x00],
        [0xc3, 0xa9],
        [0xfe, 0xff],
        [0xff],
        [0xff, 0x00],
        [0xff, 0xff],
      ].map((k) => Buffer.from(k));

      it('query returns a partition in memcmp order of sk, forward and reverse, with limit', async () => {
        const t = await newTable('order');
        const h = 0x80000000;
        const pk = b(0x80, 0x01);
        const rows = SKS.map((sk) => baseRow(h, pk, sk));
        await putRows(t.id, '', shuffled(rows));
        // Neighbours: same h with a pk that is a prefix, an extension, or differs in a high byte.
        await putRows(t.id, '', [baseRow(h, b(0x80), b(0x01)), baseRow(h, b(0x80, 0x01, 0x00), b(0x01)), baseRow(h, b(0x81, 0x01), b(0x01)), baseRow(h + 1, pk, b(0x01))]);
        await putRows(t.id, 'gsi', [indexRow(h, pk, b(0x01), b(1), b(1))]);

        const asc = [...rows].sort(byRangeKey);
        assert.deepEqual(asc.map((r) => hex(r.sk)), SKS.map(hex), 'the fixture lists SKS in memcmp order');
        const q = { tableId: t.id, index: '', h, pk, limit: 100 };
        assert.deepEqual((await docs().query({ ...q, reverse: false })).map(rowId), asc.map(rowId));
        assert.deepEqual((await docs().query({ ...q, reverse: true })).map(rowId), [...asc].reverse().map(rowId));
        assert.deepEqual((await docs().query({ ...q, reverse: false, limit: 3 })).map((r) => hex(r.sk)), SKS.slice(0, 3).map(hex));
        assert.deepEqual((await docs().query({ ...q, reverse: true, limit: 3 })).map((r) => hex(r.sk)), SKS.slice(-3).reverse().map(hex));
        assert.deepEqual(await docs().query({ ...q, reverse: false, limit: 0 }), []);
        assert.deepEqual(await docs().query({ ...q, pk: b(0x80, 0x02), reverse: false }), [], 'an absent partition is empty');
        assert.deepEqual((await docs().query({ ...q, reverse: false }))[0], rows[0], 'rows come back whole');
      });

      it('query bounds, inclusive and exclusive, agree with memcmp in both directions', async () => {
        const t = await newTable('bounds');
        const h = 42;
        const pk = b(0xff, 0x00);
        const rows = SKS.map((sk) => baseRow(h, pk, sk));
        await putRows(t.id, '', shuffled(rows));
        // Bound keys: present ones, absent ones between present ones, and the extremes.
        const candidates = [EMPTY, b(0x00), b(0x01), b(0x01, 0x00), b(0x01, 0x80), b(0x7f, 0xff), b(0x80), b(0x80, 0x01), b(0xff, 0x00), b(0xff, 0xff, 0xff)];
        const bounds: Bound[] = [undefined, ...candidates.flatMap((key) => [true, false].map((inclusive) => ({ key, inclusive })))];
        const asc = [...rows].sort(byRangeKey);
        let checked = 0;
        for (const lower of bounds) {
          for (const upper of bounds) {
            // BETWEEN-style ranges only: DynamoDB rejects lower > upper before it reaches the store.
            if (lower && upper && Buffer.compare(lower.key, upper.key) > 0) continue;
            const expected = asc.filter((r) => within(r.sk, lower, upper)).map((r) => hex(r.sk));
            const label = `lower ${lower ? `${lower.inclusive ? '>=' : '>'} ${hex(lower.key)}` : '-'} upper ${upper ? `${upper.inclusive ? '<=' : '<'} ${hex(upper.key)}` : '-'}`;
            const fwd = await docs().query({ tableId: t.id, index: '', h, pk, lower, upper, reverse: false, limit: 100 });
            assert.deepEqual(fwd.map((r) => hex(r.sk)), expected, label);
            const rev = await docs().query({ tableId: t.id, index: '', h, pk, lower, upper, reverse: true, limit: 100 });
            assert.deepEqual(rev.map((r) => hex(r.sk)), [...expected].reverse(), `${label} reverse`);
            checked++;
          }
        }
        assert.ok(checked > 200);
      });

      it('query continues `after` a row in both directions, with and without bounds, visiting each row once', async () => {
        const t = await newTable('after');
        const h = 0;
        const pk = EMPTY;
        const rows = SKS.map((sk) => baseRow(h, pk, sk));
        await putRows(t.id, '', shuffled(rows));
        const asc = [...rows].sort(byRangeKey).map(rowId);
        const lower = { key: b(0x01), inclusive: false };
        const upper = { key: b(0xff), inclusive: true };
        const bounded = [...rows].sort(byRangeKey).filter((r) => within(r.sk, lower, upper)).map(rowId);
        for (const limit of [1, 2, 5, SKS.length, 100]) {
          for (const reverse of [false, true]) {
            const all = await queryAll(docs(), { tableId: t.id, index: '', h, pk, reverse, limit });
            assert.deepEqual(all.rows.map(rowId), reverse ? [...asc].reverse() : asc, `limit ${limit} reverse ${reverse}`);
            const some = await queryAll(docs(), { tableId: t.id, index: '', h, pk, lower, upper, reverse, limit });
            assert.deepEqual(some.rows.map(rowId), reverse ? [...bounded].reverse() : bounded, `bounded, limit ${limit} reverse ${reverse}`);
          }
        }
        // `after` a key that is not stored (the item was deleted meanwhile) still continues from its place.
        const gap = { sk: b(0x01, 0x01), bpk: EMPTY, bsk: EMPTY };
        const fwd = await docs().query({ tableId: t.id, index: '', h, pk, after: gap, reverse: false, limit: 2 });
        assert.deepEqual(fwd.map((r) => hex(r.sk)), ['017f', '0180']);
        const back = await docs().query({ tableId: t.id, index: '', h, pk, after: gap, reverse: true, limit: 2 });
        assert.deepEqual(back.map((r) => hex(r.sk)), ['0100', '01']);
        // After the last row: nothing; after the empty key in reverse: nothing.
        assert.deepEqual(await docs().query({ tableId: t.id, index: '', h, pk, after: { sk: b(0xff, 0xff), bpk: EMPTY, bsk: EMPTY }, reverse: false, limit: 5 }), []);
        assert.deepEqual(await docs().query({ tableId: t.id, index: '', h, pk, after: { sk: EMPTY, bpk: EMPTY, bsk: EMPTY }, reverse: true, limit: 5 }), []);
      });

      it('index entries with equal sk are ordered by (bpk, bsk); paging through them works both ways', async () => {
        const t = await newTable('ix-order');
        const h = 0xfffffffe;
        const pk = b(0x00, 0x80);
        const bases: [Buffer, Buffer][] = [
          [b(0x01), b(0x02)],
          [b(0x01), b(0xff)],
          [b(0x01), EMPTY],
          [b(0x01, 0x00), EMPTY],
          [b(0x80), b(0x00)],
          [b(0x00), b(0xff, 0xff)],
          [b(0xff), b(0x01)],
        ];
        const entries = [b(0x05), b(0x05, 0x00), b(0x80)].flatMap((sk) => bases.map(([bpk, bsk]) => indexRow(h, pk, sk, bpk, bsk)));
        await putRows(t.id, 'by-x', shuffled(entries));
        // A base row with the same key must not show up in the index.
        await putRows(t.id, '', [baseRow(h, pk, b(0x05))]);
        const asc = [...entries].sort(byRangeKey).map(rowId);
        const q = { tableId: t.id, index: 'by-x', h, pk };
        assert.deepEqual((await docs().query({ ...q, reverse: false, limit: 100 })).map(rowId), asc);
        assert.deepEqual((await docs().query({ ...q, reverse: true, limit: 100 })).map(rowId), [...asc].reverse());
        for (const limit of [1, 2, 3]) {
          for (const reverse of [false, true]) {
            const all = await queryAll(docs(), { ...q, reverse, limit });
            assert.deepEqual(all.rows.map(rowId), reverse ? [...asc].reverse() : asc, `limit ${limit} reverse ${reverse}`);
          }
        }
        // Bounds apply to sk alone: every entry with sk 0x05 is in or out together.
        const eq5 = (await docs().query({ ...q, lower: { key: b(0x05), inclusive: true }, upper: { key: b(0x05), inclusive: true }, reverse: false, limit: 100 })).map(rowId);
        assert.deepEqual(eq5, asc.slice(0, bases.length));
        const gt5 = await docs().query({ ...q, lower: { key: b(0x05), inclusive: false }, reverse: false, limit: 100 });
        assert.deepEqual(gt5.map(rowId), asc.slice(bases.length));
        // Continuing in the middle of a run of equal sk, in a range.
        const mid = entries.filter((e) => e.sk.equals(b(0x05, 0x00))).sort(byRangeKey)[3];
        const rest = await docs().query({ ...q, upper: { key: b(0x80), inclusive: false }, after: { sk: mid.sk, bpk: mid.bpk, bsk: mid.bsk }, reverse: false, limit: 100 });
        assert.deepEqual(rest.map(rowId), asc.slice(bases.length + 4, 2 * bases.length));
        const restBack = await docs().query({ ...q, lower: { key: b(0x05, 0x00), inclusive: true }, after: { sk: mid.sk, bpk: mid.bpk, bsk: mid.bsk }, reverse: true, limit: 100 });
        assert.deepEqual(restBack.map(rowId), asc.slice(bases.length, bases.length + 3).reverse());
      });

      it('scan visits every row once in (h, pk, sk, bpk, bsk) order; segments are inclusive hash ranges up to 2^32-1', async () => {
        const t = await newTable('scan');
        const hs = [0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, H_MAX];
        const pks = [b(0x00), b(0x80), b(0x80, 0x00)];
        const sks = [EMPTY, b(0x01), b(0xff)];
        const rows = hs.flatMap((h) => pks.flatMap((pk) => sks.map((sk) => baseRow(h, pk, sk))));
        await putRows(t.id, '', shuffled(rows));
        const ix = [b(0x01), b(0x80)].flatMap((bpk) => [EMPTY, b(0x00), b(0xf0)].map((bsk) => indexRow(H_MAX, b(0x42), b(0x01), bpk, bsk)));
        await putRows(t.id, 'gsi', shuffled([...ix, indexRow(0, b(0x42), b(0x01), b(0x01), EMPTY)]));

        const expected = [...rows].sort(byScanKey).map(rowId);
        for (const limit of [1, 5, 7, 1000]) {
          assert.deepEqual((await scanAll(docs(), t.id, '', 0, H_MAX, limit)).map(rowId), expected, `limit ${limit}`);
        }
        // Two segments split at 2^31 cover the table exactly once between them.
        const lo = await scanAll(docs(), t.id, '', 0, 0x7fffffff, 4);
        const hi = await scanAll(docs(), t.id, '', 0x80000000, H_MAX, 4);
        assert.deepEqual([...lo, ...hi].map(rowId), expected);
        assert.ok(lo.every((r) => r.h <= 0x7fffffff) && hi.every((r) => r.h >= 0x80000000));
        // Bounds are inclusive at both ends, including the largest hash.
        const top = await scanAll(docs(), t.id, '', H_MAX, H_MAX, 2);
        assert.deepEqual(top.map(rowId), expected.slice(-9));
        assert.ok(top.every((r) => r.h === H_MAX && typeof r.h === 'number'));
        assert.deepEqual((await scanAll(docs(), t.id, '', 1, 0x80000000, 100)).map((r) => r.h), [...Array(9).fill(1), ...Array(9).fill(0x7fffffff), ...Array(9).fill(0x80000000)]);
        assert.deepEqual(await docs().scan({ tableId: t.id, index: '', hFrom: 2, hTo: 0x7ffffffe, limit: 10 }), []);
        assert.deepEqual((await docs().getItem(t.id, H_MAX, b(0x80, 0x00), b(0xff)))?.h, H_MAX);

        // `after` a row that is not stored continues from its place (row-value comparison over all five columns).
        const after = { h: 0x80000000, pk: b(0x80), sk: b(0x02), bpk: EMPTY, bsk: EMPTY, item: '', size: 0 };
        const next = await docs().scan({ tableId: t.id, index: '', hFrom: 0, hTo: H_MAX, after, limit: 2 });
        assert.deepEqual(next.map(rowId), [rowId(baseRow(0x80000000, b(0x80), b(0xff))), rowId(baseRow(0x80000000, b(0x80, 0x00), EMPTY))]);

        // An index scans its own entries, in the same order, bpk and bsk included.
        const ixExpected = [indexRow(0, b(0x42), b(0x01), b(0x01), EMPTY), ...[...ix].sort(byScanKey)].map(rowId);
        for (const limit of [1, 2, 100]) {
          assert.deepEqual((await scanAll(docs(), t.id, 'gsi', 0, H_MAX, limit)).map(rowId), ixExpected, `index, limit ${limit}`);
        }
      });

      it('countItems sums sizes per table and index', async () => {
        const t = await newTable('count');
        const other = await newTable('count-other');
        await putRows(t.id, '', Array.from({ length: 30 }, (_, i) => baseRow(i * 100_000_000, b(i), EMPTY, '{}', i + 1)));
        await putRows(t.id, 'gsi', [indexRow(1, b(1), b(1), b(1), EMPTY)]);
        await putRows(other.id, '', [baseRow(1, b(1), EMPTY, '{}', 1000)]);
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 30, bytes: 465 });
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 1, bytes: 7 });
        assert.deepEqual(await docs().countItems(other.id, ''), { items: 1, bytes: 1000 });
      });

      it('expired returns base rows with ttl in [from, to), oldest first, up to limit', async () => {
        const t = await newTable('ttl');
        const other = await newTable('ttl-other');
        const at = (ttl: number | null, n: number): { row: DocIndexRow; ttl: number | null } => ({ row: baseRow(n, b(n), EMPTY, `{"ttl":${ttl}}`), ttl });
        const rows = [at(1_700_000_200, 1), at(1_700_000_100, 2), at(null, 3), at(1_700_000_150.5, 4), at(1_700_000_250, 5), at(1_700_000_099.999, 6)];
        await docs().write(async (w) => {
          for (const r of rows) await w.put(t.id, '', r.row, r.ttl);
          // Index entries never expire by themselves (their item's deletion removes them).
          await w.put(t.id, 'gsi', indexRow(7, b(7), b(7), b(1), EMPTY), 1_700_000_150);
          await w.put(other.id, '', baseRow(8, b(8), EMPTY), 1_700_000_150);
        });
        const ids = async (from: number, to: number, limit = 100): Promise<number[]> => (await docs().expired(t.id, from, to, limit)).map((r) => r.h);
        assert.deepEqual(await ids(1_700_000_100, 1_700_000_250), [2, 4, 1], 'from inclusive, to exclusive, by ttl');
        assert.deepEqual(await ids(1_700_000_100, 1_700_000_250.001), [2, 4, 1, 5]);
        assert.deepEqual(await ids(0, 2_000_000_000), [6, 2, 4, 1, 5], 'no null ttl, no index entries, no other table');
        assert.deepEqual(await ids(0, 2_000_000_000, 2), [6, 2]);
        assert.deepEqual(await ids(1_700_000_200, 1_700_000_200), []);
        assert.deepEqual((await docs().expired(t.id, 0, 2_000_000_000, 1))[0], rows[5].row, 'rows come back whole');

        // Rewriting a row replaces its ttl: a later one moves it, null takes it out.
        await docs().write(async (w) => {
          await w.put(t.id, '', rows[1].row, 1_700_000_300);
          await w.put(t.id, '', rows[5].row, null);
        });
        assert.deepEqual(await ids(0, 2_000_000_000), [4, 1, 5, 2]);
        await docs().write((w) => w.delete(t.id, '', rows[3].row));
        assert.deepEqual(await ids(0, 2_000_000_000), [1, 5, 2]);
      });
    });

    describe('write', () => {
      it('resolves with fn\u2019s value after commit; a throw rolls everything back and rethrows the same error', async () => {
        const t = await newTable('atomic');
        const s = await docs().createStream(t.id, `${run}:stream:atomic`, '{}', T);
        const token = `${run}-tok-atomic`;
        assert.equal(await docs().write(async () => 'value'), 'value');

        const boom = new Error('boom');
        await assert.rejects(
          docs().write(async (w) => {
            await w.put(t.id, '', baseRow(1, b(1), EMPTY), 1);
            await w.put(t.id, 'gsi', indexRow(1, b(2), EMPTY, b(1), EMPTY), null);
            assert.deepEqual(await w.appendStream(s.sid, T, [() => 'r1', () => 'r2']), [1, 2]);
            assert.equal(await w.claimToken(token, 'fp', T, T - 1000), null);
            assert.ok(await w.getItem(t.id, 1, b(1), EMPTY), 'visible inside');
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await docs().getItem(t.id, 1, b(1), EMPTY), null);
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 0, bytes: 0 });
        assert.deepEqual(await docs().expired(t.id, 0, 10, 10), []);
        assert.deepEqual(await docs().readStream(s.sid, 0, 10), []);
        assert.deepEqual(await docs().streamBounds(s.sid), { first: null, last: null });
        assert.equal((await docs().getStream(s.arn))?.lastSeq, 0, 'the sequence counter rolled back too');
        assert.equal(await docs().write((w) => w.claimToken(token, 'fp2', T + 1, T - 1000)), null, 'the token was never recorded');
        const next = await docs().write((w) => w.appendStream(s.sid, T, [() => 'r']));
        assert.deepEqual(next, [1], 'no sequence number was used up');
      });

      it('a throwing write does not take concurrent writes with it', async () => {
        const t = await newTable('isolated');
        const boom = new Error('only me');
        const results = await Promise.allSettled(
          Array.from({ length: 9 }, (_, i) =>
            docs().write(async (w) => {
              await w.put(t.id, '', baseRow(i, b(i), EMPTY), null);
              if (i % 3 === 1) throw boom;
              return i;
            }),
          ),
        );
        assert.deepEqual(
          results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason === boom ? 'boom' : r.reason)),
          [0, 'boom', 2, 3, 'boom', 5, 6, 'boom', 8],
        );
        const left = await scanAll(docs(), t.id, '', 0, H_MAX, 100);
        assert.deepEqual(left.map((r) => r.h), [0, 2, 3, 5, 6, 8]);
      });

      it('50 concurrent writes all commit and each resolves with its own value', async () => {
        const t = await newTable('concurrent');
        const got = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            docs().write(async (w) => {
              await w.put(t.id, '', baseRow(i * 80_000_000, b(i, 0x80), EMPTY, `{"i":${i}}`, 2), null);
              await w.put(t.id, 'gsi', indexRow(7, b(7), b(i), b(i, 0x80), EMPTY), null);
              return `w${i}`;
            }),
          ),
        );
        assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `w${i}`));
        assert.deepEqual(await docs().countItems(t.id, ''), { items: 50, bytes: 100 });
        assert.deepEqual(await docs().countItems(t.id, 'gsi'), { items: 50, bytes: 350 });
      });

      it('lockItem serializes read-modify-write: 50 concurrent increments from two nodes end at 50', async () => {
        const t = await newTable('counter');
        const pk = b(0xc0, 0xff, 0xee);
        const sk = b(0x00);
        const h = 0xdeadbeef;
        const second = await open();
        try {
          const increment = (via: Store): Promise<number> =>
            via.documents.write(async (w: DocWriteTx) => {
              await w.lockItem(t.id, pk, sk);
              const row = await w.getItem(t.id, h, pk, sk);
              const n = row ? (JSON.parse(row.item) as { n: number }).n : 0;
              // Give every other increment the chance to read the same value if the lock does not hold.
              await new Promise((r) => setImmediate(r));
              await w.put(t.id, '', baseRow(h, pk, sk, JSON.stringify({ n: n + 1 }), 8), null);
              return n + 1;
            });
          const seen = await Promise.all(Array.from({ length: 50 }, (_, i) => increment(i % 2 ? second : getStore())));
          assert.deepEqual(JSON.parse((await docs().getItem(t.id, h, pk, sk))?.item ?? 'null'), { n: 50 });
          assert.deepEqual([...seen].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1), 'each increment saw the one before it');
        } finally {
          await second.close();
        }
      });

      it('claimToken: null when new, then the first fingerprint within the window; claimable again after it', async () => {
        const token = `${run}-tok`;
        const window = 600_000;
        const claim = (fp: string, now: number): Promise<string | null> => docs().write((w) => w.claimToken(token, fp, now, now - window));
        assert.equal(await claim('fp1', T), null);
        assert.equal(await claim('fp1', T + 1), 'fp1');
        assert.equal(await claim('fp2', T + 2), 'fp1', 'a different request gets the first fingerprint back');
        assert.equal(await claim('fp2', T + window), 'fp1', 'the window includes its start');
        assert.equal(await claim('fp3', T + window + 1), null, 'after the window the token is new again');
        assert.equal(await claim('fp1', T + window + 2), 'fp3');
        assert.equal(await docs().write((w) => w.claimToken(`${run}-tok-other`, 'x', T, T - window)), null, 'tokens are independent');

        // Within one write, a second claim sees the first.
        const both = await docs().write(async (w) => [await w.claimToken(`${run}-tok-same`, 'a', T, 0), await w.claimToken(`${run}-tok-same`, 'b', T, 0)]);
        assert.deepEqual(both, [null, 'a']);

        // trimTokens forgets tokens created before its cutoff only.
        await docs().write((w) => w.claimToken(`${run}-tok-late`, 'late', T + 10 * window, 0));
        await docs().trimTokens(T + 5 * window);
        assert.equal(await docs().write((w) => w.claimToken(`${run}-tok-same`, 'c', T + 11 * window, 0)), null, 'trimmed');
        assert.equal(await docs().write((w) => w.claimToken(`${run}-tok-late`, 'other', T + 11 * window, 0)), 'late', 'kept');
      });

      it('concurrent claims of one token from two nodes: exactly one gets null, the rest its fingerprint', async () => {
        const token = `${run}-tok-race`;
        const second = await open();
        try {
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => (i % 2 ? second : getStore()).documents.write((w) => w.claimToken(token, `fp${i}`, T, T - 1000)).then((seen) => ({ i, seen }))),
          );
          const winners = results.filter((r) => r.seen === null);
          assert.equal(winners.length, 1, `winners: ${winners.map((w) => w.i).join(', ')}`);
          for (const r of results) if (r.seen !== null) assert.equal(r.seen, `fp${winners[0].i}`);
        } finally {
          await second.close();
        }
      });
    });

    describe('streams', () => {
      it('createStream starts a stream and disables the table\u2019s previous one; getStream and listStreams find them', async () => {
        const t = await newTable('streams');
        const other = await newTable('streams-other');
        const s1 = await docs().createStream(t.id, `${run}:stream:1`, '{"view":"NEW_IMAGE"}', T);
        assert.equal(typeof s1.sid, 'number');
        assert.deepEqual(s1, { sid: s1.sid, tableId: t.id, arn: `${run}:stream:1`, meta: '{"view":"NEW_IMAGE"}', lastSeq: 0, createdAt: T, disabledAt: null });
        assert.deepEqual(await docs().getStream(s1.arn), s1);
        const o = await docs().createStream(other.id, `${run}:stream:other`, '{}', T + 5);

        const s2 = await docs().createStream(t.id, `${run}:stream:2`, '{"view":"KEYS_ONLY"}', T + 10);
        assert.ok(s2.sid > s1.sid);
        assert.deepEqual(await docs().listStreams(t.id), [{ ...s1, disabledAt: T + 10 }, s2]);
        assert.deepEqual(await docs().getStream(s1.arn), { ...s1, disabledAt: T + 10 });
        assert.deepEqual(await docs().getStream(o.arn), o, 'other tables\u2019 streams are untouched');
        assert.deepEqual(await docs().listStreams(other.id), [o]);
        const all = await docs().listStreams();
        assert.deepEqual(all.filter((s) => [s1.sid, s2.sid, o.sid].includes(s.sid)), [{ ...s1, disabledAt: T + 10 }, o, s2], 'all streams, by sid');
        assert.equal(await docs().getStream(`${run}:stream:none`), null);
        assert.deepEqual(await docs().listStreams(-1), []);

        // disableStreams stamps the live stream only; a disabled one keeps its time.
        await docs().disableStreams(t.id, T + 20);
        assert.deepEqual((await docs().listStreams(t.id)).map((s) => s.disabledAt), [T + 10, T + 20]);
        await docs().disableStreams(t.id, T + 30);
        assert.deepEqual((await docs().listStreams(t.id)).map((s) => s.disabledAt), [T + 10, T + 20]);
        assert.equal((await docs().getStream(o.arn))?.disabledAt, null);
      });

      it('appendStream hands out 1, 2, 3, ... per stream; readStream pages with after and limit; streamBounds', async () => {
        const t = await newTable('append');
        const s = await docs().createStream(t.id, `${run}:stream:append`, '{}', T);
        const s2 = await docs().createStream((await newTable('append-2')).id, `${run}:stream:append-2`, '{}', T);
        assert.deepEqual(await docs().streamBounds(s.sid), { first: null, last: null });
        assert.deepEqual(await docs().readStream(s.sid, 0, 10), []);

        const made: number[] = [];
        const maker = (tag: string) => (seq: number): string => {
          made.push(seq);
          return JSON.stringify({ tag, seq, text: 'caf\u00e9 \u{1F44B}' });
        };
        assert.deepEqual(await docs().write((w) => w.appendStream(s.sid, T + 1, [maker('a'), maker('b'), maker('c')])), [1, 2, 3]);
        assert.deepEqual(await docs().write((w) => w.appendStream(s.sid, T + 2, [])), []);
        assert.deepEqual(await docs().write((w) => w.appendStream(s2.sid, T + 2, [maker('x')])), [1], 'each stream counts on its own');
        assert.deepEqual(
          await docs().write(async (w) => [...(await w.appendStream(s.sid, T + 3, [maker('d')])), ...(await w.appendStream(s.sid, T + 3, [maker('e')]))]),
          [4, 5],
        );
        assert.deepEqual(made, [1, 2, 3, 1, 4, 5], 'each maker got its own number');

        const records = await docs().readStream(s.sid, 0, 100);
        assert.deepEqual(records[0], { seq: 1, createdAt: T + 1, record: JSON.stringify({ tag: 'a', seq: 1, text: 'caf\u00e9 \u{1F44B}' }) });
        assert.deepEqual(records.map((r) => [r.seq, r.createdAt, (JSON.parse(r.record) as { tag: string }).tag]), [
          [1, T + 1, 'a'],
          [2, T + 1, 'b'],
          [3, T + 1, 'c'],
          [4, T + 3, 'd'],
          [5, T + 3, 'e'],
        ]);
        assert.deepEqual((await docs().readStream(s.sid, 2, 2)).map((r) => r.seq), [3, 4]);
        assert.deepEqual((await docs().readStream(s.sid, 4, 10)).map((r) => r.seq), [5]);
        assert.deepEqual(await docs().readStream(s.sid, 5, 10), []);
        assert.deepEqual(await docs().readStream(s.sid, 0, 0), []);
        assert.deepEqual(await docs().streamBounds(s.sid), { first: 1, last: 5 });
        assert.equal((await docs().getStream(s.arn))?.lastSeq, 5);
        assert.deepEqual(await docs().write((w) => w.appendStream(-1, T, [() => 'lost'])), [], 'no such stream: nothing appended');
      });

      it('concurrent appends from two nodes never duplicate or skip a sequence number', async () => {
        const t = await newTable('append-race');
        const s = await docs().createStream(t.id, `${run}:stream:race`, '{}', T);
        const second = await open();
        try {
          const writes = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              (i % 2 ? second : getStore()).documents.write((w) =>
                w.appendStream(
                  s.sid,
                  T,
                  Array.from({ length: 1 + (i % 3) }, (_, j) => (seq: number) => `${i}.${j}@${seq}`),
                ),
              ),
            ),
          );
          const total = writes.reduce((n, seqs) => n + seqs.length, 0);
          for (const seqs of writes) for (let j = 1; j < seqs.length; j++) assert.equal(seqs[j], seqs[j - 1] + 1, 'a write\u2019s records are consecutive');
          assert.deepEqual(writes.flat().sort((x, y) => x - y), Array.from({ length: total }, (_, k) => k + 1));

          const read: string[] = [];
          for (let after = 0; ; ) {
            const page = await docs().readStream(s.sid, after, 17);
            if (page.length === 0) break;
            read.push(...page.map((r) => r.record));
            after = page[page.length - 1].seq;
          }
          const expected = writes.flatMap((seqs, i) => seqs.map((seq, j) => [seq, `${i}.${j}@${seq}`] as const)).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
          assert.deepEqual(read, expected);
          assert.deepEqual(await docs().streamBounds(s.sid), { first: 1, last: total });
          assert.equal((await docs().getStream(s.arn))?.lastSeq, total);
        } finally {
          await second.close();
        }
      });

      it('trimStreams deletes records older than the cutoff and streams disabled before it; numbers are not reused', async () => {
        // Times below 1000 are this test's own: trimming is store-wide.
        const t = await newTable('trim');
        const other = await newTable('trim-other');
        const old = await docs().createStream(t.id, `${run}:stream:trim-old`, '{}', 90);
        await docs().write((w) => w.appendStream(old.sid, 100, [() => 'o1', () => 'o2']));
        const live = await docs().createStream(t.id, `${run}:stream:trim-live`, '{}', 140); // disables `old` at 140
        await docs().write((w) => w.appendStream(live.sid, 145, [() => 'l1']));
        await docs().write((w) => w.appendStream(live.sid, 160, [() => 'l2', () => 'l3']));
        const late = await docs().createStream(other.id, `${run}:stream:trim-late`, '{}', 120);
        await docs().write((w) => w.appendStream(late.sid, 150, [() => 'x1']));
        await docs().disableStreams(other.id, 155);

        assert.equal(await docs().trimStreams(150), 3, 'o1, o2, l1; x1 at exactly the cutoff stays');
        assert.equal(await docs().getStream(old.arn), null, 'disabled before the cutoff: gone');
        assert.deepEqual((await docs().readStream(live.sid, 0, 10)).map((r) => r.record), ['l2', 'l3']);
        assert.deepEqual(await docs().streamBounds(live.sid), { first: 2, last: 3 });
        assert.equal((await docs().getStream(late.arn))?.disabledAt, 155, 'disabled after the cutoff: kept');
        assert.deepEqual((await docs().readStream(late.sid, 0, 10)).map((r) => r.record), ['x1']);
        assert.deepEqual((await docs().listStreams(t.id)).map((s) => s.arn), [live.arn]);

        assert.deepEqual(await docs().write((w) => w.appendStream(live.sid, 170, [() => 'l4'])), [4], 'trimming does not rewind the counter');
        assert.equal(await docs().trimStreams(150), 0);
        assert.equal(await docs().trimStreams(1000), 4);
        assert.deepEqual(await docs().streamBounds(live.sid), { first: null, last: null });
        assert.equal((await docs().getStream(live.arn))?.lastSeq, 4);
        assert.equal(await docs().getStream(late.arn), null);
        const after: DocStreamRow | null = await docs().getStream(live.arn);
        assert.equal(after?.disabledAt, null, 'a live stream is never trimmed away');
      });
    });
  });
}
