/**
 * EKS access entries of one managed cluster: read them into the domain's shape, and apply
 * the operations the domain planned. Error semantics (issue 2):
 *  - CreateAccessEntry → ResourceInUseException: the entry exists → EntryExistsError, so the
 *    caller re-reads and compares instead of failing;
 *  - DeleteAccessEntry / DisassociateAccessPolicy → ResourceNotFoundException: already done;
 *  - InvalidRequestException on an access-entry call: the cluster is still in CONFIG_MAP
 *    mode (access entries need API or API_AND_CONFIG_MAP) → ClusterNotReadyError, the
 *    caller skips the cluster and reports it.
 * The authentication mode itself comes from DescribeCluster, cached (see `authenticationMode`).
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DisassociateAccessPolicyCommand,
  InvalidRequestException,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateAccessEntryCommand,
  type AccessScope as SdkScope,
  type EKSClient,
} from '@aws-sdk/client-eks';
import type { AccessScope } from '#kernel/access-entry';
import { EksAccessPilotError } from '#kernel/errors';
import { ClusterNotReadyError } from '#access/domain/errors';
import { type ActualEntry, type Op } from '#access/domain/entries';
import { isTagManaged } from '#kernel/ownership';
import type { AssociatedPolicy } from '#kernel/access-entry';
import { eksClient } from '#platform/clients';

export interface ClusterRef {
  name: string;
  region: string;
  /** Access tags may manage the cluster in API_AND_CONFIG_MAP mode (configuration; default false). */
  manageInApiAndConfigMap?: boolean;
}

/** How long a cluster's authentication mode is reused before DescribeCluster is called again. */
export const AUTH_MODE_TTL_MS = 5 * 60_000;

export class EntryExistsError extends EksAccessPilotError {
  constructor(readonly principalArn: string, options?: { cause?: unknown }) {
    super(`an access entry for ${principalArn} already exists`, options);
    this.name = 'EntryExistsError';
  }
}

export interface EksEntries {
  readonly cluster: ClusterRef;
  /** The cluster's `accessConfig.authenticationMode` (undefined: none reported), cached for AUTH_MODE_TTL_MS. */
  authenticationMode(): Promise<string | undefined>;
  /** The entry with its policies (policies read only for entries this system owns), or null. */
  describe(principalArn: string): Promise<ActualEntry | null>;
  /** Every principal ARN with an entry on the cluster (all pages). */
  listPrincipalArns(): Promise<string[]>;
  apply(op: Op): Promise<void>;
}

function toScope(s: SdkScope | undefined): AccessScope {
  return s?.type === 'namespace' ? { type: 'namespace', namespaces: [...(s.namespaces ?? [])].sort() } : { type: 'cluster' };
}

function fromScope(s: AccessScope): SdkScope {
  return s.type === 'namespace' ? { type: 'namespace', namespaces: s.namespaces } : { type: 'cluster' };
}

export function eksEntries(
  cluster: ClusterRef,
  client: EKSClient = eksClient(cluster.region),
  now: () => number = Date.now,
): EksEntries {
  const clusterName = cluster.name;
  let mode: { value: Promise<string | undefined>; until: number } | undefined;

  /** Runs an access-entry call, mapping CONFIG_MAP mode to ClusterNotReadyError. */
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InvalidRequestException) {
        throw new ClusterNotReadyError(
          clusterName,
          `cluster ${clusterName} (${cluster.region}) does not accept access entries: ${e.message}`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async function policies(principalArn: string): Promise<AssociatedPolicy[]> {
    const out: AssociatedPolicy[] = [];
    let nextToken: string | undefined;
    do {
      const page = await call(() =>
        client.send(new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn, nextToken, maxResults: 100 })),
      );
      for (const p of page.associatedAccessPolicies ?? []) {
        if (p.policyArn) out.push({ policyArn: p.policyArn, accessScope: toScope(p.accessScope) });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
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
        const value = (async () => (await client.send(new DescribeClusterCommand({ name: clusterName }))).cluster?.accessConfig?.authenticationMode)();
        const entry = { value, until: now() + AUTH_MODE_TTL_MS };
        mode = entry;
        value.catch(() => {
          if (mode === entry) mode = undefined;
        });
      }
      return mode.value;
    },

    async describe(principalArn) {
      let entry;
      try {
        ({ accessEntry: entry } = await call(() => client.send(new DescribeAccessEntryCommand({ clusterName, principalArn }))));
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return null;
        throw e;
      }
      if (!entry) return null;
      const actual: ActualEntry = {
        principalArn: entry.principalArn ?? principalArn,
        type: entry.type ?? 'STANDARD',
        username: entry.username,
        kubernetesGroups: [...(entry.kubernetesGroups ?? [])].sort(),
        tags: { ...(entry.tags ?? {}) },
        policies: [],
      };
      // Entries the tag provisioner does not own are never changed: their policies are not worth a read.
      if (actual.type === 'STANDARD' && isTagManaged(actual)) actual.policies = await policies(actual.principalArn);
      return actual;
    },

    async listPrincipalArns() {
      const out: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await call(() => client.send(new ListAccessEntriesCommand({ clusterName, nextToken, maxResults: 100 })));
        out.push(...(page.accessEntries ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },

    async apply(op) {
      const { principalArn } = op;
      switch (op.op) {
        case 'create':
          try {
            await call(() =>
              client.send(
                new CreateAccessEntryCommand({
                  clusterName,
                  principalArn,
                  type: 'STANDARD',
                  kubernetesGroups: op.kubernetesGroups.length ? op.kubernetesGroups : undefined,
                  tags: op.tags,
                }),
              ),
            );
          } catch (e) {
            if (e instanceof ResourceInUseException) throw new EntryExistsError(principalArn, { cause: e });
            throw e;
          }
          return;
        case 'update':
          await call(() => client.send(new UpdateAccessEntryCommand({ clusterName, principalArn, kubernetesGroups: op.kubernetesGroups })));
          return;
        case 'associate':
          await call(() =>
            client.send(
              new AssociateAccessPolicyCommand({ clusterName, principalArn, policyArn: op.policyArn, accessScope: fromScope(op.scope) }),
            ),
          );
          return;
        case 'disassociate':
          try {
            await call(() => client.send(new DisassociateAccessPolicyCommand({ clusterName, principalArn, policyArn: op.policyArn })));
          } catch (e) {
            if (!(e instanceof ResourceNotFoundException)) throw e;
          }
          return;
        case 'delete':
          try {
            await call(() => client.send(new DeleteAccessEntryCommand({ clusterName, principalArn })));
          } catch (e) {
            if (!(e instanceof ResourceNotFoundException)) throw e;
          }
          return;
      }
    },
  };
}
