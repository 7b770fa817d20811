/**
 * Bucket and key rules (S3 "Bucket naming rules"; keys are at most 1024 bytes
 * of UTF-8). Keys never become file paths: objects live in blobs named by
 * random ids, so no key can reach outside the data directory.
 */
import { invalidArgument, invalidBucketName, keyTooLong } from './errors';

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP = /^\d{1,3}(\.\d{1,3}){3}$/;

export function checkBucketName(name: string): void {
  if (
    !BUCKET.test(name) ||
    IP.test(name) ||
    name.includes('..') ||
    name.includes('.-') ||
    name.includes('-.') ||
    name.startsWith('xn--') ||
    name.startsWith('sthree-') ||
    name.endsWith('-s3alias') ||
    name.endsWith('--ol-s3')
  ) {
    throw invalidBucketName(name);
  }
}

export function checkKey(key: string): void {
  const n = Buffer.byteLength(key);
  if (n > 1024) throw keyTooLong(n);
  // PostgreSQL text cannot hold U+0000 (and XML listings could not show it).
  if (key.includes('\u0000')) throw invalidArgument('Nimbus does not store object keys containing U+0000', 'key', key.replace(/\u0000/g, '\\0'));
}
