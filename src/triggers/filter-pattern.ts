/**
 * Lambda event filtering (FilterCriteria.Filters[].Pattern): EventBridge's
 * pattern syntax, as the Lambda developer guide describes it ("Control which
 * events Lambda sends to your function", invocation-eventfiltering): exact
 * values (strings, numbers, booleans, null, ""), `prefix`, `suffix` (both
 * also with `equals-ignore-case`), `equals-ignore-case`, `wildcard`,
 * `anything-but` (value, list, `prefix`, `suffix`, `equals-ignore-case`,
 * `wildcard`), `numeric` (one comparison or a range), `exists`, nested
 * objects, lists of matchers (any may match), `$or`, and several fields in one
 * pattern (all must match). A value in the record that is an array matches
 * when any of its elements does (EventBridge's rule for arrays).
 *
 * Patterns are matched against a view of the record: for DynamoDB Streams the
 * record itself (`dynamodb`, `eventName`, ...); SQS-like sources parse a JSON
 * `body` first (`jsonFieldView`). A mapping's filters are OR'ed: a record is
 * delivered when any pattern matches, and with no filters every record is.
 *
 * Every invalid pattern is AWS's one InvalidParameterValueException message,
 * "Invalid filter pattern definition." (LocalStack's AWS-validated ESM
 * provider; CDK issue aws/aws-cdk#23057 quotes it from CloudFormation).
 */

export const INVALID_FILTER_PATTERN = 'Invalid filter pattern definition.';
/** Filters per event source mapping (Lambda quota, "Event filtering": 5 by default). */
export const MAX_FILTERS = 5;
/** Pattern length limit of the Lambda API's Filter.Pattern shape. */
export const MAX_PATTERN_LENGTH = 4096;

/** A pattern that does not follow the syntax; the message is AWS's. */
export class FilterPatternError extends Error {
  constructor(readonly detail: string) {
    super(INVALID_FILTER_PATTERN);
    this.name = 'FilterPatternError';
  }
}

type Scalar = string | number | boolean | null;

type Matcher =
  | { kind: 'exact'; value: Scalar }
  | { kind: 'prefix'; value: string; ignoreCase: boolean }
  | { kind: 'suffix'; value: string; ignoreCase: boolean }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; re: RegExp }
  | { kind: 'numeric'; tests: readonly NumericTest[] }
  | { kind: 'exists'; value: boolean }
  /** Matches a string or number that none of `inner` matches. */
  | { kind: 'anything-but'; inner: readonly Matcher[] };

interface NumericTest {
  op: '=' | '<' | '<=' | '>' | '>=';
  value: number;
}

interface ObjectNode {
  kind: 'object';
  fields: readonly (readonly [string, ObjectNode | LeafNode])[];
  /** Each `$or`: at least one alternative must match. */
  ors: readonly (readonly ObjectNode[])[];
}

interface LeafNode {
  kind: 'leaf';
  matchers: readonly Matcher[];
}

/** A parsed, validated pattern. */
export interface FilterPattern {
  matches(view: unknown): boolean;
}

/** Parses and validates one pattern string; throws FilterPatternError. */
export function parseFilterPattern(pattern: string): FilterPattern {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new FilterPatternError('empty pattern');
  if (pattern.length > MAX_PATTERN_LENGTH) throw new FilterPatternError(`longer than ${MAX_PATTERN_LENGTH} characters`);
  let json: unknown;
  try {
    json = JSON.parse(pattern);
  } catch {
    throw new FilterPatternError('not JSON');
  }
  const root = parseObject(json, 'pattern');
  return { matches: (view) => matchObject(root, view) };
}

/** AWS's message for an invalid pattern, or null when it is valid. */
export function validateFilterPattern(pattern: string): string | null {
  try {
    parseFilterPattern(pattern);
    return null;
  } catch (e) {
    if (e instanceof FilterPatternError) return e.message;
    throw e;
  }
}

/** The OR of several patterns (a mapping's FilterCriteria); no patterns: everything matches. */
export function compileFilters(patterns: readonly string[]): (view: unknown) => boolean {
  if (patterns.length === 0) return () => true;
  const parsed = patterns.map(parseFilterPattern);
  return (view) => parsed.some((p) => p.matches(view));
}

