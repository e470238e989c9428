// Stateful model of the EKS control-plane API the system uses: clusters (seeded, not created),
// the authentication-mode switch with its asynchronous update, access entries, access-policy
// associations and tags. Rules are EKS's documented or observed behaviour; each surprising one
// carries its source. Methods take the caller's region and the SDK's request shapes.
import { randomUUID } from 'node:crypto';
import type {
  AccessEntry,
  AccessPolicy,
  AccessScope,
  AssociateAccessPolicyRequest,
  AssociateAccessPolicyResponse,
  AssociatedAccessPolicy,
  AuthenticationMode,
  Cluster,
  CreateAccessEntryRequest,
  CreateAccessEntryResponse,
  DeleteAccessEntryRequest,
  DescribeAccessEntryRequest,
  DescribeAccessEntryResponse,
  DescribeClusterRequest,
  DescribeClusterResponse,
  DescribeUpdateRequest,
  DescribeUpdateResponse,
  DisassociateAccessPolicyRequest,
  ListAccessEntriesRequest,
  ListAccessEntriesResponse,
  ListAccessPoliciesRequest,
  ListAccessPoliciesResponse,
  ListAssociatedAccessPoliciesRequest,
  ListAssociatedAccessPoliciesResponse,
  ListClustersRequest,
  ListClustersResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  ListUpdatesRequest,
  ListUpdatesResponse,
  TagResourceRequest,
  UntagResourceRequest,
  Update,
  UpdateAccessEntryRequest,
  UpdateAccessEntryResponse,
  UpdateClusterConfigRequest,
  UpdateClusterConfigResponse,
} from '@aws-sdk/client-eks';
import { partition as sdkPartition } from '@aws-sdk/core/client';
import { count, decodeToken, eksErrors, encodeToken } from './errors.ts';
import { DEFAULT_ACCOUNT_ID } from './iam.ts';

/**
 * The partition of a region (`aws`, `aws-cn`, `aws-us-gov`, …) and the DNS suffix of its
 * endpoints, from the SDK's own partition data (the endpoint rule sets' `aws.partition`), not
 * from the product's kernel: the model is the outside reference the product is tested against.
 */
function partitionOf(region: string): { name: string; dnsSuffix: string } {
  const { name, dnsSuffix } = sdkPartition(region);
  return { name, dnsSuffix };
}

/**
 * What every access policy ARN of the region's partition starts with: the Service Authorization
 * Reference gives EKS access policies as `arn:${Partition}:eks::aws:cluster-access-policy/${AccessPolicyName}`.
 */
function policyArnPrefix(region: string): string {
  return `arn:${partitionOf(region).name}:eks::aws:cluster-access-policy/`;
}

/**
 * Access policies `ListAccessPolicies` returns, from the EKS user guide's access policy
 * reference (access-policy-reference.adoc). `serviceLinkedOnly` marks the ones the guide says
 * "cannot be used with customer-managed roles"; associating them fails with "The specified
 * policyArn can only be associated with service-linked roles" (quoted in public Terraform code).
 */
const ACCESS_POLICIES: ReadonlyArray<{ name: string; serviceLinkedOnly?: boolean }> = [
  { name: 'AmazonEKSAdminPolicy' },
  { name: 'AmazonEKSAdminViewPolicy' },
  { name: 'AmazonEKSAutoNodePolicy' },
  { name: 'AmazonEKSBlockStorageClusterPolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSBlockStoragePolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSClusterAdminPolicy' },
  { name: 'AmazonEKSClusterInsightsPolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSComputeClusterPolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSComputePolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSEditPolicy' },
  { name: 'AmazonEKSHybridPolicy', serviceLinkedOnly: true },
  { name: 'AmazonEKSLoadBalancingClusterPolicy' },
  { name: 'AmazonEKSLoadBalancingPolicy' },
  { name: 'AmazonEKSNetworkingClusterPolicy' },
  { name: 'AmazonEKSNetworkingPolicy' },
  { name: 'AmazonEKSSecretReaderPolicy' },
  { name: 'AmazonEKSViewPolicy' },
];

export const ACCESS_ENTRY_TYPES = ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX', 'EC2', 'HYBRID_LINUX', 'HYPERPOD_LINUX'] as const;
export type AccessEntryType = (typeof ACCESS_ENTRY_TYPES)[number];

/** The one-way order of authentication modes; a switch may only move one step right. */
const MODE_ORDER: AuthenticationMode[] = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];

// Message from real responses, e.g. aws-ia/terraform-aws-eks-blueprints#1877 (CreateAccessEntry),
// upbound/configuration-aws-eks#122 (DescribeAccessEntry), an AWS workshop (ListAccessEntries).
const MODE_REJECTS_ACCESS_ENTRIES = "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";
// terraform-aws-modules/terraform-aws-eks#3024 (AssociateAccessPolicy on a missing entry).
/**
 * Access entries per cluster: 3,000, not adjustable (AWS General Reference, "Amazon Elastic
 * Kubernetes Service endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/eks.html#limits_eks).
 * The entries EKS makes itself count like any other (the quota names no exception; inferred).
 * Written here, not imported from the product's kernel: the model is the reference the product
 * is tested against.
 */
export const ACCESS_ENTRIES_PER_CLUSTER = 3000;

/**
 * What CreateAccessEntry answers past the quota. The code is the SDK's model
 * (ResourceLimitExceededException is among CreateAccessEntry's errors, HTTP 400); the message is
 * the model's description of that exception: EKS's own wording for this quota is not published
 * or quoted anywhere we found (unverified, docs/architecture.md "Sources and unverified rules").
 */
