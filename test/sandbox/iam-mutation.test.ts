// Every statement the app grants is needed: the flows the product runs (the tag lifecycle through
// the provisioner, a resync, a migration to API, a migration rolled back after its entries were
// created) run under IAM enforcement, each function as its synthesized role; then each statement
// of each role is removed in turn and the requests those flows made are decided again by the same
// evaluator. A statement whose removal denies none of them is either unneeded or not exercised;
// the test names it. (docs/architecture.md, "How it is tested".)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AssociateAccessPolicyCommand, CreateAccessEntryCommand, DeleteAccessEntryCommand, EKSClient, UpdateAccessEntryCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { GetExecutionHistoryCommand, SFNClient, SendTaskSuccessCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { EventBridge } from '#sandbox/eventbridge';
import type { JournalEntry } from '#sandbox/iam/enforcer';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { createMigrationStateMachine, mapWorkflowRole, type MigrationMachine } from '#sandbox/stepfunctions/migration';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const role = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const AWS_AUTH = {
  mapRoles: [
    { rolearn: role('/', 'nodes'), username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
    { rolearn: role('/', 'platform-admin'), username: 'admin:{{SessionName}}', groups: ['system:masters'] },
    { rolearn: role('/', 'team-b'), username: 'team-b:{{SessionName}}', groups: ['pod-readers'] },
  ],
  mapUsers: [],
};
const MIGRATED = ['to-api', 'rolled-back'] as const;

let sandbox: Sandbox;
let machine: MigrationMachine;
let sfn: SFNClient;
/** An expiry far enough ahead that nothing fires while the flows run. */
const FUTURE = new Date(Date.now() + 7 * 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The requests each flow made, by flow name. */
const flows = new Map<string, JournalEntry[]>();

async function flow(name: string, run: () => Promise<void>): Promise<void> {
  sandbox.iam!.openJournal();
  await run();
  flows.set(name, sandbox.iam!.journal!);
  sandbox.iam!.journal = undefined;
}

async function execution(name: string, input: Record<string, unknown>, whileWaiting?: () => void): Promise<string> {
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name, input: JSON.stringify(input) }));
  for (let i = 0; i < 2000; i++) {
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const end = events.find((e) => e.type === 'ExecutionSucceeded' || e.type === 'ExecutionFailed');
    if (end) return end.type!;
    const waiting = events.find((e: HistoryEvent) => e.type === 'TaskSubmitted');
    const answered = events.some((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource === 'invoke.waitForTaskToken');
    if (waiting && !answered && whileWaiting) {
      const scheduled = events.find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken')!;
      const { Payload } = JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } };
      whileWaiting();
      await sfn.send(new SendTaskSuccessCommand({ taskToken: Payload.taskToken, output: JSON.stringify({ approvedBy: 'test' }) }));
      whileWaiting = undefined;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not end`);
}

beforeAll(async () => {
  // The functions' workers inherit this: their log lines are not what this test reads.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'nodes' }, { name: 'platform-admin' }, { name: 'team-b' }, { name: 'creator' }] },
      clusters: [
        { name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' },
        ...MIGRATED.map((name) => ({ name, region: REGION, authenticationMode: 'CONFIG_MAP' as const, version: '1.31', platformVersion: 'eks.12', creatorArn: role('/', 'creator'), nodeRoleArns: [role('/', 'nodes')], awsAuth: AWS_AUTH })),
      ],
    },
    iam: { config: { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }, ...MIGRATED.map((name) => ({ name, region: REGION }))], allowedGroups: ['pod-readers'] } },
  });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  sfn = new SFNClient({ region: REGION, endpoint: sandbox.url, credentials });
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials });
  const lambda = sandbox.lambda!;
  const bus = new EventBridge((event) => lambda.invoke(lambda.functionFor('functions/access/provisioner/handler.ts'), event), { retryDelayMs: 5 });
  bus.connect(sandbox.model.iam);
  for (const c of MIGRATED) mapWorkflowRole(sandbox, REGION, c);
  machine = await createMigrationStateMachine(sandbox, { settings: { UpdatePollSeconds: '0', MaxUpdatePolls: '10', ApprovalTimeoutSeconds: '60' } });

  await flow('tag lifecycle', async () => {
    const tag = async (Tags: Record<string, string>) => {
      await iam.send(new TagRoleCommand({ RoleName: 'team-a', Tags: Object.entries(Tags).map(([Key, Value]) => ({ Key, Value })) }));
      await bus.drain();
    };
    await iam.send(new CreateRoleCommand({ RoleName: 'team-a', Path: '/teams/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] }));
    await bus.drain();
    await tag({ 'eks-access': 'edit', 'eks-access-namespaces': 'a b', 'eks-access-groups': 'pod-readers' });
    await tag({ 'eks-access-groups': '' });
    await iam.send(new UntagRoleCommand({ RoleName: 'team-a', TagKeys: ['eks-access', 'eks-access-namespaces', 'eks-access-groups'] }));
    await bus.drain();
    await tag({ 'eks-access': 'view' });
    // Time-bound: the provisioner schedules the revocation (and passes the scheduler role).
    await tag({ 'eks-access-expires': FUTURE });
    await iam.send(new DeleteRoleCommand({ RoleName: 'team-a' }));
    await bus.drain();
  });
  const eks = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials });
  const view = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
  const edit = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';
  await iam.send(new CreateRoleCommand({ RoleName: 'team-c', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] }));
  await iam.send(new CreateRoleCommand({ RoleName: 'team-d', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-groups', Value: 'pod-readers' }] }));
  await iam.send(new CreateRoleCommand({ RoleName: 'untagged', AssumeRolePolicyDocument: TRUST }));
  await iam.send(new CreateRoleCommand({ RoleName: 'team-e', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-expires', Value: FUTURE }] }));
  await bus.drain();
  await flow('resync', async () => {
    // Drift the resync repairs, made behind the provisioner's back by someone with more rights:
    // a deleted entry, changed groups, an extra policy, a tag-owned entry of an untagged role.
    await eks.send(new DeleteAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'team-c') }));
    await eks.send(new UpdateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'team-d'), kubernetesGroups: [] }));
    await eks.send(new AssociateAccessPolicyCommand({ clusterName: 'prod', principalArn: role('/', 'team-d'), policyArn: edit, accessScope: { type: 'cluster' } }));
    await eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'untagged'), tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': 'AROAUNTAGGED' } }));
    // team-e's expiry schedule was deleted by hand: the resync lists the group and creates it again.
    const lost = sandbox.scheduler.all().find((x) => (x.description ?? '').includes('role/team-e'))!;
    sandbox.scheduler.deleteSchedule(REGION, { Name: lost.name, GroupName: lost.groupName });
    await lambda.invoke(lambda.functionFor('functions/access/resync/handler.ts'), {});
    expect(sandbox.scheduler.all().map((x) => x.name)).toContain(lost.name);
    expect(sandbox.model.eks.listAssociatedAccessPolicies(REGION, { clusterName: 'prod', principalArn: role('/', 'team-c') }).associatedAccessPolicies?.map((p) => p.policyArn)).toEqual([view]);
    expect(sandbox.model.eks.listAccessEntries(REGION, { clusterName: 'prod' }).accessEntries).not.toContain(role('/', 'untagged'));
  });
  await flow('migration to API', async () => {
    expect(await execution('to-api-1', { clusterName: 'to-api', region: REGION, targetMode: 'API', dryRun: false, approveCutover: true })).toBe('ExecutionSucceeded');
  });
  await flow('migration rolled back', async () => {
    // The one-way switch fails after the entries were created: the rollback deletes them and restores aws-auth.
    const outcome = await execution('rolled-back-1', { clusterName: 'rolled-back', region: REGION, targetMode: 'API', dryRun: false, approveCutover: false }, () =>
      sandbox.model.eks.failNextUpdate(REGION, 'rolled-back'),
    );
    expect(outcome).toBe('ExecutionFailed');
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  vi.unstubAllEnvs();
});

/** The Allow statements of a role, one each, with where it sits (Deny statements are guards: test/sandbox/iam-enforcement.test.ts). */
function statementsOf(roleName: string) {
  const role = sandbox.iam!.app.roles.get(roleName)!;
  return role.policies.flatMap((p, pi) =>
    p.document.Statement.flatMap((st, si) =>
      st.Effect === 'Deny' ? [] : [{ pi, si, sid: String(st.Sid ?? `#${si}`), label: `${String(st.Sid ?? `#${si}`)} (${[st.Action].flat().join(', ')})`, actions: [st.Action].flat().map(String) }],
    ),
  );
}

