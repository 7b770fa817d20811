/**
 * Definition text -> plain data. YAML gets the CloudFormation short-form tags
 * (`!Ref`, `!GetAtt`, `!Sub`, ...), turned into the long form CloudFormation itself
 * uses (`{ Ref: X }`, `{ 'Fn::GetAtt': [A, B] }`), as the Serverless Framework does
 * with its own CloudFormation YAML schema. Intrinsics are kept, not evaluated.
 */
import { parseDocument, Pair, Scalar, YAMLMap, type CollectionTag, type ScalarTag, type YAMLSeq } from 'yaml';
import { PlatformError } from '../../errors';

/** Short-form tags and the long-form key they stand for. */
const INTRINSICS: ReadonlyArray<[tag: string, key: string]> = [
  ['Ref', 'Ref'],
  ['Condition', 'Condition'],
  ...[
    'And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAZs', 'GetAtt', 'If', 'ImportValue', 'Join',
    'Length', 'Not', 'Or', 'Select', 'Split', 'Sub', 'ToJsonString', 'Transform',
  ].map((n): [string, string] => [n, `Fn::${n}`]),
];

function cfnTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const [name, key] of INTRINSICS) {
    const tag = `!${name}`;
    tags.push({
      tag,
      resolve(value: string): unknown {
        // `!GetAtt Resource.Attribute` is the one scalar form with structure; attribute
        // names may contain dots themselves (`Endpoint.Address`), so split at the first.
        if (name === 'GetAtt') {
          const dot = value.indexOf('.');
          return { [key]: dot === -1 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
        }
        return { [key]: value };
      },
    });
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag,
        collection,
        // Wrap the collection node itself, so nested tags and aliases resolve normally.
        resolve(value: YAMLMap.Parsed | YAMLSeq.Parsed): unknown {
          const map = new YAMLMap();
          map.items.push(new Pair(new Scalar(key), value));
          return map;
        },
      });
    }
  }
  return tags;
}

const CUSTOM_TAGS = cfnTags();

function syntaxError(file: string, line: number | null, col: number | null, message: string): PlatformError {
  const where = line === null ? file : `${file}:${line}${col === null ? '' : `:${col}`}`;
  return new PlatformError('ERR_APP_INVALID', `${where}: syntax error: ${message}`, { file });
}

/** Parses YAML (with CloudFormation tags) into plain data; syntax errors name the line. */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { customTags: CUSTOM_TAGS, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw syntaxError(file, pos?.line ?? null, pos?.col ?? null, message);
  }
  return doc.toJS({ maxAliasCount: 1000 }) as unknown;
}

/** Parses JSON; syntax errors name the line and column computed from the position. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(message);
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split('\n');
      throw syntaxError(file, before.length, before[before.length - 1].length + 1, message.replace(/ in JSON at position \d+.*$/, ''));
    }
    throw syntaxError(file, null, null, message);
  }
}

/** Picks the parser by extension (`.json` is JSON, anything else YAML). */
export function parseDefinitionText(text: string, file: string): unknown {
  return file.toLowerCase().endsWith('.json') ? parseJson(text, file) : parseYaml(text, file);
}
