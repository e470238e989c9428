/**
 * How IAM authorizes the calls that read (and, in tests, break) the deployment around the app:
 * CloudTrail's trails, EventBridge's rules, the SQS queues, the CloudFormation stacks, and
 * iam:SimulatePrincipalPolicy. Each operation names its action and the resource ARN in the Service
 * Authorization Reference's format, cited per service; an operation not listed here or in
 * ./requests.ts is refused by the sandbox, never let through. Also here: EventBridge Scheduler's
 * schedule groups, and IAM Identity Center's
 * admin API (sso-admin), which the functions read through the read role they assume (sts:AssumeRole
 * is mapped in infra/authorization/requests.ts; a mapping there takes precedence over this file).
 */
import { partitionOf } from '#kernel/partition';
import type { AwsModel } from '#sandbox/model/index';

/** The parts of a call that decide its authorization (./requests.ts, CallSummary). */
interface Call {
  operation: string;
  input: Record<string, unknown>;
  region: string;
  accountId: string;
  partition: string;
}

interface Request {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

type Builder = (c: Call, model: AwsModel) => Request[];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const anywhere = (action: string): Builder => () => [{ action, resource: '*', context: {} }];

// ----- CloudTrail (SAR, "Actions, resources, and condition keys for AWS CloudTrail"): DescribeTrails
// has no resource type; GetTrailStatus, GetEventSelectors, PutEventSelectors, StartLogging and
// StopLogging act on `trail`, arn:${Partition}:cloudtrail:${Region}:${Account}:trail/${TrailName}.
// A trail named by ARN is authorized on that ARN; by name, on the trail of the call's Region.

const onTrail =
  (action: string, field: 'Name' | 'TrailName'): Builder =>
  (c) => {
    const name = str(c.input[field]);
    return [{ action, resource: name.startsWith('arn:') ? name : `arn:${c.partition}:cloudtrail:${c.region}:${c.accountId}:trail/${name}`, context: {} }];
  };

const CLOUDTRAIL: Record<string, Builder> = {
  DescribeTrails: anywhere('cloudtrail:DescribeTrails'),
  GetTrailStatus: onTrail('cloudtrail:GetTrailStatus', 'Name'),
  GetEventSelectors: onTrail('cloudtrail:GetEventSelectors', 'TrailName'),
  PutEventSelectors: onTrail('cloudtrail:PutEventSelectors', 'TrailName'),
  StartLogging: onTrail('cloudtrail:StartLogging', 'Name'),
  StopLogging: onTrail('cloudtrail:StopLogging', 'Name'),
};

// ----- EventBridge (SAR, "Actions, resources, and condition keys for Amazon EventBridge"): ListRules
// and TestEventPattern have no resource type; DescribeRule, ListTargetsByRule, DeleteRule, DisableRule, EnableRule and
// RemoveTargets act on `rule-on-default-event-bus` (arn:${Partition}:events:${Region}:${Account}:rule/${RuleName})
// or `rule-on-custom-event-bus` (…:rule/${EventBusName}/${RuleName}), with the condition key
// events:creatorAccount, the account that created the rule (this one).

const onRule =
  (action: string, field: 'Name' | 'Rule'): Builder =>
  (c, model) => {
    const bus = str(c.input.EventBusName);
    const busName = bus ? (bus.split('event-bus/').at(-1) ?? bus) : 'default';
    return [{ action, resource: model.events.arn(c.region, busName, str(c.input[field])), context: { 'events:creatorAccount': c.accountId } }];
  };

const EVENTS: Record<string, Builder> = {
  ListRules: anywhere('events:ListRules'),
  TestEventPattern: anywhere('events:TestEventPattern'),
  DescribeRule: onRule('events:DescribeRule', 'Name'),
  ListTargetsByRule: onRule('events:ListTargetsByRule', 'Rule'),
  DeleteRule: onRule('events:DeleteRule', 'Name'),
  DisableRule: onRule('events:DisableRule', 'Name'),
  EnableRule: onRule('events:EnableRule', 'Name'),
  RemoveTargets: onRule('events:RemoveTargets', 'Rule'),
};

// ----- SQS (SAR, "Actions, resources, and condition keys for Amazon SQS"): ListQueues has no
// resource type; the others act on `queue`, arn:${Partition}:sqs:${Region}:${Account}:${QueueName}.
// A QueueUrl is `<host>/<account>/<name>`; SQS's own host names the Region (sqs.<region>.amazonaws.com).

function queueArn(c: Call, url: string): string {
  try {
    const u = new URL(url);
    const [, account, name] = /^\/(\d{12})\/([^/]+)$/.exec(u.pathname) ?? [];
    const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(u.hostname)?.[1] ?? c.region;
    if (account && name) return `arn:${partitionOf(region)}:sqs:${region}:${account}:${decodeURIComponent(name)}`;
  } catch {
    // not a URL: authorized on what it would name, refused or answered InvalidAddress after
  }
  return `arn:${c.partition}:sqs:${c.region}:${c.accountId}:${url}`;
}

const onQueue =
  (action: string): Builder =>
  (c) => [{ action, resource: queueArn(c, str(c.input.QueueUrl)), context: {} }];

const SQS: Record<string, Builder> = {
  ListQueues: anywhere('sqs:ListQueues'),
  GetQueueUrl: (c) => [
    { action: 'sqs:GetQueueUrl', resource: `arn:${c.partition}:sqs:${c.region}:${str(c.input.QueueOwnerAWSAccountId) || c.accountId}:${str(c.input.QueueName)}`, context: {} },
  ],
  GetQueueAttributes: onQueue('sqs:GetQueueAttributes'),
  SendMessage: onQueue('sqs:SendMessage'),
  ReceiveMessage: onQueue('sqs:ReceiveMessage'),
  DeleteMessage: onQueue('sqs:DeleteMessage'),
  PurgeQueue: onQueue('sqs:PurgeQueue'),
};

// ----- CloudFormation (SAR, "Actions, resources, and condition keys for AWS CloudFormation"):
// DescribeStacks and ListStackResources act on `stack`,
// arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}; DescribeStacks of
// every stack (no StackName) on `*`. A stack that does not exist is authorized on `…/${StackName}/*`.

const onStack =
  (action: string): Builder =>
  (c, model) => {
    const name = str(c.input.StackName);
    if (!name) return [{ action, resource: '*', context: {} }];
    const id = model.cloudformation.stackId(c.region, name) ?? (name.startsWith('arn:') ? name : `arn:${c.partition}:cloudformation:${c.region}:${c.accountId}:stack/${name}/*`);
    return [{ action, resource: id, context: {} }];
  };

const CLOUDFORMATION: Record<string, Builder> = {
  DescribeStacks: onStack('cloudformation:DescribeStacks'),
  ListStackResources: onStack('cloudformation:ListStackResources'),
};

// ----- IAM (SAR, "Actions, resources, and condition keys for AWS Identity and Access Management"):
// SimulatePrincipalPolicy acts on the `role`, `user` or `group` whose policies it simulates.

const IAM: Record<string, Builder> = {
  SimulatePrincipalPolicy: (c) => [{ action: 'iam:SimulatePrincipalPolicy', resource: str(c.input.PolicySourceArn) || '*', context: {} }],
};

// ----- IAM Identity Center (SAR, "Actions, resources, and condition keys for AWS IAM Identity
// Center", service prefix `sso`). Resource types: Instance arn:${Partition}:sso:::instance/${InstanceId},
// PermissionSet arn:${Partition}:sso:::permissionSet/${InstanceId}/${PermissionSetId}, Account
// arn:${Partition}:sso:::account/${AccountId}; Instance and PermissionSet carry aws:ResourceTag/${TagKey}
// and sso:PrimaryRegion (the instance's Region). Per action, the required resource types:
//   ListInstances: none (`*`); ListPermissionSets: Instance; DescribePermissionSet: Instance and
//   PermissionSet; ListTagsForResource, TagResource, UntagResource: the resource tagged (Application,
//   Instance, PermissionSet or TrustedTokenIssuer), Tag/Untag with aws:RequestTag/${TagKey} and
//   aws:TagKeys; CreatePermissionSet: Instance and PermissionSet (the new one's ARN is not known
//   before: …/${InstanceId}/*), with aws:RequestTag and aws:TagKeys; ProvisionPermissionSet,
//   CreateAccountAssignment, DeleteAccountAssignment: Account, Instance and PermissionSet;
//   DescribePermissionSetProvisioningStatus, DescribeAccountAssignmentCreationStatus and
//   …DeletionStatus: Instance. An action with several resource types is authorized on each (one
//   request per resource: every one must be allowed).

function ssoContext(c: Call, model: AwsModel, arn: string): Record<string, string> {
  const instance = model.identityCenter.instance;
  const context: Record<string, string> = { 'sso:PrimaryRegion': instance?.region ?? c.region };
  for (const [k, v] of Object.entries(model.identityCenter.resourceTags(arn) ?? {})) context[`aws:ResourceTag/${k}`] = v;
  return context;
}

function requestTags(c: Call, keysOnly = false): Record<string, string | string[]> {
  if (keysOnly) return { 'aws:TagKeys': (c.input.TagKeys as string[] | undefined) ?? [] };
  const tags = (c.input.Tags as Array<{ Key?: string; Value?: string }> | undefined) ?? [];
  const context: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key ?? '') };
  for (const t of tags) context[`aws:RequestTag/${t.Key ?? ''}`] = t.Value ?? '';
  return context;
}

