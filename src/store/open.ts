/**
 * Opens the store named by a URL: picks the backend, connects, runs the
 * migrations, and wires the repositories. The composition root calls this
 * once; modules that keep their own tables pass their migrations here (or to
 * `store.migrate`) and build their repositories on `store.db`.
 */
import { AppsRepo } from './apps-repo';
import { CORE_MIGRATIONS } from './core-migrations';
import { DOCUMENTS_MIGRATIONS } from './documents-migrations';
import { DocumentsRepo } from './documents-repo';
import type { Db, Migration } from './db';
import { FunctionsRepo } from './functions-repo';
import { InvocationsRepo } from './invocations-repo';
import { LogsRepo } from './logs-repo';
import { OBJECTS_MIGRATIONS } from './objects-migrations';
import { ObjectsRepo } from './objects-repo';
import { runMigrations } from './migrate';
import { PostgresDb } from './postgres';
import { PgQueueListener, QueueNotifier } from './queue-notifier';
import { GroupCommit } from './queue-group-commit';
import { QueueRepo } from './queue-repo';
import { SqliteDb } from './sqlite';
import { parseStoreUrl } from './store-url';
import type { Store, StoreKind, StoreOptions } from './types';

export interface OpenStoreOptions extends StoreOptions {
  /** Other modules' migrations, applied after the store's own, in the same run. */
  migrations?: readonly Migration[];
}

/** The SQL-backed Store, with the Db underneath for modules that add their own tables. */
export interface SqlStore extends Store {
  readonly db: Db;
  /** Applies migrations not yet recorded (see runMigrations); returns `module@version` of those applied. */
  migrate(migrations: readonly Migration[]): Promise<string[]>;
}

/** Every migration the store itself applies (its own modules), in order. */
export const STORE_MIGRATIONS: readonly Migration[] = [...CORE_MIGRATIONS, ...DOCUMENTS_MIGRATIONS, ...OBJECTS_MIGRATIONS];

export async function openStore(opts: OpenStoreOptions): Promise<SqlStore> {
  const target = parseStoreUrl(opts.url);
  const db: Db = target.kind === 'postgres' ? await PostgresDb.open(target.pg) : new SqliteDb(target.file);
  try {
    await runMigrations(db, [...STORE_MIGRATIONS, ...(opts.migrations ?? [])]);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  // On PostgreSQL idle pollers on every node are woken through LISTEN/NOTIFY
  // (a dedicated connection, opened on the first queue.onEnqueued).
  const pg = target.kind === 'postgres' ? target.pg : null;
  const notifier = new QueueNotifier(pg ? () => new PgQueueListener(pg) : undefined);
  return new SqlStoreImpl(target.kind, target.location, db, notifier);
}

class SqlStoreImpl implements SqlStore {
  readonly apps: AppsRepo;
  readonly functions: FunctionsRepo;
  readonly invocations: InvocationsRepo;
  readonly logs: LogsRepo;
  readonly queue: QueueRepo;
  readonly documents: DocumentsRepo;
  readonly objects: ObjectsRepo;

  constructor(
    readonly kind: StoreKind,
    readonly location: string,
    readonly db: Db,
    notifier: QueueNotifier = new QueueNotifier(),
  ) {
    this.apps = new AppsRepo(db);
    this.functions = new FunctionsRepo(db);
    this.invocations = new InvocationsRepo(db);
    this.logs = new LogsRepo(db);
    // One group commit per SQLite file: queue, document and object writes of the same
    // event-loop turn share a transaction (and its fsync).
    const group = db.dialect === 'sqlite' ? new GroupCommit(db) : null;
    this.queue = new QueueRepo(db, notifier, group);
    this.documents = new DocumentsRepo(db, group);
    this.objects = new ObjectsRepo(db, group);
  }

  migrate(migrations: readonly Migration[]): Promise<string[]> {
    return runMigrations(this.db, migrations);
  }

  async close(): Promise<void> {
    await this.queue.close();
    return this.db.close();
  }
}
