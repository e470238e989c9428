/**
 * What a command of the eks-access-pilot CLI is, and how it ends. Its own module so that the
 * commands and cli/main.ts, which loads them, both depend on it and never on each other.
 */

/** Where a command writes: one line per call. Tests and the sandbox demo capture it. */
export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A part of a command with its own usage, such as `migrate start`. */
export interface Subcommand {
  /** One line: what it does. */
  summary: string;
  /** The usage line, then its options and notes. */
  usage: string;
}

/**
 * A command as cli/main.ts runs it. Its one-line summary is in the registry of cli/main.ts, so
 * the top-level help needs no command module loaded.
 */
export interface Command {
  /** The usage line, then the options and notes `--help` prints. */
  usage: string;
  /** When present, `<command> <sub> --help` prints the subcommand's usage instead of `usage`. */
  subcommands?: Readonly<Record<string, Subcommand>>;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run: (args: string[], io: CommandIO) => Promise<number>;
}

/** Exit codes of every command; the README documents them. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A problem with the command line itself; the command turns it into exit 2 with its usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
