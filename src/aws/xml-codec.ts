/**
 * Shape-driven XML (de)serialization, shared by restXml and the query
 * protocol's responses (Smithy's XML shape serialization: list members in
 * `<member>` unless flattened, maps as `<entry><key/><value/></entry>`,
 * timestamps as date-time, blobs base64).
 */
import { formatTimestamp, parseTimestamp, type Decoded, type DecodedStruct } from './codec';
import { serializationError } from './errors';
import type { Shape, StructureShape } from './shapes';
import { escapeXml, localName, xmlElement, type XmlElement } from './xml';

function scalarText(shape: Shape, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  switch (shape.kind) {
    case 'blob':
      return Buffer.isBuffer(v) ? v.toString('base64') : undefined;
    case 'timestamp':
      return v instanceof Date ? String(formatTimestamp(v, shape.format ?? 'date-time')) : undefined;
    case 'double':
      return typeof v === 'number' ? (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : String(v)) : undefined;
    default:
      return String(v);
  }
}

/** The XML for one value as element `name` (flattened lists/maps produce several sibling elements). */
export function toXml(shape: Shape, name: string, v: unknown, flattened = false): string {
  if (v === undefined || v === null) return '';
  switch (shape.kind) {
    case 'structure': {
      if (typeof v !== 'object') return '';
      const { attrs, content } = structContent(shape, v as Record<string, unknown>);
      return xmlElement(name, content, attrs);
    }
    case 'list': {
      if (!Array.isArray(v)) return '';
      if (flattened || shape.flattened) return v.map((x) => toXml(shape.member, name, x)).join('');
      const memberName = shape.memberName ?? 'member';
      return xmlElement(name, v.map((x) => toXml(shape.member, memberName, x)).join(''));
    }
    case 'map': {
      if (typeof v !== 'object') return '';
      const entries = Object.entries(v as Record<string, unknown>).map(
        ([k, x]) => `<key>${escapeXml(k)}</key>${toXml(shape.value, 'value', x)}`,
      );
      if (flattened || shape.flattened) return entries.map((e) => `<${name}>${e}</${name}>`).join('');
      return xmlElement(name, entries.map((e) => `<entry>${e}</entry>`).join(''));
    }
    case 'document':
      return '';
    default: {
      const t = scalarText(shape, v);
      return t === undefined ? '' : `<${name}>${escapeXml(t)}</${name}>`;
    }
  }
}

/** The body members of a structure as XML content (attributes separately). */
export function structContent(shape: StructureShape, v: Record<string, unknown>): { attrs: Record<string, string>; content: string } {
  const attrs: Record<string, string> = {};
  let content = '';
  for (const [name, m] of Object.entries(shape.members)) {
    if (m.location !== 'body') continue;
    const wire = m.name ?? name;
    if (m.xmlAttribute) {
      const t = scalarText(m.shape, v[name]);
      if (t !== undefined) attrs[wire] = t;
      continue;
    }
    content += toXml(m.shape, wire, v[name]);
  }
  return { attrs, content };
}

function scalarFromText(shape: Shape, text: string): Decoded {
  const t = text.trim();
  switch (shape.kind) {
    case 'string':
      return text;
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(t)) throw serializationError(`STRING_VALUE can not be converted to an ${shape.kind === 'long' ? 'Long' : 'Integer'}`);
      return Number(t);
    case 'double': {
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) {
        if (t === 'NaN') return NaN;
        throw serializationError(`STRING_VALUE can not be converted to a Double`);
      }
      return n;
    }
    case 'boolean':
      if (t === 'true') return true;
      if (t === 'false') return false;
      throw serializationError(`STRING_VALUE can not be converted to a Boolean`);
    case 'blob':
      return Buffer.from(t, 'base64');
    case 'timestamp': {
      const d = parseTimestamp(t, shape.format ?? 'date-time');
      if (!d) throw serializationError(`Unable to parse date value: ${t}`);
      return d;
    }
    default:
      return null;
  }
}

/** An element -> typed value of `shape`. */
export function fromXml(shape: Shape, el: XmlElement): Decoded {
  switch (shape.kind) {
    case 'structure':
      return fromXmlStruct(shape, el);
    case 'list': {
      const memberName = shape.memberName ?? 'member';
      return el.children.filter((c) => localName(c.name) === memberName).map((c) => fromXml(shape.member, c));
    }
    case 'map': {
      const out: { [k: string]: Decoded } = {};
      for (const entry of el.children.filter((c) => localName(c.name) === 'entry')) {
        const k = entry.children.find((c) => localName(c.name) === 'key');
        const v = entry.children.find((c) => localName(c.name) === 'value');
        if (k && v) out[k.text] = fromXml(shape.value, v);
      }
      return out;
    }
    default:
      return scalarFromText(shape, el.text);
  }
}

export function fromXmlStruct(shape: StructureShape, el: XmlElement): DecodedStruct {
  const out: DecodedStruct = {};
  for (const [name, m] of Object.entries(shape.members)) {
    if (m.location !== 'body') continue;
    const wire = m.name ?? name;
    if (m.xmlAttribute) {
      const a = el.attrs[wire];
      if (a !== undefined) out[name] = scalarFromText(m.shape, a);
      continue;
    }
    const matches = el.children.filter((c) => localName(c.name) === wire);
    if (matches.length === 0) continue;
    if (m.shape.kind === 'list' && m.shape.flattened) {
      const member = m.shape.member;
      out[name] = matches.map((c) => fromXml(member, c));
    } else if (m.shape.kind === 'map' && m.shape.flattened) {
      const value = m.shape.value;
      const o: { [k: string]: Decoded } = {};
      for (const c of matches) {
        const k = c.children.find((x) => localName(x.name) === 'key');
        const v = c.children.find((x) => localName(x.name) === 'value');
        if (k && v) o[k.text] = fromXml(value, v);
      }
      out[name] = o;
    } else {
      out[name] = fromXml(m.shape, matches[0]!);
    }
  }
  return out;
}
