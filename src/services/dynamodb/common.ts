/**
 * What several operations share: shapes of common members, item and key
 * parsing, ReturnValues, ConsumedCapacity and ItemCollectionMetrics.
 */
import { document, map, member, str, strEnum, struct, type JsonValue } from '../../aws';
import { validateItem, itemSize, type Item } from './model/attribute-value';
import { validation } from './errors';
import type { TableMeta } from './table';
import type { WriteOutcome } from './engine';

/** `[a-zA-Z0-9_.-]+`, 3..255 (CreateTable's TableName constraint, reported as AWS words it). */
export const TABLE_NAME = str({ min: 3, max: 255, pattern: '[a-zA-Z0-9_.-]+' });
/** 1..1024 with ARNs allowed (tables are named by ARN too in newer API versions). */
export const TABLE_NAME_OR_ARN = str({ min: 1, max: 1024 });
export const INDEX_NAME = str({ min: 3, max: 255, pattern: '[a-zA-Z0-9_.-]+' });
export const ATTRIBUTE_MAP = document();
export const NAMES_MAP = map(str());
export const RETURN_CONSUMED = member(strEnum(['INDEXES', 'TOTAL', 'NONE']));
export const RETURN_METRICS = member(strEnum(['SIZE', 'NONE']));
export const SELECT = strEnum(['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT']);

/** The largest item DynamoDB stores (400 KB, counted as itemSize counts). */
export const MAX_ITEM_BYTES = 400 * 1024;

/** Table names may be given as ARNs (`arn:aws:dynamodb:region:account:table/Name`). */
export function tableNameOf(nameOrArn: string): string {
  const m = /^arn:aws[a-z-]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)$/.exec(nameOrArn);
  return m ? m[1] : nameOrArn;
}

/** A wire item (Item, Key, ExclusiveStartKey), checked; null/undefined stay undefined. */
export function parseItem(raw: JsonValue | undefined): Item | undefined {
  if (raw === undefined || raw === null) return undefined;
  return validateItem(raw);
}

export function checkItemSize(item: Item): void {
  if (itemSize(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
}

export type ReturnValues = 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';

export interface Capacity {
  TableName: string;
  CapacityUnits: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
}

/** Write units: 1 per KB (rounded up) of the larger of the old and new item (AWS: "Read/write capacity mode"). */
export function writeUnits(old: Item | null, next: Item | null): number {
  const bytes = Math.max(old ? itemSize(old) : 0, next ? itemSize(next) : 0);
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Read units: 1 per 4 KB (rounded up) strongly consistent, half that eventually consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

export function capacity(mode: string | undefined, table: string, units: number, kind: 'read' | 'write'): Capacity | undefined {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return undefined;
  const out: Capacity = { TableName: table, CapacityUnits: units };
  if (mode === 'INDEXES') {
    if (kind === 'read') out.ReadCapacityUnits = units;
    else out.WriteCapacityUnits = units;
    out.Table = kind === 'read' ? { CapacityUnits: units, ReadCapacityUnits: units } : { CapacityUnits: units, WriteCapacityUnits: units };
  }
  return out;
}

/** ReturnItemCollectionMetrics SIZE: only tables with local secondary indexes have item collections. */
export function collectionMetrics(mode: string | undefined, meta: TableMeta, item: Item | null): Record<string, unknown> | undefined {
  if (mode !== 'SIZE' || !item || !meta.indexes.some((i) => i.kind === 'local')) return undefined;
  return { ItemCollectionKey: { [meta.key.hash]: item[meta.key.hash] }, SizeEstimateRangeGB: [0, 1] };
}

/** PutItem and DeleteItem return at most the old item ("ReturnValues can only be ALL_OLD or NONE"). */
export function checkReturnValues(rv: string | undefined, allowed: readonly ReturnValues[]): ReturnValues {
  const v = (rv ?? 'NONE') as ReturnValues;
  if (!allowed.includes(v)) throw validation(`ReturnValues can only be ${allowed.filter((a) => a !== 'NONE').join(', ')} or NONE`);
  return v;
}

export const EXPRESSION_MEMBERS = {
  ExpressionAttributeNames: member(NAMES_MAP),
  ExpressionAttributeValues: member(document()),
} as const;

/** ReturnValuesOnConditionCheckFailure (PutItem, UpdateItem, DeleteItem, transactions). */
export const RV_ON_FAILURE = member(strEnum(['ALL_OLD', 'NONE']));

/** The members PutItem, UpdateItem and DeleteItem share besides their item or key. */
export const WRITE_MEMBERS = {
  ConditionExpression: member(str()),
  ...EXPRESSION_MEMBERS,
  ReturnValues: member(strEnum(['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'])),
  ReturnConsumedCapacity: RETURN_CONSUMED,
  ReturnItemCollectionMetrics: RETURN_METRICS,
  ReturnValuesOnConditionCheckFailure: RV_ON_FAILURE,
  Expected: member(document()),
  ConditionalOperator: member(str()),
} as const;

export const WRITE_OUTPUT = struct({ Attributes: member(document()), ConsumedCapacity: member(document()), ItemCollectionMetrics: member(document()) });

/** The answer of a single-item write: the attributes asked for, capacity and item collection metrics when requested. */
export function writeResult(
  i: { ReturnConsumedCapacity?: string; ReturnItemCollectionMetrics?: string },
  meta: TableMeta,
  out: WriteOutcome,
  attributes: Item | undefined,
): { Attributes?: Item; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } {
  const result: { Attributes?: Item; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = {};
  if (attributes && Object.keys(attributes).length > 0) result.Attributes = attributes;
  const cc = capacity(i.ReturnConsumedCapacity, meta.name, writeUnits(out.old, out.new), 'write');
  if (cc) result.ConsumedCapacity = cc;
  const cm = collectionMetrics(i.ReturnItemCollectionMetrics, meta, out.new ?? out.old);
  if (cm) result.ItemCollectionMetrics = cm;
  return result;
}
