/**
 * Tokens of DynamoDB's expression language. Attribute names start with a
 * letter or underscore and hold letters, digits and underscores; `#name` and
 * `:value` placeholders hold letters, digits and underscores (dynalite's
 * grammar, db/conditionParser.pegjs, which matches the service's answers).
 * Anything else is a one-character `bad` token that the parser reports as
 * DynamoDB's syntax error.
 */
export type TokenKind =
  | 'ident' // attribute name, keyword or function name
  | 'name' // #placeholder
  | 'value' // :placeholder
  | 'number' // digits (list indexes)
  | 'punct' // ( ) [ ] , . = <> < <= > >= + -
  | 'bad'
  | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      kind = 'ident';
    } else if (c === 35 /* # */ || c === 58 /* : */) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      kind = c === 35 ? 'name' : 'value';
    } else if (c >= 48 && c <= 57) {
      i++;
      while (i < n && src.charCodeAt(i) >= 48 && src.charCodeAt(i) <= 57) i++;
      kind = 'number';
    } else if (c === 60 /* < */) {
      i++;
      if (i < n && (src.charCodeAt(i) === 61 || src.charCodeAt(i) === 62)) i++;
      kind = 'punct';
    } else if (c === 62 /* > */) {
      i++;
      if (i < n && src.charCodeAt(i) === 61) i++;
      kind = 'punct';
    } else if ('()[],.=+-'.includes(src[i])) {
      i++;
      kind = 'punct';
    } else {
      // One code point, so a surrogate pair is reported whole.
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < n ? 2 : 1;
      kind = 'bad';
    }
    out.push({ kind, text: src.slice(start, i), start, end: i });
  }
  out.push({ kind: 'eof', text: '<EOF>', start: n, end: n });
  return out;
}
