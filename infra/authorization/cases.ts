/**
 * What each role the app deploys must be allowed, and what it must be refused, written once as
 * the API calls the code makes (docs/architecture.md, "Safety invariants" 1, 2, 3 and 5). Two
 * readers:
 *  - the sandbox makes every case as a real signed call under the deployed role and checks IAM's
 *    answer (test/sandbox/iam-cases.test.ts);
 *  - `eks-access-pilot doctor` asks the real account the same questions with
 *    iam:SimulatePrincipalPolicy, turning each call into its action, resource and context keys
 *    with the same mapping the sandbox authorizes with (./requests.ts).
 * A case names the role by its kind (the construct's logical ID without CDK's hash), so the same
 * list serves every stack that deploys that role (the home region's and each regional migration
 * stack's).
 */
import { grantableLevels, type Config } from '#kernel/config';
import { IDENTITY_CENTER_PATH_PREFIX, IDENTITY_CENTER_SOURCE } from '#kernel/identity-center';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, migrationTags, ownershipTags } from '#kernel/ownership';
import type { Partition } from '#kernel/partition';
import { documentKey } from '#workflows/contract';
import { EXPIRY_SCHEDULE_GROUP_NAME, EXPIRY_SCHEDULER_ROLE_NAME, PROVISIONER_FUNCTION_NAME } from '../constructs/expiry.ts';

/** The roles the app deploys, by the logical ID CDK gives them without its 8-character hash. */
export const ROLE_KINDS = {
  provisioner: 'TagProvisioningProvisionerRole',
  resync: 'TagProvisioningResyncRole',
  kubernetes: 'MigrationKubernetesRole',
  validateInput: 'MigrationValidateInputRole',
  plan: 'MigrationPlanRole',
  relist: 'MigrationRelistEntriesRole',
  createEntries: 'MigrationCreateEntriesRole',
  verify: 'MigrationVerifyEntriesRole',
  requestApproval: 'MigrationRequestApprovalRole',
  report: 'MigrationReportRole',
  stateMachine: 'MigrationStateMachineRole',
  forwarder: 'ForwardRole',
} as const;
export type RoleKind = (typeof ROLE_KINDS)[keyof typeof ROLE_KINDS];

