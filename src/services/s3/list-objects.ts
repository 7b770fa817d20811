/** ListObjects (v1, GET /{Bucket}): Marker / NextMarker paging (NextMarker only with a delimiter, as S3). */
import { bool, defineOperation, int, label, member, query, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { invalidArgument } from './errors';
import { encodeKey, listKeys } from './listing';
import { COMMON_PREFIXES, CONTENTS, contentsOf } from './list-objects-v2';

export function listObjects(engine: S3Engine): Operation<'ListObjects'> {
  return defineOperation({
    name: 'ListObjects',
    http: { method: 'GET', path: '/{Bucket}', code: 200 },
    input: struct({
      Bucket: label(str()),
      Prefix: query('prefix', str()),
      Delimiter: query('delimiter', str()),
      MaxKeys: query('max-keys', int()),
      Marker: query('marker', str()),
      EncodingType: query('encoding-type', str()),
    }),
    output: struct({
      IsTruncated: member(bool()),
      Marker: member(str()),
      NextMarker: member(str()),
      Contents: CONTENTS,
      Name: member(str()),
      Prefix: member(str()),
      Delimiter: member(str()),
      MaxKeys: member(int()),
      CommonPrefixes: COMMON_PREFIXES,
      EncodingType: member(str()),
    }),
    xmlRoot: { output: 'ListBucketResult' },
    handler: async (i) => {
      if (i.EncodingType !== undefined && i.EncodingType !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', i.EncodingType);
      await engine.bucket(i.Bucket);
      const prefix = i.Prefix ?? '';
      const r = await listKeys(engine, { bucket: i.Bucket, prefix, delimiter: i.Delimiter || undefined, after: i.Marker || undefined, maxKeys: Math.min(i.MaxKeys ?? 1000, 1000) });
      const enc = i.EncodingType;
      const out: Record<string, unknown> = {
        IsTruncated: r.truncated,
        Marker: encodeKey(i.Marker ?? '', enc),
        Contents: contentsOf(r.contents, enc, true),
        Name: i.Bucket,
        Prefix: encodeKey(prefix, enc),
        MaxKeys: i.MaxKeys ?? 1000,
        CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: encodeKey(p, enc) })),
      };
      if (i.Delimiter) out.Delimiter = encodeKey(i.Delimiter, enc);
      if (enc) out.EncodingType = enc;
      if (r.truncated && i.Delimiter && r.last !== undefined) out.NextMarker = encodeKey(r.last, enc);
      return out as never;
    },
  });
}
