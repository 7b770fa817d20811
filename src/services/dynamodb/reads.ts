/**
 * What Query and Scan share: choosing the table or index, Select and
 * projections, ExclusiveStartKey / LastEvaluatedKey, the Limit and the 1 MB
 * page (DynamoDB stops reading once it has read 1 MB of items, before the
 * filter, and says where to continue), filters, counts and capacity.
 */
import { RawJson, document, int, member, struct } from '../../aws';
import type { DocIndexRow } from '../../store/types';
import { capacity, readUnits } from './common';
import type { DynamoEngine } from './engine';
import { invalidParameter, validation } from './errors';
import type { CompiledExpressions } from './expressions';
import { checkKey, indexKeyNames, keyOf, rowKey } from './keys';
import type { Item } from './model/attribute-value';
import { findIndex, type IndexMeta, type KeySchema, type TableMeta } from './table';

/** What Query and Scan answer. */
export const READ_OUTPUT = struct({
  Items: member(document()),
  Count: member(int()),
  ScannedCount: member(int()),
  LastEvaluatedKey: member(document()),
  ConsumedCapacity: member(document()),
});

/** DynamoDB returns at most 1 MB of read data per page. */
export const PAGE_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ReadTarget {
  meta: TableMeta;
  index: IndexMeta | null;
  /** The key schema the read follows (the index's, or the table's). */
  key: KeySchema;
}

export function readTarget(meta: TableMeta, indexName: string | undefined, consistent: boolean | undefined): ReadTarget {
  if (indexName === undefined) return { meta, index: null, key: meta.key };
  const index = findIndex(meta, indexName);
  if (!index) throw validation(`The table does not have the specified index: ${indexName}`);
  if (index.kind === 'global' && consistent) throw validation('Consistent reads are not supported on global secondary indexes');
  return { meta, index, key: index.key };
}

export type SelectMode = 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

/** Select's rules as AWS states them for Query and Scan. */
export function selectMode(t: ReadTarget, select: string | undefined, projection: boolean): SelectMode {
  if (select === undefined) return projection ? 'SPECIFIC_ATTRIBUTES' : t.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES';
  if (projection && select !== 'SPECIFIC_ATTRIBUTES') {
    throw validation(`Cannot specify the ProjectionExpression when choosing to get ${select === 'COUNT' ? 'only the Count' : select}`);
  }
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !t.index) throw validation('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  if (select === 'ALL_ATTRIBUTES' && t.index && t.index.kind === 'global' && t.index.projection.type !== 'ALL') {
    throw invalidParameter(`Select type ALL_ATTRIBUTES is not supported for global secondary index ${t.index.name} because its projection type is not ALL`);
  }
  return select as SelectMode;
}

/** The store row position just after which a page continues, from ExclusiveStartKey. */
export function startAfter(t: ReadTarget, esk: Item | undefined): { h: number; pk: Buffer; sk: Buffer; bpk: Buffer; bsk: Buffer } | undefined {
  if (!esk) return undefined;
  const names = t.index ? indexKeyNames(t.meta, t.index) : [t.meta.key.hash, ...(t.meta.key.range ? [t.meta.key.range] : [])];
  for (const n of Object.keys(esk)) {
    if (!names.includes(n)) throw validation('The provided starting key is invalid: The provided key element does not match the schema');
  }
  for (const n of names) {
    if (esk[n] === undefined) throw validation('The provided starting key is invalid: The provided key element does not match the schema');
  }
  const base = checkKey(t.meta, keyOf(t.meta.key, esk));
  const b = rowKey(t.meta.key, base);
  if (!t.index) return { h: b.h, pk: b.pk, sk: b.sk, bpk: EMPTY, bsk: EMPTY };
  const ix = rowKey(t.index.key, esk);
  return { h: ix.h, pk: ix.pk, sk: ix.sk, bpk: b.pk, bsk: b.sk };
}

export interface PageInput {
  target: ReadTarget;
  expr: CompiledExpressions;
  select: SelectMode;
  limit: number | undefined;
  consistent: boolean;
  returnConsumed: string | undefined;
  /** Project legacy AttributesToGet (top-level names). */
  legacyProjection?: (item: Item) => Item;
  /** Reads the next rows after `after` (null: from the start), at most `n`. */
  fetch(after: DocIndexRow | null, n: number): Promise<DocIndexRow[]>;
}

export interface PageOutput {
  /** RawJson when the stored items go out unchanged (no filter, no projection). */
  Items?: Item[] | RawJson;
  Count: number;
  ScannedCount: number;
  LastEvaluatedKey?: Item;
  ConsumedCapacity?: unknown;
}

/** Reads one page: up to Limit items or 1 MB, then filter, project, count. */
export async function readPage(engine: DynamoEngine, p: PageInput): Promise<PageOutput> {
  const { target, expr } = p;
  const items: Item[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: DocIndexRow | null = null;
  let lastItem: Item | null = null;
  let more = true;
  let stopped = false;
  const needBase =
    target.index?.kind === 'local' && target.index.projection.type !== 'ALL' && (p.select === 'ALL_ATTRIBUTES' || p.select === 'SPECIFIC_ATTRIBUTES');
  // Without a filter, a base-table lookup or a projection the stored JSON text
  // is the answer: keep it as text (no parse, no re-serialization) and parse
  // only the last item, for LastEvaluatedKey.
  const projects = p.legacyProjection !== undefined || expr.project !== undefined;
  const raw = !needBase && !expr.filter && (p.select === 'COUNT' || !projects);
  const texts: string[] = [];
  while (more && !stopped) {
    const want = p.limit === undefined ? 256 : Math.min(256, p.limit - scanned);
    const rows = await p.fetch(last, want);
    if (rows.length < want) more = false;
    for (const row of rows) {
      last = row;
      scanned++;
      bytes += row.size;
      if (raw) texts.push(row.item);
      else {
        let item = JSON.parse(row.item) as Item;
        if (needBase) {
          const full = await engine.getItem(target.meta, keyOf(target.meta.key, item));
          if (full) item = full;
        }
        lastItem = item;
        if (!expr.filter || expr.filter(item)) items.push(item);
      }
      if ((p.limit !== undefined && scanned >= p.limit) || bytes >= PAGE_BYTES) {
        stopped = true;
        break;
      }
    }
  }
  if (raw && stopped && last) lastItem = JSON.parse(last.item) as Item;
  const out: PageOutput = { Count: raw ? texts.length : items.length, ScannedCount: scanned };
  if (p.select !== 'COUNT') {
    out.Items = raw ? RawJson.array(texts) : items.map((it) => (p.legacyProjection ? p.legacyProjection(it) : expr.project ? expr.project(it) : it));
  }
  if (stopped && lastItem) {
    const names = target.index ? indexKeyNames(target.meta, target.index) : [target.meta.key.hash, ...(target.meta.key.range ? [target.meta.key.range] : [])];
    const lek: Item = {};
    for (const n of names) if (lastItem[n] !== undefined) lek[n] = lastItem[n];
    out.LastEvaluatedKey = lek;
  }
  const cc = capacity(p.returnConsumed, target.meta.name, readUnits(bytes, p.consistent), 'read');
  if (cc) out.ConsumedCapacity = cc;
  return out;
}
