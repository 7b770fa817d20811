/**
 * DynamoDB attribute values as they travel on the wire (B/BS are base64
 * strings), their validation with DynamoDB's messages, equality, the key sort
 * order, an order-preserving byte encoding of key values, and item sizes.
 *
 * Messages come from dynalite's tests, recorded against the live service
 * (github.com/mhart/dynalite, test/*.js "should return ValidationException ...").
 */
import { CORAL_VALIDATE, ServiceError, serializationError } from '../../../aws';
import {
  MIN_EXPONENT,
  canonicalNumber,
  compareNumbers,
  formatDecimal,
  numbersEqual,
  parseDecimalLoose,
  type Decimal,
} from './number';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type Item = Record<string, AttributeValue>;

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'L' | 'M' | 'SS' | 'NS' | 'BS';
export type ScalarAttributeType = 'S' | 'N' | 'B';

const TYPES: readonly AttributeType[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS'];
const TYPE_SET: ReadonlySet<string> = new Set(TYPES);

/** DynamoDB allows 32 levels of nesting (AWS: "Service, account, and table quotas" — Nested attribute depth). */
export const MAX_NESTING_DEPTH = 32;

function invalid(message: string): ServiceError {
  return new ServiceError('ValidationException', 400, message, { namespace: CORAL_VALIDATE });
}

function invalidParameter(detail: string): ServiceError {
  return invalid(`One or more parameter values were invalid: ${detail}`);
}

// ---------------------------------------------------------------- type checks of the JSON

/** Coral's name for the Java class a JSON number deserializes to (dynalite: classForNumber). */
function classForNumber(n: number): string {
  if (n % 1 !== 0) return 'java.lang.Double';
  if (n >= -32768 && n <= 32767) return 'java.lang.Short';
  if (n >= -2147483648 && n <= 2147483647) return 'java.lang.Integer';
  return 'java.lang.Long';
}

function structureOrList(v: object): ServiceError {
  return serializationError(Array.isArray(v) ? 'Start of list found where not expected' : 'Start of structure or map found where not expected.');
}

function expectString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') throw serializationError('class java.lang.Boolean can not be converted to an String');
  if (typeof v === 'number') throw serializationError(`class ${classForNumber(v)} can not be converted to an String`);
  throw structureOrList(v as object);
}

function expectBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    // Coral converts the usual spellings (dynalite: 'true'/'false'/'1'/'0'/'yes'/'no').
    const u = v.toUpperCase();
    if (u === 'TRUE' || u === '1' || u === 'YES') return true;
    if (u === 'FALSE' || u === '0' || u === 'NO') return false;
    throw serializationError(`'${u}' can not be converted to an Boolean`);
  }
  if (typeof v === 'number') {
    const cls = classForNumber(v);
    if (cls !== 'java.lang.Double') throw serializationError(`class ${cls} can not be converted to an Boolean`);
    return Math.abs(v) >= 1;
  }
  throw structureOrList(v as object);
}

const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

/** B values must be canonical base64; Coral's messages (dynalite: checkTypes 'Blob'). */
function expectBlob(v: unknown): string {
  if (typeof v !== 'string') {
    if (typeof v === 'boolean') throw serializationError('class java.lang.Boolean can not be converted to a Blob');
    if (typeof v === 'number') throw serializationError(`class ${classForNumber(v)} can not be converted to a Blob`);
    throw structureOrList(v as object);
  }
  if (v.length % 4 !== 0) {
    throw serializationError(`'${v}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: ${v.length}`);
  }
  if (!BASE64_CHARS.test(v)) {
    const bad = /[^A-Za-z0-9+/=]|=[^=]/.exec(v);
    throw serializationError(`'${v}' can not be converted to a Blob: Invalid Base64 character: '${bad ? bad[0][0] : '='}'`);
  }
  if (Buffer.from(v, 'base64').toString('base64') !== v) {
    // Sic: "dectected" is Coral's spelling.
    throw serializationError(`'${v}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected`);
  }
  return v;
}

function expectList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') throw serializationError('Start of structure or map found where not expected.');
  throw serializationError('Expected list or null');
}

function expectMap(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (Array.isArray(v)) throw serializationError('Start of list found where not expected');
  throw serializationError('Expected map or null');
}

// ---------------------------------------------------------------- validation

function hasDuplicates(values: string[]): boolean {
  if (values.length < 2) return false;
  if (values.length === 2) return values[0] === values[1];
  return new Set(values).size !== values.length;
}

