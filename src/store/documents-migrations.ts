/**
 * Schema of the document store (module `dynamodb`): tables, their items and
 * index entries, stream records and transaction tokens. Append new versions;
 * never edit a released one.
 *
 * One `dynamodb_items` table holds every table's items and every secondary
 * index's entries (`ix` = '' for the base table, else the index name). Keys are
 * order-preserving byte encodings made by services/dynamodb (memcmp order is
 * DynamoDB's key order on both engines: SQLite compares BLOBs and PostgreSQL
 * bytea with memcmp). `h` is a 32-bit hash of the partition key: leading the
 * primary key, it gives Scan its hash order and parallel-scan segments as
 * contiguous ranges, and Query reaches a partition with one B-tree descent.
 * Index entries are not unique by their own key, so `bpk`/`bsk` (the base
 * item's key; empty for base rows) complete the primary key.
 */
import type { Migration } from './db';

export const DOCUMENTS_MIGRATIONS: readonly Migration[] = [
  {
    module: 'dynamodb',
    version: 1,
    name: 'tables, items and index entries, streams, transaction tokens',
    sqlite: `
      CREATE TABLE dynamodb_tables (
        name TEXT PRIMARY KEY,
        id INTEGER NOT NULL UNIQUE,
        meta TEXT NOT NULL
      );
      CREATE TABLE dynamodb_ids (
        kind TEXT PRIMARY KEY,
        last INTEGER NOT NULL
      );
      CREATE TABLE dynamodb_items (
        tid INTEGER NOT NULL,
        ix TEXT NOT NULL,
        h INTEGER NOT NULL,
        pk BLOB NOT NULL,
        sk BLOB NOT NULL,
        bpk BLOB NOT NULL,
        bsk BLOB NOT NULL,
        ttl REAL,
        size INTEGER NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (tid, ix, h, pk, sk, bpk, bsk)
      ) WITHOUT ROWID;
      CREATE INDEX dynamodb_items_ttl ON dynamodb_items (tid, ttl) WHERE ttl IS NOT NULL;
      CREATE TABLE dynamodb_streams (
        sid INTEGER PRIMARY KEY,
        tid INTEGER NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        meta TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        disabled_at INTEGER
      );
      CREATE TABLE dynamodb_stream_records (
        sid INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (sid, seq)
      ) WITHOUT ROWID;
      CREATE INDEX dynamodb_stream_records_created ON dynamodb_stream_records (created_at);
      CREATE TABLE dynamodb_tx_tokens (
        token TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE dynamodb_tables (
        name TEXT PRIMARY KEY,
        id BIGINT NOT NULL UNIQUE,
        meta TEXT NOT NULL
      );
      CREATE TABLE dynamodb_ids (
        kind TEXT PRIMARY KEY,
        last BIGINT NOT NULL
      );
      CREATE TABLE dynamodb_items (
        tid BIGINT NOT NULL,
        ix TEXT NOT NULL,
        h BIGINT NOT NULL,
        pk BYTEA NOT NULL,
        sk BYTEA NOT NULL,
        bpk BYTEA NOT NULL,
        bsk BYTEA NOT NULL,
        ttl DOUBLE PRECISION,
        size INTEGER NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (tid, ix, h, pk, sk, bpk, bsk)
      );
      CREATE INDEX dynamodb_items_ttl ON dynamodb_items (tid, ttl) WHERE ttl IS NOT NULL;
      CREATE TABLE dynamodb_streams (
        sid BIGINT PRIMARY KEY,
        tid BIGINT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        meta TEXT NOT NULL,
        last_seq BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        disabled_at BIGINT
      );
      CREATE TABLE dynamodb_stream_records (
        sid BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (sid, seq)
      );
      CREATE INDEX dynamodb_stream_records_created ON dynamodb_stream_records (created_at);
      CREATE TABLE dynamodb_tx_tokens (
        token TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
];
