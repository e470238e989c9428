/**
 * Identity Center end to end over real HTTP (issue 12): a platform admin tags a permission set;
 * Identity Center provisions it into the account, which creates the role
 * `/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_<name>_<hex>` in IAM; IAM's CreateRole
 * (made by sso.amazonaws.com) becomes a CloudTrail event the deployed rules deliver to the real
 * provisioner; the provisioner assumes the configured read role (STS AssumeRole), reads the
 * permission set's tags through sso-admin and gives the role its entry. Re-provisioning re-creates
 * the role with a new ID and the entry follows it; unassigning deletes the role and the entry.
 * A tag changed on the permission set raises no event in this account: the resync applies it.
 *
 * The app is synthesized with `identityCenter: { instanceArn, region, readRoleArn }`, so the
 * functions the sandbox runs get that configuration and their roles the grants infra derives
 * from it. Nothing is mocked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfigInput } from '#kernel/config';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { EventBridge } from '#sandbox/eventbridge';
import { IDENTITY_CENTER_READ_ROLE, startSandbox, type Sandbox } from '#sandbox/server/index';
import { ACCOUNT } from '#test/helpers/config';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const REGION = 'eu-west-1';
const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-7223a3f8ea2d1f14';
const IDENTITY_CENTER = { instanceArn: INSTANCE_ARN, region: REGION, readRoleArn: `arn:aws:iam::${ACCOUNT}:role/${IDENTITY_CENTER_READ_ROLE}` };
const API_CLUSTERS = [
  { name: 'prod', region: REGION },
  { name: 'staging', region: REGION },
];
// As test/helpers/config.ts's testConfig, raw (the sandbox synthesizes the app from it), with Identity Center.
const CONFIG = {
  homeRegion: REGION,
  clusters: [...API_CLUSTERS, { name: 'analytics', region: 'us-east-1' }],
  allowedGroups: ['pod-readers', 'log-readers'],
  protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`],
  identityCenter: IDENTITY_CENTER,
};

let sandbox: Sandbox;
let bus: EventBridge;
let out: CapturedOutput;

beforeAll(async () => {
  const config: ConfigInput = CONFIG;
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      clusters: [
        ...API_CLUSTERS.map((c) => ({ ...c, authenticationMode: 'API' as const, version: '1.31', platformVersion: 'eks.12' })),
        { name: 'analytics', region: 'us-east-1', authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' },
      ],
      identityCenter: {
        instanceArn: INSTANCE_ARN,
        instanceRegion: REGION,
        permissionSets: [{ name: 'PlatformReadOnly' }, { name: 'Data_Readers', tags: { 'eks-access/prod': 'view' } }, { name: 'Billing' }],
      },
    },
    iam: { config },
  });
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
  const lambda = sandbox.lambda!;
  const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
  bus = new EventBridge((event, functionArn) => (functionArn ? lambda.invokeArn(functionArn, event) : lambda.invoke(provisioner, event)), { retryDelayMs: 5, model: sandbox.model });
  bus.connect(sandbox.model.iam);
});

afterAll(async () => {
  await sandbox?.stop();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  out = captureStdout();
});
afterEach(async () => {
  await bus.drain();
  out.restore();
});

/** An Identity Center action, then the wait for EventBridge and the provisioner to settle. */
async function act(action: () => unknown): Promise<void> {
  action();
  await bus.drain();
}

async function resync(): Promise<void> {
  const lambda = sandbox.lambda!;
  await lambda.invoke(lambda.functionFor('functions/access/resync/handler.ts'), {});
}

interface Seen {
  username: string;
  policies: Array<{ policyArn: string; scope: string }>;
  tags: Record<string, string>;
}

/** What each API-mode cluster holds for the principal, read from the model (the truth). */
function access(arn: string): Record<string, Seen | null> {
  const result: Record<string, Seen | null> = {};
  for (const c of API_CLUSTERS) {
    if (!(sandbox.model.eks.listAccessEntries(c.region, { clusterName: c.name }).accessEntries ?? []).includes(arn)) {
      result[c.name] = null;
      continue;
    }
    const e = sandbox.model.eks.describeAccessEntry(c.region, { clusterName: c.name, principalArn: arn }).accessEntry!;
    const policies = sandbox.model.eks.listAssociatedAccessPolicies(c.region, { clusterName: c.name, principalArn: arn }).associatedAccessPolicies ?? [];
    result[c.name] = {
      username: e.username ?? '',
      policies: policies.map((p) => ({ policyArn: p.policyArn!, scope: p.accessScope?.type ?? '' })),
      tags: e.tags ?? {},
    };
  }
  return result;
}

