/**
 * `npm run build`: bundles every deployed function (infra/deployed-functions.ts) into
 * dist/<name>/index.mjs with the exact esbuild options the CDK app deploys with
 * (ESBUILD_OPTIONS in infra/constructs/function.ts), and prints each bundle's size —
 * a quick check of what a change costs in cold-start weight, without synthesizing.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, REPO_ROOT } from './constructs/function.ts';
import { deployedFunctions } from './deployed-functions.ts';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const { name, entry } of deployedFunctions()) {
  const outfile = join(REPO_ROOT, 'dist', name, 'index.mjs');
  await build({
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    entryPoints: [entry],
    outfile,
    logLevel: 'warning',
  });
  console.log(`${name.padEnd(26)} ${kib(statSync(outfile).size).padStart(12)}  (map ${kib(statSync(`${outfile}.map`).size)})  dist/${name}/index.mjs`);
}
