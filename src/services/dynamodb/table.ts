/**
 * A table as the service keeps it (the JSON the store holds as `meta`) and as
 * DescribeTable shows it (AWS's TableDescription).
 */
import type { ScalarType } from './keys';

export type KeyType = 'HASH' | 'RANGE';
export type ProjectionType = 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
export type BillingMode = 'PROVISIONED' | 'PAY_PER_REQUEST';

export interface KeySchema {
  hash: string;
  range?: string;
}

export interface IndexMeta {
  name: string;
  kind: 'global' | 'local';
  key: KeySchema;
  projection: { type: ProjectionType; nonKeyAttributes: string[] };
  provisioned: { read: number; write: number } | null;
  /** ACTIVE, or CREATING / DELETING while UpdateTable changes it (reported once, then ACTIVE / gone). */
  createdAt: number;
}

export interface StreamMeta {
  viewType: StreamViewType;
  label: string;
  arn: string;
  /** The store's stream id (records are kept under it). */
  sid: number;
}

export interface TableMeta {
  name: string;
  /** The store's numeric id (items are kept under it). */
  storeId: number;
  /** AWS's TableId (a UUID). */
  tableId: string;
  arn: string;
  /** Epoch seconds (fractional), as DescribeTable's CreationDateTime. */
  createdAt: number;
  key: KeySchema;
  attributeDefinitions: { AttributeName: string; AttributeType: ScalarType }[];
  billingMode: BillingMode;
  provisioned: { read: number; write: number };
  /** Epoch seconds of the last switch to PAY_PER_REQUEST. */
  payPerRequestSince: number | null;
  indexes: IndexMeta[];
  stream: StreamMeta | null;
  ttl: { attribute: string; enabled: boolean } | null;
  tags: Record<string, string>;
  deletionProtection: boolean;
  tableClass: string;
}

/** The key attribute names and types of the table and of every index. */
export function attributeType(meta: TableMeta, name: string): ScalarType {
  const d = meta.attributeDefinitions.find((a) => a.AttributeName === name);
  return d ? d.AttributeType : 'S';
}

export function findIndex(meta: TableMeta, name: string): IndexMeta | undefined {
  return meta.indexes.find((i) => i.name === name);
}

function keySchemaOut(k: KeySchema): { AttributeName: string; KeyType: KeyType }[] {
  const out: { AttributeName: string; KeyType: KeyType }[] = [{ AttributeName: k.hash, KeyType: 'HASH' }];
  if (k.range !== undefined) out.push({ AttributeName: k.range, KeyType: 'RANGE' });
  return out;
}

export function keySchemaWire(k: KeySchema): { AttributeName: string; KeyType: KeyType }[] {
  return keySchemaOut(k);
}

export interface Counts {
  items: number;
  bytes: number;
  indexes: Record<string, { items: number; bytes: number }>;
}

/** AWS's TableDescription. `status` is CREATING in CreateTable's answer, DELETING in DeleteTable's. */
export function describeTable(meta: TableMeta, counts: Counts | null, status = 'ACTIVE'): Record<string, unknown> {
  const throughput = (p: { read: number; write: number } | null) => ({
    NumberOfDecreasesToday: 0,
    ReadCapacityUnits: p?.read ?? 0,
    WriteCapacityUnits: p?.write ?? 0,
  });
  const projection = (i: IndexMeta) =>
    i.projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: i.projection.nonKeyAttributes } : { ProjectionType: i.projection.type };
  const gsis = meta.indexes.filter((i) => i.kind === 'global');
  const lsis = meta.indexes.filter((i) => i.kind === 'local');
  const out: Record<string, unknown> = {
    AttributeDefinitions: meta.attributeDefinitions,
    TableName: meta.name,
    KeySchema: keySchemaOut(meta.key),
    TableStatus: status,
    CreationDateTime: meta.createdAt,
    ProvisionedThroughput: throughput(meta.billingMode === 'PROVISIONED' ? meta.provisioned : null),
    TableSizeBytes: counts?.bytes ?? 0,
    ItemCount: counts?.items ?? 0,
    TableArn: meta.arn,
    TableId: meta.tableId,
    DeletionProtectionEnabled: meta.deletionProtection,
  };
  if (meta.billingMode === 'PAY_PER_REQUEST') {
    out.BillingModeSummary = { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: meta.payPerRequestSince ?? meta.createdAt };
  }
  if (lsis.length > 0) {
    out.LocalSecondaryIndexes = lsis.map((i) => ({
      IndexName: i.name,
      KeySchema: keySchemaOut(i.key),
      Projection: projection(i),
      IndexSizeBytes: counts?.indexes[i.name]?.bytes ?? 0,
      ItemCount: counts?.indexes[i.name]?.items ?? 0,
      IndexArn: `${meta.arn}/index/${i.name}`,
    }));
  }
  if (gsis.length > 0) {
    out.GlobalSecondaryIndexes = gsis.map((i) => ({
      IndexName: i.name,
      KeySchema: keySchemaOut(i.key),
      Projection: projection(i),
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: throughput(meta.billingMode === 'PROVISIONED' ? i.provisioned : null),
      IndexSizeBytes: counts?.indexes[i.name]?.bytes ?? 0,
      ItemCount: counts?.indexes[i.name]?.items ?? 0,
      IndexArn: `${meta.arn}/index/${i.name}`,
    }));
  }
  if (meta.stream) {
    out.StreamSpecification = { StreamEnabled: true, StreamViewType: meta.stream.viewType };
    out.LatestStreamLabel = meta.stream.label;
    out.LatestStreamArn = meta.stream.arn;
  }
  if (meta.tableClass !== 'STANDARD') out.TableClassSummary = { TableClass: meta.tableClass };
  return out;
}