const ACCESS_ENTRY_LIMIT_EXCEEDED = 'You have encountered a service limit on the specified resource.';

const ENTRY_NOT_FOUND = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.";

export interface ClusterSeed {
  name: string;
  region: string;
  authenticationMode: AuthenticationMode;
  version: string;
  platformVersion: string;
  /** IAM principal that created the cluster (a role or user ARN, not an STS session). */
  creatorArn?: string;
  /** Defaults to true; EKS requires it to be true for CONFIG_MAP clusters. */
  bootstrapClusterCreatorAdminPermissions?: boolean;
  /** Roles of managed node groups (EKS manages their EC2_LINUX entries). */
  nodeRoleArns?: string[];
  /** Pod execution roles of Fargate profiles (EKS manages their FARGATE_LINUX entries). */
  fargateRoleArns?: string[];
  tags?: Record<string, string>;
}

export interface EksModelOptions {
  accountId?: string;
  /** Does an IAM principal with this exact ARN exist? Without it every principal exists. */
  principalExists?: (arn: string) => boolean;
  /** The principal's current unique ID, stored with the entry as EKS does. */
  principalId?: (arn: string) => string | undefined;
  /** DescribeUpdate polls after which an update completes (default 2: one InProgress, then done). */
  updatePolls?: number;
  /** If set, an update also completes once this much model time has passed since it started. */
  updateDurationMs?: number;
  now?: () => Date;
}

/** Where a cluster's Kubernetes API is served, as DescribeCluster reports it. */
export interface ApiServer {
  /** `cluster.endpoint`, e.g. `https://127.0.0.1:4443/k8s/eu-west-1/prod`. */
  endpoint: string;
  /** `cluster.certificateAuthority.data`: the base64 of the PEM of the CA that signed the server's certificate. */
  caData: string;
}

/** What the Kubernetes API server of a cluster needs to know about it (no API call is counted). */
export interface ClusterAuthView {
  mode: AuthenticationMode;
  /** The creator, when bootstrapClusterCreatorAdminPermissions made it an admin. */
  bootstrapAdminArn?: string;
  /** Principal ARNs of the access entries that still authenticate their principal. */
  effectiveEntryArns: string[];
}

interface Association {
  policyArn: string;
  accessScope: AccessScope;
  associatedAt: Date;
  modifiedAt: Date;
}

interface Entry {
  principalArn: string;
  principalId: string | undefined;
  type: AccessEntryType;
  username: string;
  kubernetesGroups: string[];
  arn: string;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
  associations: Map<string, Association>;
}

interface UpdateRecord {
  update: Update;
  targetMode: AuthenticationMode;
  polls: number;
  startedAt: number;
  failWith?: { errorCode: string; errorMessage: string };
}

interface ClusterRecord {
  seed: ClusterSeed;
  arn: string;
  createdAt: Date;
  mode: AuthenticationMode;
  bootstrap: boolean;
  entries: Map<string, Entry>;
  updates: Map<string, UpdateRecord>;
  tags: Record<string, string>;
  failNextUpdate?: { errorCode: string; errorMessage: string };
}

/**
 * In-memory EKS for one account across regions. Completion of an update is evaluated lazily,
 * on each call that reads the cluster; only `DescribeUpdate` counts as a poll.
 */
export class EksModel {
  readonly accountId: string;
  /** Calls per operation, including failed ones. */
  readonly calls = new Map<string, number>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly options: Required<Pick<EksModelOptions, 'updatePolls' | 'now'>> & EksModelOptions;
  private apiServer: ((region: string, name: string) => ApiServer) | undefined;

  constructor(options: EksModelOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.options = { updatePolls: 2, now: () => new Date(), ...options };
  }

  // ----- seeding and test controls (no API equivalent) -----

  /**
   * Adds an ACTIVE cluster. A cluster seeded in an access-entry mode already has the entries EKS
   * makes at creation (node roles, Fargate roles, creator); a CONFIG_MAP cluster gets them on the
   * switch to API_AND_CONFIG_MAP.
   */
  addCluster(seed: ClusterSeed): void {
    const bootstrap = seed.bootstrapClusterCreatorAdminPermissions ?? true;
    if (seed.authenticationMode === 'CONFIG_MAP' && !bootstrap) {
      // CreateCluster's own rule (terraform-aws-modules/terraform-aws-eks#3206).
      throw eksErrors.invalidParameter('bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP');
    }
    const k = clusterKey(seed.region, seed.name);
    if (this.clusters.has(k)) throw eksErrors.resourceInUse(`Cluster already exists with name: ${seed.name}`, seed.name);
    const partition = partitionOf(seed.region).name;
    for (const arn of [...(seed.nodeRoleArns ?? []), ...(seed.fargateRoleArns ?? []), ...(seed.creatorArn ? [seed.creatorArn] : [])]) {
      // A seeding mistake, not an API answer: EKS made these entries from roles that exist.
      if (!parsePrincipalArn(arn, partition)) throw new Error(`EksModel.addCluster: ${arn} is not an IAM role or user ARN of partition ${partition}`);
    }
    const record: ClusterRecord = {
      seed: structuredClone(seed),
      // Service Authorization Reference, EKS resource types: arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}.
      arn: `arn:${partition}:eks:${seed.region}:${this.accountId}:cluster/${seed.name}`,
      createdAt: this.options.now(),
      mode: seed.authenticationMode,
      bootstrap,
      entries: new Map(),
      updates: new Map(),
      tags: { ...(seed.tags ?? {}) },
    };
    this.clusters.set(k, record);
    if (record.mode !== 'CONFIG_MAP') this.createServiceEntries(record);
  }

