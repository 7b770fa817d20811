/** DeleteBucket: 204; BucketNotEmpty while it holds objects. */
import { defineOperation, label, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { bucketNotEmpty, noSuchBucket } from './errors';

export function deleteBucket(engine: S3Engine): Operation<'DeleteBucket'> {
  return defineOperation({
    name: 'DeleteBucket',
    http: { method: 'DELETE', path: '/{Bucket}', code: 204 },
    input: struct({ Bucket: label(str()) }),
    output: struct({}),
    handler: async (i) => {
      const r = await engine.store.deleteBucket(i.Bucket);
      if (r === 'missing') throw noSuchBucket(i.Bucket);
      if (r === 'not-empty') throw bucketNotEmpty(i.Bucket);
      return {};
    },
  });
}
