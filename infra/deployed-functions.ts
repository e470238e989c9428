/**
 * Every Lambda function the app deploys, with the entry file it is bundled from: the tag
 * provisioning functions (`functions/access/<name>/handler.ts`) and the migration's task functions
 * (MIGRATION_SUBSTITUTIONS, kind 'function'). `npm run build` and the cold-start benchmark
 * read this list, so they measure exactly what `cdk deploy` ships.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MIGRATION_SUBSTITUTIONS, type Substitution } from '#workflows/manifest';
import { handlerEntry, repoEntry } from './constructs/function.ts';

export interface DeployedFunction {
  /** `provisioner`, `resync`, `migration/backup`, …: also the folder under dist/. */
  readonly name: string;
  /** The source file exporting `handler`, absolute. */
  readonly entry: string;
}

export function deployedFunctions(): DeployedFunction[] {
  const functionsDir = fileURLToPath(new URL('../functions/access/', import.meta.url));
  const handlers = readdirSync(functionsDir)
    .filter((name) => existsSync(handlerEntry(name)))
    .sort()
    .map((name) => ({ name, entry: handlerEntry(name) }));
  const tasks = Object.values(MIGRATION_SUBSTITUTIONS as Record<string, Substitution>)
    .flatMap((s) => (s.kind === 'function' ? [s.entry] : []))
    .map((entry) => ({ name: `migration/${entry.replace(/^.*\/|\.ts$/g, '')}`, entry: repoEntry(entry) }));
  return [...handlers, ...tasks];
}