/**
 * A view of a record whose `field` holds a JSON document as a string (SQS
 * `body`, decoded Kinesis `data`): that field parsed when it is a JSON object
 * or array, left as the plain string otherwise (Lambda then matches it as a
 * string, per "Filtering on message body" in the developer guide).
 */
export function jsonFieldView(record: Record<string, unknown>, field: string): Record<string, unknown> {
  const raw = record[field];
  if (typeof raw !== 'string') return record;
  const text = raw.trim();
  if (!(text.startsWith('{') || text.startsWith('['))) return record;
  try {
    return { ...record, [field]: JSON.parse(text) as unknown };
  } catch {
    return record;
  }
}

// ---- parsing ---------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseObject(v: unknown, where: string): ObjectNode {
  if (!isPlainObject(v)) throw new FilterPatternError(`${where} must be a JSON object`);
  const keys = Object.keys(v);
  if (keys.length === 0) throw new FilterPatternError(`${where} is empty`);
  const fields: [string, ObjectNode | LeafNode][] = [];
  const ors: ObjectNode[][] = [];
  for (const key of keys) {
    const value = v[key];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new FilterPatternError('$or needs a list of at least two patterns');
      ors.push(value.map((alt, i) => parseObject(alt, `$or[${i}]`)));
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPatternError(`${key}: empty list of values`);
      fields.push([key, { kind: 'leaf', matchers: value.map((m) => parseMatcher(m, key)) }]);
    } else if (isPlainObject(value)) {
      fields.push([key, parseObject(value, key)]);
    } else {
      throw new FilterPatternError(`${key}: values must be given in a list`);
    }
  }
  return { kind: 'object', fields, ors };
}

function parseMatcher(m: unknown, key: string): Matcher {
  if (m === null || typeof m === 'string' || typeof m === 'boolean') return { kind: 'exact', value: m };
  if (typeof m === 'number') {
    if (!Number.isFinite(m)) throw new FilterPatternError(`${key}: invalid number`);
    return { kind: 'exact', value: m };
  }
  if (!isPlainObject(m)) throw new FilterPatternError(`${key}: nested lists are not allowed`);
  const ops = Object.keys(m);
  if (ops.length !== 1) throw new FilterPatternError(`${key}: a matcher object has exactly one operator`);
  const op = ops[0]!;
  const arg = m[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof arg === 'string') return { kind: op, value: arg, ignoreCase: false };
      if (isPlainObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
        return { kind: op, value: (arg['equals-ignore-case'] as string).toLowerCase(), ignoreCase: true };
      }
      throw new FilterPatternError(`${key}: ${op} takes a string`);
    }
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new FilterPatternError(`${key}: equals-ignore-case takes a string`);
      return { kind: 'equals-ignore-case', value: arg.toLowerCase() };
    case 'wildcard':
      if (typeof arg !== 'string') throw new FilterPatternError(`${key}: wildcard takes a string`);
      return { kind: 'wildcard', re: wildcardRegExp(arg, key) };
    case 'exists':
      if (typeof arg !== 'boolean') throw new FilterPatternError(`${key}: exists takes true or false`);
      return { kind: 'exists', value: arg };
    case 'numeric':
      return { kind: 'numeric', tests: parseNumeric(arg, key) };
    case 'anything-but':
      return { kind: 'anything-but', inner: parseAnythingBut(arg, key) };
    default:
      throw new FilterPatternError(`${key}: unknown operator ${op}`);
  }
}

function parseAnythingBut(arg: unknown, key: string): Matcher[] {
  if (typeof arg === 'string') return [{ kind: 'exact', value: arg }];
  if (typeof arg === 'number' && Number.isFinite(arg)) return [{ kind: 'exact', value: arg }];
  if (Array.isArray(arg)) {
    if (arg.length === 0) throw new FilterPatternError(`${key}: anything-but list is empty`);
    return arg.map((v) => {
      if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return { kind: 'exact', value: v } as Matcher;
      throw new FilterPatternError(`${key}: anything-but lists hold strings or numbers`);
    });
  }
  if (isPlainObject(arg) && Object.keys(arg).length === 1) {
    const [op] = Object.keys(arg) as [string];
    const v = arg[op];
    const strings = (what: string): string[] => {
      const list = Array.isArray(v) ? v : [v];
      if (list.length === 0 || !list.every((s): s is string => typeof s === 'string')) {
        throw new FilterPatternError(`${key}: anything-but ${what} takes a string or a list of strings`);
      }
      return list;
    };
    switch (op) {
      case 'prefix':
        return strings('prefix').map((s) => ({ kind: 'prefix', value: s, ignoreCase: false }));
      case 'suffix':
        return strings('suffix').map((s) => ({ kind: 'suffix', value: s, ignoreCase: false }));
      case 'equals-ignore-case':
        return strings('equals-ignore-case').map((s) => ({ kind: 'equals-ignore-case', value: s.toLowerCase() }));
      case 'wildcard':
        return strings('wildcard').map((s) => ({ kind: 'wildcard', re: wildcardRegExp(s, key) }));
    }
  }
  throw new FilterPatternError(`${key}: invalid anything-but`);
}

