/** CreateTable: the table is usable at once; the answer says CREATING as AWS's does, DescribeTable says ACTIVE. */
import { randomUUID } from 'node:crypto';
import { bool, defineOperation, document, list, long, member, required, str, strEnum, struct, type Operation, type TypeOf } from '../../aws';
import { INDEX_NAME, TABLE_NAME } from './common';
import type { DynamoEngine } from './engine';
import { invalidParameter, resourceInUse, validation } from './errors';
import { newStream } from './streams';
import { describeTable, type BillingMode, type IndexMeta, type KeySchema, type ProjectionType, type StreamViewType, type TableMeta } from './table';
import type { ScalarType } from './keys';

export const KEY_SCHEMA = list(struct({ AttributeName: required(str({ min: 1, max: 255 })), KeyType: required(strEnum(['HASH', 'RANGE'])) }), { min: 1, max: 2 });
export const THROUGHPUT = struct({ ReadCapacityUnits: required(long({ min: 1 })), WriteCapacityUnits: required(long({ min: 1 })) });
export const PROJECTION = struct({
  ProjectionType: member(strEnum(['ALL', 'KEYS_ONLY', 'INCLUDE'])),
  NonKeyAttributes: member(list(str({ min: 1, max: 255 }), { min: 1, max: 20 })),
});
export const STREAM_SPEC = struct({
  StreamEnabled: required(bool()),
  StreamViewType: member(strEnum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'])),
});
export const GSI = struct({
  IndexName: required(INDEX_NAME),
  KeySchema: required(KEY_SCHEMA),
  Projection: required(PROJECTION),
  ProvisionedThroughput: member(THROUGHPUT),
  OnDemandThroughput: member(document()),
});
const LSI = struct({ IndexName: required(INDEX_NAME), KeySchema: required(KEY_SCHEMA), Projection: required(PROJECTION) });
const ATTRIBUTE_DEFINITIONS = list(struct({ AttributeName: required(str({ min: 1, max: 255 })), AttributeType: required(strEnum(['S', 'N', 'B'])) }));

const input = struct({
  TableName: required(TABLE_NAME),
  AttributeDefinitions: required(ATTRIBUTE_DEFINITIONS),
  KeySchema: required(KEY_SCHEMA),
  LocalSecondaryIndexes: member(list(LSI)),
  GlobalSecondaryIndexes: member(list(GSI)),
  BillingMode: member(strEnum(['PROVISIONED', 'PAY_PER_REQUEST'])),
  ProvisionedThroughput: member(THROUGHPUT),
  StreamSpecification: member(STREAM_SPEC),
  SSESpecification: member(document()),
  Tags: member(list(struct({ Key: required(str({ min: 1, max: 128 })), Value: required(str({ max: 256 })) }))),
  TableClass: member(strEnum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS'])),
  DeletionProtectionEnabled: member(bool()),
  ResourcePolicy: member(str()),
  OnDemandThroughput: member(document()),
  WarmThroughput: member(document()),
});

export type CreateTableInput = TypeOf<typeof input>;
type KeySchemaInput = TypeOf<typeof KEY_SCHEMA>;

/** Key schema checks in AWS's order and words (dynalite's validations/createTable.js records them). */
export function keySchemaOf(ks: KeySchemaInput, defined: string[], what: 'table' | 'index'): KeySchema {
  const names = ks.map((k) => k.AttributeName);
  if (names.some((n) => !defined.includes(n))) {
    if (ks.length === 2 && what === 'table') throw validation('Invalid KeySchema: Some index key attribute have no definition');
    throw invalidParameter(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${names.join(', ')}], AttributeDefinitions: [${defined.join(', ')}]`);
  }
  if (ks.length === 2 && names[0] === names[1]) throw validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  if (ks[0].KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (ks[1] && ks[1].KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  return ks.length === 2 ? { hash: names[0], range: names[1] } : { hash: names[0] };
}

export function projectionOf(p: TypeOf<typeof PROJECTION>): IndexMeta['projection'] {
  if (p.ProjectionType === undefined) throw invalidParameter('Unknown ProjectionType: null');
  if (p.NonKeyAttributes && p.ProjectionType !== 'INCLUDE') throw invalidParameter(`ProjectionType is ${p.ProjectionType}, but NonKeyAttributes is specified`);
  return { type: p.ProjectionType as ProjectionType, nonKeyAttributes: p.NonKeyAttributes ?? [] };
}

export function billingOf(mode: string | undefined, pt: TypeOf<typeof THROUGHPUT> | undefined): { billingMode: BillingMode; provisioned: { read: number; write: number } } {
  const billingMode = (mode ?? 'PROVISIONED') as BillingMode;
  if (billingMode === 'PAY_PER_REQUEST') {
    if (pt) throw invalidParameter('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    return { billingMode, provisioned: { read: 0, write: 0 } };
  }
  if (!pt) throw invalidParameter('ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED');
  for (const [n, v] of [['ReadCapacityUnits', pt.ReadCapacityUnits], ['WriteCapacityUnits', pt.WriteCapacityUnits]] as const) {
    if (v > 1000000000000) throw validation(`Given value ${v} for ${n} is out of bounds`);
  }
  return { billingMode, provisioned: { read: pt.ReadCapacityUnits, write: pt.WriteCapacityUnits } };
}

export function gsiOf(g: TypeOf<typeof GSI>, defined: string[], billing: BillingMode, now: number): IndexMeta {
  const key = keySchemaOf(g.KeySchema, defined, 'index');
  const projection = projectionOf(g.Projection);
  if (billing === 'PROVISIONED' && !g.ProvisionedThroughput) {
    throw invalidParameter(`ProvisionedThroughput should not be null for index: ${g.IndexName}`);
  }
  if (billing === 'PAY_PER_REQUEST' && g.ProvisionedThroughput) {
    throw invalidParameter(`ProvisionedThroughput should be null for index: ${g.IndexName} when BillingMode is PAY_PER_REQUEST`);
  }
  const pt = g.ProvisionedThroughput;
  return { name: g.IndexName, kind: 'global', key, projection, provisioned: pt ? { read: pt.ReadCapacityUnits, write: pt.WriteCapacityUnits } : null, createdAt: now };
}

/** Builds a table's metadata from CreateTable input (also used by the AWS::DynamoDB::Table provider). */
export function tableMetaOf(input: CreateTableInput, engine: DynamoEngine, storeId: number, now: number): TableMeta {
  const defined = input.AttributeDefinitions.map((a) => a.AttributeName);
  const key = keySchemaOf(input.KeySchema, defined, 'table');
  const { billingMode, provisioned } = billingOf(input.BillingMode, input.ProvisionedThroughput);
  const indexes: IndexMeta[] = [];
  const seen = new Set<string>();
  const used = new Set<string>([key.hash, ...(key.range ? [key.range] : [])]);
  if (input.LocalSecondaryIndexes) {
    if (input.LocalSecondaryIndexes.length === 0) throw invalidParameter('List of LocalSecondaryIndexes is empty');
    if (key.range === undefined) throw invalidParameter('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
    for (const l of input.LocalSecondaryIndexes) {
      const ik = keySchemaOf(l.KeySchema, defined, 'index');
      if (ik.range === undefined) throw invalidParameter(`Index KeySchema does not have a range key for index: ${l.IndexName}`);
      if (ik.hash !== key.hash) {
        throw invalidParameter(
          `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${l.IndexName}. index hash key: ${ik.hash}, table hash key: ${key.hash}`,
        );
      }
      const projection = projectionOf(l.Projection);
      if (seen.has(l.IndexName)) throw invalidParameter(`Duplicate index name: ${l.IndexName}`);
      seen.add(l.IndexName);
      used.add(ik.range);
      indexes.push({ name: l.IndexName, kind: 'local', key: ik, projection, provisioned: null, createdAt: now });
    }
    if (input.LocalSecondaryIndexes.length > 5) throw invalidParameter('Number of LocalSecondaryIndexes exceeds per-table limit of 5');
  }
  if (input.GlobalSecondaryIndexes) {
    if (input.GlobalSecondaryIndexes.length === 0) throw invalidParameter('List of GlobalSecondaryIndexes is empty');
    for (const g of input.GlobalSecondaryIndexes) {
      const ix = gsiOf(g, defined, billingMode, now);
      if (seen.has(g.IndexName)) throw invalidParameter(`Duplicate index name: ${g.IndexName}`);
      seen.add(g.IndexName);
      used.add(ix.key.hash);
      if (ix.key.range) used.add(ix.key.range);
      indexes.push(ix);
    }
    if (input.GlobalSecondaryIndexes.length > 20) throw invalidParameter('GlobalSecondaryIndex count exceeds the per-table limit of 20');
  }
  if (defined.some((d) => !used.has(d))) {
    throw invalidParameter('Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
  if (new Set(defined).size !== defined.length) throw invalidParameter('Duplicate AttributeName in AttributeDefinitions');
  const ss = input.StreamSpecification;
  if (ss && ss.StreamEnabled && !ss.StreamViewType) throw validation('1 validation error detected: Value null at \'streamSpecification.streamViewType\' failed to satisfy constraint: Member must not be null');
  if (ss && !ss.StreamEnabled && ss.StreamViewType) throw invalidParameter('Stream is disabled but StreamViewType is specified');
  const tags: Record<string, string> = {};
  for (const t of input.Tags ?? []) tags[t.Key] = t.Value;
  return {
    name: input.TableName,
    storeId,
    tableId: randomUUID(),
    arn: engine.tableArn(input.TableName),
    createdAt: now / 1000,
    key,
    attributeDefinitions: input.AttributeDefinitions.map((a) => ({ AttributeName: a.AttributeName, AttributeType: a.AttributeType as ScalarType })),
    billingMode,
    provisioned,
    payPerRequestSince: billingMode === 'PAY_PER_REQUEST' ? now / 1000 : null,
    indexes,
    stream: null,
    ttl: null,
    tags,
    deletionProtection: input.DeletionProtectionEnabled ?? false,
    tableClass: input.TableClass ?? 'STANDARD',
  };
}

/** Creates a table from CreateTable input; ResourceInUseException if it exists. */
export async function createTableFrom(engine: DynamoEngine, input: CreateTableInput): Promise<TableMeta> {
  const now = Date.now();
  // Validate before touching the store (tableMetaOf throws AWS's errors).
  tableMetaOf(input, engine, 0, now);
  let meta: TableMeta | null = null;
  const row = await engine.store.createTable(input.TableName, (id) => {
    meta = tableMetaOf(input, engine, id, now);
    return JSON.stringify(meta);
  });
  if (!row || !meta) throw resourceInUse(`Table already exists: ${input.TableName}`);
  let created: TableMeta = meta;
  const ss = input.StreamSpecification;
  if (ss?.StreamEnabled && ss.StreamViewType) created = await newStream(engine, created, ss.StreamViewType as StreamViewType);
  engine.remember(created);
  return created;
}

export function createTable(engine: DynamoEngine): Operation<'CreateTable'> {
  return defineOperation({
    name: 'CreateTable',
    input,
    output: struct({ TableDescription: member(document()) }),
    handler: async (i) => {
      const meta = await createTableFrom(engine, i);
      return { TableDescription: describeTable(meta, null, 'CREATING') as never };
    },
  });
}
