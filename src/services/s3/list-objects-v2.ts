/** ListObjectsV2 (GET /{Bucket}?list-type=2): pages of keys and common prefixes with opaque continuation tokens. */
import { bool, defineOperation, header, int, label, list, member, query, str, struct, timestamp, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { invalidArgument } from './errors';
import { encodeKey, listKeys } from './listing';
import { OWNER } from './owner';

export const CONTENTS = member(
  list(
    struct({
      Key: member(str()),
      LastModified: member(timestamp()),
      ETag: member(str()),
      ChecksumAlgorithm: member(list(str(), { flattened: true })),
      ChecksumType: member(str()),
      Size: member(int()),
      StorageClass: member(str()),
      Owner: member(struct({ ID: member(str()), DisplayName: member(str()) })),
    }),
    { flattened: true },
  ),
);
export const COMMON_PREFIXES = member(list(struct({ Prefix: member(str()) }), { flattened: true }));

export function contentsOf(rows: { key: string; lastModified: number; etag: string; size: number; meta: string }[], encoding: string | undefined, owner: boolean) {
  return rows.map((o) => {
    const m = JSON.parse(o.meta) as { storageClass?: string; checksums?: Record<string, string>; checksumType?: string };
    const algs = Object.keys(m.checksums ?? {});
    return {
      Key: encodeKey(o.key, encoding),
      LastModified: new Date(o.lastModified),
      ETag: o.etag,
      ...(algs.length > 0 ? { ChecksumAlgorithm: algs, ChecksumType: m.checksumType ?? 'FULL_OBJECT' } : {}),
      Size: o.size,
      StorageClass: m.storageClass ?? 'STANDARD',
      ...(owner ? { Owner: OWNER } : {}),
    };
  });
}

export function listObjectsV2(engine: S3Engine): Operation<'ListObjectsV2'> {
  return defineOperation({
    name: 'ListObjectsV2',
    http: { method: 'GET', path: '/{Bucket}?list-type=2', code: 200 },
    input: struct({
      Bucket: label(str()),
      Prefix: query('prefix', str()),
      Delimiter: query('delimiter', str()),
      MaxKeys: query('max-keys', int()),
      ContinuationToken: query('continuation-token', str()),
      StartAfter: query('start-after', str()),
      EncodingType: query('encoding-type', str()),
      FetchOwner: query('fetch-owner', bool()),
      ExpectedBucketOwner: header('x-amz-expected-bucket-owner', str()),
    }),
    output: struct({
      IsTruncated: member(bool()),
      Contents: CONTENTS,
      Name: member(str()),
      Prefix: member(str()),
      Delimiter: member(str()),
      MaxKeys: member(int()),
      CommonPrefixes: COMMON_PREFIXES,
      EncodingType: member(str()),
      KeyCount: member(int()),
      ContinuationToken: member(str()),
      NextContinuationToken: member(str()),
      StartAfter: member(str()),
    }),
    xmlRoot: { output: 'ListBucketResult' },
    handler: async (i) => {
      if (i.EncodingType !== undefined && i.EncodingType !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', i.EncodingType);
      if (i.MaxKeys !== undefined && i.MaxKeys < 0) throw invalidArgument('maxKeys should be non-negative', 'max-keys', String(i.MaxKeys));
      await engine.bucket(i.Bucket);
      let after = i.StartAfter;
      if (i.ContinuationToken !== undefined) {
        const decoded = Buffer.from(i.ContinuationToken, 'base64').toString('utf8');
        if (!decoded.startsWith('k:')) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', i.ContinuationToken);
        after = decoded.slice(2);
      }
      const maxKeys = Math.min(i.MaxKeys ?? 1000, 1000);
      const prefix = i.Prefix ?? '';
      const r = await listKeys(engine, { bucket: i.Bucket, prefix, delimiter: i.Delimiter || undefined, after, maxKeys });
      const enc = i.EncodingType;
      const out: Record<string, unknown> = {
        IsTruncated: r.truncated,
        Contents: contentsOf(r.contents, enc, i.FetchOwner === true),
        Name: i.Bucket,
        Prefix: encodeKey(prefix, enc),
        MaxKeys: i.MaxKeys ?? 1000,
        CommonPrefixes: r.commonPrefixes.map((p) => ({ Prefix: encodeKey(p, enc) })),
        KeyCount: r.contents.length + r.commonPrefixes.length,
      };
      if (i.Delimiter) out.Delimiter = encodeKey(i.Delimiter, enc);
      if (enc) out.EncodingType = enc;
      if (i.ContinuationToken !== undefined) out.ContinuationToken = i.ContinuationToken;
      if (i.StartAfter !== undefined) out.StartAfter = encodeKey(i.StartAfter, enc);
      if (r.truncated && r.last !== undefined) out.NextContinuationToken = Buffer.from(`k:${r.last}`).toString('base64');
      return out as never;
    },
  });
}
