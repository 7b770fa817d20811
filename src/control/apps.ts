/**
 * App routes: deploy an uploaded zip, list and remove apps.
 *
 * Uploaded apps are extracted to `<dataDir>/apps/<random id>/` and deployed from
 * there. Each deploy gets a fresh directory (instances of the previous version may
 * still be finishing a request in theirs); after a successful deploy, directories
 * no deployed app refers to any more are removed, so only the newest stays.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { PlatformError } from '../errors';
import type { AppRecord } from '../store/types';
import { Mutex } from '../store/mutex';
import type { ControlHost } from './host';
import { ControlError, badRequest, readBody, toErrorReply } from './http';
import type { AppInfo, AppsReply, DeployReply, RouteInfo } from './types';
import { MAX_UNZIPPED_BYTES, extractZip } from './unzip';

/** Definition files an app root is recognized by. */
const DEFINITION_FILES = ['serverless.yml', 'serverless.yaml', 'serverless.json', 'template.yaml', 'template.yml'];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9-_]{0,127}$/;

export class AppRoutes {
  /** Deploys and removals one at a time: they reconcile shared state and sweep directories. */
  private readonly lock = new Mutex();

  constructor(private readonly host: ControlHost) {}

  private get appsRoot(): string {
    return path.join(this.host.opts.dataDir, 'apps');
  }

  async deploy(req: http.IncomingMessage, q: URLSearchParams): Promise<{ status: number; body: DeployReply }> {
    const stage = optionalName(q, 'stage');
    const region = q.get('region') || undefined;
    if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw badRequest(`region "${region}" is not a valid AWS region name`);
    const body = await readBody(req, MAX_UNZIPPED_BYTES, () => new ControlError(413, 'ERR_BAD_REQUEST', `the zip must be smaller than ${MAX_UNZIPPED_BYTES} bytes`));
    if (body.length === 0) throw badRequest('the request body must be a zip of the app directory');

    await this.lock.acquire();
    const dir = path.join(this.appsRoot, crypto.randomBytes(8).toString('hex'));
    let deployed = false;
    let base = dir;
    try {
      extractZip(body, dir);
      const appDir = findAppRoot(dir);
      base = appDir;
      let result;
      try {
        result = await this.host.deploy(appDir, { stage, region, codeChanged: true });
      } catch (e) {
        // A missing definition inside the upload is bad input, not a missing resource.
        if (e instanceof PlatformError && e.code === 'ERR_APP_NOT_FOUND') {
          throw new PlatformError('ERR_APP_INVALID', e.message, { file: e.file, key: e.key });
        }
        throw e;
      }
      deployed = true;
      await this.sweep();
      const app = result.app;
      return {
        status: 200,
        body: {
          name: app.name,
          version: app.version,
          functions: app.stack.functions.map((f) => f.name),
          routes: routesOf(app),
          warnings: result.warnings,
          changed: result.changed,
          httpUrl: this.host.httpUrl,
        },
      };
    } catch (e) {
      // Paths in errors are made relative to the app: the client never saw our directory.
      const { status, body: err } = toErrorReply(e, base);
      if (status >= 500) console.error('nimbus: deploy failed:', e);
      throw new ControlError(status, err.error.code, err.error.message, err.error);
    } finally {
      if (!deployed) fs.rmSync(dir, { recursive: true, force: true });
      this.lock.release();
    }
  }

  async list(): Promise<AppsReply> {
    const apps = await this.host.store.apps.list();
    return { apps: apps.map(appInfo), httpUrl: this.host.httpUrl };
  }

  async remove(name: string): Promise<{ removed: string }> {
    await this.lock.acquire();
    try {
      if (!(await this.host.removeApp(name))) throw new PlatformError('ERR_APP_NOT_FOUND', `no app named "${name}" is deployed`);
      await this.sweep();
      return { removed: name };
    } finally {
      this.lock.release();
    }
  }

  /** Removes extracted upload directories that no deployed app uses any more. */
  private async sweep(): Promise<void> {
    let names: string[];
    try {
      names = fs.readdirSync(this.appsRoot);
    } catch {
      return;
    }
    const used = new Set<string>();
    for (const app of await this.host.store.apps.list()) {
      const rel = path.relative(this.appsRoot, app.stack.appDir);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) used.add(rel.split(path.sep)[0]!);
    }
    for (const n of names) {
      if (!used.has(n)) fs.rmSync(path.join(this.appsRoot, n), { recursive: true, force: true });
    }
  }
}

function optionalName(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!NAME_RE.test(v)) throw badRequest(`${name} "${v}" may only contain letters, digits, "-" and "_"`);
  return v;
}

/**
 * The directory holding the definition: the zip's root, or its only top-level
 * folder when the zip was made of the folder itself (a common way to zip).
 */
function findAppRoot(dir: string): string {
  const has = (d: string): boolean => DEFINITION_FILES.some((f) => fs.existsSync(path.join(d, f)));
  if (has(dir)) return dir;
  const top = fs.readdirSync(dir, { withFileTypes: true });
  if (top.length === 1 && top[0]!.isDirectory() && has(path.join(dir, top[0]!.name))) return path.join(dir, top[0]!.name);
  throw badRequest('the zip has no serverless.yml at its root');
}

export function routesOf(app: AppRecord): RouteInfo[] {
  return app.stack.routes.map((r) => ({ kind: r.kind, method: r.method, path: r.path, function: r.functionName }));
}

function appInfo(app: AppRecord): AppInfo {
  return {
    name: app.name,
    service: app.stack.service,
    stage: app.stack.stage,
    region: app.stack.region,
    version: app.version,
    deployedAt: app.deployedAt,
    functions: app.stack.functions.map((f) => f.name),
    routes: routesOf(app),
  };
}
