/**
 * CloudFormation intrinsic functions over JSON values (the long form the YAML tags
 * parse into: `{ Ref }`, `{ 'Fn::GetAtt': [...] }`, ...), as the template reference
 * documents them (AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
 *
 * Resolution may be partial: at compile time resources do not exist yet, so a
 * context answers `'keep'` for them (IntrinsicContext.unresolved) and the intrinsic
 * stays in the value, with everything around it resolved (pseudo parameters, literals,
 * conditions). At deploy time the reconciler resolves the rest against the
 * attributes of deployed resources.
 */
import { PlatformError } from '../../errors';
import type { JsonValue } from '../stack';

export interface IntrinsicContext {
  region: string;
  accountId: string;
  partition: 'aws';
  stackName: string;
  urlSuffix: 'amazonaws.com';
  /** The definition file, for messages (`serverless.yml: resources.Resources.X.Properties... why`). */
  file?: string;
  /** What `Ref: logicalId` gives (resources, parameters); undefined when it cannot say. */
  ref(logicalId: string): JsonValue | undefined;
  /** What `Fn::GetAtt: [logicalId, attribute]` gives; undefined when it cannot say. */
  getAtt(logicalId: string, attribute: string): JsonValue | undefined;
  /**
   * Asked when ref()/getAtt() answer undefined (attribute null for Ref): `'keep'`
   * leaves the intrinsic unresolved in the result (compile time, for resources that
   * only exist at deploy); any other string is why it fails. Absent (or undefined):
   * it fails as an unknown resource (or attribute).
   */
  unresolved?(logicalId: string, attribute: string | null): 'keep' | string | undefined;
  /** The value of a template condition (`Conditions`), for Fn::If and `Condition`; undefined = no such condition. */
  condition?(name: string): boolean | undefined;
  /** The template's `Mappings`, for Fn::FindInMap. */
  mappings?: Readonly<Record<string, JsonValue>>;
}

/** Pseudo parameters (AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html). */
export const PSEUDO_PARAMETERS: readonly string[] = [
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
];

/** `AWS::NoValue`: removes the enclosing key or list element. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolved = JsonValue | typeof NO_VALUE;

type JsonObject = { [key: string]: JsonValue };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `Ref` or `Fn::*` when `v` is an intrinsic (an object with exactly that one key), else null. */
export function intrinsicName(v: unknown): string | null {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1) return null;
  const k = keys[0]!;
  return k === 'Ref' || k.startsWith('Fn::') ? k : null;
}

/** True when `value` contains no intrinsic function anywhere. */
export function isResolved(value: JsonValue): boolean {
  if (Array.isArray(value)) return value.every(isResolved);
  if (!isObject(value)) return true;
  if (intrinsicName(value) !== null) return false;
  return Object.values(value).every(isResolved);
}

/**
 * Calls `visit` for every reference in `value` through Ref (attribute null),
 * Fn::GetAtt and Fn::Sub (attribute null for `${Id}`, the attribute for `${Id.Attr}`),
 * pseudo parameters excluded. A GetAtt attribute given by an intrinsic is visited as null.
 */
function walkReferences(value: JsonValue, visit: (id: string, attribute: string | null) => void): void {
  const add = (id: string, attribute: string | null): void => {
    if (id !== '' && !id.startsWith('AWS::')) visit(id, attribute);
  };
  const dotted = (s: string): void => {
    const dot = s.indexOf('.');
    if (dot === -1) add(s, null);
    else add(s.slice(0, dot), s.slice(dot + 1));
  };
  const walk = (v: JsonValue): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!isObject(v)) return;
    const name = intrinsicName(v);
    const arg = name === null ? undefined : v[name];
    if (name === 'Ref' && typeof arg === 'string') add(arg, null);
    else if (name === 'Fn::GetAtt') {
      if (typeof arg === 'string') dotted(arg);
      else if (Array.isArray(arg) && typeof arg[0] === 'string') {
        add(arg[0], typeof arg[1] === 'string' ? arg[1] : null);
        arg.slice(1).forEach(walk);
      }
    } else if (name === 'Fn::Sub') {
      const template = Array.isArray(arg) ? arg[0] : arg;
      const vars = Array.isArray(arg) && isObject(arg[1]) ? arg[1] : {};
      if (typeof template === 'string') {
        for (const part of parseSub(template)) {
          if (part.kind === 'var' && !(part.name in vars)) dotted(part.name);
        }
      }
      Object.values(vars).forEach(walk);
    } else Object.values(v).forEach(walk);
  };
  walk(value);
}

