/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts,
 * ListMultipartUploads. AWS's rules: part numbers 1..10000, every part but
 * the last at least 5 MiB, parts listed in ascending order with their ETags,
 * and the object's ETag is the MD5 of the parts' binary MD5s, `-<count>`
 * ("Checking object integrity", multipart ETags).
 */
import { createHash, randomBytes } from 'node:crypto';
import { blob, defineOperation, header, int, label, list, member, payload, query, required, str, struct, timestamp, bool, type Operation } from '../../aws';
import type { ObjectMeta, S3Engine } from './engine';
import { entityTooSmall, invalidArgument, invalidPart, invalidPartOrder, malformedXml, noSuchUpload } from './errors';
import { CHECKSUM_OUTPUT, CONTENT_INPUT, metaFromInput } from './object-headers';
import { COPY_SOURCE_CONDITIONS, checkCopySourceConditions, parseCopySource } from './copy-object';
import { checkKey } from './names';
import { OWNER } from './owner';
import { objectEvents, storeBody } from './put-object';
import { parseRange } from './read-object';

const MIN_PART = 5 * 1024 * 1024;
const KEY = { Bucket: label(str()), Key: label(str(), { greedy: true }) } as const;

async function upload(engine: S3Engine, bucket: string, key: string, uploadId: string) {
  const u = await engine.store.getUpload(uploadId);
  if (!u || u.bucket !== bucket || u.key !== key) {
    await engine.bucket(bucket);
    throw noSuchUpload(uploadId);
  }
  return u;
}

function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', String(n));
}

export function createMultipartUpload(engine: S3Engine): Operation<'CreateMultipartUpload'> {
  return defineOperation({
    name: 'CreateMultipartUpload',
    http: { method: 'POST', path: '/{Bucket}/{Key+}?uploads', code: 200 },
    input: struct({ ...KEY, ...CONTENT_INPUT, ChecksumAlgorithm: header('x-amz-checksum-algorithm', str()), ChecksumType: header('x-amz-checksum-type', str()) }),
    output: struct({ Bucket: member(str()), Key: member(str()), UploadId: member(str()), ServerSideEncryption: header('x-amz-server-side-encryption', str()) }),
    xmlRoot: { output: 'InitiateMultipartUploadResult' },
    handler: async (i) => {
      checkKey(i.Key);
      await engine.bucket(i.Bucket);
      const meta = metaFromInput(i);
      const uploadId = randomBytes(32).toString('base64url');
      await engine.store.createUpload({ uploadId, bucket: i.Bucket, key: i.Key, initiated: Date.now(), meta: JSON.stringify(meta) });
      return { Bucket: i.Bucket, Key: i.Key, UploadId: uploadId, ServerSideEncryption: 'AES256' };
    },
  });
}

export function uploadPart(engine: S3Engine): Operation<'UploadPart'> {
  return defineOperation({
    name: 'UploadPart',
    http: { method: 'PUT', path: '/{Bucket}/{Key+}?partNumber&uploadId', code: 200 },
    streamingInput: true,
    input: struct({ ...KEY, Body: payload(blob()), PartNumber: query('partNumber', int()), UploadId: query('uploadId', str()) }),
    output: struct({ ETag: header('ETag', str()), ServerSideEncryption: header('x-amz-server-side-encryption', str()), ...CHECKSUM_OUTPUT }),
    handler: async (i) => {
      checkPartNumber(i.PartNumber ?? 0);
      await upload(engine, i.Bucket, i.Key, i.UploadId ?? '');
      const meta: ObjectMeta = { metadata: {} };
      const stored = await storeBody(engine, i.Body, meta);
      const checksum = meta.checksums ? JSON.stringify(meta.checksums) : undefined;
      const r = await engine.commit(stored.blobId, () =>
        engine.store.putPart({ uploadId: i.UploadId!, partNumber: i.PartNumber!, blobId: stored.blobId, size: stored.size, etag: stored.etag, lastModified: Date.now(), checksum: checksum ?? null }),
      );
      engine.retire(r.previousBlobId);
      const out: Record<string, string> = { ETag: stored.etag, ServerSideEncryption: 'AES256' };
      for (const [alg, v] of Object.entries(meta.checksums ?? {})) out[`Checksum${alg}`] = v;
      return out as never;
    },
  });
}

