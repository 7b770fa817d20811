/**
 * ListEventSourceMappings (GET /2015-03-31/event-source-mappings): of a
 * function (name or ARN) and/or a source, oldest first, `MaxItems` 1..10000
 * (default 100, AWS's page size), `Marker` / `NextMarker` opaque tokens.
 */
import { defineOperation, int, list, member, query, str, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { EVENT_SOURCE_MAPPING_CONFIGURATION, mappingsOf, toMappingConfiguration } from './create-event-source-mapping';
import { invalidParameter } from './errors';
import { NAMESPACED_FUNCTION_NAME, parseFunctionName } from './function-name';

const DEFAULT_PAGE = 100;

export function listEventSourceMappings(backend: LambdaBackend): Operation<'ListEventSourceMappings'> {
  return defineOperation({
    name: 'ListEventSourceMappings',
    http: { method: 'GET', path: '/2015-03-31/event-source-mappings', code: 200 },
    input: struct({
      EventSourceArn: query('EventSourceArn', str()),
      FunctionName: query('FunctionName', NAMESPACED_FUNCTION_NAME),
      Marker: query('Marker', str()),
      MaxItems: query('MaxItems', int({ min: 1, max: 10000 })),
    }),
    output: struct({
      NextMarker: member(str()),
      EventSourceMappings: member(list(EVENT_SOURCE_MAPPING_CONFIGURATION)),
    }),
    handler: async (input, ctx) => {
      const functionName = input.FunctionName === undefined ? undefined : parseFunctionName(input.FunctionName, undefined, ctx).name;
      const all = await mappingsOf(backend, 'ListEventSourceMappings').list({ functionName, eventSourceArn: input.EventSourceArn });
      let start = 0;
      if (input.Marker !== undefined) {
        const after = decodeMarker(input.Marker);
        if (after === null) throw invalidParameter(`Invalid Marker: ${input.Marker}`);
        // Resume after the last mapping handed out; if it was deleted meanwhile, at its old position.
        const i = all.findIndex((m) => m.uuid === after.uuid);
        start = Math.min(i >= 0 ? i + 1 : after.next, all.length);
      }
      const size = input.MaxItems ?? DEFAULT_PAGE;
      const page = all.slice(start, start + size);
      const more = start + size < all.length;
      return {
        EventSourceMappings: page.map((m) => toMappingConfiguration(m, ctx)),
        NextMarker: more ? encodeMarker(page[page.length - 1]!.uuid, start + page.length) : undefined,
      };
    },
  });
}

function encodeMarker(uuid: string, next: number): string {
  return Buffer.from(JSON.stringify({ after: uuid, next })).toString('base64url');
}

function decodeMarker(marker: string): { uuid: string; next: number } | null {
  try {
    const v = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { after?: unknown; next?: unknown };
    return typeof v.after === 'string' && Number.isSafeInteger(v.next) && (v.next as number) >= 0 ? { uuid: v.after, next: v.next as number } : null;
  } catch {
    return null;
  }
}