/**
 * The logical ids `value` references through Ref, Fn::GetAtt and Fn::Sub (pseudo
 * parameters excluded; parameters included: callers keep the ids they know), in
 * order of first appearance, without duplicates.
 */
export function findReferences(value: JsonValue): string[] {
  const out: string[] = [];
  walkReferences(value, (id) => {
    if (!out.includes(id)) out.push(id);
  });
  return out;
}

/** The `[logicalId, attribute]` pairs `value` reads with Fn::GetAtt (or `${Id.Attr}` in Fn::Sub), in order, with duplicates. */
export function findAttributeReferences(value: JsonValue): Array<[id: string, attribute: string]> {
  const out: Array<[string, string]> = [];
  walkReferences(value, (id, attribute) => {
    if (attribute !== null) out.push([id, attribute]);
  });
  return out;
}

/**
 * Resolves the intrinsics of `value` (see the module comment for partial results).
 * `where` is the key path of `value` in the definition, for errors:
 * ERR_APP_INVALID `<file>: <key path> <why>`. A top-level `AWS::NoValue` gives null.
 */
export function resolveIntrinsics(value: JsonValue, ctx: IntrinsicContext, where: string): JsonValue {
  const r = new Resolver(ctx).value(value, where);
  return r === NO_VALUE ? null : r;
}

/** Evaluates a condition expression (a `Conditions` entry): Fn::Equals/And/Or/Not, or `{ Condition }`. */
export function evaluateCondition(value: JsonValue, ctx: IntrinsicContext, where: string): boolean {
  return new Resolver(ctx).condition(value, where);
}

/** `a.b`, `a[0]`, `a.Fn::Join` ... */
function sub(where: string, key: string | number): string {
  if (typeof key === 'number') return `${where}[${key}]`;
  return where === '' ? key : `${where}.${key}`;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

type SubPart = { kind: 'text'; text: string } | { kind: 'var'; name: string; raw: string };

/**
 * Splits an Fn::Sub template into text and `${Var}` parts; `${!Literal}` is the
 * literal text `${Literal}` (Fn::Sub reference: "To write a dollar sign and curly
 * braces (${}) literally, add an exclamation point (!) after the open curly brace").
 */
function parseSub(template: string): SubPart[] {
  const parts: SubPart[] = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push({ kind: 'text', text: template.slice(last, m.index) });
    const inner = m[1]!;
    if (inner.startsWith('!')) parts.push({ kind: 'text', text: `\${${inner.slice(1)}}` });
    else parts.push({ kind: 'var', name: inner.trim(), raw: m[0] });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });
  return parts;
}

