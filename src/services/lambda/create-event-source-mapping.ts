/**
 * CreateEventSourceMapping (POST /2015-03-31/event-source-mappings, 202), and
 * the shapes and rules the other event source mapping operations share.
 *
 * Stream sources only for now (DynamoDB Streams; Kinesis when a source is
 * wired). AWS's answers, as recorded by LocalStack's AWS-validated provider:
 * no StartingPosition for a stream is "1 validation error detected: Value null
 * at 'startingPosition' failed to satisfy constraint: Member must not be
 * null.", AT_TIMESTAMP on a DynamoDB stream is "Unsupported starting position
 * for arn type: <arn>", an OnSuccess destination is "Unsupported
 * DestinationConfig parameter for given event source mapping type.", a
 * missing function is "Function does not exist", a bad filter "Invalid filter
 * pattern definition." (all InvalidParameterValueException), and a second
 * mapping of one function and stream is ResourceConflictException "The event
 * source arn (" <arn> ") and function (" <name> ") provided mapping already
 * exists. Please update or delete the existing mapping with UUID <uuid>".
 */
import {
  bool,
  defineOperation,
  int,
  list,
  member,
  required,
  str,
  strEnum,
  struct,
  timestamp,
  ServiceError,
  type Operation,
  type OperationContext,
  type TypeOf,
} from '../../aws';
import { isPlatformError } from '../../errors';
import type { EventSourceMapping, FunctionResponseType } from '../../triggers/types';
import type { EventSourceMappingsBackend, LambdaBackend } from './backend';
import { invalidParameter, resourceConflict, resourceNotFound } from './errors';
import { FUNCTION_NAME, parseFunctionName } from './function-name';

// ---- shared shapes ----------------------------------------------------------

