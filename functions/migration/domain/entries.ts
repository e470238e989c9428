/**
 * Access entries in the migration: the tags that mark an entry as created by one execution
 * (docs/architecture.md, "Safety invariants" 1 and 7), the comparison of a planned entry with one that exists,
 * and the break-glass check before the switch to API. Pure.
 */
import { sameSet } from '#kernel/access-entry';
import { accessPolicyArn, partitionOfArn } from '#kernel/partition';
import { samePrincipal } from '#kernel/principal';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, isTagManaged } from '#kernel/ownership';
import { IDENTITY_CENTER_SOURCE, identityCenterRoleOfArn } from '#kernel/identity-center';
import type { ConversionPlan, PlannedEntry } from './conversion.ts';
import type { EntrySnapshot, Existing, PlanDocumentRow, PlanSummary } from '#workflows/contract';

/**
 * Why an existing entry cannot stand for an aws-auth row whatever it holds, or undefined when it
 * can. An entry of the tag provisioner (tags managed-by=eks-access-pilot,
 * eks-access-pilot/source=tag) is owned by the principal's access tags: when they change or go,
 * the provisioner changes or deletes it, and the access aws-auth gave would go with it after the
 * switch to API. Entries nobody owns (made by hand or by EKS) are compared with the plan instead.
 *
 * An entry granted from an Identity Center permission set (source=identity-center) is different:
 * for that role the permission set's tags are meant to be the one source of access, and the tag
 * side re-creates the entry when Identity Center re-provisions the role (new role ID), which an
 * entry the migration creates would not survive. So such an entry stands for the row when it
 * grants exactly what the row plans — the migration leaves it to its owner, and the two never
 * fight — and is a conflict naming the permission set otherwise (see annotatePlan).
 */
export function ownershipConflict(actual: Pick<EntrySnapshot, 'tags' | 'principalArn'>): string | undefined {
  if (!isTagManaged(actual)) return undefined;
  const source = actual.tags[SOURCE_KEY];
  if (source === IDENTITY_CENTER_SOURCE) {
    const set = identityCenterRoleOfArn(actual.principalArn)?.permissionSetName ?? 'unknown';
    return (
      `the existing access entry is granted by the tags of Identity Center permission set ${set} (${SOURCE_KEY}=${IDENTITY_CENTER_SOURCE}) and differs from this row: ` +
      `align the permission set's access tags with what the row grants (or the row with the permission set), then re-run`
    );
  }
  return (
    `the existing access entry is owned by access tags (${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}, ${SOURCE_KEY}=${source}), ` +
    'so the tag provisioner would change or delete it when the tags change and the access aws-auth gives would go with it: ' +
    'remove the tags or delete the entry, then re-run'
  );
}

/**
 * The entry the migration would create for an Identity Center role is bound to the role's current
 * ID, and Identity Center re-creates the role when it re-provisions the permission set: that entry
 * would then stop working, and the tag side never adopts an entry a migration made. Said, not
 * blocked: the row works today and the entry works until then.
 */
function identityCenterWarning(permissionSet: string): string {
  return (
    `an Identity Center role (permission set ${permissionSet}): the entry this migration creates is bound to the role's current ID and stops working when ` +
    `Identity Center re-provisions the permission set; tag the permission set with the access this row grants (README, "Identity Center") so eks-access-pilot ` +
    'creates and keeps the entry, then plan again: an equal entry stands for the row'
  );
}

/** An entry owned by an Identity Center permission set that grants exactly what the row plans: it stands for the row. */
export function identityCenterStandsFor(actual: EntrySnapshot, differences: readonly string[]): boolean {
  return actual.tags[SOURCE_KEY] === IDENTITY_CENTER_SOURCE && isTagManaged(actual) && differences.length === 0;
}

const NODE_TYPES = new Set(['EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX', 'HYBRID_LINUX', 'EC2', 'HYPERPOD_LINUX']);

function scopeText(s: { type: string; namespaces?: string[] }): string {
  return s.type === 'namespace' ? `namespace ${[...(s.namespaces ?? [])].sort().join(',')}` : s.type;
}

