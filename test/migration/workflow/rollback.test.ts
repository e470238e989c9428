// A failure injected at every step after the backup: each run ends in a Fail state whose Error
// names the step and whose Cause says what was undone, with aws-auth equal to the backup
// (merged) and the access entries equal to those before plus those EKS created. A rollback that
// cannot finish ("Rollback failed") is in rollback-failed.test.ts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { mergeAwsAuth } from '#migration/domain/rollback';
import { configMapText } from '#migration/tasks/plan';
import { BUCKET, CLUSTER, MigrationWorld, REGION, arnOf, buildMachine, namedError, tenRowAwsAuth, type Injection, type PreparedStateMachine } from './world.ts';

let machine: PreparedStateMachine;
let world: MigrationWorld;

beforeAll(() => {
  machine = buildMachine();
});

afterEach(() => world?.restore());

const input = { clusterName: CLUSTER, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true };
const EKS_CREATED = () => [arnOf.role('creator'), arnOf.role('fargate'), arnOf.role('managedNodes')].sort();
const tagged = (w: MigrationWorld) => w.entryArns().filter((a) => w.entry(a).tags?.['eks-access-pilot/source'] === `migration/${w.execution}`);
const crash = (name = 'Sandbox.Timeout') => namedError(name, 'Task timed out after 900.00 seconds');

interface Case {
  name: string;
  injection: Injection;
  error: string;
  /** Mode after the run, once any update still in flight has completed. */
  mode: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP';
  cause: RegExp;
}

