/**
 * What every function builds once at cold start: the validated runtime configuration and
 * the adapters for the managed clusters (and, when an Identity Center instance is configured,
 * the reader of its permission sets; when deployed, the expiry schedules). A bad EAP_CONFIG, or
 * only some of the EAP_EXPIRY_* variables, fails here, naming what is wrong.
 */
import { identityCenterInstance, parseRuntimeConfig } from '#kernel/config';
import { eksEntries } from '#access/adapters/entries';
import { permissionSetReader } from '#access/adapters/permission-sets';
import { expirySchedules, expiryScheduleSettingsFromEnv } from '#access/adapters/expiry-schedules';
import { eksClient, iamClient, RETRY, schedulerClient, ssoAdminClient, type RetrySetting } from '#platform/clients';
import { iamReader } from '#platform/iam-principals';
import type { ReconcileDeps } from './reconcile.ts';

/** `retry`: the SDK retry setting of every client these deps use (platform/clients.ts says which function uses which, and why). */
export function reconcileDepsFromEnv(env: NodeJS.ProcessEnv = process.env, retry: RetrySetting = RETRY): ReconcileDeps {
  const runtime = parseRuntimeConfig(env.EAP_CONFIG);
  const instance = identityCenterInstance(runtime.config);
  const schedules = expiryScheduleSettingsFromEnv(env);
  return {
    now: () => new Date(),
    runtime,
    iam: iamReader(iamClient(undefined, retry)),
    clusters: runtime.config.clusters.map((c) => eksEntries(c, eksClient(c.region, retry))),
    // STS is called in the function's own region (env.AWS_REGION, set by Lambda).
    // Absent when the schedules are not deployed: expired access then waits for the resync.
    ...(schedules ? { expirySchedules: expirySchedules(schedules, schedulerClient(retry)) } : {}),
    // Identity Center's 20 TPS is shared with every other caller of the instance: throttles that
    // are not this function's own rate, so standard mode even for the sweep (platform/clients.ts).
    ...(instance ? { permissionSets: permissionSetReader(instance, ssoAdminClient(instance.region, instance.readRoleArn, env.AWS_REGION, RETRY)) } : {}),
  };
}
