/**
 * The Lambda API (restJson1, signing name `lambda`): its operation table,
 * checked by the compiler (every name has its handler, each handler its name),
 * and how Lambda words authentication and internal failures. Operations call
 * only the LambdaBackend.
 */
import { coralAuthErrors, type OperationTable, type ServiceDefinition } from '../../aws';
import type { LambdaBackend } from './backend';
import { createEventSourceMapping } from './create-event-source-mapping';
import { createFunction } from './create-function';
import { deleteEventSourceMapping } from './delete-event-source-mapping';
import { deleteFunction } from './delete-function';
import { deleteFunctionConcurrency } from './delete-function-concurrency';
import { invalidRequestContent, serviceException } from './errors';
import { getAccountSettings } from './get-account-settings';
import { getEventSourceMapping } from './get-event-source-mapping';
import { getFunction } from './get-function';
import { getFunctionConcurrency } from './get-function-concurrency';
import { getFunctionConfiguration } from './get-function-configuration';
import { getFunctionEventInvokeConfig } from './get-function-event-invoke-config';
import { invoke } from './invoke';
import { listEventSourceMappings } from './list-event-source-mappings';
import { listFunctions } from './list-functions';
import { putFunctionConcurrency } from './put-function-concurrency';
import { putFunctionEventInvokeConfig } from './put-function-event-invoke-config';
import { UNIMPLEMENTED } from './unimplemented';
import { updateEventSourceMapping } from './update-event-source-mapping';
import { updateFunctionCode } from './update-function-code';

export type LambdaOperation =
  | 'CreateEventSourceMapping'
  | 'CreateFunction'
  | 'DeleteEventSourceMapping'
  | 'DeleteFunction'
  | 'DeleteFunctionConcurrency'
  | 'GetAccountSettings'
  | 'GetEventSourceMapping'
  | 'GetFunction'
  | 'GetFunctionConcurrency'
  | 'GetFunctionConfiguration'
  | 'GetFunctionEventInvokeConfig'
  | 'Invoke'
  | 'ListEventSourceMappings'
  | 'ListFunctions'
  | 'PutFunctionConcurrency'
  | 'PutFunctionEventInvokeConfig'
  | 'UpdateEventSourceMapping'
  | 'UpdateFunctionCode';

/** Direct uploads are at most 50 MB zipped (AWS's quota), base64 in a JSON body. */
const MAX_REQUEST_BYTES = 70 * 1024 * 1024;

export function lambdaService(backend: LambdaBackend): ServiceDefinition<LambdaOperation> {
  const operations: OperationTable<LambdaOperation> = {
    CreateEventSourceMapping: createEventSourceMapping(backend),
    CreateFunction: createFunction(backend),
    DeleteEventSourceMapping: deleteEventSourceMapping(backend),
    DeleteFunction: deleteFunction(backend),
    DeleteFunctionConcurrency: deleteFunctionConcurrency(backend),
    GetAccountSettings: getAccountSettings(backend),
    GetEventSourceMapping: getEventSourceMapping(backend),
    GetFunction: getFunction(backend),
    GetFunctionConcurrency: getFunctionConcurrency(backend),
    GetFunctionConfiguration: getFunctionConfiguration(backend),
    GetFunctionEventInvokeConfig: getFunctionEventInvokeConfig(backend),
    Invoke: invoke(backend),
    ListEventSourceMappings: listEventSourceMappings(backend),
    ListFunctions: listFunctions(backend),
    PutFunctionConcurrency: putFunctionConcurrency(backend),
    PutFunctionEventInvokeConfig: putFunctionEventInvokeConfig(backend),
    UpdateEventSourceMapping: updateEventSourceMapping(backend),
    UpdateFunctionCode: updateFunctionCode(backend),
  };
  return {
    signingName: 'lambda',
    protocol: 'restJson1',
    maxBodyBytes: MAX_REQUEST_BYTES,
    operations,
    unimplemented: UNIMPLEMENTED,
    // Lambda answers authentication failures with 403 (AWS API Gateway-style coral front end).
    authErrors: coralAuthErrors({ status: 403, missingMessage: 'Missing Authentication Token' }),
    malformedBody: (detail) => invalidRequestContent(`Could not parse request body into json: ${detail}`),
    internalError: () => serviceException('An internal error occurred in Nimbus; see the server log.'),
  };
}
