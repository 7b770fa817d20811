/**
 * Listing a bucket as S3 does for ListObjectsV2 and ListObjects: keys in
 * UTF-8 binary order, `prefix`, `delimiter` rolling keys up into common
 * prefixes (each counted once against MaxKeys), truncation and where to go on.
 */
import type { ObjectRow } from '../../store/types';
import type { S3Engine } from './engine';

export interface ListInput {
  bucket: string;
  prefix: string;
  delimiter?: string;
  /** List keys (and prefixes) after this one. */
  after?: string;
  maxKeys: number;
}

export interface ListResult {
  contents: ObjectRow[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned (where the next page starts after). */
  last?: string;
}

export async function listKeys(engine: S3Engine, l: ListInput): Promise<ListResult> {
  if (l.maxKeys === 0) return { contents: [], commonPrefixes: [], truncated: false };
  // The store rolls keys up into common prefixes and skips past each with one index seek.
  const r = await engine.store.listEntries(l.bucket, { prefix: l.prefix || undefined, after: l.after, delimiter: l.delimiter, limit: l.maxKeys });
  return { contents: r.objects, commonPrefixes: r.commonPrefixes, truncated: r.truncated, last: r.last ?? undefined };
}

/** `encoding-type=url`: keys and prefixes URL-encoded as S3 encodes them (`/` kept). */
export function encodeKey(key: string, encoding: string | undefined): string {
  if (encoding !== 'url') return key;
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
