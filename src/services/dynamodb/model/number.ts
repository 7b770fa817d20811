/**
 * DynamoDB's Number: a decimal with up to 38 significant digits and a
 * magnitude between 1E-130 and 9.99...E+125 (AWS: "Data types" — Number), kept
 * as the canonical string DynamoDB returns (plain notation, no leading or
 * trailing zeros, `-0` becomes `0`: "01.50" -> "1.5", "1E+2" -> "100").
 *
 * Arithmetic is exact (BigInt on the unscaled digits); a result outside the
 * range or needing more than 38 digits is refused with DynamoDB's messages
 * (wording from dynalite's tests, which were recorded against the service).
 */
import { CORAL_VALIDATE, ServiceError } from '../../../aws';

export const MAX_SIGNIFICANT_DIGITS = 38;
/** Largest and smallest allowed decimal exponent of the leading digit (9.99..E+125, 1E-130). */
export const MAX_EXPONENT = 125;
export const MIN_EXPONENT = -130;

/**
 * A parsed number: value = (neg ? -1 : 1) * 0.d1d2...dn * 10^(exp + 1), i.e.
 * `digits` has no leading or trailing zeros and `exp` is the power of ten of
 * the first digit (scientific exponent). Zero has `digits === ''`, `exp === 0`.
 */
export interface Decimal {
  neg: boolean;
  digits: string;
  exp: number;
}

export const ZERO: Decimal = { neg: false, digits: '', exp: 0 };

function invalid(message: string): ServiceError {
  return new ServiceError('ValidationException', 400, message, { namespace: CORAL_VALIDATE });
}

export function notANumber(raw: string): ServiceError {
  // An empty string gets the message with nothing after it (dynalite's tests).
  return invalid(raw === '' ? 'The parameter cannot be converted to a numeric value' : `The parameter cannot be converted to a numeric value: ${raw}`);
}

export function overflow(): ServiceError {
  return invalid('Number overflow. Attempting to store a number with magnitude larger than supported range');
}

export function underflow(): ServiceError {
  return invalid('Number underflow. Attempting to store a number with magnitude smaller than supported range');
}

export function tooManyDigits(): ServiceError {
  return invalid('Attempting to store more than 38 significant digits in a Number');
}

/** Parses without range checks; null when the text is not a decimal number. */
export function parseDecimalLoose(s: string): Decimal | null {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (i < n && (s.charCodeAt(i) === 45 /* - */ || s.charCodeAt(i) === 43) /* + */) {
    neg = s.charCodeAt(i) === 45;
    i++;
  }
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < n && s.charCodeAt(i) === 46 /* . */) {
    i++;
    fracStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    fracEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) return null;
  let e = 0;
  if (i < n && (s.charCodeAt(i) === 101 || s.charCodeAt(i) === 69) /* e E */) {
    i++;
    let eneg = false;
    if (i < n && (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43)) {
      eneg = s.charCodeAt(i) === 45;
      i++;
    }
    const eStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === eStart) return null;
    // Exponents this long are far outside the range anyway; keep them finite.
    const text = s.slice(eStart, i).replace(/^0+/, '');
    e = text.length > 12 ? 1e12 : Number(text);
    if (eneg) e = -e;
  }
  if (i !== n) return null;
  // All significant digits, integer then fraction part.
  const all = s.slice(intStart, intEnd) + s.slice(fracStart, fracEnd);
  let first = 0;
  while (first < all.length && all.charCodeAt(first) === 48) first++;
  if (first === all.length) return ZERO;
  let last = all.length;
  while (all.charCodeAt(last - 1) === 48) last--;
  const digits = all.slice(first, last);
  // Power of ten of all[0] is (intLen - 1); each skipped leading zero lowers it.
  const exp = intEnd - intStart - 1 - first + e;
  return { neg, digits, exp };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Range and precision checks in DynamoDB's order: overflow, underflow, then digits (dynalite). */
export function checkDecimal(d: Decimal): Decimal {
  if (d.digits === '') return d;
  if (d.exp > MAX_EXPONENT) throw overflow();
  if (d.exp < MIN_EXPONENT) throw underflow();
  if (d.digits.length > MAX_SIGNIFICANT_DIGITS) throw tooManyDigits();
  return d;
}

/** Parses and validates a wire number, throwing DynamoDB's ValidationException. */
export function parseNumber(s: string): Decimal {
  const d = parseDecimalLoose(s);
  if (d === null) throw notANumber(s);
  return checkDecimal(d);
}

/** Plain notation without leading/trailing zeros, as DynamoDB returns numbers. */
export function formatDecimal(d: Decimal): string {
  const { digits, exp } = d;
  if (digits === '') return '0';
  const n = digits.length;
  let out: string;
  if (exp >= n - 1) out = digits + '0'.repeat(exp - (n - 1));
  else if (exp < 0) out = '0.' + '0'.repeat(-exp - 1) + digits;
  else out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  return d.neg ? '-' + out : out;
}

/** Validates and canonicalizes a wire number ("01.50" -> "1.5", "-0" -> "0", "1E+2" -> "100"). */
export function canonicalNumber(s: string): string {
  return formatDecimal(parseNumber(s));
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  const sa = a.digits === '' ? 0 : a.neg ? -1 : 1;
  const sb = b.digits === '' ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  let c: number;
  if (a.exp !== b.exp) c = a.exp < b.exp ? -1 : 1;
  // Same exponent: digit strings without trailing zeros compare lexically.
  else c = a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1;
  return sa < 0 ? -c : c;
}

/** Numeric comparison of two number strings (any valid notation). */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  const da = parseDecimalLoose(a);
  const db = parseDecimalLoose(b);
  if (da === null || db === null) throw notANumber(da === null ? a : b);
  return compareDecimals(da, db);
}

export function numbersEqual(a: string, b: string): boolean {
  return a === b || compareNumbers(a, b) === 0;
}

function toScaled(d: Decimal): { unscaled: bigint; scale: number } {
  // value = unscaled * 10^scale, scale = power of ten of the last digit.
  const unscaled = BigInt(d.digits);
  return { unscaled: d.neg ? -unscaled : unscaled, scale: d.exp - d.digits.length + 1 };
}

function fromScaled(unscaled: bigint, scale: number): Decimal {
  if (unscaled === 0n) return ZERO;
  const neg = unscaled < 0n;
  let text = (neg ? -unscaled : unscaled).toString();
  let last = text.length;
  while (text.charCodeAt(last - 1) === 48) last--;
  const stripped = text.length - last;
  text = text.slice(0, last);
  return { neg, digits: text, exp: scale + stripped + text.length - 1 };
}

function addDecimals(a: Decimal, b: Decimal): Decimal {
  if (a.digits === '') return b;
  if (b.digits === '') return a;
  const x = toScaled(a);
  const y = toScaled(b);
  const scale = Math.min(x.scale, y.scale);
  const sum = x.unscaled * 10n ** BigInt(x.scale - scale) + y.unscaled * 10n ** BigInt(y.scale - scale);
  return fromScaled(sum, scale);
}

/** a + b, exact, refused when the result leaves DynamoDB's range or precision. */
export function addNumbers(a: string, b: string): string {
  return formatDecimal(checkDecimal(addDecimals(parseNumber(a), parseNumber(b))));
}

/** a - b, exact, refused when the result leaves DynamoDB's range or precision. */
export function subtractNumbers(a: string, b: string): string {
  const db = parseNumber(b);
  return formatDecimal(checkDecimal(addDecimals(parseNumber(a), db.digits === '' ? db : { ...db, neg: !db.neg })));
}
