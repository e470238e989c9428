/**
 * What every function builds once at cold start: the validated runtime configuration and
 * the adapters for the managed clusters (and, when an Identity Center instance is configured,
 * the reader of its permission sets). A bad EAP_CONFIG fails here, naming the field.
 */
import { identityCenterInstance, parseRuntimeConfig } from '#kernel/config';
import { eksEntries } from '#access/adapters/entries';
import { permissionSetReader } from '#access/adapters/permission-sets';
import { ssoAdminClient } from '#platform/clients';
import { iamReader } from '#platform/iam-principals';
import type { ReconcileDeps } from './reconcile.ts';

export function reconcileDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ReconcileDeps {
  const runtime = parseRuntimeConfig(env.EAP_CONFIG);
  const instance = identityCenterInstance(runtime.config);
  return {
    runtime,
    iam: iamReader(),
    clusters: runtime.config.clusters.map((c) => eksEntries(c)),
    // STS is called in the function's own region (env.AWS_REGION, set by Lambda).
    ...(instance ? { permissionSets: permissionSetReader(instance, ssoAdminClient(instance.region, instance.readRoleArn, env.AWS_REGION)) } : {}),
  };
}
