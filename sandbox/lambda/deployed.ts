/**
 * The deployed app's Lambda functions in the sandbox's runtime: each synthesized function, run from
 * the handler module it is bundled from, as its own role.
 */
import type { DeployedApp } from '#sandbox/iam/deployed';
import { MIGRATION_SUBSTITUTIONS, type Substitution } from '#workflows/manifest';
import type { LambdaRuntime } from './runtime.ts';

/**
 * Every function of the deployed app, with the handler module it is bundled from: the tag side's
 * functions by their construct (infra/constructs/tag-provisioning.ts), the migration's tasks by
 * the state machine's definition substitutions (workflows/manifest.ts names each task's entry).
 */
export function defineFunctions(runtime: LambdaRuntime, app: DeployedApp): LambdaRuntime {
  const entries = new Map<string, string>();
  for (const { substitutions } of app.stateMachines.values()) {
    for (const [placeholder, value] of Object.entries(substitutions)) {
      const sub = (MIGRATION_SUBSTITUTIONS as Record<string, Substitution>)[placeholder];
      if (sub?.kind === 'function') entries.set(value, sub.entry);
    }
  }
  for (const fn of app.functions) {
    const tag = /TagProvisioning(Provisioner|Resync)Function/.exec(fn.logicalId)?.[1];
    const entry = tag ? `functions/access/${tag.toLowerCase()}/handler.ts` : entries.get(fn.arn);
    if (!entry) continue;
    const region = fn.arn.split(':')[3]!;
    runtime.define({ name: fn.name, entry, roleName: fn.roleName, environment: withoutNodeOptions(fn.environment), region });
  }
  return runtime;
}

/** NODE_OPTIONS (`--enable-source-maps` in the app) would restart nothing in a worker; the sandbox already has source maps. */
function withoutNodeOptions(env: Record<string, string>): Record<string, string> {
  const { NODE_OPTIONS: _ignored, ...rest } = env;
  return rest;
}
