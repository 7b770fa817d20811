/**
 * Shape-driven value conversion shared by the protocols: decoding JSON values
 * and header/query strings into typed values (Buffer for blobs, Date for
 * timestamps), encoding typed values back, and validating decoded input
 * against the constraints in the shapes with AWS's wording
 * (`Value 'x' at 'functionName' failed to satisfy constraint: ...`).
 */
import { serializationError, validationError } from './errors';
import { RawJson } from './raw-json';
import type { JsonValue, Member, Shape, StructureShape, TimestampFormat } from './shapes';

/** A decoded value: what the shapes' TypeScript types describe, before it is known to be valid. */
export type Decoded = null | boolean | number | string | Buffer | Date | Decoded[] | { [key: string]: Decoded } | JsonValue;
export type DecodedStruct = { [member: string]: Decoded };

function typeName(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'START_ARRAY';
  switch (typeof v) {
    case 'string':
      return 'STRING_VALUE';
    case 'number':
      return Number.isInteger(v) ? 'NUMBER_VALUE' : 'DECIMAL_VALUE';
    case 'boolean':
      return v ? 'TRUE_VALUE' : 'FALSE_VALUE';
    default:
      return 'START_OBJECT';
  }
}

const JAVA_TYPE: Record<Shape['kind'], string> = {
  string: 'String',
  integer: 'Integer',
  long: 'Long',
  double: 'Double',
  boolean: 'Boolean',
  blob: 'ByteBuffer',
  timestamp: 'Date',
  list: 'List',
  map: 'Map',
  structure: 'Structure',
  document: 'Document',
};

/** Coral's wording when a JSON value has the wrong type, e.g. `STRING_VALUE can not be converted to an Integer`. */
function typeMismatch(shape: Shape, v: JsonValue): never {
  const t = JAVA_TYPE[shape.kind];
  if (shape.kind === 'structure' || shape.kind === 'map') throw serializationError(`Start of structure or map found where not expected.`);
  if (shape.kind === 'list') throw serializationError(`Start of list found where not expected`);
  throw serializationError(`${typeName(v)} can not be converted to ${/^[AEIOU]/.test(t) ? 'an' : 'a'} ${t}`);
}

export function parseTimestamp(s: string, format: TimestampFormat): Date | null {
  if (format === 'epoch-seconds') {
    if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
    return new Date(Number(s) * 1000);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t);
}

export function formatTimestamp(d: Date, format: TimestampFormat): string | number {
  switch (format) {
    case 'epoch-seconds':
      return d.getTime() / 1000;
    case 'http-date':
      return d.toUTCString();
    case 'date-time':
      return d.toISOString();
  }
}

/** JSON body value -> typed value (blobs base64-decoded, timestamps as Dates). Unknown members are ignored, as AWS does. */
export function fromJson(shape: Shape, v: JsonValue): Decoded {
  if (v === null) return null;
  switch (shape.kind) {
    case 'string':
      if (typeof v !== 'string') typeMismatch(shape, v);
      return v;
    case 'integer':
    case 'long':
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        if (typeof v === 'number') throw serializationError(`DECIMAL_VALUE can not be converted to an ${JAVA_TYPE[shape.kind]}`);
        typeMismatch(shape, v);
      }
      return v;
    case 'double':
      if (typeof v === 'number') return v;
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      return typeMismatch(shape, v);
    case 'boolean':
      if (typeof v !== 'boolean') typeMismatch(shape, v);
      return v;
    case 'blob': {
      if (typeof v !== 'string') typeMismatch(shape, v);
      if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(v)) throw serializationError(`Base64 encoded data is invalid`);
      return Buffer.from(v, 'base64');
    }
    case 'timestamp': {
      const format = shape.format ?? 'epoch-seconds';
      if (typeof v === 'number') return new Date(v * 1000);
      if (typeof v !== 'string') return typeMismatch(shape, v);
      const d = parseTimestamp(v, format === 'epoch-seconds' ? 'date-time' : format);
      if (!d) throw serializationError(`Unable to parse date value: ${v}`);
      return d;
    }
    case 'list':
      if (!Array.isArray(v)) typeMismatch(shape, v);
      return v.map((x) => fromJson(shape.member, x));
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) return typeMismatch(shape, v);
      const out: { [k: string]: Decoded } = {};
      for (const [k, x] of Object.entries(v)) out[k] = fromJson(shape.value, x);
      return out;
    }
    case 'structure': {
      if (typeof v !== 'object' || Array.isArray(v)) return typeMismatch(shape, v);
      return fromJsonStruct(shape, v, 'body');
    }
    case 'document':
      return v;
  }
}

/**
 * A structure's members as every request walks them, worked out once per
 * shape: walking `Object.entries(shape.members)` and building each member's
 * validation path per request was a measurable share of a DynamoDB call.
 */
