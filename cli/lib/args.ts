/**
 * Argument parsing shared by the commands: `node:util` parseArgs in strict mode, with every
 * problem reported as a usage error (exit 2) that repeats the command's usage line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, UsageError, type CommandIO } from './command.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `args` strictly (unknown options and missing values are usage errors). `positionals`
 * names the positional arguments the command takes, in order (`['FILE']`); a missing one or an
 * extra one is a usage error naming it.
 */
export function parseCommandArgs<O extends Options>(args: string[], options: O, positionals: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals.length > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const got = parsed.positionals.length;
  if (got < positionals.length) throw new UsageError(`missing ${positionals[got]}`);
  if (got > positionals.length) {
    throw new UsageError(
      positionals.length === 1 ? `expected one ${positionals[0]}, got ${got}` : `unexpected argument "${parsed.positionals[positionals.length]}"`,
    );
  }
  return parsed;
}

/** Prints a usage error with the usage line; returns exit code 2. */
export function usageError(io: CommandIO, usage: string, message: string): number {
  io.err(`${message}\n\nusage: ${usage}`);
  return EXIT.usage;
}

/** The value of a required option, or a UsageError naming it. */
export function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${option}`);
  return value;
}
