/**
 * Schema of the object store (module `s3`): buckets, objects, multipart
 * uploads and their parts. The bytes are blobs on disk (blobs.ts); rows name
 * them by `blob_id`. Append new versions; never edit a released one.
 *
 * Keys are TEXT compared bytewise on both engines, because S3 lists keys in
 * UTF-8 binary order ("List results are always returned in UTF-8 binary
 * order", ListObjectsV2 API reference): SQLite's default BINARY collation is a
 * memcmp of the UTF-8 text, and on PostgreSQL the key columns are
 * `COLLATE "C"` (byte order whatever the database's locale; an index on the
 * column inherits it, so range scans on prefixes use the primary key).
 */
import type { Migration } from './db';

export const OBJECTS_MIGRATIONS: readonly Migration[] = [
  {
    module: 's3',
    version: 1,
    name: 'buckets, objects, multipart uploads and parts',
    sqlite: `
      CREATE TABLE s3_buckets (
        name TEXT PRIMARY KEY,
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        config TEXT NOT NULL
      );
      CREATE TABLE s3_objects (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified INTEGER NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (bucket, key)
      ) WITHOUT ROWID;
      CREATE INDEX s3_objects_blob ON s3_objects (blob_id);
      CREATE TABLE s3_uploads (
        upload_id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        initiated INTEGER NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE INDEX s3_uploads_key ON s3_uploads (bucket, key, initiated, upload_id);
      CREATE INDEX s3_uploads_initiated ON s3_uploads (initiated);
      CREATE TABLE s3_parts (
        upload_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified INTEGER NOT NULL,
        checksum TEXT,
        PRIMARY KEY (upload_id, part_number)
      ) WITHOUT ROWID;
      CREATE INDEX s3_parts_blob ON s3_parts (blob_id);
    `,
    postgres: `
      CREATE TABLE s3_buckets (
        name TEXT COLLATE "C" PRIMARY KEY,
        region TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        config TEXT NOT NULL
      );
      CREATE TABLE s3_objects (
        bucket TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        blob_id TEXT NOT NULL,
        size BIGINT NOT NULL,
        etag TEXT NOT NULL,
        last_modified BIGINT NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (bucket, key)
      );
      CREATE INDEX s3_objects_blob ON s3_objects (blob_id);
      CREATE TABLE s3_uploads (
        upload_id TEXT COLLATE "C" PRIMARY KEY,
        bucket TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        initiated BIGINT NOT NULL,
        meta TEXT NOT NULL
      );
      CREATE INDEX s3_uploads_key ON s3_uploads (bucket, key, initiated, upload_id);
      CREATE INDEX s3_uploads_initiated ON s3_uploads (initiated);
      CREATE TABLE s3_parts (
        upload_id TEXT COLLATE "C" NOT NULL,
        part_number INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        size BIGINT NOT NULL,
        etag TEXT NOT NULL,
        last_modified BIGINT NOT NULL,
        checksum TEXT,
        PRIMARY KEY (upload_id, part_number)
      );
      CREATE INDEX s3_parts_blob ON s3_parts (blob_id);
    `,
  },
];
