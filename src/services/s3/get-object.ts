/** GetObject: streams the object (or a range of it) from its blob. */
import { blob, defineOperation, header, int, label, payload, query, responseCode, str, struct, timestamp, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { OBJECT_OUTPUT } from './object-headers';
import { checkConditions, checkPartNumber, objectHeaders, parseRange, partRange } from './read-object';

export const READ_INPUT = {
  Bucket: label(str()),
  Key: label(str(), { greedy: true }),
  IfMatch: header('If-Match', str()),
  IfModifiedSince: header('If-Modified-Since', timestamp('http-date')),
  IfNoneMatch: header('If-None-Match', str()),
  IfUnmodifiedSince: header('If-Unmodified-Since', timestamp('http-date')),
  Range: header('Range', str()),
  PartNumber: query('partNumber', int()),
  ChecksumMode: header('x-amz-checksum-mode', str()),
  VersionId: query('versionId', str()),
} as const;

export function getObject(engine: S3Engine): Operation<'GetObject'> {
  return defineOperation({
    name: 'GetObject',
    http: { method: 'GET', path: '/{Bucket}/{Key+}', code: 200 },
    input: struct({
      ...READ_INPUT,
      ResponseCacheControl: query('response-cache-control', str()),
      ResponseContentDisposition: query('response-content-disposition', str()),
      ResponseContentEncoding: query('response-content-encoding', str()),
      ResponseContentLanguage: query('response-content-language', str()),
      ResponseContentType: query('response-content-type', str()),
      ResponseExpires: query('response-expires', str()),
    }),
    // Body first: the ContentType header member then wins over the payload's default type.
    output: struct({ Body: payload(blob()), Status: responseCode(), ...OBJECT_OUTPUT }),
    handler: async (i) => {
      checkPartNumber(i.PartNumber, i.Range);
      const o = await engine.object(i.Bucket, i.Key);
      checkConditions(i, o.etag, o.lastModified);
      const range = i.PartNumber !== undefined ? partRange(i.PartNumber, o.parsed, o.size) : parseRange(i.Range, o.size);
      const body = o.size === 0 ? Buffer.alloc(0) : engine.blobs.read(o.blobId, range ?? undefined, o.size);
      return { Body: body as never, Status: range && (i.PartNumber === undefined || (o.parsed.parts?.length ?? 1) > 1) ? 206 : 200, ...objectHeaders(o, range, i, i.ChecksumMode === 'ENABLED') } as never;
    },
  });
}
