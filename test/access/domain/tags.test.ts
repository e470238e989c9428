import { describe, expect, it } from 'vitest';
import { clusterKeySpellingProblem, desiredAccess, isOwnTagKey, levelSpacingProblem, offlineTagProblems, splitList } from '#access/domain/tags';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { NOW, testConfig } from '#test/helpers/config';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const config = testConfig();

function grants(tags: Record<string, string>) {
  const r = desiredAccess(tags, config, NOW);
  if (!r.ok) throw new Error(`expected valid tags, got ${JSON.stringify(r.problems)}`);
  return r.byCluster;
}

function problems(tags: Record<string, string>, cfg = config) {
  const r = desiredAccess(tags, cfg, NOW);
  if (r.ok) throw new Error('expected the tags to be rejected');
  return r.problems;
}

describe('desiredAccess (tag contract v1)', () => {
  it('grants the level of eks-access on every managed cluster, cluster-scoped', () => {
    const by = grants({ 'eks-access': 'view' });
    for (const c of ['prod', 'staging', 'analytics']) {
      expect(by[c]).toEqual({ level: 'view', policyArn: VIEW, scope: { type: 'cluster' }, groups: [] });
    }
  });

  it('grants nothing when no access tag is present', () => {
    const r = desiredAccess({ team: 'a', 'cost-center': '42' }, config, NOW);
    expect(r).toEqual({ ok: true, hasTags: false, byCluster: { prod: null, staging: null, analytics: null } });
  });

  it('matches tag keys case-insensitively but level values case-sensitively', () => {
    expect(grants({ 'EKS-Access': 'edit' }).prod?.policyArn).toBe(EDIT);
    expect(problems({ 'eks-access': 'View' })[0]).toMatchObject({ key: 'eks-access', kind: 'invalid' });
  });

  it('lets a per-cluster override replace the level, including none', () => {
    const by = grants({ 'eks-access': 'view', 'eks-access/prod': 'none', 'eks-access/staging': 'edit' });
    expect(by.prod).toBeNull();
    expect(by.staging?.policyArn).toBe(EDIT);
    expect(by.analytics?.policyArn).toBe(VIEW);
  });

  // The SCP protects `<prefix>/<cluster>` with StringLike, which is case-sensitive, and IAM has
  // no case-insensitive wildcard operator (IAM User Guide, condition operators): only the
  // prefix's own spelling is protected, so only it is honoured (issue 10, item 1).
  it('refuses a per-cluster key not spelled exactly like the prefix: the whole principal, saying why', () => {
    for (const key of ['eKs-AcCeSs/prod', 'EKS-ACCESS/prod', 'Eks-Access/prod']) {
      const found = problems({ 'eks-access': 'view', [key]: 'view' });
      expect(found).toEqual([expect.objectContaining({ key, value: 'view', kind: 'invalid' })]);
      expect(found[0]!.message).toMatch(/not spelled "eks-access\/<cluster>".*SCP.*write "eks-access\/prod"/);
    }
  });

  it('refuses the odd spelling even for a cluster this deployment does not manage (the key is wrong, not the cluster)', () => {
    expect(problems({ 'EKS-Access/other': 'edit' })[0]).toMatchObject({ key: 'EKS-Access/other', kind: 'invalid' });
  });

  it('keeps the fixed keys case-insensitive (the SCP covers them with StringEqualsIgnoreCase) and the cluster part too', () => {
    const by = grants({ 'EKS-Access-Namespaces': 'team-a', 'EKS-ACCESS': 'view', 'eks-access/PROD': 'edit' });
    expect(by.prod).toMatchObject({ level: 'edit', scope: { type: 'namespace', namespaces: ['team-a'] } });
    expect(by.staging?.level).toBe('view');
  });

  it('judges the spelling against the configured prefix, offline too', () => {
    expect(problems({ 'K8S/prod': 'view' }, testConfig({ tagPrefix: 'k8s' }))[0]?.key).toBe('K8S/prod');
    expect(clusterKeySpellingProblem('eks-access/prod', 'view', 'eks-access')).toBeUndefined();
    expect(clusterKeySpellingProblem('EKS-ACCESS', 'view', 'eks-access')).toBeUndefined();
    expect(offlineTagProblems('EKS-Access/prod', 'edit ', 'eks-access').map((p) => p.message)).toEqual([
      expect.stringMatching(/not spelled/),
      expect.stringMatching(/leading or trailing spaces/),
    ]);
  });

  it('grants only the overridden cluster when there is no base level', () => {
    const by = grants({ 'eks-access/analytics': 'view' });
    expect(by.analytics?.level).toBe('view');
    expect(by.prod).toBeNull();
  });

  it('ignores overrides naming clusters this deployment does not manage', () => {
    expect(grants({ 'eks-access/other': 'edit' }).prod).toBeNull();
  });

  it('scopes to namespaces separated by spaces or colons', () => {
    const by = grants({ 'eks-access': 'edit', 'eks-access-namespaces': 'team-b  team-a:team-c' });
    expect(by.prod?.scope).toEqual({ type: 'namespace', namespaces: ['team-a', 'team-b', 'team-c'] });
  });

  it('adds allow-listed groups, and creates a groups-only entry when no level is set', () => {
    expect(grants({ 'eks-access': 'view', 'eks-access-groups': 'pod-readers log-readers' }).prod?.groups).toEqual(['log-readers', 'pod-readers']);
    expect(grants({ 'eks-access-groups': 'pod-readers' }).prod).toEqual({ scope: { type: 'cluster' }, groups: ['pod-readers'] });
  });

  it('rejects a level above the ceiling as a ceiling problem, and the whole principal with it', () => {
    const p = problems({ 'eks-access': 'view', 'eks-access/prod': 'cluster-admin' });
    expect(p).toEqual([expect.objectContaining({ key: 'eks-access/prod', value: 'cluster-admin', kind: 'ceiling' })]);
  });

  it('accepts a level up to the ceiling when the ceiling is raised', () => {
    const by = desiredAccess({ 'eks-access': 'admin' }, testConfig({ ceiling: 'admin' }), NOW);
    expect(by.ok && by.byCluster.prod?.policyArn).toBe(`${POLICY_ARN_PREFIX}AmazonEKSAdminPolicy`);
  });

  it.each([
    [{ 'eks-access': 'superuser' }, 'unknown level'],
    [{ 'eks-access': 'view', 'eks-access-namespaces': 'Team_A' }, 'not a Kubernetes namespace name: Team_A'],
    [{ 'eks-access': 'view', 'eks-access-namespaces': '   ' }, 'no namespace given'],
    [{ 'eks-access': 'view', 'eks-access-groups': 'cluster-admins' }, 'not on the allow-list: cluster-admins'],
    [{ 'eks-access': 'view', 'eks-access-groups': 'system:masters' }, 'system: groups cannot be granted'],
  ])('rejects %j with a message naming the problem', (tags, message) => {
    expect(problems(tags)[0]?.message).toContain(message);
  });

  it('refuses a level with leading or trailing spaces instead of trimming it: the whole principal, saying why', () => {
    // Values are compared exactly, as IAM conditions on tag values compare them: "edit   " is not "edit".
    const padded: Array<Record<string, string>> = [{ 'eks-access': 'edit   ' }, { 'eks-access': ' view' }, { 'eks-access': 'view', 'eks-access/prod': 'none ' }];
    for (const tags of padded) {
      const [p, ...rest] = problems(tags);
      expect(rest).toEqual([]);
      expect(p).toMatchObject({ kind: 'invalid', value: Object.values(tags).at(-1) });
      expect(p!.message).toMatch(/has leading or trailing spaces; values are compared exactly, so it is refused, not trimmed \(write "(edit|view|none)"\)/);
    }
  });

  it('still accepts spaces around list values, where spaces are the separator', () => {
    const by = grants({ 'eks-access': 'view', 'eks-access-namespaces': ' team-a ', 'eks-access-groups': 'pod-readers ' });
    expect(by.prod).toMatchObject({ scope: { type: 'namespace', namespaces: ['team-a'] }, groups: ['pod-readers'] });
    expect(levelSpacingProblem('eks-access-groups', ' pod-readers', 'eks-access')).toBeUndefined();
    expect(levelSpacingProblem('EKS-Access/prod', 'edit ', 'eks-access')?.key).toBe('EKS-Access/prod');
  });

  it('uses the configured tag prefix', () => {
    const cfg = testConfig({ tagPrefix: 'k8s' });
    const r = desiredAccess({ k8s: 'view', 'eks-access': 'edit' }, cfg, NOW);
    expect(r.ok && r.byCluster.prod?.level).toBe('view');
  });
});

describe('splitList and isOwnTagKey', () => {
  it('splits on whitespace and colons and drops empties', () => {
    expect(splitList(' a  b:c ')).toEqual(['a', 'b', 'c']);
  });

  it('recognises only the contract keys', () => {
    expect(['eks-access', 'EKS-ACCESS/prod', 'eks-access-namespaces', 'eks-access-groups'].every((k) => isOwnTagKey(k, 'eks-access'))).toBe(true);
    expect(['eks-accessx', 'eks-access-other', 'team'].some((k) => isOwnTagKey(k, 'eks-access'))).toBe(false);
  });
});
