/**
 * The provisioner end to end over real HTTP: a team makes IAM calls with the real IAMClient
 * against the sandbox; the IAM model's writes become CloudTrail events (the seeded trail records
 * them); the sandbox's EventBridge delivers the ones the deployed rules match — us-east-1's
 * forwarder, then the home Region's rule — to the real provisioner handler; the handler's own
 * module-level SDK clients read IAM and write EKS over HTTP. Nothing is mocked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  IAMClient,
  NoSuchEntityException,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { EventBridge } from '#sandbox/eventbridge';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { ACCOUNT, testRuntime } from '#test/helpers/config';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
// testRuntime()'s clusters: prod and staging (eu-west-1) and analytics (us-east-1). analytics
// is still in CONFIG_MAP mode: it takes no access entries and the provisioner skips it.
const API_CLUSTERS = [
  { name: 'prod', region: 'eu-west-1' },
  { name: 'staging', region: 'eu-west-1' },
];

let sandbox: Sandbox;
let bus: EventBridge;
let iam: IAMClient;
let out: CapturedOutput;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [
        ...API_CLUSTERS.map((c) => ({ ...c, authenticationMode: 'API' as const, version: '1.31', platformVersion: 'eks.12' })),
        { name: 'analytics', region: 'us-east-1', authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' },
      ],
    },
    // IAM enforced: the app synthesized with this configuration, the provisioner run as its role.
    iam: { config: testRuntime().config },
  });
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  const lambda = sandbox.lambda!;
  const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
  bus = new EventBridge((event, functionArn) => (functionArn ? lambda.invokeArn(functionArn, event) : lambda.invoke(provisioner, event)), { retryDelayMs: 5, model: sandbox.model });
  bus.connect(sandbox.model.iam);
  iam = new IAMClient({ region: 'us-east-1', retryMode: 'adaptive', maxAttempts: 8 });
});

afterAll(async () => {
  iam.destroy();
  await sandbox.stop();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  out = captureStdout();
});
afterEach(async () => {
  await bus.drain();
  sandbox.faults.set({});
  out.restore();
});

/** An IAM call by a team, then the wait for EventBridge and the provisioner to settle. */
async function act(call: Promise<unknown>): Promise<void> {
  await call;
  await bus.drain();
}

const tags = (t: Record<string, string>): Tag[] => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

interface Seen {
  groups: string[];
  policies: Array<{ policyArn: string; scope: string }>;
  tags: Record<string, string>;
}

/** What each API-mode cluster holds for the principal, read from the model (the truth). */
function access(arn: string): Record<string, Seen | null> {
  const result: Record<string, Seen | null> = {};
  for (const c of API_CLUSTERS) {
    const arns = sandbox.model.eks.listAccessEntries(c.region, { clusterName: c.name }).accessEntries ?? [];
    if (!arns.includes(arn)) {
      result[c.name] = null;
      continue;
    }
    const e = sandbox.model.eks.describeAccessEntry(c.region, { clusterName: c.name, principalArn: arn }).accessEntry!;
    const policies = sandbox.model.eks.listAssociatedAccessPolicies(c.region, { clusterName: c.name, principalArn: arn }).associatedAccessPolicies ?? [];
    result[c.name] = {
      groups: [...(e.kubernetesGroups ?? [])].sort(),
      policies: policies.map((p) => ({ policyArn: p.policyArn!, scope: p.accessScope?.type === 'namespace' ? `namespace:${p.accessScope.namespaces!.join(' ')}` : 'cluster' })),
      tags: e.tags ?? {},
    };
  }
  return result;
}

const everywhere = (seen: Seen | null) => ({ prod: seen, staging: seen });
const grant = (policyArn: string, scope = 'cluster', groups: string[] = []) =>
  expect.objectContaining({ groups, policies: [{ policyArn, scope }], tags: expect.objectContaining({ 'managed-by': 'eks-access-pilot' }) });

