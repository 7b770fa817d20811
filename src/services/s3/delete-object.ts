/** DeleteObject: 204 whether or not the key existed (S3 without versioning). */
import { defineOperation, label, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { emitCreated } from './put-object';

export function deleteObject(engine: S3Engine): Operation<'DeleteObject'> {
  return defineOperation({
    name: 'DeleteObject',
    http: { method: 'DELETE', path: '/{Bucket}/{Key+}', code: 204 },
    input: struct({ Bucket: label(str()), Key: label(str(), { greedy: true }) }),
    output: struct({}),
    handler: async (i, ctx) => {
      await engine.bucket(i.Bucket);
      const r = await engine.store.deleteObject(i.Bucket, i.Key);
      if (r.previousBlobId) {
        engine.retire(r.previousBlobId);
        emitCreated(engine, 'ObjectRemoved:Delete', i.Bucket, i.Key, 0, '', ctx);
      }
      return {};
    },
  });
}
