/**
 * The Serverless Framework v3 variable syntax, parsed into a small tree:
 *
 *   ${type:address}            ${self:custom.table}  ${env:HOME}  ${sls:stage}
 *   ${type(params):address}    ${file(./config.yml):db.host}  ${strToBool(${env:X})}
 *   ${source, fallback, ...}   ${opt:stage, 'dev'}  ${env:A, self:custom.a, 10}
 *
 * Rules follow the framework's own parser (lib/configuration/variables/parse.js):
 * a variable starts with a lower-case source type followed by `:` or `(`; anything
 * else inside `${...}` is "foreign" and left alone, which is what keeps
 * CloudFormation's `!Sub '${AWS::Region}'` and `${BucketName}` intact. A backslash
 * escapes the next character. Fallbacks may be bare sources (`self:x`), quoted
 * strings, `true`/`false`/`null`, numbers, or (an extension) a nested `${...}`.
 * Addresses and params may contain nested variables: `${self:custom.${sls:stage}}`.
 */

export class VariableSyntaxError extends Error {}

export interface VariableRef {
  /** Offsets of `${` and one past `}` in the string the variable was found in. */
  start: number;
  end: number;
  /** The variable's source text, e.g. `${opt:stage, 'dev'}`. */
  text: string;
  sources: VariableSource[];
}

export type VariableSource =
  | { kind: 'literal'; value: unknown }
  | { kind: 'typed'; type: string; params: Template[] | null; address: Template | null }
  | { kind: 'nested'; ref: VariableRef };

/** A param or address: a plain value, or text with variables in it. */
export type Template = { kind: 'value'; value: unknown } | { kind: 'template'; raw: string; variables: VariableRef[] };

const TYPE_RE = /^[a-z][a-zA-Z0-9]*$/;
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
const isTypeChar = (c: string | undefined): boolean => c !== undefined && /[a-zA-Z0-9]/.test(c);
const isTokenChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9._-]/.test(c);

/** All top-level variables in `s`, in order; [] when there are none. */
export function findVariables(s: string): VariableRef[] {
  if (s.indexOf('${') === -1) return [];
  const out: VariableRef[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '$' && s[i + 1] === '{') {
      const ref = tryVariableAt(s, i);
      if (ref) {
        out.push(ref);
        i = ref.end;
      } else {
        i += 2; // foreign `${...}`: keep scanning inside it, real variables may follow
      }
      continue;
    }
    i++;
  }
  return out;
}

/** The variable starting at `start` (which holds `${`), or null when it is foreign. */
function tryVariableAt(s: string, start: number): VariableRef | null {
  const p = start + 2;
  if (!isLower(s[p])) return null;
  let q = p;
  while (isTypeChar(s[q])) q++;
  if (s[q] !== ':' && s[q] !== '(') return null;
  return new Parser(s).variable(start);
}

/** Parses a literal token the way the framework does: booleans, null, numbers. */
function parseLiteral(token: string, fallbackToInput: boolean): unknown {
  if (token === 'true') return true;
  if (token === 'false') return false;
  if (token === 'null') return null;
  if (token !== '' && !Number.isNaN(Number(token))) return Number(token);
  if (fallbackToInput) return token;
  throw new VariableSyntaxError(`invalid fallback value "${token}" (quote strings: '${token}')`);
}

