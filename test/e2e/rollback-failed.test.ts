/**
 * A rollback that cannot finish, end to end over real HTTP: the deployed state machine and its
 * functions (each as its own IAM role) on the sandbox, with one persistent fault — S3 refuses
 * every GetObject, so "Plan conversion" fails after the backup and the rollback cannot read the
 * backup either. The execution must end in "Rollback failed" with the whole story as its Cause
 * (the first failure, each undo step, the backup and the next action), not the rollback
 * Lambda's raw `AccessDenied` error.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { createMigrationStateMachine, mapWorkflowRole, type MigrationMachine } from '#sandbox/stepfunctions/migration';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CLUSTER = 'prod';
const AWS_AUTH = {
  mapRoles: [
    { rolearn: `arn:aws:iam::${ACCOUNT}:role/eks-node-group`, username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
    { rolearn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`, username: 'platform-admin:{{SessionName}}', groups: ['system:masters'] },
  ],
};

let sandbox: Sandbox;
let machine: MigrationMachine;
let sfn: SFNClient;
let out: CapturedOutput | undefined;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'eks-node-group' }, { name: 'platform-admin' }, { name: 'ClusterCreator' }] },
      clusters: [
        {
          name: CLUSTER,
          region: REGION,
          authenticationMode: 'CONFIG_MAP',
          version: '1.31',
          platformVersion: 'eks.12',
          creatorArn: `arn:aws:iam::${ACCOUNT}:role/ClusterCreator`,
          nodeRoleArns: [`arn:aws:iam::${ACCOUNT}:role/eks-node-group`],
          awsAuth: AWS_AUTH,
        },
      ],
    },
  });
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  mapWorkflowRole(sandbox, REGION, CLUSTER);
  machine = await createMigrationStateMachine(sandbox, { settings: { UpdatePollSeconds: '0', MaxUpdatePolls: '10', ApprovalTimeoutSeconds: '60' } });
  sfn = new SFNClient({ region: REGION });
});

afterAll(async () => {
  sfn.destroy();
  await sandbox.stop();
  vi.unstubAllEnvs();
});

afterEach(() => {
  sandbox.faults.set({});
  out?.restore();
});

async function finished(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionOutput> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    if (Date.now() > until) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Rollback failed over HTTP, one persistent fault', () => {
  it('s3:GetObject AccessDenied: the Cause names the failed plan, each undo step, the backup and the get-object command', async () => {
    // arrange
    sandbox.faults.set({ fail: { 's3:GetObject': 'AccessDenied' } });
    out = captureStdout();
    const input = { clusterName: CLUSTER, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true };

    // act
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine.stateMachineArn, name: 'getobject-denied', input: JSON.stringify(input) }));
    const done = await finished(executionArn!);

    // assert
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('RollbackFailed');
    const cause = done.cause ?? '';
    expect(cause).toMatch(/^ROLLBACK INCOMPLETE after MigrationFailed\.PlanConversion\. What failed first: Plan conversion failed: AccessDenied/);
    expect(cause).toMatch(/\(1\) read the cluster's mode \(EKS DescribeCluster\): done \(CONFIG_MAP, ACTIVE\)/);
    expect(cause).toMatch(/\(2\) read the backup \(S3 GetObject\): NOT DONE: AccessDenied/);
    expect(cause).toContain('(4) merge the backup back into aws-auth (Kubernetes API): NOT DONE: not attempted: the backup could not be read');
    expect(cause).toContain('(6) delete them (EKS DeleteAccessEntry): not needed (the cluster is in CONFIG_MAP, where no access entry can exist)');
    expect(cause).toContain('Not undone: nothing; the authentication mode was not changed (CONFIG_MAP).');
    const version = /Backup: s3:\/\/\S+\/backups\/prod\/getobject-denied\/backup\.json \(version ([^)]+)\)\./.exec(cause)?.[1];
    expect(version, cause).toBeDefined();
    expect(cause).toContain(`Next: (1) restore aws-auth from the backup as RUNBOOK.md section 4 shows: \`aws s3api get-object --bucket ${machine.bucket} --key backups/prod/getobject-denied/backup.json --version-id ${version} backup.json\``);
    expect(cause).not.toMatch(/"errorType"|"trace"/);
    expect(sandbox.model.eks.authView(REGION, CLUSTER).mode).toBe('CONFIG_MAP');
  });
});
