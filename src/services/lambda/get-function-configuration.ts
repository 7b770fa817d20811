/** GetFunctionConfiguration (GET /2015-03-31/functions/{FunctionName}/configuration). */
import { defineOperation, label, query, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { NAMESPACED_FUNCTION_NAME, QUALIFIER, findFunction } from './function-name';
import { FUNCTION_CONFIGURATION, toConfiguration } from './models';

export function getFunctionConfiguration(backend: LambdaBackend): Operation<'GetFunctionConfiguration'> {
  return defineOperation({
    name: 'GetFunctionConfiguration',
    http: { method: 'GET', path: '/2015-03-31/functions/{FunctionName}/configuration', code: 200 },
    input: struct({
      FunctionName: label(NAMESPACED_FUNCTION_NAME),
      Qualifier: query('Qualifier', QUALIFIER),
    }),
    output: FUNCTION_CONFIGURATION,
    handler: async (input, ctx) => toConfiguration((await findFunction(backend, input.FunctionName, input.Qualifier, ctx)).info),
  });
}
