/** DeleteObject: 204 whether or not the key existed (S3 without versioning). */
import { defineOperation, label, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { objectEvents } from './put-object';

export function deleteObject(engine: S3Engine): Operation<'DeleteObject'> {
  return defineOperation({
    name: 'DeleteObject',
    http: { method: 'DELETE', path: '/{Bucket}/{Key+}', code: 204 },
    input: struct({ Bucket: label(str()), Key: label(str(), { greedy: true }) }),
    output: struct({}),
    handler: async (i, ctx) => {
      await engine.bucket(i.Bucket);
      const events = objectEvents(engine, 'ObjectRemoved:Delete', i.Bucket, 0, '', ctx);
      const r = await engine.store.deleteObject(i.Bucket, i.Key, events.outbox);
      engine.retire(r.previousBlobId);
      engine.announce(events);
      return {};
    },
  });
}
