/** ListBuckets (GET /): every bucket, in name order, with the owner. */
import { defineOperation, list, member, str, struct, timestamp, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { OWNER } from './owner';

export function listBuckets(engine: S3Engine): Operation<'ListBuckets'> {
  return defineOperation({
    name: 'ListBuckets',
    http: { method: 'GET', path: '/', code: 200 },
    input: struct({}),
    output: struct({
      Buckets: member(list(struct({ Name: member(str()), CreationDate: member(timestamp()), BucketRegion: member(str()) }), { memberName: 'Bucket' })),
      Owner: member(struct({ ID: member(str()), DisplayName: member(str()) })),
    }),
    xmlRoot: { output: 'ListAllMyBucketsResult' },
    handler: async () => {
      const buckets = await engine.store.listBuckets();
      return { Buckets: buckets.map((b) => ({ Name: b.name, CreationDate: new Date(b.createdAt), BucketRegion: b.region })), Owner: OWNER };
    },
  });
}
