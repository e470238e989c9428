// The migration state machine, scenario by scenario: the real ASL, the real handlers, the model
// of AWS and Kubernetes. Each test asserts the path taken and the state of the world afterwards.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadJson } from '#test/helpers/events';
import { statusError } from '#sandbox/model/kubernetes';
import {
  BUCKET,
  CLUSTER,
  HAPPY_PATH_TO_API,
  MigrationWorld,
  REGION,
  arnOf,
  buildMachine,
  namedError,
  tenRowAwsAuth,
  type PreparedStateMachine,
  type WorldOptions,
} from './world.ts';

let machine: PreparedStateMachine;
let world: MigrationWorld;

beforeAll(() => {
  machine = buildMachine();
});

afterEach(() => world?.restore());

async function given(options: WorldOptions = {}, execution?: string): Promise<MigrationWorld> {
  world = await new MigrationWorld(options, execution).seed();
  return world;
}

const input = (over: Record<string, unknown> = {}) => ({ clusterName: CLUSTER, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true, ...over });
const tag = (exec: string) => ({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': `migration/${exec}` });
const clusterAdmin = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** What EKS creates itself when the access-entry API is turned on for the seeded cluster. */
const EKS_CREATED = () => [arnOf.role('managedNodes'), arnOf.role('fargate'), arnOf.role('creator')];
/** What this workflow creates from the ten-row aws-auth. */
const WORKFLOW_CREATED = () => [
  arnOf.role('selfManagedNodes'),
  arnOf.role('platformAdmin'),
  arnOf.role('teamA'),
  arnOf.role('sso'),
  arnOf.role('migration'),
  arnOf.user('releaseBot'),
  arnOf.user('alice'),
  arnOf.user('bob'),
];

describe('auth-mode migration workflow', () => {
  it('HappyPath: moves a CONFIG_MAP cluster to API, creating one tagged entry per row, and reports', async () => {
    // arrange
    const w = await given({ model: { updatePolls: 1 } });
    const awsAuthBefore = w.awsAuth();

    // act
    const run = await w.run(machine, input());

    // assert
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(HAPPY_PATH_TO_API);
    expect(w.mode()).toBe('API');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
    for (const arn of WORKFLOW_CREATED()) expect(w.entry(arn).tags).toEqual(tag(w.execution));
    expect(w.entry(arnOf.role('teamA'))).toMatchObject({ type: 'STANDARD', username: 'team-a:{{SessionName}}', kubernetesGroups: ['pod-readers'] });
    expect(w.entry(arnOf.role('selfManagedNodes'))).toMatchObject({ type: 'EC2_LINUX' });
    expect(w.aws.eks.listAssociatedAccessPolicies(REGION, { clusterName: CLUSTER, principalArn: arnOf.user('alice') }).associatedAccessPolicies).toEqual([
      expect.objectContaining({ policyArn: clusterAdmin, accessScope: { type: 'cluster', namespaces: [] } }),
    ]);
    expect(w.awsAuth()).toEqual(awsAuthBefore);
    expect(run.output).toMatchObject({ authenticationMode: 'API', entriesCreated: 8, entriesAlreadyPresent: 1, entriesVerified: 10, blockers: 0 });
    expect(w.s3.keys(BUCKET)).toEqual([
      `backups/prod/${w.execution}/backup.json`,
      `plans/prod/${w.execution}/plan.json`,
      `reports/prod/${w.execution}/report.json`,
    ]);
    const backup = w.s3.json<{ awsAuth: { data: unknown; resourceVersion: string; sha256: string }; accessEntries: unknown[] }>(BUCKET, `backups/prod/${w.execution}/backup.json`);
    expect(backup.awsAuth.data).toEqual(awsAuthBefore);
    expect(backup.awsAuth.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backup.accessEntries).toEqual([]);
  });

  it('HappyPath with approval: waits for the task token, then switches; the request names the plan', async () => {
    const w = await given({ model: { updatePolls: 1 } });

    const run = await w.run(machine, input({ approveCutover: false }));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toContain('Wait for approval');
    expect(w.mode()).toBe('API');
    expect(w.approvalRequests).toEqual([expect.objectContaining({ taskToken: expect.any(String), clusterName: CLUSTER, plan: expect.stringContaining('plans/prod/') })]);
    expect(w.s3.keys(BUCKET)).toContain(`approvals/prod/${w.execution}/request.json`);
    expect(run.output).toMatchObject({ approval: { approvedBy: 'alice@example.com' } });
  });

  it('DryRun: writes the backup and the plan and nothing else, and ends with the plan', async () => {
    const w = await given();
    const awsAuthBefore = structuredClone(w.awsAuth());
    const dryRun = loadJson<Record<string, unknown>>('events/migration/dry-run.json');

    const run = await w.run(machine, dryRun);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.at(-1)).toBe('Dry run: plan ready');
    expect(run.path).not.toContain('Switch to API_AND_CONFIG_MAP');
    expect(run.output).toMatchObject({
      location: expect.stringContaining(`s3://${BUCKET}/plans/prod/${w.execution}/plan.json`),
      summary: { valid: true, rows: 10, create: 9, eksManaged: 1, flagged: 0, blockers: 0 },
    });
    expect(w.mode()).toBe('CONFIG_MAP');
    expect(w.awsAuth()).toEqual(awsAuthBefore);
    expect(w.s3.keys(BUCKET)).toEqual([`backups/prod/${w.execution}/backup.json`, `plans/prod/${w.execution}/plan.json`]);
    const writes = ['UpdateClusterConfig', 'CreateAccessEntry', 'AssociateAccessPolicy', 'DeleteAccessEntry', 'UpdateAccessEntry'];
    expect(writes.filter((op) => w.aws.eks.calls.has(op))).toEqual([]);
    expect(w.k8s.calls.get('replaceNamespacedConfigMap') ?? 0).toBe(0);
  });

  it('DryRun of a malformed aws-auth: still ends with the plan, marked invalid with the errors', async () => {
    const migrationRow = `- rolearn: ${arnOf.roleInAwsAuth('migration')}\n  groups: [eks-access-pilot-aws-auth]\n`;
    const w = await given({ awsAuth: { mapRoles: `${migrationRow}- role_arn: arn:aws:iam::111122223333:role/x\n  groups: [a]\n` } });

    const run = await w.run(machine, input({ dryRun: true }));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ summary: { valid: false } });
    const plan = w.s3.json<{ errors: Array<{ where: string }> }>(BUCKET, `plans/prod/${w.execution}/plan.json`);
    expect(plan.errors.map((e) => e.where).join()).toContain('mapRoles[1]');
  });

  it('Target API_AND_CONFIG_MAP: creates and verifies the entries and stops there, aws-auth untouched', async () => {
    const w = await given({ model: { updatePolls: 1 } });
    const run = await w.run(machine, loadJson('events/migration/run-to-api-and-config-map.json'));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-4)).toEqual(['Verify access entries', 'Going to API?', 'Report', 'Migration complete']);
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
    expect(run.output).toMatchObject({ authenticationMode: 'API_AND_CONFIG_MAP', entriesCreated: 8 });
  });

  it('Start from API_AND_CONFIG_MAP: skips the first switch; an equal entry that exists is left alone', async () => {
    const w = await given({ mode: 'API_AND_CONFIG_MAP', model: { updatePolls: 1 } });
    w.aws.eks.createAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('teamA'), username: 'team-a:{{SessionName}}', kubernetesGroups: ['pod-readers'] });
    w.entriesBefore = w.entryArns();

    const run = await w.run(machine, input());

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).not.toContain('Switch to API_AND_CONFIG_MAP');
    expect(run.path).toContain('Switch to API');
    expect(w.mode()).toBe('API');
    expect(w.entry(arnOf.role('teamA')).tags).toEqual({});
    expect(run.output).toMatchObject({ entriesCreated: 7, entriesAlreadyPresent: 2 });
  });

  it('an equal entry owned by access tags is a conflict: nothing created, rolled back, the Cause says what to do', async () => {
    // arrange: aws-auth maps team-a to pod-readers with no username; its access tags made an equal entry.
    const data = tenRowAwsAuth();
    data.mapRoles = data.mapRoles!.replace('  username: team-a:{{SessionName}}\n', '');
    expect(data.mapRoles).not.toContain('team-a:{{SessionName}}');
    const w = await given({ mode: 'API_AND_CONFIG_MAP', awsAuth: data, model: { updatePolls: 1 } });
    const provisionerTags = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': 'AROATEAMA' };
    w.aws.eks.createAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('teamA'), kubernetesGroups: ['pod-readers'], tags: provisionerTags });
    w.entriesBefore = w.entryArns();

    // act
    const run = await w.run(machine, input());

    // assert
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-3)).toEqual(['Create access entries', 'Roll back', 'Migration failed']);
    expect(run.path).not.toContain('Switch to API');
    expect(run.error).toBe('MigrationFailed.CreateAccessEntries');
    expect(run.cause).toContain('AccessEntryConflictError: 1 planned entries conflict with existing ones; none was created');
    expect(run.cause).toContain(`(${arnOf.role('teamA')}): the existing access entry is owned by access tags`);
    expect(run.cause).toContain('remove the tags or delete the entry, then re-run');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual(w.entriesBefore);
    expect(w.entry(arnOf.role('teamA')).tags).toEqual(provisionerTags);
    const plan = w.s3.json<{ rows: Array<{ principalArn: string; existing: string }>; summary: { conflicts: number } }>(BUCKET, `plans/prod/${w.execution}/plan.json`);
    expect(plan.rows.find((r) => r.principalArn === arnOf.role('teamA'))?.existing).toBe('owned-by-tags');
    expect(plan.summary.conflicts).toBe(1);
  });

  it('AlreadyAtTarget: succeeds without a backup or any change', async () => {
    const w = await given({ mode: 'API' });

    const run = await w.run(machine, input());

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['Validate input', 'Describe cluster', 'Already at target?', 'Nothing to do']);
    expect(w.s3.keys(BUCKET)).toEqual([]);
  });

  it('refuses a target behind the current mode: the mode is one-way', async () => {
    await given({ mode: 'API' });

    const run = await world.run(machine, input({ targetMode: 'API_AND_CONFIG_MAP' }));

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['Describe cluster', 'Stopped before any change']);
    expect(run.error).toBe('ClusterNotEligibleError');
    expect(run.cause).toContain('cannot be changed back');
  });

  it('rejects unknown input fields and bad values, naming them, before reading anything', async () => {
    const w = await given();

    const run = await w.run(machine, { ...input(), targetMode: 'api', dryrun: true });

    expect(run.status).toBe('FAILED');
    expect(run.path).toEqual(['Validate input', 'Stopped before any change']);
    expect(run.error).toBe('InvalidInputError');
    expect(run.cause).toContain('targetMode');
    expect(run.cause).toContain('dryrun');
  });

  it('stops at Describe cluster with the exact aws-auth row to add when the workflow is not mapped', async () => {
    const data = tenRowAwsAuth();
    data.mapRoles = data.mapRoles!.replace(/- rolearn: \S+eks-access-pilot-MigrationRole[\s\S]*?eks-access-pilot-aws-auth\n/, '');
    const w = await given({ awsAuth: data });

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AwsAuthUnreadableError');
    expect(JSON.parse(run.cause!).errorMessage).toContain(`- rolearn: ${arnOf.roleInAwsAuth('migration')}\\n  username: eks-access-pilot-migration`);
    expect(w.s3.keys(BUCKET)).toEqual([]);
  });

  it('an unexpected error in Describe cluster ends in "Stopped before any change" under the step\'s name, nothing backed up', async () => {
    const w = await given();
    w.injection = { state: 'Describe cluster', when: 'before', error: namedError('Error', 'socket hang up') };

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.path).toEqual(['Validate input', 'Describe cluster', 'Nothing changed: Describe cluster failed', 'Stopped before any change']);
    expect(run.error).toBe('NothingChanged.DescribeCluster');
    expect(run.cause).toContain('Nothing was changed: "Describe cluster" failed before the backup');
    expect(run.cause).toContain('socket hang up');
    expect(w.s3.keys(BUCKET)).toEqual([]);
    expect(w.mode()).toBe('CONFIG_MAP');
  });

  it('an unexpected error in Validate input is named NothingChanged.ValidateInput, whatever the input\'s shape', async () => {
    const w = await given();
    w.injection = { state: 'Validate input', when: 'before', error: namedError('TypeError', 'Cannot read properties of undefined') };

    const run = await w.run(machine, ['not', 'an', 'object']);

    expect(run.path).toEqual(['Validate input', 'Nothing changed: Validate input failed', 'Stopped before any change']);
    expect(run.error).toBe('NothingChanged.ValidateInput');
    expect(run.cause).toContain('TypeError: ');
  });

  it.each([
    [500, 'InternalError', 'Back up aws-auth and access entries'],
    [429, 'TooManyRequests', 'Back up aws-auth and access entries'],
    [503, 'ServiceUnavailable', 'Describe cluster'],
  ])('retries a single %i (%s) from the Kubernetes API on reading aws-auth in "%s" and succeeds', async (code, reason, state) => {
    const w = await given({ model: { updatePolls: 1 } });
    w.kubernetesFaults = { state, method: 'readNamespacedConfigMap', errors: [statusError(code, reason, 'the server is busy', undefined, { 'Retry-After': '1' })] };

    const run = await w.run(machine, input());

    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(HAPPY_PATH_TO_API);
    expect(run.failures).toEqual([{ state, error: 'KubernetesUnavailableError' }]);
    expect(w.kubernetesFaults.errors).toEqual([]);
  });

  it('a persistent 500 on reading aws-auth in the backup ends as KubernetesUnavailableError after the retries, nothing changed', async () => {
    const w = await given();
    const busy = () => statusError(500, 'InternalError', 'etcdserver: request timed out');
    w.kubernetesFaults = { state: 'Back up aws-auth and access entries', method: 'readNamespacedConfigMap', errors: Array.from({ length: 20 }, busy) };

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('KubernetesUnavailableError');
    expect(run.cause).toContain('answered 500');
    expect(run.path.at(-1)).toBe('Back up aws-auth and access entries');
    // The first attempt and the Retry's MaxAttempts (4) retries.
    expect(run.failures).toHaveLength(5);
    expect(w.mode()).toBe('CONFIG_MAP');
    expect(w.awsAuth()).toEqual(tenRowAwsAuth());
  });

  it('BlockersStopBeforeAPI: a row that would lose access stops before the one-way switch, entries kept', async () => {
    const data = { ...tenRowAwsAuth(), mapAccounts: '- "444455556666"\n' };
    const w = await given({ awsAuth: data, model: { updatePolls: 1 } });

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-3)).toEqual(['Going to API?', 'Blockers?', 'Stopped before API: blockers']);
    expect(run.error).toBe('BlockersStopBeforeApi');
    expect(run.cause).toContain('safely in API_AND_CONFIG_MAP');
    expect(run.cause).toContain('mapAccounts[0]');
    expect(run.cause).toContain(`s3://${BUCKET}/plans/prod/${w.execution}/plan.json`);
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
  });

  it('BlockersStopBeforeAPI (break-glass): nobody but the workflow would keep cluster admin, so it stops before the one-way switch', async () => {
    // No system:masters row in aws-auth and no creator entry: after the switch only access entries
    // count and none of them is a cluster admin.
    const data = Object.fromEntries(Object.entries(tenRowAwsAuth()).map(([k, v]) => [k, v.replaceAll('system:masters', 'admins')]));
    const w = await given({ awsAuth: data, creator: false, model: { updatePolls: 1 } });

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-3)).toEqual(['Going to API?', 'Blockers?', 'Stopped before API: blockers']);
    expect(run.error).toBe('BlockersStopBeforeApi');
    expect(run.cause).toContain('safely in API_AND_CONFIG_MAP');
    expect(run.cause).toContain('no principal other than the workflow would keep cluster admin');
    expect(run.cause).toContain('system:masters');
    expect(run.cause).not.toContain('aws-auth rows would lose access');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).not.toContain(arnOf.role('creator'));
  });

  it('BreakGlassGoneDuringApproval: the only cluster admin entry deleted during the wait stops before the switch to API', async () => {
    // No system:masters row: the creator's entry is the only admin, and it goes while the approver thinks.
    const data = Object.fromEntries(Object.entries(tenRowAwsAuth()).map(([k, v]) => [k, v.replaceAll('system:masters', 'admins')]));
    const w = await given({ awsAuth: data, model: { updatePolls: 1 } });
    w.injection = {
      state: 'Wait for approval',
      when: 'before',
      act: (world) => void world.aws.eks.deleteAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('creator') }),
    };

    const run = await w.run(machine, input({ approveCutover: false }));

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['Re-check before API', 'Stopped before API: changed since the plan']);
    expect(run.error).toBe('ChangedSinceBackupError');
    expect(run.cause).toContain('no principal other than the workflow would keep cluster admin');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
  });

  it('ApprovalTimeout: leaves the cluster in API_AND_CONFIG_MAP with the entries, no rollback', async () => {
    const w = await given({ model: { updatePolls: 1 } });
    w.approval = 'never';

    const run = await w.run(machine, input({ approveCutover: false }));

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['Wait for approval', 'Approval timed out']);
    expect(run.path).not.toContain('Roll back');
    expect(run.error).toBe('ApprovalTimedOut');
    expect(run.cause).toContain('safely in API_AND_CONFIG_MAP');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
  });

  it('ChangedDuringApproval: an aws-auth row added after the backup stops before the switch to API, no rollback', async () => {
    // arrange: while the approver thinks, a new node group's role is mapped in aws-auth.
    const w = await given({ model: { updatePolls: 1 } });
    const newRow = `- rolearn: arn:aws:iam::111122223333:role/eks-prod-ng-new-NodeInstanceRole\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n`;
    let changed: Record<string, string> | undefined;
    w.injection = {
      state: 'Wait for approval',
      when: 'before',
      act: (world) => {
        world.k8s.edit('kube-system', 'aws-auth', (data) => ({ ...data, mapRoles: data.mapRoles! + newRow }));
        changed = world.awsAuth();
      },
    };

    // act
    const run = await w.run(machine, input({ approveCutover: false }));

    // assert
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-3)).toEqual(['Wait for approval', 'Re-check before API', 'Stopped before API: changed since the plan']);
    expect(run.path).not.toContain('Roll back');
    expect(run.path).not.toContain('Switch to API');
    expect(run.error).toBe('ChangedSinceBackupError');
    const message = (JSON.parse(run.cause!) as { errorMessage: string }).errorMessage;
    expect(message).toContain('aws-auth changed after the backup');
    expect(message).toContain('changed keys: mapRoles');
    expect(message).toContain('safely in API_AND_CONFIG_MAP');
    expect(message).toContain('no rollback');
    expect(message).toContain('start a new execution');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
    expect(w.awsAuth()).toEqual(changed);
  });

  it('ChangedDuringApproval: a migrated entry deleted during the wait stops before the switch to API, no rollback', async () => {
    const w = await given({ model: { updatePolls: 1 } });
    const awsAuthBefore = structuredClone(w.awsAuth());
    w.injection = {
      state: 'Wait for approval',
      when: 'before',
      act: (world) => void world.aws.eks.deleteAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('teamA') }),
    };

    const run = await w.run(machine, input({ approveCutover: false }));

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-2)).toEqual(['Re-check before API', 'Stopped before API: changed since the plan']);
    expect(run.path).not.toContain('Roll back');
    expect(run.error).toBe('ChangedSinceBackupError');
    const message = (JSON.parse(run.cause!) as { errorMessage: string }).errorMessage;
    expect(message).toContain(`(${arnOf.role('teamA')}): no access entry`);
    expect(message).not.toContain('aws-auth changed');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].filter((a) => a !== arnOf.role('teamA')).sort());
    expect(w.awsAuth()).toEqual(awsAuthBefore);
  });

  it('rejected cutover (SendTaskFailure): stops in API_AND_CONFIG_MAP with the entries, no rollback', async () => {
    const w = await given({ model: { updatePolls: 1 } });
    w.approval = { reject: { error: 'CutoverRejected', cause: 'not during the release freeze' } };

    const run = await w.run(machine, input({ approveCutover: false }));

    expect(run.status).toBe('FAILED');
    expect(run.path.at(-1)).toBe('Cutover not approved');
    expect(run.error).toBe('CutoverRejected');
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toHaveLength(11);
  });

  it.each([
    { failure: 'the handler throwing (S3 refused to record the request)', error: namedError('AccessDenied', 'Access Denied'), attempts: 1 },
    { failure: 'Lambda.ServiceException after the six retries', error: namedError('Lambda.ServiceException', 'Lambda is unavailable'), attempts: 7 },
  ])('ApprovalRequestFailed: $failure ends in "Approval request failed", not as a rejection; no rollback', async ({ error, attempts }) => {
    // arrange
    const w = await given({ model: { updatePolls: 1 } });
    const awsAuthBefore = structuredClone(w.awsAuth());
    let invocations = 0;
    w.injection = { state: 'Wait for approval', when: 'before', act: () => void (invocations += 1), error };

    // act
    const run = await w.run(machine, input({ approveCutover: false }));

    // assert
    expect(run.status).toBe('FAILED');
    expect(run.path.filter((s) => s === 'Wait for approval')).toHaveLength(1);
    expect(run.path.slice(-2)).toEqual(['Wait for approval', 'Approval request failed']);
    expect(run.path).not.toContain('Cutover not approved');
    expect(run.path).not.toContain('Roll back');
    expect(run.error).toBe(error.name);
    expect(run.cause).toContain('request-approval Lambda function failed');
    expect(run.cause).toContain('This is not a rejection');
    expect(run.cause).toContain('safely in API_AND_CONFIG_MAP');
    expect(run.cause).toContain('nothing needs to be undone');
    expect(w.approvalRequests).toHaveLength(0);
    expect(invocations).toBe(attempts);
    expect(w.mode()).toBe('API_AND_CONFIG_MAP');
    expect(w.entryArns()).toEqual([...EKS_CREATED(), ...WORKFLOW_CREATED()].sort());
    expect(w.awsAuth()).toEqual(awsAuthBefore);
  });

  it('UpdateFailed: a Failed switch to API_AND_CONFIG_MAP rolls back and says so', async () => {
    const w = await given();
    w.aws.eks.failNextUpdate(REGION, CLUSTER, 'Unknown', 'Internal failure');

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.path.slice(-3)).toEqual(['API_AND_CONFIG_MAP update done?', 'Roll back', 'Migration failed']);
    expect(run.error).toBe('MigrationFailed.SwitchToApiAndConfigMap');
    expect(run.cause).toMatch(/ended Failed \(Unknown: Internal failure\)/);
    expect(run.cause).toContain(`Backup: s3://${BUCKET}/backups/prod/${w.execution}/backup.json`);
    expect(w.mode()).toBe('CONFIG_MAP');
  });

  it('PollTimeout: an update still InProgress after MaxUpdatePolls checks rolls back as a timeout', async () => {
    const w = await given({ model: { updatePolls: 1000 } });

    const run = await w.run(machine, input());

    expect(run.status).toBe('FAILED');
    expect(run.path.filter((s) => s === 'Check API_AND_CONFIG_MAP update')).toHaveLength(4);
    expect(run.error).toBe('MigrationFailed.SwitchToApiAndConfigMap');
    expect(run.cause).toContain('poll timeout');
    expect(run.cause).toContain('an update is still in progress');
    expect(w.awsAuth()).toEqual(tenRowAwsAuth());
  });

  it('counts the state transitions of a full CONFIG_MAP → API run of a 10-row aws-auth', async () => {
    const w = await given({ model: { updatePolls: 1 } });

    const direct = await w.run(machine, loadJson('events/migration/full-run-to-api.json'));

    expect(direct.status).toBe('SUCCEEDED');
    // One status check per switch: no poll loop iterations are included.
    expect(direct.transitions).toBe(HAPPY_PATH_TO_API.length + 1);
  });
  it("QuotaExceeded: a plan that would take the cluster past EKS's 3,000 entries stops at Plan conversion, before any entry is created", async () => {
    // arrange: already in API_AND_CONFIG_MAP with 2,995 entries (other accounts' roles: taken to exist),
    // so the ten-row aws-auth's new entries cannot all fit.
    const w = await given({ mode: 'API_AND_CONFIG_MAP' });
    for (let i = 0; i < 2995; i++) w.aws.eks.createAccessEntry(REGION, { clusterName: CLUSTER, principalArn: `arn:aws:iam::444455556666:role/bulk-${i}` });
    const before = w.entryArns();

    // act
    const run = await w.run(machine, input());

    // assert
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('MigrationFailed.PlanConversion');
    expect(run.cause).toMatch(/AccessEntryQuotaError: .*more than the 3000 EKS allows per cluster.*nothing was changed/);
    expect(run.path).not.toContain('Create access entries');
    expect(w.entryArns()).toEqual(before);
  });
  it("IdentityCenterEntry: an entry a permission set's tags made, equal to the aws-auth row, stands for the row — kept, not re-created, not a conflict", async () => {
    // arrange: already in API_AND_CONFIG_MAP; the sso role's entry exists, granted by its permission set (source identity-center)
    const w = await given({ mode: 'API_AND_CONFIG_MAP' });
    const owned = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'identity-center', 'eks-access-pilot/principal-id': 'AROAPERMISSIONSET1' };
    w.aws.eks.createAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('sso'), username: 'sso-readonly:{{SessionName}}', kubernetesGroups: ['viewers'], tags: owned });

    // act
    const run = await w.run(machine, input());

    // assert
    expect(run.status).toBe('SUCCEEDED');
    const entry = w.aws.eks.describeAccessEntry(REGION, { clusterName: CLUSTER, principalArn: arnOf.role('sso') }).accessEntry!;
    expect(entry.tags).toEqual(owned);
  });
});
