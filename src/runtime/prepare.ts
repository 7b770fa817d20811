/**
 * Turns a deployed function's spec into what the runtime runs: resolves the
 * handler as Lambda's Node runtime does and bundles TypeScript handlers with
 * esbuild (output under <codeDir>/.nimbus/build, so the app's node_modules still
 * resolve for externals).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlatformError } from '../errors';
import type { FunctionSpec } from '../app/stack';
import { functionEnv } from './env';
import type { FunctionConfig } from './types';
import { isNodeRuntime } from './manager';

export interface PrepareContext {
  region: string;
  accountId: string;
  awsEndpoint: string;
  sdkDir: string;
  version: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

/**
 * Lambda's Node runtime splits `dir/module.path.to.fn` at the last `/`, then at the
 * FIRST dot of the rest: module `dir/module`, export path `path.to.fn`
 * (aws-lambda-nodejs-runtime-interface-client, UserFunction.js).
 */
export function splitHandler(handler: string): { module: string; exportPath: string } | null {
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return null;
  return { module: handler.slice(0, slash + 1) + base.slice(0, dot), exportPath: base.slice(dot + 1) };
}

const TS_EXTS = ['.ts', '.mts', '.cts'];
const JS_EXTS = ['.js', '.mjs', '.cjs'];

export async function prepareFunction(spec: FunctionSpec, ctx: PrepareContext): Promise<FunctionConfig> {
  let modulePath = '';
  let exportPath = '';
  if (isNodeRuntime(spec.runtime)) {
    const split = splitHandler(spec.handler);
    if (!split) {
      throw new PlatformError('ERR_APP_INVALID', `function ${spec.key}: handler "${spec.handler}" must look like path/to/module.export`, { key: `functions.${spec.key}.handler` });
    }
    exportPath = split.exportPath;
    const base = path.resolve(spec.codeDir, split.module);
    modulePath = base;
    if (!JS_EXTS.some((e) => fs.existsSync(base + e))) {
      const ts = TS_EXTS.map((e) => base + e).find((f) => fs.existsSync(f));
      // No source at all: keep the path; the instance reports Runtime.ImportModuleError like Lambda.
      if (ts) modulePath = await bundleTypeScript(ts, spec.codeDir);
    }
  }
  return {
    name: spec.name,
    version: ctx.version,
    runtime: spec.runtime,
    handler: spec.handler,
    codeDir: spec.codeDir,
    modulePath,
    exportPath,
    esmSdkHook: isNodeRuntime(spec.runtime) && needsEsmSdkHook(spec.codeDir),
    memorySize: spec.memorySize,
    timeout: spec.timeout,
    logGroupName: `/aws/lambda/${spec.name}`,
    arn: `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${spec.name}`,
    env: functionEnv({
      functionName: spec.name,
      runtime: spec.runtime,
      handler: spec.handler,
      memorySize: spec.memorySize,
      region: ctx.region,
      codeDir: spec.codeDir,
      variables: spec.environment,
      awsEndpoint: ctx.awsEndpoint,
      credentials: ctx.credentials,
      sdkNodeModules: path.join(ctx.sdkDir, 'node_modules'),
      initializationType: 'on-demand',
    }),
  };
}

/** Bundles one TypeScript entry (dependencies stay external) and returns the output path. */
async function bundleTypeScript(entry: string, codeDir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const rel = path.relative(codeDir, entry).replace(/\.[mc]?ts$/, '');
  const esm = entry.endsWith('.mts');
  const outfile = path.join(codeDir, '.nimbus', 'build', rel + (esm ? '.mjs' : '.cjs'));
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      format: esm ? 'esm' : 'cjs',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
  } catch (e) {
    const msgs = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors ?? [];
    const detail = msgs.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)).join('\n');
    throw new PlatformError('ERR_BUILD_FAILED', `TypeScript build of ${path.relative(codeDir, entry)} failed:\n${detail || String(e)}`, { file: entry, cause: e });
  }
  return outfile.replace(/\.[mc]?js$/, '') + (esm ? '.mjs' : '.cjs');
}

/**
 * ES modules ignore NODE_PATH, so SDK imports from ES modules need a resolve hook,
 * which costs ~50 ms per cold start. Pay it only when the app's own sources
 * mention the SDK and the app did not install it itself.
 */
const hookCache = new Map<string, { at: number; value: boolean }>();
export function needsEsmSdkHook(codeDir: string): boolean {
  const hit = hookCache.get(codeDir);
  if (hit && Date.now() - hit.at < 1000) return hit.value;
  const own = fs.existsSync(path.join(codeDir, 'node_modules', '@aws-sdk')) && fs.existsSync(path.join(codeDir, 'node_modules', 'aws-sdk'));
  const value = !own && sourcesMention(codeDir, /['"](@aws-sdk\/|aws-sdk['"/])/);
  hookCache.set(codeDir, { at: Date.now(), value });
  return value;
}

function sourcesMention(dir: string, re: RegExp): boolean {
  let budget = 5000; // files; a bigger tree is assumed to need the hook
  const walk = (d: string): boolean => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      if (--budget < 0) return true;
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || e.name === '.git' || e.name === '.nimbus') continue;
        if (walk(path.join(d, e.name))) return true;
      } else if (/\.(m?js|cjs|m?ts)$/.test(e.name)) {
        try {
          if (re.test(fs.readFileSync(path.join(d, e.name), 'utf8'))) return true;
        } catch {
          /* unreadable: ignore */
        }
      }
    }
    return false;
  };
  return walk(dir);
}
