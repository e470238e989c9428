/**
 * Cold start: each function's bundle size, and its module-initialisation time — importing
 * the built bundle in a fresh Node process — against an empty handler bundled the same
 * way. Median of N runs, with min and max: these machines are noisy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, REPO_ROOT } from '#infra/constructs/function';
import { deployedFunctions } from '#infra/deployed-functions';
import { testRuntimeJson } from './fixtures.ts';
import { median, type Row } from './table.ts';

const RUNS = 10;

async function bundle(entry: string | { contents: string }, outfile: string): Promise<number> {
  const input = typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { contents: entry.contents, resolveDir: REPO_ROOT, loader: 'ts' as const } };
  await build({ ...ESBUILD_OPTIONS, mainFields: [...ESBUILD_OPTIONS.mainFields], external: [...ESBUILD_OPTIONS.external], ...input, outfile, logLevel: 'error' });
  return statSync(outfile).size;
}

/** Milliseconds to import the bundle in a fresh process (what Lambda's init phase pays). */
function initTime(file: string, env: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return Number(out);
}

export async function coldStart(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eap-cold-'));
  try {
    const env = { EAP_CONFIG: testRuntimeJson(), AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const emptyEntry = join(dir, 'empty.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({});\n');
    const emptyOut = join(dir, 'empty', 'index.mjs');
    await bundle(emptyEntry, emptyOut);
    const emptyTimes = Array.from({ length: RUNS }, () => initTime(emptyOut, env));
    const emptyMedian = median(emptyTimes);

    const rows: Row[] = [];
    // The floor any SDK v3 function starts from: a handler that only constructs an EKS client.
    const floorOut = join(dir, 'sdk-floor', 'index.mjs');
    const floorSize = await bundle({ contents: "import { EKSClient } from '@aws-sdk/client-eks';\nconst c = new EKSClient({});\nexport const handler = async () => c.config.serviceId;\n" }, floorOut);
    const floorTimes = Array.from({ length: RUNS }, () => initTime(floorOut, env));
    rows.push({
      scenario: 'cold start: reference, a handler with only an EKS client',
      figure: `bundle ${(floorSize / 1024).toFixed(0)} KiB; init ${median(floorTimes).toFixed(1)} ms vs empty ${emptyMedian.toFixed(1)} ms = ${(median(floorTimes) / emptyMedian).toFixed(2)}x`,
      goal: 'n/a (the floor of any SDK v3 function)',
      met: 'n/a',
    });
    for (const { name, entry } of deployedFunctions()) {
      const out = join(dir, name, 'index.mjs');
      const size = await bundle(entry, out);
      const times = Array.from({ length: RUNS }, () => initTime(out, env));
      const m = median(times);
      rows.push({
        scenario: `cold start: ${name}`,
        figure: `bundle ${(size / 1024).toFixed(0)} KiB; init ${m.toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}) vs empty ${emptyMedian.toFixed(1)} ms = ${(m / emptyMedian).toFixed(2)}x`,
        goal: 'bundle <= 500 KB; init <= 2x empty',
        met: `bundle ${size <= 500 * 1000 ? 'yes' : 'NO'}, init ${m <= 2 * emptyMedian ? 'yes' : 'NO'}`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
