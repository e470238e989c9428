/**
 * Ownership of EKS access entries (docs/architecture.md, invariant 1): every entry this system
 * creates carries `managed-by=eks-access-pilot` and its source — `tag` for the tag provisioner
 * and the resync, `identity-center` for what they grant an Identity Center role from its
 * permission set's tags, `migration/<execution>` for one migration execution. Nothing without these
 * tags is ever updated, disassociated or deleted. The same keys are written into the IAM
 * conditions of the deployed roles (infra/), so IAM enforces what the code checks. Pure.
 */
import { IDENTITY_CENTER_SOURCE } from './identity-center.ts';

export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'eks-access-pilot';
export const SOURCE_KEY = 'eks-access-pilot/source';
export const PRINCIPAL_ID_KEY = 'eks-access-pilot/principal-id';
/** The source of entries the tag provisioner and the resync own; the migration's are `migration/<execution>`. */
export const TAG_SOURCE = 'tag';
/**
 * Every source the tag side (provisioner and resync) owns: a principal's own tags (`tag`) and an
 * Identity Center role's permission set's tags (`identity-center`, IDENTITY_CENTER_SOURCE). One
 * list, so the code and the IAM conditions (infra/) agree on what the tag side may change.
 */
export const TAG_SIDE_SOURCES: readonly string[] = [TAG_SOURCE, IDENTITY_CENTER_SOURCE];

type Tagged = { tags: Readonly<Record<string, string>> };

/** Created by eks-access-pilot, by the tag provisioner or by a migration. */
export function isManaged(entry: Tagged): boolean {
  return entry.tags[MANAGED_BY_KEY] === MANAGED_BY_VALUE;
}

/**
 * Created by the tag provisioner or the resync (source `tag` or `identity-center`): the only
 * entries they may change. A migration's
 * entries (source `migration/<execution>`) carry what aws-auth granted and belong to that
 * migration: a principal without access tags must not lose them at the next resync.
 */
export function isTagManaged(entry: Tagged): boolean {
  const source = entry.tags[SOURCE_KEY];
  return isManaged(entry) && source !== undefined && TAG_SIDE_SOURCES.includes(source);
}

/** The tags of an entry the tag side creates: ownership plus the principal's unique ID. */
export function ownershipTags(principal: { id: string }, source = TAG_SOURCE): Record<string, string> {
  return { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [SOURCE_KEY]: source, [PRINCIPAL_ID_KEY]: principal.id };
}

export function migrationSource(executionName: string): string {
  return `migration/${executionName}`;
}

/** Tags every entry one migration execution creates carries; its rollback deletes exactly these. */
export function migrationTags(executionName: string): Record<string, string> {
  return { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [SOURCE_KEY]: migrationSource(executionName) };
}

/** True only for entries created by this execution (both tags, exact values). */
export function createdByExecution(entry: Tagged, executionName: string): boolean {
  return isManaged(entry) && entry.tags[SOURCE_KEY] === migrationSource(executionName);
}