const LOWER_OPS = new Set(['>', '>=']);
const UPPER_OPS = new Set(['<', '<=']);
const ALL_OPS = new Set(['=', '<', '<=', '>', '>=']);

function parseNumeric(arg: unknown, key: string): NumericTest[] {
  const bad = (): FilterPatternError => new FilterPatternError(`${key}: numeric takes [op, number] or [">"|">=", number, "<"|"<=", number]`);
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad();
  const tests: NumericTest[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i] as unknown;
    const value = arg[i + 1] as unknown;
    if (typeof op !== 'string' || !ALL_OPS.has(op) || typeof value !== 'number' || !Number.isFinite(value)) throw bad();
    tests.push({ op: op as NumericTest['op'], value });
  }
  if (tests.length === 2) {
    // A range is a lower bound then an upper bound, lower below upper (EventBridge's rule).
    const [lo, hi] = tests as [NumericTest, NumericTest];
    if (!LOWER_OPS.has(lo.op) || !UPPER_OPS.has(hi.op) || !(lo.value < hi.value)) throw bad();
  }
  return tests;
}

/** `*` matches any run of characters; consecutive `**` is rejected as in EventBridge. `\*` is a literal star. */
function wildcardRegExp(pattern: string, key: string): RegExp {
  if (pattern.includes('**')) throw new FilterPatternError(`${key}: consecutive wildcard characters`);
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      re += escapeRegExp(pattern[i + 1]!);
      i++;
    } else if (c === '*') {
      re += '.*';
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`, 's');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---- matching --------------------------------------------------------------

function matchObject(node: ObjectNode, value: unknown): boolean {
  const obj = isPlainObject(value) ? value : undefined;
  for (const [key, child] of node.fields) {
    const v = obj ? obj[key] : undefined;
    if (child.kind === 'leaf' ? !matchLeaf(child, v) : !matchObject(child, v)) return false;
  }
  for (const alternatives of node.ors) {
    if (!alternatives.some((alt) => matchObject(alt, value))) return false;
  }
  return true;
}

function matchLeaf(leaf: LeafNode, value: unknown): boolean {
  if (value === undefined) return leaf.matchers.some((m) => m.kind === 'exists' && !m.value);
  if (Array.isArray(value)) return value.some((el) => !Array.isArray(el) && leaf.matchers.some((m) => matchValue(m, el)));
  return leaf.matchers.some((m) => matchValue(m, value));
}

function matchValue(m: Matcher, v: unknown): boolean {
  switch (m.kind) {
    case 'exists':
      // exists applies to leaf values (EventBridge: not to intermediate objects).
      return m.value ? !isPlainObject(v) : false;
    case 'exact':
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && (m.ignoreCase ? v.toLowerCase() : v).startsWith(m.value);
    case 'suffix':
      return typeof v === 'string' && (m.ignoreCase ? v.toLowerCase() : v).endsWith(m.value);
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === m.value;
    case 'wildcard':
      return typeof v === 'string' && m.re.test(v);
    case 'numeric':
      return typeof v === 'number' && m.tests.every((t) => compareNumber(v, t));
    case 'anything-but':
      return (typeof v === 'string' || typeof v === 'number') && !m.inner.some((x) => matchValue(x, v));
  }
}

function compareNumber(v: number, t: NumericTest): boolean {
  switch (t.op) {
    case '=':
      return v === t.value;
    case '<':
      return v < t.value;
    case '<=':
      return v <= t.value;
    case '>':
      return v > t.value;
    case '>=':
      return v >= t.value;
  }
}
