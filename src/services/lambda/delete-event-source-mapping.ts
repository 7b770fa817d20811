/**
 * DeleteEventSourceMapping (DELETE /2015-03-31/event-source-mappings/{UUID},
 * 202): answers with the mapping in State `Deleting`, as AWS does; its
 * pollers stop and its positions are dropped.
 */
import { defineOperation, label, str, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { EVENT_SOURCE_MAPPING_CONFIGURATION, mappingNotFound, mappingsOf, toMappingConfiguration } from './create-event-source-mapping';

export function deleteEventSourceMapping(backend: LambdaBackend): Operation<'DeleteEventSourceMapping'> {
  return defineOperation({
    name: 'DeleteEventSourceMapping',
    http: { method: 'DELETE', path: '/2015-03-31/event-source-mappings/{UUID}', code: 202 },
    input: struct({ UUID: label(str()) }),
    output: EVENT_SOURCE_MAPPING_CONFIGURATION,
    handler: async (input, ctx) => {
      const m = await mappingsOf(backend, 'DeleteEventSourceMapping').delete(input.UUID);
      if (!m) throw mappingNotFound();
      return toMappingConfiguration(m, ctx);
    },
  });
}
