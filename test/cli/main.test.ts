import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';

const CLI_DIR = fileURLToPath(new URL('../../cli/', import.meta.url));

/** The commands are the modules in cli/commands: the help must list each one. */
const COMMANDS = readdirSync(join(CLI_DIR, 'commands'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -'.ts'.length));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The `commands:` block of the top-level help, as name → summary, and where each summary starts. */
function commandList(help: string): { summaries: Map<string, string>; columns: Set<number> } {
  const lines = help.split('\n');
  const start = lines.indexOf('commands:') + 1;
  const end = lines.indexOf('', start);
  const summaries = new Map<string, string>();
  const columns = new Set<number>();
  for (const line of lines.slice(start, end)) {
    const m = /^ {2}(\S+) +(\S.*)$/.exec(line);
    if (!m) throw new Error(`not a command line: "${line}"`);
    summaries.set(m[1]!, m[2]!);
    columns.add(line.length - m[2]!.length);
  }
  return { summaries, columns };
}

describe('eks-access-pilot', () => {
  it('finds the commands it checks', () => {
    // assert
    expect(COMMANDS).toEqual(expect.arrayContaining(['access-report', 'explain-event', 'invoke', 'migrate', 'plan']));
  });

  it.each(['--help', '-h'])('%s lists every command with its one-line summary, aligned, and exits 0', async (flag) => {
    // act
    const { code, stdout, stderr } = await cli(flag);

    // assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: eks-access-pilot <command> \[options\]$/m);
    const { summaries, columns } = commandList(stdout);
    expect([...summaries.keys()].sort()).toEqual([...COMMANDS].sort());
    for (const summary of summaries.values()) expect(summary).toMatch(/^[A-Z].{10,}\.$/);
    expect(columns.size).toBe(1);
  });

  it('prints the same help on stderr and exits 2 without a command', async () => {
    // act
    const { code, stdout, stderr } = await cli();

    // assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^missing command$/m);
    expect([...commandList(stderr).summaries.keys()].sort()).toEqual([...COMMANDS].sort());
  });

  it.each([
    ['an unknown command', 'deploy'],
    ['an inherited property name', 'constructor'],
  ])('exits 2 for %s, naming it, with the command list', async (_label, name) => {
    // act
    const { code, stdout, stderr } = await cli(name);

    // assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`unknown command "${name}"`);
    expect(commandList(stderr).summaries.size).toBe(COMMANDS.length);
  });

  it.each(COMMANDS)('%s --help prints the summary the command list shows, then its usage, and exits 0', async (name) => {
    // arrange
    const { summaries } = commandList((await cli('--help')).stdout);

    // act
    const { code, stdout, stderr } = await cli(name, '--help');

    // assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const [first, blank, usage] = stdout.split('\n');
    expect(first).toBe(summaries.get(name));
    expect(blank).toBe('');
    expect(usage).toMatch(new RegExp(`^usage: eks-access-pilot ${name} `));
  });
});

describe('the modules of cli/', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  /** Each module's relative imports, static and dynamic, as paths relative to cli/. */
  const graph = new Map(
    files(CLI_DIR).map((file) => {
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
      return [relative(CLI_DIR, file), specifiers.map((s) => relative(CLI_DIR, resolve(dirname(file), s)))];
    }),
  );

  it('never import main.ts, the entry point that loads the commands', () => {
    // assert
    const importers = [...graph].filter(([, deps]) => deps.includes('main.ts')).map(([file]) => file);
    expect(importers).toEqual([]);
  });

  it('import one another without a cycle', () => {
    // arrange
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      if (done.has(file)) return;
      for (const dep of graph.get(file) ?? []) visit(dep, [...path, file]);
      done.add(file);
    };

    // act
    for (const file of graph.keys()) visit(file, []);

    // assert
    expect(graph.get('main.ts')).toContain('commands/migrate.ts');
    expect(cycles).toEqual([]);
  });
});
