/** `nimbus invoke <fn>`: invokes a function synchronously and prints its result. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InvokeReply } from '../../control/types';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, flag, parse, str } from '../args';
import { clientFrom } from '../client';
import type { Command } from '../command';
import { CliError, UsageError } from '../errors';
import { println, styleFor, type Io } from '../io';

const HELP = `Usage: nimbus invoke <function> [--data JSON | --path FILE] [options]

Invokes a function (its full name, or its key under functions: when that is
unambiguous) and prints its response; the invocation's log goes to stderr.
Exits 1 when the function failed.

Options:
  -d, --data JSON     the event (default {})
  -p, --path FILE     read the event from FILE ("-" for stdin)
  --json              print the whole reply (request id, error, log) as JSON
${CLIENT_OPTIONS_HELP}`;

export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'invoke a function and print its response',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse(
      'invoke',
      argv,
      { ...CLIENT_OPTIONS, data: { type: 'string', short: 'd' }, path: { type: 'string', short: 'p' }, json: { type: 'boolean' } },
      1,
    );
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const fn = p.positionals[0];
    if (!fn) throw new UsageError('missing the function to invoke', 'invoke');
    const data = str(p, 'data');
    const file = str(p, 'path');
    if (data !== undefined && file !== undefined) throw new UsageError('use either --data or --path, not both', 'invoke');
    let event = data ?? '{}';
    if (file !== undefined) {
      try {
        event = fs.readFileSync(file === '-' ? 0 : path.resolve(io.cwd, file), 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    try {
      JSON.parse(event);
    } catch (e) {
      throw new CliError(`the event ${file !== undefined ? `in ${file}` : 'given with --data'} is not valid JSON: ${(e as Error).message}`);
    }
    const client = clientFrom(p, io);
    const r = await client.json<InvokeReply>('POST', `/functions/${encodeURIComponent(fn)}/invoke`, { body: event, contentType: 'application/json' });
    if (flag(p, 'json')) {
      println(io.stdout, JSON.stringify(r, null, 2));
      return r.functionError ? 1 : 0;
    }
    const err = styleFor(io.stderr, io.env);
    if (r.logTail) io.stderr.write(err.dim(r.logTail.endsWith('\n') ? r.logTail : r.logTail + '\n'));
    println(io.stdout, pretty(r.payload));
    if (r.functionError) {
      println(io.stderr, `${err.red('error:')} the function failed (${r.functionError}), request ${r.requestId}`);
      return 1;
    }
    return 0;
  },
};

/** Pretty JSON when the payload is JSON, else as is. */
function pretty(payload: string): string {
  if (payload === '') return '';
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}
