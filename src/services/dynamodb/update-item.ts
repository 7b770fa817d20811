/**
 * UpdateItem: applies an UpdateExpression to the item (creating it from its
 * key when absent), optionally under a condition. UPDATED_OLD / UPDATED_NEW
 * return only the paths the expression touched, as AWS does.
 */
import { defineOperation, document, member, required, str, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, TABLE_NAME_OR_ARN, WRITE_MEMBERS, WRITE_OUTPUT, checkItemSize, parseItem, tableNameOf, writeResult } from './common';
import type { DynamoEngine } from './engine';
import { conditionalCheckFailed } from './errors';
import { projectPaths, type Path } from './expressions';
import { checkIndexKeys, checkKey } from './keys';
import { compileRequest } from './legacy';
import type { Item } from './model/attribute-value';

export function updateItem(engine: DynamoEngine): Operation<'UpdateItem'> {
  return defineOperation({
    name: 'UpdateItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Key: required(ATTRIBUTE_MAP),
      UpdateExpression: member(str()),
      AttributeUpdates: member(document()),
      ...WRITE_MEMBERS,
    }),
    output: WRITE_OUTPUT,
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
      return writeResult(i, meta, out, attrs) as never;
    },
  });
}
