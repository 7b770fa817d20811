/** A live Nimbus and @aws-sdk/client-s3 (current version, default checksum settings) pointed at it. */
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Platform, PlatformOptions } from '../../../src/platform';
import { startNimbus } from '../../helpers/nimbus';
import { storeFor, type Backend } from '../dynamodb/helpers';

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface S3TestContext {
  nimbus: Platform;
  s3: S3Client;
}

export async function startS3(opts: PlatformOptions & { backend?: Backend } = {}): Promise<S3TestContext> {
  const { backend = 'sqlite', ...rest } = opts;
  const nimbus = await startNimbus({ poolSize: 0, store: storeFor(backend), ...rest });
  return { nimbus, s3: s3Client(nimbus.awsUrl) };
}

export function s3Client(endpoint: string, extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true, maxAttempts: 1, ...extra });
}

let counter = 0;
export function bucketName(prefix = 'b'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`.toLowerCase();
}

export async function newBucket(s3: S3Client): Promise<string> {
  const Bucket = bucketName();
  await s3.send(new CreateBucketCommand({ Bucket }));
  return Bucket;
}

export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; error: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & Record<string, unknown> & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, error: err };
  }
  throw new Error('expected the call to fail');
}
