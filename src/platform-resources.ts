/**
 * CloudFormation resource providers: how `resources.Resources` entries become
 * resources of Nimbus' services. Composition glue (like platform-lambda.ts):
 * app/ plans the deploy, the services own the resources.
 *
 * AWS::DynamoDB::Table follows CloudFormation's documented update behaviour:
 * TableName, KeySchema, LocalSecondaryIndexes (and their attribute types)
 * need a replacement; billing, throughput, global secondary indexes (added or
 * removed one at a time, as UpdateTable allows), the stream, TTL, tags and
 * deletion protection update in place, keeping the items.
 */
import { randomBytes } from 'node:crypto';
import type { JsonValue } from './aws';
import { validate, type DecodedStruct } from './aws/codec';
import { jsonEqual, type ResourceProvider } from './app/cloudformation/reconcile';
import { PlatformError } from './errors';
import type { DynamoEngine } from './services/dynamodb';
import { createTable, createTableFrom, type CreateTableInput } from './services/dynamodb/create-table';
import { deleteTableNamed } from './services/dynamodb/delete-table';
import { disableStream, newStream } from './services/dynamodb/streams';
import { keySchemaWire, type StreamViewType, type TableMeta } from './services/dynamodb/table';
import { setTimeToLive } from './services/dynamodb/time-to-live';
import { updateTableWith, type UpdateTableInput } from './services/dynamodb/update-table';

type Props = Record<string, JsonValue>;

function obj(v: JsonValue | undefined): Props {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Props) : {};
}

function arr(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

/** CloudFormation accepts numbers as strings ("5"); DynamoDB wants numbers. Anything else is a template error. */
function num(v: JsonValue | undefined, where: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new PlatformError('ERR_APP_DEPLOY', `Properties.${where} must be a whole number (got ${JSON.stringify(v ?? null)})`);
  return n;
}

function throughput(v: JsonValue | undefined, where: string): { ReadCapacityUnits: number; WriteCapacityUnits: number } | undefined {
  if (v === undefined || v === null) return undefined;
  const p = obj(v);
  return { ReadCapacityUnits: num(p.ReadCapacityUnits, `${where}.ReadCapacityUnits`), WriteCapacityUnits: num(p.WriteCapacityUnits, `${where}.WriteCapacityUnits`) };
}

function keySchema(v: JsonValue | undefined): { AttributeName: string; KeyType: string }[] {
  return arr(v).map((k) => ({ AttributeName: String(obj(k).AttributeName), KeyType: String(obj(k).KeyType) }));
}

function projection(v: JsonValue | undefined): { ProjectionType?: string; NonKeyAttributes?: string[] } {
  const p = obj(v);
  const out: { ProjectionType?: string; NonKeyAttributes?: string[] } = {};
  if (p.ProjectionType !== undefined) out.ProjectionType = String(p.ProjectionType);
  if (p.NonKeyAttributes !== undefined) out.NonKeyAttributes = arr(p.NonKeyAttributes).map(String);
  return out;
}

function gsi(v: JsonValue, i: number): NonNullable<CreateTableInput['GlobalSecondaryIndexes']>[number] {
  const g = obj(v);
  const out: NonNullable<CreateTableInput['GlobalSecondaryIndexes']>[number] = {
    IndexName: String(g.IndexName),
    KeySchema: keySchema(g.KeySchema) as never,
    Projection: projection(g.Projection) as never,
  };
  const pt = throughput(g.ProvisionedThroughput, `GlobalSecondaryIndexes[${i}].ProvisionedThroughput`);
  if (pt) out.ProvisionedThroughput = pt;
  return out;
}

function tableName(logicalId: string, stackName: string, props: Props): string {
  if (typeof props.TableName === 'string') return props.TableName;
  // CloudFormation's generated names: <stack>-<LogicalId>-<random suffix>.
  return `${stackName}-${logicalId}-${randomBytes(6).toString('hex').toUpperCase()}`.slice(0, 255);
}

function createInput(name: string, p: Props): CreateTableInput {
  const input: CreateTableInput = {
    TableName: name,
    AttributeDefinitions: arr(p.AttributeDefinitions).map((a) => ({ AttributeName: String(obj(a).AttributeName), AttributeType: String(obj(a).AttributeType) })) as never,
    KeySchema: keySchema(p.KeySchema) as never,
  };
  if (p.BillingMode !== undefined) input.BillingMode = String(p.BillingMode) as never;
  const pt = throughput(p.ProvisionedThroughput, 'ProvisionedThroughput');
  if (pt) input.ProvisionedThroughput = pt;
  if (p.GlobalSecondaryIndexes !== undefined) input.GlobalSecondaryIndexes = arr(p.GlobalSecondaryIndexes).map(gsi);
  if (p.LocalSecondaryIndexes !== undefined) {
    input.LocalSecondaryIndexes = arr(p.LocalSecondaryIndexes).map((l) => ({
      IndexName: String(obj(l).IndexName),
      KeySchema: keySchema(obj(l).KeySchema) as never,
      Projection: projection(obj(l).Projection) as never,
    }));
  }
  const ss = obj(p.StreamSpecification);
  // CloudFormation has only StreamViewType: a view type means the stream is on.
  if (ss.StreamViewType !== undefined) input.StreamSpecification = { StreamEnabled: true, StreamViewType: String(ss.StreamViewType) as never };
  if (p.Tags !== undefined) input.Tags = arr(p.Tags).map((t) => ({ Key: String(obj(t).Key), Value: String(obj(t).Value) }));
  if (p.DeletionProtectionEnabled !== undefined) input.DeletionProtectionEnabled = p.DeletionProtectionEnabled === true || p.DeletionProtectionEnabled === 'true';
  if (p.TableClass !== undefined) input.TableClass = String(p.TableClass) as never;
  return input;
}

/** Key order does not matter: `{ KeyType, AttributeName }` is the same key as `{ AttributeName, KeyType }`. */
function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return jsonEqual(a ?? null, b ?? null);
}

