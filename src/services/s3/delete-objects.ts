/**
 * DeleteObjects (POST /{Bucket}?delete): up to 1000 keys; each is reported
 * Deleted (missing keys too, as S3 does) unless Quiet. Content-MD5 or a
 * checksum is required by S3 and sent by the SDKs; the wire layer verifies it.
 */
import { bool, defineOperation, label, list, member, payload, required, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { malformedXml } from './errors';
import { objectEvents } from './put-object';

export function deleteObjects(engine: S3Engine): Operation<'DeleteObjects'> {
  return defineOperation({
    name: 'DeleteObjects',
    http: { method: 'POST', path: '/{Bucket}?delete', code: 200 },
    input: struct({
      Bucket: label(str()),
      Delete: payload(struct({ Objects: required(list(struct({ Key: required(str()), VersionId: member(str()) }), { flattened: true }), { name: 'Object' }), Quiet: member(bool()) })),
    }),
    output: struct({
      Deleted: member(list(struct({ Key: member(str()) }), { flattened: true })),
      Errors: member(list(struct({ Key: member(str()), Code: member(str()), Message: member(str()) }), { flattened: true }), { name: 'Error' }),
    }),
    xmlRoot: { input: 'Delete', output: 'DeleteResult' },
    handler: async (i, ctx) => {
      const objects = i.Delete?.Objects ?? [];
      if (objects.length === 0 || objects.length > 1000) throw malformedXml();
      await engine.bucket(i.Bucket);
      const keys = objects.map((o) => o.Key);
      const events = objectEvents(engine, 'ObjectRemoved:Delete', i.Bucket, 0, '', ctx);
      const r = await engine.store.deleteObjects(i.Bucket, keys, events.outbox);
      for (const prev of r) engine.retire(prev);
      engine.announce(events);
      return i.Delete?.Quiet ? {} : { Deleted: keys.map((Key) => ({ Key })) };
    },
  });
}
