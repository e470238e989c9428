/**
 * EKS clusters: the one place DescribeCluster is sent and its answer read, for the tag side (the
 * authentication mode), the migration (status, versions, endpoint, CA, mode) and the CLI.
 */
import { DescribeClusterCommand, ResourceNotFoundException, type EKSClient } from '@aws-sdk/client-eks';
import { DEFAULT_AUTH_MODE } from '#kernel/auth-mode';
import { EksAccessPilotError } from '#kernel/errors';

export class ClusterNotFoundError extends EksAccessPilotError {
  constructor(readonly clusterName: string, readonly region: string, options?: { cause?: unknown }) {
    super(`cluster ${clusterName} (${region}) does not exist`, options);
    this.name = 'ClusterNotFoundError';
  }
}

export interface ClusterDescription {
  name: string;
  arn: string;
  /** CREATING, ACTIVE, UPDATING, DELETING, FAILED, PENDING (EKS API reference, Cluster.status). */
  status: string;
  version: string;
  platformVersion: string;
  /** The Kubernetes API server's URL; empty while the cluster is being created. */
  endpoint: string;
  /** Base64 PEM of the cluster's certificate authority. */
  caData: string;
  /** As reported; DEFAULT_AUTH_MODE when DescribeCluster reports none. May be a mode this code does not know. */
  authenticationMode: string;
  bootstrapClusterCreatorAdminPermissions?: boolean;
}

/** The cluster; ClusterNotFoundError when it does not exist (ResourceNotFoundException). */
export async function describeCluster(client: EKSClient, name: string): Promise<ClusterDescription> {
  const region = await client.config.region();
  let cluster;
  try {
    ({ cluster } = await client.send(new DescribeClusterCommand({ name })));
  } catch (e) {
    if (e instanceof ResourceNotFoundException) throw new ClusterNotFoundError(name, region, { cause: e });
    throw e;
  }
  if (!cluster) throw new ClusterNotFoundError(name, region);
  const out: ClusterDescription = {
    name: cluster.name ?? name,
    arn: cluster.arn ?? '',
    status: cluster.status ?? 'UNKNOWN',
    version: cluster.version ?? '',
    platformVersion: cluster.platformVersion ?? '',
    endpoint: cluster.endpoint ?? '',
    caData: cluster.certificateAuthority?.data ?? '',
    authenticationMode: cluster.accessConfig?.authenticationMode ?? DEFAULT_AUTH_MODE,
  };
  const bootstrap = cluster.accessConfig?.bootstrapClusterCreatorAdminPermissions;
  if (bootstrap !== undefined) out.bootstrapClusterCreatorAdminPermissions = bootstrap;
  return out;
}
