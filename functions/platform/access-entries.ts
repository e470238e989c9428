/**
 * The one adapter for a cluster's EKS access entries, used by the tag side and the migration
 * alike: every list goes through the SDK's paginators, every entry comes back in the kernel's
 * `AccessEntry` shape, and the API's errors mean one thing each:
 *  - CreateAccessEntry → ResourceInUseException: an entry exists → EntryExistsError, so the
 *    caller re-reads and compares instead of failing;
 *  - DescribeAccessEntry → ResourceNotFoundException: no entry (null);
 *  - DeleteAccessEntry / DisassociateAccessPolicy → ResourceNotFoundException: already done
 *    (false);
 *  - anything else (InvalidRequestException on a CONFIG_MAP cluster among them) is the caller's
 *    to interpret.
 * (EKS API reference: the Errors section of each operation; the SDK's model lists the same.)
 * Throttling is retried by the client (platform/clients.ts, RETRY: standard mode, 8 attempts).
 */
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DisassociateAccessPolicyCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  paginateListAccessEntries,
  paginateListAssociatedAccessPolicies,
  type AccessScope as SdkScope,
  type EKSClient,
} from '@aws-sdk/client-eks';
import pLimit from 'p-limit';
import type { AccessEntry, AccessScope, AssociatedPolicy } from '#kernel/access-entry';
import { EksAccessPilotError } from '#kernel/errors';

/** Parallel EKS reads of one `readAll`: well under EKS's per-account request rate. */
const READ_CONCURRENCY = 4;
/** The largest page each list operation accepts (EKS API reference, `maxResults`: 1–100). */
const PAGE_SIZE = 100;

export class EntryExistsError extends EksAccessPilotError {
  constructor(readonly principalArn: string, options?: { cause?: unknown }) {
    super(`an access entry for ${principalArn} already exists`, options);
    this.name = 'EntryExistsError';
  }
}

export interface NewAccessEntry {
  principalArn: string;
  /** STANDARD unless given; node and Fargate types take no username or groups (EKS sets them). */
  type?: string;
  username?: string;
  kubernetesGroups?: readonly string[];
  tags: Record<string, string>;
}

export interface DescribeOptions {
  /**
   * Whether to read the entry's associated policies (only ever for STANDARD entries: EKS refuses
   * ListAssociatedAccessPolicies on other types with InvalidParameterException, "This operation
   * can only be performed on Access Entries with a type of "STANDARD"." (HTTP 400, seen in
   * aws-controllers-k8s/community#2144); node and Fargate entries take no access policies).
   * Default: every STANDARD entry.
   */
  policies?: (entry: AccessEntry) => boolean;
}

export interface AccessEntries {
  readonly clusterName: string;
  /** Every principal ARN with an entry on the cluster (all pages). */
  listPrincipalArns(): Promise<string[]>;
  /** The entry, with its policies as `options` says; null when there is none. */
  describe(principalArn: string, options?: DescribeOptions): Promise<AccessEntry | null>;
  /** Every entry with its policies, sorted by principal ARN. */
  readAll(options?: DescribeOptions): Promise<AccessEntry[]>;
  /** Creates the entry (no policies). EntryExistsError when one exists. */
  create(entry: NewAccessEntry): Promise<void>;
  /** Associates a policy; associating one already associated replaces its scope. */
  associate(principalArn: string, policy: AssociatedPolicy): Promise<void>;
  /** Disassociates a policy; false when it was not associated. */
  disassociate(principalArn: string, policyArn: string): Promise<boolean>;
  /** Deletes the entry and its associations; false when there was none. */
  remove(principalArn: string): Promise<boolean>;
}

function toScope(s: SdkScope | undefined): AccessScope {
  return s?.type === 'namespace' ? { type: 'namespace', namespaces: [...(s.namespaces ?? [])].sort() } : { type: 'cluster' };
}

function fromScope(s: AccessScope): SdkScope {
  return s.type === 'namespace' ? { type: 'namespace', namespaces: s.namespaces } : { type: 'cluster' };
}

async function ignoreNotFound(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return false;
    throw e;
  }
}

export function accessEntries(client: EKSClient, clusterName: string): AccessEntries {
  async function policies(principalArn: string): Promise<AssociatedPolicy[]> {
    const out: AssociatedPolicy[] = [];
    for await (const page of paginateListAssociatedAccessPolicies({ client, pageSize: PAGE_SIZE }, { clusterName, principalArn })) {
      for (const p of page.associatedAccessPolicies ?? []) {
        if (p.policyArn) out.push({ policyArn: p.policyArn, accessScope: toScope(p.accessScope) });
      }
    }
    return out.sort((a, b) => a.policyArn.localeCompare(b.policyArn));
  }

  const api: AccessEntries = {
    clusterName,

    async listPrincipalArns() {
      const out: string[] = [];
      for await (const page of paginateListAccessEntries({ client, pageSize: PAGE_SIZE }, { clusterName })) out.push(...(page.accessEntries ?? []));
      return out;
    },

    async describe(principalArn, options = {}) {
      let e;
      try {
        ({ accessEntry: e } = await client.send(new DescribeAccessEntryCommand({ clusterName, principalArn })));
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return null;
        throw err;
      }
      if (!e) return null;
      const entry: AccessEntry = {
        principalArn: e.principalArn ?? principalArn,
        type: e.type ?? 'STANDARD',
        kubernetesGroups: [...(e.kubernetesGroups ?? [])].sort(),
        tags: { ...(e.tags ?? {}) },
        policies: [],
      };
      if (e.username !== undefined) entry.username = e.username;
      const wanted = options.policies ?? (() => true);
      if (entry.type === 'STANDARD' && wanted(entry)) entry.policies = await policies(entry.principalArn);
      return entry;
    },

    async readAll(options) {
      const limit = pLimit(READ_CONCURRENCY);
      const arns = await api.listPrincipalArns();
      const entries = await Promise.all(arns.map((arn) => limit(() => api.describe(arn, options))));
      return entries.filter((e): e is AccessEntry => e !== null).sort((a, b) => a.principalArn.localeCompare(b.principalArn));
    },

    async create({ principalArn, type = 'STANDARD', username, kubernetesGroups, tags }) {
      const standard = type === 'STANDARD';
      try {
        await client.send(
          new CreateAccessEntryCommand({
            clusterName,
            principalArn,
            type,
            username: standard ? username : undefined,
            kubernetesGroups: standard && kubernetesGroups?.length ? [...kubernetesGroups] : undefined,
            tags,
          }),
        );
      } catch (e) {
        if (e instanceof ResourceInUseException) throw new EntryExistsError(principalArn, { cause: e });
        throw e;
      }
    },

    async associate(principalArn, { policyArn, accessScope }) {
      await client.send(new AssociateAccessPolicyCommand({ clusterName, principalArn, policyArn, accessScope: fromScope(accessScope) }));
    },

    disassociate(principalArn, policyArn) {
      return ignoreNotFound(() => client.send(new DisassociateAccessPolicyCommand({ clusterName, principalArn, policyArn })));
    },

    remove(principalArn) {
      return ignoreNotFound(() => client.send(new DeleteAccessEntryCommand({ clusterName, principalArn })));
    },
  };
  return api;
}