interface CompiledMember {
  readonly name: string;
  readonly member: Member;
  readonly body: boolean;
  /** The JSON property name when the member travels in the body (jsonName or its own name). */
  readonly jsonKey: string;
  /** `JSON.stringify(jsonKey) + ':'`, the prefix of the member in a serialized object. */
  readonly jsonPrefix: string;
  /** The member's name in validation messages (AWS: lower-cased first letter). */
  readonly path: string;
}

const compiled = new WeakMap<StructureShape, readonly CompiledMember[]>();

export function structMembers(shape: StructureShape): readonly CompiledMember[] {
  let c = compiled.get(shape);
  if (c) return c;
  c = Object.entries(shape.members).map(([name, m]) => {
    const jsonKey = m.name && m.location === 'body' ? m.name : name;
    return { name, member: m, body: m.location === 'body', jsonKey, jsonPrefix: `${JSON.stringify(jsonKey)}:`, path: lowerFirst(name) };
  });
  compiled.set(shape, c);
  return c;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The body members of a structure from a JSON object (members bound elsewhere are skipped). */
export function fromJsonStruct(shape: StructureShape, obj: { [k: string]: JsonValue }, only: 'body' | 'all' = 'all'): DecodedStruct {
  const out: DecodedStruct = {};
  for (const c of structMembers(shape)) {
    if (only === 'body' && !c.body) continue;
    const key = c.body ? c.jsonKey : c.name;
    if (hasOwn.call(obj, key)) {
      const raw = obj[key]!;
      // Documents (most of DynamoDB's input) pass through as parsed.
      const v = c.member.shape.kind === 'document' ? raw : fromJson(c.member.shape, raw);
      if (v !== null) out[c.name] = v;
    }
  }
  return out;
}

/** Typed value -> JSON value. */
export function toJson(shape: Shape, v: unknown): JsonValue | undefined {
  if (v === undefined || v === null) return undefined;
  switch (shape.kind) {
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'string' ? Buffer.from(v).toString('base64') : undefined;
    case 'timestamp':
      return v instanceof Date ? formatTimestamp(v, shape.format ?? 'epoch-seconds') : undefined;
    case 'list':
      return Array.isArray(v) ? v.map((x) => toJson(shape.member, x) ?? null) : undefined;
    case 'map': {
      if (typeof v !== 'object') return undefined;
      const out: { [k: string]: JsonValue } = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const j = toJson(shape.value, x);
        if (j !== undefined) out[k] = j;
      }
      return out;
    }
    case 'structure': {
      if (typeof v !== 'object') return undefined;
      return toJsonStruct(shape, v as Record<string, unknown>, 'all');
    }
    case 'double':
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      return typeof v === 'number' ? v : undefined;
    case 'integer':
    case 'long':
      return typeof v === 'number' ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'document':
      return v instanceof RawJson ? v.value() : (v as JsonValue);
  }
}

export function toJsonStruct(shape: StructureShape, v: Record<string, unknown>, only: 'body' | 'all'): { [k: string]: JsonValue } {
  const out: { [k: string]: JsonValue } = {};
  for (const c of structMembers(shape)) {
    if (only === 'body' && !c.body) continue;
    const j = toJson(c.member.shape, v[c.name]);
    if (j !== undefined) out[c.body ? c.jsonKey : c.name] = j;
  }
  return out;
}

/**
 * `JSON.stringify(toJsonStruct(shape, v, only))`, with the top-level RawJson
 * values of document members spliced in as they are (raw-json.ts). Built
 * member by member, which gives the same text as stringifying the whole
 * object: its keys are member names, never array indexes, so their order is
 * the shape's.
 */
export function toJsonStructText(shape: StructureShape, v: Record<string, unknown>, only: 'body' | 'all'): string {
  let out = '';
  for (const c of structMembers(shape)) {
    if (only === 'body' && !c.body) continue;
    const x = v[c.name];
    if (x === undefined || x === null) continue;
    let text: string | undefined;
    if (x instanceof RawJson && c.member.shape.kind === 'document') text = x.text;
    else {
      const j = toJson(c.member.shape, x);
      if (j === undefined) continue;
      text = JSON.stringify(j);
      // JSON.stringify omits what JSON has no value for (a function, a symbol); so did the object form.
      if (text === undefined) continue;
    }
    out += (out === '' ? '{' : ',') + c.jsonPrefix + text;
  }
  return out === '' ? '{}' : out + '}';
}

/**
 * A header, query or label string -> typed value. Lists come as several query
 * values or a comma-separated header. Booleans and numbers that do not parse
 * are serialization errors, as AWS reports them.
 */
