/** BatchGetItem: up to 100 keys over any tables; answers past 16 MB leave the rest in UnprocessedKeys. */
import { defineOperation, document, map, member, required, struct, type JsonValue, type Operation } from '../../aws';
import { RETURN_CONSUMED, capacity, parseItem, readUnits, tableNameOf } from './common';
import type { DynamoEngine } from './engine';
import { resourceNotFound, validation } from './errors';
import { compileExpressions } from './expressions';
import { attributesToGet } from './get-item';
import { checkKey, rowKey } from './keys';
import { itemSize, type Item } from './model/attribute-value';

const MAX_KEYS = 100;
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

interface TableRequest {
  Keys?: JsonValue[];
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ConsistentRead?: boolean;
  AttributesToGet?: string[];
}

export function batchGetItem(engine: DynamoEngine): Operation<'BatchGetItem'> {
  return defineOperation({
    name: 'BatchGetItem',
    input: struct({ RequestItems: required(map(document())), ReturnConsumedCapacity: RETURN_CONSUMED }),
    output: struct({ Responses: member(document()), UnprocessedKeys: member(document()), ConsumedCapacity: member(document()) }),
    handler: async (i) => {
      let total = 0;
      const plans = [];
      for (const [rawName, raw] of Object.entries(i.RequestItems)) {
        const r = (raw ?? {}) as TableRequest;
        if (!Array.isArray(r.Keys) || r.Keys.length === 0) {
          throw validation(`1 validation error detected: Value null at 'requestItems.${rawName}.member.keys' failed to satisfy constraint: Member must not be null`);
        }
        const keys = r.Keys.map((k) => parseItem(k)!);
        total += keys.length;
        const legacy = attributesToGet(r.AttributesToGet, r.ProjectionExpression);
        const expr = compileExpressions({ operation: 'BatchGetItem', ProjectionExpression: r.ProjectionExpression, ExpressionAttributeNames: r.ExpressionAttributeNames });
        plans.push({ rawName, name: tableNameOf(rawName), keys, project: legacy ?? expr.project, request: r });
      }
      if (total > MAX_KEYS) throw validation('Too many items requested for the BatchGetItem call');
      if (plans.length === 0) throw validation("1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
      const responses: Record<string, Item[]> = {};
      const unprocessed: Record<string, TableRequest> = {};
      const units = new Map<string, number>();
      let bytes = 0;
      for (const p of plans) {
        const meta = await engine.findTable(p.name);
        if (!meta) throw resourceNotFound();
        const seen = new Set<string>();
        for (const k of p.keys) {
          checkKey(meta, k);
          const rk = rowKey(meta.key, k);
          const id = `${rk.pk.toString('hex')}:${rk.sk.toString('hex')}`;
          if (seen.has(id)) throw validation('Provided list of item keys contains duplicates');
          seen.add(id);
        }
        responses[p.rawName] = [];
        for (const k of p.keys) {
          if (bytes >= MAX_RESPONSE_BYTES) {
            const u = (unprocessed[p.rawName] ??= { ...p.request, Keys: [] });
            u.Keys!.push(k as unknown as JsonValue);
            continue;
          }
          const item = await engine.getItem(meta, k);
          const size = item ? itemSize(item) : 0;
          units.set(meta.name, (units.get(meta.name) ?? 0) + readUnits(size, p.request.ConsistentRead === true));
          if (!item) continue;
          bytes += size;
          responses[p.rawName].push(p.project ? p.project(item) : item);
        }
      }
      const out: { Responses: unknown; UnprocessedKeys: unknown; ConsumedCapacity?: unknown } = { Responses: responses, UnprocessedKeys: unprocessed };
      if (i.ReturnConsumedCapacity === 'TOTAL' || i.ReturnConsumedCapacity === 'INDEXES') {
        out.ConsumedCapacity = [...units].map(([t, u]) => capacity(i.ReturnConsumedCapacity, t, u, 'read'));
      }
      return out as never;
    },
  });
}
