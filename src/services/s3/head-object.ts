/** HeadObject: GetObject's headers without the body. */
import { defineOperation, responseCode, struct, type Operation } from '../../aws';
import type { S3Engine } from './engine';
import { READ_INPUT } from './get-object';
import { OBJECT_OUTPUT } from './object-headers';
import { checkConditions, checkPartNumber, objectHeaders, parseRange, partRange } from './read-object';

export function headObject(engine: S3Engine): Operation<'HeadObject'> {
  return defineOperation({
    name: 'HeadObject',
    http: { method: 'HEAD', path: '/{Bucket}/{Key+}', code: 200 },
    input: struct(READ_INPUT),
    output: struct({ Status: responseCode(), ...OBJECT_OUTPUT }),
    handler: async (i) => {
      checkPartNumber(i.PartNumber, i.Range);
      const o = await engine.object(i.Bucket, i.Key);
      checkConditions(i, o.etag, o.lastModified);
      const range = i.PartNumber !== undefined ? partRange(i.PartNumber, o.parsed, o.size) : parseRange(i.Range, o.size);
      return { Status: range && i.PartNumber === undefined ? 206 : 200, ...objectHeaders(o, range, {}, i.ChecksumMode === 'ENABLED') } as never;
    },
  });
}
