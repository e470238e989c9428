/**
 * The auth-mode migration end to end over real HTTP: an operator starts the real state machine
 * (the ASL file, substituted as CDK does) with StartExecution through the real SFNClient; the
 * sandbox runs it, and its Lambda tasks are the real handlers with their production ports, so
 * they call EKS, IAM, S3 and STS over HTTP and read and write aws-auth through the Kubernetes API
 * with a real EKS token over TLS. The mode switches are `aws-sdk:eks` tasks served by the
 * sandbox's EKS. Nothing is mocked; each test checks the world afterwards and the history.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startSandbox, type Sandbox, type SandboxSeed } from '#sandbox/server/index';
import { createMigrationStateMachine, mapWorkflowRole, type MigrationMachine } from '#sandbox/stepfunctions/migration';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const role = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const ARN = {
  nodes: role('/', 'eks-node-group'),
  fargate: role('/', 'eks-fargate-pods'),
  creator: role('/', 'ClusterCreator'),
  admin: role('/', 'platform-admin'),
  team: role('/teams/', 'team-a-developers'),
  migration: role('/eks-access-pilot/', 'eks-access-pilot-MigrationRole'),
  alice: `arn:aws:iam::${ACCOUNT}:user/alice`,
};
const CLUSTER_ADMIN = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** A realistic aws-auth: node group, Fargate, an admin, a team role with a custom group, a user, and the workflow's own row. */
const AWS_AUTH = {
  mapRoles: [
    { rolearn: ARN.nodes, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
    { rolearn: ARN.fargate, username: 'system:node:{{SessionName}}', groups: ['system:bootstrappers', 'system:nodes', 'system:node-proxier'] },
    { rolearn: ARN.admin, username: 'platform-admin:{{SessionName}}', groups: ['system:masters'] },
    // aws-auth matches roles without their path.
    { rolearn: role('/', 'team-a-developers'), username: 'team-a:{{SessionName}}', groups: ['pod-readers'] },
    { rolearn: role('/', 'eks-access-pilot-MigrationRole'), username: 'eks-access-pilot-migration', groups: ['eks-access-pilot-aws-auth'] },
  ],
  mapUsers: [{ userarn: ARN.alice, username: 'alice', groups: ['system:masters'] }],
};
const CLUSTERS = ['happy', 'approval', 'dryrun', 'rollback'] as const;

const SEED: SandboxSeed = {
  iam: {
    roles: [
      { name: 'eks-node-group' },
      { name: 'eks-fargate-pods' },
      { name: 'ClusterCreator' },
      { name: 'platform-admin' },
      { name: 'team-a-developers', path: '/teams/' },
      { name: 'eks-access-pilot-MigrationRole', path: '/eks-access-pilot/' },
    ],
    users: [{ name: 'alice' }],
  },
  clusters: CLUSTERS.map((name) => ({
    name,
    region: REGION,
    authenticationMode: 'CONFIG_MAP' as const,
    version: '1.31',
    platformVersion: 'eks.12',
    creatorArn: ARN.creator,
    nodeRoleArns: [ARN.nodes],
    fargateRoleArns: [ARN.fargate],
    awsAuth: AWS_AUTH,
  })),
};

let sandbox: Sandbox;
let machine: MigrationMachine;
let sfn: SFNClient;
let s3: S3Client;
let out: CapturedOutput;
/** The deployed workflow role the operator mapped in aws-auth (README): converted like any other row. */
let workflowRole: string;

beforeAll(async () => {
  // IAM is enforced: the tasks run in the sandbox's Lambda runtime as their deployed roles, the
  // mode switches as the state machine's role; this test's own clients are the operator's.
  sandbox = await startSandbox({ seed: SEED, region: REGION });
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  for (const c of CLUSTERS) workflowRole = mapWorkflowRole(sandbox, REGION, c);
  machine = await createMigrationStateMachine(sandbox, { settings: { UpdatePollSeconds: '0', MaxUpdatePolls: '10', ApprovalTimeoutSeconds: '60' } });
  sfn = new SFNClient({ region: REGION });
  s3 = new S3Client({ region: REGION });
});

afterAll(async () => {
  sfn.destroy();
  s3.destroy();
  await sandbox.stop();
  vi.unstubAllEnvs();
});

afterEach(() => {
  sandbox.faults.set({});
  out?.restore();
});

const start = async (cluster: string, name: string, over: Record<string, unknown> = {}) => {
  // The handlers log through Powertools on stdout; keep the test output readable.
  out = captureStdout();
  const input = { clusterName: cluster, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true, ...over };
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name, input: JSON.stringify(input) }));
  return executionArn!;
};

