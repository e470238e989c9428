// What each deployed function's bundle pulls in (issue 5, cold start): the import graph, as
// esbuild resolves it with the deployed options, so a stray import that drags a heavy package
// into every function fails here rather than showing up later as a slower cold start.
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_OPTIONS } from '#infra/constructs/function';
import { deployedFunctions } from '#infra/deployed-functions';

/** Input files of each function's bundle, by function name (paths relative to the repository). */
const inputs = new Map<string, string[]>();

beforeAll(async () => {
  for (const { name, entry } of deployedFunctions()) {
    const { metafile } = await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      external: [...ESBUILD_OPTIONS.external],
      entryPoints: [entry],
      outfile: `${name}/index.mjs`,
      sourcemap: false,
      minify: false,
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    inputs.set(name, Object.keys((metafile as Metafile).inputs));
  }
}, 120_000);

const bundles = (name: string, pkg: string) => inputs.get(name)!.some((p) => p.includes(`node_modules/${pkg}/`));

describe('function bundles', () => {
  it('cover every deployed function: the two tag functions and the eleven migration tasks', () => {
    expect([...inputs.keys()]).toHaveLength(13);
    expect([...inputs.keys()]).toEqual(expect.arrayContaining(['provisioner', 'resync', 'migration/validate-input', 'migration/rollback']));
  });

  it('carry @kubernetes/client-node only in the four tasks that call the Kubernetes API', () => {
    // arrange / act
    const withKubernetes = [...inputs.keys()].filter((name) => bundles(name, '@kubernetes/client-node')).sort();
    // assert
    expect(withKubernetes).toEqual(['migration/backup', 'migration/describe-cluster', 'migration/recheck', 'migration/rollback']);
  });

  it('give the tag functions zod/mini, not classic zod (whose methods keep every check in the bundle)', () => {
    for (const name of ['provisioner', 'resync']) {
      expect(inputs.get(name)!.some((p) => p.includes('node_modules/zod/v4/mini/'))).toBe(true);
      expect(inputs.get(name)!.some((p) => p.includes('node_modules/zod/v4/classic/'))).toBe(false);
    }
  });
});