/** Text put back into a template that stays an Fn::Sub: `${` must not start a variable. */
function escapeSubText(text: string): string {
  return text.replace(/\$\{/g, '${!');
}

class Resolver {
  constructor(private readonly ctx: IntrinsicContext) {}

  fail(where: string, why: string): never {
    const file = this.ctx.file;
    const subject = file ? `${file}: ${where}` : where;
    throw new PlatformError('ERR_APP_INVALID', `${subject} ${why}`, { file, key: where || undefined });
  }

  value(v: JsonValue, where: string): Resolved {
    if (Array.isArray(v)) {
      const out: JsonValue[] = [];
      v.forEach((item, i) => {
        const r = this.value(item, sub(where, i));
        if (r !== NO_VALUE) out.push(r);
      });
      return out;
    }
    if (!isObject(v)) return v;
    const name = intrinsicName(v);
    if (name !== null) return this.intrinsic(name, v[name] as JsonValue, sub(where, name));
    const out: JsonObject = {};
    for (const [k, item] of Object.entries(v)) {
      const r = this.value(item, sub(where, k));
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private intrinsic(name: string, arg: JsonValue, where: string): Resolved {
    switch (name) {
      case 'Ref':
        return this.ref(arg, where);
      case 'Fn::GetAtt':
        return this.getAtt(arg, where);
      case 'Fn::Sub':
        return this.sub(arg, where);
      case 'Fn::Join':
        return this.join(arg, where);
      case 'Fn::Select':
        return this.select(arg, where);
      case 'Fn::Split':
        return this.split(arg, where);
      case 'Fn::GetAZs':
        return this.getAZs(arg, where);
      case 'Fn::Base64': {
        const s = this.value(arg, where);
        if (s === NO_VALUE || !isResolved(s)) return { 'Fn::Base64': s === NO_VALUE ? '' : s };
        if (typeof s !== 'string') this.fail(where, `must be a string (got ${describe(s)})`);
        return Buffer.from(s, 'utf8').toString('base64');
      }
      case 'Fn::If':
        return this.if(arg, where);
      case 'Fn::Equals':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not':
        // Condition functions are allowed in property values too (they give a boolean).
        return this.conditionFunction(name, arg, where);
      case 'Fn::FindInMap':
        return this.findInMap(arg, where);
      case 'Fn::Length': {
        const list = this.value(arg, where);
        if (list === NO_VALUE || !isResolved(list)) return { 'Fn::Length': list === NO_VALUE ? [] : list };
        if (!Array.isArray(list)) this.fail(where, `must be a list (got ${describe(list)})`);
        return list.length;
      }
      case 'Fn::ToJsonString': {
        const v = this.value(arg, where);
        if (v === NO_VALUE || !isResolved(v)) return { 'Fn::ToJsonString': v === NO_VALUE ? null : v };
        return JSON.stringify(v);
      }
      case 'Fn::ImportValue':
      case 'Fn::Cidr':
      case 'Fn::Transform':
        return this.fail(where, `is not supported yet by Nimbus (${name === 'Fn::ImportValue' ? 'there are no cross-stack exports' : 'no local meaning'})`);
      default:
        return this.fail(where, `is not a CloudFormation intrinsic function`);
    }
  }

  /** Ref/GetAtt that the context cannot answer: kept, or an error. */
  private missing(id: string, attribute: string | null, where: string, kept: JsonValue): Resolved {
    const answer = this.ctx.unresolved?.(id, attribute);
    if (answer === 'keep') return kept;
    const why =
      answer ??
      (attribute === null
        ? `references ${id}, which is not a resource, parameter or pseudo parameter of this app (CloudFormation: "Unresolved resource dependencies [${id}] in the Resources block of the template")`
        : `references ${id}.${attribute}: no such resource or attribute`);
    return this.fail(where, why);
  }

  private ref(arg: JsonValue, where: string): Resolved {
    if (typeof arg !== 'string' || arg === '') this.fail(where, `must be the name of a resource, parameter or pseudo parameter (got ${describe(arg)})`);
    const pseudo = this.pseudo(arg);
    if (pseudo !== undefined) return pseudo;
    if (arg.startsWith('AWS::')) this.fail(where, `${arg} is not a pseudo parameter (they are ${PSEUDO_PARAMETERS.join(', ')})`);
    const v = this.ctx.ref(arg);
    return v !== undefined ? v : this.missing(arg, null, where, { Ref: arg });
  }

  private pseudo(name: string): Resolved | undefined {
    const { ctx } = this;
    switch (name) {
      case 'AWS::Region':
        return ctx.region;
      case 'AWS::AccountId':
        return ctx.accountId;
      case 'AWS::Partition':
        return ctx.partition;
      case 'AWS::StackName':
        return ctx.stackName;
      case 'AWS::StackId':
        return stackId(ctx);
      case 'AWS::URLSuffix':
        return ctx.urlSuffix;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private getAtt(arg: JsonValue, where: string): Resolved {
    let id: JsonValue | undefined;
    let attr: JsonValue | undefined;
    if (typeof arg === 'string') {
      // The dotted short form: attribute names may contain dots themselves (`Endpoint.Address`).
      const dot = arg.indexOf('.');
      if (dot <= 0 || dot === arg.length - 1) this.fail(where, `must be "Resource.Attribute" or [Resource, Attribute] (got ${describe(arg)})`);
      id = arg.slice(0, dot);
      attr = arg.slice(dot + 1);
    } else if (Array.isArray(arg) && arg.length === 2) {
      [id, attr] = arg;
      // The attribute name may come from a parameter (`!Ref AttrParam`).
      const r = this.value(attr as JsonValue, sub(where, 1));
      attr = r === NO_VALUE ? undefined : r;
    } else {
      this.fail(where, `must be [Resource, Attribute] (2 elements) or "Resource.Attribute" (got ${describe(arg)})`);
    }
    if (typeof id !== 'string' || id === '') this.fail(where, `must name a resource first (got ${describe(id)})`);
    if (typeof attr !== 'string' || attr === '') this.fail(where, `must name an attribute of ${id} (got ${describe(attr)})`);
    const v = this.ctx.getAtt(id, attr);
    return v !== undefined ? v : this.missing(id, attr, where, { 'Fn::GetAtt': [id, attr] });
  }

  private sub(arg: JsonValue, where: string): Resolved {
    let template: JsonValue;
    let rawVars: JsonObject = {};
    if (typeof arg === 'string') template = arg;
    else if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string' && isObject(arg[1])) {
      template = arg[0];
      rawVars = arg[1];
    } else {
      return this.fail(where, `must be a string or [string, { Var: value }] (got ${describe(arg)})`);
    }
    const vars: JsonObject = {};
    for (const [k, v] of Object.entries(rawVars)) {
      const r = this.value(v, sub(sub(where, 1), k));
      vars[k] = r === NO_VALUE ? '' : r;
    }
    // `out` is the result as an Fn::Sub template (escaped), `literal` as plain text.
    let out = '';
    let literal = '';
    let kept = false;
    const keptVars: JsonObject = {};
    for (const part of parseSub(template)) {
      if (part.kind === 'text') {
        out += escapeSubText(part.text);
        literal += part.text;
        continue;
      }
      let v: Resolved;
      if (part.name in vars) v = vars[part.name]!;
      else if (part.name.startsWith('AWS::')) {
        const p = this.pseudo(part.name);
        if (p === undefined || p === NO_VALUE || Array.isArray(p)) this.fail(where, `uses \${${part.name}}, which is not a pseudo parameter Fn::Sub can insert`);
        v = p;
      } else {
        const dot = part.name.indexOf('.');
        v = dot > 0 ? this.getAtt(part.name, where) : this.ref(part.name, where);
      }
      if (v === NO_VALUE) continue;
      if (!isResolved(v)) {
        kept = true;
        // Unresolved map values stay in the map; references stay in the template.
        if (part.name in vars) keptVars[part.name] = v;
        out += part.raw;
        continue;
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        this.fail(where, `\${${part.name}} must resolve to a string (got ${describe(v)})`);
      }
      out += escapeSubText(String(v));
      literal += String(v);
    }
    if (!kept) return literal;
    return Object.keys(keptVars).length ? { 'Fn::Sub': [out, keptVars] } : { 'Fn::Sub': out };
  }

  private join(arg: JsonValue, where: string): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2) this.fail(where, `must be [delimiter, [values]] (got ${describe(arg)})`);
    const [delimiter, rawList] = arg;
    if (typeof delimiter !== 'string') this.fail(sub(where, 0), `must be a string (got ${describe(delimiter)})`);
    const list = this.value(rawList!, sub(where, 1));
    if (list === NO_VALUE) return '';
    if (!isResolved(list)) return { 'Fn::Join': [delimiter, list] };
    if (!Array.isArray(list)) this.fail(sub(where, 1), `must be a list (got ${describe(list)})`);
    return list
      .map((item, i) => {
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
          this.fail(sub(sub(where, 1), i), `must be a string (got ${describe(item)})`);
        }
        return String(item);
      })
      .join(delimiter);
  }

  private select(arg: JsonValue, where: string): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2) this.fail(where, `must be [index, [values]] (got ${describe(arg)})`);
    const index = this.value(arg[0]!, sub(where, 0));
    const list = this.value(arg[1]!, sub(where, 1));
    if (index === NO_VALUE || list === NO_VALUE) this.fail(where, 'must not use AWS::NoValue');
    if (!isResolved(index)) return { 'Fn::Select': [index, list] };
    const n = typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : index;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) this.fail(sub(where, 0), `must be a non-negative integer (got ${describe(index)})`);
    // A literal list can be indexed even when other elements are unresolved.
    if (!Array.isArray(list)) {
      if (!isResolved(list)) return { 'Fn::Select': [n, list] };
      return this.fail(sub(where, 1), `must be a list (got ${describe(list)})`);
    }
    if (n >= list.length) this.fail(sub(where, 0), `is ${n}, out of bounds for a list of ${list.length}`);
    return list[n]!;
  }

  private split(arg: JsonValue, where: string): Resolved {
    if (!Array.isArray(arg) || arg.length !== 2) this.fail(where, `must be [delimiter, string] (got ${describe(arg)})`);
    const [delimiter, rawSource] = arg;
    if (typeof delimiter !== 'string' || delimiter === '') this.fail(sub(where, 0), `must be a non-empty string (got ${describe(delimiter)})`);
    const source = this.value(rawSource!, sub(where, 1));
    if (source === NO_VALUE) this.fail(sub(where, 1), 'must not be AWS::NoValue');
    if (!isResolved(source)) return { 'Fn::Split': [delimiter, source] };
    if (typeof source !== 'string') this.fail(sub(where, 1), `must be a string (got ${describe(source)})`);
    return source.split(delimiter);
  }

  /**
   * Nimbus has no availability zones; Fn::GetAZs gives the usual three names
   * (`<region>a`, `b`, `c`), which is what templates index into.
   */
  private getAZs(arg: JsonValue, where: string): Resolved {
    const r = this.value(arg, where);
    if (r === NO_VALUE || !isResolved(r)) return this.fail(where, `must be a region name, "" or !Ref AWS::Region (got ${describe(arg)})`);
    if (typeof r !== 'string') this.fail(where, `must be a region name, "" or !Ref AWS::Region (got ${describe(r)})`);
    const region = r === '' ? this.ctx.region : r;
    return ['a', 'b', 'c'].map((z) => `${region}${z}`);
  }

  private if(arg: JsonValue, where: string): Resolved {
    if (!Array.isArray(arg) || arg.length !== 3) this.fail(where, `must be [condition name, value if true, value if false] (got ${describe(arg)})`);
    const [name, whenTrue, whenFalse] = arg;
    if (typeof name !== 'string') this.fail(sub(where, 0), `must be a condition name (got ${describe(name)})`);
    const b = this.namedCondition(name, sub(where, 0));
    return b ? this.value(whenTrue!, sub(where, 1)) : this.value(whenFalse!, sub(where, 2));
  }

  private namedCondition(name: string, where: string): boolean {
    const b = this.ctx.condition?.(name);
    if (b === undefined) this.fail(where, `references the condition ${name}, which resources.Conditions does not define`);
    return b;
  }

  /** A condition expression -> boolean. Conditions may use parameters and literals, never resources. */
  condition(v: JsonValue, where: string): boolean {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && (v === 'true' || v === 'false')) return v === 'true';
    if (isObject(v) && Object.keys(v).length === 1 && typeof v.Condition === 'string') {
      return this.namedCondition(v.Condition, sub(where, 'Condition'));
    }
    const name = intrinsicName(v);
    if (name === 'Fn::Equals' || name === 'Fn::And' || name === 'Fn::Or' || name === 'Fn::Not') {
      return this.conditionFunction(name, (v as JsonObject)[name]!, sub(where, name));
    }
    return this.fail(where, `must be a condition: Fn::Equals, Fn::And, Fn::Or, Fn::Not or { Condition: name } (got ${describe(v)})`);
  }

  private conditionFunction(name: string, arg: JsonValue, w: string): boolean {
    if (name === 'Fn::Equals') {
      if (!Array.isArray(arg) || arg.length !== 2) this.fail(w, `must be [value, value] (got ${describe(arg)})`);
      const [a, b] = [0, 1].map((i): JsonValue => {
        const x = this.value(arg[i]!, sub(w, i));
        if (x === NO_VALUE || !isResolved(x)) this.fail(sub(w, i), 'must resolve before deploying (conditions can use parameters, pseudo parameters and literals, not resources)');
        return x;
      }) as [JsonValue, JsonValue];
      // CloudFormation compares the values as strings (`true` equals "true").
      return JSON.stringify(a) === JSON.stringify(b) || (!isObject(a) && !isObject(b) && !Array.isArray(a) && !Array.isArray(b) && String(a) === String(b));
    }
    if (name === 'Fn::Not') {
      if (!Array.isArray(arg) || arg.length !== 1) this.fail(w, `must be a list of one condition (got ${describe(arg)})`);
      return !this.condition(arg[0]!, sub(w, 0));
    }
    if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) this.fail(w, `must be a list of 2 to 10 conditions (got ${describe(arg)})`);
    const values = arg.map((c, i) => this.condition(c, sub(w, i)));
    return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
  }

  private findInMap(arg: JsonValue, where: string): Resolved {
    if (!Array.isArray(arg) || arg.length !== 3) this.fail(where, `must be [MapName, TopLevelKey, SecondLevelKey] (got ${describe(arg)})`);
    const keys = arg.map((k, i) => {
      const r = this.value(k, sub(where, i));
      if (typeof r !== 'string' && typeof r !== 'number') this.fail(sub(where, i), `must resolve to a string (got ${describe(r === NO_VALUE ? 'AWS::NoValue' : r)})`);
      return String(r);
    });
    const [map, top, second] = keys as [string, string, string];
    const m = this.ctx.mappings?.[map];
    if (!isObject(m)) this.fail(where, `references the mapping ${map}, which resources.Mappings does not define`);
    const t = m[top];
    if (!isObject(t)) this.fail(where, `references ${map}.${top}, which the mapping does not have`);
    const v = t[second];
    if (v === undefined) this.fail(where, `references ${map}.${top}.${second}, which the mapping does not have`);
    return v;
  }
}

/**
 * `AWS::StackId`: an ARN with a UUID derived from the stack name, so that it is the
 * same on every deploy (AWS's stays the same for the life of the stack).
 */
export function stackId(ctx: Pick<IntrinsicContext, 'partition' | 'region' | 'accountId' | 'stackName'>): string {
  // FNV-1a over the name, spread into UUID form: stable, no crypto needed for an id.
  let h = 0x811c9dc5;
  const hex: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${ctx.stackName}`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    hex.push(h.toString(16).padStart(8, '0'));
  }
  const s = hex.join('');
  const uuid = `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
  return `arn:${ctx.partition}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/${uuid}`;
}
