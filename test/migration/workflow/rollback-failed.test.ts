// When the rollback itself cannot finish, "Rollback failed" still tells the whole story. One
// failure of each undo step (and of the rollback function itself) is injected into the real state
// machine after a step failed; each run must end with a Cause that names the first failure, gives
// every undo step done / not needed / NOT DONE (and why), the backup and the next action — never
// only the rollback Lambda's raw error — and the cluster must be left on the side that cannot
// lock anyone out (entries kept while aws-auth is not restored or the mode is unknown).
import { AccessDeniedException, ServerException } from '@aws-sdk/client-eks';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UNDO_STEPS, UNDO_STEP_NAMES, type UndoStepId } from '#migration/domain/rollback-report';
import { statusError } from '#sandbox/model/kubernetes';
import { BUCKET, CALLER_ARN, CLUSTER, MigrationWorld, REGION, arnOf, buildMachine, namedError, type Injection, type PreparedStateMachine, type RunOutcome } from './world.ts';

let machine: PreparedStateMachine;
let world: MigrationWorld;

beforeAll(() => {
  machine = buildMachine();
});

afterEach(() => world?.restore());

const input = { clusterName: CLUSTER, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true };
const tagged = (w: MigrationWorld) => w.entryArns().filter((a) => w.entry(a).tags?.['eks-access-pilot/source'] === `migration/${w.execution}`);
/** The first failure: "Create access entries" crashes after creating the 8 entries. */
const CREATE_CRASHES: Injection = { state: 'Create access entries', when: 'after', error: namedError('Sandbox.Timeout', 'Task timed out after 900.00 seconds') };
const FIRST = /What failed first: Create access entries failed: Sandbox\.Timeout: Task timed out after 900\.00 seconds\./;
/** After the backup, someone removes bob's row from aws-auth: the rollback has a row to put back. */
const REMOVE_BOB: Injection = {
  ...CREATE_CRASHES,
  act: (w) => w.k8s.edit('kube-system', 'aws-auth', (d) => ({ ...d, mapUsers: d.mapUsers!.replace(/- userarn: \S+user\/bob[\s\S]*$/, '') })),
};
const deleteCommand = (arn: string) => `\`aws eks delete-access-entry --cluster-name ${CLUSTER} --region ${REGION} --principal-arn ${arn}\``;

/** The status the Cause gives one undo step: the text after "(n) <name>: ", up to the next step. */
function stepStatus(cause: string, id: UndoStepId): string {
  const i = UNDO_STEPS.indexOf(id);
  const label = `(${i + 1}) ${UNDO_STEP_NAMES[id]}: `;
  const from = cause.indexOf(label);
  if (from < 0) throw new Error(`no undo step ${id} in: ${cause}`);
  const rest = cause.slice(from + label.length);
  const next = UNDO_STEPS[i + 1];
  return rest.slice(0, rest.indexOf(next ? `; (${i + 2}) ${UNDO_STEP_NAMES[next]}: ` : '. Not undone: '));
}

const statuses = (cause: string) => Object.fromEntries(UNDO_STEPS.map((id) => [id, stepStatus(cause, id)])) as Record<UndoStepId, string>;

/** What every "Rollback failed" the rollback function reports must say; returns the Cause. */
function wholeStory(run: RunOutcome, w: MigrationWorld): string {
  expect(run.status).toBe('FAILED');
  expect(run.error).toBe('RollbackFailed');
  expect(run.path.slice(-3)).toEqual(['Roll back', 'Rollback incomplete', 'Rollback failed']);
  const cause = run.cause ?? '';
  expect(cause).toMatch(/^ROLLBACK INCOMPLETE after MigrationFailed\.CreateAccessEntries\. /);
  expect(cause).toMatch(FIRST);
  expect(cause).toMatch(new RegExp(`Backup: s3://${BUCKET}/backups/prod/${w.execution}/backup\\.json \\(version [^)]+\\)\\.`));
  expect(cause).toMatch(/ Next: \(1\) \S/);
  // The story itself, not Lambda's error JSON with its stack trace.
  expect(cause).not.toMatch(/"errorType"|"trace"/);
  return cause;
}

