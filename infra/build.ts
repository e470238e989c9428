/**
 * `npm run build`: bundles every function (functions/<name>/handler.ts) into
 * dist/<name>/index.mjs with the exact esbuild options the CDK app deploys with
 * (ESBUILD_OPTIONS in infra/constructs/function.ts), and prints each bundle's size —
 * a quick check of what a change costs in cold-start weight, without synthesizing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, REPO_ROOT, handlerEntry } from './constructs/function.ts';

const functionsDir = fileURLToPath(new URL('../functions/', import.meta.url));
const names = readdirSync(functionsDir)
  .filter((name) => name !== 'shared' && existsSync(handlerEntry(name)))
  .sort();

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const name of names) {
  const outfile = join(REPO_ROOT, 'dist', name, 'index.mjs');
  await build({
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    entryPoints: [handlerEntry(name)],
    outfile,
    logLevel: 'warning',
  });
  console.log(`${name.padEnd(16)} ${kib(statSync(outfile).size).padStart(12)}  (map ${kib(statSync(`${outfile}.map`).size)})  dist/${name}/index.mjs`);
}
