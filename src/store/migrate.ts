/**
 * Per-module schema migrations, recorded in `nimbus_migrations`.
 *
 * Everything runs in one transaction under an advisory lock, so two nodes
 * starting against the same PostgreSQL at once apply each step exactly once
 * (the second waits, then finds nothing left to do), and a failed step leaves
 * no half-applied schema behind. On SQLite `BEGIN IMMEDIATE` is that lock.
 */
import { PlatformError } from '../errors';
import { type Db, type Migration, storeError } from './db';

export const MIGRATIONS_TABLE = 'nimbus_migrations';

const MODULE_NAME = /^[a-z][a-z0-9_-]*$/;

/**
 * Applies the migrations not yet recorded, module by module (in the order
 * modules first appear in the list) and by ascending version within a module.
 * Returns the steps applied, as `module@version`. Steps already recorded, and
 * recorded steps this code does not know (a newer node ran), are left alone.
 */
export async function runMigrations(db: Db, migrations: readonly Migration[]): Promise<string[]> {
  const ordered = order(migrations);
  if (ordered.length === 0) return [];
  return db.tx(async (t) => {
    await t.lock('nimbus:migrate');
    await t.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        module TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL,
        PRIMARY KEY (module, version)
      )`,
    );
    const rows = await t.all<{ module: string; version: number }>(`SELECT module, version FROM ${MIGRATIONS_TABLE}`);
    const done = new Set(rows.map((r) => `${r.module}@${Number(r.version)}`));
    const applied: string[] = [];
    for (const m of ordered) {
      const id = `${m.module}@${m.version}`;
      if (done.has(id)) continue;
      try {
        await t.exec(t.dialect === 'postgres' ? m.postgres : m.sqlite);
      } catch (e) {
        throw storeError(`migration ${id} (${m.name}) failed`, e);
      }
      await t.run(`INSERT INTO ${MIGRATIONS_TABLE} (module, version, name, applied_at) VALUES (?, ?, ?, ?)`, [
        m.module,
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(id);
    }
    return applied;
  });
}

/** Validates the list (a mistake here is a programming error) and sorts it for application. */
function order(migrations: readonly Migration[]): Migration[] {
  const moduleOrder = new Map<string, number>();
  const seen = new Set<string>();
  for (const m of migrations) {
    if (!MODULE_NAME.test(m.module)) throw new PlatformError('ERR_INTERNAL', `invalid migration module name ${JSON.stringify(m.module)}`);
    if (!Number.isSafeInteger(m.version) || m.version < 1) {
      throw new PlatformError('ERR_INTERNAL', `migration ${m.module} has invalid version ${m.version}`);
    }
    const id = `${m.module}@${m.version}`;
    if (seen.has(id)) throw new PlatformError('ERR_INTERNAL', `duplicate migration ${id}`);
    seen.add(id);
    if (!moduleOrder.has(m.module)) moduleOrder.set(m.module, moduleOrder.size);
  }
  return migrations
    .slice()
    .sort((a, b) => (moduleOrder.get(a.module) ?? 0) - (moduleOrder.get(b.module) ?? 0) || a.version - b.version);
}
