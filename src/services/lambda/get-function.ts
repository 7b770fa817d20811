/** GetFunction (GET /2015-03-31/functions/{FunctionName}): configuration, code location, tags, reserved concurrency. */
import { defineOperation, int, label, map, member, query, str, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { NAMESPACED_FUNCTION_NAME_GET, QUALIFIER, findFunction } from './function-name';
import { FUNCTION_CONFIGURATION, toConfiguration } from './models';

export function getFunction(backend: LambdaBackend): Operation<'GetFunction'> {
  return defineOperation({
    name: 'GetFunction',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}', code: 200 },
    input: struct({
      FunctionName: label(NAMESPACED_FUNCTION_NAME_GET),
      Qualifier: query('Qualifier', QUALIFIER),
    }),
    output: struct({
      Configuration: member(FUNCTION_CONFIGURATION),
      Code: member(struct({ RepositoryType: member(str()), Location: member(str()) })),
      Tags: member(map(str())),
      Concurrency: member(struct({ ReservedConcurrentExecutions: member(int()) })),
    }),
    handler: async (input, ctx) => {
      const { info } = await findFunction(backend, input.FunctionName, input.Qualifier, ctx);
      return {
        Configuration: toConfiguration(info),
        // Nimbus does not serve the deployment package back yet: no Location.
        Code: { RepositoryType: 'S3' },
        Tags: info.appName ? { 'nimbus:app': info.appName } : undefined,
        Concurrency: info.reservedConcurrency !== null ? { ReservedConcurrentExecutions: info.reservedConcurrency } : undefined,
      };
    },
  });
}
