/**
 * Which managed clusters access tags may manage, by authentication mode. Pure.
 */
import type { Config } from '#kernel/config';

/**
 * Why access tags must not manage a cluster in this authentication mode, or undefined when they
 * may: always in API; in API_AND_CONFIG_MAP only when the cluster is opted in; never in
 * CONFIG_MAP (or when the mode is unknown: no access entries). In API_AND_CONFIG_MAP "access
 * entries take precedence over ConfigMap entries for the same IAM principal"
 * (https://docs.aws.amazon.com/eks/latest/userguide/migrating-access-entries.html), so an entry
 * granting `view` to a role that aws-auth maps to system:masters, or to a self-managed node
 * role, would silently replace that mapping.
 */
export function clusterUnmanagedReason(
  cluster: Pick<Config['clusters'][number], 'manageInApiAndConfigMap'>,
  authenticationMode: string | undefined,
): string | undefined {
  if (authenticationMode === 'API') return undefined;
  if (authenticationMode === 'API_AND_CONFIG_MAP') {
    if (cluster.manageInApiAndConfigMap) return undefined;
    return "authentication mode API_AND_CONFIG_MAP, aws-auth still in effect: an access entry would override the principal's aws-auth mapping; finish the migration to API, or opt the cluster in (manageInApiAndConfigMap)";
  }
  return `authentication mode ${authenticationMode ?? 'unknown'}: the cluster does not accept access entries; migrate it to API`;
}