/** `TagProvisioningProvisionerRole588439B6` → `TagProvisioningProvisionerRole`. */
export function roleKindOf(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** One API call as the SDK makes it: the service's signing name, the operation, its input. */
export interface ApiCall {
  service: string;
  operation: string;
  region: string;
  input: Record<string, unknown>;
}

/** The state of an existing access entry the call acts on (its tags decide most denials). */
export interface ExistingEntry {
  tags: Record<string, string>;
  type?: string;
}

export interface PermissionCase {
  role: RoleKind;
  /** What the role does (allowed) or must never do (denied), in a phrase. */
  what: string;
  call: ApiCall;
  existing?: ExistingEntry;
  expect: 'allowed' | 'denied';
}

/** What a case needs to know about one deployment of the migration (per region). */
export interface MigrationDeployment {
  region: string;
  /** The documents bucket's name. */
  bucket: string;
  /** The task functions' ARNs (the state machine invokes them). */
  functionArns: string[];
}

export interface CaseContext {
  config: Config;
  accountId: string;
  partition: Partition;
  /** One per region with a migration stack (the home region's included). */
  migrations: MigrationDeployment[];
}

const EXAMPLE_EXECUTION = 'doctor-example';

/** Every permission case of the deployment, in a stable order (role, cluster, case). */
export function permissionCases(ctx: CaseContext): PermissionCase[] {
  return [...tagRoleCases(ctx, ROLE_KINDS.provisioner), ...tagRoleCases(ctx, ROLE_KINDS.resync), ...resyncOnly(), ...migrationCases(ctx)];
}

function roleArn(ctx: CaseContext, name: string): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:role/${name}`;
}

function policyArnAbove(config: Config): string | undefined {
  const grantable = grantableLevels(config);
  return config.levels[grantable.length]?.policyArn;
}

function tagRoleCases(ctx: CaseContext, role: RoleKind): PermissionCase[] {
  const { config } = ctx;
  const out: PermissionCase[] = [];
  const team = roleArn(ctx, 'doctor-example-team');
  const owned: ExistingEntry = { tags: ownershipTags({ id: 'AROADOCTOREXAMPLE' }) };
  const ceilingPolicy = grantableLevels(config).at(-1)?.policyArn;
  const above = policyArnAbove(config);
  const protectedArn = config.protectedPrincipalArns[0];
  const call = (c: { name: string; region: string }, operation: string, input: Record<string, unknown> = {}): ApiCall => ({
    service: 'eks',
    operation,
    region: c.region,
    input: operation === 'DescribeCluster' ? { name: c.name, ...input } : { clusterName: c.name, ...input },
  });
  out.push({ role, what: "read a principal's tags", call: { service: 'iam', operation: 'GetRole', region: config.homeRegion, input: { RoleName: 'doctor-example-team' } }, expect: 'allowed' });
  for (const c of config.clusters) {
    const on = ` on ${c.name}`;
    out.push(
      { role, what: `describe the cluster${on}`, call: call(c, 'DescribeCluster'), expect: 'allowed' },
      { role, what: `list access entries${on}`, call: call(c, 'ListAccessEntries'), expect: 'allowed' },
      { role, what: `read an entry${on}`, call: call(c, 'DescribeAccessEntry', { principalArn: team }), existing: owned, expect: 'allowed' },
      { role, what: `read an entry's policies${on}`, call: call(c, 'ListAssociatedAccessPolicies', { principalArn: team }), existing: owned, expect: 'allowed' },
      {
        role,
        what: `create an owned STANDARD entry${on}`,
        call: call(c, 'CreateAccessEntry', { principalArn: team, type: 'STANDARD', tags: owned.tags, ...(config.allowedGroups.length ? { kubernetesGroups: [config.allowedGroups[0]] } : {}) }),
        expect: 'allowed',
      },
      { role, what: `delete an owned entry${on}`, call: call(c, 'DeleteAccessEntry', { principalArn: team }), existing: owned, expect: 'allowed' },
      { role, what: `remove a policy from an owned entry${on}`, call: call(c, 'DisassociateAccessPolicy', { principalArn: team, policyArn: ceilingPolicy }), existing: owned, expect: 'allowed' },
      // Invariant 2: never a username (eks:username is pinned absent on create).
      { role, what: `create an entry with a username${on}`, call: call(c, 'CreateAccessEntry', { principalArn: team, type: 'STANDARD', tags: owned.tags, username: 'doctor' }), expect: 'denied' },
      { role, what: `create an entry without the ownership tags${on}`, call: call(c, 'CreateAccessEntry', { principalArn: team, type: 'STANDARD' }), expect: 'denied' },
      { role, what: `delete an entry it does not own${on}`, call: call(c, 'DeleteAccessEntry', { principalArn: team }), existing: { tags: {} }, expect: 'denied' },
      {
        role,
        what: `delete a migration's entry${on}`,
        call: call(c, 'DeleteAccessEntry', { principalArn: team }),
        existing: { tags: migrationTags(EXAMPLE_EXECUTION) },
        expect: 'denied',
      },
      // IAM cannot bound the groups an update sets (SAR: eks:kubernetesGroups is not a request key of UpdateAccessEntry).
      { role, what: `update an entry (groups IAM cannot bound)${on}`, call: call(c, 'UpdateAccessEntry', { principalArn: team, kubernetesGroups: ['system:masters'] }), existing: owned, expect: 'denied' },
    );
    if (ceilingPolicy) {
      out.push({
        role,
        what: `associate the ceiling's policy to an owned entry${on}`,
        call: call(c, 'AssociateAccessPolicy', { principalArn: team, policyArn: ceilingPolicy, accessScope: { type: 'cluster' } }),
        existing: owned,
        expect: 'allowed',
      });
    }
    if (above) {
      // Invariant 1: nothing above the ceiling, even on its own entry.
      out.push({
        role,
        what: `associate a policy above the ceiling${on}`,
        call: call(c, 'AssociateAccessPolicy', { principalArn: team, policyArn: above, accessScope: { type: 'cluster' } }),
        existing: owned,
        expect: 'denied',
      });
    }
    if (protectedArn) {
      // Invariant 3: hands off protected principals, even when their entry carries our tags.
      out.push({ role, what: `delete a protected principal's entry${on}`, call: call(c, 'DeleteAccessEntry', { principalArn: protectedArn }), existing: owned, expect: 'denied' });
    }
    out.push(...identityCenterCases(ctx, role, { on, call: (operation, input) => call(c, operation, input), team, ceilingPolicy }));
  }
  out.push(...expiryCases(ctx, role));
  if (config.identityCenter?.readRoleArn) {
    out.push({
      role,
      what: 'assume the Identity Center read role',
      call: { service: 'sts', operation: 'AssumeRole', region: config.homeRegion, input: { RoleArn: config.identityCenter.readRoleArn, RoleSessionName: 'eks-access-pilot' } },
      expect: 'allowed',
    });
  }
  return out;
}