export function uploadPartCopy(engine: S3Engine): Operation<'UploadPartCopy'> {
  return defineOperation({
    name: 'UploadPartCopy',
    http: { method: 'PUT', path: '/{Bucket}/{Key+}?partNumber&uploadId', code: 200, header: 'x-amz-copy-source' },
    input: struct({
      ...KEY,
      PartNumber: query('partNumber', int()),
      UploadId: query('uploadId', str()),
      CopySource: header('x-amz-copy-source', str()),
      CopySourceRange: header('x-amz-copy-source-range', str()),
      ...COPY_SOURCE_CONDITIONS,
    }),
    output: struct({ ETag: member(str()), LastModified: member(timestamp()) }),
    xmlRoot: { output: 'CopyPartResult' },
    handler: async (i) => {
      checkPartNumber(i.PartNumber ?? 0);
      await upload(engine, i.Bucket, i.Key, i.UploadId ?? '');
      const src = parseCopySource(i.CopySource ?? '');
      const from = await engine.object(src.bucket, src.key);
      checkCopySourceConditions(i, from.etag, from.lastModified);
      let range: { start: number; end: number } | undefined;
      if (i.CopySourceRange !== undefined) {
        const r = /^bytes=(\d+)-(\d+)$/.exec(i.CopySourceRange);
        if (!r || Number(r[2]) < Number(r[1]) || Number(r[2]) >= from.size) {
          throw invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', i.CopySourceRange);
        }
        range = parseRange(`bytes=${r[1]}-${r[2]}`, from.size) ?? undefined;
      }
      const copy = await engine.blobs.copy(from.blobId, range);
      const etag = `"${await engine.md5Of(copy.id)}"`;
      const now = Date.now();
      const r = await engine.commit(copy.id, () => engine.store.putPart({ uploadId: i.UploadId!, partNumber: i.PartNumber!, blobId: copy.id, size: copy.size, etag, lastModified: now, checksum: null }));
      engine.retire(r.previousBlobId);
      return { ETag: etag, LastModified: new Date(now) };
    },
  });
}

