/**
 * Keys: checking them against a table's schema (with DynamoDB's messages),
 * and turning them into the store's row keys: order-preserving encodings of
 * the partition and sort key values plus a 32-bit hash of the partition key
 * (Scan order and parallel-scan segments).
 */
import { encodeKey, type AttributeValue, type Item } from './model/attribute-value';
import { invalidParameter, validation } from './errors';
import type { IndexMeta, KeySchema, TableMeta } from './table';
import { attributeType } from './table';

export type ScalarType = 'S' | 'N' | 'B';

const EMPTY = Buffer.alloc(0);

/** FNV-1a over the partition key's encoding: cheap, and spreads keys evenly over segments. */
export function hash32(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface RowKey {
  h: number;
  pk: Buffer;
  sk: Buffer;
}

function scalarType(v: AttributeValue): string {
  return Object.keys(v)[0];
}

function scalarBytes(v: AttributeValue): number {
  if ('S' in v) return Buffer.byteLength(v.S);
  if ('B' in v) return Buffer.from(v.B, 'base64').length;
  if ('N' in v) return v.N.length;
  return 0;
}

/** Hash keys are at most 2048 bytes, range keys 1024 (AWS's quotas; the missing space is AWS's own). */
function checkKeySize(name: string, v: AttributeValue, range: boolean): void {
  const n = scalarBytes(v);
  if (!range && n > 2048) throw invalidParameter('Size of hashkey has exceeded the maximum size limit of2048 bytes');
  if (range && n > 1024) throw invalidParameter('Aggregated size of all range keys has exceeded the size limit of 1024 bytes');
  void name;
}

function isEmptyScalar(v: AttributeValue): 'string' | 'binary' | null {
  if ('S' in v && v.S === '') return 'string';
  if ('B' in v && v.B === '') return 'binary';
  return null;
}

/**
 * The `Key` parameter of GetItem, UpdateItem, DeleteItem...: exactly the
 * table's key attributes with their declared types.
 */
export function checkKey(meta: TableMeta, key: Item): Item {
  const names = Object.keys(key);
  const want = meta.key.range === undefined ? 1 : 2;
  if (names.length !== want) throw validation('The provided key element does not match the schema');
  for (const [name, range] of [[meta.key.hash, false], [meta.key.range, true]] as const) {
    if (name === undefined) continue;
    const v = key[name];
    if (v === undefined || scalarType(v) !== attributeType(meta, name)) throw validation('The provided key element does not match the schema');
    const empty = isEmptyScalar(v);
    if (empty) {
      throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${name}`);
    }
    checkKeySize(name, v, range);
  }
  return key;
}

/** The key of a whole item (PutItem, BatchWriteItem): missing or mistyped key attributes are named. */
export function itemKey(meta: TableMeta, item: Item): Item {
  const out: Item = {};
  for (const [name, range] of [[meta.key.hash, false], [meta.key.range, true]] as const) {
    if (name === undefined) continue;
    const v = item[name];
    if (v === undefined) throw invalidParameter(`Missing the key ${name} in the item`);
    const want = attributeType(meta, name);
    const got = scalarType(v);
    if (got !== want) throw invalidParameter(`Type mismatch for key ${name} expected: ${want} actual: ${got}`);
    const empty = isEmptyScalar(v);
    if (empty) {
      throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${empty} value. Key: ${name}`);
    }
    checkKeySize(name, v, range);
    out[name] = v;
  }
  return out;
}

/** Index key attributes present in an item must have the declared type and not be empty. */
export function checkIndexKeys(meta: TableMeta, item: Item): void {
  for (const ix of meta.indexes) {
    for (const name of [ix.key.hash, ix.key.range]) {
      if (name === undefined) continue;
      const v = item[name];
      if (v === undefined) continue;
      const want = attributeType(meta, name);
      const got = scalarType(v);
      if (got !== want) throw invalidParameter(`Type mismatch for Index Key ${name} Expected: ${want} Actual: ${got} IndexName: ${ix.name}`);
      const empty = isEmptyScalar(v);
      if (empty) {
        throw validation(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${empty} value. IndexName: ${ix.name}, IndexKey: ${name}`,
        );
      }
    }
  }
}

export function rowKey(schema: KeySchema, item: Item): RowKey {
  const pk = encodeKey(item[schema.hash]);
  const sk = schema.range === undefined ? EMPTY : encodeKey(item[schema.range]);
  return { h: hash32(pk), pk, sk };
}

/** An item's entry key in an index, or null when the item lacks an index key attribute (sparse index). */
export function indexRowKey(ix: IndexMeta, item: Item): RowKey | null {
  const hv = item[ix.key.hash];
  if (hv === undefined) return null;
  if (ix.key.range !== undefined && item[ix.key.range] === undefined) return null;
  return rowKey(ix.key, item);
}

/** The attribute names that make up an index entry's key: the index key plus the table key. */
export function indexKeyNames(meta: TableMeta, ix: IndexMeta): string[] {
  const names = [meta.key.hash];
  if (meta.key.range !== undefined) names.push(meta.key.range);
  for (const n of [ix.key.hash, ix.key.range]) if (n !== undefined && !names.includes(n)) names.push(n);
  return names;
}

/** The item as an index stores it: the projection applied (keys always included). */
export function projectForIndex(meta: TableMeta, ix: IndexMeta, item: Item): Item {
  if (ix.projection.type === 'ALL') return item;
  const out: Item = {};
  for (const n of indexKeyNames(meta, ix)) if (item[n] !== undefined) out[n] = item[n];
  if (ix.projection.type === 'INCLUDE') for (const n of ix.projection.nonKeyAttributes) if (item[n] !== undefined) out[n] = item[n];
  return out;
}

/** The primary key attributes of an item (for LastEvaluatedKey, stream Keys). */
export function keyOf(schema: KeySchema, item: Item): Item {
  const out: Item = { [schema.hash]: item[schema.hash] };
  if (schema.range !== undefined) out[schema.range] = item[schema.range];
  return out;
}
