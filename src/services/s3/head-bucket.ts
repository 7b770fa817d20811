/** HeadBucket: 200 with the bucket's region, or a bare 404 (HEAD answers carry no body). */
import { defineOperation, header, label, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';

export function headBucket(engine: S3Engine): Operation<'HeadBucket'> {
  return defineOperation({
    name: 'HeadBucket',
    http: { method: 'HEAD', path: '/{Bucket}', code: 200 },
    input: struct({ Bucket: label(str()) }),
    output: struct({ BucketRegion: header('x-amz-bucket-region', str()), AccessPointAlias: header('x-amz-access-point-alias', str()) }),
    handler: async (i) => {
      const b = await engine.bucket(i.Bucket);
      return { BucketRegion: b.region, AccessPointAlias: 'false' };
    },
  });
}
