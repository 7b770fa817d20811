/** Test helpers: fixture paths, throwaway app directories, error assertions. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPlatformError, type PlatformError, type PlatformErrorCode } from '../../src/errors';
import { loadApp, type LoadAppOptions } from '../../src/app/load-app';
import type { Stack } from '../../src/app/stack';

/** test/fixtures/apps/<name> (tests run from dist/test/app). */
export function fixture(name: string): string {
  return path.resolve(__dirname, '../../../test/fixtures/apps', name);
}

const made: string[] = [];

/** Writes `files` (name -> content) into a new temp dir and returns it. */
export function writeApp(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-app-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export function cleanupApps(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Loads a serverless.yml given as text. */
export function loadYaml(yaml: string, opts: LoadAppOptions = {}, extra: Record<string, string> = {}): Promise<Stack> {
  return loadApp(writeApp({ 'serverless.yml': yaml, ...extra }), { env: {}, ...opts });
}

/** Asserts the promise rejects with a PlatformError of `code` whose message contains every string. */
export async function rejectsWith(p: Promise<unknown>, code: PlatformErrorCode, ...contains: string[]): Promise<PlatformError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `expected a rejection with ${code}`);
  assert.ok(isPlatformError(err), `expected a PlatformError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const s of contains) assert.ok(err.message.includes(s), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(s)}`);
  return err;
}

/** A minimal valid definition with `functions` given as YAML text (indented under functions:). */
export function app(functionsYaml: string, providerExtra = ''): string {
  return `service: svc\nprovider:\n  name: aws\n  runtime: nodejs20.x\n${providerExtra}functions:\n${functionsYaml}`;
}
