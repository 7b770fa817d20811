/** UpdateFunctionCode (PUT /2015-03-31/functions/{FunctionName}/code): a new ZipFile for `$LATEST`. */
import { blob, bool, defineOperation, label, list, member, str, strEnum, struct, type Operation } from '../../aws';
import { isPlatformError } from '../../errors';
import type { LambdaBackend } from './backend';
import { zipOf } from './code';
import { invalidParameter } from './errors';
import { FUNCTION_NAME, findFunction } from './function-name';
import { FUNCTION_CONFIGURATION, toConfiguration } from './models';

export function updateFunctionCode(backend: LambdaBackend): Operation<'UpdateFunctionCode'> {
  return defineOperation({
    name: 'UpdateFunctionCode',
    http: { method: 'PUT', path: '/2015-03-31/functions/{FunctionName}/code', code: 200 },
    input: struct({
      FunctionName: label(FUNCTION_NAME),
      ZipFile: member(blob()),
      S3Bucket: member(str({ min: 3, max: 63 })),
      S3Key: member(str({ min: 1, max: 1024 })),
      S3ObjectVersion: member(str({ min: 1, max: 1024 })),
      ImageUri: member(str()),
      Publish: member(bool()),
      DryRun: member(bool()),
      RevisionId: member(str()),
      Architectures: member(list(strEnum(['x86_64', 'arm64']), { min: 1, max: 1 })),
    }),
    output: FUNCTION_CONFIGURATION,
    handler: async (input, ctx) => {
      const { ref, info } = await findFunction(backend, input.FunctionName, undefined, ctx);
      const zip = zipOf(input);
      if (input.DryRun) return toConfiguration(info);
      try {
        return toConfiguration(await backend.updateFunctionCode(ref.name, zip));
      } catch (e) {
        if (isPlatformError(e)) throw invalidParameter(e.message);
        throw e;
      }
    },
  });
}
