/**
 * BatchWriteItem: up to 25 puts and deletes over any tables. Each write is
 * durable when the call answers; they commit together, so nothing is ever
 * left in UnprocessedItems (which is always `{}` here).
 */
import { defineOperation, document, map, member, required, struct, type JsonValue, type Operation } from '../../aws';
import { RETURN_CONSUMED, RETURN_METRICS, capacity, checkItemSize, parseItem, tableNameOf, writeUnits } from './common';
import type { DynamoEngine, WriteRequest } from './engine';
import { resourceNotFound, validation } from './errors';
import { checkIndexKeys, checkKey, itemKey, rowKey } from './keys';
import type { Item } from './model/attribute-value';

const MAX_WRITES = 25;

export function batchWriteItem(engine: DynamoEngine): Operation<'BatchWriteItem'> {
  return defineOperation({
    name: 'BatchWriteItem',
    input: struct({
      RequestItems: required(map(document())),
      ReturnConsumedCapacity: RETURN_CONSUMED,
      ReturnItemCollectionMetrics: RETURN_METRICS,
    }),
    output: struct({ UnprocessedItems: member(document()), ConsumedCapacity: member(document()), ItemCollectionMetrics: member(document()) }),
    handler: async (i) => {
      const parsed: { table: string; put?: Item; del?: Item }[] = [];
      for (const [table, reqs] of Object.entries(i.RequestItems)) {
        if (!Array.isArray(reqs) || reqs.length === 0) {
          throw validation(`1 validation error detected: Value '${JSON.stringify(reqs)}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]`);
        }
        for (const r of reqs as JsonValue[]) {
          const o = (r ?? {}) as { PutRequest?: { Item?: JsonValue }; DeleteRequest?: { Key?: JsonValue } };
          if ((o.PutRequest === undefined) === (o.DeleteRequest === undefined)) {
            throw validation('Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest');
          }
          if (o.PutRequest) {
            const item = parseItem(o.PutRequest.Item ?? null);
            if (!item) throw validation(`1 validation error detected: Value null at 'requestItems.${table}.member.putRequest.item' failed to satisfy constraint: Member must not be null`);
            parsed.push({ table: tableNameOf(table), put: item });
          } else {
            const key = parseItem(o.DeleteRequest!.Key ?? null);
            if (!key) throw validation(`1 validation error detected: Value null at 'requestItems.${table}.member.deleteRequest.key' failed to satisfy constraint: Member must not be null`);
            parsed.push({ table: tableNameOf(table), del: key });
          }
        }
      }
      if (parsed.length > MAX_WRITES) throw validation('Too many items requested for the BatchWriteItem call');
      if (parsed.length === 0) throw validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
      const reqs: WriteRequest[] = [];
      const seen = new Set<string>();
      for (const p of parsed) {
        const meta = await engine.findTable(p.table);
        if (!meta) throw resourceNotFound();
        let key: Item;
        if (p.put) {
          key = itemKey(meta, p.put);
          checkIndexKeys(meta, p.put);
          checkItemSize(p.put);
        } else {
          key = checkKey(meta, p.del!);
        }
        const k = rowKey(meta.key, key);
        const id = `${meta.storeId}:${k.pk.toString('hex')}:${k.sk.toString('hex')}`;
        if (seen.has(id)) throw validation('Provided list of item keys contains duplicates');
        seen.add(id);
        const put = p.put;
        reqs.push({ meta, key, decide: (old) => (put ? { kind: 'put', item: put } : old ? { kind: 'delete' } : { kind: 'none' }) });
      }
      const outcomes = await engine.writeAll(reqs, () => null);
      const out: { UnprocessedItems: Record<string, never>; ConsumedCapacity?: unknown; ItemCollectionMetrics?: unknown } = { UnprocessedItems: {} };
      if (Array.isArray(outcomes) && (i.ReturnConsumedCapacity === 'TOTAL' || i.ReturnConsumedCapacity === 'INDEXES')) {
        const units = new Map<string, number>();
        outcomes.forEach((o, n) => units.set(reqs[n].meta.name, (units.get(reqs[n].meta.name) ?? 0) + writeUnits(o.old, o.new)));
        out.ConsumedCapacity = [...units].map(([t, u]) => capacity(i.ReturnConsumedCapacity, t, u, 'write'));
      }
      if (i.ReturnItemCollectionMetrics === 'SIZE') out.ItemCollectionMetrics = {};
      return out as never;
    },
  });
}
