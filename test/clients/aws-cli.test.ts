/**
 * The real `aws` binary (aws-cli v1, docs/architecture.md's outside reference "real clients")
 * against a sandbox of its own, with nothing but the environment the sandbox returns (the same
 * `export` lines `npm run sandbox` prints): the commands an operator runs on the backup bucket,
 * the migration's state machine and the team roles. Self-contained — it starts and stops its own
 * sandbox and isolates the CLI from any ~/.aws configuration — so it can run as its own suite.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_TRAIL, startSandbox, type Sandbox } from '#sandbox/server/index';

const AWS = 'aws';
const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const BUCKET = 'eks-access-pilot-backups';
const SESSION_ROLE = 'eks-access-pilot-MigrationRole';
/** One CLI call starts a Python interpreter: about a second on the 2-core CI machine. */
const TIMEOUT = 60_000;

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let home: string;
let machine: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aws …` with the sandbox's environment, less the variables in `without`; never rejects. */
function run(args: string[], without: string[] = []): Promise<Run> {
  const childEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !without.includes(k)));
  return new Promise((resolve, reject) => {
    execFile(AWS, args, { env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`the \`${AWS}\` binary (aws-cli v1) is not on PATH (${process.env.PATH ?? ''}); these tests run the real CLI against the sandbox`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr });
    });
  });
}

