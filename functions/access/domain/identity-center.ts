/**
 * Where a principal's access tags come from, and how its entry is written. Pure.
 *
 * For most principals: their own IAM tags, and an entry with source `tag` and EKS's default
 * username. For a role IAM Identity Center created (kernel/identity-center.ts), when
 * `identityCenter` is configured: the tags of its permission set — customers cannot tag these
 * roles, so tags on the role itself are ignored — and an entry with source `identity-center` and
 * the configured username (default `sso:{{SessionName}}`, so the Kubernetes audit log names the
 * person). The tags then follow the same contract (tags.ts: levels, per-cluster keys, namespaces,
 * allow-listed groups, the ceiling). A permission set without access tags, or one that neither
 * the configuration nor the instance knows, grants nothing: an entry the tag side owns is revoked.
 * Without `identityCenter` these roles are ordinary roles (their own tags, which nobody can set).
 */
import type { Config } from '#kernel/config';
import { IDENTITY_CENTER_SOURCE, identityCenterRole } from '#kernel/identity-center';
import { TAG_SOURCE } from '#kernel/ownership';
import type { Principal } from '#kernel/principal';
import { desiredAccess, type DesiredAccess } from './tags.ts';

export type Tags = Readonly<Record<string, string>>;

/** How the tag side writes a principal's entry: its `eks-access-pilot/source` and, when set, its username. */
export interface EntryStyle {
  source: string;
  /** Absent: EKS's default username (the tag contract's entries never set one). */
  username?: string;
}

export const TAG_STYLE: EntryStyle = { source: TAG_SOURCE };

/** The permission sets' tags read from the Identity Center instance, by permission-set name. */
export type InstanceTags = ReadonlyMap<string, Tags>;

export interface PrincipalAccess {
  desired: DesiredAccess;
  style: EntryStyle;
  /** The permission set whose tags were used (Identity Center roles only). */
  permissionSet?: string;
}

/**
 * The permission set whose tags stand for this principal's, or undefined when its own tags count
 * (any principal that is not an Identity Center role, and every principal when `identityCenter`
 * is not configured).
 */
export function permissionSetOf(principal: Pick<Principal, 'kind' | 'name' | 'path'>, config: Config): string | undefined {
  if (!config.identityCenter || principal.kind !== 'role') return undefined;
  return identityCenterRole(principal.name, principal.path)?.permissionSetName;
}

/**
 * Whether the instance must be read for this permission set: an instance is configured and the
 * configuration's own list does not name the set (that list wins, see permissionSetTags).
 */
export function readsInstance(permissionSet: string, config: Config): boolean {
  const ic = config.identityCenter;
  return ic?.instanceArn !== undefined && !ic.permissionSets?.some((p) => p.name === permissionSet);
}

/**
 * A permission set's tags. When both the configuration's `permissionSets` and the instance name a
 * set, the configuration wins, whole (the two are never merged key by key): it is the reviewed,
 * deployed choice of the platform team (cdk.json, validated at synth), the documented fallback
 * where the instance cannot be read, and the one way to pin or switch off a set without touching
 * Identity Center; a merge would make one set's access depend on two places nobody reads
 * together. `instance` holds what was read (undefined: no instance, or not read); a set neither
 * names has no tags. Names are compared exactly, as Identity Center writes them into role names.
 */
export function permissionSetTags(permissionSet: string, config: Config, instance: InstanceTags | undefined): Tags {
  const pinned = config.identityCenter?.permissionSets?.find((p) => p.name === permissionSet);
  if (pinned) return pinned.tags;
  return instance?.get(permissionSet) ?? {};
}

/**
 * What the principal should have at `now`, from the tags that count for it (an expiry among them
 * bounds it, tags.ts), and how its entry is written.
 * For an Identity Center role whose set `readsInstance`, `instance` must hold what the instance
 * says about that set (a set missing from a successful read has no tags); the caller never passes
 * a failed read here: unknown tags must not revoke anything.
 */
export function principalAccess(principal: Principal, config: Config, now: Date, instance?: InstanceTags): PrincipalAccess {
  const permissionSet = permissionSetOf(principal, config);
  if (permissionSet === undefined) return { desired: desiredAccess(principal.tags, config, now), style: TAG_STYLE };
  const tags = permissionSetTags(permissionSet, config, instance);
  return {
    desired: desiredAccess({ ...tags }, config, now),
    style: { source: IDENTITY_CENTER_SOURCE, username: config.identityCenter!.username },
    permissionSet,
  };
}
