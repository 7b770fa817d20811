/**
 * Makes the AWS SDKs resolvable by function code that did not install them (as on
 * Lambda's nodejs18.x+ runtimes) and points them at Nimbus:
 * - v3 (`@aws-sdk/*`) reads AWS_ENDPOINT_URL from the environment by itself;
 * - v2 (`aws-sdk`) has no such variable, so its global config is set the first
 *   time function code loads it (the "preloaded configuration").
 * CommonJS finds the SDKs through NODE_PATH (set by the platform in the
 * function's environment, as Lambda does); ES modules ignore NODE_PATH, so a
 * resolve hook falls back to the same directory for bare `@aws-sdk/*` / `aws-sdk`.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import Module = require('node:module');

interface ModuleInternals {
  _initPaths(): void;
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

let installed = false;

export function installSdkResolution(sdkDir: string): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as ModuleInternals;
  M._initPaths(); // pick up NODE_PATH from the function's environment

  const load = M._load;
  let v2Configured = false;
  M._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    const exported = load.call(this, request, parent, isMain);
    if (!v2Configured && request === 'aws-sdk') {
      v2Configured = true;
      configureV2(exported);
    }
    return exported;
  };

}

/** ES module handlers only: hooks run on a separate thread, a cost CommonJS handlers should not pay. */
export function registerEsmSdkResolution(sdkDir: string): void {
  const register = (Module as unknown as { register?: (spec: string, parent: string, opts: unknown) => void }).register;
  if (register) {
    register(pathToFileURL(path.join(__dirname, 'esm-hooks.js')).href, pathToFileURL(__filename).href, {
      data: { sdkParent: pathToFileURL(path.join(sdkDir, 'node_modules', 'index.js')).href },
    });
  }
}

function configureV2(sdk: unknown): void {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  const config = (sdk as { config?: { update(o: Record<string, unknown>): void } } | null)?.config;
  if (!endpoint || !config) return;
  // One endpoint serves every service; path-style S3 because bucket.<ip> does not resolve.
  config.update({ endpoint, s3ForcePathStyle: true, region: process.env.AWS_REGION });
}