/** `aws …` that must succeed; its stdout. */
async function aws(...args: string[]): Promise<string> {
  const r = await run(args);
  if (r.code !== 0) throw new Error(`aws ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function awsJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await aws(...args, '--output', 'json')) as T;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aws-cli-test-'));
  sandbox = await startSandbox({
    region: REGION,
    // Wait states last as long as they say: executions stay RUNNING until stopped.
    stepFunctions: { waitMs: 3_600_000 },
    seed: {
      iam: {
        roles: [
          { name: 'payments-deployer', path: '/teams/payments/' },
          { name: 'search-readers', path: '/teams/search/', tags: { 'eks-access': 'view', 'eks-access-groups': 'pod-readers' } },
          { name: 'BreakGlassAdmin', path: '/admin/' },
          { name: SESSION_ROLE, path: '/eks-access-pilot/' },
        ],
        users: [{ name: 'carol', path: '/contractors/' }],
      },
      s3: { buckets: [{ name: BUCKET }] },
    },
  });
  // Environment: the sandbox's, and no other AWS setting (the vitest config sets some; a developer's
  // ~/.aws/config could set a profile, a retry mode or a region).
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  Object.assign(env, sandbox.env, { AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials') });
  const version = await run(['--version']);
  if (!/aws-cli\/1\./.test(version.stdout + version.stderr)) throw new Error(`expected aws-cli v1 on PATH, found: ${version.stdout}${version.stderr}`);

  for (const key of ['backups/prod/exec-1/backup.json', 'backups/prod/exec-1/plan.json', 'backups/prod/exec-2/backup.json', 'backups/dev/exec-3/backup.json']) {
    sandbox.model.s3.putObject({ Bucket: BUCKET, Key: key, Body: '{"formatVersion":1}' });
  }
  sandbox.model.s3.putObject({ Bucket: BUCKET, Key: 'backups/prod/exec-1/backup.json', Body: '{"formatVersion":2}' });
  sandbox.model.s3.deleteObject({ Bucket: BUCKET, Key: 'backups/dev/exec-3/backup.json' });
  machine = sandbox.stepFunctions.createStateMachine({
    name: 'eks-access-pilot-auth-mode-migration',
    definition: { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } } as never,
    lambdas: {},
  });
}, TIMEOUT);
afterAll(async () => {
  await sandbox?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('aws-cli v1 against the sandbox', () => {
  it('needs only the env the sandbox returns: AWS_DEFAULT_REGION is in it (aws-cli v1 ignores AWS_REGION)', async () => {
    expect(sandbox.env).toMatchObject({ AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION });

    const without = await run(['sts', 'get-caller-identity'], ['AWS_DEFAULT_REGION']);

    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain('You must specify a region');
  }, TIMEOUT);

  it('S3: `aws s3 ls` lists the buckets, the executions under a cluster, and the backups in one, paging by --page-size', async () => {
    const buckets = await aws('s3', 'ls');
    const executions = await aws('s3', 'ls', `s3://${BUCKET}/backups/prod/`);
    const files = await aws('s3', 'ls', `s3://${BUCKET}/backups/prod/exec-1/`);
    const recursive = await aws('s3', 'ls', '--recursive', '--page-size', '1', `s3://${BUCKET}/backups/`);

    expect(buckets).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} ${BUCKET}$`, 'm'));
    expect(executions.split('\n').filter(Boolean).map((l) => l.trim())).toEqual(['PRE exec-1/', 'PRE exec-2/']);
    expect(files).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} +19 backup\.json$/m);
    expect(files).toMatch(/ plan\.json$/m);
    // The deleted backup (a delete marker) is not listed.
    expect(recursive.split('\n').filter(Boolean).map((l) => l.split(/\s+/).at(-1))).toEqual([
      'backups/prod/exec-1/backup.json',
      'backups/prod/exec-1/plan.json',
      'backups/prod/exec-2/backup.json',
    ]);
  }, TIMEOUT);

  it('S3: `aws s3api list-object-versions` shows every version and the delete marker, the same with --page-size 1', async () => {
    interface Versions {
      Versions?: Array<{ Key: string; VersionId: string; IsLatest: boolean; Size: number }>;
      DeleteMarkers?: Array<{ Key: string; VersionId: string; IsLatest: boolean }>;
    }
    const all = await awsJson<Versions>('s3api', 'list-object-versions', '--bucket', BUCKET, '--prefix', 'backups/');
    const paged = await awsJson<Versions>('s3api', 'list-object-versions', '--bucket', BUCKET, '--prefix', 'backups/', '--page-size', '1');
    const head = await awsJson<{ ContentLength: number; VersionId: string }>('s3api', 'head-object', '--bucket', BUCKET, '--key', 'backups/prod/exec-1/backup.json');

    expect(all.Versions?.map((v) => [v.Key, v.IsLatest])).toEqual([
      ['backups/dev/exec-3/backup.json', false],
      ['backups/prod/exec-1/backup.json', true],
      ['backups/prod/exec-1/backup.json', false],
      ['backups/prod/exec-1/plan.json', true],
      ['backups/prod/exec-2/backup.json', true],
    ]);
    expect(all.DeleteMarkers).toEqual([expect.objectContaining({ Key: 'backups/dev/exec-3/backup.json', IsLatest: true })]);
    expect({ Versions: paged.Versions, DeleteMarkers: paged.DeleteMarkers }).toEqual({ Versions: all.Versions, DeleteMarkers: all.DeleteMarkers });
    expect(head).toMatchObject({ ContentLength: 19, VersionId: all.Versions?.[1]?.VersionId });
  }, TIMEOUT);

  it('Step Functions: list and describe the state machine, list executions by status, stop one (ABORTED, with error and cause)', async () => {
    const machines = await awsJson<{ stateMachines: Array<{ name: string; stateMachineArn: string; type: string }> }>('stepfunctions', 'list-state-machines');
    const described = await awsJson<{ definition: string; status: string }>('stepfunctions', 'describe-state-machine', '--state-machine-arn', machine);
    const { executionArn } = await awsJson<{ executionArn: string }>('stepfunctions', 'start-execution', '--state-machine-arn', machine, '--name', 'cli-1');
    const running = await awsJson<{ executions: Array<{ name: string }> }>('stepfunctions', 'list-executions', '--state-machine-arn', machine, '--status-filter', 'RUNNING');
    await aws('stepfunctions', 'stop-execution', '--execution-arn', executionArn, '--error', 'Operator', '--cause', 'stopped from the CLI');
    const stopped = await awsJson<{ status: string; error: string; cause: string }>('stepfunctions', 'describe-execution', '--execution-arn', executionArn);

    expect(machines.stateMachines).toEqual([expect.objectContaining({ name: 'eks-access-pilot-auth-mode-migration', stateMachineArn: machine, type: 'STANDARD' })]);
    expect(described.status).toBe('ACTIVE');
    expect(JSON.parse(described.definition)).toMatchObject({ StartAt: 'Hold' });
    expect(executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:eks-access-pilot-auth-mode-migration:cli-1`);
    expect(running.executions.map((e) => e.name)).toEqual(['cli-1']);
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped from the CLI' });
  }, TIMEOUT);

  it('IAM: `aws iam list-roles --path-prefix /teams/` lists the team roles (paged by --page-size), their tags with list-role-tags', async () => {
    const teams = await awsJson<{ Roles: Array<{ RoleName: string; Path: string; Tags?: unknown }> }>('iam', 'list-roles', '--path-prefix', '/teams/', '--page-size', '1');
    const tags = await awsJson<{ Tags: Array<{ Key: string; Value: string }> }>('iam', 'list-role-tags', '--role-name', 'search-readers');
    const users = await awsJson<{ Users: Array<{ UserName: string }> }>('iam', 'list-users', '--path-prefix', '/contractors/');

    expect(teams.Roles.map((r) => [r.RoleName, r.Path])).toEqual([
      ['payments-deployer', '/teams/payments/'],
      ['search-readers', '/teams/search/'],
    ]);
    expect(teams.Roles.every((r) => r.Tags === undefined)).toBe(true);
    expect(tags.Tags).toEqual([
      { Key: 'eks-access', Value: 'view' },
      { Key: 'eks-access-groups', Value: 'pod-readers' },
    ]);
    expect(users.Users.map((u) => u.UserName)).toEqual(['carol']);
  }, TIMEOUT);

  it('STS: `aws sts get-caller-identity` names the role session by the RoleId `aws iam get-role` returns', async () => {
    const me = await awsJson<{ UserId: string; Account: string; Arn: string }>('sts', 'get-caller-identity');
    const role = /:assumed-role\/([^/]+)\/(.+)$/.exec(me.Arn);
    const roleId = (await aws('iam', 'get-role', '--role-name', role?.[1] ?? '', '--query', 'Role.RoleId', '--output', 'text')).trim();

    expect(me.Account).toBe(ACCOUNT);
    expect(role?.[1]).toBe(SESSION_ROLE);
    expect(roleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(me.UserId).toBe(`${roleId}:${role?.[2]}`);
  }, TIMEOUT);

  it('CloudTrail: `aws cloudtrail stop-logging` stops the trail, and `get-trail-status` says so (IsLogging false); start-logging restores it', async () => {
    const trails = await awsJson<{ trailList: Array<{ Name: string; HomeRegion: string; IsMultiRegionTrail: boolean }> }>('cloudtrail', 'describe-trails');
    const trail = trails.trailList[0]!.Name;

    await aws('cloudtrail', 'stop-logging', '--name', trail);
    const stopped = await awsJson<{ IsLogging: boolean; StopLoggingTime?: number }>('cloudtrail', 'get-trail-status', '--name', trail);
    await aws('cloudtrail', 'start-logging', '--name', trail);
    const started = await awsJson<{ IsLogging: boolean }>('cloudtrail', 'get-trail-status', '--name', trail);
    const missing = await run(['cloudtrail', 'get-trail-status', '--name', 'no-such-trail']);

    expect(trails.trailList).toEqual([expect.objectContaining({ Name: SANDBOX_TRAIL, HomeRegion: REGION, IsMultiRegionTrail: true })]);
    expect(stopped.IsLogging).toBe(false);
    expect(typeof stopped.StopLoggingTime).toBe('number');
    expect(started.IsLogging).toBe(true);
    expect(missing.stderr).toContain('(TrailNotFoundException) when calling the GetTrailStatus operation');
  }, TIMEOUT);

  it('SQS and EventBridge: `aws sqs get-queue-attributes` reads a dead-letter queue of the app; `aws events list-rules` its rule', async () => {
    // aws-cli v1 replaces the SQS endpoint with `<region>.queue.amazonaws.com` unless --endpoint-url
    // is given, ignoring AWS_ENDPOINT_URL_SQS (awscli/customizations/overridesslcommonname.py): against
    // the sandbox, `aws sqs` needs --endpoint-url. aws-cli v2 and the SDKs honour the variable.
    const sqs = (...args: string[]) => ['sqs', ...args, '--endpoint-url', sandbox.env.AWS_ENDPOINT_URL_SQS!];
    const urls = await awsJson<{ QueueUrls: string[] }>(...sqs('list-queues'));
    const queueUrl = urls.QueueUrls.find((u) => u.includes('ProvisionerFailures'))!;
    const attributes = await awsJson<{ Attributes: Record<string, string> }>(
      ...sqs('get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'QueueArn'),
    );
    const missing = await run(sqs('get-queue-attributes', '--queue-url', `${sandbox.url}/${ACCOUNT}/no-such-queue`, '--attribute-names', 'All'));
    const rules = await awsJson<{ Rules: Array<{ Name: string; State: string }> }>('events', 'list-rules', '--region', 'us-east-1');

    expect(attributes.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      QueueArn: expect.stringMatching(new RegExp(`^arn:aws:sqs:${REGION}:${ACCOUNT}:EksAccessPilot-TagProvisioningProvisionerFailures`)),
    });
    // botocore names an SQS error by its query code (x-amzn-query-error), as aws-cli users know it.
    expect(missing.stderr).toContain('(AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueAttributes operation');
    expect(rules.Rules).toEqual([expect.objectContaining({ Name: expect.stringMatching(/^EksAccessPilotIamEventForwarder-ForwardIamEvents/), State: 'ENABLED' })]);
  }, TIMEOUT);

  it('answers operations the sandbox does not model with the protocol\'s own error, which the CLI does not retry', async () => {
    const sfn = await run(['stepfunctions', 'list-activities']);
    const iam = await run(['iam', 'list-policies']);
    const s3 = await run(['s3api', 'get-bucket-acl', '--bucket', BUCKET]);

    expect(sfn.stderr).toContain('(UnknownOperationException) when calling the ListActivities operation');
    expect(iam.stderr).toContain('(InvalidAction) when calling the ListPolicies operation');
    expect(s3.stderr).toContain('(NotImplemented) when calling the GetBucketAcl operation');
    for (const r of [sfn, iam, s3]) {
      expect(r.code).not.toBe(0);
      // botocore says "(reached max retries: N)" when it retried.
      expect(r.stderr).not.toContain('reached max retries');
    }
  }, TIMEOUT);
});