export const ESM_FUNCTION_NAME = FUNCTION_NAME;
const EVENT_SOURCE_ARN = str({ pattern: 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)' });
const DESTINATION = struct({ Destination: member(str({ min: 0, max: 350 })) });
export const DESTINATION_CONFIG = struct({ OnSuccess: member(DESTINATION), OnFailure: member(DESTINATION) });
export const FILTER_CRITERIA = struct({ Filters: member(list(struct({ Pattern: member(str({ min: 0, max: 4096 })) }))) });
export const FUNCTION_RESPONSE_TYPES = list(strEnum(['ReportBatchItemFailures']), { min: 0, max: 1 });

/** The members of CreateEventSourceMapping / UpdateEventSourceMapping Nimbus acts on (others are ignored, as unknown members are). */
export const TUNABLES = {
  Enabled: member(bool()),
  BatchSize: member(int({ min: 1, max: 10000 })),
  FilterCriteria: member(FILTER_CRITERIA),
  MaximumBatchingWindowInSeconds: member(int({ min: 0, max: 300 })),
  ParallelizationFactor: member(int({ min: 1, max: 10 })),
  DestinationConfig: member(DESTINATION_CONFIG),
  MaximumRecordAgeInSeconds: member(int({ min: -1, max: 604800 })),
  BisectBatchOnFunctionError: member(bool()),
  MaximumRetryAttempts: member(int({ min: -1, max: 10000 })),
  TumblingWindowInSeconds: member(int({ min: 0, max: 900 })),
  FunctionResponseTypes: member(FUNCTION_RESPONSE_TYPES),
} as const;

export const EVENT_SOURCE_MAPPING_CONFIGURATION = struct({
  UUID: member(str()),
  StartingPosition: member(str()),
  StartingPositionTimestamp: member(timestamp()),
  BatchSize: member(int()),
  MaximumBatchingWindowInSeconds: member(int()),
  ParallelizationFactor: member(int()),
  EventSourceArn: member(str()),
  FilterCriteria: member(FILTER_CRITERIA),
  FunctionArn: member(str()),
  LastModified: member(timestamp()),
  LastProcessingResult: member(str()),
  State: member(str()),
  StateTransitionReason: member(str()),
  DestinationConfig: member(DESTINATION_CONFIG),
  MaximumRecordAgeInSeconds: member(int()),
  BisectBatchOnFunctionError: member(bool()),
  MaximumRetryAttempts: member(int()),
  TumblingWindowInSeconds: member(int()),
  FunctionResponseTypes: member(list(str())),
  EventSourceMappingArn: member(str()),
});

export type EventSourceMappingConfiguration = TypeOf<typeof EVENT_SOURCE_MAPPING_CONFIGURATION>;

/** Nimbus' mapping -> AWS's EventSourceMappingConfiguration. */
export function toMappingConfiguration(m: EventSourceMapping, ctx: Pick<OperationContext, 'region' | 'accountId'>): EventSourceMappingConfiguration {
  const out: EventSourceMappingConfiguration = {
    UUID: m.uuid,
    StartingPosition: m.startingPosition,
    BatchSize: m.batchSize,
    MaximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
    ParallelizationFactor: m.parallelizationFactor,
    EventSourceArn: m.eventSourceArn,
    FunctionArn: m.functionArn,
    LastModified: new Date(m.lastModified),
    LastProcessingResult: m.lastProcessingResult,
    State: m.state,
    StateTransitionReason: m.stateTransitionReason,
    DestinationConfig: m.onFailureDestination ? { OnFailure: { Destination: m.onFailureDestination } } : {},
    MaximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
    BisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
    MaximumRetryAttempts: m.maximumRetryAttempts,
    TumblingWindowInSeconds: m.tumblingWindowInSeconds,
    FunctionResponseTypes: m.functionResponseTypes,
    EventSourceMappingArn: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:event-source-mapping:${m.uuid}`,
  };
  if (m.startingPositionTimestamp !== null) out.StartingPositionTimestamp = new Date(m.startingPositionTimestamp);
  if (m.filterPatterns.length > 0) out.FilterCriteria = { Filters: m.filterPatterns.map((p) => ({ Pattern: p })) };
  return out;
}

/** AWS's answer for an unknown UUID (GetEventSourceMapping, Update..., Delete...). */
export function mappingNotFound(): ServiceError {
  return resourceNotFound('The resource you requested does not exist.');
}

export function mappingConflict(existing: EventSourceMapping): ServiceError {
  return resourceConflict(
    `The event source arn (" ${existing.eventSourceArn} ") and function (" ${existing.functionName} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
  );
}

/** The platform's mappings, or the same unsupported-operation answer the endpoint gives unimplemented operations. */
export function mappingsOf(backend: LambdaBackend, operation: string): EventSourceMappingsBackend {
  const esm = backend.eventSourceMappings;
  if (!esm) {
    throw new ServiceError('UnknownOperationException', 404, `Nimbus does not support the Lambda operation ${operation} on this platform (no stream sources are wired).`, {
      headers: { 'x-nimbus-unsupported-operation': operation },
    });
  }
  return esm;
}

/** FilterCriteria -> patterns; `{}` or no Filters clears them (UpdateEventSourceMapping). Empty patterns are invalid. */
export function filterPatternsOf(fc: TypeOf<typeof FILTER_CRITERIA> | undefined): string[] | undefined {
  if (fc === undefined) return undefined;
  const filters = fc.Filters ?? [];
  return filters.map((f) => {
    if (!f.Pattern) throw invalidParameter('Invalid filter pattern definition.');
    return f.Pattern;
  });
}

/** Only OnFailure applies to stream sources. `{ OnFailure: {} }` or an empty Destination clears it. */
export function onFailureOf(dc: TypeOf<typeof DESTINATION_CONFIG> | undefined): string | null | undefined {
  if (dc === undefined) return undefined;
  if (dc.OnSuccess?.Destination) throw invalidParameter('Unsupported DestinationConfig parameter for given event source mapping type.');
  return dc.OnFailure?.Destination || null;
}

/** Runs a backend call, turning its configuration errors into AWS's InvalidParameterValueException. */
export async function asInvalidParameter<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isPlatformError(e) && e.code === 'ERR_BAD_REQUEST') throw invalidParameter(e.message);
    throw e;
  }
}