  /** Makes the next authentication-mode update of a cluster end in `Failed` with this error. */
  failNextUpdate(region: string, name: string, errorCode = 'Unknown', errorMessage = 'Update failed (injected by the sandbox)'): void {
    this.cluster(region, name).failNextUpdate = { errorCode, errorMessage };
  }

  /**
   * Makes DescribeCluster report where the sandbox serves each cluster's Kubernetes API (its
   * endpoint and the CA that signed its certificate), as EKS reports its own.
   */
  serveApiAt(locate: (region: string, name: string) => ApiServer): void {
    this.apiServer = locate;
  }

  /** Whether the cluster exists (no API call is counted). */
  hasCluster(region: string, name: string): boolean {
    return this.clusters.has(clusterKey(region, name));
  }

  /** The cluster as its Kubernetes API server's authenticator sees it (no API call is counted). */
  authView(region: string, name: string): ClusterAuthView {
    const c = this.cluster(region, name);
    this.advance(c);
    return {
      mode: c.mode,
      ...(c.bootstrap && c.seed.creatorArn ? { bootstrapAdminArn: c.seed.creatorArn } : {}),
      effectiveEntryArns: [...c.entries.keys()].filter((arn) => this.isAccessEntryEffective(region, name, arn)),
    };
  }

  /** Completes every update still in progress, as if enough time had passed. */
  settleUpdates(): void {
    for (const c of this.clusters.values()) {
      for (const u of c.updates.values()) if (u.update.status === 'InProgress') this.complete(c, u);
    }
  }

  // ----- clusters and updates -----

  listClusters(region: string, input: ListClustersRequest = {}): ListClustersResponse {
    return this.call('ListClusters', () => {
      const names = [...this.clusters.values()].filter((c) => c.seed.region === region).map((c) => c.seed.name);
      const { items, nextToken } = paginate(names, input.nextToken, input.maxResults, 100);
      return { clusters: items, ...(nextToken ? { nextToken } : {}) };
    });
  }

  describeCluster(region: string, input: DescribeClusterRequest): DescribeClusterResponse {
    return this.call('DescribeCluster', () => {
      const c = this.cluster(region, input.name);
      this.advance(c);
      return { cluster: this.toCluster(c) };
    });
  }

  /**
   * Only `accessConfig.authenticationMode` is modelled. The switch is one-way and one step at a
   * time (CONFIG_MAP → API_AND_CONFIG_MAP → API); any other request, including the current mode,
   * fails with "Unsupported authentication mode update from X to Y" (AWS workshop output for
   * CONFIG_MAP→API and API_AND_CONFIG_MAP→CONFIG_MAP; aws/aws-cdk#31032 for the same mode).
   * While an update is in progress a second one fails with ResourceInUseException
   * (aws/aws-cdk#33452, CLI output).
   */
  updateClusterConfig(region: string, input: UpdateClusterConfigRequest): UpdateClusterConfigResponse {
    return this.call('UpdateClusterConfig', () => {
      const c = this.cluster(region, input.name);
      this.advance(c);
      const others = Object.entries(input).filter(
        ([k, v]) => v !== undefined && !['name', 'clientRequestToken', 'accessConfig'].includes(k),
      );
      if (input.accessConfig && others.length) {
        // kubernetes-sigs/cluster-api-provider-aws#3553.
        throw eksErrors.invalidParameter('Only one type of update can be allowed.', c.seed.name);
      }
      if (!input.accessConfig) {
        throw new Error(`EksModel.updateClusterConfig: only accessConfig is modelled (got ${others.map(([k]) => k).join(', ') || 'nothing'})`);
      }
      const running = [...c.updates.values()].find((u) => u.update.status === 'InProgress');
      if (running) {
        throw eksErrors.resourceInUse(
          `Cannot AccessConfigUpdate because cluster ${c.seed.name} currently has update ${running.update.id} in progress`,
          c.seed.name,
        );
      }
      const target = input.accessConfig.authenticationMode;
      if (target === undefined) {
        // Only bootstrapClusterCreatorAdminPermissions given: it is fixed at creation.
        throw eksErrors.invalidParameter('Unsupported update: bootstrapClusterCreatorAdminPermissions cannot be updated', c.seed.name);
      }
      if (!MODE_ORDER.includes(target) || MODE_ORDER.indexOf(target) !== MODE_ORDER.indexOf(c.mode) + 1) {
        throw eksErrors.invalidParameter(`Unsupported authentication mode update from ${c.mode} to ${target}`, c.seed.name);
      }
      const update: Update = {
        id: randomUUID(),
        status: 'InProgress',
        type: 'AccessConfigUpdate',
        // The value is JSON-quoted in real responses: "value": "\"API_AND_CONFIG_MAP\"".
        params: [{ type: 'AuthenticationMode', value: JSON.stringify(target) }],
        createdAt: this.options.now(),
        errors: [],
      };
      const record: UpdateRecord = { update, targetMode: target, polls: 0, startedAt: this.options.now().getTime() };
      if (c.failNextUpdate) {
        record.failWith = c.failNextUpdate;
        delete c.failNextUpdate;
      }
      c.updates.set(update.id!, record);
      const response = { update: structuredClone(update) };
      if (this.options.updatePolls <= 0) this.complete(c, record);
      return response;
    });
  }