class Parser {
  private p = 0;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    if (this.p >= this.s.length) throw new VariableSyntaxError(`missing closing "}" in "${this.s}"`);
    throw new VariableSyntaxError(`${what} at index ${this.p} in "${this.s}"`);
  }

  private skipSpaces(): void {
    while (this.s[this.p] === ' ') this.p++;
  }

  variable(start: number): VariableRef {
    this.p = start + 2;
    const sources: VariableSource[] = [];
    for (;;) {
      this.skipSpaces();
      sources.push(this.source(sources.length === 0));
      this.skipSpaces();
      const c = this.s[this.p];
      if (c === ',') {
        this.p++;
        continue;
      }
      if (c === '}') {
        this.p++;
        break;
      }
      this.fail('unexpected character');
    }
    return { start, end: this.p, text: this.s.slice(start, this.p), sources };
  }

  private source(first: boolean): VariableSource {
    const s = this.s;
    const c = s[this.p];
    if (!first && (c === "'" || c === '"')) return { kind: 'literal', value: this.quoted() };
    if (!first && c === '$' && s[this.p + 1] === '{') {
      const ref = tryVariableAt(s, this.p);
      if (!ref) this.fail('invalid variable source');
      this.p = ref.end;
      return { kind: 'nested', ref };
    }
    const tokenStart = this.p;
    while (isTokenChar(s[this.p])) this.p++;
    const token = s.slice(tokenStart, this.p);
    const next = s[this.p];
    if (next === ':' || next === '(') {
      if (!TYPE_RE.test(token)) {
        this.p = tokenStart;
        this.fail('invalid variable source');
      }
      let params: Template[] | null = null;
      let address: Template | null = null;
      if (next === '(') {
        this.p++;
        params = this.params();
      }
      if (s[this.p] === ':') {
        this.p++;
        address = this.address();
      }
      return { kind: 'typed', type: token, params, address };
    }
    if (token === '') this.fail('invalid variable source');
    return { kind: 'literal', value: parseLiteral(token, false) };
  }

  private quoted(): string {
    const s = this.s;
    const q = s[this.p];
    const start = this.p;
    this.p++;
    while (this.p < s.length && s[this.p] !== q) {
      if (q === '"' && s[this.p] === '\\') this.p++;
      this.p++;
    }
    if (this.p >= s.length) throw new VariableSyntaxError(`unterminated string in "${s}"`);
    this.p++;
    const body = s.slice(start, this.p);
    if (q === "'") return body.slice(1, -1);
    try {
      return JSON.parse(body) as string;
    } catch {
      throw new VariableSyntaxError(`invalid string literal ${body} in "${s}"`);
    }
  }

  private params(): Template[] {
    const params: Template[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.s[this.p];
      if (c === ')') {
        this.p++;
        return params;
      }
      if (c === ',') {
        params.push({ kind: 'value', value: null });
        this.p++;
        continue;
      }
      if (c === "'" || c === '"') {
        params.push({ kind: 'value', value: this.quoted() });
        this.skipSpaces();
      } else {
        params.push(this.raw([',', ')'], (t) => parseLiteral(t, true)));
      }
      const after = this.s[this.p];
      if (after === ',') this.p++;
      else if (after !== ')') this.fail('invalid variable param');
    }
  }

  private address(): Template | null {
    this.skipSpaces();
    const c = this.s[this.p];
    if (c === '}' || c === ',') return null;
    if (c === "'" || c === '"') return { kind: 'value', value: this.quoted() };
    return this.raw([',', '}'], (t) => t);
  }

  /** Text up to one of `stops` (outside nested variables), trimmed. */
  private raw(stops: string[], plain: (t: string) => unknown): Template {
    const s = this.s;
    const start = this.p;
    const variables: VariableRef[] = [];
    while (this.p < s.length && !stops.includes(s[this.p])) {
      if (s[this.p] === '$' && s[this.p + 1] === '{') {
        const ref = tryVariableAt(s, this.p);
        if (!ref) this.fail('invalid nested variable');
        variables.push({ ...ref, start: ref.start - start, end: ref.end - start });
        this.p = ref.end;
        continue;
      }
      if (s[this.p] === '}' || s[this.p] === '{') this.fail('unexpected character');
      this.p++;
    }
    if (this.p >= s.length) this.fail('unterminated variable');
    const text = s.slice(start, this.p);
    const trimmed = text.trimEnd();
    if (variables.length === 0) return { kind: 'value', value: plain(trimmed) };
    return { kind: 'template', raw: trimmed, variables };
  }
}
