/**
 * Attribute values: validation messages, equality, key order, the
 * order-preserving key encoding (property-tested) and item sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attributeValueEquals,
  attributeValueSize,
  compareScalar,
  compareUtf8,
  decodeKey,
  encodeKey,
  itemSize,
  keyPrefixUpperBound,
  typeOf,
  validateAttributeValue,
  validateItem,
  type AttributeValue,
} from '../../../../src/services/dynamodb/model/attribute-value';
import { rng, sign, throwsMessage } from './helpers';

const PARAM = 'One or more parameter values were invalid: ';

test('validateAttributeValue: DynamoDB messages for empty, mixed and invalid values', () => {
  for (const raw of [{}, { a: '' }, { S: null }]) {
    throwsMessage(() => validateAttributeValue(raw), 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  for (const raw of [{ M: { a: {} } }, { L: [{}] }, { L: [{ a: {} }] }]) {
    throwsMessage(() => validateAttributeValue(raw), 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
  }
  throwsMessage(
    () => validateAttributeValue({ S: 'a', N: '1' }),
    'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
  );
  // Members are checked before their count.
  throwsMessage(() => validateAttributeValue({ S: 'a', N: 'b' }), 'The parameter cannot be converted to a numeric value: b');
  throwsMessage(() => validateAttributeValue({ S: '', N: '' }), 'The parameter cannot be converted to a numeric value');
  throwsMessage(() => validateAttributeValue({ NULL: false }), PARAM + 'Null attribute value types must have the value of true');
  throwsMessage(() => validateAttributeValue({ NULL: 'no' }), PARAM + 'Null attribute value types must have the value of true');
  throwsMessage(() => validateAttributeValue({ SS: [] }), PARAM + 'An string set  may not be empty');
  throwsMessage(() => validateAttributeValue({ NS: [] }), PARAM + 'An number set  may not be empty');
  throwsMessage(() => validateAttributeValue({ BS: [] }), PARAM + 'Binary sets should not be empty');
  throwsMessage(() => validateAttributeValue({ SS: ['a', 'a'] }), PARAM + 'Input collection [a, a] contains duplicates.');
  throwsMessage(() => validateAttributeValue({ BS: ['Yg==', 'Yg=='] }), PARAM + 'Input collection [Yg==, Yg==]of type BS contains duplicates.');
  throwsMessage(() => validateAttributeValue({ NS: ['1', '1.0'] }), 'Input collection contains duplicates');
  throwsMessage(() => validateAttributeValue({ NS: ['1', ''] }), 'The parameter cannot be converted to a numeric value');
  throwsMessage(() => validateAttributeValue({ NS: ['1', 'b'] }), 'The parameter cannot be converted to a numeric value: b');
  throwsMessage(() => validateAttributeValue({ N: '1e126' }), 'Number overflow. Attempting to store a number with magnitude larger than supported range');
});

test('validateAttributeValue: wrong JSON types are SerializationExceptions', () => {
  throwsMessage(() => validateAttributeValue({ S: 5 }), 'class java.lang.Short can not be converted to an String', 'SerializationException');
  throwsMessage(() => validateAttributeValue({ S: true }), 'class java.lang.Boolean can not be converted to an String', 'SerializationException');
  throwsMessage(() => validateAttributeValue({ L: {} }), 'Start of structure or map found where not expected.', 'SerializationException');
  throwsMessage(() => validateAttributeValue({ M: [] }), 'Start of list found where not expected', 'SerializationException');
  throwsMessage(
    () => validateAttributeValue({ B: 'abc' }),
    "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3",
    'SerializationException',
  );
  throwsMessage(() => validateAttributeValue({ B: 'ab!=' }), "'ab!=' can not be converted to a Blob: Invalid Base64 character: '!'", 'SerializationException');
  throwsMessage(
    () => validateAttributeValue({ B: 'YR==' }),
    "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
    'SerializationException',
  );
});

test('validateAttributeValue normalizes numbers and keeps everything else', () => {
  assert.deepEqual(validateAttributeValue({ N: '01.50' }), { N: '1.5' });
  assert.deepEqual(validateAttributeValue({ NS: ['1E+2', '-0'] }), { NS: ['100', '0'] });
  assert.deepEqual(
    validateAttributeValue({ M: { a: { L: [{ N: '-0.0' }, { S: '' }, { B: 'YQ==' }, { BOOL: false }, { NULL: true }] } } }),
    { M: { a: { L: [{ N: '0' }, { S: '' }, { B: 'YQ==' }, { BOOL: false }, { NULL: true }] } } },
  );
  // Empty strings and binaries are fine for non-key attributes (since 2020).
  assert.deepEqual(validateAttributeValue({ S: '' }), { S: '' });
  assert.deepEqual(validateAttributeValue({ B: '' }), { B: '' });
});

test('validateAttributeValue: nesting deeper than 32 levels is refused', () => {
  let v: AttributeValue = { S: 'x' };
  for (let i = 0; i < 31; i++) v = { L: [v] };
  validateAttributeValue(v); // 32 levels
  throwsMessage(
    () => validateAttributeValue({ M: { a: v } }),
    'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit',
  );
});

test('validateItem validates each attribute and refuses empty names', () => {
  assert.deepEqual(validateItem({ a: { N: '1.0' }, b: { S: 'x' } }), { a: { N: '1' }, b: { S: 'x' } });
  throwsMessage(() => validateItem({ '': { S: 'x' } }), PARAM + 'An attribute name can not be empty');
  throwsMessage(() => validateItem({ a: {} }), 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes');
});

test('typeOf and attributeValueEquals', () => {
  assert.equal(typeOf({ NS: ['1'] }), 'NS');
  assert.equal(typeOf({ NULL: true }), 'NULL');
  const eq = (a: AttributeValue, b: AttributeValue) => attributeValueEquals(a, b);
  assert.ok(eq({ N: '1.50' }, { N: '1.5' }));
  assert.ok(!eq({ N: '1' }, { S: '1' }));
  assert.ok(eq({ SS: ['a', 'b', 'c'] }, { SS: ['c', 'a', 'b'] }));
  assert.ok(!eq({ SS: ['a', 'b'] }, { SS: ['a', 'c'] }));
  assert.ok(eq({ NS: ['1', '2.0'] }, { NS: ['2', '1.00'] }));
  const big = Array.from({ length: 20 }, (_, i) => String(i));
  assert.ok(eq({ NS: big }, { NS: [...big].reverse() }));
  assert.ok(eq({ NS: big }, { NS: big.map((x) => x + '.0') }));
  assert.ok(eq({ L: [{ S: 'a' }, { M: { x: { N: '1' } } }] }, { L: [{ S: 'a' }, { M: { x: { N: '1.0' } } }] }));
  assert.ok(!eq({ L: [{ S: 'a' }, { S: 'b' }] }, { L: [{ S: 'b' }, { S: 'a' }] }));
  assert.ok(!eq({ M: { a: { S: 'x' } } }, { M: { a: { S: 'x' }, b: { S: 'y' } } }));
  assert.ok(!eq({ M: { a: { S: 'x' }, b: { S: 'y' } } }, { M: { a: { S: 'x' } } }));
  assert.ok(eq({ BOOL: true }, { BOOL: true }) && !eq({ BOOL: true }, { BOOL: false }));
});

test('compareScalar: S by UTF-8 bytes, B unsigned, N numerically', () => {
  // U+FF5E sorts before U+1F600 in UTF-8 but after its surrogates in UTF-16.
  assert.equal(compareScalar({ S: '\uff5e' }, { S: '\u{1f600}' }), -1);
  assert.ok('\uff5e' > '\u{1f600}');
  assert.equal(compareScalar({ S: 'a' }, { S: 'ab' }), -1);
  assert.equal(compareScalar({ S: 'B' }, { S: 'a' }), -1);
  assert.equal(compareScalar({ B: Buffer.from([0x7f]).toString('base64') }, { B: Buffer.from([0x80]).toString('base64') }), -1);
  assert.equal(compareScalar({ N: '10' }, { N: '9' }), 1);
  assert.equal(compareScalar({ N: '-10' }, { N: '-9' }), -1);
});

test('compareUtf8 agrees with Buffer.compare of UTF-8 bytes (random strings)', () => {
  const r = rng(7);
  const pool = ['a', 'z', 'A', '0', '\u00e9', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uff5e', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
  const strings: string[] = [];
  for (let i = 0; i < 300; i++) {
    let s = '';
    const n = Math.floor(r() * 5);
    for (let j = 0; j < n; j++) s += pool[Math.floor(r() * pool.length)];
    strings.push(s);
  }
  for (let i = 0; i < strings.length; i++) {
    for (let j = i; j < Math.min(strings.length, i + 40); j++) {
      const a = strings[i];
      const b = strings[j];
      assert.equal(sign(compareUtf8(a, b)), sign(Buffer.compare(Buffer.from(a), Buffer.from(b))), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(sign(Buffer.compare(encodeKey({ S: a }), encodeKey({ S: b }))), sign(compareUtf8(a, b)));
    }
  }
});

/** Exact order of two numbers from their text, by BigInt scaling (independent of the code under test). */
function oracle(a: string, b: string): number {
  const parse = (s: string): { v: bigint; scale: number } => {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(s);
    if (!m) throw new Error('bad ' + s);
    const frac = m[3] ?? '';
    const v = BigInt(m[2] + frac) * (m[1] === '-' ? -1n : 1n);
    return { v, scale: Number(m[4] ?? 0) - frac.length };
  };
  const x = parse(a);
  const y = parse(b);
  const s = Math.min(x.scale, y.scale);
  const xv = x.v * 10n ** BigInt(x.scale - s);
  const yv = y.v * 10n ** BigInt(y.scale - s);
  return xv < yv ? -1 : xv > yv ? 1 : 0;
}

