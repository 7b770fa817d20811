/** `nimbus stats [fn]`: invocations, errors, latency, cold starts and the AWS cost per function. */
import type { FunctionStatsWithCost, StatsReply } from '../../control/types';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, flag, parse, sinceOption } from '../args';
import { clientFrom } from '../client';
import type { Command } from '../command';
import { ms, sig6, table, usd } from '../format';
import { println, styleFor, type Io } from '../io';

const HELP = `Usage: nimbus stats [function] [options]

Per function: invocations, errors, throttles, p50 and p99 duration, cold
starts, GB-seconds and what the same usage would cost on AWS Lambda (x86,
us-east-1 list prices), with a total row.

Options:
  --since TIME        only invocations since TIME: a duration (15m, 2h, 1d) or an ISO time
  --json              print the numbers as JSON
${CLIENT_OPTIONS_HELP}`;

export const statsCommand: Command = {
  name: 'stats',
  summary: 'invocation statistics and AWS cost per function',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse('stats', argv, { ...CLIENT_OPTIONS, since: { type: 'string' }, json: { type: 'boolean' } }, 1);
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const since = sinceOption(p, 'stats');
    const client = clientFrom(p, io);
    const r = await client.json<StatsReply>('GET', '/stats', { query: { function: p.positionals[0], since } });
    if (flag(p, 'json')) {
      println(io.stdout, JSON.stringify(r, null, 2));
      return 0;
    }
    if (r.functions.length === 0) {
      println(io.stdout, p.positionals[0] ? `No invocations of ${p.positionals[0]} yet.` : 'No invocations yet.');
      return 0;
    }
    const row = (s: FunctionStatsWithCost): string[] => [
      s.functionName,
      String(s.invocations),
      String(s.errors),
      String(s.throttles),
      ms(s.p50DurationMs),
      ms(s.p99DurationMs),
      String(s.coldStarts),
      sig6(s.gbSeconds),
      usd(s.costUsd),
    ];
    println(
      io.stdout,
      table(['FUNCTION', 'INVOCATIONS', 'ERRORS', 'THROTTLES', 'P50 MS', 'P99 MS', 'COLD STARTS', 'GB-SECONDS', 'AWS COST USD'], r.functions.map(row), {
        align: [false, true, true, true, true, true, true, true, true],
        footer: row({ ...r.total, functionName: 'total' }),
        style: styleFor(io.stdout, io.env),
      }),
    );
    return 0;
  },
};
