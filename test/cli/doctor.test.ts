/**
 * `eks-access-pilot doctor` against the HTTP sandbox seeded as a healthy deployment of the
 * synthesized app (IAM enforced): every check passes; then each fault on its own turns exactly its
 * check into a failure or a warning with a fix, and nothing else.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudTrailClient, StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadSeed, startSandbox, type Sandbox } from '#sandbox/server/index';
import { mapWorkflowRole } from '#sandbox/stepfunctions/migration';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';
import type { DoctorReport } from '../../cli/commands/doctor.ts';

const REGION = 'eu-west-1';
const seed = loadSeed(fileURLToPath(new URL('../../sandbox/seed/default.json', import.meta.url)));
const ACCOUNT = seed.accountId ?? '111122223333';
const CONFIG = {
  homeRegion: REGION,
  clusters: seed.clusters.map((c) => ({ name: c.name, region: c.region })),
  allowedGroups: ['pod-readers'],
  protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/admin/BreakGlassAdmin`],
};
const TRAIL = 'management-events';
const FORWARD_RULE = 'EksAccessPilotIamEventForwarder-ForwardIamEvents9FF91A81';

let sandbox: Sandbox;
const clients = () => ({
  cloudtrail: new CloudTrailClient({ region: REGION }),
  events: new EventBridgeClient({ region: 'us-east-1' }),
  sqs: new SQSClient({ region: REGION }),
});

async function doctor(...args: string[]): Promise<{ code: number; report: DoctorReport; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['doctor', '--region', REGION, '--json', ...args], io);
  return { code, report: out.length ? (JSON.parse(out.join('\n')) as DoctorReport) : { checks: [], summary: { pass: 0, warn: 0, fail: 0 } }, stderr: err.join('\n') };
}

/** The checks that did not pass, as `id: status`. */
const notPassing = (r: DoctorReport) => r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status}`);
const check = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;

beforeAll(async () => {
  sandbox = await startSandbox({ seed, region: REGION, iam: { config: CONFIG } });
  for (const c of seed.clusters.filter((x) => x.authenticationMode !== 'API')) mapWorkflowRole(sandbox, c.region, c.name);
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  vi.stubEnv('EAP_CONFIG', JSON.stringify({ config: CONFIG }));
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await sandbox.stop();
});

describe('eks-access-pilot doctor', () => {
  it('passes every check of a healthy deployment, and says how many permission cases it simulated', async () => {
    // act
    const { code, report } = await doctor();

    // assert
    expect(notPassing(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['trail', 'rule: IAM events (us-east-1)', 'rule filter', 'role: provisioner', 'role: migration state machine', 'cluster demo (eu-west-1)', 'queues']),
    );
    expect(check(report, 'role: provisioner').detail).toMatch(/^\d+\/\d+ needed calls allowed; \d+\/\d+ forbidden calls denied$/);
  });

  it('fails the trail check, with the command that fixes it, when the trail stops logging', async () => {
    // arrange
    const { cloudtrail } = clients();
    await cloudtrail.send(new StopLoggingCommand({ Name: TRAIL }));
    try {
      // act
      const { code, report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['trail: fail']);
      expect(check(report, 'trail').fix).toMatch(/^aws cloudtrail start-logging --name arn:aws:cloudtrail:eu-west-1:\d{12}:trail\/management-events --region eu-west-1$/);
      expect(code).toBe(1);
    } finally {
      await cloudtrail.send(new StartLoggingCommand({ Name: TRAIL }));
    }
  });

  it('fails the rule check when the us-east-1 forwarding rule is disabled', async () => {
    // arrange
    const { events } = clients();
    await events.send(new DisableRuleCommand({ Name: FORWARD_RULE }));
    try {
      // act
      const { report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['rule: IAM events (us-east-1): fail']);
      expect(check(report, 'rule: IAM events (us-east-1)').detail).toMatch(/ForwardIamEvents.* is DISABLED/);
    } finally {
      await events.send(new EnableRuleCommand({ Name: FORWARD_RULE }));
    }
  });

  it('fails the rule filter, naming each case, when EventBridge does not match tags inside CloudTrail\'s array of objects', async () => {
    // arrange: an EventBridge that evaluates a nested pattern against an array of objects as no
    // match (the behaviour docs/architecture.md lists as unverified), everything else as modelled
    const model = sandbox.model.events;
    const real = model.testEventPattern.bind(model);
    const spy = vi.spyOn(model, 'testEventPattern').mockImplementation((input) => {
      const event = JSON.parse(input.Event!) as { detail: { requestParameters?: { tags?: unknown } } };
      return event.detail.requestParameters?.tags ? { Result: false } : real(input);
    });
    try {
      // act
      const { code, report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['rule filter: fail']);
      expect(check(report, 'rule filter').detail).toContain('TagRole eks-access: EventBridge drops it, this checkout expects it delivered');
      expect(check(report, 'rule filter').detail).toContain('CreateRole with eks-access-groups: EventBridge drops it');
      expect(check(report, 'rule filter').detail).not.toContain('UntagRole');
      expect(code).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("fails a role's check, naming the call, when a statement it needs is removed from its policy", async () => {
    // arrange
    const role = [...sandbox.iam!.app.roles.values()].find((r) => r.logicalId.startsWith('TagProvisioningProvisionerRole'))!;
    const policy = role.policies.find((p) => p.document.Statement.some((s) => s.Sid === 'CreateOwnedStandardEntries'))!;
    const original = [...policy.document.Statement];
    policy.document.Statement.splice(
      original.findIndex((s) => s.Sid === 'CreateOwnedStandardEntries'),
      1,
    );
    try {
      // act
      const { report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['role: provisioner: fail']);
      expect(check(report, 'role: provisioner').detail).toMatch(/eks:CreateAccessEntry implicitly denied on arn:aws:eks:eu-west-1:\d{12}:cluster\/demo \(create an owned STANDARD entry on demo\)/);
      expect(check(report, 'role: provisioner').fix).toMatch(/npx cdk deploy --all/);
    } finally {
      policy.document.Statement.splice(0, policy.document.Statement.length, ...original);
    }
  });

  it("warns on a CONFIG_MAP cluster whose aws-auth does not map the workflow's role, with the row to add", async () => {
    // arrange
    const k8s = sandbox.model.kubernetes(REGION, 'demo');
    const saved = { ...k8s.configMap('kube-system', 'aws-auth')!.data };
    const workflowRow = /- rolearn: \S+MigrationKubernetesRole\S*\n(?: {2}.*\n)+/;
    expect(saved.mapRoles).toMatch(workflowRow);
    k8s.seedConfigMap('kube-system', 'aws-auth', { ...saved, mapRoles: saved.mapRoles!.replace(workflowRow, '') });
    try {
      // act
      const { code, report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['cluster demo (eu-west-1): warn']);
      const demo = check(report, 'cluster demo (eu-west-1)');
      expect(demo.detail).toMatch(/the workflow's role EksAccessPilot-MigrationKubernetesRole\S* is not in aws-auth/);
      expect(demo.fix).toMatch(/add this row to mapRoles .*rolearn: arn:aws:iam::\d{12}:role\/EksAccessPilot-MigrationKubernetesRole.*kubectl -n kube-system create rolebinding/);
      expect(code).toBe(0);
    } finally {
      k8s.seedConfigMap('kube-system', 'aws-auth', saved);
    }
  });

  it('fails the queues check when a dead-letter queue holds a message', async () => {
    // arrange
    const { sqs } = clients();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'EksAccessPilot-TagProvisioningProvisionerFailures4BC69252' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"requestContext":{"condition":"RetriesExhausted"}}' }));
    try {
      // act
      const { report } = await doctor();

      // assert
      expect(notPassing(report)).toEqual(['queues: fail']);
      expect(check(report, 'queues').detail).toMatch(/^1 message in EksAccessPilot-TagProvisioningProvisionerFailures4BC69252 \(TagProvisioningProvisionerFailures, eu-west-1\)$/);
      expect(check(report, 'queues').fix).toMatch(/aws sqs receive-message --queue-url \S+ProvisionerFailures\S+ --region eu-west-1/);
    } finally {
      await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    }
  });

  it('warns, naming the permission, when doctor itself may not read the trails or aws-auth — and checks the rest', async () => {
    // arrange: an identity that may do anything but CloudTrail
    const creds = sandbox.iam!.issueCredentials(`arn:aws:sts::${ACCOUNT}:assumed-role/auditor/doctor`, [
      {
        name: 'read-all-but-cloudtrail',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: '*', Resource: '*' },
            { Effect: 'Deny', Action: 'cloudtrail:*', Resource: '*' },
          ],
        },
      },
    ]);
    vi.stubEnv('AWS_ACCESS_KEY_ID', creds.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', creds.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', creds.sessionToken ?? '');
    try {
      // act
      const { code, report } = await doctor();

      // assert
      // The auditor is not in demo's aws-auth either: that check says it could not look, with the row to add.
      expect(notPassing(report)).toEqual(['trail: warn', 'cluster demo (eu-west-1): warn']);
      expect(check(report, 'cluster demo (eu-west-1)').detail).toMatch(/aws-auth not readable by doctor/);
      expect(check(report, 'cluster demo (eu-west-1)').fix).toMatch(/add this row to mapRoles/);
      expect(check(report, 'trail').detail).toMatch(/^not checked: doctor may not call cloudtrail:DescribeTrails.*AccessDeniedException/);
      expect(check(report, 'trail').fix).toMatch(/read-only policy in README/);
      expect(code).toBe(0);
    } finally {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) {
        if (sandbox.env[k] === undefined) vi.stubEnv(k, undefined);
        else vi.stubEnv(k, sandbox.env[k]);
      }
    }
  });

  it("needs nothing beyond infra/doctor-read-only-policy.json (the README's policy): with only it, every AWS check passes", async () => {
    // arrange
    const policy = JSON.parse(readFileSync(fileURLToPath(new URL('../../infra/doctor-read-only-policy.json', import.meta.url)), 'utf8')) as never;
    const creds = sandbox.iam!.issueCredentials(`arn:aws:sts::${ACCOUNT}:assumed-role/platform-engineer/doctor`, [{ name: 'doctor-read-only', policy }]);
    vi.stubEnv('AWS_ACCESS_KEY_ID', creds.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', creds.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', creds.sessionToken ?? '');
    try {
      // act
      const { report } = await doctor();

      // assert: only aws-auth, which is Kubernetes' to allow (the engineer is not mapped in demo's aws-auth)
      expect(notPassing(report)).toEqual(['cluster demo (eu-west-1): warn']);
      expect(check(report, 'cluster demo (eu-west-1)').detail).toMatch(/aws-auth not readable by doctor/);
    } finally {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const) {
        if (sandbox.env[k] === undefined) vi.stubEnv(k, undefined);
        else vi.stubEnv(k, sandbox.env[k]);
      }
    }
  });

  it('refuses a --region other than the configuration\'s home region (exit 2) and a bad configuration file, naming it', async () => {
    // act
    const other = await doctor('--region', 'us-east-1');
    const missing = await doctor('--config', '/nonexistent/cdk.json');

    // assert
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/deploys to homeRegion eu-west-1/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the configuration from \/nonexistent\/cdk.json/);
  });
});
