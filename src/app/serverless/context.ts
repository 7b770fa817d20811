/**
 * Shared by every step that reads a definition: the file name for messages, the
 * collected warnings, and the one way to reject input (ERR_APP_INVALID naming the file,
 * the key path and why).
 */
import { PlatformError } from '../../errors';

/** A key path as a list of keys; numbers are array indices. */
export type KeyPath = ReadonlyArray<string | number>;

/** `['functions', 'hello', 'events', 0, 'http']` -> `functions.hello.events[0].http`. */
export function keyPathString(keys: KeyPath): string {
  let out = '';
  for (const k of keys) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? k : `.${k}`;
  }
  return out;
}

/** A short, JSON-ish rendering of an offending value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export class DefinitionContext {
  readonly warnings: string[] = [];

  /** @param file the definition file name relative to the app dir, e.g. `serverless.yml`. */
  constructor(readonly file: string) {}

  /** Throws ERR_APP_INVALID: `<file>: <key path> <reason> (got <value>)`. */
  invalid(keys: KeyPath, reason: string, got?: { value: unknown }): never {
    const key = keyPathString(keys);
    const suffix = got ? ` (got ${describeValue(got.value)})` : '';
    // The file itself: `serverless.yml is empty`; a key: `serverless.yml: provider.name must be ...`.
    const subject = key === '' ? `${this.file} ` : `${this.file}: ${key} `;
    throw new PlatformError('ERR_APP_INVALID', `${subject}${reason}${suffix}`, { file: this.file, key: key || undefined });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A CloudFormation intrinsic as the YAML tags / JSON produce it: `{ Ref }`, `{ 'Fn::X': ... }`, `{ Condition }`. */
export function isIntrinsic(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'));
}
