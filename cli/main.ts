/**
 * The eks-access-pilot command line. Thin: each command parses its arguments and calls
 * the same domain and adapters the functions use. Exit codes: `EXIT` in cli/lib/command.ts.
 */
import { pathToFileURL } from 'node:url';
import { EXIT, type Command, type CommandIO } from './lib/command.ts';
import { table } from './lib/format.ts';

interface Registered {
  /** One line for the top-level help; the only copy of it. */
  summary: string;
  /** Loaded only to run the command or print its help: some commands pull in the AWS SDK. */
  load: () => Promise<Command>;
}

const commands: Record<string, Registered> = {
  'explain-event': {
    summary: 'Explain what the provisioner would do with an EventBridge event (offline).',
    load: async () => (await import('./commands/explain-event.ts')).command,
  },
  plan: {
    summary: 'Show how an aws-auth ConfigMap converts to EKS access entries (offline).',
    load: async () => (await import('./commands/plan.ts')).command,
  },
  migrate: {
    summary: 'Start, follow, approve and explain runs of the authentication-mode migration workflow.',
    load: async () => (await import('./commands/migrate.ts')).command,
  },
  'access-report': {
    summary: 'List every access entry of a cluster, its policies and scope, and who owns it.',
    load: async () => (await import('./commands/access-report.ts')).command,
  },
  doctor: {
    summary: 'Check, read-only, that a deployment can work: events, rules, permissions, clusters, queues.',
    load: async () => (await import('./commands/doctor.ts')).command,
  },
  invoke: {
    summary: 'Run a Lambda handler of this repository locally with an event file.',
    load: async () => (await import('./commands/invoke.ts')).command,
  },
};

function usage(): string {
  return [
    'usage: eks-access-pilot <command> [options]',
    '',
    'commands:',
    ...table(Object.entries(commands).map(([name, c]) => [name, c.summary])).map((line) => `  ${line}`),
    '',
    'Run `eks-access-pilot <command> --help` for a command\'s options.',
  ].join('\n');
}

function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    io.out(usage());
    return EXIT.ok;
  }
  if (!name) {
    io.err(`missing command\n\n${usage()}`);
    return EXIT.usage;
  }
  // hasOwn: a name such as "constructor" is not a command.
  const registered = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!registered) {
    io.err(`unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const command = await registered.load();
  if (wantsHelp(rest)) {
    const [sub] = rest;
    const subcommand = sub !== undefined && command.subcommands && Object.hasOwn(command.subcommands, sub) ? command.subcommands[sub] : undefined;
    io.out(subcommand ? `${subcommand.summary}\n\nusage: ${subcommand.usage}` : `${registered.summary}\n\nusage: ${command.usage}`);
    return EXIT.ok;
  }
  return command.run(rest, io);
}

/**
 * The process edge: runs `main` with the process's streams and sets the exit code; an unexpected
 * error becomes one `error:` line and exit 1, never a stack trace. `npm run cli` and the installed
 * `eks-access-pilot` (cli/bin.js) both start here.
 */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<void> {
  const io: CommandIO = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  // `eks-access-pilot plan … | head`: the reader went away; stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
  try {
    process.exitCode = await main(argv, io);
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.failed;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runCli();
