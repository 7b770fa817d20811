/**
 * Where a command writes and what it reads from its surroundings. `main` uses
 * the process's own; tests pass their own to capture output.
 */

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Stops long-running commands (dev, start, logs --tail) like SIGINT does. */
  signal?: AbortSignal;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export type Paint = (s: string) => string;

export interface Style {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
  gray: Paint;
  /** Distinct colors for telling functions apart. */
  palette: Paint[];
}

const code = (open: number, close: number): Paint => (s) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain: Paint = (s) => s;

/** ANSI colors only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function styleFor(out: Output, env: NodeJS.ProcessEnv): Style {
  const enabled = out.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
  const c = (open: number, close: number): Paint => (enabled ? code(open, close) : plain);
  const s: Style = {
    enabled,
    bold: c(1, 22),
    dim: c(2, 22),
    red: c(31, 39),
    green: c(32, 39),
    yellow: c(33, 39),
    blue: c(34, 39),
    magenta: c(35, 39),
    cyan: c(36, 39),
    gray: c(90, 39),
    palette: [],
  };
  s.palette = [s.cyan, s.magenta, s.blue, s.green, s.yellow, c(96, 39), c(95, 39), c(94, 39), c(92, 39)];
  return s;
}

/** Writes a line (newline added) to an output. */
export function println(out: Output, line = ''): void {
  out.write(line + '\n');
}
