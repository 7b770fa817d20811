/**
 * ListFunctions (GET /2015-03-31/functions): sorted by name, `MaxItems` 1..10000
 * (default 50, as AWS pages), `Marker` / `NextMarker` opaque tokens.
 */
import { defineOperation, int, list, member, query, str, strEnum, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';
import { invalidParameter } from './errors';
import { FUNCTION_CONFIGURATION, toConfiguration } from './models';

const DEFAULT_PAGE = 50;

export function listFunctions(backend: LambdaBackend): Operation<'ListFunctions'> {
  return defineOperation({
    name: 'ListFunctions',
    http: { method: 'GET', path: '/2015-03-31/functions', code: 200 },
    input: struct({
      MasterRegion: query('MasterRegion', str({ pattern: 'ALL|[a-z]{2}(-gov)?-[a-z]+-\\d{1}' })),
      FunctionVersion: query('FunctionVersion', strEnum(['ALL'])),
      Marker: query('Marker', str()),
      MaxItems: query('MaxItems', int({ min: 1, max: 10000 })),
    }),
    output: struct({
      NextMarker: member(str()),
      Functions: member(list(FUNCTION_CONFIGURATION)),
    }),
    handler: async (input) => {
      const all = (await backend.listFunctions()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      let start = 0;
      if (input.Marker !== undefined) {
        const after = decodeMarker(input.Marker);
        if (after === null) throw invalidParameter(`Invalid Marker: ${input.Marker}`);
        start = all.findIndex((f) => f.name > after);
        if (start < 0) start = all.length;
      }
      const size = input.MaxItems ?? DEFAULT_PAGE;
      const page = all.slice(start, start + size);
      const more = start + size < all.length;
      return { Functions: page.map(toConfiguration), NextMarker: more ? encodeMarker(page[page.length - 1]!.name) : undefined };
    },
  });
}

function encodeMarker(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName })).toString('base64url');
}

function decodeMarker(marker: string): string | null {
  try {
    const v = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof v.after === 'string' ? v.after : null;
  } catch {
    return null;
  }
}
