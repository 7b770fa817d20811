/**
 * Virtual-hosted-style addressing: the bucket is the part of the Host before
 * the service's host name ("Virtual hosting of buckets", S3 user guide:
 * `https://<bucket>.s3.<region>.amazonaws.com/<key>`, and the legacy
 * `<bucket>.s3.amazonaws.com` / `<bucket>.s3-<region>.amazonaws.com`). Local
 * hosts follow the same rule: `<bucket>.localhost`, `<bucket>.s3.localhost`
 * and LocalStack's `<bucket>.s3.localhost.localstack.cloud`, so tools set up
 * for LocalStack work unchanged. The SDK v3 sends `<bucket>.localhost:4566`
 * for an endpoint `http://localhost:4566` unless `forcePathStyle` is set.
 */

const AMAZONAWS = /^(.+)\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;
const S3_LOCAL = /^(.+)\.s3\.localhost(?:\.localstack\.cloud)?$/;
const LOCALHOST = /^(.+)\.localhost$/;

/** The bucket a Host header names, or null for a path-style host (`localhost:4566`, `s3.amazonaws.com`, an IP). */
export function bucketOfHost(host: string): string | null {
  let h = host.trim().toLowerCase();
  // Strip the port (an IPv6 literal has no bucket anyway).
  if (h.startsWith('[')) return null;
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith('.')) h = h.slice(0, -1);
  const m = AMAZONAWS.exec(h) ?? S3_LOCAL.exec(h) ?? LOCALHOST.exec(h);
  if (!m) return null;
  const bucket = m[1]!;
  // `s3.localhost` is the service's own host, not a bucket named "s3".
  if (bucket === 's3' && LOCALHOST.test(h)) return null;
  return bucket;
}