describe('Rollback failed: a failing undo step still ends with the whole story', () => {
  it('DescribeCluster denied: the mode is unknown, so the entries are KEPT and named, and aws-auth is still restored', async () => {
    // arrange
    const w = (world = await new MigrationWorld({}, 'rollback-describe-denied').seed());
    w.injection = REMOVE_BOB;
    const denied = `User: ${CALLER_ARN} is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:${REGION}:111122223333:cluster/${CLUSTER}`;
    w.awsFaults = [{ state: 'Roll back', command: 'DescribeClusterCommand', error: () => new AccessDeniedException({ message: denied, $metadata: {} }) }];

    // act
    const run = await w.run(machine, input);

    // assert
    const cause = wholeStory(run, w);
    expect(statuses(cause)).toEqual({
      describeCluster: `NOT DONE: AccessDeniedException: ${denied}`,
      readBackup: expect.stringMatching(/^done \(s3:\/\/.*backup\.json \(version [^)]+\)\)$/),
      readAwsAuth: expect.stringMatching(/^done \(resourceVersion \d+\)$/),
      writeAwsAuth: `done (1 re-added: mapUsers: ${arnOf.user('bob')})`,
      listEntries: 'done (8 found)',
      deleteEntries: 'NOT DONE: kept: the mode is unknown (DescribeCluster failed), and in API mode, or switching to it, these entries are the only access',
    });
    expect(cause).toContain('Not undone: the authentication mode (unknown: DescribeCluster failed)');
    expect(cause).toContain(`(1) if \`aws eks describe-cluster --name ${CLUSTER} --region ${REGION}\` shows the cluster ACTIVE in API_AND_CONFIG_MAP (in API keep the entries: they are the only access), delete the access entries tagged eks-access-pilot/source=migration/${w.execution}: run `);
    expect(cause).toContain(deleteCommand(arnOf.user('alice')));
    expect(tagged(w)).toHaveLength(8);
    expect(w.awsAuth()!.mapUsers).toContain(arnOf.user('bob'));
  });

  it('ListAccessEntries failing: the entries are NOT DONE and the Cause says how to find and delete them', async () => {
    const w = (world = await new MigrationWorld({}, 'rollback-list-fails').seed());
    w.injection = CREATE_CRASHES;
    w.awsFaults = [{ state: 'Roll back', command: 'ListAccessEntriesCommand', error: () => new ServerException({ message: 'We encountered an internal error. Try again.', $metadata: {} }) }];

    const run = await w.run(machine, input);

    const cause = wholeStory(run, w);
    expect(statuses(cause)).toMatchObject({
      describeCluster: 'done (API_AND_CONFIG_MAP, ACTIVE)',
      writeAwsAuth: 'not needed (aws-auth already holds every row of the backup)',
      listEntries: 'NOT DONE: ServerException: We encountered an internal error. Try again.',
      deleteEntries: 'NOT DONE: not attempted: they could not be listed',
    });
    expect(cause).toContain(
      `(1) delete the access entries tagged eks-access-pilot/source=migration/${w.execution}: find them with \`eap access-report --cluster ${CLUSTER} --region ${REGION}\` (OWNER migration/${w.execution}) and delete each with \`aws eks delete-access-entry --cluster-name ${CLUSTER} --region ${REGION} --principal-arn <arn>\``,
    );
    expect(tagged(w)).toHaveLength(8);
  });

  it('a DeleteAccessEntry refused: the other entries are deleted, the one left is named with its exact command', async () => {
    const w = (world = await new MigrationWorld({}, 'rollback-delete-fails').seed());
    w.injection = CREATE_CRASHES;
    const alice = arnOf.user('alice');
    w.awsFaults = [
      {
        state: 'Roll back',
        command: 'DeleteAccessEntryCommand',
        when: (i) => i.principalArn === alice,
        error: () => new AccessDeniedException({ message: 'not authorized to perform: eks:DeleteAccessEntry', $metadata: {} }),
      },
    ];

    const run = await w.run(machine, input);

    const cause = wholeStory(run, w);
    expect(stepStatus(cause, 'deleteEntries')).toBe(`NOT DONE: deleted 7 of 8; not deleted: ${alice}: AccessDeniedException: not authorized to perform: eks:DeleteAccessEntry`);
    expect(cause).toContain(`(1) delete the access entries tagged eks-access-pilot/source=migration/${w.execution}: run ${deleteCommand(alice)}.`);
    expect(tagged(w)).toEqual([alice]);
  });

  it('S3 GetObject of the backup denied: aws-auth NOT DONE, the entries KEPT until it is restored, the exact get-object command given', async () => {
    const w = (world = await new MigrationWorld({}, 'rollback-backup-denied').seed());
    w.injection = CREATE_CRASHES;
    w.awsFaults = [
      {
        state: 'Roll back',
        command: 'GetObjectCommand',
        error: () => new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }),
      },
    ];

    const run = await w.run(machine, input);

    const cause = wholeStory(run, w);
    expect(statuses(cause)).toMatchObject({
      describeCluster: 'done (API_AND_CONFIG_MAP, ACTIVE)',
      readBackup: 'NOT DONE: AccessDenied: Access Denied',
      readAwsAuth: 'NOT DONE: not attempted: the backup could not be read',
      writeAwsAuth: 'NOT DONE: not attempted: the backup could not be read',
      listEntries: 'done (8 found)',
      deleteEntries: expect.stringMatching(/^NOT DONE: kept until aws-auth holds the rows of the backup again: deleting them first could leave/),
    });
    const version = /backup\.json \(version ([^)]+)\)/.exec(cause)![1]!;
    expect(cause).toContain(
      `(1) restore aws-auth from the backup as RUNBOOK.md section 4 shows: \`aws s3api get-object --bucket ${BUCKET} --key backups/prod/${w.execution}/backup.json --version-id ${version} backup.json\``,
    );
    expect(cause).toContain(`(2) once aws-auth holds the rows of the backup again, delete the access entries tagged eks-access-pilot/source=migration/${w.execution}: run \``);
    for (const arn of tagged(w)) expect(cause).toContain(deleteCommand(arn));
    expect(tagged(w)).toHaveLength(8);
  });

  it.each([
    {
      name: 'refused (403)',
      arrange: (w: MigrationWorld) => {
        w.kubernetesFaults = { state: 'Roll back', method: 'readNamespacedConfigMap', errors: [statusError(403, 'Forbidden', 'configmaps "aws-auth" is forbidden')] };
      },
      status: /^NOT DONE: KubernetesAccessError: reading aws-auth: the Kubernetes API refused this role \(403\)/,
    },
    {
      name: 'unreachable',
      arrange: (w: MigrationWorld) => {
        w.injection = { ...CREATE_CRASHES, act: (x) => (x.kubernetesDown = true) };
      },
      status: /^NOT DONE: Error: connect ETIMEDOUT/,
    },
  ])('aws-auth read $name: aws-auth NOT DONE, the entries KEPT until it is restored', async ({ arrange, status }) => {
    const w = (world = await new MigrationWorld({}, 'rollback-read-fails').seed());
    w.injection = CREATE_CRASHES;
    arrange(w);

    const run = await w.run(machine, input);

    const cause = wholeStory(run, w);
    expect(stepStatus(cause, 'readAwsAuth')).toMatch(status);
    expect(stepStatus(cause, 'writeAwsAuth')).toBe('NOT DONE: not attempted: aws-auth could not be read');
    expect(stepStatus(cause, 'deleteEntries')).toMatch(/^NOT DONE: kept until aws-auth holds the rows of the backup again/);
    expect(cause).toMatch(/ Next: \(1\) restore aws-auth from the backup as RUNBOOK\.md section 4 shows: .*; \(2\) once aws-auth holds the rows of the backup again, delete /);
    expect(tagged(w)).toHaveLength(8);
  });

  it('aws-auth merge refused (an unquoted yes a rewrite would change): nothing written, the entries KEPT, the reason and the next action given', async () => {
    const w = (world = await new MigrationWorld({}, 'rollback-merge-refused').seed());
    let edited: Record<string, string> | undefined;
    w.injection = {
      ...CREATE_CRASHES,
      act: (x) => {
        x.k8s.edit('kube-system', 'aws-auth', (d) => ({
          ...d,
          mapUsers: d.mapUsers!.replace('username: release-bot', 'username: yes').replace(/- userarn: \S+user\/bob[\s\S]*$/, ''),
        }));
        edited = structuredClone(x.awsAuth());
      },
    };

    const run = await w.run(machine, input);

    const cause = wholeStory(run, w);
    expect(stepStatus(cause, 'writeAwsAuth')).toMatch(/^NOT DONE: AwsAuthMergeError: aws-auth mapUsers was not merged back \(nothing written\), because .*restore the missing rows by hand from the backup$/);
    expect(stepStatus(cause, 'deleteEntries')).toMatch(/^NOT DONE: kept until aws-auth holds the rows of the backup again/);
    expect(w.awsAuth()).toEqual(edited);
    // bob lost his aws-auth row after the backup: his entry is what still lets him in.
    expect(tagged(w)).toContain(arnOf.user('bob'));
  });

  it('aws-auth write answered 409 on every attempt: retried by the state machine, then the story of the last attempt', async () => {
    // arrange: a row to put back, and every write of the rollback meets a concurrent edit.
    const w = (world = await new MigrationWorld({}, 'rollback-409-persists').seed());
    w.injection = REMOVE_BOB;
    const conflict = () => statusError(409, 'Conflict', 'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified; please apply your changes to the latest version and try again');
    w.kubernetesFaults = { state: 'Roll back', method: 'replaceNamespacedConfigMap', errors: Array.from({ length: 6 }, conflict) };

    // act
    const run = await w.run(machine, input);

    // assert: 1 attempt + 5 retries, each a ConcurrentEditError carrying the story
    expect(run.failures.filter((f) => f.state === 'Roll back').map((f) => f.error)).toEqual(Array(6).fill('ConcurrentEditError'));
    expect(w.kubernetesFaults.errors).toEqual([]);
    const cause = wholeStory(run, w);
    expect(stepStatus(cause, 'writeAwsAuth')).toBe('NOT DONE: ConcurrentEditError: writing aws-auth: aws-auth was changed by someone else since it was read (409 Conflict)');
    expect(stepStatus(cause, 'deleteEntries')).toMatch(/^NOT DONE: kept until aws-auth holds the rows of the backup again/);
    expect(cause).toContain('(ConcurrentEditError: the state machine retries "Roll back" on it; as the final Cause it means every attempt failed.)');
    expect(w.awsAuth()!.mapUsers).not.toContain(arnOf.user('bob'));
    expect(tagged(w)).toHaveLength(8);
  });
});

