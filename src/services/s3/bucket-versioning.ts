/**
 * Versioning is not built: GetBucketVersioning answers "never enabled" (an
 * empty configuration, as S3 does), PutBucketVersioning Suspended is a no-op,
 * and Enabled is declined with NotImplemented rather than silently ignored.
 */
import { defineOperation, label, member, payload, str, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { malformedXml, notImplemented } from './errors';

export function getBucketVersioning(engine: S3Engine): Operation<'GetBucketVersioning'> {
  return defineOperation({
    name: 'GetBucketVersioning',
    http: { method: 'GET', path: '/{Bucket}?versioning', code: 200 },
    input: struct({ Bucket: label(str()) }),
    output: struct({ Status: member(str()), MFADelete: member(str()) }),
    xmlRoot: { output: 'VersioningConfiguration' },
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      return {};
    },
  });
}

export function putBucketVersioning(engine: S3Engine): Operation<'PutBucketVersioning'> {
  return defineOperation({
    name: 'PutBucketVersioning',
    http: { method: 'PUT', path: '/{Bucket}?versioning', code: 200 },
    input: struct({ Bucket: label(str()), VersioningConfiguration: payload(struct({ Status: member(str()), MFADelete: member(str()) })) }),
    output: struct({}),
    xmlRoot: { input: 'VersioningConfiguration' },
    handler: async (i) => {
      await engine.bucket(i.Bucket);
      const status = i.VersioningConfiguration?.Status;
      if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
      if (status === 'Enabled') throw notImplemented('Nimbus does not support bucket versioning yet; objects have one version.');
      return {};
    },
  });
}