/**
 * Why an update must replace the table: CloudFormation's "Update requires: Replacement"
 * for TableName, KeySchema and LocalSecondaryIndexes, and for AttributeDefinitions "if
 * you edit an existing AttributeDefinition" (a type change; adding or removing one for a
 * global secondary index is in place). AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html
 */
function replacementCauses(p: Props, before: Props): string[] {
  const causes: string[] = [];
  if (!same(p.TableName, before.TableName)) causes.push('TableName');
  if (!same(p.KeySchema, before.KeySchema)) causes.push('KeySchema');
  if (!same(p.LocalSecondaryIndexes, before.LocalSecondaryIndexes)) causes.push('LocalSecondaryIndexes');
  const typeOf = (defs: JsonValue | undefined): Map<string, string> => new Map(arr(defs).map((a) => [String(obj(a).AttributeName), String(obj(a).AttributeType)]));
  const was = typeOf(before.AttributeDefinitions);
  const retyped = [...typeOf(p.AttributeDefinitions)].filter(([n, t]) => was.has(n) && was.get(n) !== t).map(([n]) => n);
  if (retyped.length > 0) causes.push(`AttributeDefinitions (the type of ${retyped.join(', ')})`);
  return causes;
}

function attributes(meta: TableMeta): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { Arn: meta.arn };
  if (meta.stream) out.StreamArn = meta.stream.arn;
  return out;
}

/**
 * Runs a DynamoDB call, turning its AWS error into a deploy error that keeps AWS's
 * code and words. The reconciler names the resource (file, key, type, phase) around it.
 */
async function dynamo<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof PlatformError) throw e;
    throw new PlatformError('ERR_APP_DEPLOY', `${(e as Error).name}: ${(e as Error).message}`, { cause: e });
  }
}

/** The TTL attribute TimeToLiveSpecification asks for, or null when TTL is off. */
function ttlAttribute(spec: JsonValue | undefined): string | null {
  const t = obj(spec);
  const enabled = t.Enabled === true || t.Enabled === 'true';
  if (!enabled) return null;
  if (typeof t.AttributeName !== 'string' || t.AttributeName === '') {
    throw new PlatformError('ERR_APP_DEPLOY', `Properties.TimeToLiveSpecification.AttributeName is required when Enabled is true (got ${JSON.stringify(t.AttributeName ?? null)})`);
  }
  return t.AttributeName;
}

async function applyTtl(engine: DynamoEngine, meta: TableMeta, spec: JsonValue | undefined): Promise<TableMeta> {
  const want = ttlAttribute(spec);
  const have = meta.ttl?.enabled ? meta.ttl.attribute : null;
  if (want === have) return meta;
  let m = meta;
  if (have !== null) m = await setTimeToLive(engine, m, false, have);
  if (want !== null) m = await setTimeToLive(engine, m, true, want);
  return m;
}