/**
 * Time-bound access (infra/constructs/expiry.ts): the provisioner and the resync create, move, read
 * and delete one-time schedules in the app's group, passing the scheduler role (the resync also
 * lists them); never in another group, never passing another role.
 */
function expiryCases(ctx: CaseContext, role: RoleKind): PermissionCase[] {
  const region = ctx.config.homeRegion;
  const Name = 'eap-expiry-0123456789abcdef0123456789abcdef01234567';
  const target = (roleName: string) => ({
    Arn: `arn:${ctx.partition}:lambda:${region}:${ctx.accountId}:function:${PROVISIONER_FUNCTION_NAME}`,
    RoleArn: roleArn(ctx, roleName),
    Input: JSON.stringify({ principal: roleArn(ctx, 'doctor-example-team') }),
  });
  const schedule = (GroupName: string, roleName = EXPIRY_SCHEDULER_ROLE_NAME) => ({
    Name,
    GroupName,
    ScheduleExpression: 'at(2099-12-31T23:59:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: target(roleName),
  });
  const call = (operation: string, input: Record<string, unknown>): ApiCall => ({ service: 'scheduler', operation, region, input });
  const group = EXPIRY_SCHEDULE_GROUP_NAME;
  return [
    { role, what: 'create an expiry schedule in the group', call: call('CreateSchedule', schedule(group)), expect: 'allowed' },
    { role, what: 'move an expiry schedule in the group', call: call('UpdateSchedule', schedule(group)), expect: 'allowed' },
    { role, what: 'read an expiry schedule in the group', call: call('GetSchedule', { Name, GroupName: group }), expect: 'allowed' },
    { role, what: 'delete an expiry schedule in the group', call: call('DeleteSchedule', { Name, GroupName: group }), expect: 'allowed' },
    ...(role === ROLE_KINDS.resync
      ? [{ role, what: "list the group's schedules", call: call('ListSchedules', { GroupName: group, NamePrefix: 'eap-expiry-' }), expect: 'allowed' } satisfies PermissionCase]
      : []),
    { role, what: 'create a schedule in another group', call: call('CreateSchedule', schedule('default')), expect: 'denied' },
    { role, what: 'delete a schedule in another group', call: call('DeleteSchedule', { Name, GroupName: 'default' }), expect: 'denied' },
    // Passing a more privileged role would let a schedule act as it.
    { role, what: 'create a schedule that passes another role', call: call('CreateSchedule', schedule(group, 'doctor-example-team')), expect: 'denied' },
  ];
}

/** The example Identity Center role: the form Identity Center gives them, with a Region segment. */
export function exampleIdentityCenterRoleArn(ctx: CaseContext): string {
  const region = ctx.config.identityCenter?.region ?? ctx.config.homeRegion;
  return roleArn(ctx, `${IDENTITY_CENTER_PATH_PREFIX.slice(1)}${region}/AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789`);
}

/**
 * With `identityCenter` configured, on one cluster: an Identity Center role's entry is created with
 * exactly the configured username, never for a role outside Identity Center's path nor with
 * another username (infra/constructs/reconcile-permissions.ts, CreateOwnedIdentityCenterEntries),
 * and the entries it owns are changed like the tag side's.
 */
