/**
 * The eks-access-pilot command line. Thin: each command parses its arguments and calls
 * the same domain and adapters the functions use. Exit codes: 0 success, 1 bad input or
 * a failed check, 2 usage error.
 */
import { pathToFileURL } from 'node:url';

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  summary: string;
  usage: string;
  run: (args: string[], io: CommandIO) => Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  'explain-event': async () => (await import('./commands/explain-event.ts')).command,
  plan: async () => (await import('./commands/plan.ts')).command,
  migrate: async () => (await import('./commands/migrate.ts')).command,
  'access-report': async () => (await import('./commands/access-report.ts')).command,
  invoke: async () => (await import('./commands/invoke.ts')).command,
};

function usage(): string {
  return [
    'usage: eks-access-pilot <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands).map((c) => `  ${c}`),
    '',
    'Run `eks-access-pilot <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    io.err(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.summary}\n\nusage: ${command.usage}`);
    return 0;
  }
  return command.run(rest, io);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io: CommandIO = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
