/**
 * Ownership of EKS access entries (docs/architecture.md, invariant 1): every entry this system
 * creates carries `managed-by=eks-access-pilot` and its source — `tag` for the tag provisioner
 * and the resync, `migration/<execution>` for one migration execution. Nothing without these
 * tags is ever updated, disassociated or deleted. The same keys are written into the IAM
 * conditions of the deployed roles (infra/), so IAM enforces what the code checks. Pure.
 */
export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'eks-access-pilot';
export const SOURCE_KEY = 'eks-access-pilot/source';
export const PRINCIPAL_ID_KEY = 'eks-access-pilot/principal-id';
/** The source of entries the tag provisioner and the resync own; the migration's are `migration/<execution>`. */
export const TAG_SOURCE = 'tag';

type Tagged = { tags: Readonly<Record<string, string>> };

/** Created by eks-access-pilot, by the tag provisioner or by a migration. */
export function isManaged(entry: Tagged): boolean {
  return entry.tags[MANAGED_BY_KEY] === MANAGED_BY_VALUE;
}

/**
 * Created by the tag provisioner or the resync: the only entries they may change. A migration's
 * entries (source `migration/<execution>`) carry what aws-auth granted and belong to that
 * migration: a principal without access tags must not lose them at the next resync.
 */
export function isTagManaged(entry: Tagged): boolean {
  return isManaged(entry) && entry.tags[SOURCE_KEY] === TAG_SOURCE;
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
