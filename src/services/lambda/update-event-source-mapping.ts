/**
 * UpdateEventSourceMapping (PUT /2015-03-31/event-source-mappings/{UUID},
 * 202): changes the members given and keeps the position in the stream (AWS:
 * "without losing your position"). The function may change; the source and
 * the starting position may not. The answer's State is AWS's transitional
 * one: `Updating`, or `Enabling` / `Disabling` when Enabled flips.
 */
import { defineOperation, label, member, str, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import {
  asInvalidParameter,
  ESM_FUNCTION_NAME,
  EVENT_SOURCE_MAPPING_CONFIGURATION,
  filterPatternsOf,
  mappingConflict,
  mappingFunction,
  mappingNotFound,
  mappingSettings,
  mappingsOf,
  onFailureOf,
  toMappingConfiguration,
  TUNABLES,
} from './create-event-source-mapping';

export function updateEventSourceMapping(backend: LambdaBackend): Operation<'UpdateEventSourceMapping'> {
  return defineOperation({
    name: 'UpdateEventSourceMapping',
    http: { method: 'PUT', path: '/2015-03-31/event-source-mappings/{UUID}', code: 202 },
    input: struct({
      UUID: label(str()),
      FunctionName: member(ESM_FUNCTION_NAME),
      ...TUNABLES,
    }),
    output: EVENT_SOURCE_MAPPING_CONFIGURATION,
    handler: async (input, ctx) => {
      const esm = mappingsOf(backend, 'UpdateEventSourceMapping');
      if (!(await esm.get(input.UUID))) throw mappingNotFound();
      const onFailure = onFailureOf(input.DestinationConfig);
      const filterPatterns = filterPatternsOf(input.FilterCriteria);
      const fn = input.FunctionName === undefined ? undefined : await mappingFunction(backend, input.FunctionName, ctx);
      const r = await asInvalidParameter(() =>
        esm.update(input.UUID, {
          functionName: fn?.name,
          functionArn: fn?.arn,
          ...mappingSettings(input, filterPatterns, onFailure),
        }),
      );
      if (r === null) throw mappingNotFound();
      if ('conflict' in r) throw mappingConflict(r.conflict);
      return toMappingConfiguration(r.updated, ctx);
    },
  });
}
