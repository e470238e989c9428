/**
 * Time-bound access end to end over real HTTP (issue 13): a team tags a role `eks-access=view` and
 * `eks-access-expires=<instant>`; IAM's event reaches the real provisioner, which grants the entry
 * and creates a one-time EventBridge Scheduler schedule in the app's group; when the sandbox's
 * clock reaches the instant, the schedule fires, invoking the provisioner as the app's scheduler
 * role (lambda:InvokeFunction checked against its synthesized policy), which revokes the entry —
 * with no IAM event — and Scheduler deletes the schedule (ActionAfterCompletion DELETE). Removing
 * the tag deletes the schedule. The functions read the sandbox's clock as their own (sandbox/
 * clock.ts), so moving it an hour ahead is an hour for them too. Nothing is mocked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CreateRoleCommand, IAMClient, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { EventBridge } from '#sandbox/eventbridge';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { ACCOUNT } from '#test/helpers/config';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const REGION = 'eu-west-1';
const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
/** The app's schedule group (infra/constructs/expiry.ts). */
const GROUP = 'eks-access-pilot-expiry';
// The app deployed in the home Region, where its schedule group and provisioner are.
const CONFIG = { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }], allowedGroups: ['pod-readers'], protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`] };
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

let sandbox: Sandbox;
let bus: EventBridge;
let iam: IAMClient;
let out: CapturedOutput;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: { clusters: [{ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }] },
    iam: { config: CONFIG },
  });
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  const lambda = sandbox.lambda!;
  const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
  bus = new EventBridge((event, functionArn) => (functionArn ? lambda.invokeArn(functionArn, event) : lambda.invoke(provisioner, event)), { retryDelayMs: 5, model: sandbox.model });
  bus.connect(sandbox.model.iam);
  iam = new IAMClient({ region: 'us-east-1' });
});

afterAll(async () => {
  iam?.destroy();
  await sandbox?.stop();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  out = captureStdout();
});
afterEach(async () => {
  await bus.drain();
  await sandbox.scheduler.drain();
  out.restore();
});

/** `YYYY-MM-DDThh:mm:ssZ`: the tag's form, UTC, to the second. */
const expiresTag = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

async function act(call: Promise<unknown>): Promise<void> {
  await call;
  await bus.drain();
}

async function newRole(name: string): Promise<string> {
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await bus.drain();
  return Role!.Arn!;
}

function policiesOn(arn: string): string[] | null {
  if (!(sandbox.model.eks.listAccessEntries(REGION, { clusterName: 'prod' }).accessEntries ?? []).includes(arn)) return null;
  return (sandbox.model.eks.listAssociatedAccessPolicies(REGION, { clusterName: 'prod', principalArn: arn }).associatedAccessPolicies ?? []).map((p) => p.policyArn!);
}

/** The schedules of the app's group whose input names the principal. */
function schedulesOf(arn: string) {
  return sandbox.scheduler.all().filter((s) => s.groupName === GROUP && (JSON.parse(s.target.Input ?? '{}') as { principalArn?: string }).principalArn === arn);
}

describe('eks-access-expires', () => {
  it('grants now, schedules the revocation, and revokes on time without any IAM event', async () => {
    const arn = await newRole('oncall-tonight');
    const expiresAt = sandbox.clock.nowMs() + 3_600_000;

    await act(iam.send(new TagRoleCommand({ RoleName: 'oncall-tonight', Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-expires', Value: expiresTag(expiresAt) }] })));

    expect(policiesOn(arn)).toEqual([VIEW]);
    const [schedule, ...more] = schedulesOf(arn);
    expect(more).toEqual([]);
    expect(schedule).toMatchObject({
      name: expect.stringMatching(/^eap-expiry-[0-9a-f]{40}$/),
      scheduleExpression: `at(${expiresTag(expiresAt).slice(0, 19)})`,
      actionAfterCompletion: 'DELETE',
      flexibleTimeWindow: { Mode: 'OFF' },
      target: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:eks-access-pilot-provisioner`, RoleArn: `arn:aws:iam::${ACCOUNT}:role/eks-access-pilot-expiry-scheduler` },
    });

    const eventsBefore = bus.stats().put;
    await sandbox.clock.advance(expiresAt - sandbox.clock.nowMs() - 120_000);
    expect(policiesOn(arn)).toEqual([VIEW]);

    await sandbox.clock.set(new Date(expiresAt + 1_000));

    expect(policiesOn(arn)).toBeNull();
    expect(schedulesOf(arn)).toEqual([]);
    expect(bus.stats().put).toBe(eventsBefore);
    expect(sandbox.scheduler.invocations.filter((i) => i.schedule.name === schedule!.name).map((i) => [i.ok, i.error?.message])).toEqual([[true, undefined]]);
    expect(out.logs('access expired').length).toBeGreaterThan(0);
    expect(bus.deadLetters).toEqual([]);
  });

  it('deletes the schedule when the expiry tag is removed, and keeps the access', async () => {
    const arn = await newRole('temp-then-permanent');
    await act(iam.send(new TagRoleCommand({ RoleName: 'temp-then-permanent', Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-expires', Value: expiresTag(sandbox.clock.nowMs() + 86_400_000) }] })));
    expect(schedulesOf(arn)).toHaveLength(1);

    await act(iam.send(new UntagRoleCommand({ RoleName: 'temp-then-permanent', TagKeys: ['eks-access-expires'] })));

    expect(schedulesOf(arn)).toEqual([]);
    expect(policiesOn(arn)).toEqual([VIEW]);
  });

  it('revokes with real time passing, a few seconds after tagging', async () => {
    const arn = await newRole('short-lived');
    // Seconds precision: the next whole second, plus three.
    const expiresAt = Math.ceil(sandbox.clock.nowMs() / 1000) * 1000 + 3_000;
    await act(iam.send(new TagRoleCommand({ RoleName: 'short-lived', Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-expires', Value: expiresTag(expiresAt) }] })));
    expect(policiesOn(arn)).toEqual([VIEW]);

    await expect.poll(() => policiesOn(arn), { timeout: 15_000, interval: 100 }).toBeNull();

    const delay = sandbox.clock.nowMs() - expiresAt;
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(5_000);
    expect(schedulesOf(arn)).toEqual([]);
  });
});
