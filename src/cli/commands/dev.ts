/**
 * `nimbus dev [dir]`: runs Nimbus in this process, deploys the app, streams its
 * functions' logs and redeploys on every change. A failed redeploy (bad yml, a
 * TypeScript error) is printed and the previous version keeps serving.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Platform, type DeployResult } from '../../platform';
import type { LogRecord } from '../../store/types';
import { VERSION } from '../../version';
import { flag, parse, str } from '../args';
import type { Command } from '../command';
import { CliError, reportError } from '../errors';
import { formatLogRecord, routeLines } from '../format';
import { println, styleFor, type Io, type Paint, type Style } from '../io';
import { SERVER_OPTIONS, SERVER_OPTIONS_HELP, serverOptions, untilStopped } from '../server-options';
import { AppWatcher } from '../watch';
import type { RouteInfo } from '../../control/types';

/** Files whose change alters configuration only: no need to restart unchanged functions. */
const CONFIG_FILES = /^(serverless\.(ya?ml|json)|template\.ya?ml|\.env(\..*)?)$/;

const HELP = `Usage: nimbus dev [dir] [options]

Runs Nimbus with the app in dir (default: the current directory): deploys it,
prints its routes, streams its functions' logs, and redeploys on every change.

App:
  --stage NAME        stage to deploy (default dev)
  --no-watch          do not watch for changes
${SERVER_OPTIONS_HELP.replace('DATADIR', '<dir>/.nimbus/data')}

Environment:
  NIMBUS_ADMIN_TOKEN  admin token for the control API (default: <data-dir>/admin-token)
  NO_COLOR            disable colors`;

interface FnLabel {
  label: string;
  paint: Paint;
}

class DevSession {
  private labels = new Map<string, FnLabel>();
  private labelWidth = 0;
  private routesKey = '';
  private deploying = false;
  private pending: string[] | null = null;
  private everDeployed = false;
  private readonly st: Style;
  /** Resolves when no deploy is running (for shutdown). */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly platform: Platform,
    private readonly io: Io,
    private readonly dir: string,
    private readonly stage: string,
    private readonly region: string | undefined,
  ) {
    this.st = styleFor(io.stdout, io.env);
  }

  private out(line = ''): void {
    this.flushLogs(); // keep order with log lines still buffered
    println(this.io.stdout, line);
  }

  /** Log lines waiting for the next write: one write per event-loop turn, not one per line. */
  private logBuf: string[] = [];

  onLog = (rec: LogRecord): void => {
    const l = this.labels.get(rec.functionName);
    if (!l) return;
    if (this.logBuf.length === 0) setImmediate(this.flushLogs);
    for (const line of formatLogRecord(rec, { label: l.label.padEnd(this.labelWidth), labelPaint: l.paint, style: this.st, compact: true })) this.logBuf.push(line);
  };

  private flushLogs = (): void => {
    if (this.logBuf.length === 0) return;
    const text = this.logBuf.join('\n') + '\n';
    this.logBuf = [];
    this.io.stdout.write(text);
  };

  private setLabels(r: DeployResult): void {
    const fns = [...r.app.stack.functions].sort((a, b) => a.key.localeCompare(b.key));
    const labels = new Map<string, FnLabel>();
    fns.forEach((f, i) => labels.set(f.name, { label: f.key, paint: this.st.palette[i % this.st.palette.length]! }));
    this.labels = labels;
    this.labelWidth = Math.max(0, ...fns.map((f) => f.key.length));
  }

  private keyOf(fnName: string): string {
    return this.labels.get(fnName)?.label ?? fnName;
  }

  private printRoutes(routes: RouteInfo[]): void {
    if (routes.length === 0) {
      this.out(this.st.dim('  (no HTTP routes)'));
      return;
    }
    for (const l of routeLines(routes, this.platform.httpUrl, (f) => this.keyOf(f), this.st)) this.out('  ' + l);
  }

  private printWarnings(warnings: string[]): void {
    for (const w of warnings) this.out(this.st.yellow(`warning: ${w}`));
  }

  private routesOf(r: DeployResult): RouteInfo[] {
    return r.app.stack.routes.map((x) => ({ kind: x.kind, method: x.method, path: x.path, function: x.functionName }));
  }

  private printDeployError(e: unknown, prefix: string): void {
    this.out(this.st.red(prefix));
    reportError({ ...this.io, stderr: this.io.stdout }, e);
    if (this.everDeployed) this.out(this.st.dim('the previous version keeps serving; fix the error and save to retry'));
    else this.out(this.st.dim('fix the error and save to retry'));
  }

  async start(tokenFromEnv: boolean): Promise<void> {
    const st = this.st;
    this.out(`${st.bold('Nimbus')} ${VERSION} ${st.dim('dev')}  ${this.dir}`);
    this.out();
    let result: DeployResult | null = null;
    try {
      result = await this.platform.deploy(this.dir, { stage: this.stage, region: this.region });
      this.everDeployed = true;
      this.setLabels(result);
    } catch (e) {
      this.printDeployError(e, 'deploy failed');
      this.out();
    }
    if (result) {
      const routes = this.routesOf(result);
      this.routesKey = JSON.stringify(routes);
      this.out(`${st.bold(result.app.name)} ${st.dim(`v${result.app.version}`)}: ${result.app.stack.functions.length} function(s)`);
      this.printRoutes(routes);
      for (const r of result.app.deployment?.resources ?? []) this.out(`  ${st.dim(r.type)}  ${r.logicalId} -> ${r.physicalId}`);
      this.out();
    }
    this.out(`  HTTP API      ${this.platform.httpUrl}`);
    this.out(`  AWS endpoint  ${this.platform.awsUrl}`);
    this.out(`  Admin token   ${tokenFromEnv ? 'from NIMBUS_ADMIN_TOKEN' : path.join(this.platform.opts.dataDir, 'admin-token')}`);
    this.out();
    if (result) this.printWarnings(result.warnings);
  }

  /** Called by the watcher with the files changed since the last call. */
  changed = (files: string[]): void => {
    if (this.deploying) {
      this.pending = [...(this.pending ?? []), ...files];
      return;
    }
    this.idle = this.redeploy(files);
  };

  private async redeploy(files: string[]): Promise<void> {
    this.deploying = true;
    try {
      let batch: string[] | null = files;
      while (batch) {
        await this.redeployOnce(batch);
        batch = this.pending;
        this.pending = null;
      }
    } finally {
      this.deploying = false;
    }
  }

  private async redeployOnce(files: string[]): Promise<void> {
    const st = this.st;
    const codeChanged = files.some((f) => !CONFIG_FILES.test(f));
    const shown = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
    this.out(st.dim(`changed: ${shown}; reloading`));
    const t0 = Date.now();
    let r: DeployResult;
    try {
      r = await this.platform.deploy(this.dir, { stage: this.stage, region: this.region, codeChanged });
    } catch (e) {
      this.printDeployError(e, 'reload failed');
      return;
    }
    const first = !this.everDeployed;
    this.everDeployed = true;
    this.setLabels(r);
    const changed = r.changed.map((n) => this.keyOf(n));
    this.out(st.green(`reloaded ${r.app.name} v${r.app.version} in ${Date.now() - t0} ms`) + (changed.length ? st.dim(` (restarted: ${changed.join(', ')})`) : ''));
    const routes = this.routesOf(r);
    const key = JSON.stringify(routes);
    if (first || key !== this.routesKey) {
      this.routesKey = key;
      this.printRoutes(routes);
    }
    this.printWarnings(r.warnings);
  }

  /** Waits for a running deploy to finish. */
  settled(): Promise<void> {
    return this.idle.catch(() => undefined);
  }
}

