/**
 * The `nimbus` command line. `main` returns the exit code: 0 success, 1 a
 * failure (printed as `error: ...`), 2 a usage error.
 */
import { VERSION } from '../version';
import type { Command } from './command';
import { deployCommand } from './commands/deploy';
import { devCommand } from './commands/dev';
import { invokeCommand } from './commands/invoke';
import { logsCommand } from './commands/logs';
import { lsCommand } from './commands/ls';
import { startCommand } from './commands/start';
import { statsCommand } from './commands/stats';
import { UsageError, reportError } from './errors';
import { println, processIo, type Io } from './io';

export const COMMANDS: readonly Command[] = [devCommand, startCommand, deployCommand, invokeCommand, logsCommand, lsCommand, statsCommand];

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: nimbus <command> [options]

Nimbus runs serverless apps (serverless.yml) locally, AWS-faithfully.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Run 'nimbus <command> --help' for a command's options.
  -h, --help     show this help
  -v, --version  print the version`;
}

/** Runs the CLI with `argv` (without node and script). `io` defaults to the process's. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      println(io.stderr, overview());
      return 2;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const target = first === 'help' ? rest[0] : undefined;
      const cmd = target === undefined ? undefined : COMMANDS.find((c) => c.name === target);
      if (target !== undefined && !cmd) throw new UsageError(`unknown command "${target}"`);
      println(io.stdout, cmd ? cmd.help : overview());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      println(io.stdout, VERSION);
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option "${first}" (options go after the command)`);
    const cmd = COMMANDS.find((c) => c.name === first);
    if (!cmd) {
      const near = COMMANDS.map((c) => ({ c, d: distance(c.name, first) }))
        .filter((x) => x.d <= 2)
        .sort((a, b) => a.d - b.d)[0]?.c;
      throw new UsageError(`unknown command "${first}"${near ? ` (did you mean "${near.name}"?)` : ''}`);
    }
    return await cmd.run(rest, io);
  } catch (e) {
    return reportError(io, e);
  }
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
