/**
 * Whether a conversion fits EKS's access-entry quota (3,000 per cluster, not adjustable:
 * kernel/quotas.ts, with its source). Pure.
 */
import { ACCESS_ENTRIES_PER_CLUSTER } from '#kernel/quotas';
import { expectedRows } from './entries.ts';

/**
 * The blocker when the cluster would hold more access entries than EKS allows once the plan is
 * carried out, or undefined when it fits. The cluster then holds every existing entry (the
 * backup's) and every entry a row expects (`create`: this workflow makes it; `eks-managed`: EKS
 * makes it for a node group or Fargate profile on the switch), counted once per principal ARN.
 * ARNs are compared exactly as written, as `annotatePlan` finds a row's existing entry: the
 * plan's ARNs are IAM's own (resolved through GetRole/GetUser, path and case included), as are
 * the entries' (EKS takes a principal only by its exact ARN). Whether EKS would also match an
 * ARN that differs only in case is not documented; counting such a row as new errs on the high
 * side. Flagged rows create nothing and do not count.
 *
 * Past the quota the workflow's CreateAccessEntry calls would fail halfway
 * (ResourceLimitExceededException) after the switch to API_AND_CONFIG_MAP: the plan stops the
 * run before anything changes instead.
 */
export function accessEntryQuotaBlocker(
  rows: ReadonlyArray<{ action: string; principalArn: string }>,
  existing: ReadonlyArray<{ principalArn: string }>,
  quota: number = ACCESS_ENTRIES_PER_CLUSTER,
): string | undefined {
  const have = new Set(existing.map((e) => e.principalArn));
  const added = new Set(expectedRows(rows).map((r) => r.principalArn).filter((arn) => !have.has(arn)));
  const total = have.size + added.size;
  if (total <= quota) return undefined;
  return (
    `the cluster would hold ${total} access entries (${have.size} existing + ${added.size} from this plan), ` +
    `more than the ${quota} EKS allows per cluster (a quota that cannot be raised): ` +
    `remove at least ${total - quota} (unused aws-auth rows, or existing access entries), then start a new execution`
  );
}
