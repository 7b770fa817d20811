/**
 * Resolves Serverless Framework v3 variables across a parsed definition, in place.
 *
 * Semantics follow the framework (lib/configuration/variables/resolve.js and sources/):
 * - a string that is exactly one variable takes the variable's value as is (object,
 *   number, ...); a string resolved that way is parsed again, so values that hold
 *   variables themselves resolve too;
 * - a variable inside a larger string must give a string, number or boolean;
 * - sources are tried in order and the first non-null value wins; a literal fallback
 *   always wins; no value and no fallback is an error naming the file, the key and the
 *   variable;
 * - `${self:...}` reads the resolved definition, resolving what it touches first;
 *   cycles are detected and named;
 * - `${env:X}` treats an empty value as missing; `${file(...)}` reads .yml/.yaml/.json
 *   (variables inside resolve with `self` = this definition) or plain text, only from
 *   inside the app directory, and a missing file or key is "no value";
 * - `${sls:stage}` = opt stage, else provider.stage, else `dev`; `${aws:region}` = opt
 *   region, else provider.region, else `us-east-1`; `${aws:accountId}` = 000000000000;
 * - `${param:x}` reads `params.<stage>.x`, then `params.default.x`.
 * Sources that need AWS (`ssm`, `cf`, `s3`) have no local value: with a fallback the
 * fallback is used (and a warning says so), without one it is an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlatformError } from '../../errors';
import { type DefinitionContext, isPlainObject, keyPathString } from './context';
import { parseJson, parseYaml } from './parse';
import { findVariables, type Template, type VariableRef, VariableSyntaxError } from './variable-syntax';

export interface VariableOptions {
  /** Absolute app directory (`${file()}` paths resolve against it). */
  appDir: string;
  /** `--stage` / `--region` equivalents. */
  stage?: string;
  region?: string;
  env: NodeJS.ProcessEnv;
  /** `${sls:instanceId}`. */
  instanceId: string;
  /** Account id for `${aws:accountId}`. */
  accountId: string;
}

/** Sources that read from AWS and have no local value. */
const REMOTE_SOURCES = new Set(['ssm', 'cf', 's3']);
/** How many times a value may resolve into another variable before we give up. */
const MAX_REPARSE = 20;

type Key = string | number;
type Found = { found: true; value: unknown } | { found: false; misses: string[] };

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = clone(x);
    return out as T;
  }
  return v;
}

/** Returns a copy of `config` with every variable resolved. */
export function resolveVariables(config: Record<string, unknown>, ctx: DefinitionContext, opts: VariableOptions): Record<string, unknown> {
  // A copy, so YAML aliases (shared objects after parsing) resolve per location.
  const copy = clone(config);
  new Resolver(copy, ctx, opts).resolveDeep([]);
  return copy;
}

class Resolver {
  /** Ids (keys joined by \0) of the string values being resolved right now, outermost first. */
  private readonly inProgress: string[] = [];
  /** Where values inlined from other files came from: id of the slot -> file. */
  private readonly origins = new Map<string, string>();
  private readonly fileCache = new Map<string, { found: true; content: unknown } | { found: false }>();

  constructor(
    private readonly config: Record<string, unknown>,
    private readonly ctx: DefinitionContext,
    private readonly opts: VariableOptions,
  ) {}

  // ---- errors ----------------------------------------------------------------

  private fail(keys: readonly Key[], message: string): never {
    const key = keyPathString(keys);
    let origin = '';
    for (let i = keys.length; i > 0; i--) {
      const from = this.origins.get(keys.slice(0, i).join('\0'));
      if (from) {
        origin = ` (in the value loaded from ${from})`;
        break;
      }
    }
    throw new PlatformError('ERR_APP_VARIABLE', `${this.ctx.file}: ${key || '(root)'}: ${message}${origin}`, {
      file: this.ctx.file,
      key,
    });
  }

  private displayKeys(ids: string[]): string {
    return ids.map((id) => keyPathString(this.idToKeys(id)) || '(root)').join(' -> ');
  }

