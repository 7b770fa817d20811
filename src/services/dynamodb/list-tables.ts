/** ListTables: names in order, at most Limit (1..100) per page, continuing after ExclusiveStartTableName. */
import { defineOperation, int, list, member, str, struct, type Operation } from '../../aws';
import { TABLE_NAME } from './common';
import type { DynamoEngine } from './engine';

export function listTables(engine: DynamoEngine): Operation<'ListTables'> {
  return defineOperation({
    name: 'ListTables',
    input: struct({ ExclusiveStartTableName: member(TABLE_NAME), Limit: member(int({ min: 1, max: 100 })) }),
    output: struct({ TableNames: member(list(str())), LastEvaluatedTableName: member(str()) }),
    handler: async (i) => {
      const limit = i.Limit ?? 100;
      const names = (await engine.store.listTables()).map((t) => t.name);
      // Names sort by code unit, as DynamoDB lists them.
      names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const start = i.ExclusiveStartTableName;
      const rest = start === undefined ? names : names.filter((n) => n > start);
      const page = rest.slice(0, limit);
      return rest.length > limit ? { TableNames: page, LastEvaluatedTableName: page[page.length - 1] } : { TableNames: page };
    },
  });
}
