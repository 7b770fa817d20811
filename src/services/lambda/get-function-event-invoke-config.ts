/** GetFunctionEventInvokeConfig (GET /2019-09-25/functions/{FunctionName}/event-invoke-config). */
import { defineOperation, label, query, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { resourceNotFound } from './errors';
import { FUNCTION_EVENT_INVOKE_CONFIG, toEventInvokeConfig } from './event-invoke-config';
import { FUNCTION_NAME, QUALIFIER, findFunction } from './function-name';

export function getFunctionEventInvokeConfig(backend: LambdaBackend): Operation<'GetFunctionEventInvokeConfig'> {
  return defineOperation({
    name: 'GetFunctionEventInvokeConfig',
    http: { method: 'GET', path: '/2019-09-25/functions/{FunctionName}/event-invoke-config', code: 200 },
    input: struct({
      FunctionName: label(FUNCTION_NAME),
      Qualifier: query('Qualifier', QUALIFIER),
    }),
    output: FUNCTION_EVENT_INVOKE_CONFIG,
    handler: async (input, ctx) => {
      const { ref } = await findFunction(backend, input.FunctionName, input.Qualifier, ctx);
      const cfg = await backend.getEventInvokeConfig(ref.name);
      // Wording from LocalStack's provider (recorded against AWS).
      if (!cfg) throw resourceNotFound(`The function ${ref.arn}:$LATEST doesn't have an EventInvokeConfig`);
      return toEventInvokeConfig(`${ref.arn}:$LATEST`, cfg);
    },
  });
}
