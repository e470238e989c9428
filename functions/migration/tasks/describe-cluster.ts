/**
 * Task "Describe cluster": whether the migration can start, and what the later states need.
 *  - DescribeCluster: status ACTIVE (UPDATING means an update is in progress: EKS allows one at
 *    a time), versions that support access entries, the current authentication mode;
 *  - already at the target → `alreadyAtTarget`, nothing else is checked;
 *  - a target behind the current mode is refused (the mode is one-way);
 *  - the workflow must be able to read aws-auth through the Kubernetes API. In CONFIG_MAP mode
 *    that works only if its role is mapped in aws-auth or created the cluster; when it cannot,
 *    the error quotes the exact mapRoles row (and RBAC) to add.
 */
import { isAuthMode } from '#kernel/auth-mode';
import { ClusterNotFoundError, describeCluster } from '#platform/clusters';
import { ClusterNotEligibleError } from '#migration/domain/errors';
import { accessEntriesUnsupported, remainingModeSteps } from '#migration/domain/modes';
import { AwsAuthUnreadableError } from '#migration/domain/errors';
import { ClusterInfoSchema, RunSchema, type ClusterInfo } from '#workflows/contract';
import { KubernetesAccessError } from '#migration/adapters/aws-auth-store';
import { instrument, logger } from '#platform/powertools';
import { kubernetesTarget, parseState } from './common.ts';
import { withKubernetes } from '#migration/kubernetes-ports';
import { productionPorts, type MigrationPorts } from '#migration/ports';
import * as z from 'zod';

/** Kubernetes group and RBAC objects an operator creates for the workflow (README, Operator section). */
export const WORKFLOW_GROUP = 'eks-access-pilot-aws-auth';
export const WORKFLOW_USERNAME = 'eks-access-pilot-migration';

/**
 * The aws-auth row that lets the workflow in. aws-auth matches roles on the ARN without its path
 * (the authenticator canonicalises an assumed-role session to `arn:…:role/<name>`), so the path
 * is left out on purpose.
 */
export function accessRowFor(callerArn: string): string {
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  const rbac =
    `and give that group read/update on aws-auth: kubectl -n kube-system create role ${WORKFLOW_GROUP} --verb=get,update --resource=configmaps --resource-name=aws-auth; ` +
    `kubectl -n kube-system create rolebinding ${WORKFLOW_GROUP} --role=${WORKFLOW_GROUP} --group=${WORKFLOW_GROUP}`;
  if (session) {
    const [, partition, account, role] = session;
    return `add this row to mapRoles in the aws-auth ConfigMap (kube-system): "- rolearn: arn:${partition}:iam::${account}:role/${role}\\n  username: ${WORKFLOW_USERNAME}\\n  groups:\\n    - ${WORKFLOW_GROUP}" ${rbac}`;
  }
  return `add this row to mapUsers in the aws-auth ConfigMap (kube-system): "- userarn: ${callerArn}\\n  username: ${WORKFLOW_USERNAME}\\n  groups:\\n    - ${WORKFLOW_GROUP}" ${rbac}`;
}

const EventSchema = z.object({ run: RunSchema });

export function makeDescribeCluster(ports: MigrationPorts) {
  return async function describeClusterTask(event: unknown): Promise<ClusterInfo> {
    const { run } = parseState(EventSchema, event, 'Describe cluster');
    const where = `cluster ${run.clusterName} (${run.region})`;
    let cluster;
    try {
      cluster = await describeCluster(ports.eks(run.region), run.clusterName);
    } catch (e) {
      if (e instanceof ClusterNotFoundError) throw new ClusterNotEligibleError(`${where} does not exist`, { cause: e });
      throw e;
    }
    const mode = cluster.authenticationMode;
    if (!isAuthMode(mode)) throw new ClusterNotEligibleError(`${where} reports an unknown authentication mode ${mode}`);
    const info: ClusterInfo = ClusterInfoSchema.parse({
      arn: cluster.arn,
      mode,
      alreadyAtTarget: mode === run.targetMode,
      endpoint: cluster.endpoint,
      caData: cluster.caData,
      version: cluster.version,
      platformVersion: cluster.platformVersion,
    });
    logger.info('cluster described', { cluster: run.clusterName, mode: info.mode, status: cluster.status, targetMode: run.targetMode });
    if (info.alreadyAtTarget) return info;

    remainingModeSteps(info.mode, run.targetMode);
    if (cluster.status !== 'ACTIVE') {
      throw new ClusterNotEligibleError(
        `${where} is ${cluster.status}, not ACTIVE${cluster.status === 'UPDATING' ? ': an update is in progress and EKS runs one at a time; start again when it has finished' : ''}`,
      );
    }
    const unsupported = accessEntriesUnsupported(info.version, info.platformVersion);
    if (unsupported) throw new ClusterNotEligibleError(`${where}: ${unsupported}`);
    if (!info.endpoint || !info.caData) throw new ClusterNotEligibleError(`${where} reports no API endpoint or certificate authority`);

    try {
      const store = await ports.awsAuth(kubernetesTarget(run, info));
      await store.read();
    } catch (e) {
      if (!(e instanceof KubernetesAccessError)) throw e;
      const caller = await ports.callerArn();
      throw new AwsAuthUnreadableError(
        `the workflow (${caller}) cannot read aws-auth on ${where}: ${e.message}. In ${info.mode} mode the Kubernetes API admits it only if it is mapped in aws-auth or created the cluster: ${accessRowFor(caller)}. Then start the migration again; nothing was changed.`,
        { cause: e },
      );
    }
    return info;
  };
}

export const handler = instrument(makeDescribeCluster(withKubernetes(productionPorts)), { metrics: false });
