/** GetItem: every read is strongly consistent here, so ConsistentRead only changes the capacity reported. */
import { RawJson, bool, defineOperation, document, list, member, required, str, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, NAMES_MAP, RETURN_CONSUMED, TABLE_NAME_OR_ARN, capacity, parseItem, readUnits, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { validation } from './errors';
import { compileExpressions } from './expressions';
import { checkKey } from './keys';
import { itemSize, type Item } from './model/attribute-value';

export const ATTRIBUTES_TO_GET = member(list(str(), { min: 1 }));

/** Legacy AttributesToGet: top-level names only; not together with a ProjectionExpression. */
export function attributesToGet(names: string[] | undefined, projection: string | undefined): ((item: Item) => Item) | undefined {
  if (!names) return undefined;
  if (projection !== undefined) {
    throw validation('Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}');
  }
  if (new Set(names).size !== names.length) throw validation(`One or more parameter values were invalid: Duplicate value in attribute name: ${names.find((n, i) => names.indexOf(n) !== i)}`);
  return (item) => {
    const out: Item = {};
    for (const n of names) if (item[n] !== undefined) out[n] = item[n];
    return out;
  };
}

export function getItem(engine: DynamoEngine): Operation<'GetItem'> {
  return defineOperation({
    name: 'GetItem',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      Key: required(ATTRIBUTE_MAP),
      ConsistentRead: member(bool()),
      ProjectionExpression: member(str()),
      ExpressionAttributeNames: member(NAMES_MAP),
      AttributesToGet: ATTRIBUTES_TO_GET,
      ReturnConsumedCapacity: RETURN_CONSUMED,
    }),
    output: struct({ Item: member(document()), ConsumedCapacity: member(document()) }),
    handler: async (i) => {
      const key = parseItem(i.Key)!;
      const legacy = attributesToGet(i.AttributesToGet, i.ProjectionExpression);
      const expr = compileExpressions({ operation: 'GetItem', ProjectionExpression: i.ProjectionExpression, ExpressionAttributeNames: i.ExpressionAttributeNames });
      const meta = await engine.table(tableNameOf(i.TableName));
      checkKey(meta, key);
      const out: { Item?: Item | RawJson; ConsumedCapacity?: unknown } = {};
      let size = 0;
      if (!legacy && !expr.project) {
        // The whole item: its stored JSON text goes out as it is (raw-json.ts),
        // and the row's size is the item's itemSize, recorded when it was written.
        const row = await engine.getItemRow(meta, key);
        if (row) {
          out.Item = new RawJson(row.item);
          size = row.size;
        }
      } else {
        const item = await engine.getItem(meta, key);
        if (item) {
          out.Item = legacy ? legacy(item) : expr.project!(item);
          size = itemSize(item);
        }
      }
      const cc = capacity(i.ReturnConsumedCapacity, meta.name, readUnits(size, i.ConsistentRead === true), 'read');
      if (cc) out.ConsumedCapacity = cc;
      return out as never;
    },
  });
}