function randomNumber(r: () => number): string {
  const special = ['0', '-0', '1', '-1', '1.2', '1.23', '-1.2', '-1.23', '10', '9', '1e125', '-1e125', '1e-130', '-1e-130',
    '9.9999999999999999999999999999999999999e125', '-9.9999999999999999999999999999999999999e125',
    '12345678901234567890123456789012345678', '-12345678901234567890123456789012345678', '0.1', '0.01', '-0.01', '100', '101'];
  if (r() < 0.2) return special[Math.floor(r() * special.length)];
  const n = 1 + Math.floor(r() * (r() < 0.3 ? 38 : 6));
  let digits = String(1 + Math.floor(r() * 9));
  for (let i = 1; i < n; i++) digits += String(Math.floor(r() * 10));
  const exp = r() < 0.5 ? Math.floor(r() * 10) - 5 : Math.floor(r() * 256) - 130;
  const neg = r() < 0.5 ? '-' : '';
  return `${neg}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${exp}`;
}

test('encodeKey preserves numeric order (property test, 38-digit and extreme values)', () => {
  const r = rng(42);
  const nums: string[] = [];
  for (let i = 0; i < 600; i++) nums.push(randomNumber(r));
  const enc = nums.map((n) => encodeKey({ N: n }));
  for (let i = 0; i < nums.length; i++) {
    for (let j = 0; j < nums.length; j += 1 + (i % 7)) {
      const want = oracle(nums[i], nums[j]);
      assert.equal(sign(Buffer.compare(enc[i], enc[j])), want, `${nums[i]} vs ${nums[j]}`);
      assert.equal(sign(compareScalar({ N: nums[i] }, { N: nums[j] })), want, `compareScalar ${nums[i]} vs ${nums[j]}`);
    }
  }
  // Sorting by encoding sorts numerically.
  const sorted = nums.map((n, i) => ({ n, e: enc[i] })).sort((a, b) => Buffer.compare(a.e, b.e));
  for (let i = 1; i < sorted.length; i++) assert.ok(oracle(sorted[i - 1].n, sorted[i].n) <= 0);
  // The shorter negative is the larger one.
  assert.equal(Buffer.compare(encodeKey({ N: '-1.2' }), encodeKey({ N: '-1.23' })), 1);
  assert.equal(Buffer.compare(encodeKey({ N: '1.2' }), encodeKey({ N: '1.23' })), -1);
  // Equal numbers encode identically whatever their notation.
  assert.deepEqual(encodeKey({ N: '1.50' }), encodeKey({ N: '15e-1' }));
  assert.deepEqual(encodeKey({ N: '-0' }), encodeKey({ N: '0' }));
});

