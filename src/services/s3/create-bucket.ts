/**
 * CreateBucket (PUT /{Bucket}). As S3 in us-east-1, creating a bucket you
 * already own answers 200; elsewhere BucketAlreadyOwnedByYou (S3 API reference,
 * CreateBucket "Errors"). A LocationConstraint other than the endpoint's
 * region is accepted and reported back by GetBucketLocation.
 */
import { defineOperation, header, label, member, payload, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { bucketAlreadyOwnedByYou } from './errors';
import { checkBucketName } from './names';

export function createBucket(engine: S3Engine): Operation<'CreateBucket'> {
  return defineOperation({
    name: 'CreateBucket',
    http: { method: 'PUT', path: '/{Bucket}', code: 200 },
    input: struct({
      Bucket: label(str()),
      ACL: header('x-amz-acl', str()),
      CreateBucketConfiguration: payload(struct({ LocationConstraint: member(str()) })),
      ObjectOwnership: header('x-amz-object-ownership', str()),
    }),
    output: struct({ Location: header('Location', str()) }),
    xmlRoot: { input: 'CreateBucketConfiguration' },
    handler: async (i) => {
      checkBucketName(i.Bucket);
      const region = i.CreateBucketConfiguration?.LocationConstraint || engine.region;
      const r = await engine.store.createBucket({ name: i.Bucket, region, createdAt: Date.now() });
      if (r === 'exists' && region !== 'us-east-1') throw bucketAlreadyOwnedByYou(i.Bucket);
      return { Location: `/${i.Bucket}` };
    },
  });
}
