/**
 * GetBucketLocation: the root element itself holds the region
 * (`<LocationConstraint>eu-west-1</LocationConstraint>`; empty for us-east-1),
 * so the document is written here rather than from a structure.
 */
import { defineOperation, label, payload, str, struct, type Operation } from '../../aws';
import { escapeXml } from '../../aws/xml';
import type { S3Engine } from './engine';
import { S3_NAMESPACE } from './xml';

export function getBucketLocation(engine: S3Engine): Operation<'GetBucketLocation'> {
  return defineOperation({
    name: 'GetBucketLocation',
    http: { method: 'GET', path: '/{Bucket}?location', code: 200 },
    input: struct({ Bucket: label(str()) }),
    output: struct({ Document: payload(str()) }),
    payloadContentType: 'application/xml',
    handler: async (i) => {
      const b = await engine.bucket(i.Bucket);
      const region = b.region === 'us-east-1' ? '' : escapeXml(b.region);
      return { Document: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_NAMESPACE}">${region}</LocationConstraint>` };
    },
  });
}