  describeUpdate(region: string, input: DescribeUpdateRequest): DescribeUpdateResponse {
    return this.call('DescribeUpdate', () => {
      const c = this.cluster(region, input.name);
      const u = input.updateId === undefined ? undefined : c.updates.get(input.updateId);
      if (!u) throw eksErrors.resourceNotFound(`No update found for ID: ${input.updateId}`, c.seed.name);
      if (u.update.status === 'InProgress') u.polls += 1;
      this.advance(c);
      return { update: structuredClone(u.update) };
    });
  }

  listUpdates(region: string, input: ListUpdatesRequest): ListUpdatesResponse {
    return this.call('ListUpdates', () => {
      const c = this.cluster(region, input.name);
      this.advance(c);
      const { items, nextToken } = paginate([...c.updates.keys()], input.nextToken, input.maxResults, 100);
      return { updateIds: items, ...(nextToken ? { nextToken } : {}) };
    });
  }

  // ----- access entries -----

  /**
   * Creates an entry. Rules: the cluster must be in an access-entry mode; one entry per
   * principal (ResourceInUseException, message from terraform-aws-modules/terraform-aws-eks
   * issues); the principal must exist with exactly this ARN — path included — else
   * InvalidParameterException "The specified principalArn is invalid: invalid principal."
   * (awslabs/minimum-viable-dataspace-on-aws#5, terraform-aws-eks#2969 where an SSO role ARN
   * without its path was rejected); groups may not start with `system:` (terraform-aws-eks#2915);
   * node types take no groups or username and get EKS's own (creating-access-entries.adoc);
   * at most ACCESS_ENTRIES_PER_CLUSTER entries (ResourceLimitExceededException).
   */
  createAccessEntry(region: string, input: CreateAccessEntryRequest): CreateAccessEntryResponse {
    return this.call('CreateAccessEntry', () => {
      const c = this.entryCluster(region, input.clusterName);
      const type = (input.type ?? 'STANDARD') as AccessEntryType;
      if (!ACCESS_ENTRY_TYPES.includes(type)) {
        throw eksErrors.invalidParameter(`The type ${input.type} is not valid. Valid values are [${ACCESS_ENTRY_TYPES.join(', ')}]`, c.seed.name);
      }
      const principal = requirePrincipal(input.principalArn, c);
      if (type !== 'STANDARD' && (principal.kind !== 'role' || principal.account !== this.accountId)) {
        // creating-access-entries.adoc: non-STANDARD types need a role in the cluster's account.
        throw eksErrors.invalidParameter(`Access entries of type ${type} require an IAM role in the cluster's account.`, c.seed.name);
      }
      if (c.entries.has(principal.arn)) {
        throw eksErrors.resourceInUse('The specified access entry resource is already in use on this cluster.', c.seed.name);
      }
      if (!this.principalExists(principal.arn)) {
        throw eksErrors.invalidParameter('The specified principalArn is invalid: invalid principal.', c.seed.name);
      }
      const groups = input.kubernetesGroups ?? [];
      if (type !== 'STANDARD' && (groups.length || input.username !== undefined)) {
        throw eksErrors.invalidParameter(`kubernetesGroups and username can't be set on an access entry of type ${type}.`, c.seed.name);
      }
      validateGroups(groups, c.seed.name);
      if (input.username !== undefined) validateUsername(input.username, c.seed.name);
      // CreateAccessEntry's errors (API reference, and the SDK's model) have no
      // BadRequestException: a tag it cannot take is an invalid parameter ("The specified
      // parameter is invalid").
      const tags = validateEksTags(input.tags ?? {}, (message) => eksErrors.invalidParameter(message, c.seed.name));
      // Checked after the request is found valid and new (an entry that exists answers
      // ResourceInUseException first): the order of the checks is inferred.
      if (c.entries.size >= ACCESS_ENTRIES_PER_CLUSTER) throw eksErrors.resourceLimitExceeded(ACCESS_ENTRY_LIMIT_EXCEEDED, c.seed.name);
      const entry = this.newEntry(c, principal, type, groups, input.username, tags);
      return { accessEntry: toAccessEntry(c, entry) };
    });
  }

  describeAccessEntry(region: string, input: DescribeAccessEntryRequest): DescribeAccessEntryResponse {
    return this.call('DescribeAccessEntry', () => {
      const c = this.entryCluster(region, input.clusterName);
      return { accessEntry: toAccessEntry(c, this.entry(c, input.principalArn)) };
    });
  }

  listAccessEntries(region: string, input: ListAccessEntriesRequest): ListAccessEntriesResponse {
    return this.call('ListAccessEntries', () => {
      const c = this.entryCluster(region, input.clusterName);
      let arns = [...c.entries.values()];
      if (input.associatedPolicyArn !== undefined) arns = arns.filter((e) => e.associations.has(input.associatedPolicyArn!));
      const { items, nextToken } = paginate(arns.map((e) => e.principalArn), input.nextToken, input.maxResults, 100, c.seed.name);
      return { accessEntries: items, ...(nextToken ? { nextToken } : {}) };
    });
  }

