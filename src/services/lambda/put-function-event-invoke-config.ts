/**
 * PutFunctionEventInvokeConfig (PUT /2019-09-25/functions/{FunctionName}/event-invoke-config):
 * replaces the function's asynchronous invocation settings (retries 0..2, event
 * age 60..21600 s, destinations). Destinations may be Lambda functions for now.
 */
import { defineOperation, int, label, member, query, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { invalidParameter } from './errors';
import { DESTINATION_CONFIG, FUNCTION_EVENT_INVOKE_CONFIG, toEventInvokeConfig } from './event-invoke-config';
import { FUNCTION_NAME, QUALIFIER, findFunction } from './function-name';

const FUNCTION_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

export function putFunctionEventInvokeConfig(backend: LambdaBackend): Operation<'PutFunctionEventInvokeConfig'> {
  return defineOperation({
    name: 'PutFunctionEventInvokeConfig',
    http: { method: 'PUT', path: '/2019-09-25/functions/{FunctionName}/event-invoke-config', code: 200 },
    input: struct({
      FunctionName: label(FUNCTION_NAME),
      Qualifier: query('Qualifier', QUALIFIER),
      MaximumRetryAttempts: member(int({ min: 0, max: 2 })),
      MaximumEventAgeInSeconds: member(int({ min: 60, max: 21600 })),
      DestinationConfig: member(DESTINATION_CONFIG),
    }),
    output: FUNCTION_EVENT_INVOKE_CONFIG,
    handler: async (input, ctx) => {
      const { ref } = await findFunction(backend, input.FunctionName, input.Qualifier, ctx);
      const onSuccess = input.DestinationConfig?.OnSuccess?.Destination || null;
      const onFailure = input.DestinationConfig?.OnFailure?.Destination || null;
      if (input.MaximumRetryAttempts === undefined && input.MaximumEventAgeInSeconds === undefined && onSuccess === null && onFailure === null) {
        throw invalidParameter('You must specify at least one of error handling or destination setting.');
      }
      for (const d of [onSuccess, onFailure]) {
        if (d !== null && !FUNCTION_ARN.test(d)) {
          throw invalidParameter(`The destination ARN ${d} is not supported by Nimbus yet: destinations can be Lambda functions for now.`);
        }
      }
      const saved = await backend.putEventInvokeConfig(ref.name, {
        maximumRetryAttempts: input.MaximumRetryAttempts ?? null,
        maximumEventAgeInSeconds: input.MaximumEventAgeInSeconds ?? null,
        onSuccess,
        onFailure,
      });
      return toEventInvokeConfig(`${ref.arn}:$LATEST`, saved);
    },
  });
}
