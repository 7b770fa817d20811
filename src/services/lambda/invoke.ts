/**
 * Invoke (POST /2015-03-31/functions/{FunctionName}/invocations).
 *
 * AWS behaviour reproduced: `X-Amz-Invocation-Type` RequestResponse (200 with
 * the function's payload), Event (202, empty body, once the event is durably
 * queued) and DryRun (204); `X-Amz-Function-Error` when the function failed;
 * `X-Amz-Log-Type: Tail` -> `X-Amz-Log-Result`, base64 of the last 4 KB of the
 * log; `X-Amz-Executed-Version`; the invocation's request id in
 * `x-amzn-RequestId`. Payloads must be JSON ("Could not parse request body into
 * json: ...", InvalidRequestContentException) and at most 6 MB synchronous /
 * 1 MB asynchronous ("N byte payload is too large for the RequestResponse
 * invocation type (limit 6291456 bytes)").
 */
import { blob, defineOperation, header, label, payload, query, responseCode, str, strEnum, struct, type Operation } from '../../aws';
import { InvokeError } from '../../invoke/types';
import type { LambdaBackend } from './backend';
import { invalidRequestContent, requestTooLarge, resourceNotFound, serviceException, tooManyRequests } from './errors';
import { NAMESPACED_FUNCTION_NAME_GET, QUALIFIER, findFunction } from './function-name';

export const MAX_SYNC_PAYLOAD = 6 * 1024 * 1024;
export const MAX_ASYNC_PAYLOAD = 1024 * 1024;
const MAX_LOG_TAIL = 4 * 1024;

export function invoke(backend: LambdaBackend): Operation<'Invoke'> {
  return defineOperation({
    name: 'Invoke',
    http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/invocations', code: 200 },
    input: struct({
      FunctionName: label(NAMESPACED_FUNCTION_NAME_GET),
      InvocationType: header('X-Amz-Invocation-Type', strEnum(['Event', 'RequestResponse', 'DryRun'])),
      LogType: header('X-Amz-Log-Type', strEnum(['None', 'Tail'])),
      ClientContext: header('X-Amz-Client-Context', str()),
      Payload: payload(blob()),
      Qualifier: query('Qualifier', QUALIFIER),
    }),
    output: struct({
      StatusCode: responseCode(),
      FunctionError: header('X-Amz-Function-Error', str()),
      LogResult: header('X-Amz-Log-Result', str()),
      Payload: payload(blob()),
      ExecutedVersion: header('X-Amz-Executed-Version', str()),
      /** Not in the model: AWS answers with the invocation's own request id. */
      RequestId: header('x-amzn-RequestId', str()),
    }),
    payloadContentType: 'application/json',
    handler: async (input, ctx) => {
      const type = input.InvocationType ?? 'RequestResponse';
      let event = input.Payload ?? Buffer.alloc(0);
      const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
      if (event.length > limit) {
        throw requestTooLarge(`${event.length} byte payload is too large for the ${type === 'Event' ? 'Event' : 'RequestResponse'} invocation type (limit ${limit} bytes)`);
      }
      if (event.length === 0) event = Buffer.from('{}');
      else {
        try {
          JSON.parse(event.toString('utf8'));
        } catch (e) {
          throw invalidRequestContent(`Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`);
        }
      }
      const { ref } = await findFunction(backend, input.FunctionName, input.Qualifier, ctx);
      if (type === 'DryRun') return { StatusCode: 204 };
      try {
        if (type === 'Event') {
          const accepted = await backend.invokeAsync(ref.name, event, { traceId: ctx.traceId });
          return { StatusCode: 202, Payload: Buffer.alloc(0), RequestId: accepted.requestId };
        }
        const tail = input.LogType === 'Tail';
        const r = await backend.invoke(ref.name, event, { tailLogs: tail, clientContext: input.ClientContext, traceId: ctx.traceId });
        return {
          StatusCode: 200,
          Payload: r.payload,
          FunctionError: r.functionError,
          ExecutedVersion: r.executedVersion,
          LogResult: tail ? Buffer.from(Buffer.from(r.logTail, 'utf8').subarray(-MAX_LOG_TAIL)).toString('base64') : undefined,
          RequestId: r.requestId,
        };
      } catch (e) {
        if (!(e instanceof InvokeError)) throw e;
        switch (e.code) {
          case 'ResourceNotFoundException':
            throw resourceNotFound(e.message);
          case 'TooManyRequestsException':
            throw tooManyRequests(e.reason ?? 'ConcurrentInvocationLimitExceeded', e.message);
          case 'RequestTooLargeException':
            throw requestTooLarge(e.message);
          default:
            throw serviceException(e.message);
        }
      }
    },
  });
}