  /**
   * Sets groups and username: a field the request leaves out is not kept but reset to what EKS
   * gives an entry without it — no groups, the default username. "When changing either the
   * user_name or kubernetes_groups attribute values, this value gets updated while the value for
   * the other attribute gets reverted to default" (hashicorp/terraform-provider-aws#36480; the
   * fix, #36484, sends both on every update: "omitting certain fields will not keep them as-is,
   * but replace it with the default that AWS has"). Only STANDARD entries take either; a
   * reserved username prefix is refused first (aws-ia/terraform-aws-eks-blueprints#2004: an
   * EC2_LINUX entry updated with username system:node:… got "The username must not begin with
   * system:").
   */
  updateAccessEntry(region: string, input: UpdateAccessEntryRequest): UpdateAccessEntryResponse {
    return this.call('UpdateAccessEntry', () => {
      const c = this.entryCluster(region, input.clusterName);
      const e = this.entry(c, input.principalArn);
      if (input.kubernetesGroups !== undefined) validateGroups(input.kubernetesGroups, c.seed.name);
      if (input.username !== undefined) validateUsername(input.username, c.seed.name);
      if (e.type !== 'STANDARD' && (input.kubernetesGroups !== undefined || input.username !== undefined)) {
        throw eksErrors.invalidParameter(`kubernetesGroups and username can't be set on an access entry of type ${e.type}.`, c.seed.name);
      }
      const principal = parsePrincipalArn(e.principalArn, partitionOf(c.seed.region).name)!;
      e.kubernetesGroups = input.kubernetesGroups !== undefined ? [...input.kubernetesGroups] : defaultGroups(e.type);
      e.username = input.username ?? defaultUsername(e.type, principal);
      e.modifiedAt = this.options.now();
      return { accessEntry: toAccessEntry(c, e) };
    });
  }

  /** Deletes the entry together with its policy associations. */
  deleteAccessEntry(region: string, input: DeleteAccessEntryRequest): Record<string, never> {
    return this.call('DeleteAccessEntry', () => {
      const c = this.entryCluster(region, input.clusterName);
      const e = this.entry(c, input.principalArn);
      c.entries.delete(e.principalArn);
      return {};
    });
  }

  /**
   * Associates a policy; associating one that is already associated replaces its scope
   * (EKS console: "you can add each policy only once"). Unknown policy ARNs fail with
   * ResourceNotFoundException "The specified policyArn could not be found." (seen with a
   * malformed ARN in public troubleshooting notes).
   */
  associateAccessPolicy(region: string, input: AssociateAccessPolicyRequest): AssociateAccessPolicyResponse {
    return this.call('AssociateAccessPolicy', () => {
      const c = this.entryCluster(region, input.clusterName);
      const e = this.entry(c, input.principalArn);
      // Access policy ARNs are those of the cluster's partition (policyArnPrefix).
      const prefix = policyArnPrefix(c.seed.region);
      const policy = ACCESS_POLICIES.find((p) => prefix + p.name === input.policyArn);
      if (!policy) throw eksErrors.resourceNotFound('The specified policyArn could not be found.', c.seed.name);
      if (policy.serviceLinkedOnly) {
        throw eksErrors.invalidParameter('The specified policyArn can only be associated with service-linked roles', c.seed.name);
      }
      if (e.type !== 'STANDARD' && e.type !== 'EC2') {
        // creating-access-entries.adoc: policies can't be associated with node-type entries
        // (EC2, for Auto Mode custom node classes, takes AmazonEKSAutoNodePolicy).
        throw eksErrors.invalidParameter(`Access policies can't be associated with an access entry of type ${e.type}.`, c.seed.name);
      }
      const scope = validateScope(input.accessScope, c.seed.name);
      const now = this.options.now();
      const existing = e.associations.get(prefix + policy.name);
      const association: Association = {
        policyArn: prefix + policy.name,
        accessScope: scope,
        associatedAt: existing?.associatedAt ?? now,
        modifiedAt: now,
      };
      e.associations.set(association.policyArn, association);
      e.modifiedAt = now;
      return { clusterName: c.seed.name, principalArn: e.principalArn, associatedAccessPolicy: toAssociated(association) };
    });
  }

  disassociateAccessPolicy(region: string, input: DisassociateAccessPolicyRequest): Record<string, never> {
    return this.call('DisassociateAccessPolicy', () => {
      const c = this.entryCluster(region, input.clusterName);
      const e = this.entry(c, input.principalArn);
      if (input.policyArn === undefined || !e.associations.delete(input.policyArn)) {
        // Error code for a policy that is not associated is unverified.
        throw eksErrors.resourceNotFound('The specified policyArn is not associated with the access entry.', c.seed.name);
      }
      e.modifiedAt = this.options.now();
      return {};
    });
  }

  listAssociatedAccessPolicies(region: string, input: ListAssociatedAccessPoliciesRequest): ListAssociatedAccessPoliciesResponse {
    return this.call('ListAssociatedAccessPolicies', () => {
      const c = this.entryCluster(region, input.clusterName);
      const e = this.entry(c, input.principalArn);
      if (e.type !== 'STANDARD') {
        // Refused for every other type, with InvalidParameterException (HTTP 400) although the
        // operation's model does not list it: aws-controllers-k8s/community#2144, the ACK
        // controller reading an EC2_LINUX entry's policies (sdkFind → ListAssociatedAccessPolicies).
        throw eksErrors.invalidParameter('This operation can only be performed on Access Entries with a type of "STANDARD".', c.seed.name);
      }
      const { items, nextToken } = paginate([...e.associations.values()], input.nextToken, input.maxResults, 100, c.seed.name);
      return {
        clusterName: c.seed.name,
        principalArn: e.principalArn,
        associatedAccessPolicies: items.map(toAssociated),
        ...(nextToken ? { nextToken } : {}),
      };
    });
  }

  listAccessPolicies(region: string, input: ListAccessPoliciesRequest = {}): ListAccessPoliciesResponse {
    return this.call('ListAccessPolicies', () => {
      const all: AccessPolicy[] = ACCESS_POLICIES.map((p) => ({ name: p.name, arn: policyArnPrefix(region) + p.name }));
      const { items, nextToken } = paginate(all, input.nextToken, input.maxResults, 100);
      return { accessPolicies: items, ...(nextToken ? { nextToken } : {}) };
    });
  }