/** Grants no flow here can exercise, each with why; anything else unused fails the test. */
const NOT_EXERCISED: Record<string, string> = {
  ReadPlans: 'read only when a retried "Plan conversion" finds the plan an earlier attempt wrote (lost response)',
  ListIdentityCenterRoles: 'iam:ListRoles, called only for an aws-auth sso row (Identity Center roles); no flow here maps one',
  PassNodeRolesToNodeEntries: 'iam:PassRole for creating EC2_LINUX/EC2_WINDOWS entries: whether EKS asks for it is unverified, and here EKS created the node entries itself',
};

describe('the synthesized policies, one statement removed at a time', () => {
  it('let every flow run with every statement in place', () => {
    for (const [name, entries] of flows) expect(entries.filter((e) => !e.allowed).map((e) => `${e.request.action} ${e.request.resource}`), name).toEqual([]);
  });

  it('each statement that grants an AWS call the product makes is needed by at least one flow', async () => {
    const iam = sandbox.iam!;
    const exercised = new Set<string>();
    for (const entries of flows.values()) for (const e of entries) exercised.add(e.identity.principalArn);
    const unneeded: string[] = [];
    let removed = 0;
    for (const role of iam.app.roles.values()) {
      if (!exercised.has(role.arn)) continue;
      const original = role.policies.map((p) => ({ name: p.name, policy: p.document }));
      for (const st of statementsOf(role.name)) {
        // X-Ray, CloudWatch Logs and SQS are not sandboxed services: their statements cannot be exercised here.
        if (st.actions.every((a) => /^(xray|logs|sqs):/.test(a)) || st.sid in NOT_EXERCISED) continue;
        removed++;
        const mutated = original.map((p, pi) => (pi === st.pi ? { ...p, policy: { ...p.policy, Statement: p.policy.Statement.filter((_, si) => si !== st.si) } } : p));
        const failing: string[] = [];
        for (const [name, entries] of flows) {
          for (const e of entries) {
            if (e.identity.principalArn !== role.arn || !e.allowed) continue;
            if ((await iam.evaluate(e.identity, mutated, e.request, e.call)) !== 'Allowed') {
              failing.push(name);
              break;
            }
          }
        }
        if (!failing.length) unneeded.push(`${role.name}: ${st.label}`);
      }
    }
    expect(removed).toBeGreaterThan(20);
    expect(unneeded).toEqual([]);
  }, 120_000);
});
