/**
 * PutFunctionConcurrency (PUT /2017-10-31/functions/{FunctionName}/concurrency).
 * AWS keeps at least 100 concurrent executions unreserved in an account (10 in
 * accounts whose limit is 10): a reservation that would leave fewer is
 * "Specified ReservedConcurrentExecutions for function decreases account's
 * UnreservedConcurrentExecution below its minimum value of [100]."
 */
import { defineOperation, int, label, member, required, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { invalidParameter } from './errors';
import { FUNCTION_NAME, findFunction } from './function-name';

const MIN_UNRESERVED = 100;

export function putFunctionConcurrency(backend: LambdaBackend): Operation<'PutFunctionConcurrency'> {
  return defineOperation({
    name: 'PutFunctionConcurrency',
    http: { method: 'PUT', path: '/2017-10-31/functions/{FunctionName}/concurrency', code: 200 },
    input: struct({
      FunctionName: label(FUNCTION_NAME),
      ReservedConcurrentExecutions: required(int({ min: 0 })),
    }),
    output: struct({ ReservedConcurrentExecutions: member(int()) }),
    handler: async (input, ctx) => {
      const { ref, info } = await findFunction(backend, input.FunctionName, undefined, ctx);
      const value = input.ReservedConcurrentExecutions;
      const { accountLimit, unreserved } = backend.concurrencyLimits();
      const minimum = Math.min(MIN_UNRESERVED, accountLimit);
      if (unreserved + (info.reservedConcurrency ?? 0) - value < minimum) {
        throw invalidParameter(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${minimum}].`);
      }
      await backend.putReservedConcurrency(ref.name, value);
      return { ReservedConcurrentExecutions: value };
    },
  });
}
