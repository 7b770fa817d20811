/** Helpers of the CLI tests: captured I/O, temp dirs, process checks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Io } from '../../src/cli/io';
import { main } from '../../src/cli/main';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI_FIXTURES = path.join(REPO, 'test', 'fixtures', 'cli');
export const BIN = path.join(REPO, 'bin', 'nimbus.js');

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tmpDir(prefix = 'nimbus-cli-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

let emptyCwd: string | null = null;

/** Copies a fixture app to a temp dir, for tests that edit it. */
export function copyFixture(name: string): string {
  const dest = path.join(tmpDir('nimbus-cli-app-'), name);
  fs.cpSync(path.join(CLI_FIXTURES, name), dest, { recursive: true });
  return dest;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nimbus <argv>` in this process with captured output (no colors, no env tokens). */
export async function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = (emptyCwd ??= tmpDir())): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0: it is gone for our purposes.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** PIDs of the live processes whose parent is `pid` (from /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may contain spaces and parens.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid && rest[0] !== 'Z') out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 10_000, stepMs = 25): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
