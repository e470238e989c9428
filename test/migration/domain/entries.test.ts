import { describe, expect, it } from 'vitest';
import type { ConversionPlan } from '#migration/domain/conversion';
import { annotatePlan, breakGlassBlocker, entryDifferences, listWithin, ownershipConflict, verifyEntries } from '#migration/domain/entries';
import { createdByExecution, migrationTags } from '#kernel/ownership';
import type { EntrySnapshot } from '#workflows/contract';

const ADMIN = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
const actual = (over: Partial<EntrySnapshot> = {}): EntrySnapshot => ({
  principalArn: 'arn:aws:iam::1:role/a',
  type: 'STANDARD',
  username: 'a:{{SessionName}}',
  kubernetesGroups: ['x', 'y'],
  tags: {},
  policies: [],
  ...over,
});

describe('migrationTags / createdByExecution', () => {
  it('recognises only entries created by this very execution', () => {
    expect(createdByExecution({ tags: migrationTags('e1') }, 'e1')).toBe(true);
    expect(createdByExecution({ tags: migrationTags('e2') }, 'e1')).toBe(false);
    expect(createdByExecution({ tags: { 'eks-access-pilot/source': 'migration/e1' } }, 'e1')).toBe(false);
  });
});

describe('entryDifferences', () => {
  it('finds none when type, username, groups (as a set) and policies match', () => {
    expect(entryDifferences({ type: 'STANDARD', username: 'a:{{SessionName}}', kubernetesGroups: ['y', 'x'] }, actual())).toEqual([]);
  });

  it('names every difference, including a policy associated but not planned', () => {
    const diffs = entryDifferences(
      { type: 'STANDARD', username: 'b', kubernetesGroups: ['x'], accessPolicies: [{ policyArn: ADMIN, accessScope: { type: 'cluster' } }] },
      actual({ policies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', accessScope: { type: 'cluster' } }] }),
    );

    expect(diffs).toEqual([
      'username is "a:{{SessionName}}", planned "b"',
      'groups are [x, y], planned [x]',
      `policy ${ADMIN} is not associated`,
      'policy arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy is associated but not planned',
    ]);
  });

  it('compares namespace scopes, and node entries by type only', () => {
    const ns = { policyArn: ADMIN, accessScope: { type: 'namespace' as const, namespaces: ['a'] } };
    expect(entryDifferences({ type: 'STANDARD', accessPolicies: [ns] }, actual({ kubernetesGroups: [], policies: [{ ...ns, accessScope: { type: 'namespace', namespaces: ['b'] } }] }))).toEqual([
      `policy ${ADMIN} has scope namespace b, planned namespace a`,
    ]);
    expect(entryDifferences({ type: 'EC2_LINUX' }, actual({ type: 'EC2_LINUX', kubernetesGroups: ['system:nodes'] }))).toEqual([]);
    expect(entryDifferences({ type: 'EC2_WINDOWS' }, actual({ type: 'EC2_LINUX' }))).toEqual(['type is EC2_LINUX, planned EC2_WINDOWS']);
  });
});

describe('annotatePlan / verifyEntries', () => {
  const plan: ConversionPlan = {
    valid: true,
    errors: [],
    blockers: ['mapAccounts[0] (…): …'],
    rows: [
      { source: 'mapRoles[0]', principalArn: 'arn:aws:iam::1:role/a', action: 'create', entry: { type: 'STANDARD', kubernetesGroups: ['x', 'y'] }, notes: [] },
      { source: 'mapRoles[1]', principalArn: 'arn:aws:iam::1:role/f', action: 'eks-managed', entry: { type: 'FARGATE_LINUX' }, notes: [] },
      { source: 'mapRoles[2]', principalArn: 'arn:aws:iam::1:role/c', action: 'create', entry: { type: 'STANDARD', kubernetesGroups: ['z'] }, notes: [] },
      { source: 'mapAccounts[0]', principalArn: 'arn:aws:iam::2:root', action: 'flag', entry: { type: 'STANDARD' }, notes: [] },
    ],
  };

  it('marks rows whose entry exists as equal or different and counts what will happen', () => {
    const { rows, summary } = annotatePlan(plan, [actual(), actual({ principalArn: 'arn:aws:iam::1:role/c', kubernetesGroups: ['q'] })]);

    expect(rows.map((r) => r.existing)).toEqual(['equal', 'none', 'different', 'none']);
    expect(summary).toEqual({ valid: true, rows: 4, create: 0, eksManaged: 1, flagged: 1, alreadyPresent: 1, conflicts: 1, blockers: 1 });
  });

  it('marks an entry owned by access tags as a conflict even when it equals the plan; hand-made equal entries stay equal', () => {
    // arrange: the tag provisioner made an entry equal to the plan for role a (eks-access-groups=x,y)
    const tagOwned = actual({ tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': 'AROA1' } });
    const otherMigration = actual({ principalArn: 'arn:aws:iam::1:role/c', kubernetesGroups: ['z'], tags: migrationTags('earlier') });

    // act
    const { rows, summary } = annotatePlan(plan, [tagOwned, otherMigration]);

    // assert
    expect(entryDifferences(plan.rows[0]!.entry, tagOwned)).toEqual([]);
    expect(rows.map((r) => r.existing)).toEqual(['owned-by-tags', 'none', 'equal', 'none']);
    expect(rows[0]!.differences).toEqual([expect.stringContaining('owned by access tags')]);
    expect(rows[0]!.differences![0]).toContain('remove the tags or delete the entry, then re-run');
    expect(summary).toMatchObject({ create: 0, alreadyPresent: 1, conflicts: 1 });
    expect(annotatePlan(plan, [actual()]).rows[0]!.existing).toBe('equal');
  });

  it('only the tag provisioner\'s own tags make an entry owned by access tags', () => {
    const of = (tags: Record<string, string>) => ownershipConflict({ principalArn: 'arn:aws:iam::1:role/a', tags });
    expect(of({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag' })).toMatch(/owned by access tags/);
    expect(of({ 'eks-access-pilot/source': 'tag' })).toBeUndefined();
    expect(of({ 'managed-by': 'someone-else', 'eks-access-pilot/source': 'tag' })).toBeUndefined();
    expect(of(migrationTags('e1'))).toBeUndefined();
    expect(of({})).toBeUndefined();
  });

  it("takes an Identity Center permission set's entry for the row when it grants exactly the row (the two never fight), else names the permission set", () => {
    // arrange: an aws-auth row for an Identity Center role, and the entry its permission set's tags made
    const sso = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Data_Readers_0a1b2c3d4e5f6789';
    const row = { source: 'mapRoles[0]', principalArn: sso, action: 'create' as const, entry: { type: 'STANDARD' as const, username: 'sso:{{SessionName}}', kubernetesGroups: ['x'] }, notes: [] };
    const ssoPlan: ConversionPlan = { valid: true, errors: [], blockers: [], rows: [row] };
    const owned = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'identity-center', 'eks-access-pilot/principal-id': 'AROA2' };
    const same = actual({ principalArn: sso, username: 'sso:{{SessionName}}', kubernetesGroups: ['x'], tags: owned });
    const other = actual({ principalArn: sso, username: 'sso:{{SessionName}}', kubernetesGroups: ['y'], tags: owned });

    // act
    const equal = annotatePlan(ssoPlan, [same]);
    const differs = annotatePlan(ssoPlan, [other]);

    // assert
    expect(equal.rows[0]!.existing).toBe('equal');
    expect(equal.summary).toMatchObject({ create: 0, alreadyPresent: 1, conflicts: 0 });
    expect(differs.rows[0]!.existing).toBe('owned-by-tags');
    expect(differs.rows[0]!.differences![0]).toMatch(/granted by the tags of Identity Center permission set Data_Readers .*align the permission set's access tags/);
    expect(differs.rows[0]!.differences).toContain('groups are [y], planned [x]');
    // Without any entry yet, the row is created, with a warning that the entry would not survive re-provisioning.
    const none = annotatePlan(ssoPlan, []);
    expect(none.rows[0]!.existing).toBe('none');
    expect(none.rows[0]!.warnings).toEqual([expect.stringMatching(/permission set Data_Readers.*stops working when Identity Center re-provisions/)]);
    expect(annotatePlan(plan, []).rows.every((r) => r.warnings === undefined)).toBe(true);
    // A tag-owned entry equal to the row is still a conflict: only a permission set stands for the row.
    expect(annotatePlan(ssoPlan, [{ ...same, tags: { ...owned, 'eks-access-pilot/source': 'tag' } }]).rows[0]!.existing).toBe('owned-by-tags');
  });

  it('verifies created and EKS-managed rows, naming what is missing or different', () => {
    const { rows } = annotatePlan(plan, []);
    const now = new Map([[actual().principalArn, actual()]]);

    const v = verifyEntries(rows, now);

    expect(v.verified).toBe(1);
    expect(v.problems).toEqual([
      'mapRoles[1] (arn:aws:iam::1:role/f): no access entry; EKS was expected to create it (is the Fargate profile still there?)',
      'mapRoles[2] (arn:aws:iam::1:role/c): no access entry; it was not created',
    ]);
  });
});

describe('listWithin', () => {
  it('keeps a message under its limit and says how many were left out', () => {
    expect(listWithin(['aaaa', 'bbbb', 'cccc'], 9)).toBe('aaaa; … and 2 more');
  });
});

describe('breakGlassBlocker', () => {
  const CALLER = 'arn:aws:sts::111122223333:assumed-role/eks-access-pilot-MigrationRole/eks-access-pilot-verify';
  const admin = (principalArn: string, over: Partial<EntrySnapshot> = {}) =>
    actual({ principalArn, kubernetesGroups: [], policies: [{ policyArn: ADMIN, accessScope: { type: 'cluster' } }], ...over });
  const cases: Array<[string, EntrySnapshot[], boolean]> = [
    ['no entries at all', [], true],
    ['the creator entry EKS made (cluster admin)', [admin('arn:aws:iam::111122223333:role/ClusterCreator')], false],
    ['a converted system:masters row of a user', [admin('arn:aws:iam::111122223333:user/alice')], false],
    ['an admin entry in another partition', [admin('arn:aws-cn:iam::111122223333:role/ops')], false],
    ['only the workflow role, with a path, is admin', [admin('arn:aws:iam::111122223333:role/eks-access-pilot/eks-access-pilot-MigrationRole')], true],
    ['the workflow role name in lower case is still the workflow', [admin('arn:aws:iam::111122223333:role/eks-access-pilot-migrationrole')], true],
    ['a role of the same name in another account is someone else', [admin('arn:aws:iam::444455556666:role/eks-access-pilot-MigrationRole')], false],
    ['admin policy at namespace scope only', [admin('arn:aws:iam::111122223333:role/ops', { policies: [{ policyArn: ADMIN, accessScope: { type: 'namespace', namespaces: ['a'] } }] })], true],
    ['another policy at cluster scope', [admin('arn:aws:iam::111122223333:role/ops', { policies: [{ policyArn: ADMIN.replace('ClusterAdmin', 'Admin'), accessScope: { type: 'cluster' } }] })], true],
    ['system:masters as a group of an entry (EKS refuses it; not an access policy)', [actual({ kubernetesGroups: ['system:masters'] })], true],
    ['a node entry with the admin policy listed', [admin('arn:aws:iam::111122223333:role/nodes', { type: 'EC2_LINUX' })], true],
  ];
  it.each(cases)('%s → blocker: %s', (_name, entries, blocked) => {
    const out = breakGlassBlocker(entries, CALLER);
    if (blocked) {
      expect(out).toContain('no principal other than the workflow would keep cluster admin');
      expect(out).toContain('system:masters');
      expect(out).toContain('AmazonEKSClusterAdminPolicy at cluster scope');
    } else {
      expect(out).toBeUndefined();
    }
  });

  it('compares an IAM user caller by ARN', () => {
    expect(breakGlassBlocker([admin('arn:aws:iam::111122223333:user/ops')], 'arn:aws:iam::111122223333:user/ops')).toBeDefined();
  });
});
