/**
 * The EKS quota this system plans around: access entries per cluster. Pure.
 *
 * The tag side refuses a new grant once a cluster is at the configured headroom
 * (`accessEntryHeadroomPercent`, access/reconcile.ts); the migration's plan is blocked when
 * aws-auth's rows would take the cluster past the quota itself (migration/domain/quota.ts); the
 * access report prints how much of it a cluster uses.
 */

/**
 * Access entries per cluster: "Each supported Region: 3,000", adjustable: "No" (AWS General
 * Reference, "Amazon Elastic Kubernetes Service endpoints and quotas", Service quotas,
 * https://docs.aws.amazon.com/general/latest/gr/eks.html#limits_eks; "The maximum number of
 * access entries per cluster"). Past it EKS refuses CreateAccessEntry; the SDK's model lists
 * ResourceLimitExceededException ("You have encountered a service limit on the specified
 * resource", HTTP 400) among that operation's errors.
 *
 * Every entry counts, whoever made it: the quota names no exception, and the entries EKS creates
 * itself (node groups' EC2_LINUX/EC2_WINDOWS, Fargate profiles' FARGATE_LINUX, the cluster
 * creator's) are access entries that ListAccessEntries returns like any other. That they count
 * is not stated by AWS in so many words (unverified): counting them is the side that cannot
 * overrun the quota.
 */
export const ACCESS_ENTRIES_PER_CLUSTER = 3000;

/** The default share of the quota the tag side fills before it refuses new grants. */
export const DEFAULT_ACCESS_ENTRY_HEADROOM_PERCENT = 95;

/**
 * The number of entries a cluster may hold before the tag side refuses to create another:
 * floor(3,000 × percent / 100), 2,850 at the default 95 %.
 */
export function accessEntryLimit(headroomPercent: number): number {
  return Math.floor((ACCESS_ENTRIES_PER_CLUSTER * headroomPercent) / 100);
}

/** How much of the quota a cluster uses, as the access report shows it. */
export interface AccessEntryUsage {
  used: number;
  /** 3,000: EKS's quota. */
  quota: number;
  headroomPercent: number;
  /** accessEntryLimit(headroomPercent): past it the tag side creates no new entry. */
  limit: number;
  /** `used` has reached `limit`: a new grant on this cluster is refused. */
  atHeadroom: boolean;
}

export function accessEntryUsage(used: number, headroomPercent: number = DEFAULT_ACCESS_ENTRY_HEADROOM_PERCENT): AccessEntryUsage {
  const limit = accessEntryLimit(headroomPercent);
  return { used, quota: ACCESS_ENTRIES_PER_CLUSTER, headroomPercent, limit, atHeadroom: used >= limit };
}
