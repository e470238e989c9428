/**
 * Throttling end to end: 30% of all calls, IAM and EKS alike, answered as AWS answers a
 * throttled call (IAM: 400 Throttling; EKS: 429 ThrottlingException). The provisioner's SDK
 * clients retry with the events' setting (platform/clients.ts, RETRY: standard mode, 8
 * attempts) and EventBridge retries failed invocations; every change must still land, with no
 * dead letters.
 *
 * One managed cluster keeps the test short: each throttled call waits for the SDK's backoff
 * (full jitter on a 1 s base for throttles, doubling per retry), so a few seconds per change.
 * Which retry setting, and why, is measured by `npm run bench throttled`, not here.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateRoleCommand, DeleteRoleCommand, IAMClient, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { RETRY } from '#platform/clients';
import { EventBridge } from '#sandbox/eventbridge';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { ACCOUNT, testRuntime } from '#test/helpers/config';
import { captureStdout, lambdaContext, type CapturedOutput } from '#test/helpers/lambda';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const CLUSTER = { name: 'prod', region: 'eu-west-1' };

let sandbox: Sandbox;
let bus: EventBridge;
let iam: IAMClient;
let out: CapturedOutput;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: { clusters: [{ ...CLUSTER, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }] },
  });
  // Before the import: the handler's clients read AWS_ENDPOINT_URL_* on first use.
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  vi.stubEnv('EAP_CONFIG', JSON.stringify(testRuntime({ clusters: [CLUSTER] })));
  const { handler } = await import('#access/provisioner/handler');
  bus = new EventBridge((event) => handler(event, lambdaContext('provisioner')), { retryDelayMs: 5 });
  bus.connect(sandbox.model.iam);
  iam = new IAMClient({ region: 'us-east-1', ...RETRY });
  out = captureStdout();
});

afterAll(async () => {
  out.restore();
  iam.destroy();
  await sandbox.stop();
  vi.unstubAllEnvs();
});

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const arn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/teams/${name}`;

/** The policies the cluster has associated with the principal's entry; null without an entry. */
function policiesOf(principalArn: string): string[] | null {
  const m = sandbox.model.eks;
  if (!(m.listAccessEntries(CLUSTER.region, { clusterName: CLUSTER.name }).accessEntries ?? []).includes(principalArn)) return null;
  return (m.listAssociatedAccessPolicies(CLUSTER.region, { clusterName: CLUSTER.name, principalArn }).associatedAccessPolicies ?? []).map((p) => p.policyArn!);
}

describe('provisioner under throttling (HTTP sandbox)', () => {
  it('converges with nothing lost when 30% of all calls are throttled', { timeout: 120_000 }, async () => {
    // arrange: a seeded fraction, so the same calls are throttled on every run
    sandbox.faults.set({ throttle: { fraction: 0.3 }, seed: 42 });
    const act = async (call: Promise<unknown>) => {
      await call;
      await bus.drain();
    };

    // act: the life of three team roles
    for (const name of ['alpha', 'bravo', 'charlie']) {
      await act(iam.send(new CreateRoleCommand({ RoleName: name, Path: '/teams/', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access': 'view' }) })));
    }
    expect(['alpha', 'bravo', 'charlie'].map((n) => policiesOf(arn(n)))).toEqual([[VIEW], [VIEW], [VIEW]]);
    await act(iam.send(new TagRoleCommand({ RoleName: 'alpha', Tags: tags({ 'eks-access': 'edit' }) })));
    await act(iam.send(new UntagRoleCommand({ RoleName: 'bravo', TagKeys: ['eks-access'] })));
    await act(iam.send(new DeleteRoleCommand({ RoleName: 'charlie' })));

    // assert: exactly what the final tags say, nothing parked, and throttling did happen
    expect(policiesOf(arn('alpha'))).toEqual([EDIT]);
    expect(policiesOf(arn('bravo'))).toBeNull();
    expect(policiesOf(arn('charlie'))).toBeNull();
    expect(bus.deadLetters).toEqual([]);
    const total = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    const throttled = sandbox.throttled();
    const calls = sandbox.calls();
    expect(total(throttled.iam)).toBeGreaterThan(0);
    expect(total(throttled.eks)).toBeGreaterThan(0);
    const fraction = (total(throttled.iam) + total(throttled.eks)) / (total(calls.iam) + total(calls.eks));
    expect(fraction).toBeGreaterThan(0.15);
    expect(fraction).toBeLessThan(0.45);
  });
});