  // ----- tags on clusters and access entries -----

  tagResource(region: string, input: TagResourceRequest): Record<string, never> {
    return this.call('TagResource', () => {
      const target = this.taggable(region, input.resourceArn);
      const merged = { ...target.tags, ...validateEksTags(input.tags ?? {}, eksErrors.badRequest) };
      if (Object.keys(merged).length > 50) throw eksErrors.badRequest('Resources can have at most 50 tags.');
      target.tags = merged;
      return {};
    });
  }

  untagResource(region: string, input: UntagResourceRequest): Record<string, never> {
    return this.call('UntagResource', () => {
      const target = this.taggable(region, input.resourceArn);
      const next = { ...target.tags };
      for (const k of input.tagKeys ?? []) delete next[k];
      target.tags = next;
      return {};
    });
  }

  listTagsForResource(region: string, input: ListTagsForResourceRequest): ListTagsForResourceResponse {
    return this.call('ListTagsForResource', () => ({ tags: { ...this.taggable(region, input.resourceArn).tags } }));
  }

  // ----- model-side queries -----

  /**
   * Whether the entry would still authenticate its principal: false once the IAM principal was
   * deleted or recreated (new unique ID), which EKS documents but does not report in the API.
   */
  isAccessEntryEffective(region: string, clusterName: string, principalArn: string): boolean {
    const e = this.cluster(region, clusterName).entries.get(principalArn);
    if (!e) return false;
    const current = this.options.principalId?.(principalArn);
    return this.principalExists(principalArn) && (e.principalId === undefined || current === undefined || current === e.principalId);
  }

  // ----- internals -----

  private call<O>(operation: string, fn: () => O): O {
    count(this.calls, operation);
    return structuredClone(fn());
  }

  private cluster(region: string, name: string | undefined): ClusterRecord {
    const c = name === undefined ? undefined : this.clusters.get(clusterKey(region, name));
    if (!c) throw eksErrors.resourceNotFound(`No cluster found for name: ${name}.`, name);
    return c;
  }

  /** The cluster of an access-entry call: it must exist and be in an access-entry mode. */
  private entryCluster(region: string, name: string | undefined): ClusterRecord {
    const c = this.cluster(region, name);
    this.advance(c);
    if (c.mode === 'CONFIG_MAP') throw eksErrors.invalidRequest(MODE_REJECTS_ACCESS_ENTRIES, c.seed.name);
    return c;
  }

  private entry(c: ClusterRecord, principalArn: string | undefined): Entry {
    const e = principalArn === undefined ? undefined : c.entries.get(principalArn);
    if (!e) throw eksErrors.resourceNotFound(ENTRY_NOT_FOUND, c.seed.name);
    return e;
  }

  private principalExists(arn: string): boolean {
    return this.options.principalExists ? this.options.principalExists(arn) : true;
  }

  private newEntry(
    c: ClusterRecord,
    principal: ParsedPrincipal,
    type: AccessEntryType,
    groups: string[],
    username: string | undefined,
    tags: Record<string, string>,
  ): Entry {
    const now = this.options.now();
    const entry: Entry = {
      principalArn: principal.arn,
      principalId: this.options.principalId?.(principal.arn),
      type,
      username: username ?? defaultUsername(type, principal),
      // EKS attaches system:nodes to node-type entries itself; Terraform users see it as drift
      // when they send [] (terraform-aws-modules/terraform-aws-eks#2896).
      kubernetesGroups: NODE_TYPES.has(type) ? defaultGroups(type) : [...groups],
      // Service Authorization Reference, EKS resource types: arn:${Partition}:eks:${Region}:${Account}:access-entry/
      // ${ClusterName}/${IamIdentityType}/${IamIdentityAccountID}/${IamIdentityName}/${UUID}.
      arn: `arn:${partitionOf(c.seed.region).name}:eks:${c.seed.region}:${this.accountId}:access-entry/${c.seed.name}/${principal.kind}/${principal.account}/${principal.name}/${randomUUID()}`,
      createdAt: now,
      modifiedAt: now,
      tags,
      associations: new Map(),
    };
    c.entries.set(entry.principalArn, entry);
    return entry;
  }

  /**
   * The entries EKS makes itself when a cluster gains the access-entry API: EC2_LINUX for managed
   * node group roles and FARGATE_LINUX for Fargate pod execution roles (EKS maintainers,
   * aws/containers-roadmap#185: "entries in the aws-auth ConfigMap managed by MNG and Fargate
   * will be automatically migrated to node type access entries"), and, when bootstrap was
   * enabled, a STANDARD entry for the creator with AmazonEKSClusterAdminPolicy (the creator's
   * entry appears after the switch in the AWS workshop; add-user-role docs).
   */
  private createServiceEntries(c: ClusterRecord): void {
    const make = (arn: string, type: AccessEntryType) => {
      // Seeded ARNs were checked by addCluster.
      const principal = parsePrincipalArn(arn, partitionOf(c.seed.region).name);
      if (c.entries.has(arn) || !principal) return undefined;
      return this.newEntry(c, principal, type, [], undefined, {});
    };
    for (const arn of c.seed.nodeRoleArns ?? []) make(arn, 'EC2_LINUX');
    for (const arn of c.seed.fargateRoleArns ?? []) make(arn, 'FARGATE_LINUX');
    if (c.bootstrap && c.seed.creatorArn) {
      const e = make(c.seed.creatorArn, 'STANDARD');
      if (e) {
        const now = this.options.now();
        const policyArn = `${policyArnPrefix(c.seed.region)}AmazonEKSClusterAdminPolicy`;
        e.associations.set(policyArn, { policyArn, accessScope: { type: 'cluster', namespaces: [] }, associatedAt: now, modifiedAt: now });
      }
    }
  }

