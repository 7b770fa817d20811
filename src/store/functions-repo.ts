import type { Db, SqlValue } from './db';
import { compareNames } from './repo-utils';
import type { FunctionRecord, Store } from './types';

interface FunctionRow {
  name: string;
  app_name: string;
  spec: string;
  version: number;
  updated_at: number;
}

const COLUMNS = 'name, app_name, spec, version, updated_at';

/** Classes cannot implement an indexed access type directly. */
type FunctionsApi = Store['functions'];

export class FunctionsRepo implements FunctionsApi {
  constructor(private readonly db: Db) {}

  async put(fn: FunctionRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO functions (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET app_name = excluded.app_name, spec = excluded.spec,
         version = excluded.version, updated_at = excluded.updated_at`,
      [fn.name, fn.appName, JSON.stringify(fn.spec), fn.version, fn.updatedAt],
    );
  }

  async get(name: string): Promise<FunctionRecord | null> {
    const row = await this.db.get<FunctionRow>(`SELECT ${COLUMNS} FROM functions WHERE name = ?`, [name]);
    return row ? toFunction(row) : null;
  }

  async list(appName?: string): Promise<FunctionRecord[]> {
    const params: SqlValue[] = [];
    let sql = `SELECT ${COLUMNS} FROM functions`;
    if (appName !== undefined) {
      sql += ' WHERE app_name = ?';
      params.push(appName);
    }
    const rows = await this.db.all<FunctionRow>(sql, params);
    // Sorted in JS for a collation-independent order (see AppsRepo.list).
    return rows.map(toFunction).sort((a, b) => compareNames(a.name, b.name));
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM functions WHERE name = ?', [name])).changes > 0;
  }
}

function toFunction(r: FunctionRow): FunctionRecord {
  return {
    name: r.name,
    appName: r.app_name,
    spec: JSON.parse(r.spec) as FunctionRecord['spec'],
    version: Number(r.version),
    updatedAt: Number(r.updated_at),
  };
}
