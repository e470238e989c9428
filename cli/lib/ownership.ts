/**
 * Who owns an access entry, in the words of the ownership rules the functions enforce
 * (functions/access/domain/entries.ts): an entry is this system's when it carries the tag
 * `managed-by=eks-access-pilot` (`isManaged`, the same test `entryHandsOff` applies); node and
 * Fargate types are EKS's; everything else was made by someone else. Pure.
 */
import { principalHandsOff } from '#access/domain/entries';
import { IDENTITY_CENTER_SOURCE, identityCenterRoleOfArn } from '#kernel/identity-center';
import { PRINCIPAL_ID_KEY, SOURCE_KEY, isManaged } from '#kernel/ownership';
import { samePrincipal } from '#kernel/principal';
import type { EntrySnapshot } from '#workflows/contract';

export type Owner = 'eks-access-pilot' | 'eks' | 'other';

export interface Ownership {
  owner: Owner;
  /** For this system's entries: `tag`, `identity-center` or `migration/<execution>` (eks-access-pilot/source). */
  source?: string;
  /** For this system's entries: the IAM unique ID the entry was made for. */
  principalId?: string;
  /**
   * For an entry granted from a permission set's tags (source `identity-center`): the permission
   * set, read from the role's name (`AWSReservedSSO_<permission set>_<suffix>`).
   */
  permissionSet?: string;
  note?: string;
}

export interface OwnershipContext {
  /** Principals known to have created the cluster (`--creator`): EKS made their entry. */
  creatorArns: readonly string[];
  /** DescribeCluster accessConfig.bootstrapClusterCreatorAdminPermissions. */
  creatorBootstrapped: boolean;
}

const CLUSTER_ADMIN = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/**
 * EKS gives the cluster creator (when bootstrapClusterCreatorAdminPermissions is true) an
 * untagged STANDARD entry with only AmazonEKSClusterAdminPolicy at cluster scope and no groups.
 * The API does not say who the creator was, so such an entry is only a candidate.
 */
function looksLikeCreator(e: EntrySnapshot): boolean {
  return (
    e.type === 'STANDARD' &&
    Object.keys(e.tags).length === 0 &&
    e.kubernetesGroups.length === 0 &&
    e.policies.length === 1 &&
    e.policies[0]!.policyArn === CLUSTER_ADMIN &&
    e.policies[0]!.accessScope.type === 'cluster'
  );
}

export function entryOwnership(e: EntrySnapshot, ctx: OwnershipContext): Ownership {
  if (isManaged(e)) {
    const source = e.tags[SOURCE_KEY] ?? '(no source tag)';
    const permissionSet = source === IDENTITY_CENTER_SOURCE ? identityCenterRoleOfArn(e.principalArn)?.permissionSetName : undefined;
    return {
      owner: 'eks-access-pilot',
      source,
      ...(e.tags[PRINCIPAL_ID_KEY] ? { principalId: e.tags[PRINCIPAL_ID_KEY] } : {}),
      ...(permissionSet ? { permissionSet } : {}),
    };
  }
  // The same line entryHandsOff draws: every type but STANDARD is a node or Fargate entry.
  if (e.type !== 'STANDARD') return { owner: 'eks', note: `${e.type} entry: nodes or Fargate pods use it` };
  if (ctx.creatorArns.some((arn) => samePrincipal(arn, e.principalArn))) return { owner: 'eks', note: 'cluster creator' };
  if (principalHandsOff(e.principalArn, { protectedPrincipalArns: [], systemRoleArns: [] }) === 'service-linked role') {
    return { owner: 'other', note: 'service-linked role of an AWS service' };
  }
  if (ctx.creatorBootstrapped && looksLikeCreator(e)) {
    return { owner: 'other', note: 'possibly the cluster creator (untagged, cluster admin only); confirm with --creator ARN' };
  }
  return { owner: 'other' };
}

/**
 * The owner as a person reads it: `eks-access-pilot (tag)`, `eks-access-pilot (identity-center:
 * PlatformReadOnly)`, `eks-access-pilot (migration/<execution>)`, `eks (cluster creator)`, `other`.
 */
export function ownerText(o: Ownership): string {
  if (o.owner === 'eks-access-pilot') return `eks-access-pilot (${o.source}${o.permissionSet ? `: ${o.permissionSet}` : ''})`;
  return o.note ? `${o.owner} (${o.note})` : o.owner;
}
