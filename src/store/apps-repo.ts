import type { Db } from './db';
import { compareNames } from './repo-utils';
import type { AppRecord, Store } from './types';

interface AppRow {
  name: string;
  stack: string;
  version: number;
  deployed_at: number;
}

const COLUMNS = 'name, stack, version, deployed_at';

/** Classes cannot implement an indexed access type directly. */
type AppsApi = Store['apps'];

export class AppsRepo implements AppsApi {
  constructor(private readonly db: Db) {}

  async put(app: AppRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO apps (${COLUMNS}) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET stack = excluded.stack, version = excluded.version, deployed_at = excluded.deployed_at`,
      [app.name, JSON.stringify(app.stack), app.version, app.deployedAt],
    );
  }

  async get(name: string): Promise<AppRecord | null> {
    const row = await this.db.get<AppRow>(`SELECT ${COLUMNS} FROM apps WHERE name = ?`, [name]);
    return row ? toApp(row) : null;
  }

  async list(): Promise<AppRecord[]> {
    const rows = await this.db.all<AppRow>(`SELECT ${COLUMNS} FROM apps`);
    // Sorted here, not with ORDER BY: PostgreSQL orders text by the database's
    // collation (locale-aware), SQLite by bytes; code-unit order is the same everywhere.
    return rows.map(toApp).sort((a, b) => compareNames(a.name, b.name));
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM apps WHERE name = ?', [name])).changes > 0;
  }
}

function toApp(r: AppRow): AppRecord {
  return { name: r.name, stack: JSON.parse(r.stack) as AppRecord['stack'], version: Number(r.version), deployedAt: Number(r.deployed_at) };
}