test('decodeKey inverts encodeKey', () => {
  const r = rng(3);
  for (let i = 0; i < 200; i++) {
    const n = randomNumber(r);
    const decoded = decodeKey('N', encodeKey({ N: n }));
    assert.equal(oracle((decoded as { N: string }).N, n), 0, n);
  }
  assert.deepEqual(decodeKey('N', encodeKey({ N: '-1.5' })), { N: '-1.5' });
  assert.deepEqual(decodeKey('S', encodeKey({ S: 'h\u00e9' })), { S: 'h\u00e9' });
  assert.deepEqual(decodeKey('B', encodeKey({ B: 'AAEC' })), { B: 'AAEC' });
});

test('encodeKey of binaries is the raw bytes, in unsigned order', () => {
  const r = rng(9);
  const bufs = Array.from({ length: 100 }, () => Buffer.from(Array.from({ length: Math.floor(r() * 4) }, () => Math.floor(r() * 256))));
  for (const a of bufs) {
    for (const b of bufs) {
      const x: AttributeValue = { B: a.toString('base64') };
      const y: AttributeValue = { B: b.toString('base64') };
      assert.equal(sign(Buffer.compare(encodeKey(x), encodeKey(y))), sign(Buffer.compare(a, b)));
      assert.equal(sign(compareScalar(x, y)), sign(Buffer.compare(a, b)));
    }
  }
});

