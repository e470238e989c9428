import { describe, expect, it } from 'vitest';
import type { Grant } from '#access/domain/tags';
import type { Principal } from '#kernel/principal';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { entryHandsOff, planCluster, principalHandsOff, type ActualEntry, type GuardContext } from '#access/domain/entries';
import { ownershipTags } from '#kernel/ownership';
import { parsePrincipalArn } from '#kernel/principal';
import { ACCOUNT } from '#test/helpers/config';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const ctx: GuardContext = {
  protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`],
  systemRoleArns: [`arn:aws:iam::${ACCOUNT}:role/ProvisionerRole`],
};

function principal(name = 'team-a', id = 'AROAEXAMPLE1', path = '/'): Principal {
  return { kind: 'role', name, path, id, arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`, tags: {} };
}

const view: Grant = { level: 'view', policyArn: VIEW, scope: { type: 'cluster' }, groups: [] };

function managedEntry(p: Principal, over: Partial<ActualEntry> = {}): ActualEntry {
  return {
    principalArn: p.arn,
    type: 'STANDARD',
    kubernetesGroups: [],
    tags: ownershipTags(p),
    policies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }],
    ...over,
  };
}

describe('planCluster', () => {
  it('grants a missing entry: create with ownership tags, then associate the policy', () => {
    const p = principal();
    const plan = planCluster({ principal: p, desired: view, actual: undefined, ctx });
    expect(plan.action).toBe('grant');
    expect(plan.ops).toEqual([
      { op: 'create', principalArn: p.arn, kubernetesGroups: [], tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': p.id } },
      { op: 'associate', principalArn: p.arn, policyArn: VIEW, scope: { type: 'cluster' } },
    ]);
  });

  it('plans zero operations when the entry already matches (converge, do not replay)', () => {
    const p = principal();
    const plan = planCluster({ principal: p, desired: view, actual: managedEntry(p), ctx });
    expect(plan).toMatchObject({ action: 'noop', ops: [] });
  });

  it('changes the level by associating the new policy before disassociating the old one', () => {
    const p = principal();
    const edit: Grant = { ...view, level: 'edit', policyArn: EDIT };
    const plan = planCluster({ principal: p, desired: edit, actual: managedEntry(p), ctx });
    expect(plan.action).toBe('change');
    expect(plan.ops.map((o) => o.op)).toEqual(['associate', 'disassociate']);
  });

  it('re-associates the same policy when only the namespace scope changes', () => {
    const p = principal();
    const ns: Grant = { ...view, scope: { type: 'namespace', namespaces: ['team-a'] } };
    const plan = planCluster({ principal: p, desired: ns, actual: managedEntry(p), ctx });
    expect(plan.ops).toEqual([{ op: 'associate', principalArn: p.arn, policyArn: VIEW, scope: ns.scope }]);
  });

  describe('changed groups: delete and re-create, never update (IAM bounds groups only on CreateAccessEntry)', () => {
    it('re-creates the entry with the new groups and the ownership tags, then re-associates the wanted policy', () => {
      const p = principal();
      const plan = planCluster({ principal: p, desired: { ...view, groups: ['pod-readers'] }, actual: managedEntry(p), ctx });
      expect(plan.action).toBe('replace');
      expect(plan.reason).toMatch(/^groups changed: entry re-created \(access is briefly absent\)/);
      expect(plan.ops).toEqual([
        { op: 'delete', principalArn: p.arn },
        { op: 'create', principalArn: p.arn, kubernetesGroups: ['pod-readers'], tags: ownershipTags(p) },
        { op: 'associate', principalArn: p.arn, policyArn: VIEW, scope: { type: 'cluster' } },
      ]);
    });

    it('removes groups the same way (a group that left the allow-list, or every group)', () => {
      const p = principal();
      const plan = planCluster({ principal: p, desired: view, actual: managedEntry(p, { kubernetesGroups: ['pod-readers', 'retired'] }), ctx });
      expect(plan.ops.map((o) => o.op)).toEqual(['delete', 'create', 'associate']);
      expect(plan.ops[1]).toMatchObject({ op: 'create', kubernetesGroups: [] });
    });

    it('re-creates a groups-only entry without associating anything, and takes the new level along', () => {
      const p = principal();
      const groupsOnly: Grant = { scope: { type: 'cluster' }, groups: ['log-readers'] };
      expect(planCluster({ principal: p, desired: groupsOnly, actual: managedEntry(p, { policies: [] }), ctx }).ops).toEqual([
        { op: 'delete', principalArn: p.arn },
        { op: 'create', principalArn: p.arn, kubernetesGroups: ['log-readers'], tags: ownershipTags(p) },
      ]);
      const edit: Grant = { level: 'edit', policyArn: EDIT, scope: { type: 'namespace', namespaces: ['team-a'] }, groups: ['log-readers'] };
      expect(planCluster({ principal: p, desired: edit, actual: managedEntry(p), ctx }).ops).toEqual([
        { op: 'delete', principalArn: p.arn },
        { op: 'create', principalArn: p.arn, kubernetesGroups: ['log-readers'], tags: ownershipTags(p) },
        { op: 'associate', principalArn: p.arn, policyArn: EDIT, scope: edit.scope },
      ]);
    });

    it('compares groups as a set: the same groups in another order change nothing', () => {
      const p = principal();
      const desired: Grant = { ...view, groups: ['pod-readers', 'log-readers'] };
      expect(planCluster({ principal: p, desired, actual: managedEntry(p, { kubernetesGroups: ['log-readers', 'pod-readers'] }), ctx })).toMatchObject({ action: 'noop', ops: [] });
    });

    it("never re-creates an entry it does not own (a migration's, another tool's)", () => {
      const p = principal();
      const migrated = managedEntry(p, { kubernetesGroups: ['legacy'], tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/x' } });
      expect(planCluster({ principal: p, desired: { ...view, groups: ['pod-readers'] }, actual: migrated, ctx })).toMatchObject({ action: 'skip', ops: [] });
    });
  });

  it('revokes a managed entry when access is no longer wanted or the principal is gone', () => {
    const p = principal();
    expect(planCluster({ principal: p, desired: null, actual: managedEntry(p), ctx }).ops).toEqual([{ op: 'delete', principalArn: p.arn }]);
    expect(planCluster({ principal: null, desired: view, actual: managedEntry(p), ctx })).toMatchObject({ action: 'revoke', reason: 'principal no longer exists' });
  });

  it('replaces the entry of a recreated principal (same ARN, new unique ID)', () => {
    const old = principal('team-a', 'AROAOLD');
    const recreated = principal('team-a', 'AROANEW');
    const plan = planCluster({ principal: recreated, desired: view, actual: managedEntry(old), ctx });
    expect(plan.action).toBe('replace');
    expect(plan.ops.map((o) => o.op)).toEqual(['delete', 'create', 'associate']);
  });

  describe('ownership (invariant 1)', () => {
    it('never updates or deletes an entry without the managed-by tag', () => {
      const p = principal();
      const foreign = managedEntry(p, { tags: { team: 'a' } });
      expect(planCluster({ principal: p, desired: { ...view, level: 'edit', policyArn: EDIT }, actual: foreign, ctx })).toMatchObject({ action: 'skip', ops: [] });
      expect(planCluster({ principal: p, desired: null, actual: foreign, ctx }).ops).toEqual([]);
      expect(planCluster({ principal: null, desired: null, actual: foreign, ctx }).ops).toEqual([]);
    });

    it("never revokes or changes a migration's entry (source migration/<execution>), tagged or not", () => {
      const p = principal();
      const migrated = managedEntry(p, { tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/prod-to-api' } });
      expect(entryHandsOff(migrated, ctx)).toBe('entry created by migration/prod-to-api, not by access tags');
      expect(planCluster({ principal: p, desired: null, actual: migrated, ctx }).ops).toEqual([]);
      expect(planCluster({ principal: null, desired: null, actual: migrated, ctx }).ops).toEqual([]);
      expect(planCluster({ principal: p, desired: { ...view, level: 'edit', policyArn: EDIT }, actual: migrated, ctx })).toMatchObject({ action: 'skip', ops: [] });
    });

    it('does not accept a managed-by tag with another value as ownership', () => {
      const p = principal();
      const other = managedEntry(p, { tags: { 'managed-by': 'terraform' } });
      expect(planCluster({ principal: p, desired: null, actual: other, ctx }).ops).toEqual([]);
    });
  });

  describe('hands off (invariant 3)', () => {
    it.each([
      ['a protected break-glass role', principal('BreakGlassAdmin')],
      ['a protected role written with another case', principal('breakglassadmin')],
      ['the system’s own role', principal('ProvisionerRole', 'AROASYS', '/eks-access-pilot/')],
      ['a service-linked role', principal('AWSServiceRoleForAmazonEKS', 'AROASLR', '/aws-service-role/eks.amazonaws.com/')],
    ])('never grants to or revokes from %s', (_label, p) => {
      expect(planCluster({ principal: p, desired: view, actual: undefined, ctx }).ops).toEqual([]);
      expect(planCluster({ principal: p, desired: null, actual: managedEntry(p), ctx }).ops).toEqual([]);
      expect(planCluster({ principal: null, desired: null, actual: managedEntry(p), ctx }).ops).toEqual([]);
    });

    it.each(['EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX', 'EC2', 'HYBRID_LINUX'])('never touches a %s entry, even one carrying our tag', (type) => {
      const p = principal('node-role');
      const node = managedEntry(p, { type, policies: [] });
      expect(entryHandsOff(node, ctx)).toBe(`${type} entry`);
      expect(planCluster({ principal: p, desired: null, actual: node, ctx }).ops).toEqual([]);
      expect(planCluster({ principal: p, desired: view, actual: node, ctx }).ops).toEqual([]);
    });
  });

  it('only ever emits operations for the principal it plans', () => {
    const p = principal();
    const plan = planCluster({ principal: p, desired: view, actual: undefined, ctx });
    expect(new Set(plan.ops.map((o) => o.principalArn))).toEqual(new Set([p.arn]));
  });
});

describe('parsePrincipalArn and principalHandsOff', () => {
  it('parses roles and users with and without paths', () => {
    expect(parsePrincipalArn(`arn:aws:iam::${ACCOUNT}:role/teams/platform/deployer`)).toEqual({ account: ACCOUNT, kind: 'role', path: '/teams/platform/', name: 'deployer' });
    expect(parsePrincipalArn(`arn:aws:iam::${ACCOUNT}:user/alice`)).toEqual({ account: ACCOUNT, kind: 'user', path: '/', name: 'alice' });
    expect(parsePrincipalArn(`arn:aws:sts::${ACCOUNT}:assumed-role/x/y`)).toBeUndefined();
  });

  it('matches a protected principal whatever path its ARN is written with', () => {
    expect(principalHandsOff(`arn:aws:iam::${ACCOUNT}:role/ops/BreakGlassAdmin`, ctx)).toBe('protected principal');
    expect(principalHandsOff(`arn:aws:iam::${ACCOUNT}:role/team-a`, ctx)).toBeUndefined();
  });
});
