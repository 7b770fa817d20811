/** DeleteFunctionConcurrency (DELETE /2017-10-31/functions/{FunctionName}/concurrency): 204. */
import { defineOperation, label, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { FUNCTION_NAME, findFunction } from './function-name';

export function deleteFunctionConcurrency(backend: LambdaBackend): Operation<'DeleteFunctionConcurrency'> {
  return defineOperation({
    name: 'DeleteFunctionConcurrency',
    http: { method: 'DELETE', path: '/2017-10-31/functions/{FunctionName}/concurrency', code: 204 },
    input: struct({ FunctionName: label(FUNCTION_NAME) }),
    output: struct({}),
    handler: async (input, ctx) => {
      const { ref } = await findFunction(backend, input.FunctionName, undefined, ctx);
      await backend.deleteReservedConcurrency(ref.name);
      return {};
    },
  });
}
