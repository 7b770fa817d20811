/**
 * Tables of the event source mappings (module `triggers`, triggers-repo.ts).
 * Pass `TRIGGERS_MIGRATIONS` to `openStore({ migrations })` (or
 * `store.migrate`). Append new versions; never edit a released one.
 *
 * - `triggers_esm`: one row per mapping. Its configuration is JSON the store
 *   never looks inside (the triggers layer owns its shape); the columns beside
 *   it are what lists filter on and what the conflict check reads.
 * - `triggers_esm_shards`: per (mapping, shard) the checkpoint (the last
 *   sequence number processed; NULL means "from the start of the shard"),
 *   whether the shard is finished (closed and read to its end), and the lease
 *   that makes one node its only poller. Sequence numbers are decimal strings
 *   of any length, so TEXT; they are never compared in SQL.
 */
import type { Migration } from './db';

export const TRIGGERS_MIGRATIONS: readonly Migration[] = [
  {
    module: 'triggers',
    version: 1,
    name: 'event source mappings, shard checkpoints and leases',
    sqlite: `
      CREATE TABLE triggers_esm (
        uuid TEXT PRIMARY KEY,
        function_name TEXT NOT NULL,
        event_source_arn TEXT NOT NULL,
        config TEXT NOT NULL,
        last_processing_result TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_modified INTEGER NOT NULL
      );
      CREATE INDEX triggers_esm_function ON triggers_esm (function_name, uuid);
      CREATE INDEX triggers_esm_source ON triggers_esm (event_source_arn, uuid);
      CREATE TABLE triggers_esm_shards (
        mapping_uuid TEXT NOT NULL,
        shard_id TEXT NOT NULL,
        checkpoint TEXT,
        finished INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (mapping_uuid, shard_id)
      );
      CREATE INDEX triggers_esm_shards_owner ON triggers_esm_shards (lease_owner);
    `,
    postgres: `
      CREATE TABLE triggers_esm (
        uuid TEXT PRIMARY KEY,
        function_name TEXT NOT NULL,
        event_source_arn TEXT NOT NULL,
        config TEXT NOT NULL,
        last_processing_result TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_modified BIGINT NOT NULL
      );
      CREATE INDEX triggers_esm_function ON triggers_esm (function_name, uuid);
      CREATE INDEX triggers_esm_source ON triggers_esm (event_source_arn, uuid);
      CREATE TABLE triggers_esm_shards (
        mapping_uuid TEXT NOT NULL,
        shard_id TEXT NOT NULL,
        checkpoint TEXT,
        finished SMALLINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (mapping_uuid, shard_id)
      );
      CREATE INDEX triggers_esm_shards_owner ON triggers_esm_shards (lease_owner);
    `,
  },
];
