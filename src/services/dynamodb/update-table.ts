/**
 * UpdateTable: billing mode and throughput, one global secondary index created
 * (backfilled from the items already there) or deleted per call as AWS
 * allows, streams enabled (a new stream) or disabled, deletion protection,
 * table class. The answer shows the table as AWS does (UPDATING).
 */
import { bool, defineOperation, document, list, member, required, strEnum, struct, type Operation, type TypeOf } from '../../aws';
import { INDEX_NAME, TABLE_NAME_OR_ARN, tableNameOf } from './common';
import { billingOf, GSI, gsiOf, STREAM_SPEC, THROUGHPUT } from './create-table';
import { countsOf } from './describe-table';
import type { DynamoEngine } from './engine';
import { invalidParameter, limitExceeded, resourceNotFound, validation } from './errors';
import type { ScalarType } from './keys';
import { disableStream, newStream } from './streams';
import { describeTable, type StreamViewType, type TableMeta } from './table';

const input = struct({
  TableName: required(TABLE_NAME_OR_ARN),
  AttributeDefinitions: member(list(struct({ AttributeName: required(INDEX_NAME), AttributeType: required(strEnum(['S', 'N', 'B'])) }))),
  BillingMode: member(strEnum(['PROVISIONED', 'PAY_PER_REQUEST'])),
  ProvisionedThroughput: member(THROUGHPUT),
  GlobalSecondaryIndexUpdates: member(
    list(
      struct({
        Create: member(GSI),
        Update: member(struct({ IndexName: required(INDEX_NAME), ProvisionedThroughput: member(THROUGHPUT), OnDemandThroughput: member(document()) })),
        Delete: member(struct({ IndexName: required(INDEX_NAME) })),
      }),
    ),
  ),
  StreamSpecification: member(STREAM_SPEC),
  SSESpecification: member(document()),
  ReplicaUpdates: member(document()),
  TableClass: member(strEnum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS'])),
  DeletionProtectionEnabled: member(bool()),
  OnDemandThroughput: member(document()),
  WarmThroughput: member(document()),
});

export type UpdateTableInput = TypeOf<typeof input>;

/** Applies UpdateTable input to a table; returns its new metadata. Shared with the CloudFormation provider. */
export async function updateTableWith(engine: DynamoEngine, meta: TableMeta, i: UpdateTableInput): Promise<TableMeta> {
  const changes = [i.ProvisionedThroughput, i.BillingMode, i.StreamSpecification, i.GlobalSecondaryIndexUpdates, i.SSESpecification, i.ReplicaUpdates, i.TableClass, i.DeletionProtectionEnabled, i.OnDemandThroughput];
  if (changes.every((c) => c === undefined)) {
    throw validation('At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required');
  }
  let next: TableMeta = { ...meta, indexes: [...meta.indexes], attributeDefinitions: [...meta.attributeDefinitions] };
  const now = Date.now();
  if (i.BillingMode !== undefined || i.ProvisionedThroughput !== undefined) {
    const mode = i.BillingMode ?? meta.billingMode;
    const b = billingOf(mode, mode === 'PAY_PER_REQUEST' ? undefined : (i.ProvisionedThroughput ?? { ReadCapacityUnits: meta.provisioned.read || 5, WriteCapacityUnits: meta.provisioned.write || 5 }));
    if (mode === 'PAY_PER_REQUEST' && i.ProvisionedThroughput) throw invalidParameter('Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST');
    if (b.billingMode === 'PAY_PER_REQUEST' && meta.billingMode !== 'PAY_PER_REQUEST') next.payPerRequestSince = now / 1000;
    next.billingMode = b.billingMode;
    next.provisioned = b.provisioned;
  }
  for (const a of i.AttributeDefinitions ?? []) {
    const have = next.attributeDefinitions.find((d) => d.AttributeName === a.AttributeName);
    if (have && have.AttributeType !== a.AttributeType) {
      throw invalidParameter(`Cannot change the type of an existing key attribute: ${a.AttributeName}`);
    }
    if (!have) next.attributeDefinitions.push({ AttributeName: a.AttributeName, AttributeType: a.AttributeType as ScalarType });
  }
  const updates = i.GlobalSecondaryIndexUpdates ?? [];
  const online = updates.filter((u) => u.Create || u.Delete).length;
  if (online > 1) throw limitExceeded('Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table');
  let backfill: string | null = null;
  let drop: string | null = null;
  for (const u of updates) {
    const n = [u.Create, u.Update, u.Delete].filter((x) => x !== undefined).length;
    if (n !== 1) throw invalidParameter('GlobalSecondaryIndexUpdate must have exactly one of Create, Update or Delete');
    if (u.Create) {
      if (next.indexes.some((x) => x.name === u.Create!.IndexName)) throw invalidParameter(`Index already exists: ${u.Create.IndexName}`);
      const defined = next.attributeDefinitions.map((d) => d.AttributeName);
      const ix = gsiOf(u.Create, defined, next.billingMode, now);
      if (next.indexes.filter((x) => x.kind === 'global').length >= 20) throw limitExceeded('Subscriber limit exceeded: the number of global secondary indexes for this table exceeds the limit of 20');
      next.indexes.push(ix);
      backfill = ix.name;
    } else if (u.Update) {
      const ix = next.indexes.find((x) => x.name === u.Update!.IndexName && x.kind === 'global');
      if (!ix) throw resourceNotFound(`Requested resource not found: Index: ${u.Update.IndexName} not found`);
      const pt = u.Update.ProvisionedThroughput;
      if (pt) next.indexes = next.indexes.map((x) => (x === ix ? { ...x, provisioned: { read: pt.ReadCapacityUnits, write: pt.WriteCapacityUnits } } : x));
    } else if (u.Delete) {
      const ix = next.indexes.find((x) => x.name === u.Delete!.IndexName && x.kind === 'global');
      if (!ix) throw resourceNotFound(`Requested resource not found: Index: ${u.Delete.IndexName} not found`);
      next.indexes = next.indexes.filter((x) => x !== ix);
      drop = ix.name;
    }
  }
  // AttributeDefinitions list key attributes only: those no key uses any more go
  // (DescribeTable after an index is deleted no longer shows its key attributes).
  const used = new Set([next.key.hash, next.key.range, ...next.indexes.flatMap((x) => [x.key.hash, x.key.range])].filter((n): n is string => n !== undefined));
  next.attributeDefinitions = next.attributeDefinitions.filter((d) => used.has(d.AttributeName));
  if (i.DeletionProtectionEnabled !== undefined) next.deletionProtection = i.DeletionProtectionEnabled;
  if (i.TableClass !== undefined) next.tableClass = i.TableClass;
  const ss = i.StreamSpecification;
  if (ss) {
    if (ss.StreamEnabled && meta.stream) throw validation(`Table already has an enabled stream: TableName: ${meta.name}`);
    if (!ss.StreamEnabled && !meta.stream) throw validation(`Table already has no enabled stream: TableName: ${meta.name}`);
    if (ss.StreamEnabled && !ss.StreamViewType) throw validation('StreamViewType is required when StreamEnabled is true');
  }
  const saved = next;
  await engine.store.updateTable(meta.name, () => JSON.stringify(saved));
  engine.remember(next);
  if (drop) await engine.store.dropIndex(meta.storeId, drop);
  if (backfill) await engine.backfillIndex(next, backfill);
  if (ss?.StreamEnabled) next = await newStream(engine, next, ss.StreamViewType as StreamViewType);
  else if (ss && !ss.StreamEnabled) next = await disableStream(engine, next);
  return next;
}

export function updateTable(engine: DynamoEngine): Operation<'UpdateTable'> {
  return defineOperation({
    name: 'UpdateTable',
    input,
    output: struct({ TableDescription: member(document()) }),
    handler: async (i) => {
      const name = tableNameOf(i.TableName);
      const meta = await engine.findTable(name);
      if (!meta) throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
      const next = await updateTableWith(engine, meta, i);
      return { TableDescription: describeTable(next, await countsOf(engine, next), 'UPDATING') as never };
    },
  });
}
