/** DescribeTable: ItemCount and TableSizeBytes are counted now (AWS refreshes them about every six hours). */
import { defineOperation, document, member, required, struct, type Operation } from '../../aws';
import { TABLE_NAME_OR_ARN, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { tableNotFound } from './errors';
import { describeTable, type Counts, type TableMeta } from './table';

export async function countsOf(engine: DynamoEngine, meta: TableMeta): Promise<Counts> {
  const base = await engine.store.countItems(meta.storeId, '');
  const indexes: Counts['indexes'] = {};
  for (const ix of meta.indexes) indexes[ix.name] = await engine.store.countItems(meta.storeId, ix.name);
  return { ...base, indexes };
}

export function describeTableOp(engine: DynamoEngine): Operation<'DescribeTable'> {
  return defineOperation({
    name: 'DescribeTable',
    input: struct({ TableName: required(TABLE_NAME_OR_ARN) }),
    output: struct({ Table: member(document()) }),
    handler: async (i) => {
      const name = tableNameOf(i.TableName);
      const meta = await engine.findTable(name);
      if (!meta) throw tableNotFound(name);
      return { Table: describeTable(meta, await countsOf(engine, meta)) as never };
    },
  });
}
