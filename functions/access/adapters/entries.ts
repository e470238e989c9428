/**
 * One managed cluster as the tag side sees it: its authentication mode (cached), its entries
 * (policies read only for entries the tag side owns: the others are never changed, so their
 * policies are not worth a read), and the operations the domain planned, applied through the one
 * access-entries adapter (platform/access-entries.ts).
 *
 * InvalidRequestException on an access-entry call means the cluster does not accept access
 * entries (CONFIG_MAP mode: entries need API or API_AND_CONFIG_MAP, EKS User Guide, "Change
 * authentication mode to use access entries") → ClusterNotReadyError: the caller skips the
 * cluster and reports it.
 */
import { InvalidRequestException, type EKSClient } from '@aws-sdk/client-eks';
import { isTagManaged } from '#kernel/ownership';
import { accessEntries } from '#platform/access-entries';
import { eksClient } from '#platform/clients';
import { describeCluster } from '#platform/clusters';
import { ClusterNotReadyError } from '#access/domain/errors';
import type { ActualEntry, Op } from '#access/domain/entries';

export interface ClusterRef {
  name: string;
  region: string;
  /** Access tags may manage the cluster in API_AND_CONFIG_MAP mode (configuration; default false). */
  manageInApiAndConfigMap?: boolean;
}

/** How long a cluster's authentication mode is reused before DescribeCluster is called again. */
export const AUTH_MODE_TTL_MS = 5 * 60_000;

export interface EksEntries {
  readonly cluster: ClusterRef;
  /** The cluster's authentication mode (DescribeCluster), cached for AUTH_MODE_TTL_MS. */
  authenticationMode(): Promise<string>;
  /** The entry with its policies (policies read only for entries this side owns), or null. */
  describe(principalArn: string): Promise<ActualEntry | null>;
  /** Every principal ARN with an entry on the cluster (all pages). */
  listPrincipalArns(): Promise<string[]>;
  apply(op: Op): Promise<void>;
}

export function eksEntries(
  cluster: ClusterRef,
  client: EKSClient = eksClient(cluster.region),
  now: () => number = Date.now,
): EksEntries {
  const entries = accessEntries(client, cluster.name);
  let mode: { value: Promise<string>; until: number } | undefined;

  /** Runs an access-entry call, mapping "this cluster takes no access entries" to ClusterNotReadyError. */
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InvalidRequestException) {
        throw new ClusterNotReadyError(
          cluster.name,
          `cluster ${cluster.name} (${cluster.region}) does not accept access entries: ${e.message}`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  return {
    cluster,

    authenticationMode() {
      // Reusing the mode for a few minutes keeps a warm event at 1 IAM + 2 EKS reads per
      // cluster. It is safe because the mode only ever moves forward (CONFIG_MAP →
      // API_AND_CONFIG_MAP → API; EKS refuses the way back), so a stale value is an earlier
      // mode and errs on the side of skipping the cluster, which the next event or resync
      // after expiry repairs. (The one exception, a cluster deleted and re-created under the
      // same name in an earlier mode, is bounded by the TTL.) Failures are not cached.
      if (!mode || now() >= mode.until) {
        const value = (async () => (await describeCluster(client, cluster.name)).authenticationMode)();
        const entry = { value, until: now() + AUTH_MODE_TTL_MS };
        mode = entry;
        value.catch(() => {
          if (mode === entry) mode = undefined;
        });
      }
      return mode.value;
    },

    describe: (principalArn) => call(() => entries.describe(principalArn, { policies: isTagManaged })),

    listPrincipalArns: () => call(() => entries.listPrincipalArns()),

    async apply(op) {
      const { principalArn } = op;
      switch (op.op) {
        case 'create':
          return call(() => entries.create({ principalArn, kubernetesGroups: op.kubernetesGroups, tags: op.tags, ...(op.username !== undefined ? { username: op.username } : {}) }));
        case 'associate':
          return call(() => entries.associate(principalArn, { policyArn: op.policyArn, accessScope: op.scope }));
        case 'disassociate':
          await call(() => entries.disassociate(principalArn, op.policyArn));
          return;
        case 'delete':
          await call(() => entries.remove(principalArn));
          return;
      }
    },
  };
}
