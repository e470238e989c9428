/**
 * An EKS access entry as both features read it (DescribeAccessEntry plus
 * ListAssociatedAccessPolicies): the one shape the platform adapter returns, the tag side plans
 * against and the migration backs up. Pure.
 */
export type AccessScope = { type: 'cluster' } | { type: 'namespace'; namespaces: string[] };

export interface AssociatedPolicy {
  policyArn: string;
  accessScope: AccessScope;
}

export interface AccessEntry {
  principalArn: string;
  /** STANDARD, or a node type EKS manages (EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, …). */
  type: string;
  username?: string;
  /** Sorted. */
  kubernetesGroups: string[];
  tags: Record<string, string>;
  /** Sorted by policy ARN; namespaces sorted. Empty for entries whose policies were not read. */
  policies: AssociatedPolicy[];
}

/** Same members, whatever the order and repetition. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Same scope type, and for namespaces the same set. */
export function sameScope(a: { type: string; namespaces?: readonly string[] }, b: { type: string; namespaces?: readonly string[] }): boolean {
  if (a.type !== b.type) return false;
  return a.type !== 'namespace' || sameSet(a.namespaces ?? [], b.namespaces ?? []);
}
