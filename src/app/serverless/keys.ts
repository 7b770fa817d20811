/** Warns about keys a definition object has that Nimbus does not compile (see schema.ts). */
import { type DefinitionContext, type KeyPath, keyPathString } from './context';
import type { KeyTable } from './schema';

export function checkKeys(
  ctx: DefinitionContext,
  keys: KeyPath,
  obj: Record<string, unknown>,
  table: KeyTable,
  skip: readonly string[] = [],
): void {
  for (const k of Object.keys(obj)) {
    if (skip.includes(k)) continue;
    const rule = table[k];
    const where = keyPathString([...keys, k]);
    if (rule === undefined) ctx.warn(`${where} is not a Serverless Framework v3 option and is ignored`);
    else if (rule === 'unsupported') ctx.warn(`${where} is not supported yet and is ignored`);
    else if (typeof rule === 'object') ctx.warn(`${where} is not supported yet and is ignored (${rule.unsupported})`);
  }
}
