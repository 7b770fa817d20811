/**
 * Schema of the store's own tables (module `core`). Append new versions; never
 * edit a released one, since nodes that already applied it will not rerun it.
 *
 * Portability notes: JSON is kept as TEXT (the store never queries inside it),
 * booleans as 0/1 integers, epoch ms as BIGINT, measured durations as floating
 * point (AWS reports fractional milliseconds). Log ids must only ever grow, so
 * SQLite uses AUTOINCREMENT (a plain rowid may reuse the id of a deleted
 * newest row) and PostgreSQL an identity column.
 */
import type { Migration } from './db';

export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    module: 'core',
    version: 1,
    name: 'apps, functions, invocations, function logs',
    sqlite: `
      CREATE TABLE apps (
        name TEXT PRIMARY KEY,
        stack TEXT NOT NULL,
        version INTEGER NOT NULL,
        deployed_at INTEGER NOT NULL
      );
      CREATE TABLE functions (
        name TEXT PRIMARY KEY,
        app_name TEXT NOT NULL,
        spec TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX functions_app_name ON functions (app_name, name);
      CREATE TABLE invocations (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL,
        function_name TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        billed_duration_ms REAL NOT NULL,
        init_duration_ms REAL,
        memory_size_mb INTEGER NOT NULL,
        max_memory_used_mb REAL NOT NULL,
        cold INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        source TEXT NOT NULL,
        trace_id TEXT
      );
      CREATE INDEX invocations_function_started ON invocations (function_name, started_at, id);
      CREATE INDEX invocations_started ON invocations (started_at, id);
      CREATE TABLE function_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        function_name TEXT NOT NULL,
        request_id TEXT,
        ts INTEGER NOT NULL,
        stream TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX function_logs_function_id ON function_logs (function_name, id);
    `,
    postgres: `
      CREATE TABLE apps (
        name TEXT PRIMARY KEY,
        stack TEXT NOT NULL,
        version INTEGER NOT NULL,
        deployed_at BIGINT NOT NULL
      );
      CREATE TABLE functions (
        name TEXT PRIMARY KEY,
        app_name TEXT NOT NULL,
        spec TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX functions_app_name ON functions (app_name, name);
      CREATE TABLE invocations (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        request_id TEXT NOT NULL,
        function_name TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL,
        billed_duration_ms DOUBLE PRECISION NOT NULL,
        init_duration_ms DOUBLE PRECISION,
        memory_size_mb INTEGER NOT NULL,
        max_memory_used_mb DOUBLE PRECISION NOT NULL,
        cold SMALLINT NOT NULL,
        outcome TEXT NOT NULL,
        source TEXT NOT NULL,
        trace_id TEXT
      );
      CREATE INDEX invocations_function_started ON invocations (function_name, started_at, id);
      CREATE INDEX invocations_started ON invocations (started_at, id);
      CREATE TABLE function_logs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        function_name TEXT NOT NULL,
        request_id TEXT,
        ts BIGINT NOT NULL,
        stream TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX function_logs_function_id ON function_logs (function_name, id);
    `,
  },
  // The work queue (queue-repo.ts) is its own module so its steps never
  // collide with core's version numbers. A leased item's available_at holds
  // its lease expiry, so "claimable" is the single range available_at <= now
  // and the claim index walks only claimable rows, never skipping over leased
  // or delayed ones; seq keeps enqueue order among equal times.
  {
    module: 'queue',
    version: 1,
    name: 'work queue items with leases',
    sqlite: `
      CREATE TABLE queue_items (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at INTEGER NOT NULL,
        available_at INTEGER NOT NULL,
        lease_owner TEXT
      );
      CREATE INDEX queue_items_claim ON queue_items (queue, available_at, seq);
    `,
    postgres: `
      CREATE TABLE queue_items (
        id TEXT PRIMARY KEY,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        queue TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at BIGINT NOT NULL,
        available_at BIGINT NOT NULL,
        lease_owner TEXT
      );
      CREATE INDEX queue_items_claim ON queue_items (queue, available_at, seq);
    `,
  },
  {
    module: 'core',
    version: 2,
    name: "apps: what a deploy made besides functions (resources, mappings, outputs)",
    sqlite: 'ALTER TABLE apps ADD COLUMN deployment TEXT;',
    postgres: 'ALTER TABLE apps ADD COLUMN deployment TEXT;',
  },
];