/** Polls DescribeExecution, as an operator's CLI would, until the execution has ended. */
async function finished(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionOutput> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    if (Date.now() > until) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 100 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const mode = (cluster: string) => sandbox.model.eks.authView(REGION, cluster).mode;
const entries = (cluster: string) => [...sandbox.model.eks.authView(REGION, cluster).effectiveEntryArns].sort();
const awsAuth = (cluster: string) => sandbox.model.kubernetes(REGION, cluster).configMap('kube-system', 'aws-auth');
const entry = (cluster: string, principalArn: string) => sandbox.model.eks.describeAccessEntry(REGION, { clusterName: cluster, principalArn }).accessEntry!;
const stateNames = (events: HistoryEvent[]) => events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name);

/** What EKS creates itself on the switch, and what the workflow converts from aws-auth. */
const EKS_CREATED = [ARN.nodes, ARN.fargate, ARN.creator];
const converted = () => [ARN.admin, ARN.team, ARN.migration, ARN.alice, workflowRole];

describe('migration workflow through StartExecution against the HTTP sandbox', () => {
  it('HappyPath: moves a CONFIG_MAP cluster to API with one tagged entry per aws-auth row, leaving aws-auth as it was', async () => {
    // arrange
    const before = awsAuth('happy');

    // act
    const arn = await start('happy', 'happy-1');
    const done = await finished(arn);

    // assert
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'happy-1', stateMachineArn: machine.stateMachineArn });
    expect(JSON.parse(done.output!)).toMatchObject({ authenticationMode: 'API', entriesCreated: 5, blockers: 0 });
    expect(mode('happy')).toBe('API');
    expect(entries('happy')).toEqual([...EKS_CREATED, ...converted()].sort());
    for (const p of converted()) expect(entry('happy', p).tags).toEqual({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/happy-1' });
    expect(entry('happy', ARN.team)).toMatchObject({ type: 'STANDARD', username: 'team-a:{{SessionName}}', kubernetesGroups: ['pod-readers'] });
    expect(sandbox.model.eks.listAssociatedAccessPolicies(REGION, { clusterName: 'happy', principalArn: ARN.admin }).associatedAccessPolicies).toEqual([
      expect.objectContaining({ policyArn: CLUSTER_ADMIN, accessScope: { type: 'cluster', namespaces: [] } }),
    ]);
    expect(awsAuth('happy')).toEqual(before);
    expect(sandbox.model.s3.keys(machine.bucket).filter((k) => k.includes('/happy/'))).toEqual([
      'backups/happy/happy-1/backup.json',
      'plans/happy/happy-1/plan.json',
      'reports/happy/happy-1/report.json',
    ]);
    const events = await history(arn);
    expect(events[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: done.output } });
    expect(stateNames(events)).toContain('Switch to API');
    // The mode switch is an aws-sdk:eks task; the backup is a Lambda function.
    expect(events.find((e) => e.type === 'TaskScheduled')).toMatchObject({ taskScheduledEventDetails: { resourceType: 'aws-sdk:eks', resource: 'updateClusterConfig', region: REGION } });
    expect(events.find((e) => e.type === 'LambdaFunctionScheduled')?.lambdaFunctionScheduledEventDetails?.resource).toBe(machine.functions.ValidateInputFunctionArn);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    // aws-auth was read over the Kubernetes API with an EKS token (the workflow's row admits it).
    expect(sandbox.calls().kubernetes?.readNamespacedConfigMap).toBeGreaterThan(0);
  });

  it('waits for approval before the one-way switch, and goes on when an operator sends the task token back', async () => {
    // arrange
    const arn = await start('approval', 'approval-1', { approveCutover: false });

    // act: find the token in the history (TaskScheduled parameters), as the CLI does, and approve
    let events: HistoryEvent[] = [];
    const until = Date.now() + 20_000;
    // TaskSubmitted: the approval request has been delivered (and written to S3).
    while (!events.some((e) => e.type === 'TaskSubmitted') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      events = await history(arn);
    }
    const scheduled = events.find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken');
    const { Payload } = JSON.parse(scheduled!.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } };
    expect(mode('approval')).toBe('API_AND_CONFIG_MAP');
    const request = await s3.send(new GetObjectCommand({ Bucket: machine.bucket, Key: 'approvals/approval/approval-1/request.json' }));
    expect(JSON.parse(await request.Body!.transformToString())).toMatchObject({ taskToken: Payload.taskToken, cluster: 'approval' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: Payload.taskToken, output: JSON.stringify({ approvedBy: 'alice@example.com' }) }));
    const done = await finished(arn);

    // assert
    expect(done.status).toBe('SUCCEEDED');
    expect(mode('approval')).toBe('API');
    events = await history(arn);
    expect(events.find((e) => e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource === 'invoke.waitForTaskToken')?.taskSucceededEventDetails?.output).toBe(
      JSON.stringify({ approvedBy: 'alice@example.com' }),
    );
    // A token answers once (aws-samples/amazon-mwaa-examples#61).
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: Payload.taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('DryRun: writes the backup and the plan and changes nothing else', async () => {
    // arrange
    const before = awsAuth('dryrun');

    // act
    const arn = await start('dryrun', 'dryrun-1', { dryRun: true });
    const done = await finished(arn);

    // assert
    expect(done.status).toBe('SUCCEEDED');
    expect(mode('dryrun')).toBe('CONFIG_MAP');
    expect(entries('dryrun')).toEqual([]);
    expect(awsAuth('dryrun')).toEqual(before);
    expect(sandbox.model.s3.keys(machine.bucket).filter((k) => k.includes('/dryrun/'))).toEqual(['backups/dryrun/dryrun-1/backup.json', 'plans/dryrun/dryrun-1/plan.json']);
    const events = await history(arn);
    expect(stateNames(events).at(-1)).toBe('Dry run: plan ready');
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(events.some((e) => e.taskScheduledEventDetails?.resource === 'updateClusterConfig')).toBe(false);
  });

  it('FailsAtCreateAccessEntries→Rollback: deletes the entries this execution made, keeps aws-auth, and fails naming the step', async () => {
    // arrange: EKS refuses to associate access policies (e.g. a missing IAM permission), after some entries exist
    const before = awsAuth('rollback');
    sandbox.faults.set({ fail: { 'eks:AssociateAccessPolicy': 'AccessDeniedException' } });

    // act
    const arn = await start('rollback', 'rollback-1');
    const done = await finished(arn);

    // assert
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('MigrationFailed.CreateAccessEntries');
    expect(done.cause).toMatch(/API_AND_CONFIG_MAP/);
    expect(mode('rollback')).toBe('API_AND_CONFIG_MAP');
    expect(entries('rollback')).toEqual([...EKS_CREATED].sort());
    expect(awsAuth('rollback')?.data).toEqual(before?.data);
    expect(sandbox.calls().eks?.AssociateAccessPolicy).toBeGreaterThan(0);
    expect(sandbox.calls().eks?.DeleteAccessEntry).toBeGreaterThan(0);
    const events = await history(arn);
    expect(stateNames(events).slice(-2)).toEqual(['Roll back', 'Migration failed']);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: done.error, cause: done.cause } });
    expect(events.find((e) => e.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails?.error).toBe('AccessDeniedException');
  });
});
