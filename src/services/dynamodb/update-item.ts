/**
 * UpdateItem: applies an UpdateExpression to the item (creating it from its
 * key when absent), optionally under a condition. UPDATED_OLD / UPDATED_NEW
 * return only the paths the expression touched, as AWS does.
 */
import { defineOperation, document, member, required, str, strEnum, struct, type Operation } from '../../aws';
import {
  ATTRIBUTE_MAP,
  EXPRESSION_MEMBERS,
  RETURN_CONSUMED,
  RETURN_METRICS,
  TABLE_NAME_OR_ARN,
  capacity,
  checkItemSize,
  collectionMetrics,
  parseItem,
  tableNameOf,
  writeUnits,
} from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { projectPaths, type Path } from './expressions';
import { checkIndexKeys, checkKey } from './keys';
import { compileRequest } from './legacy';
import type { Item } from './model/attribute-value';
import { RV_ON_FAILURE } from './put-item';

export function updateItem(engine: DynamoEngine): Operation<'UpdateItem'> {
  return defineOperation({
    name: 'UpdateItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Key: required(ATTRIBUTE_MAP),
      UpdateExpression: member(str()),
      ConditionExpression: member(str()),
      ...EXPRESSION_MEMBERS,
      ReturnValues: member(strEnum(['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'])),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      ReturnItemCollectionMetrics: RETURN_METRICS,
      ReturnValuesOnConditionCheckFailure: RV_ON_FAILURE,
      AttributeUpdates: member(document()),
      Expected: member(document()),
      ConditionalOperator: member(str()),
    }),
    output: struct({ Attributes: member(document()), ConsumedCapacity: member(document()), ItemCollectionMetrics: member(document()) }),
    handler: async (i) => {
      const key = parseItem(i.Key)!;
      // AttributeUpdates / Expected / ConditionalOperator become expressions (legacy.ts).
      const expr = compileRequest('UpdateItem', i);
      const meta = await engine.table(tableNameOf(i.TableName));
      checkKey(meta, key);
      const onFail = i.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
      let paths: Path[] = [];
      const out = await engine.write({
        meta,
        key,
        decide: (old) => {
          if (expr.condition && !expr.condition(old ?? undefined)) return { kind: 'fail', error: conditionalCheckFailed(onFail && old ? old : undefined) };
          try {
            let next: Item;
            if (expr.update) {
              const r = expr.update(old ?? undefined, key);
              next = { ...r.item, ...key };
              paths = r.updatedPaths;
            } else {
              next = old ?? { ...key };
            }
            checkIndexKeys(meta, next);
            checkItemSize(next);
            return { kind: 'put', item: next };
          } catch (e) {
            return { kind: 'fail', error: e as Error };
          }
        },
      });
      const result: { Attributes?: Item; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = {};
      let attrs: Item | undefined;
      switch (i.ReturnValues ?? 'NONE') {
        case 'ALL_OLD':
          attrs = out.old ?? undefined;
          break;
        case 'ALL_NEW':
          attrs = out.new ?? undefined;
          break;
        case 'UPDATED_OLD':
          attrs = out.old ? projectPaths(out.old, paths) : undefined;
          break;
        case 'UPDATED_NEW':
          attrs = out.new ? projectPaths(out.new, paths) : undefined;
          break;
      }
      if (attrs && Object.keys(attrs).length > 0) result.Attributes = attrs;
      const cc = capacity(i.ReturnConsumedCapacity, meta.name, writeUnits(out.old, out.new), 'write');
      if (cc) result.ConsumedCapacity = cc;
      const cm = collectionMetrics(i.ReturnItemCollectionMetrics, meta, out.new);
      if (cm) result.ItemCollectionMetrics = cm;
      return result as never;
    },
  });
}
