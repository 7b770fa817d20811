/** DeleteItem: deleting an item that does not exist succeeds (unless a condition says otherwise). */
import { defineOperation, document, member, required, str, strEnum, struct, type Operation } from '../../aws';
import {
  ATTRIBUTE_MAP,
  EXPRESSION_MEMBERS,
  RETURN_CONSUMED,
  RETURN_METRICS,
  TABLE_NAME_OR_ARN,
  capacity,
  checkReturnValues,
  collectionMetrics,
  parseItem,
  tableNameOf,
  writeUnits,
} from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { checkKey } from './keys';
import { compileRequest } from './legacy';
import type { Item } from './model/attribute-value';
import { RV_ON_FAILURE } from './put-item';

export function deleteItem(engine: DynamoEngine): Operation<'DeleteItem'> {
  return defineOperation({
    name: 'DeleteItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Key: required(ATTRIBUTE_MAP),
      ConditionExpression: member(str()),
      ...EXPRESSION_MEMBERS,
      ReturnValues: member(strEnum(['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'])),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      ReturnItemCollectionMetrics: RETURN_METRICS,
      ReturnValuesOnConditionCheckFailure: RV_ON_FAILURE,
      Expected: member(document()),
      ConditionalOperator: member(str()),
    }),
    output: struct({ Attributes: member(document()), ConsumedCapacity: member(document()), ItemCollectionMetrics: member(document()) }),
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
      const result: { Attributes?: Item; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = {};
      if (rv === 'ALL_OLD' && out.old) result.Attributes = out.old;
      const cc = capacity(i.ReturnConsumedCapacity, meta.name, writeUnits(out.old, null), 'write');
      if (cc) result.ConsumedCapacity = cc;
      const cm = collectionMetrics(i.ReturnItemCollectionMetrics, meta, out.old);
      if (cm) result.ItemCollectionMetrics = cm;
      return result as never;
    },
  });
}
