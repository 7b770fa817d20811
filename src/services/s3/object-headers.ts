/**
 * The headers objects carry in and out (content headers, user metadata,
 * checksums, tagging), shared by PutObject, CopyObject, CreateMultipartUpload,
 * GetObject and HeadObject.
 */
import { header, int, prefixHeaders, str, timestamp } from '../../aws';
import type { ObjectMeta } from './engine';
import { invalidArgument } from './errors';

/** Content headers as PutObject / CreateMultipartUpload / CopyObject (REPLACE) take them. */
export const CONTENT_INPUT = {
  CacheControl: header('Cache-Control', str()),
  ContentDisposition: header('Content-Disposition', str()),
  ContentEncoding: header('Content-Encoding', str()),
  ContentLanguage: header('Content-Language', str()),
  ContentType: header('Content-Type', str()),
  Expires: header('Expires', str()),
  Metadata: prefixHeaders('x-amz-meta-', str()),
  Tagging: header('x-amz-tagging', str()),
  StorageClass: header('x-amz-storage-class', str()),
  ServerSideEncryption: header('x-amz-server-side-encryption', str()),
} as const;

export const CHECKSUM_OUTPUT = {
  ChecksumCRC32: header('x-amz-checksum-crc32', str()),
  ChecksumCRC32C: header('x-amz-checksum-crc32c', str()),
  ChecksumCRC64NVME: header('x-amz-checksum-crc64nvme', str()),
  ChecksumSHA1: header('x-amz-checksum-sha1', str()),
  ChecksumSHA256: header('x-amz-checksum-sha256', str()),
  ChecksumType: header('x-amz-checksum-type', str()),
} as const;

/** What GetObject and HeadObject send about the object. */
export const OBJECT_OUTPUT = {
  AcceptRanges: header('accept-ranges', str()),
  LastModified: header('Last-Modified', timestamp('http-date')),
  ContentLength: header('Content-Length', int()),
  ETag: header('ETag', str()),
  CacheControl: header('Cache-Control', str()),
  ContentDisposition: header('Content-Disposition', str()),
  ContentEncoding: header('Content-Encoding', str()),
  ContentLanguage: header('Content-Language', str()),
  ContentRange: header('Content-Range', str()),
  ContentType: header('Content-Type', str()),
  Expires: header('Expires', str()),
  Metadata: prefixHeaders('x-amz-meta-', str()),
  ServerSideEncryption: header('x-amz-server-side-encryption', str()),
  StorageClass: header('x-amz-storage-class', str()),
  TagCount: header('x-amz-tagging-count', int()),
  PartsCount: header('x-amz-mp-parts-count', int()),
  ...CHECKSUM_OUTPUT,
} as const;

interface ContentInput {
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
  ContentType?: string;
  Expires?: string;
  Metadata?: Record<string, string>;
  Tagging?: string;
  StorageClass?: string;
}

/** x-amz-tagging is a URL query string (`a=1&b=2`); S3 allows 10 tags, keys up to 128 and values up to 256 characters. */
export function parseTagging(s: string | undefined): Record<string, string> | undefined {
  if (s === undefined || s === '') return undefined;
  const tags: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(s)) {
    if (k in tags) throw invalidArgument('Cannot provide multiple Tags with the same key', `x-amz-tagging`, s);
    if (k.length === 0 || k.length > 128 || v.length > 256) throw invalidArgument('The TagKey you have provided is invalid', 'x-amz-tagging', s);
    tags[k] = v;
  }
  if (Object.keys(tags).length > 10) throw invalidArgument('Object tags cannot be greater than 10', 'x-amz-tagging', s);
  return tags;
}

export function metaFromInput(i: ContentInput): ObjectMeta {
  const meta: ObjectMeta = { metadata: {} };
  if (i.CacheControl !== undefined) meta.cacheControl = i.CacheControl;
  if (i.ContentDisposition !== undefined) meta.contentDisposition = i.ContentDisposition;
  // aws-chunked is a transfer detail of the upload, not the object's encoding (S3 drops it).
  if (i.ContentEncoding !== undefined) {
    const enc = i.ContentEncoding.split(',').map((x) => x.trim()).filter((x) => x !== '' && x !== 'aws-chunked').join(',');
    if (enc !== '') meta.contentEncoding = enc;
  }
  if (i.ContentLanguage !== undefined) meta.contentLanguage = i.ContentLanguage;
  meta.contentType = i.ContentType ?? 'binary/octet-stream';
  if (i.Expires !== undefined) meta.expires = i.Expires;
  for (const [k, v] of Object.entries(i.Metadata ?? {})) meta.metadata[k.toLowerCase()] = v;
  const tags = parseTagging(i.Tagging);
  if (tags) meta.tags = tags;
  if (i.StorageClass !== undefined && i.StorageClass !== 'STANDARD') meta.storageClass = i.StorageClass;
  return meta;
}

/** Checksum headers of an object (only those it has). */
export function checksumHeaders(meta: ObjectMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [alg, v] of Object.entries(meta.checksums ?? {})) out[`Checksum${alg}`] = v;
  if (meta.checksums && Object.keys(meta.checksums).length > 0) out.ChecksumType = meta.checksumType ?? 'FULL_OBJECT';
  return out;
}
