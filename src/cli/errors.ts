/**
 * CLI errors and how they are shown. User errors print `error: <message>` (plus
 * the file and key they are about) and never a stack trace; only unexpected
 * faults show one, and only with NIMBUS_DEBUG set.
 */
import { isPlatformError } from '../errors';
import type { Io } from './io';
import { println, styleFor } from './io';

/** Wrong command line: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at (`nimbus <command> --help`). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure to report to the user as is: exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly details: { code?: string; file?: string; key?: string } = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Prints an error the way the CLI shows them and returns the exit code. */
export function reportError(io: Io, e: unknown): number {
  const st = styleFor(io.stderr, io.env);
  if (e instanceof UsageError) {
    println(io.stderr, `${st.red('error:')} ${e.message}`);
    println(io.stderr, `Run '${e.command ? `nimbus ${e.command} --help` : 'nimbus --help'}' for usage.`);
    return 2;
  }
  let file: string | undefined;
  let key: string | undefined;
  let message: string;
  if (e instanceof CliError) {
    ({ file, key } = e.details);
    message = e.message;
  } else if (isPlatformError(e)) {
    ({ file, key } = e);
    message = e.message;
  } else {
    message = e instanceof Error ? e.message : String(e);
    if (io.env.NIMBUS_DEBUG && e instanceof Error && e.stack) message = e.stack;
  }
  println(io.stderr, `${st.red('error:')} ${message}`);
  const where = [file ? `file: ${file}` : '', key ? `key: ${key}` : ''].filter(Boolean).join(', ');
  if (where) println(io.stderr, `  ${where}`);
  return 1;
}

/** Parse errors of util.parseArgs (unknown option, missing value, ...) carry these codes. */
export function isParseArgsError(e: unknown): e is Error & { code: string } {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' && c.startsWith('ERR_PARSE_ARGS_');
}