  /** Completes updates whose poll count or model time is up. */
  private advance(c: ClusterRecord): void {
    const now = this.options.now().getTime();
    for (const u of c.updates.values()) {
      if (u.update.status !== 'InProgress') continue;
      const byPolls = u.polls >= this.options.updatePolls;
      const byTime = this.options.updateDurationMs !== undefined && now - u.startedAt >= this.options.updateDurationMs;
      if (byPolls || byTime) this.complete(c, u);
    }
  }

  private complete(c: ClusterRecord, u: UpdateRecord): void {
    if (u.failWith) {
      u.update.status = 'Failed';
      u.update.errors = [{ errorCode: u.failWith.errorCode as never, errorMessage: u.failWith.errorMessage, resourceIds: [c.seed.name] }];
      return;
    }
    const from = c.mode;
    c.mode = u.targetMode;
    u.update.status = 'Successful';
    if (from === 'CONFIG_MAP') this.createServiceEntries(c);
  }

  private toCluster(c: ClusterRecord): Cluster {
    const updating = [...c.updates.values()].some((u) => u.update.status === 'InProgress');
    return {
      name: c.seed.name,
      arn: c.arn,
      createdAt: c.createdAt,
      version: c.seed.version,
      platformVersion: c.seed.platformVersion,
      // EKS docs (setting-up-access-entries.adoc): the cluster is UPDATING until the switch ends.
      status: updating ? 'UPDATING' : 'ACTIVE',
      ...(this.apiServer
        ? (({ endpoint, caData }) => ({ endpoint, certificateAuthority: { data: caData } }))(this.apiServer(c.seed.region, c.seed.name))
        : {
            endpoint: `https://${c.seed.name.toUpperCase()}.gr7.${c.seed.region}.eks.${partitionOf(c.seed.region).dnsSuffix}`,
            certificateAuthority: { data: Buffer.from(`sandbox CA for ${c.seed.name}`).toString('base64') },
          }),
      accessConfig: { authenticationMode: c.mode, bootstrapClusterCreatorAdminPermissions: c.bootstrap },
      tags: { ...c.tags },
    };
  }

  private taggable(region: string, arn: string | undefined): { tags: Record<string, string> } {
    for (const c of this.clusters.values()) {
      if (c.seed.region !== region) continue;
      if (c.arn === arn) return c;
      for (const e of c.entries.values()) if (e.arn === arn) return e;
    }
    // EKS tag APIs answer NotFoundException for unknown resources (error list of TagResource).
    throw eksErrors.notFound(`Resource not found: ${arn}`);
  }
}

// ----- helpers -----

const NODE_TYPES = new Set<AccessEntryType>(['EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX', 'HYBRID_LINUX', 'EC2', 'HYPERPOD_LINUX']);

/** The groups EKS gives an entry of the type when none are set (see newEntry). */
function defaultGroups(type: AccessEntryType): string[] {
  return NODE_TYPES.has(type) ? ['system:nodes'] : [];
}

function clusterKey(region: string, name: string): string {
  return `${region}/${name}`;
}

interface ParsedPrincipal {
  arn: string;
  partition: string;
  account: string;
  kind: 'role' | 'user';
  /** Name without the path. */
  name: string;
  path: string;
}

/** An IAM role or user ARN of the partition; undefined for anything else (STS session ARNs among them). */
function parsePrincipalArn(arn: string | undefined, partition: string): ParsedPrincipal | undefined {
  const m = /^arn:([^:]+):iam::(\d{12}):(role|user)(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn ?? '');
  if (!m || m[1] !== partition) return undefined;
  const [, , account, kind, path, name] = m as unknown as [string, string, string, 'role' | 'user', string, string];
  return { arn: arn!, partition, account, kind, name, path };
}

/**
 * The principal of a CreateAccessEntry: an IAM role or user of the cluster's partition (an
 * account, and so its principals, is scoped to one partition: AWS General Reference, "Amazon
 * Resource Names (ARNs)"), and not a service-linked role.
 */
function requirePrincipal(arn: string | undefined, c: ClusterRecord): ParsedPrincipal {
  const principal = parsePrincipalArn(arn, partitionOf(c.seed.region).name);
  if (!principal) throw eksErrors.invalidParameter('The specified principalArn is invalid: invalid principal.', c.seed.name);
  if (principal.kind === 'role' && principal.path.startsWith('/aws-service-role/')) {
    // creating-access-entries.adoc: access entries do not support service-linked roles.
    throw eksErrors.invalidParameter('Access entries do not support service-linked roles.', c.seed.name);
  }
  return principal;
}

/**
 * Usernames EKS sets when none is given (creating-access-entries.adoc, set-custom-username.adoc):
 * a user's ARN; a role's STS ARN with the path removed and `{{SessionName}}` appended; node
 * types get node identities. EC2 and HYPERPOD_LINUX are not in that table: EC2 is modelled like
 * EC2_LINUX and HYPERPOD_LINUX like the session-named node types (unverified). The guide shows the
 * aws partition; a role's session ARN is in the role's own partition (`arn:aws-cn:sts::…`).
 */
