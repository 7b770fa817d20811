/**
 * Argument parsing on top of node's util.parseArgs: strict (unknown flags are
 * usage errors), with typed readers for numbers and the options several
 * commands share.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, isParseArgsError } from './errors';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` for `command`; parse errors become UsageErrors (exit 2). */
export function parse(command: string, argv: string[], options: OptionsConfig, maxPositionals: number): Parsed {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    if (isParseArgsError(e)) throw new UsageError(cleanParseMessage(e.message), command);
    throw e;
  }
  const values = r.values as Record<string, string | boolean | undefined>;
  if (!values.help && r.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${r.positionals[maxPositionals]}"`, command);
  }
  return { values, positionals: r.positionals };
}

/** parseArgs messages end with advice about `--` that does not apply here. */
function cleanParseMessage(m: string): string {
  return m.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+$/, '');
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** An integer option within [min, max], or a usage error naming the option. */
export function int(p: Parsed, command: string, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`--${name} must be a whole number, got "${v}"`, command);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`, command);
  return n;
}

/** Options of every command that talks to a running Nimbus. */
export const CLIENT_OPTIONS: OptionsConfig = {
  endpoint: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
};

export const CLIENT_OPTIONS_HELP = `
Connection:
  --endpoint URL      Nimbus AWS/control endpoint (env NIMBUS_ENDPOINT, default http://127.0.0.1:4566)
  --token TOKEN       admin token (env NIMBUS_ADMIN_TOKEN, else read from <data-dir>/admin-token)
  --data-dir DIR      where to find admin-token (default ./.nimbus/data)`;

/** Parses durations like `90s`, `15m`, `2h`, `7d`, epoch ms or an ISO time into epoch ms ("since"). */
export function sinceOption(p: Parsed, command: string, name = 'since', now = Date.now()): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (m) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(m[1]) * unit;
  }
  if (/^\d{10,}$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be a duration (15m, 2h, 1d) or a time (ISO 8601), got "${v}"`, command);
  return t;
}
