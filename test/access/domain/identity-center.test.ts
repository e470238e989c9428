// Where an Identity Center role's access comes from (functions/access/domain/identity-center.ts),
// and how its entry is planned and owned (entries.ts, kernel/ownership.ts).
import { describe, expect, it } from 'vitest';
import { permissionSetOf, permissionSetTags, principalAccess, readsInstance, TAG_STYLE } from '#access/domain/identity-center';
import { entryHandsOff, planCluster, type ActualEntry, type GuardContext } from '#access/domain/entries';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { isTagManaged, ownershipTags } from '#kernel/ownership';
import type { Principal } from '#kernel/principal';
import { ACCOUNT, NOW, testConfig } from '#test/helpers/config';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const INSTANCE = { instanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef', region: 'eu-west-1', readRoleArn: `arn:aws:iam::999988887777:role/idc-read` };
const ctx: GuardContext = { protectedPrincipalArns: [], systemRoleArns: [] };
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/';

function role(name: string, path: string, tags: Record<string, string> = {}, id = 'AROAEXAMPLESSO000001'): Principal {
  return { kind: 'role', name, path, id, arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`, tags };
}
const readOnly = (tags: Record<string, string> = {}, id?: string) => role('AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', SSO_PATH, tags, id);

describe('principalAccess', () => {
  const config = testConfig({ identityCenter: INSTANCE });

  it("takes an Identity Center role's access from its permission set's tags, ignoring the role's own", () => {
    const access = principalAccess(readOnly({ 'eks-access': 'edit' }), config, NOW, new Map([['PlatformReadOnly', { 'eks-access': 'view', 'eks-access/prod': 'none' }]]));
    expect(access.permissionSet).toBe('PlatformReadOnly');
    expect(access.style).toEqual({ source: 'identity-center', username: 'sso:{{SessionName}}' });
    expect(access.desired).toMatchObject({ ok: true, byCluster: { prod: null, staging: { level: 'view', policyArn: VIEW }, analytics: { level: 'view' } } });
  });

  it('grants nothing when the permission set has no access tags, or the instance has no set of that name', () => {
    for (const instance of [new Map([['PlatformReadOnly', { team: 'platform' }]]), new Map()]) {
      const access = principalAccess(readOnly({ 'eks-access': 'edit' }), config, NOW, instance);
      expect(access.desired).toEqual({ ok: true, hasTags: false, byCluster: { prod: null, staging: null, analytics: null } });
      expect(access.style.source).toBe('identity-center');
    }
  });

  it('holds permission-set tags to the same contract: the ceiling, allow-listed groups, per-cluster spelling', () => {
    expect(principalAccess(readOnly(), config, NOW, new Map([['PlatformReadOnly', { 'eks-access': 'admin' }]])).desired).toMatchObject({ ok: false, problems: [{ kind: 'ceiling' }] });
    expect(principalAccess(readOnly(), config, NOW, new Map([['PlatformReadOnly', { 'eks-access-groups': 'system:masters' }]])).desired).toMatchObject({ ok: false });
    expect(principalAccess(readOnly(), config, NOW, new Map([['PlatformReadOnly', { 'EKS-Access/prod': 'view' }]])).desired).toMatchObject({ ok: false });
    // Identity Center may keep two spellings of one key; the tag contract compares keys ignoring case.
    expect(principalAccess(readOnly(), config, NOW, new Map([['PlatformReadOnly', { 'eks-access': 'view', 'EKS-ACCESS': 'edit' }]])).desired).toMatchObject({
      ok: false,
      problems: [{ key: 'EKS-ACCESS', message: expect.stringContaining('the same key as "eks-access"') }],
    });
  });

  it('keeps the tag contract for every other principal: own tags, source tag, no username', () => {
    const ordinary = role('team-a', '/', { 'eks-access': 'view' });
    expect(principalAccess(ordinary, config, NOW, new Map([['team-a', { 'eks-access': 'edit' }]]))).toMatchObject({ style: TAG_STYLE, desired: { ok: true, byCluster: { prod: { level: 'view' } } } });
    expect(principalAccess(ordinary, config, NOW).permissionSet).toBeUndefined();
    // The name alone is not enough: only Identity Center creates roles under its path.
    const lookalike = role('AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', '/', { 'eks-access': 'view' });
    expect(principalAccess(lookalike, config, NOW, new Map([['PlatformReadOnly', {}]]))).toMatchObject({ style: TAG_STYLE, desired: { byCluster: { prod: { level: 'view' } } } });
  });

  it('without identityCenter configured, an Identity Center role is an ordinary role (its own tags)', () => {
    const access = principalAccess(readOnly({ 'eks-access': 'view' }), testConfig(), NOW, new Map([['PlatformReadOnly', { 'eks-access': 'edit' }]]));
    expect(access).toMatchObject({ style: TAG_STYLE, desired: { byCluster: { prod: { level: 'view' } } } });
    expect(permissionSetOf(readOnly(), testConfig())).toBeUndefined();
  });

  it('lets the configured username through to the entry style', () => {
    const c = testConfig({ identityCenter: { ...INSTANCE, username: 'idc:{{SessionNameRaw}}' } });
    expect(principalAccess(readOnly(), c, NOW, new Map()).style).toEqual({ source: 'identity-center', username: 'idc:{{SessionNameRaw}}' });
  });
});

describe('permissionSetTags: the configuration and the instance combined', () => {
  const config = testConfig({
    identityCenter: { ...INSTANCE, permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }, { name: 'Off', tags: {} }] },
  });
  const instance = new Map<string, Record<string, string>>([
    ['PlatformReadOnly', { 'eks-access': 'edit', 'eks-access-namespaces': 'team-a' }],
    ['Off', { 'eks-access': 'edit' }],
    ['DataEditors', { 'eks-access': 'edit' }],
  ]);

  it('the configuration wins, whole, when both name a set (no key-by-key merge)', () => {
    expect(permissionSetTags('PlatformReadOnly', config, instance)).toEqual({ 'eks-access': 'view' });
    expect(permissionSetTags('Off', config, instance)).toEqual({});
  });

  it('the instance answers for the sets the configuration does not name; a set neither names has no tags', () => {
    expect(permissionSetTags('DataEditors', config, instance)).toEqual({ 'eks-access': 'edit' });
    expect(permissionSetTags('Unknown', config, instance)).toEqual({});
  });

  it('reads the instance only for sets the configuration does not name, and only when an instance is configured', () => {
    expect(readsInstance('PlatformReadOnly', config)).toBe(false);
    expect(readsInstance('DataEditors', config)).toBe(true);
    expect(readsInstance('DataEditors', testConfig({ identityCenter: { permissionSets: [{ name: 'X', tags: {} }] } }))).toBe(false);
  });
});

describe('entries of Identity Center roles', () => {
  const style = { source: 'identity-center', username: 'sso:{{SessionName}}' };
  const view = { level: 'view', policyArn: VIEW, scope: { type: 'cluster' as const }, groups: [] };
  const owned = (p: Principal, over: Partial<ActualEntry> = {}): ActualEntry => ({
    principalArn: p.arn,
    type: 'STANDARD',
    username: 'sso:{{SessionName}}',
    kubernetesGroups: [],
    tags: ownershipTags(p, 'identity-center'),
    policies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }],
    ...over,
  });

  it('are created with the configured username and source identity-center', () => {
    const p = readOnly();
    const plan = planCluster({ principal: p, desired: view, actual: undefined, ctx, style });
    expect(plan.ops[0]).toEqual({
      op: 'create',
      principalArn: p.arn,
      kubernetesGroups: [],
      username: 'sso:{{SessionName}}',
      tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'identity-center', 'eks-access-pilot/principal-id': p.id },
    });
  });

  it('ordinary grants still set no username', () => {
    const plan = planCluster({ principal: role('team-a', '/'), desired: view, actual: undefined, ctx });
    expect(plan.ops[0]).not.toHaveProperty('username');
  });

  it('are owned by the tag side: changed, and revoked when the permission set grants nothing', () => {
    const p = readOnly();
    expect(isTagManaged(owned(p))).toBe(true);
    expect(entryHandsOff(owned(p), ctx)).toBeUndefined();
    expect(planCluster({ principal: p, desired: { ...view, level: 'edit', policyArn: EDIT }, actual: owned(p), ctx, style })).toMatchObject({ action: 'change' });
    expect(planCluster({ principal: p, desired: null, actual: owned(p), ctx, style })).toMatchObject({ action: 'revoke', ops: [{ op: 'delete', principalArn: p.arn }] });
    expect(planCluster({ principal: p, desired: view, actual: owned(p), ctx, style })).toMatchObject({ action: 'noop', ops: [] });
  });

  it('are replaced when the role was re-provisioned (new unique ID)', () => {
    const old = readOnly({}, 'AROAEXAMPLESSOOLD0001');
    const now = readOnly({}, 'AROAEXAMPLESSONEW0002');
    const plan = planCluster({ principal: now, desired: view, actual: owned(old), ctx, style });
    expect(plan.action).toBe('replace');
    expect(plan.ops.map((o) => o.op)).toEqual(['delete', 'create', 'associate']);
    expect(plan.ops[1]).toMatchObject({ username: 'sso:{{SessionName}}', tags: { 'eks-access-pilot/principal-id': 'AROAEXAMPLESSONEW0002', 'eks-access-pilot/source': 'identity-center' } });
  });

  it('are re-created when the configured username changed, or the entry was written by another source', () => {
    const p = readOnly();
    const renamed = planCluster({ principal: p, desired: view, actual: owned(p), ctx, style: { ...style, username: 'idc:{{SessionName}}' } });
    expect(renamed).toMatchObject({ action: 'replace', reason: expect.stringContaining('username is "sso:{{SessionName}}", configured "idc:{{SessionName}}"') });
    expect(renamed.ops[1]).toMatchObject({ op: 'create', username: 'idc:{{SessionName}}' });
    const fromTag = planCluster({ principal: p, desired: view, actual: owned(p, { tags: ownershipTags(p) }), ctx, style });
    expect(fromTag).toMatchObject({ action: 'replace', reason: expect.stringContaining('granted by source tag, now by identity-center') });
  });

  it("never compare EKS's default username for ordinary entries", () => {
    const p = role('team-a', '/');
    const actual = owned(p, { tags: ownershipTags(p), username: `arn:aws:sts::${ACCOUNT}:assumed-role/team-a/{{SessionName}}` });
    expect(planCluster({ principal: p, desired: view, actual, ctx })).toMatchObject({ action: 'noop' });
  });

  it('leave a migration-owned entry of an Identity Center role alone', () => {
    const p = readOnly();
    const migrated = owned(p, { tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/run-1' } });
    expect(isTagManaged(migrated)).toBe(false);
    expect(planCluster({ principal: p, desired: null, actual: migrated, ctx, style })).toMatchObject({ action: 'noop', ops: [] });
  });
});
