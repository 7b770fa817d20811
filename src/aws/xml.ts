/**
 * The little XML the AWS protocols need: a writer for response documents and a
 * strict-enough parser for request bodies (restXml), with no dependency. No
 * DTDs, no external entities (so no XXE), namespaces kept as plain names.
 */
import { serializationError } from './errors';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside this element. */
  text: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;', '\n': '&#xA;' };

export function escapeXml(s: string, attr = false): string {
  return s.replace(attr ? /[&<>"'\r\n]/g : /[&<>\r]/g, (c) => ESCAPES[c]!);
}

/** `<name attrs>content</name>`; content is already-serialized XML. */
export function xmlElement(name: string, content: string, attrs: Record<string, string> = {}): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v, true)}"`)
    .join('');
  return content === '' ? `<${name}${a}/>` : `<${name}${a}>${content}</${name}>`;
}

export function xmlText(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw serializationError(`Unknown XML entity ${whole}`);
    return v;
  });
}

/** Parses a document into its root element; malformed XML is AWS's `MalformedXML`-style serialization error. */
export function parseXml(input: string): XmlElement {
  let i = 0;
  const s = input;
  const fail = (why: string): never => {
    throw serializationError(`The XML you provided was not well-formed or did not validate against our published schema (${why} at offset ${i})`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (i < s.length && /\s/.test(s[i]!)) i++;
      if (s.startsWith('<?', i)) {
        const end = s.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (s.startsWith('<!--', i)) {
        const end = s.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (s.startsWith('<!', i)) {
        fail('DTDs are not allowed');
      } else return;
    }
  };
  const name = (): string => {
    const m = /^[A-Za-z_:][-A-Za-z0-9_:.]*/.exec(s.slice(i, i + 256));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const element = (): XmlElement => {
    if (s[i] !== '<') fail('expected an element');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      while (i < s.length && /\s/.test(s[i]!)) i++;
      if (s.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (s[i] === '>') {
        i++;
        break;
      }
      const an = name();
      while (/\s/.test(s[i] ?? '')) i++;
      if (s[i] !== '=') fail('expected =');
      i++;
      while (/\s/.test(s[i] ?? '')) i++;
      const q = s[i];
      if (q !== '"' && q !== "'") return fail('expected a quoted attribute value');
      const end = s.indexOf(q, i + 1);
      if (end < 0) fail('unterminated attribute');
      el.attrs[an] = decodeEntities(s.slice(i + 1, end));
      i = end + 1;
    }
    for (;;) {
      if (i >= s.length) fail(`unclosed element <${el.name}>`);
      if (s.startsWith('</', i)) {
        i += 2;
        const n = name();
        if (n !== el.name) fail(`mismatched </${n}> for <${el.name}>`);
        while (/\s/.test(s[i] ?? '')) i++;
        if (s[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      if (s.startsWith('<![CDATA[', i)) {
        const end = s.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        el.text += s.slice(i + 9, end);
        i = end + 3;
      } else if (s.startsWith('<!--', i)) {
        const end = s.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (s[i] === '<') {
        el.children.push(element());
      } else {
        const next = s.indexOf('<', i);
        const end = next < 0 ? s.length : next;
        el.text += decodeEntities(s.slice(i, end));
        i = end;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i < s.length) fail('content after the root element');
  return root;
}

/** The local part of a possibly prefixed name. */
export function localName(n: string): string {
  const c = n.indexOf(':');
  return c < 0 ? n : n.slice(c + 1);
}