/** The entry the provisioner gives an Identity Center role: STANDARD, sso:{{SessionName}}, source identity-center, bound to `roleId`. */
const ssoGrant = (policyArn: string, roleId: string) =>
  expect.objectContaining({
    username: 'sso:{{SessionName}}',
    policies: [{ policyArn, scope: 'cluster' }],
    tags: expect.objectContaining({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'identity-center', 'eks-access-pilot/principal-id': roleId }),
  });

describe('Identity Center roles get access from their permission set tags', () => {
  it('tags PlatformReadOnly eks-access=view; provisioning creates its role, which gets AmazonEKSViewPolicy everywhere', async () => {
    sandbox.identityCenter.tagPermissionSet('PlatformReadOnly', { 'eks-access': 'view' });
    await act(() => sandbox.identityCenter.provision('PlatformReadOnly'));

    const role = sandbox.identityCenter.role('PlatformReadOnly')!;
    expect(role.path).toBe(`/aws-reserved/sso.amazonaws.com/${REGION}/`);
    expect(access(role.arn)).toEqual({ prod: ssoGrant(VIEW, role.roleId), staging: ssoGrant(VIEW, role.roleId) });
    expect(bus.deadLetters).toEqual([]);
  });

  it('re-provisioning re-creates the role with a new ID, and the entry follows the new ID', async () => {
    const before = sandbox.identityCenter.role('PlatformReadOnly')!;
    await act(() => sandbox.identityCenter.reprovision('PlatformReadOnly'));

    const after = sandbox.identityCenter.role('PlatformReadOnly')!;
    expect(after.arn).toBe(before.arn);
    expect(after.roleId).not.toBe(before.roleId);
    expect(access(after.arn)).toEqual({ prod: ssoGrant(VIEW, after.roleId), staging: ssoGrant(VIEW, after.roleId) });
    // The entry authenticates the role that exists now (EKS binds an entry to the principal ID).
    expect(sandbox.model.eks.isAccessEntryEffective(REGION, 'prod', after.arn)).toBe(true);
    expect(bus.deadLetters).toEqual([]);
  });

  it('applies a tag changed on the permission set at the next resync (its event is in the management account)', async () => {
    const role = sandbox.identityCenter.role('PlatformReadOnly')!;
    sandbox.identityCenter.tagPermissionSet('PlatformReadOnly', { 'eks-access': 'edit' });
    await bus.drain();
    expect(access(role.arn).prod).toEqual(ssoGrant(VIEW, role.roleId));

    await resync();
    expect(access(role.arn)).toEqual({ prod: ssoGrant(EDIT, role.roleId), staging: ssoGrant(EDIT, role.roleId) });
  });

  it('revokes the access when the assignment is removed (Identity Center deletes the role)', async () => {
    const role = sandbox.identityCenter.role('PlatformReadOnly')!;
    await act(() => sandbox.identityCenter.unassign('PlatformReadOnly'));

    expect(sandbox.identityCenter.role('PlatformReadOnly')).toBeUndefined();
    expect(access(role.arn)).toEqual({ prod: null, staging: null });
    expect(bus.deadLetters).toEqual([]);
  });

  it('reads a permission set whose name contains "_", with a per-cluster tag', async () => {
    await act(() => sandbox.identityCenter.provision('Data_Readers'));

    const role = sandbox.identityCenter.role('Data_Readers')!;
    expect(role.roleName).toMatch(/^AWSReservedSSO_Data_Readers_[0-9a-f]{16}$/);
    expect(access(role.arn)).toEqual({ prod: ssoGrant(VIEW, role.roleId), staging: null });
  });

  it('gives a role whose permission set carries no eks-access tag nothing', async () => {
    await act(() => sandbox.identityCenter.provision('Billing'));
    expect(access(sandbox.identityCenter.role('Billing')!.arn)).toEqual({ prod: null, staging: null });
    expect(bus.deadLetters).toEqual([]);
  });
});
