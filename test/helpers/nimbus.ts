/**
 * Starts a real Nimbus (the same composition root the CLI uses) on ephemeral
 * ports with a throwaway data directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Platform, type PlatformOptions } from '../../src/platform';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
export const REPO = path.resolve(__dirname, '..', '..', '..');

export function tmpDir(prefix = 'nimbus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startNimbus(opts: PlatformOptions = {}): Promise<Platform> {
  return Platform.start({ port: 0, awsPort: 0, dataDir: tmpDir(), poolSize: 1, flushIntervalMs: 20, ...opts });
}

/** Copies a fixture app to a temp dir (tests that edit files or build into .nimbus/ must not touch the repo). */
export function copyFixture(name: string): string {
  const dest = path.join(tmpDir('nimbus-app-'), name);
  fs.cpSync(path.join(FIXTURES, 'apps', name), dest, { recursive: true });
  return dest;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