export function completeMultipartUpload(engine: S3Engine): Operation<'CompleteMultipartUpload'> {
  return defineOperation({
    name: 'CompleteMultipartUpload',
    http: { method: 'POST', path: '/{Bucket}/{Key+}?uploadId', code: 200 },
    input: struct({
      ...KEY,
      UploadId: query('uploadId', str()),
      MultipartUpload: payload(struct({ Parts: member(list(struct({ PartNumber: required(int()), ETag: required(str()) }), { flattened: true, memberName: 'Part' }), { name: 'Part' }) })),
    }),
    output: struct({ Location: member(str()), Bucket: member(str()), Key: member(str()), ETag: member(str()), ServerSideEncryption: header('x-amz-server-side-encryption', str()) }),
    xmlRoot: { input: 'CompleteMultipartUpload', output: 'CompleteMultipartUploadResult' },
    handler: async (i, ctx) => {
      const u = await upload(engine, i.Bucket, i.Key, i.UploadId ?? '');
      const asked = i.MultipartUpload?.Parts ?? [];
      if (asked.length === 0) throw malformedXml();
      const stored = new Map((await engine.store.listParts(u.uploadId, { limit: 10001 })).map((p) => [p.partNumber, p]));
      const chosen = [];
      for (let n = 0; n < asked.length; n++) {
        const a = asked[n];
        if (n > 0 && a.PartNumber <= asked[n - 1].PartNumber) throw invalidPartOrder();
        const p = stored.get(a.PartNumber);
        const want = a.ETag.replace(/"/g, '');
        if (!p || p.etag.replace(/"/g, '') !== want) throw invalidPart(a.PartNumber, a.ETag);
        chosen.push(p);
      }
      for (let n = 0; n < chosen.length - 1; n++) if (chosen[n].size < MIN_PART) throw entityTooSmall(chosen[n].size);
      const md5s = Buffer.concat(chosen.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex')));
      const etag = `"${createHash('md5').update(md5s).digest('hex')}-${chosen.length}"`;
      const data = await engine.blobs.concat(chosen.map((p) => p.blobId));
      const meta = JSON.parse(u.meta) as ObjectMeta;
      meta.parts = chosen.map((p) => p.size);
      const events = objectEvents(engine, 'ObjectCreated:CompleteMultipartUpload', i.Bucket, data.size, etag, ctx);
      const r = await engine.commit(data.id, () =>
        engine.store.completeUpload(u.uploadId, { bucket: i.Bucket, key: i.Key, blobId: data.id, size: data.size, etag, lastModified: Date.now(), meta: JSON.stringify(meta) }, events.outbox),
      );
      engine.retire(r.previousBlobId);
      for (const b of r.partBlobIds) engine.retire(b);
      engine.announce(events);
      return { Location: `/${i.Bucket}/${i.Key}`, Bucket: i.Bucket, Key: i.Key, ETag: etag, ServerSideEncryption: 'AES256' };
    },
  });
}

export function abortMultipartUpload(engine: S3Engine): Operation<'AbortMultipartUpload'> {
  return defineOperation({
    name: 'AbortMultipartUpload',
    http: { method: 'DELETE', path: '/{Bucket}/{Key+}?uploadId', code: 204 },
    input: struct({ ...KEY, UploadId: query('uploadId', str()) }),
    output: struct({}),
    handler: async (i) => {
      await upload(engine, i.Bucket, i.Key, i.UploadId ?? '');
      for (const b of (await engine.store.deleteUpload(i.UploadId!)) ?? []) engine.retire(b);
      return {};
    },
  });
}

export function listParts(engine: S3Engine): Operation<'ListParts'> {
  return defineOperation({
    name: 'ListParts',
    http: { method: 'GET', path: '/{Bucket}/{Key+}?uploadId', code: 200 },
    input: struct({ ...KEY, UploadId: query('uploadId', str()), MaxParts: query('max-parts', int()), PartNumberMarker: query('part-number-marker', int()) }),
    output: struct({
      Bucket: member(str()),
      Key: member(str()),
      UploadId: member(str()),
      PartNumberMarker: member(int()),
      NextPartNumberMarker: member(int()),
      MaxParts: member(int()),
      IsTruncated: member(bool()),
      Parts: member(list(struct({ PartNumber: member(int()), LastModified: member(timestamp()), ETag: member(str()), Size: member(int()) }), { flattened: true }), { name: 'Part' }),
      Initiator: member(struct({ ID: member(str()), DisplayName: member(str()) })),
      Owner: member(struct({ ID: member(str()), DisplayName: member(str()) })),
      StorageClass: member(str()),
    }),
    xmlRoot: { output: 'ListPartsResult' },
    handler: async (i) => {
      const u = await upload(engine, i.Bucket, i.Key, i.UploadId ?? '');
      const max = Math.min(i.MaxParts ?? 1000, 1000);
      const parts = await engine.store.listParts(u.uploadId, { after: i.PartNumberMarker, limit: max + 1 });
      const page = parts.slice(0, max);
      const truncated = parts.length > max;
      return {
        Bucket: i.Bucket,
        Key: i.Key,
        UploadId: u.uploadId,
        PartNumberMarker: i.PartNumberMarker ?? 0,
        ...(truncated ? { NextPartNumberMarker: page[page.length - 1].partNumber } : {}),
        MaxParts: max,
        IsTruncated: truncated,
        Parts: page.map((p) => ({ PartNumber: p.partNumber, LastModified: new Date(p.lastModified), ETag: p.etag, Size: p.size })),
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
      };
    },
  });
}

export function listMultipartUploads(engine: S3Engine): Operation<'ListMultipartUploads'> {
  return defineOperation({
    name: 'ListMultipartUploads',
    http: { method: 'GET', path: '/{Bucket}?uploads', code: 200 },
    input: struct({
      Bucket: label(str()),
      Prefix: query('prefix', str()),
      KeyMarker: query('key-marker', str()),
      UploadIdMarker: query('upload-id-marker', str()),
      MaxUploads: query('max-uploads', int()),
    }),
    output: struct({
      Bucket: member(str()),
      KeyMarker: member(str()),
      UploadIdMarker: member(str()),
      NextKeyMarker: member(str()),
      NextUploadIdMarker: member(str()),
      MaxUploads: member(int()),
      IsTruncated: member(bool()),
      Uploads: member(list(struct({ UploadId: member(str()), Key: member(str()), Initiated: member(timestamp()), StorageClass: member(str()) }), { flattened: true }), { name: 'Upload' }),
    }),
    xmlRoot: { output: 'ListMultipartUploadsResult' },
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      const max = Math.min(i.MaxUploads ?? 1000, 1000);
      const ups = await engine.store.listUploads(i.Bucket, { prefix: i.Prefix, keyMarker: i.KeyMarker, uploadIdMarker: i.UploadIdMarker, limit: max + 1 });
      const page = ups.slice(0, max);
      const truncated = ups.length > max;
      const last = page[page.length - 1];
      return {
        Bucket: i.Bucket,
        KeyMarker: i.KeyMarker ?? '',
        UploadIdMarker: i.UploadIdMarker ?? '',
        ...(truncated && last ? { NextKeyMarker: last.key, NextUploadIdMarker: last.uploadId } : {}),
        MaxUploads: max,
        IsTruncated: truncated,
        Uploads: page.map((u) => ({ UploadId: u.uploadId, Key: u.key, Initiated: new Date(u.initiated), StorageClass: 'STANDARD' })),
      };
    },
  });
}
