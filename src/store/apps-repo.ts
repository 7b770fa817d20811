import type { Db } from './db';
import { compareNames } from './repo-utils';
import type { AppDeployment, AppRecord, Store } from './types';

interface AppRow {
  name: string;
  stack: string;
  version: number;
  deployed_at: number;
  deployment: string | null;
}

const COLUMNS = 'name, stack, version, deployed_at, deployment';

/** Classes cannot implement an indexed access type directly. */
type AppsApi = Store['apps'];

export class AppsRepo implements AppsApi {
  constructor(private readonly db: Db) {}

  async put(app: AppRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO apps (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET stack = excluded.stack, version = excluded.version, deployed_at = excluded.deployed_at, deployment = excluded.deployment`,
      [app.name, JSON.stringify(app.stack), app.version, app.deployedAt, app.deployment ? JSON.stringify(app.deployment) : null],
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
  const app: AppRecord = { name: r.name, stack: JSON.parse(r.stack) as AppRecord['stack'], version: Number(r.version), deployedAt: Number(r.deployed_at) };
  if (r.deployment) app.deployment = JSON.parse(r.deployment) as AppDeployment;
  return app;
}
