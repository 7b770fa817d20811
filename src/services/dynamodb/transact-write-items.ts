/**
 * TransactWriteItems: up to 100 actions (ConditionCheck, Put, Update, Delete)
 * on distinct items, all or nothing. A failed condition cancels the whole
 * transaction with TransactionCanceledException and one reason per action, in
 * order ("None" for the others). Concurrent transactions over the same items
 * are serialized by item locks, so each sees the other's result. A
 * ClientRequestToken makes the call idempotent for 10 minutes.
 */
import { createHash } from 'node:crypto';
import { defineOperation, document, list, member, required, str, struct, ServiceError, type JsonValue, type Operation } from '../../aws';
import { RETURN_CONSUMED, RETURN_METRICS, capacity, checkItemSize, parseItem, tableNameOf, writeUnits } from './common';
import type { Decision, DynamoEngine, WriteRequest } from './engine';
import { resourceNotFound, transactionCanceled, validation, type CancellationReason } from './errors';
import { compileExpressions } from './expressions';
import { checkIndexKeys, checkKey, itemKey, rowKey } from './keys';
import type { Item } from './model/attribute-value';

const MAX_ACTIONS = 100;
const TOKEN_WINDOW_MS = 10 * 60 * 1000;

interface Action {
  TableName?: string;
  Key?: JsonValue;
  Item?: JsonValue;
  ConditionExpression?: string;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
  ReturnValuesOnConditionCheckFailure?: string;
}

const KINDS = ['ConditionCheck', 'Put', 'Delete', 'Update'] as const;

export function transactWriteItems(engine: DynamoEngine): Operation<'TransactWriteItems'> {
  return defineOperation({
    name: 'TransactWriteItems',
    input: struct({
      TransactItems: required(list(document(), { min: 1, max: MAX_ACTIONS })),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      ReturnItemCollectionMetrics: RETURN_METRICS,
      ClientRequestToken: member(str({ min: 1, max: 36 })),
    }),
    output: struct({ ConsumedCapacity: member(document()), ItemCollectionMetrics: member(document()) }),
    handler: async (i) => {
      const reqs: WriteRequest[] = [];
      const seen = new Set<string>();
      for (const raw of i.TransactItems) {
        const o = (raw ?? {}) as Record<string, Action | undefined>;
        const kinds = KINDS.filter((k) => o[k] !== undefined);
        if (kinds.length !== 1) {
          throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
        }
        const kind = kinds[0];
        const a = o[kind]!;
        if (a.TableName === undefined) throw validation(`1 validation error detected: Value null at 'transactItems.${reqs.length + 1}.member.${kind.charAt(0).toLowerCase() + kind.slice(1)}.tableName' failed to satisfy constraint: Member must not be null`);
        if (kind === 'ConditionCheck' && a.ConditionExpression === undefined) {
          throw validation(`1 validation error detected: Value null at 'transactItems.${reqs.length + 1}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null`);
        }
        const expr = compileExpressions({
          operation: kind === 'ConditionCheck' ? 'ConditionCheck' : kind === 'Put' ? 'PutItem' : kind === 'Delete' ? 'DeleteItem' : 'UpdateItem',
          ConditionExpression: a.ConditionExpression,
          UpdateExpression: kind === 'Update' ? a.UpdateExpression : undefined,
          ExpressionAttributeNames: a.ExpressionAttributeNames,
          ExpressionAttributeValues: a.ExpressionAttributeValues,
        });
        const meta = await engine.findTable(tableNameOf(a.TableName));
        if (!meta) throw resourceNotFound();
        let key: Item;
        let item: Item | undefined;
        if (kind === 'Put') {
          item = parseItem(a.Item ?? null);
          if (!item) throw validation(`1 validation error detected: Value null at 'transactItems.${reqs.length + 1}.member.put.item' failed to satisfy constraint: Member must not be null`);
          key = itemKey(meta, item);
          checkIndexKeys(meta, item);
          checkItemSize(item);
        } else {
          const k = parseItem(a.Key ?? null);
          if (!k) throw validation('The provided key element does not match the schema');
          key = checkKey(meta, k);
        }
        const rk = rowKey(meta.key, key);
        const id = `${meta.storeId}:${rk.pk.toString('hex')}:${rk.sk.toString('hex')}`;
        if (seen.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
        seen.add(id);
        const onFailOld = a.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
        const put = item;
        reqs.push({
          meta,
          key,
          decide: (old): Decision => {
            if (expr.condition && !expr.condition(old ?? undefined)) {
              const reason: CancellationReason = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
              if (onFailOld && old) reason.Item = old;
              return { kind: 'fail', error: Object.assign(new Error('condition'), { reason }) };
            }
            try {
              switch (kind) {
                case 'ConditionCheck':
                  return { kind: 'none' };
                case 'Put':
                  return { kind: 'put', item: put! };
                case 'Delete':
                  return old ? { kind: 'delete' } : { kind: 'none' };
                case 'Update': {
                  const next = expr.update ? { ...expr.update(old ?? undefined, key).item, ...key } : (old ?? { ...key });
                  checkIndexKeys(meta, next);
                  checkItemSize(next);
                  return { kind: 'put', item: next };
                }
              }
            } catch (e) {
              const reason: CancellationReason = { Code: 'ValidationError', Message: (e as Error).message };
              return { kind: 'fail', error: Object.assign(new Error('validation'), { reason }) };
            }
          },
        });
      }
      const fingerprint = createHash('sha256').update(JSON.stringify(i.TransactItems)).digest('hex');
      const outcomes = await engine.writeAll(
        reqs,
        (decisions) => {
          if (!decisions.some((d) => d.kind === 'fail')) return null;
          return transactionCanceled(
            decisions.map((d) => (d.kind === 'fail' ? (d.error as Error & { reason: CancellationReason }).reason : { Code: 'None' })),
          );
        },
        i.ClientRequestToken
          ? {
              token: { value: i.ClientRequestToken, fingerprint, notBefore: Date.now() - TOKEN_WINDOW_MS },
              onTokenMismatch: () =>
                new ServiceError('IdempotentParameterMismatchException', 400, 'The request uses the same client token as a previous, but non-identical request.'),
            }
          : {},
      );
      const out: { ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = {};
      if (i.ReturnConsumedCapacity === 'TOTAL' || i.ReturnConsumedCapacity === 'INDEXES') {
        const units = new Map<string, number>();
        reqs.forEach((r, n) => {
          const o = Array.isArray(outcomes) ? outcomes[n] : { old: null, new: null };
          // Transactions cost two units per KB (AWS: "transactional write requests").
          units.set(r.meta.name, (units.get(r.meta.name) ?? 0) + 2 * writeUnits(o.old, o.new));
        });
        out.ConsumedCapacity = [...units].map(([t, u]) => capacity(i.ReturnConsumedCapacity, t, u, 'write'));
      }
      return out as never;
    },
  });
}
