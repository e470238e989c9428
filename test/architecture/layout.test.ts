// The layout's rules (docs/architecture.md, "Layout"): the walls between areas are lint rules
// that fail when crossed, no module takes part in an import cycle, and no file under functions/
// or infra/ grows past 400 lines.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tracked = (): string[] =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.endsWith('.d.ts') && existsSync(join(ROOT, f)));

describe('the walls between areas', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The no-restricted-imports messages ESLint reports for `code` as if it lived at `file`. */
  async function wallsHit(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it.each([
    ['functions/access/domain/x.ts', "import { EKSClient } from '@aws-sdk/client-eks';", /no SDK/],
    ['functions/migration/domain/x.ts', "import { documentStore } from '#migration/adapters/documents';", /no adapter/],
    ['functions/migration/domain/x.ts', "import { s3Client } from '#platform/clients';", /no adapter or platform/],
    ['functions/kernel/x.ts', "import { parseAwsAuth } from '#migration/domain/aws-auth';", /import neither/],
    ['functions/platform/x.ts', "import { planCluster } from '#access/domain/entries';", /import neither/],
    ['functions/access/reconcile-x.ts', "import { planConversion } from '#migration/domain/conversion';", /meet only in kernel/],
    ['functions/access/reconcile-x.ts', "import { planConversion } from '../migration/domain/conversion.ts';", /meet only in kernel/],
    ['functions/migration/tasks/x.ts', "import { desiredAccess } from '#access/domain/tags';", /meet only in kernel/],
    ['functions/migration/tasks/x.ts', "import type { Command } from '#cli/lib/command';", /never imports cli/],
    ['functions/access/provisioner/x.ts', "import { startSandbox } from '../../../sandbox/server/index.ts';", /never imports cli\/, infra\/, sandbox/],
    ['functions/platform/x.ts', "import { HouseFunction } from '#infra/constructs/function';", /never imports cli\/, infra/],
    ['infra/stacks/x.ts', "import { AwsModel } from '#sandbox/model/index';", /infra\/ never imports sandbox/],
  ])('%s: `%s` is refused', async (file, code, message) => {
    const hits = await wallsHit(file, code);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatch(message);
  });

  it.each([
    ['functions/access/domain/x.ts', "import { isTagManaged } from '#kernel/ownership';"],
    ['functions/migration/tasks/x.ts', "import { accessEntries } from '#platform/access-entries';"],
    ['functions/migration/tasks/x.ts', "import { RunSchema } from '#workflows/contract';"],
    ['infra/stacks/x.ts', "import { parseConfig } from '#kernel/config';"],
    ['cli/commands/x.ts', "import { planConversion } from '#migration/domain/conversion';"],
  ])('%s: `%s` is allowed', async (file, code) => {
    expect(await wallsHit(file, code)).toEqual([]);
  });
});

/** Every module's imports (static, type-only and dynamic with a literal specifier), resolved as tsc resolves them. */
function importGraph(files: string[]): Map<string, string[]> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const abs = join(ROOT, file);
    const info = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => ts.resolveModuleName(i.fileName, abs, options, ts.sys).resolvedModule)
      .filter((m): m is ts.ResolvedModuleFull => m !== undefined && !m.isExternalLibraryImport)
      .map((m) => relative(ROOT, m.resolvedFileName));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components with more than one module (or a module importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('imports', () => {
  it('form no cycle anywhere in the repository', () => {
    expect(cycles(importGraph(tracked()))).toEqual([]);
  });

  it('are found, cycles included, by the check above (it sees a planted two-module cycle)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['a.ts', 'c.ts']],
      ['c.ts', []],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts']]);
  });

  it('resolve the area aliases, so a cycle through `#…` imports would be seen', () => {
    const graph = importGraph(['functions/access/provisioner/handler.ts']);
    expect(graph.get('functions/access/provisioner/handler.ts')).toContain('functions/access/reconcile.ts');
  });
});

describe('file sizes', () => {
  it('no file under functions/ or infra/ is over 400 lines', () => {
    const big = tracked()
      .filter((f) => f.startsWith('functions/') || f.startsWith('infra/'))
      .map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 400);
    expect(big).toEqual([]);
  });
});