describe('provisioner over the HTTP sandbox, driven by real IAM calls', () => {
  it('gives a role with a path its entry when it is created tagged, changes it on retag, removes it on untag', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/teams/payments/payments-deployer`;

    await act(iam.send(new CreateRoleCommand({ RoleName: 'payments-deployer', Path: '/teams/payments/', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access': 'view' }) })));
    expect(access(arn)).toEqual(everywhere(grant(VIEW)));

    await act(iam.send(new TagRoleCommand({ RoleName: 'payments-deployer', Tags: tags({ 'eks-access': 'edit', 'eks-access-namespaces': 'payments' }) })));
    expect(access(arn)).toEqual(everywhere(grant(EDIT, 'namespace:payments')));

    await act(iam.send(new UntagRoleCommand({ RoleName: 'payments-deployer', TagKeys: ['eks-access', 'eks-access-namespaces'] })));
    expect(access(arn)).toEqual(everywhere(null));
    expect(bus.deadLetters).toEqual([]);
  });

  it('removes the entry when the role is deleted and gives the recreated role (new unique ID) a fresh one', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/ops`;
    await act(iam.send(new CreateRoleCommand({ RoleName: 'ops', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access/prod': 'view' }) })));
    const first = access(arn).prod?.tags['eks-access-pilot/principal-id'];
    expect(access(arn)).toEqual({ prod: grant(VIEW), staging: null });

    await act(iam.send(new DeleteRoleCommand({ RoleName: 'ops' })));
    expect(access(arn)).toEqual(everywhere(null));

    await act(iam.send(new CreateRoleCommand({ RoleName: 'ops', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access/prod': 'view' }) })));
    const second = access(arn).prod?.tags['eks-access-pilot/principal-id'];
    expect(second).toMatch(/^AROA/);
    expect(second).not.toBe(first);
    expect(sandbox.model.eks.isAccessEntryEffective('eu-west-1', 'prod', arn)).toBe(true);
  });

  it('handles users with paths: tag, untag and delete', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:user/contractors/dana`;
    await act(iam.send(new CreateUserCommand({ UserName: 'dana', Path: '/contractors/' })));
    expect(access(arn)).toEqual(everywhere(null));

    await act(iam.send(new TagUserCommand({ UserName: 'dana', Tags: tags({ 'EKS-Access': 'view', 'eks-access-groups': 'pod-readers' }) })));
    expect(access(arn)).toEqual(everywhere(grant(VIEW, 'cluster', ['pod-readers'])));

    await act(iam.send(new UntagUserCommand({ UserName: 'dana', TagKeys: ['eks-access-groups'] })));
    expect(access(arn)).toEqual(everywhere(grant(VIEW)));

    await act(iam.send(new DeleteUserCommand({ UserName: 'dana' })));
    expect(access(arn)).toEqual(everywhere(null));
  });

  it('leaves the CONFIG_MAP cluster alone without failing the invocation', async () => {
    await act(iam.send(new CreateRoleCommand({ RoleName: 'analyst', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access': 'view' }) })));
    expect(sandbox.model.eks.describeCluster('us-east-1', { name: 'analytics' }).cluster?.accessConfig?.authenticationMode).toBe('CONFIG_MAP');
    expect(access(`arn:aws:iam::${ACCOUNT}:role/analyst`)).toEqual(everywhere(grant(VIEW)));
    expect(bus.deadLetters).toEqual([]);
  });

  it('does not deliver the event of a failed IAM call: CloudTrail records it with errorCode and the rule drops it', async () => {
    const matchedBefore = bus.stats().matched;

    const error = await iam.send(new TagRoleCommand({ RoleName: 'no-such-role', Tags: tags({ 'eks-access': 'edit' }) })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NoSuchEntityException);
    const event = bus.unmatched.at(-1)!;
    expect(event.detail).toMatchObject({ eventName: 'TagRole', errorCode: 'NoSuchEntityException', requestParameters: { roleName: 'no-such-role' } });
    expect(bus.stats().matched).toBe(matchedBefore);
  });

  it('does not deliver a write failed on purpose by the fault knob either, and the role keeps its access', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/batch`;
    await act(iam.send(new CreateRoleCommand({ RoleName: 'batch', AssumeRolePolicyDocument: TRUST, Tags: tags({ 'eks-access': 'view' }) })));
    sandbox.faults.set({ fail: { 'iam:UntagRole': 'ServiceFailure' } });

    // One attempt: the SDK would retry a 500 (ServiceFailure) eight times, to the same answer.
    const once = new IAMClient({ region: 'us-east-1', maxAttempts: 1 });
    const error = await once.send(new UntagRoleCommand({ RoleName: 'batch', TagKeys: ['eks-access'] })).catch((e: unknown) => e);
    once.destroy();
    await bus.drain();

    expect((error as Error).name).toBe('ServiceFailureException');
    expect(bus.unmatched.at(-1)!.detail).toMatchObject({ eventName: 'UntagRole', errorCode: 'ServiceFailureException' });
    expect(access(arn)).toEqual(everywhere(grant(VIEW)));
  });
});
