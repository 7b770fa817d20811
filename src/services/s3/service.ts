/**
 * S3 (restXml, signing name `s3`): the operation table, checked by the
 * compiler, and how S3 words authentication and internal failures. S3 sends
 * `<Error>` documents without a wrapper, signs the path as sent, and accepts
 * unsigned and streaming payloads.
 */
import { s3AuthErrors, type OperationTable, type ServiceDefinition } from '../../aws';
import { deleteBucketCors, getBucketCors, putBucketCors } from './bucket-cors';
import { getBucketVersioning, putBucketVersioning } from './bucket-versioning';
import { getBucketNotificationConfiguration, putBucketNotificationConfiguration } from './bucket-notifications';
import { copyObject } from './copy-object';
import { s3Cors } from './cors';
import { createBucket } from './create-bucket';
import { deleteBucket } from './delete-bucket';
import { deleteObject } from './delete-object';
import { deleteObjects } from './delete-objects';
import type { S3Engine } from './engine';
import { internalError } from './errors';
import { getBucketLocation } from './get-bucket-location';
import { getObject } from './get-object';
import { headBucket } from './head-bucket';
import { headObject } from './head-object';
import { listBuckets } from './list-buckets';
import { listObjects } from './list-objects';
import { listObjectsV2 } from './list-objects-v2';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart, uploadPartCopy } from './multipart';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './object-tagging';
import { postObject } from './post-object';
import { putObject } from './put-object';
import { bucketOfHost } from './virtual-host';
import { S3_NAMESPACE } from './xml';

export type S3Operation =
  | 'AbortMultipartUpload'
  | 'CompleteMultipartUpload'
  | 'CopyObject'
  | 'CreateBucket'
  | 'CreateMultipartUpload'
  | 'DeleteBucket'
  | 'DeleteBucketCors'
  | 'DeleteObject'
  | 'DeleteObjectTagging'
  | 'DeleteObjects'
  | 'GetBucketCors'
  | 'GetBucketLocation'
  | 'GetBucketNotificationConfiguration'
  | 'GetBucketVersioning'
  | 'GetObject'
  | 'GetObjectTagging'
  | 'HeadBucket'
  | 'HeadObject'
  | 'ListBuckets'
  | 'ListMultipartUploads'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListParts'
  | 'PostObject'
  | 'PutBucketCors'
  | 'PutBucketNotificationConfiguration'
  | 'PutBucketVersioning'
  | 'PutObject'
  | 'PutObjectTagging'
  | 'UploadPart'
  | 'UploadPartCopy';

export interface S3ServiceOptions {
  /** Whether a Lambda ARN names a deployed function (notification targets are validated). */
  functionExists(arn: string): boolean;
}

/** Non-streaming requests carry XML documents (DeleteObjects of 1000 keys is the largest); objects stream. */
const MAX_XML_BODY = 2 * 1024 * 1024;

export function s3Service(engine: S3Engine, opts: S3ServiceOptions): ServiceDefinition<S3Operation> {
  const operations: OperationTable<S3Operation> = {
    AbortMultipartUpload: abortMultipartUpload(engine),
    CompleteMultipartUpload: completeMultipartUpload(engine),
    CopyObject: copyObject(engine),
    CreateBucket: createBucket(engine),
    CreateMultipartUpload: createMultipartUpload(engine),
    DeleteBucket: deleteBucket(engine),
    DeleteBucketCors: deleteBucketCors(engine),
    DeleteObject: deleteObject(engine),
    DeleteObjectTagging: deleteObjectTagging(engine),
    DeleteObjects: deleteObjects(engine),
    GetBucketCors: getBucketCors(engine),
    GetBucketLocation: getBucketLocation(engine),
    GetBucketNotificationConfiguration: getBucketNotificationConfiguration(engine),
    GetBucketVersioning: getBucketVersioning(engine),
    GetObject: getObject(engine),
    GetObjectTagging: getObjectTagging(engine),
    HeadBucket: headBucket(engine),
    HeadObject: headObject(engine),
    ListBuckets: listBuckets(engine),
    ListMultipartUploads: listMultipartUploads(engine),
    ListObjects: listObjects(engine),
    ListObjectsV2: listObjectsV2(engine),
    ListParts: listParts(engine),
    PostObject: postObject(engine),
    PutBucketCors: putBucketCors(engine),
    PutBucketNotificationConfiguration: putBucketNotificationConfiguration(engine, opts.functionExists),
    PutBucketVersioning: putBucketVersioning(engine),
    PutObject: putObject(engine),
    PutObjectTagging: putObjectTagging(engine),
    UploadPart: uploadPart(engine),
    UploadPartCopy: uploadPartCopy(engine),
  };
  return {
    signingName: 's3',
    protocol: 'restXml',
    xmlNamespace: S3_NAMESPACE,
    noErrorWrapping: true,
    singleEncodePath: true,
    allowUnsignedPayload: true,
    maxBodyBytes: MAX_XML_BODY,
    operations,
    authErrors: s3AuthErrors(),
    internalError: () => internalError(),
    // S3's two request ids: x-amz-request-id (16 hex-ish characters) and x-amz-id-2.
    // `<bucket>.s3.<region>.amazonaws.com`, `<bucket>.localhost`...: routed as `/<bucket>/<key>`.
    virtualHost: bucketOfHost,
    cors: s3Cors(engine),
    requestIdHeaders: (id) => ({ 'x-amz-request-id': id.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': Buffer.from(id).toString('base64') }),
  };
}