/**
 * Checks one wire AttributeValue the way DynamoDB does and returns a normalized
 * copy (numbers canonical). Members the AttributeValue shape does not know, or
 * that are null, are ignored as Coral's deserializer does.
 */
export function validateAttributeValue(raw: unknown): AttributeValue {
  return validateValue(raw, 1);
}

function validateValue(raw: unknown, depth: number): AttributeValue {
  if (raw === null || typeof raw !== 'object') throw serializationError('Unexpected value type in payload');
  if (Array.isArray(raw)) throw serializationError('Start of list found where not expected');
  if (depth > MAX_NESTING_DEPTH) {
    throw invalid('Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit');
  }
  const obj = raw as Record<string, unknown>;
  let result: AttributeValue | undefined;
  let count = 0;
  // Each member is checked in order, and only then the count (dynalite: validateAttributeValue),
  // so {S: 'a', N: 'b'} reports the bad number rather than the two types.
  for (const key in obj) {
    const v = obj[key];
    if (v === null || v === undefined || !TYPE_SET.has(key)) continue;
    count++;
    result = validateMember(key as AttributeType, v, depth);
  }
  if (count === 0) throw invalid('Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  if (count > 1) throw invalid('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
  return result as AttributeValue;
}

function validateMember(type: AttributeType, v: unknown, depth: number): AttributeValue {
  switch (type) {
    case 'S':
      return { S: expectString(v) };
    case 'N':
      return { N: canonicalNumber(expectString(v)) };
    case 'B':
      return { B: expectBlob(v) };
    case 'BOOL':
      return { BOOL: expectBoolean(v) };
    case 'NULL':
      if (!expectBoolean(v)) throw invalidParameter('Null attribute value types must have the value of true');
      return { NULL: true };
    case 'SS': {
      const list = expectList(v).map(expectString);
      if (list.length === 0) throw invalidParameter('An string set  may not be empty');
      if (hasDuplicates(list)) throw invalidParameter(`Input collection [${list.join(', ')}] contains duplicates.`);
      return { SS: list };
    }
    case 'NS': {
      const raw = expectList(v).map(expectString);
      if (raw.length === 0) throw invalidParameter('An number set  may not be empty');
      const list = raw.map(canonicalNumber);
      // Sic: no prefix and no listing for numbers (dynalite's tests).
      if (hasDuplicates(list)) throw invalid('Input collection contains duplicates');
      return { NS: list };
    }
    case 'BS': {
      const list = expectList(v).map(expectBlob);
      if (list.length === 0) throw invalidParameter('Binary sets should not be empty');
      // Sic: no space before "of type" (dynalite's tests).
      if (hasDuplicates(list)) throw invalidParameter(`Input collection [${list.join(', ')}]of type BS contains duplicates.`);
      return { BS: list };
    }
    case 'L':
      return { L: expectList(v).map((x) => validateValue(x, depth + 1)) };
    case 'M': {
      const m = expectMap(v);
      const out: Record<string, AttributeValue> = {};
      for (const k in m) {
        if (m[k] === null || m[k] === undefined) continue;
        out[k] = validateValue(m[k], depth + 1);
      }
      return { M: out };
    }
  }
}

/**
 * A map of attribute values (PutItem's Item, a Key...). Empty attribute names
 * are refused (wording not confirmed against the service).
 */
export function validateItem(raw: unknown): Item {
  const m = expectMap(raw);
  const out: Item = {};
  for (const name in m) {
    if (m[name] === null || m[name] === undefined) continue;
    if (name === '') throw invalidParameter('An attribute name can not be empty');
    out[name] = validateValue(m[name], 1);
  }
  return out;
}

// ---------------------------------------------------------------- inspection

export function typeOf(v: AttributeValue): AttributeType {
  for (const k in v) return k as AttributeType;
  throw new TypeError('empty AttributeValue');
}

export function isScalarKeyType(t: AttributeType): t is ScalarAttributeType {
  return t === 'S' || t === 'N' || t === 'B';
}

function setEquals(a: string[], b: string[], numeric: boolean): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 8) {
    for (const x of a) {
      let found = false;
      for (const y of b) {
        if (x === y || (numeric && numbersEqual(x, y))) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  // Stored and validated numbers are canonical, so string identity is numeric identity.
  const s = new Set(b);
  for (const x of a) if (!s.has(x)) return numeric ? setEqualsSlow(a, b) : false;
  return true;
}

function setEqualsSlow(a: string[], b: string[]): boolean {
  const s = new Set(b.map(canonicalNumber));
  for (const x of a) if (!s.has(canonicalNumber(x))) return false;
  return true;
}

/** Deep equality as DynamoDB compares: sets as sets, numbers numerically, L/M deep. */
export function attributeValueEquals(a: AttributeValue, b: AttributeValue): boolean {
  if (a === b) return true;
  const t = typeOf(a);
  if (!(t in b)) return false;
  switch (t) {
    case 'S':
      return (a as { S: string }).S === (b as { S: string }).S;
    case 'N':
      return numbersEqual((a as { N: string }).N, (b as { N: string }).N);
    case 'B':
      return (a as { B: string }).B === (b as { B: string }).B;
    case 'BOOL':
      return (a as { BOOL: boolean }).BOOL === (b as { BOOL: boolean }).BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return setEquals((a as { SS: string[] }).SS, (b as { SS: string[] }).SS, false);
    case 'NS':
      return setEquals((a as { NS: string[] }).NS, (b as { NS: string[] }).NS, true);
    case 'BS':
      return setEquals((a as { BS: string[] }).BS, (b as { BS: string[] }).BS, false);
    case 'L': {
      const x = (a as { L: AttributeValue[] }).L;
      const y = (b as { L: AttributeValue[] }).L;
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!attributeValueEquals(x[i], y[i])) return false;
      return true;
    }
    case 'M': {
      const x = (a as { M: Record<string, AttributeValue> }).M;
      const y = (b as { M: Record<string, AttributeValue> }).M;
      let n = 0;
      for (const k in x) {
        const yk = y[k];
        if (yk === undefined || !attributeValueEquals(x[k], yk)) return false;
        n++;
      }
      for (const _ in y) n--;
      return n === 0;
    }
  }
}

/**
 * UTF-8 byte order of two JS strings without encoding them: UTF-8 orders by
 * code point, UTF-16 code units do too except that surrogates (code points
 * above U+FFFF) must sort after U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * DynamoDB's key order for two values of the same scalar type: S by UTF-8
 * bytes, B by unsigned bytes, N numerically (AWS: "Query" — KeyConditionExpression,
 * "sorted by the sort key value ... UTF-8 ... unsigned").
 */
export function compareScalar(a: AttributeValue, b: AttributeValue): number {
  if ('S' in a) return compareUtf8(a.S, (b as { S: string }).S);
  if ('N' in a) return compareNumbers(a.N, (b as { N: string }).N);
  if ('B' in a) {
    const y = (b as { B: string }).B;
    if (a.B === y) return 0;
    return Buffer.compare(Buffer.from(a.B, 'base64'), Buffer.from(y, 'base64'));
  }
  throw new TypeError(`compareScalar: not a scalar key type: ${typeOf(a)}`);
}

// ---------------------------------------------------------------- key encoding

const NUM_NEGATIVE = 0x01;
const NUM_ZERO = 0x02;
const NUM_POSITIVE = 0x03;
/** Ends a negative number: above every inverted digit byte, so -1.2 (shorter) sorts after -1.23. */
const NEG_TERMINATOR = 0xff;

function encodeDecimal(d: Decimal): Buffer {
  if (d.digits === '') return Buffer.from([NUM_ZERO]);
  const n = d.digits.length;
  const out = Buffer.allocUnsafe(2 + n + (d.neg ? 1 : 0));
  // The exponent range -130..125 fits one byte exactly.
  const e = d.exp - MIN_EXPONENT;
  if (e < 0 || e > 255) throw new RangeError(`number out of DynamoDB's range: exponent ${d.exp}`);
  if (d.neg) {
    out[0] = NUM_NEGATIVE;
    out[1] = 255 - e;
    for (let i = 0; i < n; i++) out[2 + i] = 254 - (d.digits.charCodeAt(i) - 48);
    out[2 + n] = NEG_TERMINATOR;
  } else {
    out[0] = NUM_POSITIVE;
    out[1] = e;
    for (let i = 0; i < n; i++) out[2 + i] = d.digits.charCodeAt(i) - 48;
  }
  return out;
}

/**
 * An order-preserving encoding of an S, N or B key value: for two values of
 * the same type, Buffer.compare of the encodings equals compareScalar. S is
 * its UTF-8 bytes and B its raw bytes (so a string prefix is a byte prefix,
 * which begins_with relies on); N is a sign byte, an exponent byte and one
 * byte per digit, inverted for negatives and closed by a terminator.
 */
export function encodeKey(v: AttributeValue): Buffer {
  if ('S' in v) return Buffer.from(v.S, 'utf8');
  if ('B' in v) return Buffer.from(v.B, 'base64');
  if ('N' in v) {
    const d = parseDecimalLoose(v.N);
    if (d === null) throw new TypeError(`encodeKey: not a number: ${v.N}`);
    return encodeDecimal(d);
  }
  throw new TypeError(`encodeKey: not a scalar key type: ${typeOf(v)}`);
}

/** The inverse of encodeKey for a known type. */
export function decodeKey(type: ScalarAttributeType, bytes: Buffer): AttributeValue {
  if (type === 'S') return { S: bytes.toString('utf8') };
  if (type === 'B') return { B: bytes.toString('base64') };
  const tag = bytes[0];
  if (tag === NUM_ZERO) return { N: '0' };
  const neg = tag === NUM_NEGATIVE;
  const exp = (neg ? 255 - bytes[1] : bytes[1]) + MIN_EXPONENT;
  let digits = '';
  const end = neg ? bytes.length - 1 : bytes.length;
  for (let i = 2; i < end; i++) digits += String.fromCharCode(48 + (neg ? 254 - bytes[i] : bytes[i]));
  return { N: formatDecimal({ neg, digits, exp }) };
}

/**
 * The smallest buffer greater than every buffer that starts with `prefix`
 * (for begins_with on a sort key: prefix <= k < upper bound); null when no
 * such buffer exists (empty prefix, or all 0xff).
 */
export function keyPrefixUpperBound(prefix: Buffer): Buffer | null {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return null;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]++;
  return out;
}

