/**
 * What each migration task may call: the task table and the IAM statements behind each grant.
 * Step Functions infers no permissions from a definition file, so every grant is explicit.
 *
 * Permissions follow the Service Authorization Reference (SAR):
 *  - EKS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html):
 *    DescribeCluster and ListAccessEntries act on the `cluster` resource; DescribeAccessEntry,
 *    ListAssociatedAccessPolicies, DeleteAccessEntry and AssociateAccessPolicy on `access-entry`
 *    (whose ARN ends in a UUID EKS assigns, hence `access-entry/<cluster>/*`), with
 *    aws:ResourceTag/${TagKey} being the entry's own tags. CreateAccessEntry acts on `cluster`
 *    and supports aws:RequestTag/${TagKey}, aws:TagKeys, eks:accessEntryType,
 *    eks:kubernetesGroups; the SAR's API-operations table lists eks:TagResource (tags on create)
 *    and iam:PassRole with iam:PassedToService ec2.amazonaws.com (node-type entries) as the
 *    actions CreateAccessEntry authorizes. AssociateAccessPolicy supports eks:policyArn and
 *    eks:accessScope.
 *  - S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
 *    PutObject and GetObject act on `object`; a GetObject with a VersionId is authorized as
 *    s3:GetObjectVersion.
 *  - IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
 *    GetRole/GetUser act on `role`/`user`.
 *  - STS GetCallerIdentity (the EKS token is a presigned GetCallerIdentity, and the describe
 *    step asks who it is) needs no permission: "No permissions are required to perform this
 *    operation" (STS API reference, GetCallerIdentity).
 *
 * Kubernetes access (reading and patching aws-auth) is not an IAM permission: the cluster
 * admits an IAM principal mapped in aws-auth (or with an access entry). The tasks marked
 * `kubernetes` therefore run as one role (task-functions.ts).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, migrationSource, migrationTags } from '#kernel/ownership';
import { ACCESS_ENTRY_WILDCARD, principalLookupStatement, type ExplainedStatement, type ManagedClusterArns } from '../permissions.ts';
import { DOCUMENT_KEYS, type DocumentKind, type MigrationDocuments } from './documents.ts';
import type { MigrationTask } from './placeholders.ts';

/**
 * Entry types the conversion creates (docs/architecture.md, "The migration workflow");
 * FARGATE_LINUX entries are EKS's own.
 */
export const MIGRATION_ENTRY_TYPES = ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS'] as const;

/**
 * The one access policy a conversion associates: `system:masters` rows become
 * AmazonEKSClusterAdminPolicy at cluster scope (as eksctl's migrator does). Unlike the tag
 * provisioner, whose ceiling keeps admin out of its policy, the migration must be allowed this
 * one: it re-grants, as an access entry, exactly the admin that aws-auth already grants today,
 * and a row it could not re-grant would lose access at the switch to API.
 */
export const MIGRATION_POLICY_NAMES = ['AmazonEKSClusterAdminPolicy'] as const;

/** A named permission of the task table; `taskStatements` turns it into IAM statements. */
export type TaskGrant =
  | 'describeClusters'
  | 'readEntries'
  | 'createEntries'
  | 'deleteOwnEntries'
  | 'readPrincipals'
  | { read: DocumentKind }
  | { write: DocumentKind };

/** Everything one task function needs. */
export interface TaskSpec {
  readonly timeout: Duration;
  /** Runs as the shared Kubernetes-API identity instead of a role of its own. */
  readonly kubernetes?: boolean;
  readonly grants: readonly TaskGrant[];
}

/** What each task calls (functions/migration/tasks/<task>.ts and the adapters it uses). */
export const TASKS: Readonly<Record<MigrationTask, TaskSpec>> = {
  // Pure validation of the input and settings: no AWS call.
  ValidateInputFunctionArn: { timeout: Duration.seconds(30), grants: [] },
  // DescribeCluster; reads aws-auth (Kubernetes API); STS GetCallerIdentity (no permission).
  DescribeClusterFunctionArn: { timeout: Duration.minutes(1), kubernetes: true, grants: ['describeClusters'] },
  // Reads aws-auth and every entry with its policies; writes the backup once (a retry reads it back).
  BackupFunctionArn: {
    timeout: Duration.minutes(5),
    kubernetes: true,
    grants: ['readEntries', { write: 'backups' }, { read: 'backups' }],
  },
  // Reads the backup (by version), resolves path-less ARNs (GetRole/GetUser), writes the plan once.
  PlanFunctionArn: {
    timeout: Duration.minutes(5),
    grants: [{ read: 'backups' }, 'readPrincipals', { write: 'plans' }, { read: 'plans' }],
  },
  // Lists the entries after the switch and compares them with the backup.
  RelistEntriesFunctionArn: { timeout: Duration.minutes(5), grants: ['readEntries', { read: 'backups' }] },
  // Reads the plan; creates tagged entries and associates their policies.
  CreateEntriesFunctionArn: { timeout: Duration.minutes(10), grants: [{ read: 'plans' }, 'readEntries', 'createEntries'] },
  // Reads the plan and the entries.
  VerifyEntriesFunctionArn: { timeout: Duration.minutes(5), grants: [{ read: 'plans' }, 'readEntries'] },
  // Just before the switch to API: reads aws-auth again (Kubernetes API), the backup (by version),
  // the plan and the entries, and compares them.
  RecheckFunctionArn: {
    timeout: Duration.minutes(5),
    kubernetes: true,
    grants: ['readEntries', { read: 'backups' }, { read: 'plans' }],
  },
  // Writes the approval request (with the task token) once.
  RequestApprovalFunctionArn: { timeout: Duration.seconds(30), grants: [{ write: 'approvals' }] },
  // DescribeCluster for the final mode; writes the report once.
  ReportFunctionArn: { timeout: Duration.minutes(1), grants: ['describeClusters', { write: 'reports' }] },
  // DescribeCluster; deletes this execution's entries; reads the backup (by version); patches aws-auth.
  RollbackFunctionArn: {
    timeout: Duration.minutes(10),
    kubernetes: true,
    grants: ['describeClusters', 'readEntries', 'deleteOwnEntries', { read: 'backups' }],
  },
};