  private idToKeys(id: string): Key[] {
    if (id === '') return [];
    const parts = id.split('\0');
    const keys: Key[] = [];
    let cur: unknown = this.config;
    for (const p of parts) {
      const k: Key = Array.isArray(cur) ? Number(p) : p;
      keys.push(k);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    }
    return keys;
  }

  // ---- walking ---------------------------------------------------------------

  private containerAt(keys: readonly Key[]): Record<string, unknown> | unknown[] | null {
    let cur: unknown = this.config;
    for (const k of keys) {
      if (cur === null || typeof cur !== 'object') return null;
      cur = (cur as Record<string, unknown>)[k as string];
    }
    return cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown> | unknown[]) : null;
  }

  /** Resolves the value at `keys` and everything under it. */
  resolveDeep(keys: Key[]): void {
    const value = this.resolveSlot(keys);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.resolveDeep([...keys, i]);
    } else if (isPlainObject(value)) {
      for (const k of Object.keys(value)) this.resolveDeep([...keys, k]);
    }
  }

  /**
   * Resolves the value at `keys` itself (not its children) when it is a string holding
   * variables, stores the result, and returns it. Parents must be resolved already.
   */
  private resolveSlot(keys: readonly Key[]): unknown {
    if (keys.length === 0) return this.config;
    const parent = this.containerAt(keys.slice(0, -1));
    if (!parent) return undefined;
    const k = keys[keys.length - 1];
    const original = (parent as Record<string, unknown>)[k as string];
    if (typeof original !== 'string') return original;
    let refs = this.parse(original, keys);
    if (refs.length === 0) return original;

    const id = keys.join('\0');
    const at = this.inProgress.indexOf(id);
    if (at !== -1) {
      const chain = [...this.inProgress.slice(at), id];
      this.fail(keys, `circular variable reference: ${this.displayKeys(chain)}`);
    }
    this.inProgress.push(id);
    let value: unknown = original;
    try {
      for (let round = 0; ; round++) {
        if (round >= MAX_REPARSE) this.fail(keys, `variables nest more than ${MAX_REPARSE} levels deep in ${JSON.stringify(original)}`);
        const text = value as string;
        const single = refs.length === 1 && refs[0].start === 0 && refs[0].end === text.length;
        value = this.interpolate(text, refs, keys);
        // Values built from several pieces are not parsed again (the framework's rule).
        if (!single || typeof value !== 'string') break;
        refs = this.parse(value, keys);
        if (refs.length === 0) break;
      }
    } finally {
      this.inProgress.pop();
    }
    (parent as Record<string, unknown>)[k as string] = value;
    return value;
  }

  private parse(text: string, keys: readonly Key[]): VariableRef[] {
    try {
      return findVariables(text);
    } catch (e) {
      if (e instanceof VariableSyntaxError) this.fail(keys, `invalid variable syntax: ${e.message}`);
      throw e;
    }
  }

  /** `text` with its variables replaced; a text that is one variable gives that variable's value. */
  private interpolate(text: string, refs: VariableRef[], keys: readonly Key[]): unknown {
    if (refs.length === 1 && refs[0].start === 0 && refs[0].end === text.length) {
      return this.resolveRequired(refs[0], keys);
    }
    let out = '';
    let last = 0;
    for (const ref of refs) {
      const v = this.resolveRequired(ref, keys);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        this.fail(keys, `${ref.text} is part of a larger string but resolves to ${v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object'}, not a string`);
      }
      out += text.slice(last, ref.start) + String(v);
      last = ref.end;
    }
    return out + text.slice(last);
  }

  private resolveRequired(ref: VariableRef, keys: readonly Key[]): unknown {
    const r = this.resolveRef(ref, keys);
    if (r.found) return r.value;
    this.fail(keys, `cannot resolve ${ref.text}: ${r.misses.join('; ')}`);
  }

  /** Tries the variable's sources in order. */
  private resolveRef(ref: VariableRef, keys: readonly Key[]): Found {
    const misses: string[] = [];
    const remote: string[] = [];
    for (const src of ref.sources) {
      let r: Found;
      if (src.kind === 'literal') {
        r = { found: true, value: src.value };
      } else if (src.kind === 'nested') {
        r = this.resolveRef(src.ref, keys);
      } else {
        const params = src.params ? src.params.map((p) => this.templateValue(p, keys)) : null;
        const address = src.address ? this.templateValue(src.address, keys) : null;
        if (REMOTE_SOURCES.has(src.type)) remote.push(src.type);
        r = this.source(src.type, params, address, keys);
      }
      if (r.found) {
        if (remote.length > 0) {
          this.ctx.warn(`${keyPathString(keys)}: ${ref.text}: ${remote.map((t) => `"${t}"`).join(', ')} variables have no local value; using the fallback`);
        }
        return r;
      }
      misses.push(...r.misses);
    }
    return { found: false, misses };
  }

  private templateValue(t: Template, keys: readonly Key[]): unknown {
    if (t.kind === 'value') return t.value;
    return this.interpolate(t.raw, t.variables, keys);
  }

  // ---- sources ---------------------------------------------------------------

  private source(type: string, params: unknown[] | null, address: unknown, keys: readonly Key[]): Found {
    const miss = (m: string): Found => ({ found: false, misses: [m] });
    const have = (v: unknown): Found => (v === null || v === undefined ? { found: false, misses: [] } : { found: true, value: v });
    const addr = address === null || address === undefined ? null : String(address);
    switch (type) {
      case 'self': {
        const v = this.lookupSelf(addr === null || addr === '' ? [] : addr.split('.'), keys);
        return v === undefined || v === null ? miss(`"${addr ?? ''}" is not set in ${this.ctx.file}`) : have(v);
      }
      case 'opt': {
        const options: Record<string, string> = {};
        if (this.opts.stage) options.stage = this.opts.stage;
        if (this.opts.region) options.region = this.opts.region;
        if (addr === null) return have(options);
        return options[addr] !== undefined ? have(options[addr]) : miss(`option --${addr} was not given`);
      }
      case 'sls':
        if (addr === 'stage') return have(this.stage(keys));
        if (addr === 'instanceId') return have(this.opts.instanceId);
        this.fail(keys, `unsupported "sls" variable address "${addr ?? ''}" (supported: stage, instanceId)`);
      case 'aws':
        if (addr === 'region') return have(this.region(keys));
        if (addr === 'accountId') return have(this.opts.accountId);
        this.fail(keys, `unsupported "aws" variable address "${addr ?? ''}" (supported: region, accountId)`);
      case 'env': {
        if (!addr) this.fail(keys, 'missing address in "env" variable (use ${env:NAME})');
        const v = this.opts.env[addr];
        return v ? have(v) : miss(`environment variable ${addr} is not set`);
      }
      case 'param': {
        if (!addr) this.fail(keys, 'missing address in "param" variable (use ${param:name})');
        const stage = this.stage(keys);
        for (const scope of [stage, 'default']) {
          const v = this.lookupSelf(['params', scope, addr], keys);
          if (v !== undefined && v !== null) return have(v);
        }
        return miss(`parameter "${addr}" is not set in params.${stage} or params.default`);
      }
      case 'file':
        return this.fileSource(params, addr, keys);
      case 'strToBool': {
        const input = params?.[0];
        if (input === undefined || input === null) this.fail(keys, 'missing input in strToBool()');
        const s = String(input).trim().toLowerCase();
        if (s === 'true' || s === '1') return have(true);
        if (s === 'false' || s === '0') return have(false);
        this.fail(keys, `strToBool() expects "true", "false", "0" or "1" (got ${JSON.stringify(input)})`);
      }
      default:
        if (REMOTE_SOURCES.has(type)) {
          return miss(`"${type}" variables read from AWS and have no local value; give a fallback, e.g. \${${type}:..., 'local-value'}`);
        }
        this.fail(keys, `unsupported variable source "${type}" (supported: self, opt, sls, env, file, aws, param, strToBool)`);
    }
  }

  private stage(keys: readonly Key[]): string {
    if (this.opts.stage) return this.opts.stage;
    const v = this.lookupSelf(['provider', 'stage'], keys);
    return v === undefined || v === null || v === '' ? 'dev' : String(v);
  }

  private region(keys: readonly Key[]): string {
    if (this.opts.region) return this.opts.region;
    const v = this.lookupSelf(['provider', 'region'], keys);
    return v === undefined || v === null || v === '' ? 'us-east-1' : String(v);
  }

  /** The fully resolved value at `path` (a copy), or undefined when absent. */
  private lookupSelf(pathKeys: string[], from: readonly Key[]): unknown {
    const keys: Key[] = [];
    let cur: unknown = this.config;
    for (const p of pathKeys) {
      if (cur === null || typeof cur !== 'object') return undefined;
      const k: Key = Array.isArray(cur) ? Number(p) : p;
      if (Array.isArray(cur) ? !(Number.isInteger(k) && (k as number) >= 0 && (k as number) < cur.length) : !Object.prototype.hasOwnProperty.call(cur, p)) {
        return undefined;
      }
      keys.push(k);
      cur = this.resolveSlot(keys);
    }
    // The value is about to be used whole: resolve what is under it, unless that
    // includes the value being resolved (a cycle the framework reports as well).
    const target = keys.join('\0');
    for (let i = 0; i < this.inProgress.length; i++) {
      const id = this.inProgress[i];
      if (target === '' || id === target || id.startsWith(`${target}\0`)) {
        const chain = [...this.inProgress.slice(i), id];
        this.fail(from, `circular variable reference: ${this.displayKeys(chain)} (\${self:${pathKeys.join('.')}} contains ${keyPathString(this.idToKeys(id)) || '(root)'})`);
      }
    }
    this.resolveDeep(keys);
    return clone(this.valueAt(keys));
  }

  private valueAt(keys: readonly Key[]): unknown {
    if (keys.length === 0) return this.config;
    const parent = this.containerAt(keys.slice(0, -1));
    return parent ? (parent as Record<string, unknown>)[keys[keys.length - 1] as string] : undefined;
  }

  private fileSource(params: unknown[] | null, addr: string | null, keys: readonly Key[]): Found {
    const rel = params?.[0];
    if (typeof rel !== 'string' || rel === '') this.fail(keys, 'missing file path in ${file(...)}');
    const abs = path.resolve(this.opts.appDir, rel);
    if (!abs.startsWith(this.opts.appDir + path.sep)) {
      this.fail(keys, `\${file(${rel})} points outside the app directory (the framework only reads files inside the service folder)`);
    }
    const relName = path.relative(this.opts.appDir, abs).split(path.sep).join('/');
    let entry = this.fileCache.get(abs);
    if (!entry) {
      entry = this.readFile(abs, relName, keys);
      this.fileCache.set(abs, entry);
    }
    if (!entry.found) return { found: false, misses: [`file ${rel} does not exist`] };
    let v: unknown = clone(entry.content);
    if (addr) {
      for (const p of addr.split('.')) {
        v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
        if (v === undefined || v === null) return { found: false, misses: [`"${addr}" is not set in ${rel}`] };
      }
    }
    if (v === undefined || v === null) return { found: false, misses: [`file ${rel} is empty`] };
    if (typeof v === 'object') this.origins.set(keys.join('\0'), relName);
    return { found: true, value: v };
  }

  private readFile(abs: string, relName: string, keys: readonly Key[]): { found: true; content: unknown } | { found: false } {
    const ext = path.extname(abs).toLowerCase();
    if (['.js', '.cjs', '.mjs', '.ts'].includes(ext)) {
      this.fail(keys, `\${file(${relName})}: JavaScript/TypeScript variable files are not supported yet (use .yml, .yaml or .json)`);
    }
    let text: string;
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { found: false };
      this.fail(keys, `cannot read ${relName}: ${(e as Error).message}`);
    }
    if (ext === '.yml' || ext === '.yaml') return { found: true, content: parseYaml(text, relName) };
    if (ext === '.json') return { found: true, content: parseJson(text, relName) };
    return { found: true, content: text };
  }
}
