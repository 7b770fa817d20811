/**
 * CopyObject (PUT /{Bucket}/{Key+} with x-amz-copy-source): copies the data
 * blob, and the metadata (COPY, the default) or the request's (REPLACE);
 * tags likewise (x-amz-tagging-directive). Copy-source conditionals apply to
 * the source. Copying an object onto itself needs REPLACE, as S3 requires.
 */
import { defineOperation, header, label, member, str, struct, timestamp, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { invalidArgument, invalidRequest, preconditionFailed } from './errors';
import { CONTENT_INPUT, metaFromInput } from './object-headers';
import { checkKey } from './names';
import { objectEvents } from './put-object';
import { checkConditions } from './read-object';

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=`. */
export function parseCopySource(src: string): { bucket: string; key: string } {
  const s = src.startsWith('/') ? src.slice(1) : src;
  const q = s.indexOf('?');
  const path = q < 0 ? s : s.slice(0, q);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw invalidArgument('Invalid copy source object key', 'x-amz-copy-source', src);
  let key: string;
  try {
    key = decodeURIComponent(path.slice(slash + 1));
  } catch {
    throw invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', src);
  }
  return { bucket: decodeURIComponent(path.slice(0, slash)), key };
}

export const COPY_SOURCE_CONDITIONS = {
  CopySourceIfMatch: header('x-amz-copy-source-if-match', str()),
  CopySourceIfModifiedSince: header('x-amz-copy-source-if-modified-since', timestamp('http-date')),
  CopySourceIfNoneMatch: header('x-amz-copy-source-if-none-match', str()),
  CopySourceIfUnmodifiedSince: header('x-amz-copy-source-if-unmodified-since', timestamp('http-date')),
} as const;

/** Copy-source conditions fail with 412 (never 304). */
export function checkCopySourceConditions(
  i: { CopySourceIfMatch?: string; CopySourceIfModifiedSince?: Date; CopySourceIfNoneMatch?: string; CopySourceIfUnmodifiedSince?: Date },
  etag: string,
  lastModified: number,
): void {
  try {
    checkConditions({ IfMatch: i.CopySourceIfMatch, IfNoneMatch: i.CopySourceIfNoneMatch, IfModifiedSince: i.CopySourceIfModifiedSince, IfUnmodifiedSince: i.CopySourceIfUnmodifiedSince }, etag, lastModified);
  } catch (e) {
    if ((e as { code?: string }).code === 'NotModified') throw preconditionFailed('x-amz-copy-source-If-None-Match');
    throw e;
  }
}

export function copyObject(engine: S3Engine): Operation<'CopyObject'> {
  return defineOperation({
    name: 'CopyObject',
    http: { method: 'PUT', path: '/{Bucket}/{Key+}', code: 200, header: 'x-amz-copy-source' },
    input: struct({
      Bucket: label(str()),
      Key: label(str(), { greedy: true }),
      CopySource: header('x-amz-copy-source', str()),
      MetadataDirective: header('x-amz-metadata-directive', str()),
      TaggingDirective: header('x-amz-tagging-directive', str()),
      ...COPY_SOURCE_CONDITIONS,
      ...CONTENT_INPUT,
    }),
    output: struct({ ETag: member(str()), LastModified: member(timestamp()), ServerSideEncryption: header('x-amz-server-side-encryption', str()) }),
    xmlRoot: { output: 'CopyObjectResult' },
    handler: async (i, ctx) => {
      checkKey(i.Key);
      const src = parseCopySource(i.CopySource ?? '');
      const directive = i.MetadataDirective ?? 'COPY';
      if (directive !== 'COPY' && directive !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
      const from = await engine.object(src.bucket, src.key);
      await engine.bucket(i.Bucket);
      checkCopySourceConditions(i, from.etag, from.lastModified);
      if (src.bucket === i.Bucket && src.key === i.Key && directive === 'COPY' && i.TaggingDirective !== 'REPLACE') {
        throw invalidRequest(
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const meta = directive === 'REPLACE' ? metaFromInput(i) : { ...from.parsed, tags: from.parsed.tags };
      if (directive === 'REPLACE' && from.parsed.checksums) meta.checksums = from.parsed.checksums;
      meta.tags = i.TaggingDirective === 'REPLACE' ? metaFromInput({ Tagging: i.Tagging }).tags : from.parsed.tags;
      delete meta.parts;
      const copy = from.size === 0 ? await engine.blobs.write((async function* () {})()) : await engine.blobs.copy(from.blobId);
      // A copy is one part: its ETag is the MD5 of the data even when the source was multipart.
      const etag = from.parsed.parts && from.parsed.parts.length > 1 ? `"${await engine.md5Of(copy.id)}"` : from.etag;
      const now = Date.now();
      const events = objectEvents(engine, 'ObjectCreated:Copy', i.Bucket, copy.size, etag, ctx);
      const r = await engine.commit(copy.id, () =>
        engine.store.putObject({ bucket: i.Bucket, key: i.Key, blobId: copy.id, size: copy.size, etag, lastModified: now, meta: JSON.stringify(meta) }, events.outbox),
      );
      engine.retire(r.previousBlobId);
      engine.announce(events);
      return { ETag: etag, LastModified: new Date(now), ServerSideEncryption: 'AES256' };
    },
  });
}