test('keyPrefixUpperBound bounds every key with the prefix', () => {
  assert.deepEqual(keyPrefixUpperBound(Buffer.from('ab')), Buffer.from('ac'));
  assert.deepEqual(keyPrefixUpperBound(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.equal(keyPrefixUpperBound(Buffer.from([0xff, 0xff])), null);
  assert.equal(keyPrefixUpperBound(Buffer.alloc(0)), null);
  const prefix = encodeKey({ S: 'caf\u00e9' });
  const upper = keyPrefixUpperBound(prefix) as Buffer;
  for (const s of ['caf\u00e9', 'caf\u00e9s', 'caf\u00e9\u{10ffff}']) {
    const k = encodeKey({ S: s });
    assert.ok(Buffer.compare(prefix, k) <= 0 && Buffer.compare(k, upper) < 0, s);
  }
  for (const s of ['cafe', 'caf\u00ea', 'cag']) {
    const k = encodeKey({ S: s });
    assert.ok(!(Buffer.compare(prefix, k) <= 0 && Buffer.compare(k, upper) < 0), s);
  }
});

test('itemSize counts bytes as DynamoDB does', () => {
  assert.equal(itemSize({ a: { S: 'abc' } }), 1 + 3);
  assert.equal(itemSize({ '\u00e9': { S: '\u00e9' } }), 2 + 2);
  assert.equal(itemSize({ b: { B: 'AQI=' } }), 1 + 2);
  assert.equal(itemSize({ t: { BOOL: true }, n: { NULL: true } }), 2 + 2);
  // Numbers: one exponent byte, one byte per pair of digits aligned on the decimal point, one more when negative.
  assert.equal(attributeValueSize({ N: '1' }), 2);
  assert.equal(attributeValueSize({ N: '12' }), 2);
  assert.equal(attributeValueSize({ N: '123' }), 3);
  assert.equal(attributeValueSize({ N: '1.2' }), 3);
  assert.equal(attributeValueSize({ N: '100' }), 2);
  assert.equal(attributeValueSize({ N: '-1' }), 3);
  assert.equal(attributeValueSize({ N: '0' }), 1);
  assert.equal(attributeValueSize({ N: '12345678901234567890123456789012345678' }), 20);
  // Lists and maps: 3 bytes, plus 1 per element, plus the elements (and names).
  assert.equal(attributeValueSize({ L: [] }), 3);
  assert.equal(attributeValueSize({ M: {} }), 3);
  assert.equal(attributeValueSize({ L: [{ S: 'ab' }, { BOOL: true }] }), 3 + (1 + 2) + (1 + 1));
  assert.equal(attributeValueSize({ M: { xy: { S: 'a' } } }), 3 + 1 + 2 + 1);
  assert.equal(attributeValueSize({ SS: ['a', 'bc'] }), 3);
  assert.equal(attributeValueSize({ NS: ['1', '-1'] }), 5);
  assert.equal(attributeValueSize({ BS: ['AQI=', 'AQ=='] }), 3);
});
