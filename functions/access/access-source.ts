/**
 * The tags that count for a principal, read where they live: its own (already read with it from
 * IAM) or, for an Identity Center role, its permission set's (domain/identity-center.ts) — from
 * the configuration, or from the instance through the reader (adapters/permission-sets.ts).
 *
 * The provisioner reads one principal's set once per invocation (`accessOfPrincipal`); the resync
 * reads every set once per sweep (`sweepAccess`), so a tag changed on a permission set, whose
 * event is recorded in the Identity Center account and never reaches this one, is applied at the
 * next resync. A read that fails never counts as "no tags": the provisioner's invocation fails
 * (and is retried), the resync leaves the Identity Center roles that needed it untouched and
 * reports itself incomplete.
 */
import type { RuntimeConfig } from '#kernel/config';
import type { Principal } from '#kernel/principal';
import { PermissionSetsUnreadableError } from '#access/domain/errors';
import { permissionSetOf, principalAccess, readsInstance, type InstanceTags, type PrincipalAccess } from '#access/domain/identity-center';
import type { PermissionSetReader } from '#access/adapters/permission-sets';

export interface AccessSourceDeps {
  runtime: RuntimeConfig;
  /** Present when `identityCenter.instanceArn` is configured (runtime.ts). */
  permissionSets?: PermissionSetReader;
}

/** The permission set whose tags must be read from the instance for this principal, if any. */
function instanceSetOf(principal: Principal, deps: AccessSourceDeps): string | undefined {
  const set = permissionSetOf(principal, deps.runtime.config);
  return set !== undefined && readsInstance(set, deps.runtime.config) ? set : undefined;
}

function reader(deps: AccessSourceDeps): PermissionSetReader {
  if (!deps.permissionSets) throw new PermissionSetsUnreadableError('identityCenter.instanceArn is configured but no permission set reader was wired');
  return deps.permissionSets;
}

/** One principal's access (the provisioner): at most one read of its permission set's tags. */
export async function accessOfPrincipal(principal: Principal, deps: AccessSourceDeps, now: Date): Promise<PrincipalAccess> {
  const set = instanceSetOf(principal, deps);
  if (set === undefined) return principalAccess(principal, deps.runtime.config, now);
  const tags = await reader(deps).tagsOf(set);
  return principalAccess(principal, deps.runtime.config, now, new Map(tags ? [[set, tags]] : []));
}

export interface SweepAccess {
  /** The principal's access; undefined when it depends on permission-set tags that could not be read. */
  of(principal: Principal): PrincipalAccess | undefined;
  /** Why the instance could not be read, when it could not. */
  unreadable?: string;
}

/**
 * The access of every principal of one sweep. The instance is read once, in full, and only when
 * some listed role needs it (an account without Identity Center roles costs no sso-admin call).
 * A principal the sweep re-reads later (a drifted pair) is answered from the same read, at the
 * sweep's one clock reading (`now`): an expiry is judged alike for every pair of the sweep.
 */
export async function sweepAccess(listed: readonly Principal[], deps: AccessSourceDeps, now: Date): Promise<SweepAccess> {
  const config = deps.runtime.config;
  let instance: InstanceTags | undefined;
  let unreadable: string | undefined;
  if (listed.some((p) => instanceSetOf(p, deps) !== undefined)) {
    try {
      instance = await reader(deps).readAll();
    } catch (e) {
      const err = e as Error;
      unreadable = `${err.name}: ${err.message}`;
    }
  }
  return {
    ...(unreadable !== undefined ? { unreadable } : {}),
    of: (p) => (instanceSetOf(p, deps) !== undefined && !instance ? undefined : principalAccess(p, config, now, instance)),
  };
}
