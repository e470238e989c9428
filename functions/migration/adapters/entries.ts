/**
 * A cluster's access entries as the migration sees them — every entry, whoever owns it, with
 * its tags and associated policies — for the backup, the plan, creation, verification and the
 * rollback. Unlike `eksEntries` (the provisioner's view, which reads policies only for entries
 * it owns), the backup must record everything as it was.
 *
 * Error semantics: DescribeAccessEntry/ListAssociatedAccessPolicies → ResourceNotFoundException
 * means the entry is gone (null); CreateAccessEntry → ResourceInUseException means one exists
 * (EntryExistsError, the caller compares); DeleteAccessEntry → ResourceNotFoundException means
 * already deleted. Throttling is retried by the SDK client (clients.ts, adaptive mode).
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type EKSClient,
} from '@aws-sdk/client-eks';
import pLimit from 'p-limit';
import type { PlannedEntry } from '#migration/domain/conversion';
import type { EntrySnapshot } from '#workflows/contract';
import { EntryExistsError } from '#access/adapters/entries';

/** Parallel EKS calls per handler: well under EKS's per-account request rate. */
const CONCURRENCY = 4;

export interface ClusterEntries {
  listPrincipalArns(): Promise<string[]>;
  describe(principalArn: string): Promise<EntrySnapshot | null>;
  /** Every entry with tags and policies. */
  readAll(): Promise<EntrySnapshot[]>;
  /** Creates the entry with tags, then associates its policies. EntryExistsError when one exists. */
  create(principalArn: string, planned: PlannedEntry, tags: Record<string, string>): Promise<void>;
  /** Associates a policy (replacing the scope of one already associated). */
  associate(principalArn: string, policy: NonNullable<PlannedEntry['accessPolicies']>[number]): Promise<void>;
  /** Deletes the entry and its associations; true when it existed. */
  remove(principalArn: string): Promise<boolean>;
}

export function clusterEntries(client: EKSClient, clusterName: string): ClusterEntries {
  const limit = pLimit(CONCURRENCY);

  async function policies(principalArn: string): Promise<EntrySnapshot['policies']> {
    const out: EntrySnapshot['policies'] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn, nextToken, maxResults: 100 }));
      for (const p of page.associatedAccessPolicies ?? []) {
        if (!p.policyArn) continue;
        const scope = p.accessScope?.type === 'namespace'
          ? { type: 'namespace' as const, namespaces: [...(p.accessScope.namespaces ?? [])].sort() }
          : { type: 'cluster' as const };
        out.push({ policyArn: p.policyArn, accessScope: scope });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return out.sort((a, b) => a.policyArn.localeCompare(b.policyArn));
  }

  const api: ClusterEntries = {
    async listPrincipalArns() {
      const out: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListAccessEntriesCommand({ clusterName, nextToken, maxResults: 100 }));
        out.push(...(page.accessEntries ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    },

    async describe(principalArn) {
      try {
        const { accessEntry: e } = await client.send(new DescribeAccessEntryCommand({ clusterName, principalArn }));
        if (!e) return null;
        const snapshot: EntrySnapshot = {
          principalArn: e.principalArn ?? principalArn,
          type: e.type ?? 'STANDARD',
          kubernetesGroups: [...(e.kubernetesGroups ?? [])].sort(),
          tags: { ...(e.tags ?? {}) },
          policies: await policies(principalArn),
        };
        if (e.username !== undefined) snapshot.username = e.username;
        return snapshot;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return null;
        throw err;
      }
    },

    async readAll() {
      const arns = await api.listPrincipalArns();
      const entries = await Promise.all(arns.map((arn) => limit(() => api.describe(arn))));
      return entries.filter((e): e is EntrySnapshot => e !== null).sort((a, b) => a.principalArn.localeCompare(b.principalArn));
    },

    async create(principalArn, planned, tags) {
      const standard = planned.type === 'STANDARD';
      try {
        await client.send(
          new CreateAccessEntryCommand({
            clusterName,
            principalArn,
            type: planned.type,
            // Node and Fargate entries take no username or groups: EKS sets them.
            username: standard ? planned.username : undefined,
            kubernetesGroups: standard && planned.kubernetesGroups?.length ? planned.kubernetesGroups : undefined,
            tags,
          }),
        );
      } catch (e) {
        if (e instanceof ResourceInUseException) throw new EntryExistsError(principalArn, { cause: e });
        throw e;
      }
      for (const p of planned.accessPolicies ?? []) await api.associate(principalArn, p);
    },

    async associate(principalArn, p) {
      await client.send(
        new AssociateAccessPolicyCommand({
          clusterName,
          principalArn,
          policyArn: p.policyArn,
          accessScope: p.accessScope.type === 'namespace' ? { type: 'namespace', namespaces: p.accessScope.namespaces ?? [] } : { type: 'cluster' },
        }),
      );
    },

    async remove(principalArn) {
      try {
        await client.send(new DeleteAccessEntryCommand({ clusterName, principalArn }));
        return true;
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return false;
        throw e;
      }
    },
  };
  return api;
}

/** Runs `fn` over items with the adapter's concurrency. */
export function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(CONCURRENCY);
  return Promise.all(items.map((i) => limit(() => fn(i))));
}
