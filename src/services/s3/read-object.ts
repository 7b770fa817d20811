/**
 * What GetObject and HeadObject share: conditional requests (RFC 9110 as S3
 * applies them: If-Match / If-Unmodified-Since answer 412, If-None-Match /
 * If-Modified-Since answer 304), byte ranges (`bytes=a-b`, `a-`, `-n`; a
 * malformed range is ignored, an unsatisfiable one is 416), `partNumber`,
 * the `response-*` overrides, and the object's headers.
 */
import { ServiceError } from '../../aws';
import type { ObjectMeta } from './engine';
import { invalidArgument, invalidRange, preconditionFailed } from './errors';
import { checksumHeaders } from './object-headers';

export interface Conditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

const unquote = (s: string): string => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

function etagMatches(list: string, etag: string): boolean {
  const e = unquote(etag);
  return list.split(',').some((x) => x.trim() === '*' || unquote(x) === e);
}

/** Throws 412 PreconditionFailed or 304 NotModified as S3 does. */
export function checkConditions(c: Conditions, etag: string, lastModified: number): void {
  // HTTP dates have whole seconds.
  const modified = Math.floor(lastModified / 1000) * 1000;
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, etag)) throw preconditionFailed('If-Match');
  } else if (c.IfUnmodifiedSince !== undefined && modified > c.IfUnmodifiedSince.getTime()) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, etag)) throw notModified(etag);
  } else if (c.IfModifiedSince !== undefined && modified <= c.IfModifiedSince.getTime()) {
    throw notModified(etag);
  }
}

function notModified(etag: string): ServiceError {
  return new ServiceError('NotModified', 304, 'Not Modified', { messageKey: 'Message', headers: { etag } });
}

export interface ByteRange {
  start: number;
  end: number;
}

/** The range a `Range` header asks for, null for the whole object (absent or malformed), 416 when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw invalidRange(header, size);
    return size === 0 ? null : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) throw invalidRange(header, size);
  return { start, end };
}

/** `partNumber` of a GetObject/HeadObject: that part's byte range (whole object for 1 of a single-part object). */
export function partRange(partNumber: number, meta: ObjectMeta, size: number): ByteRange {
  const parts = meta.parts ?? [size];
  if (partNumber < 1 || partNumber > parts.length) {
    throw new ServiceError('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable', { messageKey: 'Message', fields: { PartNumberRequested: partNumber, ActualPartCount: parts.length } });
  }
  let start = 0;
  for (let p = 0; p < partNumber - 1; p++) start += parts[p];
  return { start, end: start + parts[partNumber - 1] - 1 };
}

export interface Overrides {
  ResponseCacheControl?: string;
  ResponseContentDisposition?: string;
  ResponseContentEncoding?: string;
  ResponseContentLanguage?: string;
  ResponseContentType?: string;
  ResponseExpires?: string;
}

/** The object headers of a GetObject / HeadObject answer (`response-*` overrides applied). */
export function objectHeaders(
  o: { size: number; etag: string; lastModified: number; parsed: ObjectMeta },
  range: ByteRange | null,
  ov: Overrides,
  checksums: boolean,
): Record<string, unknown> {
  const m = o.parsed;
  const out: Record<string, unknown> = {
    AcceptRanges: 'bytes',
    LastModified: new Date(o.lastModified),
    ContentLength: range ? range.end - range.start + 1 : o.size,
    ETag: o.etag,
    ContentType: ov.ResponseContentType ?? m.contentType ?? 'binary/octet-stream',
    Metadata: m.metadata,
    ServerSideEncryption: 'AES256',
  };
  const cc = ov.ResponseCacheControl ?? m.cacheControl;
  if (cc !== undefined) out.CacheControl = cc;
  const cd = ov.ResponseContentDisposition ?? m.contentDisposition;
  if (cd !== undefined) out.ContentDisposition = cd;
  const ce = ov.ResponseContentEncoding ?? m.contentEncoding;
  if (ce !== undefined) out.ContentEncoding = ce;
  const cl = ov.ResponseContentLanguage ?? m.contentLanguage;
  if (cl !== undefined) out.ContentLanguage = cl;
  const ex = ov.ResponseExpires ?? m.expires;
  if (ex !== undefined) out.Expires = ex;
  if (range) out.ContentRange = `bytes ${range.start}-${range.end}/${o.size}`;
  if (m.storageClass) out.StorageClass = m.storageClass;
  if (m.tags && Object.keys(m.tags).length > 0) out.TagCount = Object.keys(m.tags).length;
  if (m.parts && m.parts.length > 1) out.PartsCount = m.parts.length;
  if (checksums && !range) Object.assign(out, checksumHeaders(m));
  return out;
}

export function checkPartNumber(n: number | undefined, range: string | undefined): void {
  if (n !== undefined && range !== undefined) throw invalidArgument('Cannot specify both Range header and partNumber query parameter', 'partNumber', String(n));
}
