/** `nimbus deploy [dir]`: zips the app and deploys it to a running Nimbus. */
import * as path from 'node:path';
import type { DeployReply } from '../../control/types';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, flag, parse, str } from '../args';
import { clientFrom } from '../client';
import type { Command } from '../command';
import { routeLines } from '../format';
import { println, styleFor, type Io } from '../io';
import { zipDirectory } from '../zip';

const HELP = `Usage: nimbus deploy [dir] [options]

Zips the app in dir (default: the current directory; node_modules included,
.nimbus/ and .git/ left out) and deploys it to a running Nimbus.

Options:
  --stage NAME        stage to deploy (default: the app's provider.stage, else dev)
  --region NAME       region to deploy to (default: the server's)
  --json              print the server's reply as JSON
${CLIENT_OPTIONS_HELP}`;

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy an app to a running Nimbus',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse('deploy', argv, { ...CLIENT_OPTIONS, stage: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean' } }, 1);
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const client = clientFrom(p, io);
    const dir = path.resolve(io.cwd, p.positionals[0] ?? '.');
    const t0 = Date.now();
    const zip = zipDirectory(dir);
    const r = await client.json<DeployReply>('POST', '/apps', {
      query: { stage: str(p, 'stage'), region: str(p, 'region') },
      body: zip.data,
      contentType: 'application/zip',
    });
    if (flag(p, 'json')) {
      println(io.stdout, JSON.stringify(r, null, 2));
      return 0;
    }
    const st = styleFor(io.stdout, io.env);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    println(io.stdout, `${st.green('deployed')} ${st.bold(r.name)} v${r.version}: ${r.functions.length} function(s), ${kb(zip.data.length)} zipped, in ${secs} s`);
    for (const f of r.functions) println(io.stdout, `  ${f}`);
    if (r.routes.length > 0) {
      println(io.stdout, 'routes:');
      for (const l of routeLines(r.routes, r.httpUrl, undefined, st)) println(io.stdout, '  ' + l);
    }
    for (const w of r.warnings) println(io.stdout, st.yellow(`warning: ${w}`));
    return 0;
  },
};

function kb(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
