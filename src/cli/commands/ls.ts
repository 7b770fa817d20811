/** `nimbus ls`: deployed apps, their functions (with live instances) and routes. */
import type { AppsReply, FunctionsReply } from '../../control/types';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, flag, parse } from '../args';
import { clientFrom } from '../client';
import type { Command } from '../command';
import { routeLines, table } from '../format';
import { println, styleFor, type Io } from '../io';

const HELP = `Usage: nimbus ls [options]

Lists the deployed apps, their functions with their running instances, and
their HTTP routes.

Options:
  --json              print apps and functions as JSON
${CLIENT_OPTIONS_HELP}`;

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list apps, functions, instances and routes',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse('ls', argv, { ...CLIENT_OPTIONS, json: { type: 'boolean' } }, 0);
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const client = clientFrom(p, io);
    const [apps, fns] = await Promise.all([client.json<AppsReply>('GET', '/apps'), client.json<FunctionsReply>('GET', '/functions')]);
    if (flag(p, 'json')) {
      println(io.stdout, JSON.stringify({ apps: apps.apps, functions: fns.functions, httpUrl: apps.httpUrl }, null, 2));
      return 0;
    }
    const st = styleFor(io.stdout, io.env);
    if (apps.apps.length === 0) {
      println(io.stdout, 'No apps deployed. Deploy one with `nimbus deploy <dir>`.');
      return 0;
    }
    println(
      io.stdout,
      table(
        ['APP', 'STAGE', 'VERSION', 'DEPLOYED', 'FUNCTIONS', 'ROUTES'],
        apps.apps.map((a) => [a.name, a.stage, String(a.version), new Date(a.deployedAt).toISOString().replace('T', ' ').slice(0, 19), String(a.functions.length), String(a.routes.length)]),
        { align: [false, false, true, false, true, true], style: st },
      ),
    );
    println(io.stdout);
    println(
      io.stdout,
      table(
        ['FUNCTION', 'APP', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'RESERVED', 'INSTANCES', 'IDLE', 'BUSY'],
        fns.functions.map((f) => [
          f.name,
          f.app,
          f.runtime,
          `${f.memorySize} MB`,
          `${f.timeout} s`,
          f.reservedConcurrency === null ? '-' : String(f.reservedConcurrency),
          String(f.instances.total),
          String(f.instances.idle),
          String(f.instances.busy),
        ]),
        { align: [false, false, false, true, true, true, true, true, true], style: st },
      ),
    );
    const withRoutes = apps.apps.filter((a) => a.routes.length > 0);
    if (withRoutes.length > 0) {
      println(io.stdout);
      println(io.stdout, st.bold('ROUTES'));
      for (const a of withRoutes) for (const l of routeLines(a.routes, apps.httpUrl, undefined, st)) println(io.stdout, l);
    }
    return 0;
  },
};
