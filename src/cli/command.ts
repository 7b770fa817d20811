import type { Io } from './io';

/** One `nimbus <name>` command; each lives in its own file under commands/. */
export interface Command {
  name: string;
  /** One line for `nimbus --help`. */
  summary: string;
  /** The full text of `nimbus <name> --help`. */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}
