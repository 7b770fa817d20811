/**
 * UpdateTimeToLive / DescribeTimeToLive. Expired items are deleted by the
 * sweeper (ttl-sweeper.ts), with a stream record each, as AWS does.
 */
import { bool, defineOperation, member, required, str, struct, type Operation } from '../../aws';
import { TABLE_NAME_OR_ARN, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { resourceNotFound, validation } from './errors';
import type { TableMeta } from './table';

const SPEC = struct({ Enabled: required(bool()), AttributeName: required(str({ min: 1, max: 255 })) });

export async function setTimeToLive(engine: DynamoEngine, meta: TableMeta, enabled: boolean, attribute: string): Promise<TableMeta> {
  const current = meta.ttl?.enabled ? meta.ttl : null;
  if (enabled && current) throw validation('TimeToLive is already enabled');
  if (!enabled && !current) throw validation('TimeToLive is already disabled');
  if (!enabled && current && current.attribute !== attribute) throw validation('TimeToLive is already disabled');
  const next: TableMeta = { ...meta, ttl: enabled ? { attribute, enabled: true } : null };
  await engine.store.updateTable(meta.name, () => JSON.stringify(next));
  engine.remember(next);
  // Items written before TTL was enabled carry no ttl column yet: index them now.
  await engine.reindexTtl(next);
  return next;
}

export function updateTimeToLive(engine: DynamoEngine): Operation<'UpdateTimeToLive'> {
  return defineOperation({
    name: 'UpdateTimeToLive',
    input: struct({ TableName: required(TABLE_NAME_OR_ARN), TimeToLiveSpecification: required(SPEC) }),
    output: struct({ TimeToLiveSpecification: member(SPEC) }),
    handler: async (i) => {
      const meta = await engine.findTable(tableNameOf(i.TableName));
      if (!meta) throw resourceNotFound();
      await setTimeToLive(engine, meta, i.TimeToLiveSpecification.Enabled, i.TimeToLiveSpecification.AttributeName);
      return { TimeToLiveSpecification: i.TimeToLiveSpecification };
    },
  });
}

export function describeTimeToLive(engine: DynamoEngine): Operation<'DescribeTimeToLive'> {
  return defineOperation({
    name: 'DescribeTimeToLive',
    input: struct({ TableName: required(TABLE_NAME_OR_ARN) }),
    output: struct({ TimeToLiveDescription: member(struct({ TimeToLiveStatus: member(str()), AttributeName: member(str()) })) }),
    handler: async (i) => {
      const name = tableNameOf(i.TableName);
      const meta = await engine.findTable(name);
      if (!meta) throw resourceNotFound(`Requested resource not found: Table: ${name} not found`);
      return { TimeToLiveDescription: meta.ttl?.enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: meta.ttl.attribute } : { TimeToLiveStatus: 'DISABLED' } };
    },
  });
}
