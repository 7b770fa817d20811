/** Query: one partition of the table or an index, in sort-key order (or reversed), paged. */
import { bool, defineOperation, document, int, member, required, str, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, EXPRESSION_MEMBERS, INDEX_NAME, RETURN_CONSUMED, SELECT, TABLE_NAME_OR_ARN, parseItem, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { validation } from './errors';
import { attributesToGet } from './get-item';
import { hash32 } from './keys';
import { compileRequest } from './legacy';
import { compareScalar, encodeKey, keyPrefixUpperBound, type AttributeValue } from './model/attribute-value';
import { READ_OUTPUT, readPage, readTarget, selectMode, startAfter } from './reads';
import { attributeType } from './table';

function shown(v: AttributeValue): string {
  const [t, x] = Object.entries(v)[0] as [string, unknown];
  return `{${t}:${String(x)}}`;
}

export function query(engine: DynamoEngine): Operation<'Query'> {
  return defineOperation({
    name: 'Query',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      IndexName: member(INDEX_NAME),
      Select: member(SELECT),
      Limit: member(int({ min: 1 })),
      ConsistentRead: member(bool()),
      KeyConditionExpression: member(str()),
      FilterExpression: member(str()),
      ProjectionExpression: member(str()),
      ...EXPRESSION_MEMBERS,
      ScanIndexForward: member(bool()),
      ExclusiveStartKey: member(ATTRIBUTE_MAP),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      AttributesToGet: member(document()),
      KeyConditions: member(document()),
      QueryFilter: member(document()),
      ConditionalOperator: member(str()),
    }),
    output: READ_OUTPUT,
    handler: async (i) => {
      // KeyConditions / QueryFilter / ConditionalOperator become expressions (legacy.ts), checked first as DynamoDB does.
      const expr = compileRequest('Query', i);
      const legacy = attributesToGet(i.AttributesToGet as string[] | undefined, i.ProjectionExpression);
      const esk = parseItem(i.ExclusiveStartKey);
      const meta = await engine.table(tableNameOf(i.TableName));
      const target = readTarget(meta, i.IndexName, i.ConsistentRead);
      const select = selectMode(target, i.Select, i.ProjectionExpression !== undefined || legacy !== undefined);
      const types: Record<string, 'S' | 'N' | 'B'> = { [target.key.hash]: attributeType(meta, target.key.hash) };
      if (target.key.range) types[target.key.range] = attributeType(meta, target.key.range);
      expr.checkFilterKeys?.([target.key.hash, ...(target.key.range ? [target.key.range] : [])]);
      const kc = expr.keyCondition!({ hash: target.key.hash, range: target.key.range, types });
      const pk = encodeKey(kc.hash);
      const h = hash32(pk);
      let lower: { key: Buffer; inclusive: boolean } | undefined;
      let upper: { key: Buffer; inclusive: boolean } | undefined;
      if (kc.range) {
        const [a, b] = kc.range.values;
        const enc = encodeKey(a);
        switch (kc.range.op) {
          case 'EQ':
            lower = { key: enc, inclusive: true };
            upper = { key: enc, inclusive: true };
            break;
          case 'LT':
            upper = { key: enc, inclusive: false };
            break;
          case 'LE':
            upper = { key: enc, inclusive: true };
            break;
          case 'GT':
            lower = { key: enc, inclusive: false };
            break;
          case 'GE':
            lower = { key: enc, inclusive: true };
            break;
          case 'BETWEEN':
            if (compareScalar(a, b) > 0) {
              throw validation(
                `Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${shown(a)}, upper bound operand: AttributeValue: ${shown(b)}`,
              );
            }
            lower = { key: enc, inclusive: true };
            upper = { key: encodeKey(b), inclusive: true };
            break;
          case 'BEGINS_WITH': {
            lower = { key: enc, inclusive: true };
            const ub = keyPrefixUpperBound(enc);
            if (ub) upper = { key: ub, inclusive: false };
            break;
          }
        }
      }
      const after0 = startAfter(target, esk);
      if (after0 && (after0.h !== h || !after0.pk.equals(pk))) {
        throw validation('The provided starting key is outside query boundaries based on provided conditions');
      }
      const reverse = i.ScanIndexForward === false;
      return (await readPage(engine, {
        target,
        expr,
        select,
        limit: i.Limit,
        consistent: i.ConsistentRead === true,
        returnConsumed: i.ReturnConsumedCapacity,
        legacyProjection: legacy,
        fetch: (last, n) =>
          engine.store.query({
            tableId: meta.storeId,
            index: target.index?.name ?? '',
            h,
            pk,
            lower,
            upper,
            reverse,
            after: last ? { sk: last.sk, bpk: last.bpk, bsk: last.bsk } : after0 ? { sk: after0.sk, bpk: after0.bpk, bsk: after0.bsk } : undefined,
            limit: n,
          }),
      })) as never;
    },
  });
}