export function fromStrings(shape: Shape, values: string[], location: 'header' | 'query' | 'label'): Decoded {
  if (shape.kind === 'list') {
    const parts = location === 'header' ? values.flatMap((v) => v.split(',').map((s) => s.trim())) : values;
    return parts.map((p) => fromStrings(shape.member, [p], location));
  }
  const s = values[values.length - 1] ?? '';
  switch (shape.kind) {
    case 'string':
      return s;
    case 'integer':
    case 'long': {
      if (!/^-?\d+$/.test(s.trim())) throw serializationError(`STRING_VALUE can not be converted to an ${JAVA_TYPE[shape.kind]}`);
      return Number(s);
    }
    case 'double': {
      const n = Number(s);
      if (s.trim() === '' || Number.isNaN(n)) throw serializationError(`STRING_VALUE can not be converted to a Double`);
      return n;
    }
    case 'boolean':
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw serializationError(`STRING_VALUE can not be converted to a Boolean`);
    case 'blob':
      // Headers carry blobs base64-encoded (Smithy); query and labels as text.
      return location === 'header' ? Buffer.from(s, 'base64') : Buffer.from(s, 'utf8');
    case 'timestamp': {
      const d = parseTimestamp(s, shape.format ?? (location === 'header' ? 'http-date' : 'date-time'));
      if (!d) throw serializationError(`Unable to parse date value: ${s}`);
      return d;
    }
    case 'document':
      try {
        return JSON.parse(s) as JsonValue;
      } catch {
        throw serializationError(`Unable to parse document value`);
      }
    default:
      throw serializationError(`Unsupported binding of a ${shape.kind} to a ${location}`);
  }
}

/** Typed value -> header string. */
export function toHeaderString(shape: Shape, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  switch (shape.kind) {
    case 'list':
      return Array.isArray(v) ? v.map((x) => toHeaderString(shape.member, x) ?? '').join(', ') : undefined;
    case 'timestamp':
      return v instanceof Date ? String(formatTimestamp(v, shape.format ?? 'http-date')) : undefined;
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : undefined;
    case 'document':
      return JSON.stringify(v);
    default:
      return String(v);
  }
}

// ---- validation -----------------------------------------------------------

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

const patternCache = new Map<string, RegExp>();
function wholeMatch(pattern: string, s: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 's');
    patternCache.set(pattern, re);
  }
  return re.test(s);
}

function shown(v: Decoded): string {
  if (Array.isArray(v)) return `[${v.map((x) => shown(x)).join(', ')}]`;
  if (Buffer.isBuffer(v)) return `java.nio.HeapByteBuffer[pos=0 lim=${v.length} cap=${v.length}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function checkValue(shape: Shape, v: Decoded, path: string, out: string[]): void {
  const fail = (constraint: string): void => {
    out.push(`Value '${shown(v)}' at '${path}' failed to satisfy constraint: Member must ${constraint}`);
  };
  switch (shape.kind) {
    case 'string': {
      if (typeof v !== 'string') return;
      if (shape.enum) {
        if (!(shape.enum as readonly string[]).includes(v)) fail(`satisfy enum value set: [${shape.enum.join(', ')}]`);
        return;
      }
      if (shape.min !== undefined && v.length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) fail(`have length less than or equal to ${shape.max}`);
      if (shape.pattern !== undefined && !wholeMatch(shape.pattern, v)) fail(`satisfy regular expression pattern: ${shape.pattern}`);
      return;
    }
    case 'integer':
    case 'long':
    case 'double':
      if (typeof v !== 'number') return;
      if (shape.min !== undefined && v < shape.min) fail(`have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v > shape.max) fail(`have value less than or equal to ${shape.max}`);
      return;
    case 'blob':
      if (!Buffer.isBuffer(v)) return;
      if (shape.min !== undefined && v.length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) fail(`have length less than or equal to ${shape.max}`);
      return;
    case 'list':
      if (!Array.isArray(v)) return;
      if (shape.min !== undefined && v.length < shape.min) fail(`have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v.length > shape.max) fail(`have length less than or equal to ${shape.max}`);
      v.forEach((x, i) => checkValue(shape.member, x, `${path}.${i + 1}.member`, out));
      return;
    case 'map':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
      for (const [k, x] of Object.entries(v)) checkValue(shape.value, x as Decoded, `${path}.${k}`, out);
      return;
    case 'structure':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
      checkStruct(shape, v as DecodedStruct, `${path}.`, out);
      return;
    default:
      return;
  }
}

function checkStruct(shape: StructureShape, v: DecodedStruct, prefix: string, out: string[]): void {
  for (const c of structMembers(shape)) {
    const x = v[c.name];
    if (x === undefined || x === null) {
      if (c.member.required) out.push(`Value null at '${prefix + c.path}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    // Documents carry no constraints: skip building their path.
    if (c.member.shape.kind === 'document') continue;
    checkValue(c.member.shape, x, prefix + c.path, out);
  }
}

/** Checks decoded input against its shape; throws AWS's ValidationException listing every failure. */
export function validate(shape: StructureShape, input: DecodedStruct): void {
  const out: string[] = [];
  checkStruct(shape, input, '', out);
  if (out.length > 0) throw validationError(out);
}
