/**
 * CreateFunction (POST /2015-03-31/functions, 201): a function from a ZipFile
 * deployment package. An existing name is ResourceConflictException
 * ("Function already exist: <name>", AWS's wording, grammar included).
 */
import { blob, bool, defineOperation, int, list, map, member, required, str, strEnum, struct, type Operation } from '../../aws';
import { isPlatformError } from '../../errors';
import type { LambdaBackend } from './backend';
import { zipOf } from './code';
import { invalidParameter, resourceConflict } from './errors';
import { FUNCTION_NAME, parseFunctionName } from './function-name';
import { FUNCTION_CONFIGURATION, toConfiguration } from './models';

const ROLE = str({ pattern: 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+' });

export function createFunction(backend: LambdaBackend): Operation<'CreateFunction'> {
  return defineOperation({
    name: 'CreateFunction',
    http: { method: 'POST', path: '/2015-03-31/functions', code: 201 },
    input: struct({
      FunctionName: required(FUNCTION_NAME),
      Role: required(ROLE),
      Runtime: member(str()),
      Handler: member(str({ max: 128, pattern: '[^\\s]+' })),
      Code: required(
        struct({
          ZipFile: member(blob()),
          S3Bucket: member(str({ min: 3, max: 63 })),
          S3Key: member(str({ min: 1, max: 1024 })),
          S3ObjectVersion: member(str({ min: 1, max: 1024 })),
          ImageUri: member(str()),
        }),
      ),
      Description: member(str({ min: 0, max: 256 })),
      Timeout: member(int({ min: 1 })),
      MemorySize: member(int({ min: 128, max: 10240 })),
      Publish: member(bool()),
      PackageType: member(strEnum(['Zip', 'Image'])),
      Environment: member(struct({ Variables: member(map(str())) })),
      Architectures: member(list(strEnum(['x86_64', 'arm64']), { min: 1, max: 1 })),
      Tags: member(map(str())),
    }),
    output: FUNCTION_CONFIGURATION,
    handler: async (input, ctx) => {
      const ref = parseFunctionName(input.FunctionName, undefined, ctx);
      if (ref.qualifier !== undefined) throw invalidParameter(`Unsupported function name: ${input.FunctionName}`);
      if (input.PackageType === 'Image') throw invalidParameter('Nimbus supports only ZipFile deployment packages for now: container images are not supported yet.');
      const zip = zipOf(input.Code);
      if (input.Runtime === undefined || input.Handler === undefined) {
        throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
      }
      if (input.Timeout !== undefined && input.Timeout > 900) {
        throw invalidParameter(`1 validation error detected: Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`);
      }
      if (await backend.getFunction(ref.name)) throw resourceConflict(`Function already exist: ${ref.name}`);
      try {
        const info = await backend.createFunction({
          name: ref.name,
          runtime: input.Runtime,
          handler: input.Handler,
          zip,
          memorySize: input.MemorySize,
          timeout: input.Timeout,
          environment: input.Environment?.Variables,
          description: input.Description,
        });
        return toConfiguration(info);
      } catch (e) {
        // Configuration Nimbus cannot run (runtime, handler, package): the user's input, not a fault.
        if (isPlatformError(e)) throw invalidParameter(e.message);
        throw e;
      }
    },
  });
}