const onSso =
  (action: string, resources: (c: Call) => string[], extra: (c: Call) => Record<string, string | string[]> = () => ({})): Builder =>
  (c, model) =>
    resources(c).map((resource) => ({ action, resource, context: { ...ssoContext(c, model, resource), ...extra(c) } }));

const instanceOf = (c: Call) => str(c.input.InstanceArn) || '*';
const permissionSetOf = (c: Call) => str(c.input.PermissionSetArn) || '*';
const ssoAccountOf = (c: Call) => `arn:${c.partition}:sso:::account/${str(c.input.TargetId) || '*'}`;
const newPermissionSet = (c: Call) => `arn:${c.partition}:sso:::permissionSet/${instanceOf(c).split('/').at(-1) ?? '*'}/*`;

const SSO: Record<string, Builder> = {
  ListInstances: anywhere('sso:ListInstances'),
  ListPermissionSets: onSso('sso:ListPermissionSets', (c) => [instanceOf(c)]),
  DescribePermissionSet: onSso('sso:DescribePermissionSet', (c) => [instanceOf(c), permissionSetOf(c)]),
  ListTagsForResource: onSso('sso:ListTagsForResource', (c) => [str(c.input.ResourceArn) || '*']),
  TagResource: onSso('sso:TagResource', (c) => [str(c.input.ResourceArn) || '*'], (c) => requestTags(c)),
  UntagResource: onSso('sso:UntagResource', (c) => [str(c.input.ResourceArn) || '*'], (c) => requestTags(c, true)),
  CreatePermissionSet: onSso('sso:CreatePermissionSet', (c) => [instanceOf(c), newPermissionSet(c)], (c) => requestTags(c)),
  ProvisionPermissionSet: onSso('sso:ProvisionPermissionSet', (c) => [ssoAccountOf(c), instanceOf(c), permissionSetOf(c)]),
  CreateAccountAssignment: onSso('sso:CreateAccountAssignment', (c) => [ssoAccountOf(c), instanceOf(c), permissionSetOf(c)]),
  DeleteAccountAssignment: onSso('sso:DeleteAccountAssignment', (c) => [ssoAccountOf(c), instanceOf(c), permissionSetOf(c)]),
  DescribePermissionSetProvisioningStatus: onSso('sso:DescribePermissionSetProvisioningStatus', (c) => [instanceOf(c)]),
  DescribeAccountAssignmentCreationStatus: onSso('sso:DescribeAccountAssignmentCreationStatus', (c) => [instanceOf(c)]),
  DescribeAccountAssignmentDeletionStatus: onSso('sso:DescribeAccountAssignmentDeletionStatus', (c) => [instanceOf(c)]),
};

