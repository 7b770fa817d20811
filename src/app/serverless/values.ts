/** Readers for scalar values, with the framework's and AWS's limits. */
import { type DefinitionContext, type KeyPath } from './context';

/**
 * An integer in [min, max]. Numeric strings are accepted as CloudFormation accepts
 * them (values from `${env:...}` are strings).
 */
export function readInteger(ctx: DefinitionContext, keys: KeyPath, raw: unknown, min: number, max: number): number {
  let n: number | null = null;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) n = Number(raw);
  if (n === null || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `between ${min} and ${max}`;
    ctx.invalid(keys, `must be an integer ${range}`, { value: raw });
  }
  return n;
}

export function readString(ctx: DefinitionContext, keys: KeyPath, raw: unknown, opts: { nonEmpty?: boolean } = {}): string {
  if (typeof raw !== 'string' || (opts.nonEmpty && raw.trim() === '')) {
    ctx.invalid(keys, opts.nonEmpty ? 'must be a non-empty string' : 'must be a string', { value: raw });
  }
  return raw;
}

/** `nodejsNN.x` (any version; it runs on the local Node.js) and the OS-only runtimes. */
export function isSupportedRuntime(runtime: string): boolean {
  return /^nodejs\d+\.x$/.test(runtime) || runtime === 'provided' || runtime === 'provided.al2' || runtime === 'provided.al2023';
}

export function isNodeRuntime(runtime: string): boolean {
  return runtime.startsWith('nodejs');
}

export function readRuntime(ctx: DefinitionContext, keys: KeyPath, raw: unknown): string {
  if (typeof raw !== 'string' || !isSupportedRuntime(raw)) {
    ctx.invalid(keys, 'must be nodejsNN.x (e.g. nodejs20.x), provided, provided.al2 or provided.al2023; Nimbus runs no other runtimes', { value: raw });
  }
  return raw;
}