const CASES: Case[] = [
  { name: 'Plan conversion', injection: { state: 'Plan conversion', when: 'after', error: crash() }, error: 'MigrationFailed.PlanConversion', mode: 'CONFIG_MAP', cause: /Plan conversion failed: Sandbox\.Timeout/ },
  {
    name: 'Switch to API_AND_CONFIG_MAP',
    injection: { state: 'Switch to API_AND_CONFIG_MAP', when: 'before', error: namedError('ResourceInUseException', 'Cannot AccessConfigUpdate because cluster prod currently has update 1 in progress') },
    error: 'MigrationFailed.SwitchToApiAndConfigMap',
    mode: 'CONFIG_MAP',
    cause: /Eks\.ResourceInUseException/,
  },
  {
    name: 'Check API_AND_CONFIG_MAP update',
    injection: { state: 'Check API_AND_CONFIG_MAP update', when: 'before', error: namedError('AccessDeniedException', 'not authorized to perform: eks:DescribeUpdate') },
    error: 'MigrationFailed.SwitchToApiAndConfigMap',
    mode: 'API_AND_CONFIG_MAP',
    cause: /Eks\.AccessDeniedException[\s\S]*an update is still in progress/,
  },
  { name: 'Re-list access entries', injection: { state: 'Re-list access entries', when: 'after', error: crash() }, error: 'MigrationFailed.ReListAccessEntries', mode: 'API_AND_CONFIG_MAP', cause: /no access entry had been created/ },
  { name: 'Create access entries', injection: { state: 'Create access entries', when: 'after', error: crash() }, error: 'MigrationFailed.CreateAccessEntries', mode: 'API_AND_CONFIG_MAP', cause: /deleted the 8 access entries this execution created/ },
  {
    name: 'Verify access entries',
    injection: {
      state: 'Verify access entries',
      when: 'before',
      // Someone disassociates alice's admin policy between creation and verification.
      act: (w) => w.aws.eks.disassociateAccessPolicy(REGION, { clusterName: CLUSTER, principalArn: arnOf.user('alice'), policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy' }),
    },
    error: 'MigrationFailed.VerifyAccessEntries',
    mode: 'API_AND_CONFIG_MAP',
    cause: /AccessEntriesMismatchError: 1 planned access entries are missing or differ: mapUsers\[1\][\s\S]*AmazonEKSClusterAdminPolicy is not associated/,
  },
  {
    name: 'Switch to API',
    injection: { state: 'Switch to API', when: 'before', error: namedError('InvalidParameterException', 'Unsupported authentication mode update') },
    error: 'MigrationFailed.SwitchToApi',
    mode: 'API_AND_CONFIG_MAP',
    cause: /Eks\.InvalidParameterException[\s\S]*deleted the 8 access entries[\s\S]*EKS cannot switch a cluster back/,
  },
];

describe('auth-mode migration workflow: failure after the backup → Roll back', () => {
  it.each(CASES)('FailsAt $name → rolls back to the backup and reports it', async (c) => {
    // arrange
    const w = (world = await new MigrationWorld().seed());
    w.injection = c.injection;
    const backupData = tenRowAwsAuth();

    // act
    const run = await w.run(machine, input);
    w.aws.eks.settleUpdates();

    // assert
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['Roll back', 'Migration failed']);
    expect(run.error).toBe(c.error);
    expect(run.cause).toMatch(c.cause);
    expect(run.cause).toContain(`Backup: s3://${BUCKET}/backups/prod/${w.execution}/backup.json`);
    expect(w.mode()).toBe(c.mode);
    expect(w.awsAuth()).toEqual(mergeAwsAuth(backupData, w.awsAuth()!).data);
    expect(w.awsAuth()).toEqual(backupData);
    expect(tagged(w)).toEqual([]);
    expect(w.entryArns()).toEqual(c.mode === 'CONFIG_MAP' ? [] : EKS_CREATED());
  });

  it('FailsAt Check API update while the switch to API is in flight → entries KEPT, so nobody is locked out', async () => {
    const w = (world = await new MigrationWorld({}, 'migration-api-inflight').seed());
    w.injection = { state: 'Check API update', when: 'before', error: namedError('AccessDeniedException', 'not authorized to perform: eks:DescribeUpdate') };

    const run = await w.run(machine, input);

    expect(run.error).toBe('MigrationFailed.SwitchToApi');
    expect(run.cause).toContain('were KEPT: a switch to API is in progress');
    expect(tagged(w)).toHaveLength(8);
    w.aws.eks.settleUpdates();
    expect(w.mode()).toBe('API');
  });

  it('FailsAt Report after the cluster reached API → entries kept, the one-way switch stated', async () => {
    const w = (world = await new MigrationWorld({ model: { updatePolls: 1 } }, 'migration-report-fails').seed());
    w.injection = { state: 'Report', when: 'before', error: crash() };

    const run = await w.run(machine, input);

    expect(run.error).toBe('MigrationFailed.Report');
    expect(run.cause).toContain('already in API mode');
    expect(run.cause).toContain('the authentication mode is API');
    expect(tagged(w)).toHaveLength(8);
  });

  it('restores rows removed from aws-auth after the backup, keeps rows EKS added, and retries a concurrent edit', async () => {
    // arrange: after the backup, someone deletes bob from mapUsers; during the rollback's write
    // EKS adds a node group row (a concurrent edit: 409, the task is retried).
    const w = (world = await new MigrationWorld({}, 'migration-merge').seed());
    const nodeRow = '- rolearn: arn:aws:iam::111122223333:role/eks-prod-ng-new-NodeInstanceRole\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n';
    w.injection = {
      state: 'Create access entries',
      when: 'after',
      act: (x) => {
        x.k8s.edit('kube-system', 'aws-auth', (d) => ({ ...d, mapUsers: d.mapUsers!.replace(/- userarn: \S+user\/bob[\s\S]*$/, '') }));
        x.k8s.interceptNextWrite(() => x.k8s.edit('kube-system', 'aws-auth', (d) => ({ ...d, mapRoles: d.mapRoles + nodeRow })));
      },
      error: crash(),
    };

    // act
    const run = await w.run(machine, input);

    // assert
    expect(run.error).toBe('MigrationFailed.CreateAccessEntries');
    expect(run.path.filter((s) => s === 'Roll back')).toHaveLength(1);
    expect(run.cause).toContain(`aws-auth restored from the backup by merging (1 re-added: mapUsers: ${arnOf.user('bob')})`);
    // The retried attempt still tells what it undid: no entry is deleted before aws-auth is written.
    expect(run.failures.filter((f) => f.state === 'Roll back').map((f) => f.error)).toEqual(['ConcurrentEditError']);
    expect(run.cause).toContain('deleted the 8 access entries this execution created');
    expect(tagged(w)).toEqual([]);
    const now = w.awsAuth()!;
    expect(now.mapRoles).toContain('eks-prod-ng-new-NodeInstanceRole');
    expect(now.mapUsers).toContain(arnOf.user('bob'));
    expect(mergeAwsAuth(tenRowAwsAuth(), now).changed).toBe(false);
  });

  it('the merge keeps YAML 1.1 traps as strings: a row edited to username "on" after the backup still reads as "on"', async () => {
    // arrange: after the backup, someone deletes bob and sets release-bot's username to the string "on".
    const w = (world = await new MigrationWorld({}, 'migration-merge-yaml11').seed());
    w.injection = {
      state: 'Create access entries',
      when: 'after',
      act: (x) =>
        x.k8s.edit('kube-system', 'aws-auth', (d) => ({
          ...d,
          mapUsers: d.mapUsers!.replace('username: release-bot', 'username: "on"').replace(/- userarn: \S+user\/bob[\s\S]*$/, ''),
        })),
      error: crash(),
    };

    // act
    const run = await w.run(machine, input);

    // assert
    expect(run.error).toBe('MigrationFailed.CreateAccessEntries');
    expect(run.cause).toContain(`1 re-added: mapUsers: ${arnOf.user('bob')}`);
    const doc = parseAwsAuth(configMapText(w.awsAuth()!));
    expect(doc.errors).toEqual([]);
    expect(doc.rows.find((r) => r.arn === arnOf.user('releaseBot'))?.username).toBe('on');
    expect(doc.rows.find((r) => r.arn === arnOf.user('bob'))?.groups).toEqual(['pod-readers']);
  });

  it('never deletes an entry another execution or the provisioner created', async () => {
    const w = (world = await new MigrationWorld({ mode: 'API_AND_CONFIG_MAP' }, 'migration-owner').seed());
    const other = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/some-other-run' };
    w.aws.eks.createAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.user('bob'), kubernetesGroups: ['pod-readers'], tags: other });
    w.injection = { state: 'Create access entries', when: 'after', error: crash() };

    const run = await w.run(machine, input);

    expect(run.error).toBe('MigrationFailed.CreateAccessEntries');
    expect(w.entry(arnOf.user('bob')).tags).toEqual(other);
    expect(tagged(w)).toEqual([]);
  });
});