// ----- EventBridge Scheduler's schedule groups (SAR, "Actions, resources, and condition keys for
// Amazon EventBridge Scheduler"): CreateScheduleGroup, GetScheduleGroup and DeleteScheduleGroup act
// on `schedule-group`, arn:${Partition}:scheduler:${Region}:${Account}:schedule-group/${GroupName},
// CreateScheduleGroup with aws:RequestTag/${TagKey} and aws:TagKeys; ListScheduleGroups has no
// resource type. The schedule operations the functions call (and their iam:PassRole) are mapped in
// infra/authorization/requests.ts.

const groupArn = (c: Call) => `arn:${c.partition}:scheduler:${c.region}:${c.accountId}:schedule-group/${str(c.input.Name)}`;

const SCHEDULER: Record<string, Builder> = {
  CreateScheduleGroup: (c) => [{ action: 'scheduler:CreateScheduleGroup', resource: groupArn(c), context: requestTags(c) }],
  GetScheduleGroup: (c) => [{ action: 'scheduler:GetScheduleGroup', resource: groupArn(c), context: {} }],
  DeleteScheduleGroup: (c) => [{ action: 'scheduler:DeleteScheduleGroup', resource: groupArn(c), context: {} }],
  ListScheduleGroups: anywhere('scheduler:ListScheduleGroups'),
};

/** By SigV4 signing name, then operation. */
export const DEPLOYMENT_REQUESTS: Record<string, Record<string, Builder>> = {
  cloudtrail: CLOUDTRAIL,
  events: EVENTS,
  sqs: SQS,
  cloudformation: CLOUDFORMATION,
  iam: IAM,
  sso: SSO,
  scheduler: SCHEDULER,
};