function defaultUsername(type: AccessEntryType, p: ParsedPrincipal): string {
  switch (type) {
    case 'STANDARD':
      return p.kind === 'user' ? p.arn : `arn:${p.partition}:sts::${p.account}:assumed-role/${p.name}/{{SessionName}}`;
    case 'EC2_LINUX':
    case 'EC2_WINDOWS':
    case 'EC2':
      return 'system:node:{{EC2PrivateDNSName}}';
    default:
      return 'system:node:{{SessionName}}';
  }
}

function validateGroups(groups: string[], clusterName: string): void {
  for (const g of groups) {
    if (g.startsWith('system:')) {
      throw eksErrors.invalidParameter(`The kubernetes group name ${g} is invalid, it cannot start with system:`, clusterName);
    }
  }
}

/**
 * Custom username rules (creating-access-entries.adoc): no reserved prefixes, and a colon must
 * come before {{SessionName}}/{{SessionNameRaw}}. Rejecting other `{{…}}` templates follows the
 * design brief (§4) and is not confirmed from AWS material. The reserved-prefix message is
 * EKS's ("InvalidParameterException: The username must not begin with system:", an
 * UpdateAccessEntry in aws-ia/terraform-aws-eks-blueprints#2004); the others are the model's own.
 */
function validateUsername(username: string, clusterName: string): void {
  for (const prefix of ['system:', 'eks:', 'aws:', 'amazon:', 'iam:']) {
    if (username.startsWith(prefix)) throw eksErrors.invalidParameter(`The username must not begin with ${prefix}`, clusterName);
  }
  for (const m of username.matchAll(/\{\{([^}]*)\}\}/g)) {
    const template = m[1];
    if (template !== 'SessionName' && template !== 'SessionNameRaw') {
      throw eksErrors.invalidParameter(`The username ${username} is invalid, the template {{${template}}} is not supported`, clusterName);
    }
    if (!username.slice(0, m.index).includes(':')) {
      throw eksErrors.invalidParameter(`The username ${username} is invalid, a colon must come before {{${template}}}`, clusterName);
    }
  }
}

function validateScope(scope: AccessScope | undefined, clusterName: string): AccessScope {
  const namespaces = scope?.namespaces ?? [];
  if (scope?.type === 'cluster') {
    if (namespaces.length) throw eksErrors.invalidParameter('namespaces can only be specified when the access scope type is namespace', clusterName);
    return { type: 'cluster', namespaces: [] };
  }
  if (scope?.type === 'namespace') {
    if (!namespaces.length) throw eksErrors.invalidParameter('namespaces must be specified when the access scope type is namespace', clusterName);
    return { type: 'namespace', namespaces: [...namespaces] };
  }
  throw eksErrors.invalidParameter(`The access scope type ${scope?.type} is not valid. Valid values are [cluster, namespace]`, clusterName);
}

// EKS resource tags: at most 50, keys 1–128 characters, values up to 256, no aws: prefix
// (AccessEntry.tags constraints in the EKS API reference). `refuse` is the error of the calling
// operation: TagResource's model has BadRequestException, CreateAccessEntry's does not.
function validateEksTags(tags: Record<string, string>, refuse: (message: string) => Error): Record<string, string> {
  const keys = Object.keys(tags);
  if (keys.length > 50) throw refuse('Resources can have at most 50 tags.');
  for (const k of keys) {
    const v = tags[k] ?? '';
    if (k.length < 1 || k.length > 128 || v.length > 256) throw refuse(`Tag ${k} exceeds the allowed length.`);
    if (k.toLowerCase().startsWith('aws:')) throw refuse('Tag keys cannot start with aws:');
  }
  return { ...tags };
}

/**
 * EKS's answer to a request parameter it cannot take (out of range, malformed):
 * InvalidParameterException on any operation, whether or not the operation's model lists it —
 * DescribeCluster, whose model does not, answered "InvalidParameterException: The parameter name
 * should not be greater than 100 characters." (radius-project/samples#1702); a maxResults out of
 * range gave "InvalidParameterException: maxResults needs to be 1" (turbot/steampipe-plugin-aws#1100).
 * test/sandbox/eks-errors.test.ts allows it on every operation for that reason only.
 */
function parameterError(message: string, clusterName?: string): Error {
  return eksErrors.invalidParameter(message, clusterName);
}

function paginate<T>(
  all: T[],
  token: string | undefined,
  maxResults: number | undefined,
  limit: number,
  clusterName?: string,
): { items: T[]; nextToken?: string } {
  const max = maxResults ?? limit;
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    throw parameterError(`maxResults needs to be 1-${limit}`, clusterName);
  }
  let start = 0;
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (decoded === undefined) throw parameterError('The nextToken is invalid.', clusterName);
    start = decoded;
  }
  const items = all.slice(start, start + max);
  return start + max < all.length ? { items, nextToken: encodeToken(start + max) } : { items };
}

function toAccessEntry(c: ClusterRecord, e: Entry): AccessEntry {
  return {
    clusterName: c.seed.name,
    principalArn: e.principalArn,
    kubernetesGroups: [...e.kubernetesGroups],
    accessEntryArn: e.arn,
    createdAt: e.createdAt,
    modifiedAt: e.modifiedAt,
    tags: { ...e.tags },
    username: e.username,
    type: e.type,
  };
}

function toAssociated(a: Association): AssociatedAccessPolicy {
  return { policyArn: a.policyArn, accessScope: structuredClone(a.accessScope), associatedAt: a.associatedAt, modifiedAt: a.modifiedAt };
}
