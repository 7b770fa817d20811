/** DeleteTable: items go at once; the answer says DELETING as AWS's does. Its stream stays readable for 24 hours. */
import { defineOperation, document, member, required, struct, type Operation } from '../../aws';
import { TABLE_NAME_OR_ARN, tableNameOf } from './common';
import { countsOf } from './describe-table';
import type { DynamoEngine } from './engine';
import { resourceInUse, tableNotFound } from './errors';
import { describeTable, type TableMeta } from './table';

/** Deletes a table; null if it does not exist. Refuses tables with deletion protection. */
export async function deleteTableNamed(engine: DynamoEngine, name: string): Promise<{ meta: TableMeta; description: Record<string, unknown> } | null> {
  const meta = await engine.findTable(name);
  if (!meta) return null;
  if (meta.deletionProtection) throw resourceInUse(`Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`);
  const counts = await countsOf(engine, meta);
  const row = await engine.store.deleteTable(name);
  engine.forget(name);
  if (!row) return null;
  const gone = JSON.parse(row.meta) as TableMeta;
  return { meta: gone, description: describeTable(gone, counts, 'DELETING') };
}

export function deleteTable(engine: DynamoEngine): Operation<'DeleteTable'> {
  return defineOperation({
    name: 'DeleteTable',
    input: struct({ TableName: required(TABLE_NAME_OR_ARN) }),
    output: struct({ TableDescription: member(document()) }),
    handler: async (i) => {
      const name = tableNameOf(i.TableName);
      const r = await deleteTableNamed(engine, name);
      if (!r) throw tableNotFound(name);
      return { TableDescription: r.description as never };
    },
  });
}