function identityCenterCases(
  ctx: CaseContext,
  role: RoleKind,
  on: { on: string; call: (operation: string, input: Record<string, unknown>) => ApiCall; team: string; ceilingPolicy: string | undefined },
): PermissionCase[] {
  const ic = ctx.config.identityCenter;
  if (!ic) return [];
  const { call, team, ceilingPolicy } = on;
  const sso = exampleIdentityCenterRoleArn(ctx);
  const tags = ownershipTags({ id: 'AROADOCTOREXAMPLESSO' }, IDENTITY_CENTER_SOURCE);
  const groups = ctx.config.allowedGroups.length ? { kubernetesGroups: [ctx.config.allowedGroups[0]] } : {};
  const create = (principalArn: string, username: string) => call('CreateAccessEntry', { principalArn, type: 'STANDARD', tags, username, ...groups });
  const out: PermissionCase[] = [
    { role, what: `create an Identity Center role's entry with the configured username${on.on}`, call: create(sso, ic.username), expect: 'allowed' },
    { role, what: `create an Identity Center entry for a role outside the Identity Center path${on.on}`, call: create(team, ic.username), expect: 'denied' },
    { role, what: `create an Identity Center entry with another username${on.on}`, call: create(sso, `doctor:${ic.username}`), expect: 'denied' },
    {
      role,
      what: `create an Identity Center entry without a username${on.on}`,
      call: call('CreateAccessEntry', { principalArn: sso, type: 'STANDARD', tags, ...groups }),
      expect: 'denied',
    },
    { role, what: `delete an owned Identity Center entry${on.on}`, call: call('DeleteAccessEntry', { principalArn: sso }), existing: { tags }, expect: 'allowed' },
  ];
  if (ceilingPolicy) {
    out.push({
      role,
      what: `associate the ceiling's policy to an owned Identity Center entry${on.on}`,
      call: call('AssociateAccessPolicy', { principalArn: sso, policyArn: ceilingPolicy, accessScope: { type: 'cluster' } }),
      existing: { tags },
      expect: 'allowed',
    });
  }
  return out;
}

function resyncOnly(): PermissionCase[] {
  return [
    {
      role: ROLE_KINDS.resync,
      what: 'list every principal with its tags',
      call: { service: 'iam', operation: 'GetAccountAuthorizationDetails', region: 'us-east-1', input: { Filter: ['Role', 'User'] } },
      expect: 'allowed',
    },
  ];
}