/**
 * Backups are read by the version ID the backup step recorded (a GetObject with VersionId is
 * s3:GetObjectVersion); the other documents by key.
 */
const VERSIONED_READS: ReadonlySet<DocumentKind> = new Set(['backups']);

/** What the statements name: the documents and the managed clusters of the workflow's region. */
export interface TaskGrantTargets {
  readonly documents: MigrationDocuments;
  /** Empty when the region has no managed cluster. */
  readonly clusters: ManagedClusterArns;
}

/** The policy statements behind one grant of the task table, each with a fixed `sid`. */
export function taskStatements(scope: Construct, grant: TaskGrant, targets: TaskGrantTargets): ExplainedStatement[] {
  if (typeof grant === 'object') return documentStatements(grant, targets.documents);
  const { clusters: clusterArns, accessEntries: entryArns } = targets.clusters;
  // With no managed cluster in the region there is nothing to name; the workflow then cannot
  // reach any cluster and its EKS calls are denied.
  if (clusterArns.length === 0 && grant !== 'readPrincipals') return [];
  const owned = { [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE };
  const fromAMigration = { [`aws:ResourceTag/${SOURCE_KEY}`]: migrationSource('*') };
  switch (grant) {
    case 'describeClusters':
      return [{ statement: new iam.PolicyStatement({ sid: 'DescribeManagedClusters', actions: ['eks:DescribeCluster'], resources: clusterArns }) }];
    case 'readEntries':
      return [
        { statement: new iam.PolicyStatement({ sid: 'ListManagedClusterEntries', actions: ['eks:ListAccessEntries'], resources: clusterArns }) },
        {
          statement: new iam.PolicyStatement({
            sid: 'ReadManagedClusterEntries',
            actions: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
            resources: entryArns,
          }),
          wildcardReason: `${ACCESS_ENTRY_WILDCARD}; only the managed clusters of this region. Read-only.`,
        },
      ];
    case 'readPrincipals':
      return [
        {
          // aws-auth names roles and users without their path; the real ARN is looked up by
          // name, and the principal may live under any path.
          statement: principalLookupStatement(scope, 'ResolvePrincipalPaths'),
          wildcardReason: 'aws-auth names roles and users without their path, so each is looked up by name under any path (iam:GetRole, iam:GetUser). Read-only.',
        },
        {
          // An `sso` row maps every AWSReservedSSO_<permission set>_* role of the account; they
          // are found by listing the Identity Center path (functions/migration/tasks/plan.ts).
          // iam:ListRoles has no resource type in the SAR ("ListRoles … Resource types: none"),
          // so `*` is the only resource it can be granted on.
          statement: new iam.PolicyStatement({ sid: 'ListIdentityCenterRoles', actions: ['iam:ListRoles'], resources: ['*'] }),
          wildcardReason: 'iam:ListRoles is wildcard-only (SAR: no resource type); it lists the Identity Center roles an aws-auth sso row maps. Read-only.',
        },
      ];
    case 'deleteOwnEntries':
      return [
        {
          statement: new iam.PolicyStatement({
            sid: 'DeleteMigrationEntriesOnly',
            // Only entries a migration created (managed-by and source=migration/<execution>);
            // the code narrows that to this execution, which IAM cannot express.
            actions: ['eks:DeleteAccessEntry'],
            resources: entryArns,
            conditions: { StringEquals: owned, StringLike: fromAMigration },
          }),
          wildcardReason: `${ACCESS_ENTRY_WILDCARD}; deletes limited to entries tagged managed-by and source=migration/*.`,
        },
      ];
    case 'createEntries':
      return createStatements(scope, targets.clusters, owned, fromAMigration);
  }
}

/** Read or write one kind of document: its own prefix of the bucket only. */
function documentStatements(grant: { read: DocumentKind } | { write: DocumentKind }, documents: MigrationDocuments): ExplainedStatement[] {
  const kind = 'write' in grant ? grant.write : grant.read;
  const capital = kind[0]!.toUpperCase() + kind.slice(1);
  const wildcardReason = `Documents are keyed ${DOCUMENT_KEYS[kind]}, one per execution and cluster, unknown until run time; limited to the ${kind}/ prefix of the migration bucket.`;
  if ('write' in grant) {
    // PutObject only: no tagging, ACL or retention actions; the bucket policy requires If-None-Match.
    return [{ statement: new iam.PolicyStatement({ sid: `Write${capital}`, actions: ['s3:PutObject'], resources: [documents.objectsArn(kind)] }), wildcardReason }];
  }
  return [
    {
      statement: new iam.PolicyStatement({
        sid: `Read${capital}`,
        actions: VERSIONED_READS.has(kind) ? ['s3:GetObject', 's3:GetObjectVersion'] : ['s3:GetObject'],
        resources: [documents.objectsArn(kind)],
      }),
      wildcardReason,
    },
  ];
}

/** Create tagged entries of the converted types, tag them on create, associate cluster admin, pass node roles. */
function createStatements(
  scope: Construct,
  arns: ManagedClusterArns,
  owned: Record<string, string>,
  fromAMigration: Record<string, string>,
): ExplainedStatement[] {
  const stack = Stack.of(scope);
  const { clusters: clusterArns, accessEntries: entryArns } = arns;
  // Derived from the function that builds the tags, so the policy and the code cannot drift.
  const tagKeys = Object.keys(migrationTags('placeholder'));
  const requestTags = {
    StringEquals: { [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE },
    StringLike: { [`aws:RequestTag/${SOURCE_KEY}`]: migrationSource('*') },
  };
  return [
    {
      statement: new iam.PolicyStatement({
        sid: 'CreateTaggedMigrationEntries',
        actions: ['eks:CreateAccessEntry'],
        resources: clusterArns,
        conditions: {
          StringEquals: { ...requestTags.StringEquals, 'eks:accessEntryType': [...MIGRATION_ENTRY_TYPES] },
          StringLike: requestTags.StringLike,
          'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys },
          // The conversion turns system:masters into a policy and flags other system: groups.
          'ForAllValues:StringNotLike': { 'eks:kubernetesGroups': ['system:*'] },
        },
      }),
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'TagMigrationEntriesOnCreate',
        // CreateAccessEntry with tags is also authorized as eks:TagResource on the new entry.
        // EKS has no tag-on-create condition; the code never calls TagResource itself.
        //
        // The ...IfExists conditions on the entry's own tags keep a direct TagResource from
        // re-tagging an entry that already has another owner's managed-by or source (a tag
        // provisioner's source=tag entry, another tool's) as migration/*, which would let
        // this role associate cluster admin to it and the rollback delete it. At create time
        // the entry has no tags yet, so they pass. Still open: an entry with neither key (a
        // person's, or one EKS created) can be claimed; IAM cannot tell that from
        // tag-on-create. The SCP / permissions boundary that would close it is described at
        // TagOnCreateWithOwnershipTags (infra/constructs/tag-provisioning.ts).
        actions: ['eks:TagResource'],
        resources: entryArns,
        conditions: {
          ...requestTags,
          StringEqualsIfExists: owned,
          StringLikeIfExists: fromAMigration,
          'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys },
        },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; tags limited to managed-by and source=migration/*, never over another owner's managed-by or source.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'AssociateClusterAdminOnMigrationEntries',
        actions: ['eks:AssociateAccessPolicy'],
        resources: entryArns,
        conditions: {
          ArnEquals: {
            'eks:policyArn': MIGRATION_POLICY_NAMES.map((name) =>
              stack.formatArn({ service: 'eks', region: '', account: 'aws', resource: 'cluster-access-policy', resourceName: name }),
            ),
          },
          StringEquals: { ...owned, 'eks:accessScope': 'cluster' },
          StringLike: fromAMigration,
        },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; associations limited to ${MIGRATION_POLICY_NAMES.join(', ')} at cluster scope, on entries tagged managed-by and source=migration/*.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'PassNodeRolesToNodeEntries',
        // Node-type entries (EC2_LINUX, EC2_WINDOWS) name an instance role; the SAR lists
        // iam:PassRole to ec2.amazonaws.com as authorized by CreateAccessEntry. This role can
        // launch nothing, so passing a role gives it no new capability.
        actions: ['iam:PassRole'],
        resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
      wildcardReason: 'A node entry may name any instance role of the account, under any path; iam:PassRole only to ec2.amazonaws.com, by a role that cannot launch instances.',
    },
  ];
}
