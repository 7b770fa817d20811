/** PutItem: replaces the whole item, optionally under a condition on the item it replaces. */
import { defineOperation, document, member, required, str, strEnum, struct, type Operation } from '../../aws';
import {
  ATTRIBUTE_MAP,
  EXPRESSION_MEMBERS,
  RETURN_CONSUMED,
  RETURN_METRICS,
  TABLE_NAME_OR_ARN,
  capacity,
  checkItemSize,
  checkReturnValues,
  collectionMetrics,
  parseItem,
  tableNameOf,
  writeUnits,
} from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { checkIndexKeys, itemKey } from './keys';
import { compileRequest } from './legacy';
import type { Item } from './model/attribute-value';

export const RV_ON_FAILURE = member(strEnum(['ALL_OLD', 'NONE']));

export function putItem(engine: DynamoEngine): Operation<'PutItem'> {
  return defineOperation({
    name: 'PutItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Item: required(ATTRIBUTE_MAP),
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
      const result: { Attributes?: Item; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = {};
      if (rv === 'ALL_OLD' && out.old) result.Attributes = out.old;
      const cc = capacity(i.ReturnConsumedCapacity, meta.name, writeUnits(out.old, item), 'write');
      if (cc) result.ConsumedCapacity = cc;
      const cm = collectionMetrics(i.ReturnItemCollectionMetrics, meta, item);
      if (cm) result.ItemCollectionMetrics = cm;
      return result as never;
    },
  });
}
