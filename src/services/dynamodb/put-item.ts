/** PutItem: replaces the whole item, optionally under a condition on the item it replaces. */
import { defineOperation, required, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, TABLE_NAME_OR_ARN, WRITE_MEMBERS, WRITE_OUTPUT, checkItemSize, checkReturnValues, parseItem, tableNameOf, writeResult } from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { checkIndexKeys, itemKey } from './keys';
import { compileRequest } from './legacy';

export function putItem(engine: DynamoEngine): Operation<'PutItem'> {
  return defineOperation({
    name: 'PutItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Item: required(ATTRIBUTE_MAP),
      ...WRITE_MEMBERS,
    }),
    output: WRITE_OUTPUT,
    handler: async (i) => {
      const item = parseItem(i.Item)!;
      const rv = checkReturnValues(i.ReturnValues, ['NONE', 'ALL_OLD']);
      // Expected / ConditionalOperator become a ConditionExpression (legacy.ts).
      const expr = compileRequest('PutItem', i);
      const meta = await engine.table(tableNameOf(i.TableName));
      const key = itemKey(meta, item);
      checkIndexKeys(meta, item);
      checkItemSize(item);
      const onFail = i.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
      const out = await engine.write({
        meta,
        key,
        decide: (old) => {
          if (expr.condition && !expr.condition(old ?? undefined)) return { kind: 'fail', error: conditionalCheckFailed(onFail && old ? old : undefined) };
          return { kind: 'put', item };
        },
      });
      return writeResult(i, meta, out, rv === 'ALL_OLD' ? (out.old ?? undefined) : undefined) as never;
    },
  });
}
