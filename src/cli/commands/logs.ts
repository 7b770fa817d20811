/** `nimbus logs [fn]`: prints (and with --tail, follows) function logs. */
import type { LogLine } from '../../control/types';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, flag, int, parse, sinceOption } from '../args';
import { clientFrom } from '../client';
import type { Command } from '../command';
import { formatLogRecord } from '../format';
import { println, styleFor, type Io, type Paint } from '../io';
import { untilStopped } from '../server-options';

const HELP = `Usage: nimbus logs [function] [options]

Prints a function's most recent log records (all functions' when none is given).

Options:
  -f, --tail          keep following new records until Ctrl-C
  -n, --limit N       how many stored records to show first (default 100, max 10000)
  --since TIME        only records since TIME: a duration (15m, 2h, 1d) or an ISO time
  --json              print records as JSON lines
${CLIENT_OPTIONS_HELP}`;

export const logsCommand: Command = {
  name: 'logs',
  summary: 'show or follow function logs',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse(
      'logs',
      argv,
      { ...CLIENT_OPTIONS, tail: { type: 'boolean', short: 'f' }, limit: { type: 'string', short: 'n' }, since: { type: 'string' }, json: { type: 'boolean' } },
      1,
    );
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const fn = p.positionals[0];
    const limit = int(p, 'logs', 'limit', 1, 10_000) ?? 100;
    const since = sinceOption(p, 'logs');
    const follow = flag(p, 'tail');
    const json = flag(p, 'json');
    const client = clientFrom(p, io);
    const st = styleFor(io.stdout, io.env);
    const colors = new Map<string, Paint>();
    const paintFor = (name: string): Paint => {
      let c = colors.get(name);
      if (!c) {
        c = st.palette[colors.size % st.palette.length]!;
        colors.set(name, c);
      }
      return c;
    };
    const print = (v: unknown): void => {
      const rec = v as LogLine;
      if (json) {
        println(io.stdout, JSON.stringify(rec));
        return;
      }
      for (const line of formatLogRecord(rec, { label: fn ? '' : rec.functionName, labelPaint: paintFor(rec.functionName), style: st, showTime: true })) {
        println(io.stdout, line);
      }
    };
    const query = { function: fn, limit, since, follow: follow ? 1 : undefined };
    if (!follow) {
      await client.streamLines('/logs', { query }, print);
      return 0;
    }
    const ac = new AbortController();
    const { stopped, dispose } = untilStopped(io);
    void stopped.then(() => ac.abort());
    try {
      await client.streamLines('/logs', { query, signal: ac.signal }, print);
    } finally {
      dispose();
    }
    return 0;
  },
};
