/** GetEventSourceMapping (GET /2015-03-31/event-source-mappings/{UUID}). */
import { defineOperation, label, str, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { EVENT_SOURCE_MAPPING_CONFIGURATION, mappingNotFound, mappingsOf, toMappingConfiguration } from './create-event-source-mapping';

export function getEventSourceMapping(backend: LambdaBackend): Operation<'GetEventSourceMapping'> {
  return defineOperation({
    name: 'GetEventSourceMapping',
    http: { method: 'GET', path: '/2015-03-31/event-source-mappings/{UUID}', code: 200 },
    input: struct({ UUID: label(str()) }),
    output: EVENT_SOURCE_MAPPING_CONFIGURATION,
    handler: async (input, ctx) => {
      const m = await mappingsOf(backend, 'GetEventSourceMapping').get(input.UUID);
      if (!m) throw mappingNotFound();
      return toMappingConfiguration(m, ctx);
    },
  });
}
