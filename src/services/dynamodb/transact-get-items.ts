/** TransactGetItems: up to 100 reads that see one consistent moment (they run in one store transaction). */
import { defineOperation, document, list, member, required, struct, type JsonValue, type Operation } from '../../aws';
import { RETURN_CONSUMED, capacity, parseItem, readUnits, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { resourceNotFound, validation } from './errors';
import { compileExpressions } from './expressions';
import { checkKey, rowKey, type RowKey } from './keys';
import type { TableMeta } from './table';
import { itemSize, type Item } from './model/attribute-value';

interface Get {
  TableName?: string;
  Key?: JsonValue;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

export function transactGetItems(engine: DynamoEngine): Operation<'TransactGetItems'> {
  return defineOperation({
    name: 'TransactGetItems',
    input: struct({ TransactItems: required(list(document(), { min: 1, max: 100 })), ReturnConsumedCapacity: RETURN_CONSUMED }),
    output: struct({ Responses: member(document()), ConsumedCapacity: member(document()) }),
    handler: async (i) => {
      const plans: { meta: TableMeta; rk: RowKey; project?: (item: Item) => Item }[] = [];
      const seen = new Set<string>();
      for (const [n, raw] of i.TransactItems.entries()) {
        const g = ((raw ?? {}) as { Get?: Get }).Get;
        if (!g) throw validation(`1 validation error detected: Value null at 'transactItems.${n + 1}.member.get' failed to satisfy constraint: Member must not be null`);
        if (g.TableName === undefined) throw validation(`1 validation error detected: Value null at 'transactItems.${n + 1}.member.get.tableName' failed to satisfy constraint: Member must not be null`);
        const key = parseItem(g.Key ?? null);
        if (!key) throw validation(`1 validation error detected: Value null at 'transactItems.${n + 1}.member.get.key' failed to satisfy constraint: Member must not be null`);
        const expr = compileExpressions({ operation: 'TransactGetItems', ProjectionExpression: g.ProjectionExpression, ExpressionAttributeNames: g.ExpressionAttributeNames });
        const meta = await engine.findTable(tableNameOf(g.TableName));
        if (!meta) throw resourceNotFound();
        checkKey(meta, key);
        const rk = rowKey(meta.key, key);
        const id = `${meta.storeId}:${rk.pk.toString('hex')}:${rk.sk.toString('hex')}`;
        if (seen.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
        seen.add(id);
        plans.push({ meta, rk, project: expr.project });
      }
      const items = await engine.store.write(async (w) => {
        const out: (Item | null)[] = [];
        for (const p of plans) {
          const row = await w.getItem(p.meta.storeId, p.rk.h, p.rk.pk, p.rk.sk);
          out.push(row ? (JSON.parse(row.item) as Item) : null);
        }
        return out;
      });
      const out: { Responses: unknown; ConsumedCapacity?: unknown } = {
        Responses: items.map((it, n) => (it ? { Item: plans[n].project ? plans[n].project!(it) : it } : {})),
      };
      if (i.ReturnConsumedCapacity === 'TOTAL' || i.ReturnConsumedCapacity === 'INDEXES') {
        const units = new Map<string, number>();
        items.forEach((it, n) => units.set(plans[n].meta.name, (units.get(plans[n].meta.name) ?? 0) + 2 * readUnits(it ? itemSize(it) : 0, true)));
        out.ConsumedCapacity = [...units].map(([t, u]) => capacity(i.ReturnConsumedCapacity, t, u, 'read'));
      }
      return out as never;
    },
  });
}
