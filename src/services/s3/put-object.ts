/**
 * PutObject: the body streams into a new blob (verified on the way: signed
 * payload hash, aws-chunked signatures, Content-MD5, x-amz-checksum-*), then
 * the object's row commits; only then is the upload acknowledged. Conditional
 * writes: `If-None-Match: *` (create only) and `If-Match: <etag>`.
 */
import { blob, defineOperation, header, label, payload, str, struct, type Operation, type PayloadStream } from '../../aws';
import type { OperationContext } from '../../aws/types';
import type { ObjectEvents, ObjectMeta, S3Engine } from './engine';
import { preconditionFailed } from './errors';
import { CHECKSUM_OUTPUT, CONTENT_INPUT, checksumHeaders, metaFromInput } from './object-headers';
import { checkKey } from './names';

export function putObject(engine: S3Engine): Operation<'PutObject'> {
  return defineOperation({
    name: 'PutObject',
    http: { method: 'PUT', path: '/{Bucket}/{Key+}', code: 200 },
    streamingInput: true,
    input: struct({
      Bucket: label(str()),
      Key: label(str(), { greedy: true }),
      Body: payload(blob()),
      ...CONTENT_INPUT,
      IfMatch: header('If-Match', str()),
      IfNoneMatch: header('If-None-Match', str()),
      ChecksumAlgorithm: header('x-amz-sdk-checksum-algorithm', str()),
    }),
    output: struct({
      ETag: header('ETag', str()),
      ServerSideEncryption: header('x-amz-server-side-encryption', str()),
      Size: header('x-amz-object-size', str()),
      ...CHECKSUM_OUTPUT,
    }),
    handler: async (i, ctx) => {
      checkKey(i.Key);
      const meta = metaFromInput(i);
      await engine.bucket(i.Bucket);
      await checkWritePreconditions(engine, i.Bucket, i.Key, i.IfMatch, i.IfNoneMatch);
      const body = i.Body;
      const stored = await storeBody(engine, body, meta);
      const events = objectEvents(engine, 'ObjectCreated:Put', i.Bucket, stored.size, stored.etag, ctx);
      const r = await engine.commit(stored.blobId, () =>
        engine.store.putObject({ bucket: i.Bucket, key: i.Key, blobId: stored.blobId, size: stored.size, etag: stored.etag, lastModified: Date.now(), meta: JSON.stringify(meta) }, events.outbox),
      );
      engine.retire(r.previousBlobId);
      engine.announce(events);
      return { ETag: stored.etag, ServerSideEncryption: 'AES256', ...checksumHeaders(meta) };
    },
  });
}

/** Streams a verified body into a blob; fills in the object's checksums. Nothing is left behind if verification fails. */
export async function storeBody(engine: S3Engine, body: PayloadStream, meta: ObjectMeta): Promise<{ blobId: string; size: number; etag: string }> {
  const written = await engine.blobs.write(body);
  let done: Awaited<ReturnType<PayloadStream['done']>>;
  try {
    done = await body.done();
  } catch (e) {
    await engine.blobs.delete(written.id).catch(() => undefined);
    throw e;
  }
  if (Object.keys(done.checksums).length > 0) {
    meta.checksums = { ...done.checksums } as Record<string, string>;
    meta.checksumType = 'FULL_OBJECT';
  }
  return { blobId: written.id, size: written.size, etag: `"${done.md5Hex}"` };
}

export async function checkWritePreconditions(engine: S3Engine, bucket: string, key: string, ifMatch?: string, ifNoneMatch?: string): Promise<void> {
  if (ifMatch === undefined && ifNoneMatch === undefined) return;
  const current = await engine.store.getObject(bucket, key);
  if (ifNoneMatch !== undefined && current) throw preconditionFailed('If-None-Match');
  if (ifMatch !== undefined && (!current || (ifMatch !== '*' && ifMatch !== current.etag && `"${ifMatch}"` !== current.etag))) throw preconditionFailed('If-Match');
}

/**
 * The S3 events of one write by this request (S3Engine.events): pass
 * `.outbox` to the store write, which commits the event with the object, then
 * `engine.announce(events)`.
 */
export function objectEvents(engine: S3Engine, name: string, bucket: string, size: number, etag: string, ctx: OperationContext): ObjectEvents {
  return engine.events({
    name,
    bucket,
    size,
    etag: etag.replace(/"/g, ''),
    time: Date.now(),
    requestId: ctx.requestId,
    sourceIp: '127.0.0.1',
    principal: ctx.principal.kind === 'function' ? `AWS:${ctx.principal.accessKeyId}` : 'AWS:000000000000',
    traceId: ctx.traceId,
  });
}