describe('Rollback failed: the rollback function itself fails', () => {
  const story = (run: RunOutcome, w: MigrationWorld, via: string) => {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RollbackFailed');
    expect(run.path.slice(-4)).toEqual(['Roll back', 'Rollback function failed: what failed first?', via, 'Rollback failed']);
    const cause = run.cause ?? '';
    expect(cause).toMatch(/^ROLLBACK INCOMPLETE, and how far it got is not known: the rollback function itself failed \(/);
    expect(cause).toContain('Undo steps, each NOT KNOWN, to check and finish by hand in this order: (1) aws-auth');
    expect(cause).toContain(`(2) the access entries tagged eks-access-pilot/source=migration/${w.execution}: delete them once aws-auth holds the rows of the backup`);
    expect(cause).toMatch(new RegExp(`Backup: s3://${BUCKET}/backups/prod/${w.execution}/backup\\.json \\(version [^)]+\\)\\.`));
    expect(cause).toContain(`Next: (1) aws eks describe-cluster --name ${CLUSTER} --region ${REGION} shows the mode`);
    expect(cause).toContain(`(2) aws s3api get-object --bucket ${BUCKET} --key backups/prod/${w.execution}/backup.json backup.json (add the --version-id of the Backup above)`);
    expect(cause).toContain(`(3) eap access-report --cluster ${CLUSTER} --region ${REGION} lists the entries (OWNER migration/${w.execution}); delete each with aws eks delete-access-entry --cluster-name ${CLUSTER} --region ${REGION} --principal-arn ARN.`);
    return cause;
  };

  it.each([
    { error: 'Sandbox.Timedout', message: 'Task timed out after 600.00 seconds', attempts: 1 },
    { error: 'Lambda.ServiceException', message: 'Lambda is unable to serve the request', attempts: 7 },
  ])('$error (after $attempts attempts), after a step failed: the Cause names both failures, the backup and the next actions', async ({ error, message, attempts }) => {
    const w = (world = await new MigrationWorld({}, 'rollback-function-fails').seed());
    w.injection = [
      { state: 'Create access entries', when: 'after', error: namedError('AccessDeniedException', 'not authorized to perform: eks:AssociateAccessPolicy') },
      { state: 'Roll back', when: 'before', error: namedError(error, message) },
    ];

    const run = await w.run(machine, input);

    expect(run.failures.filter((f) => f.state === 'Roll back')).toHaveLength(attempts);
    const cause = story(run, w, 'Rollback function failed after a step failed');
    expect(cause).toContain(`the rollback function itself failed (${error}: `);
    expect(cause).toContain(message);
    expect(cause).toMatch(/What failed first: AccessDeniedException: .*not authorized to perform: eks:AssociateAccessPolicy/);
  });

  it('after a mode switch that did not complete (no caught error in the state): the Cause says so', async () => {
    const w = (world = await new MigrationWorld({}, 'rollback-function-fails-switch').seed());
    w.aws.eks.failNextUpdate(REGION, CLUSTER);
    w.injection = { state: 'Roll back', when: 'before', error: namedError('Sandbox.Timedout', 'Task timed out after 600.00 seconds') };

    const run = await w.run(machine, input);

    expect(run.path).toContain('API_AND_CONFIG_MAP update done?');
    const cause = story(run, w, 'Rollback function failed after a mode switch');
    expect(cause).toContain('What failed first: a switch of the authentication mode did not complete: EKS reported its update Failed or Cancelled');
  });
});