/**
 * How an existing entry differs from the planned one; empty when they are equal.
 * Node and Fargate entries are compared by type only: EKS sets their username and groups itself
 * (`system:node:…`, `system:nodes`) and they take no access policies. For STANDARD entries the
 * username is compared only when the plan sets one (otherwise EKS chose it), groups as sets, and
 * access policies exactly (same ARNs, same scopes, nothing extra).
 */
export function entryDifferences(planned: PlannedEntry, actual: EntrySnapshot): string[] {
  const diffs: string[] = [];
  if (planned.type !== actual.type) {
    diffs.push(`type is ${actual.type}, planned ${planned.type}`);
    return diffs;
  }
  if (NODE_TYPES.has(actual.type)) return diffs;
  if (planned.username !== undefined && planned.username !== actual.username) {
    diffs.push(`username is ${JSON.stringify(actual.username ?? null)}, planned ${JSON.stringify(planned.username)}`);
  }
  const groups = planned.kubernetesGroups ?? [];
  if (!sameSet(groups, actual.kubernetesGroups)) {
    diffs.push(`groups are [${[...actual.kubernetesGroups].sort().join(', ')}], planned [${[...groups].sort().join(', ')}]`);
  }
  const want = new Map((planned.accessPolicies ?? []).map((p) => [p.policyArn, scopeText(p.accessScope)]));
  const have = new Map(actual.policies.map((p) => [p.policyArn, scopeText(p.accessScope)]));
  for (const [arn, scope] of want) {
    const got = have.get(arn);
    if (got === undefined) diffs.push(`policy ${arn} is not associated`);
    else if (got !== scope) diffs.push(`policy ${arn} has scope ${got}, planned ${scope}`);
  }
  for (const arn of have.keys()) if (!want.has(arn)) diffs.push(`policy ${arn} is associated but not planned`);
  return diffs;
}

/** Rows whose entries the workflow expects to exist after it ran: created by it, or by EKS. */
export function expectedRows<R extends { action: string }>(rows: readonly R[]): R[] {
  return rows.filter((r) => r.action === 'create' || r.action === 'eks-managed');
}

/**
 * Annotates each row of a conversion plan with the entry that already exists for its principal,
 * and counts what the workflow will do. An entry owned by access tags is a conflict even when it
 * equals the plan (see ownershipConflict).
 */
export function annotatePlan(plan: ConversionPlan, existing: readonly EntrySnapshot[]): { rows: PlanDocumentRow[]; summary: PlanSummary } {
  const byArn = new Map(existing.map((e) => [e.principalArn, e]));
  const rows: PlanDocumentRow[] = plan.rows.map((row) => {
    const actual = row.action === 'flag' ? undefined : byArn.get(row.principalArn);
    if (!actual) {
      const set = row.action === 'create' ? identityCenterRoleOfArn(row.principalArn)?.permissionSetName : undefined;
      return set === undefined ? { ...row, existing: 'none' as Existing } : { ...row, existing: 'none' as Existing, warnings: [...(row.warnings ?? []), identityCenterWarning(set)] };
    }
    const differences = entryDifferences(row.entry, actual);
    if (identityCenterStandsFor(actual, differences)) return { ...row, existing: 'equal' as Existing };
    const owned = ownershipConflict(actual);
    if (owned) return { ...row, existing: 'owned-by-tags' as Existing, differences: [owned, ...differences] };
    return differences.length ? { ...row, existing: 'different' as Existing, differences } : { ...row, existing: 'equal' as Existing };
  });
  const count = (f: (r: PlanDocumentRow) => boolean) => rows.filter(f).length;
  return {
    rows,
    summary: {
      valid: plan.valid,
      rows: rows.length,
      create: count((r) => r.action === 'create' && r.existing === 'none'),
      eksManaged: count((r) => r.action === 'eks-managed'),
      flagged: count((r) => r.action === 'flag'),
      alreadyPresent: count((r) => r.action !== 'flag' && r.existing === 'equal'),
      conflicts: count((r) => r.action !== 'flag' && (r.existing === 'different' || r.existing === 'owned-by-tags')),
      blockers: plan.blockers.length,
    },
  };
}

