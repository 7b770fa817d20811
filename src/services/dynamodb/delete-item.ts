/** DeleteItem: deleting an item that does not exist succeeds (unless a condition says otherwise). */
import { defineOperation, required, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, TABLE_NAME_OR_ARN, WRITE_MEMBERS, WRITE_OUTPUT, checkReturnValues, parseItem, tableNameOf, writeResult } from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { checkKey } from './keys';
import { compileRequest } from './legacy';

export function deleteItem(engine: DynamoEngine): Operation<'DeleteItem'> {
  return defineOperation({
    name: 'DeleteItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Key: required(ATTRIBUTE_MAP),
      ...WRITE_MEMBERS,
    }),
    output: WRITE_OUTPUT,
    handler: async (i) => {
      const key = parseItem(i.Key)!;
      const rv = checkReturnValues(i.ReturnValues, ['NONE', 'ALL_OLD']);
      // Expected / ConditionalOperator become a ConditionExpression (legacy.ts).
      const expr = compileRequest('DeleteItem', i);
      const meta = await engine.table(tableNameOf(i.TableName));
      checkKey(meta, key);
      const onFail = i.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
      const out = await engine.write({
        meta,
        key,
        decide: (old) => {
          if (expr.condition && !expr.condition(old ?? undefined)) return { kind: 'fail', error: conditionalCheckFailed(onFail && old ? old : undefined) };
          return old ? { kind: 'delete' } : { kind: 'none' };
        },
      });
      return writeResult(i, meta, out, rv === 'ALL_OLD' ? (out.old ?? undefined) : undefined) as never;
    },
  });
}
