/**
 * Turns a store URL into what to open. `postgres://` / `postgresql://` select
 * PostgreSQL; any other `scheme://` is a mistake we name rather than a file we
 * would create; everything else is a SQLite file path (or a directory, which
 * gets `nimbus.db` inside it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PlatformError } from '../errors';
import type { PostgresTarget } from './postgres';

export type StoreTarget =
  | { kind: 'sqlite'; file: string; location: string }
  | { kind: 'postgres'; pg: PostgresTarget; location: string };

export const SQLITE_FILE_IN_DIR = 'nimbus.db';

const PG_SCHEME = /^postgres(?:ql)?:\/\//i;
const ANY_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/**
 * Lower-case only: unquoted identifiers fold to lower case in search_path and
 * DDL, so a mixed-case name would silently refer to two different schemas.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parseStoreUrl(url: string): StoreTarget {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new PlatformError('ERR_STORE_URL', 'store URL is empty: give a SQLite file path or a postgres:// URL');
  }
  if (PG_SCHEME.test(url)) return parsePostgres(url);
  const scheme = ANY_SCHEME.exec(url);
  if (scheme) {
    throw new PlatformError(
      'ERR_STORE_URL',
      `unsupported store URL scheme "${scheme[1]}" in ${redactRaw(url)}: use postgres://... or a SQLite file path`,
    );
  }
  if (url === ':memory:') return { kind: 'sqlite', file: url, location: url };
  let file = path.resolve(url);
  const isDir = url.endsWith('/') || url.endsWith(path.sep) || safeIsDirectory(file);
  if (isDir) file = path.join(file, SQLITE_FILE_IN_DIR);
  return { kind: 'sqlite', file, location: file };
}

function parsePostgres(url: string): StoreTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PlatformError('ERR_STORE_URL', `invalid PostgreSQL URL ${redactRaw(url)}`);
  }
  if (u.port !== '' && !/^\d+$/.test(u.port)) {
    throw new PlatformError('ERR_STORE_URL', `invalid port in PostgreSQL URL ${redact(u)}`);
  }
  const location = redact(u);
  const schema = u.searchParams.get('schema');
  if (schema !== null && (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_'))) {
    throw new PlatformError(
      'ERR_STORE_URL',
      `invalid schema ${JSON.stringify(schema)} in PostgreSQL URL ${location}: use lower-case letters, digits and _ (not starting with pg_)`,
    );
  }
  const options = u.searchParams.get('options');
  // pg's connection-string parser would let the URL's own `options` override
  // the search_path we add, and `schema` means nothing to libpq: take both out.
  u.searchParams.delete('schema');
  u.searchParams.delete('options');
  return {
    kind: 'postgres',
    location,
    pg: { connectionString: u.toString(), schema, options, location },
  };
}

/** The URL as text with the password left out. */
function redact(u: URL): string {
  const copy = new URL(u.toString());
  copy.password = '';
  return copy.toString();
}

/** For strings URL cannot parse: drop anything between `user:` and `@`. */
function redactRaw(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1@');
}

function safeIsDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