export interface Verification {
  verified: number;
  problems: string[];
}

/** Checks every expected row against the entries that exist now. */
export function verifyEntries(rows: readonly PlanDocumentRow[], actual: ReadonlyMap<string, EntrySnapshot>): Verification {
  const problems: string[] = [];
  let verified = 0;
  for (const row of expectedRows(rows)) {
    const entry = actual.get(row.principalArn);
    if (!entry) {
      const who = row.action === 'eks-managed' ? 'EKS was expected to create it (is the Fargate profile still there?)' : 'it was not created';
      problems.push(`${row.source} (${row.principalArn}): no access entry; ${who}`);
      continue;
    }
    const diffs = entryDifferences(row.entry, entry);
    if (diffs.length) problems.push(`${row.source} (${row.principalArn}): ${diffs.join('; ')}`);
    else verified += 1;
  }
  return { verified, problems };
}

/** Joins items into a message, keeping it under `max` characters (Fail `Cause` is at most 32,768). */
export function listWithin(items: readonly string[], max = 4000, more = (n: number) => `… and ${n} more`): string {
  const out: string[] = [];
  let length = 0;
  for (const [i, item] of items.entries()) {
    if (length + item.length > max) {
      out.push(more(items.length - i));
      break;
    }
    out.push(item);
    length += item.length + 2;
  }
  return out.join('; ');
}


/**
 * The IAM role or user behind a caller ARN: an assumed-role session
 * (`arn:…:sts::<account>:assumed-role/<role>/<session>`, what a Lambda function runs as) names its
 * role without the path, so it becomes `arn:…:iam::<account>:role/<role>` and is compared with
 * samePrincipal, which ignores paths. Anything else is returned as it is.
 */
function principalOfCaller(callerArn: string): string {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : callerArn;
}

/** AmazonEKSClusterAdminPolicy in the ARN's own partition (EKS user guide, "Review access policy permissions"). */
function isClusterAdminPolicy(arn: string): boolean {
  const partition = partitionOfArn(arn);
  return partition !== undefined && arn === accessPolicyArn(partition, 'AmazonEKSClusterAdminPolicy');
}

/** Whether an entry gives cluster admin by itself: STANDARD, AmazonEKSClusterAdminPolicy at cluster scope. */
function isClusterAdminEntry(entry: EntrySnapshot): boolean {
  return entry.type === 'STANDARD' && entry.policies.some((p) => isClusterAdminPolicy(p.policyArn) && p.accessScope.type === 'cluster');
}

/**
 * Break-glass before the one-way switch (docs/architecture.md, "The migration workflow" and
 * invariant 6; issue 10 item 8): once the cluster is in API mode aws-auth is ignored and the mode
 * cannot be changed back (EKS user guide, "Change authentication mode to use access entries"), so
 * access entries are then the only way in. Unless some principal other than the workflow's own
 * Kubernetes role keeps cluster admin through an entry — the creator's entry EKS made, a
 * protected principal's, a converted system:masters row — nobody could repair the cluster's
 * access afterwards. The workflow's own role does not count: on-call cannot use it by hand. Returns the blocker, or undefined when a break-glass exists.
 * `workflowCallerArn` is the tasks' caller ARN (STS GetCallerIdentity: an assumed-role session).
 */
export function breakGlassBlocker(entries: readonly EntrySnapshot[], workflowCallerArn: string): string | undefined {
  const workflow = principalOfCaller(workflowCallerArn);
  const admins = entries.filter((e) => isClusterAdminEntry(e) && !samePrincipal(e.principalArn, workflow) && e.principalArn !== workflowCallerArn);
  if (admins.length) return undefined;
  return (
    'no principal other than the workflow would keep cluster admin after the switch to API (no STANDARD access entry with AmazonEKSClusterAdminPolicy at cluster scope, ' +
    'and in API mode aws-auth is ignored and cannot be re-enabled): map a break-glass role with the group system:masters in aws-auth, ' +
    'or create an access entry for it with AmazonEKSClusterAdminPolicy at cluster scope, then start a new execution'
  );
}