/** Resolves the FunctionName member to an existing `$LATEST` function (AWS: "Function does not exist"). */
export async function mappingFunction(backend: LambdaBackend, raw: string, ctx: OperationContext): Promise<{ name: string; arn: string }> {
  const ref = parseFunctionName(raw, undefined, ctx);
  if ((ref.qualifier !== undefined && ref.qualifier !== '$LATEST') || !(await backend.getFunction(ref.name))) {
    throw invalidParameter('Function does not exist');
  }
  return { name: ref.name, arn: ref.arn };
}

// ---- the operation ------------------------------------------------------------

export function createEventSourceMapping(backend: LambdaBackend): Operation<'CreateEventSourceMapping'> {
  return defineOperation({
    name: 'CreateEventSourceMapping',
    http: { method: 'POST', path: '/2015-03-31/event-source-mappings', code: 202 },
    input: struct({
      FunctionName: required(ESM_FUNCTION_NAME),
      EventSourceArn: member(EVENT_SOURCE_ARN),
      StartingPosition: member(strEnum(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'])),
      StartingPositionTimestamp: member(timestamp()),
      ...TUNABLES,
    }),
    output: EVENT_SOURCE_MAPPING_CONFIGURATION,
    handler: async (input, ctx) => {
      const esm = mappingsOf(backend, 'CreateEventSourceMapping');
      if (input.EventSourceArn === undefined) throw invalidParameter('Unrecognized event source.');
      const service = input.EventSourceArn.split(':')[2];
      if ((service === 'dynamodb' || service === 'kinesis') && input.StartingPosition === undefined) {
        throw invalidParameter("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.");
      }
      const onFailure = onFailureOf(input.DestinationConfig);
      const filterPatterns = filterPatternsOf(input.FilterCriteria);
      const fn = await mappingFunction(backend, input.FunctionName, ctx);
      const r = await asInvalidParameter(() =>
        esm.create({
          functionName: fn.name,
          functionArn: fn.arn,
          eventSourceArn: input.EventSourceArn!,
          startingPosition: input.StartingPosition ?? 'TRIM_HORIZON',
          startingPositionTimestamp: input.StartingPositionTimestamp ? input.StartingPositionTimestamp.getTime() : null,
          ...mappingSettings(input, filterPatterns, onFailure),
        }),
      );
      if ('conflict' in r) throw mappingConflict(r.conflict);
      return toMappingConfiguration(r.created, ctx);
    },
  });
}

/** The settings CreateEventSourceMapping and UpdateEventSourceMapping both take, from the wire input. */
export function mappingSettings(
  input: {
    Enabled?: boolean;
    BatchSize?: number;
    MaximumBatchingWindowInSeconds?: number;
    MaximumRetryAttempts?: number;
    BisectBatchOnFunctionError?: boolean;
    MaximumRecordAgeInSeconds?: number;
    ParallelizationFactor?: number;
    FunctionResponseTypes?: string[];
    TumblingWindowInSeconds?: number;
  },
  filterPatterns: string[] | undefined,
  onFailureDestination: string | null | undefined,
) {
  return {
    enabled: input.Enabled,
    batchSize: input.BatchSize,
    maximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds,
    maximumRetryAttempts: input.MaximumRetryAttempts,
    bisectBatchOnFunctionError: input.BisectBatchOnFunctionError,
    maximumRecordAgeInSeconds: input.MaximumRecordAgeInSeconds,
    parallelizationFactor: input.ParallelizationFactor,
    functionResponseTypes: input.FunctionResponseTypes as FunctionResponseType[] | undefined,
    filterPatterns,
    onFailureDestination,
    tumblingWindowInSeconds: input.TumblingWindowInSeconds,
  };
}
