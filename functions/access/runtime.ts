/**
 * What every function builds once at cold start: the validated runtime configuration and
 * the adapters for the managed clusters. A bad EAP_CONFIG fails here, naming the field.
 */
import { parseRuntimeConfig } from '#kernel/config';
import { eksEntries } from '#access/adapters/entries';
import { iamReader } from '#platform/iam-principals';
import type { ReconcileDeps } from './reconcile.ts';

export function reconcileDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ReconcileDeps {
  const runtime = parseRuntimeConfig(env.EAP_CONFIG);
  return { runtime, iam: iamReader(), clusters: runtime.config.clusters.map((c) => eksEntries(c)) };
}