// ---------------------------------------------------------------- sizes

/**
 * Bytes a number takes: DynamoDB stores base-100 digits (pairs aligned on the
 * decimal point) plus one exponent byte, and one more for negatives; AWS's
 * guide gives it as "approximately (1 byte per two significant digits) + (1 byte)"
 * ("DynamoDB item sizes and formats"); this exact form matches dynalite's.
 */
export function numberSize(n: string): number {
  const d = parseDecimalLoose(n);
  if (d === null || d.digits === '') return 1;
  const first = Math.floor(d.exp / 2);
  const last = Math.floor((d.exp - d.digits.length + 1) / 2);
  return 1 + (first - last + 1) + (d.neg ? 1 : 0);
}

function base64Length(b: string): number {
  let pad = 0;
  if (b.endsWith('==')) pad = 2;
  else if (b.endsWith('=')) pad = 1;
  return (b.length / 4) * 3 - pad;
}

/**
 * Size of a value as DynamoDB counts it (AWS: "DynamoDB item sizes and formats"):
 * S its UTF-8 length, N as numberSize, B its raw length, BOOL and NULL 1 byte,
 * sets the sum of their members, L and M 3 bytes plus 1 byte per element plus
 * the elements (and, in M, their names).
 */
export function attributeValueSize(v: AttributeValue): number {
  if ('S' in v) return Buffer.byteLength(v.S, 'utf8');
  if ('N' in v) return numberSize(v.N);
  if ('B' in v) return base64Length(v.B);
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('SS' in v) {
    let s = 0;
    for (const x of v.SS) s += Buffer.byteLength(x, 'utf8');
    return s;
  }
  if ('NS' in v) {
    let s = 0;
    for (const x of v.NS) s += numberSize(x);
    return s;
  }
  if ('BS' in v) {
    let s = 0;
    for (const x of v.BS) s += base64Length(x);
    return s;
  }
  if ('L' in v) {
    let s = 3;
    for (const x of v.L) s += 1 + attributeValueSize(x);
    return s;
  }
  let s = 3;
  const m = (v as { M: Record<string, AttributeValue> }).M;
  for (const k in m) s += 1 + Buffer.byteLength(k, 'utf8') + attributeValueSize(m[k]);
  return s;
}

/** Item size in bytes: the UTF-8 length of each attribute name plus its value's size. */
export function itemSize(item: Item): number {
  let s = 0;
  for (const k in item) s += Buffer.byteLength(k, 'utf8') + attributeValueSize(item[k]);
  return s;
}

/** The canonical string of a number value, for callers that hold a raw N. */
export { canonicalNumber };
