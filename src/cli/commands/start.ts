/** `nimbus start`: runs Nimbus without an app; apps arrive with `nimbus deploy`. */
import * as path from 'node:path';
import { Platform } from '../../platform';
import { VERSION } from '../../version';
import { flag, parse } from '../args';
import type { Command } from '../command';
import { routeLines } from '../format';
import { println, styleFor, type Io } from '../io';
import { SERVER_OPTIONS, SERVER_OPTIONS_HELP, serverOptions, untilStopped } from '../server-options';
import { defaultDataDir } from '../client';

const HELP = `Usage: nimbus start [options]

Runs Nimbus as a server. Deploy apps to it with \`nimbus deploy\`; apps deployed
before are served again after a restart.
${SERVER_OPTIONS_HELP.replace('DATADIR', './.nimbus/data')}

Environment:
  NIMBUS_ADMIN_TOKEN  admin token for the control API (default: created in <data-dir>/admin-token)`;

export const startCommand: Command = {
  name: 'start',
  summary: 'run Nimbus as a server (deploy apps to it with `nimbus deploy`)',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse('start', argv, SERVER_OPTIONS, 0);
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const opts = serverOptions(p, 'start', io, defaultDataDir(io.cwd));
    const st = styleFor(io.stdout, io.env);
    const platform = await Platform.start(opts);
    const { stopped, dispose } = untilStopped(io);
    try {
      println(io.stdout, `${st.bold('Nimbus')} ${VERSION}  data: ${platform.opts.dataDir}  store: ${platform.store.location}`);
      println(io.stdout);
      println(io.stdout, `  HTTP API      ${platform.httpUrl}`);
      println(io.stdout, `  AWS endpoint  ${platform.awsUrl}`);
      println(io.stdout, `  Control API   ${platform.awsUrl}/_nimbus/`);
      println(io.stdout, `  Admin token   ${opts.adminToken !== undefined ? 'from NIMBUS_ADMIN_TOKEN' : path.join(platform.opts.dataDir, 'admin-token')}`);
      const apps = await platform.store.apps.list();
      if (apps.length > 0) {
        println(io.stdout);
        for (const app of apps) {
          println(io.stdout, `${st.bold(app.name)} ${st.dim(`v${app.version}`)}`);
          const routes = app.stack.routes.map((r) => ({ kind: r.kind, method: r.method, path: r.path, function: r.functionName }));
          for (const l of routeLines(routes, platform.httpUrl, undefined, st)) println(io.stdout, '  ' + l);
        }
      }
      println(io.stdout);
      println(io.stdout, `Deploy with: nimbus deploy <dir> --endpoint ${platform.awsUrl}. Press Ctrl-C to stop.`);
      await stopped;
      println(io.stdout, st.dim('stopping'));
    } finally {
      dispose();
      await platform.close();
    }
    return 0;
  },
};
