/** DeleteFunction (DELETE /2015-03-31/functions/{FunctionName}): 204 with no body. */
import { defineOperation, label, query, responseCode, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { functionNotFound, invalidParameter } from './errors';
import { FUNCTION_NAME, QUALIFIER, parseFunctionName, quotedArn, requireLatest } from './function-name';

export function deleteFunction(backend: LambdaBackend): Operation<'DeleteFunction'> {
  return defineOperation({
    name: 'DeleteFunction',
    http: { method: 'DELETE', path: '/2015-03-31/functions/{FunctionName}', code: 204 },
    input: struct({
      FunctionName: label(FUNCTION_NAME),
      Qualifier: query('Qualifier', QUALIFIER),
    }),
    output: struct({ StatusCode: responseCode() }),
    handler: async (input, ctx) => {
      const ref = parseFunctionName(input.FunctionName, input.Qualifier, ctx);
      if (ref.qualifier === '$LATEST') throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      if (!(await backend.getFunction(ref.name))) throw functionNotFound(quotedArn(ref));
      requireLatest(ref);
      if (!(await backend.deleteFunction(ref.name))) throw functionNotFound(quotedArn(ref));
      return { StatusCode: 204 };
    },
  });
}
