/** GetFunctionConcurrency (GET /2019-09-30/functions/{FunctionName}/concurrency): `{}` when nothing is reserved, as AWS answers. */
import { defineOperation, int, label, member, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { FUNCTION_NAME, findFunction } from './function-name';

export function getFunctionConcurrency(backend: LambdaBackend): Operation<'GetFunctionConcurrency'> {
  return defineOperation({
    name: 'GetFunctionConcurrency',
    http: { method: 'GET', path: '/2019-09-30/functions/{FunctionName}/concurrency', code: 200 },
    input: struct({ FunctionName: label(FUNCTION_NAME) }),
    output: struct({ ReservedConcurrentExecutions: member(int()) }),
    handler: async (input, ctx) => {
      const { info } = await findFunction(backend, input.FunctionName, undefined, ctx);
      return info.reservedConcurrency !== null ? { ReservedConcurrentExecutions: info.reservedConcurrency } : {};
    },
  });
}