export function dynamoTableProvider(engine: DynamoEngine): ResourceProvider {
  // CloudFormation hands the properties to CreateTable, which validates them: the same
  // checks and words as the API's (a bad type, name or view type fails the deploy).
  const createShape = createTable(engine).input;
  const checkedInput = (name: string, p: Props): CreateTableInput => {
    const input = createInput(name, p);
    validate(createShape, input as unknown as DecodedStruct);
    return input;
  };
  /** Creates the whole table or nothing: the reconciler only knows of (and rolls back) tables whose create returned. */
  const createWhole = async (name: string, p: Props): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }> => {
    const input = checkedInput(name, p);
    ttlAttribute(p.TimeToLiveSpecification);
    let meta = await createTableFrom(engine, input);
    try {
      meta = await applyTtl(engine, meta, p.TimeToLiveSpecification);
    } catch (e) {
      await deleteTableNamed(engine, name).catch(() => undefined);
      throw e;
    }
    return { physicalId: name, attributes: attributes(meta) };
  };
  const load = async (name: string): Promise<TableMeta> => {
    engine.forget(name);
    const meta = await engine.findTable(name);
    if (!meta) throw new PlatformError('ERR_APP_DEPLOY', `table ${name} no longer exists`);
    return meta;
  };
  /** Changes a table in place from `before` to `p` (comparing with the live table where it can). */
  const updateInPlace = async (physicalId: string, p: Props, before: Props): Promise<{ physicalId: string; attributes: Record<string, JsonValue> }> => {
    const want = checkedInput(physicalId, p);
    ttlAttribute(p.TimeToLiveSpecification);
    let meta = await load(physicalId);
    const base: UpdateTableInput = { TableName: physicalId };
    const billing: UpdateTableInput = { ...base };
    if (!same(p.BillingMode, before.BillingMode) || !same(p.ProvisionedThroughput, before.ProvisionedThroughput)) {
      billing.BillingMode = want.BillingMode ?? 'PROVISIONED';
      if (want.ProvisionedThroughput) billing.ProvisionedThroughput = want.ProvisionedThroughput;
    }
    if (!same(p.DeletionProtectionEnabled, before.DeletionProtectionEnabled)) billing.DeletionProtectionEnabled = want.DeletionProtectionEnabled ?? false;
    if (!same(p.TableClass, before.TableClass)) billing.TableClass = want.TableClass ?? 'STANDARD';
    if (Object.keys(billing).length > 1) meta = await updateTableWith(engine, meta, billing);
    // Global secondary indexes: one create or delete per UpdateTable, as AWS allows.
    const wanted = new Map((want.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g]));
    for (const ix of meta.indexes.filter((i) => i.kind === 'global')) {
      const g = wanted.get(ix.name);
      const differs =
        g !== undefined &&
        (JSON.stringify(keySchemaWire(ix.key)) !== JSON.stringify(g.KeySchema) ||
          ix.projection.type !== g.Projection.ProjectionType ||
          JSON.stringify(ix.projection.nonKeyAttributes) !== JSON.stringify(g.Projection.NonKeyAttributes ?? []));
      if (!g || differs) {
        meta = await updateTableWith(engine, meta, { ...base, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: ix.name } }] });
      } else if (g.ProvisionedThroughput && meta.billingMode === 'PROVISIONED' && !same(g.ProvisionedThroughput as never, ix.provisioned ? ({ ReadCapacityUnits: ix.provisioned.read, WriteCapacityUnits: ix.provisioned.write } as never) : null)) {
        meta = await updateTableWith(engine, meta, { ...base, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: ix.name, ProvisionedThroughput: g.ProvisionedThroughput } }] });
      }
    }
    for (const g of wanted.values()) {
      if (meta.indexes.some((i) => i.name === g.IndexName)) continue;
      meta = await updateTableWith(engine, meta, { ...base, AttributeDefinitions: want.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: g }] });
    }
    const view = want.StreamSpecification?.StreamViewType as StreamViewType | undefined;
    if ((meta.stream?.viewType ?? undefined) !== view) {
      if (meta.stream) meta = await disableStream(engine, meta);
      if (view) meta = await newStream(engine, meta, view);
    }
    meta = await applyTtl(engine, meta, p.TimeToLiveSpecification);
    if (!same(p.Tags, before.Tags)) {
      const tags: Record<string, string> = {};
      for (const t of want.Tags ?? []) tags[t.Key] = t.Value;
      const next: TableMeta = { ...meta, tags };
      await engine.store.updateTable(physicalId, () => JSON.stringify(next));
      engine.remember(next);
      meta = next;
    }
    return { physicalId, attributes: attributes(meta) };
  };
  return {
    type: 'AWS::DynamoDB::Table',
    async create({ logicalId, stackName, properties }) {
      const p = obj(properties);
      const name = tableName(logicalId, stackName, p);
      return dynamo(() => createWhole(name, p));
    },
    async update({ logicalId, stackName, physicalId, previous, properties }) {
      const p = obj(properties);
      const before = obj(previous);
      const causes = replacementCauses(p, before);
      if (causes.length > 0) {
        if (typeof p.TableName === 'string' && p.TableName === physicalId) {
          // CloudFormation's own words (AWS knowledge center: cloudformation-custom-name).
          throw new PlatformError(
            'ERR_APP_DEPLOY',
            `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${physicalId} and update the stack again (changing ${causes.join(' and ')} replaces the table; or remove TableName)`,
          );
        }
        const name = tableName(logicalId, stackName, p);
        return dynamo(() => createWhole(name, p));
      }
      try {
        return await dynamo(() => updateInPlace(physicalId, p, before));
      } catch (e) {
        // Half an update is no state to leave (the reconciler restores only resources whose
        // update returned): put back what had changed, as CloudFormation rolls back the
        // failed resource too.
        await updateInPlace(physicalId, before, p).catch(() => undefined);
        throw e;
      }
    },
    async delete({ physicalId }) {
      // Deletion protection holds in CloudFormation too; a table already gone is fine.
      await dynamo(() => deleteTableNamed(engine, physicalId));
    },
    ref: (physicalId) => physicalId,
    // AWS::DynamoDB::Table's return values (StreamArn only with a StreamSpecification).
    attributeNames: ['Arn', 'StreamArn'],
  };
}