export const devCommand: Command = {
  name: 'dev',
  summary: 'run an app locally: deploy, stream logs, reload on change',
  help: HELP,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parse('dev', argv, { ...SERVER_OPTIONS, stage: { type: 'string' }, 'no-watch': { type: 'boolean' } }, 1);
    if (flag(p, 'help')) {
      println(io.stdout, HELP);
      return 0;
    }
    const dir = path.resolve(io.cwd, p.positionals[0] ?? '.');
    let isDir = false;
    try {
      isDir = fs.statSync(dir).isDirectory();
    } catch {
      /* below */
    }
    if (!isDir) throw new CliError(`app directory ${dir} does not exist`);
    const opts = serverOptions(p, 'dev', io, path.join(dir, '.nimbus', 'data'));
    const stage = str(p, 'stage') ?? 'dev';

    const platform = await Platform.start(opts);
    const { stopped, dispose } = untilStopped(io);
    const session = new DevSession(platform, io, dir, stage, opts.region);
    const unsubscribe = platform.logs.subscribe(session.onLog);
    let watcher: AppWatcher | null = null;
    try {
      await session.start(opts.adminToken !== undefined);
      if (!flag(p, 'no-watch')) {
        watcher = new AppWatcher(dir, session.changed, {
          ignore: [opts.dataDir!],
          onError: (e) => println(io.stdout, styleFor(io.stdout, io.env).yellow(`warning: file watching: ${e.message}`)),
        });
        println(io.stdout, `Watching ${dir} for changes. Press Ctrl-C to stop.`);
      } else {
        println(io.stdout, 'Press Ctrl-C to stop.');
      }
      await stopped;
      println(io.stdout, styleFor(io.stdout, io.env).dim('stopping'));
    } finally {
      dispose();
      watcher?.close();
      await session.settled();
      unsubscribe();
      await platform.close();
    }
    return 0;
  },
};