function migrationCases(ctx: CaseContext): PermissionCase[] {
  const out: PermissionCase[] = [];
  const someone = roleArn(ctx, 'doctor-example-team');
  const ours: ExistingEntry = { tags: migrationTags(EXAMPLE_EXECUTION) };
  const tagged: ExistingEntry = { tags: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, ...ownershipTags({ id: 'AROADOCTOREXAMPLE' }) } };
  for (const m of ctx.migrations) {
    const clusters = ctx.config.clusters.filter((c) => c.region === m.region);
    const s3 = (operation: string, key: string, input: Record<string, unknown> = {}): ApiCall => ({ service: 's3', operation, region: m.region, input: { Bucket: m.bucket, Key: key, ...input } });
    for (const c of clusters) {
      const on = ` on ${c.name}`;
      const eks = (operation: string, input: Record<string, unknown> = {}): ApiCall => ({
        service: 'eks',
        operation,
        region: c.region,
        input: operation === 'DescribeCluster' || operation === 'UpdateClusterConfig' ? { name: c.name, ...input } : { clusterName: c.name, ...input },
      });
      const key = (kind: 'backups' | 'plans' | 'reports' | 'approvals', file: string) => documentKey(kind, c.name, EXAMPLE_EXECUTION, file);
      const adminPolicy = `arn:${ctx.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
      out.push(
        { role: ROLE_KINDS.kubernetes, what: `describe the cluster${on}`, call: eks('DescribeCluster'), expect: 'allowed' },
        { role: ROLE_KINDS.kubernetes, what: `list access entries for the backup${on}`, call: eks('ListAccessEntries'), expect: 'allowed' },
        { role: ROLE_KINDS.kubernetes, what: `write the backup${on}`, call: s3('PutObject', key('backups', 'backup.json'), { IfNoneMatch: '*' }), expect: 'allowed' },
        { role: ROLE_KINDS.kubernetes, what: `read the backup${on}`, call: s3('GetObject', key('backups', 'backup.json')), expect: 'allowed' },
        { role: ROLE_KINDS.kubernetes, what: `roll back an entry this execution created${on}`, call: eks('DeleteAccessEntry', { principalArn: someone }), existing: ours, expect: 'allowed' },
        { role: ROLE_KINDS.kubernetes, what: `delete an entry no migration created${on}`, call: eks('DeleteAccessEntry', { principalArn: someone }), existing: tagged, expect: 'denied' },
        { role: ROLE_KINDS.plan, what: `read the backup to plan${on}`, call: s3('GetObject', key('backups', 'backup.json')), expect: 'allowed' },
        { role: ROLE_KINDS.plan, what: `resolve a role's path${on}`, call: { service: 'iam', operation: 'GetRole', region: m.region, input: { RoleName: 'doctor-example-team' } }, expect: 'allowed' },
        { role: ROLE_KINDS.plan, what: `write the plan${on}`, call: s3('PutObject', key('plans', 'plan.json'), { IfNoneMatch: '*' }), expect: 'allowed' },
        { role: ROLE_KINDS.relist, what: `re-list access entries${on}`, call: eks('ListAccessEntries'), expect: 'allowed' },
        { role: ROLE_KINDS.createEntries, what: `read the plan${on}`, call: s3('GetObject', key('plans', 'plan.json')), expect: 'allowed' },
        {
          role: ROLE_KINDS.createEntries,
          what: `create a migration-tagged entry${on}`,
          call: eks('CreateAccessEntry', { principalArn: someone, type: 'STANDARD', tags: ours.tags }),
          expect: 'allowed',
        },
        {
          role: ROLE_KINDS.createEntries,
          what: `give cluster admin to a migration entry${on}`,
          call: eks('AssociateAccessPolicy', { principalArn: someone, policyArn: adminPolicy, accessScope: { type: 'cluster' } }),
          existing: ours,
          expect: 'allowed',
        },
        {
          role: ROLE_KINDS.createEntries,
          what: `give cluster admin to an entry no migration created${on}`,
          call: eks('AssociateAccessPolicy', { principalArn: someone, policyArn: adminPolicy, accessScope: { type: 'cluster' } }),
          existing: tagged,
          expect: 'denied',
        },
        { role: ROLE_KINDS.createEntries, what: `create an untagged entry${on}`, call: eks('CreateAccessEntry', { principalArn: someone, type: 'STANDARD' }), expect: 'denied' },
        { role: ROLE_KINDS.verify, what: `list access entries to verify${on}`, call: eks('ListAccessEntries'), expect: 'allowed' },
        { role: ROLE_KINDS.requestApproval, what: `write the approval request${on}`, call: s3('PutObject', key('approvals', 'request.json'), { IfNoneMatch: '*' }), expect: 'allowed' },
        { role: ROLE_KINDS.report, what: `write the report${on}`, call: s3('PutObject', key('reports', 'report.json'), { IfNoneMatch: '*' }), expect: 'allowed' },
        {
          role: ROLE_KINDS.stateMachine,
          what: `switch the authentication mode${on}`,
          call: eks('UpdateClusterConfig', { accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } }),
          expect: 'allowed',
        },
        { role: ROLE_KINDS.stateMachine, what: `poll the mode switch${on}`, call: eks('DescribeUpdate', { updateId: 'doctor-example' }), expect: 'allowed' },
      );
    }
    for (const arn of m.functionArns) {
      out.push({ role: ROLE_KINDS.stateMachine, what: `invoke ${arn.split(':').at(-1)}`, call: { service: 'lambda', operation: 'Invoke', region: m.region, input: { FunctionName: arn } }, expect: 'allowed' });
    }
  }
  return out;
}
