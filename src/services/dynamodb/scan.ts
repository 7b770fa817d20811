/**
 * Scan: every item of the table or index in hash order; a parallel scan's
 * segment is a contiguous range of the 32-bit partition-key hash, so segments
 * never overlap and together cover everything.
 */
import { bool, defineOperation, document, int, member, required, str, struct, type Operation } from '../../aws';
import { ATTRIBUTE_MAP, EXPRESSION_MEMBERS, INDEX_NAME, RETURN_CONSUMED, SELECT, TABLE_NAME_OR_ARN, parseItem, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { validation } from './errors';
import { attributesToGet } from './get-item';
import { compileRequest } from './legacy';
import { READ_OUTPUT, readPage, readTarget, selectMode, startAfter } from './reads';

const HASH_SPACE = 2 ** 32;

export function scan(engine: DynamoEngine): Operation<'Scan'> {
  return defineOperation({
    name: 'Scan',
    input: struct({
      TableName: required(TABLE_NAME_OR_ARN),
      IndexName: member(INDEX_NAME),
      Select: member(SELECT),
      Limit: member(int({ min: 1 })),
      ConsistentRead: member(bool()),
      FilterExpression: member(str()),
      ProjectionExpression: member(str()),
      ...EXPRESSION_MEMBERS,
      ExclusiveStartKey: member(ATTRIBUTE_MAP),
      Segment: member(int({ min: 0, max: 999999 })),
      TotalSegments: member(int({ min: 1, max: 1000000 })),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      AttributesToGet: member(document()),
      ScanFilter: member(document()),
      ConditionalOperator: member(str()),
    }),
    output: READ_OUTPUT,
    handler: async (i) => {
      if (i.TotalSegments !== undefined && i.Segment === undefined) {
        throw validation('The Segment parameter is required but was not present in the request when parameter TotalSegments is present');
      }
      if (i.Segment !== undefined && i.TotalSegments === undefined) {
        throw validation('The TotalSegments parameter is required but was not present in the request when Segment parameter is present');
      }
      if (i.Segment !== undefined && i.TotalSegments !== undefined && i.Segment >= i.TotalSegments) {
        throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${i.Segment} is not less than TotalSegments: ${i.TotalSegments}`);
      }
      // ScanFilter / ConditionalOperator become a FilterExpression (legacy.ts).
      const expr = compileRequest('Scan', i);
      const legacy = attributesToGet(i.AttributesToGet as string[] | undefined, i.ProjectionExpression);
      const esk = parseItem(i.ExclusiveStartKey);
      const meta = await engine.table(tableNameOf(i.TableName));
      const target = readTarget(meta, i.IndexName, i.ConsistentRead);
      const select = selectMode(target, i.Select, i.ProjectionExpression !== undefined || legacy !== undefined);
      const total = i.TotalSegments ?? 1;
      const seg = i.Segment ?? 0;
      const hFrom = Math.floor((seg * HASH_SPACE) / total);
      const hTo = Math.floor(((seg + 1) * HASH_SPACE) / total) - 1;
      const after0 = startAfter(target, esk);
      if (after0 && (after0.h < hFrom || after0.h > hTo)) {
        throw validation('The provided Exclusive start key does not map to the provided Segment and TotalSegments values.');
      }
      return (await readPage(engine, {
        target,
        expr,
        select,
        limit: i.Limit,
        consistent: i.ConsistentRead === true,
        returnConsumed: i.ReturnConsumedCapacity,
        legacyProjection: legacy,
        fetch: (last, n) =>
          engine.store.scan({
            tableId: meta.storeId,
            index: target.index?.name ?? '',
            hFrom,
            hTo,
            after: last ?? after0,
            limit: n,
          }),
      })) as never;
    },
  });
}
