// aws-auth rows as they are found in real clusters (issue 10, item 7): each rule with the source
// it follows is in functions/migration/domain/conversion-rows.ts, conversion-sso.ts and aws-auth.ts.
import { describe, expect, it } from 'vitest';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { planConversion, type PlanOptions, type SsoRoleListing } from '#migration/domain/conversion';
import { cm } from './config-map.ts';

const A = '111122223333';
const ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';
const ADMIN = [{ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }];
const plan = (text: string, options?: PlanOptions) => planConversion(parseAwsAuth(text), options);
const blockerSources = (p: { blockers: string[] }) => p.blockers.map((b) => b.split(' ')[0]);

describe('an unknown data key', () => {
  it('is a warning, not an error: the other keys are still planned and nothing in it is converted', () => {
    // arrange: a mapGroups someone added from a tutorial
    const text = cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/team-a\n  username: team-a\n  groups:\n    - viewers`,
      mapGroups: '- group: developers\n  users:\n    - alice',
    });

    // act
    const p = plan(text);

    // assert
    expect(p.valid).toBe(true);
    expect(p.errors).toEqual([]);
    expect(p.rows.map((r) => [r.source, r.action])).toEqual([['mapRoles[0]', 'create']]);
    expect(p.warnings).toEqual([{ where: 'data.mapGroups (line 8)', message: expect.stringMatching(/not read by the authenticator .* grants nothing today/) }]);
    expect(p.blockers).toEqual([]);
  });

  it('says, for a near-miss spelling, that the people it lists have no access today', () => {
    // act
    const p = plan(cm({ maproles: `- rolearn: arn:aws:iam::${A}:role/a`, mapUser: `- userarn: arn:aws:iam::${A}:user/b` }));

    // assert
    expect(p.valid).toBe(true);
    expect(p.rows).toEqual([]);
    expect(p.warnings!.map((w) => w.where)).toEqual(['data.maproles (line 3)', 'data.mapUser (line 5)']);
    expect(p.warnings![0]!.message).toMatch(/"maproles" is not mapRoles: .*whoever it lists has no access today.*move the entries under mapRoles/);
    expect(p.warnings![1]!.message).toMatch(/"mapUser" is not mapUsers/);
  });

  it('is reported with the errors of a document that is malformed for another reason', () => {
    // act
    const p = plan(cm({ mapRoles: '- username: orphan', maproles: `- rolearn: arn:aws:iam::${A}:role/a` }));

    // assert
    expect(p.valid).toBe(false);
    expect(p.errors.map((e) => e.where)).toEqual(['mapRoles[0] (line 4)']);
    expect(p.warnings!.map((w) => w.where)).toEqual(['data.maproles (line 5)']);
  });
});

describe('a Fargate pod execution role', () => {
  it('is recognised by system:node-proxier with a static username and without system:bootstrappers: the FARGATE_LINUX entry EKS creates, with a warning', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/fargate-pods\n  username: fargate-node\n  groups:\n    - system:nodes\n    - system:node-proxier` }));

    // assert
    expect(p.rows).toEqual([
      expect.objectContaining({ source: 'mapRoles[0]', action: 'eks-managed', entry: { type: 'FARGATE_LINUX' }, warnings: [expect.stringMatching(/username "fargate-node" is not kept: .*system:node:\{\{SessionName\}\}/)] }),
    ]);
    expect(p.warnings).toEqual([{ where: 'mapRoles[0] (line 4)', message: p.rows[0]!.warnings![0] }]);
    expect(p.blockers).toEqual([]);
  });

  it('with EKS\'s own username and only system:node-proxier needs no warning', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/fargate-pods\n  username: system:node:{{SessionName}}\n  groups:\n    - system:node-proxier` }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'eks-managed', entry: { type: 'FARGATE_LINUX' } });
    expect(p.rows[0]!.warnings).toBeUndefined();
    expect(p.warnings).toEqual([]);
  });

  it('still flags groups a FARGATE_LINUX entry cannot carry', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/fargate-pods\n  username: fargate\n  groups:\n    - system:node-proxier\n    - pod-readers` }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'flag', entry: { type: 'FARGATE_LINUX' } });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/pod-readers would be lost/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });
});

describe('one node role mapped for Linux nodes and again for Windows nodes', () => {
  const linux = `- rolearn: arn:aws:iam::${A}:role/shared-nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes`;
  const windows = `${linux}\n    - eks:kube-proxy-windows`;

  it('blocks on the row the authenticator uses, naming what EKS documents; the overridden row grants nothing today', () => {
    // act
    const p = plan(cm({ mapRoles: `${linux}\n${windows}` }));

    // assert
    expect(p.rows.map((r) => [r.source, r.action, r.entry.type])).toEqual([
      ['mapRoles[0]', 'flag', 'EC2_LINUX'],
      ['mapRoles[1]', 'flag', 'EC2_WINDOWS'],
    ]);
    expect(p.rows[0]!.notes.join('\n')).toMatch(/overridden by mapRoles\[1\], the same node role mapped for Windows nodes: .*grants nothing today/);
    const effective = p.rows[1]!.notes.join('\n');
    expect(effective).toMatch(/one node role for Linux \(mapRoles\[0\]\) and Windows \(mapRoles\[1\]\) nodes: an IAM principal can have only one access entry/);
    expect(effective).toMatch(/separate node role for Windows nodes \(windows-support\.adoc\)/);
    expect(effective).toMatch(/Linux and Windows nodes both join with eks:kube-proxy-windows/);
    expect(blockerSources(p)).toEqual(['mapRoles[1]']);
  });

  it('says Windows nodes lack eks:kube-proxy-windows today when the Linux row comes last', () => {
    // act
    const p = plan(cm({ mapRoles: `${windows}\n${linux}` }));

    // assert
    expect(p.rows[1]!.notes.join('\n')).toMatch(/Windows nodes join without eks:kube-proxy-windows/);
    expect(blockerSources(p)).toEqual(['mapRoles[1]']);
  });

  it('leaves two Linux rows for one role to the usual duplicate rule (no blocker)', () => {
    // act
    const p = plan(cm({ mapRoles: `${linux}\n${linux}` }));

    // assert
    expect(p.rows.map((r) => r.action)).toEqual(['flag', 'create']);
    expect(p.blockers).toEqual([]);
  });
});

describe('a username EKS rejects', () => {
  it('on a system:masters row: converted with EKS\'s default username and a warning (cluster admin does not depend on it)', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/bastion\n  username: system:bastion:{{SessionName}}\n  groups:\n    - system:masters\n    - ops` }));

    // assert
    expect(p.rows).toEqual([
      expect.objectContaining({
        action: 'create',
        entry: { type: 'STANDARD', kubernetesGroups: ['ops'], accessPolicies: ADMIN },
        warnings: [expect.stringMatching(/username "system:bastion:\{\{SessionName\}\}" is not kept \(EKS rejects .*"system:"\): the entry gets EKS's default username.*does not depend on the username/)],
      }),
    ]);
    expect(p.warnings!.map((w) => w.where)).toEqual(['mapRoles[0] (line 4)']);
    expect(p.blockers).toEqual([]);
  });

  it('on a system:masters row with {{SessionName}} and no colon before it: the same', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/admins\n  username: "{{SessionName}}"\n  groups:\n    - system:masters` }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'create', entry: { type: 'STANDARD', accessPolicies: ADMIN } });
    expect(p.rows[0]!.entry.username).toBeUndefined();
    expect(p.blockers).toEqual([]);
  });

  it('on any other row: still a blocker, because RBAC may bind that name', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/bastion\n  username: system:bastion:{{SessionName}}\n  groups:\n    - ops` }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'flag', entry: { type: 'STANDARD', username: 'system:bastion:{{SessionName}}', kubernetesGroups: ['ops'] } });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/RBAC may bind this name/);
    expect(p.rows[0]!.warnings).toBeUndefined();
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });
});

describe('a folded YAML list in a username or a group', () => {
  it('(a list indented under username) is flagged with the likely intent, never converted with that string', () => {
    // arrange: "  - system:masters" indented under "username: admin" folds into the username
    const text = cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/admin\n  username: admin\n    - system:masters` });

    // act
    const doc = parseAwsAuth(text);
    const p = planConversion(doc);

    // assert: the parser keeps what the authenticator reads; the plan flags it and blocks
    expect(doc.valid).toBe(true);
    expect(doc.rows[0]).toMatchObject({ username: 'admin - system:masters', groups: [], folded: [{ field: 'username', text: 'admin - system:masters' }] });
    expect(p.rows[0]).toMatchObject({ action: 'flag', entry: { type: 'STANDARD', username: 'admin', accessPolicies: ADMIN } });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/username "admin - system:masters" holds a YAML list folded into one string.*Likely intent: username "admin", groups \[system:masters\]/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });

  it('in a group item is flagged the same way', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/team\n  username: team\n  groups:\n    - viewers\n      - editors` }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'flag', entry: { type: 'STANDARD', username: 'team', kubernetesGroups: ['viewers', 'editors'] } });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/groups\[0\] "viewers - editors" holds a YAML list.*Likely intent: username "team", groups \[viewers, editors\]/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });

  it('with another key folded in ("admin groups: - system:masters", quoted) reads the same intent', () => {
    // act
    const p = plan(cm({ mapUsers: `- userarn: arn:aws:iam::${A}:user/alice\n  username: "alice groups: - system:masters"` }));

    // assert
    expect(p.rows[0]!.notes.join('\n')).toMatch(/Likely intent: username "alice", groups \[system:masters\]/);
    expect(p.rows[0]!.action).toBe('flag');
  });

  it('does not block when the row grants nothing today anyway (overridden)', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/admin\n  username: admin\n    - system:masters\n- rolearn: arn:aws:iam::${A}:role/admin\n  username: admin` }));

    // assert
    expect(p.rows.map((r) => r.action)).toEqual(['flag', 'create']);
    expect(p.blockers).toEqual([]);
  });

  it('groups written as a scalar stays an error for the whole document', () => {
    // act
    const p = plan(cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  groups: system:masters` }));

    // assert
    expect(p.valid).toBe(false);
    expect(p.errors.map((e) => e.where)).toEqual(['mapRoles[0].groups (line 5)']);
  });
});

describe('an sso row', () => {
  const ssoRow = (permissionSet: string, extra = '') =>
    `- sso:\n    permissionSetName: ${permissionSet}\n    accountID: "${A}"${extra}\n  username: sso-admin:{{SessionName}}\n  groups:\n    - system:masters`;
  const role = (path: string, name: string) => `arn:aws:iam::${A}:role${path}${name}`;
  const listing = (...roleArns: string[]) => ({ ssoRoles: (account: string): SsoRoleListing => (account === A ? { roleArns } : { unavailable: `account ${account} is not the cluster's` }) });

  it('is resolved to the Identity Center role (any path, any case) and converted, with a warning about the authenticator\'s feature gate', () => {
    // arrange
    const admin = role('/aws-reserved/sso.amazonaws.com/eu-west-1/', 'AWSReservedSSO_PlatformAdmin_0123456789abcdef');
    const other = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_ReadOnly_fedcba9876543210');

    // act
    const p = plan(cm({ mapRoles: ssoRow('platformadmin') }), listing(admin, other));

    // assert
    expect(p.rows).toEqual([
      expect.objectContaining({
        source: 'mapRoles[0]',
        principalArn: admin,
        action: 'create',
        entry: { type: 'STANDARD', username: 'sso-admin:{{SessionName}}', accessPolicies: ADMIN },
        warnings: [expect.stringMatching(/alpha feature gate SSORoleMatch/)],
      }),
    ]);
    expect(p.rows[0]!.notes.join('\n')).toMatch(/resolved to .*AWSReservedSSO_PlatformAdmin_0123456789abcdef, its Identity Center role/);
    expect(p.blockers).toEqual([]);
  });

  it('maps every role whose name starts with AWSReservedSSO_<name>_, as the authenticator\'s pattern does: one entry each', () => {
    // arrange
    const admin = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Admin_1111111111111111');
    const adminReadOnly = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Admin_ReadOnly_2222222222222222');
    const administrator = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Administrator_3333333333333333');

    // act
    const p = plan(cm({ mapRoles: ssoRow('Admin') }), listing(administrator, adminReadOnly, admin));

    // assert
    expect(p.rows.map((r) => [r.source, r.principalArn, r.action])).toEqual([
      ['mapRoles[0]', admin, 'create'],
      ['mapRoles[0]', adminReadOnly, 'create'],
    ]);
    expect(p.warnings).toHaveLength(1);
  });

  it('is a blocker when no role of the permission set exists in the account', () => {
    // act
    const p = plan(cm({ mapRoles: ssoRow('Admin') }), listing(role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_ReadOnly_1')));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'flag', principalArn: `arn:aws:iam::${A}:role/AWSReservedSSO_Admin_*` });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/no Identity Center role of that permission set exists in the account/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });

  it('is a blocker when its account cannot be looked up (another account)', () => {
    // act
    const p = plan(cm({ mapRoles: ssoRow('Admin').replace(A, '444455556666') }), listing());

    // assert
    expect(p.rows[0]!.action).toBe('flag');
    expect(p.rows[0]!.notes.join('\n')).toMatch(/cannot be looked up \(account 444455556666 is not the cluster's\)/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });

  it('that writes a partition is never converted: the authenticator builds its pattern with an empty partition', () => {
    // act
    const p = plan(cm({ mapRoles: ssoRow('Admin', '\n    partition: aws') }), listing(role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Admin_1')));

    // assert
    expect(p.rows[0]!.action).toBe('flag');
    expect(p.rows[0]!.notes.join('\n')).toMatch(/writes partition "aws": .*empty partition/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]']);
  });

  it('and a rolearn row for the same role are a coin toss today: both flagged and blocking', () => {
    // arrange
    const arn = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Admin_1111111111111111');
    const text = cm({ mapRoles: `${ssoRow('Admin')}\n- rolearn: ${role('/', 'AWSReservedSSO_Admin_1111111111111111')}\n  username: admin\n  groups:\n    - viewers` });

    // act
    const p = plan(text, { ...listing(arn), resolveArn: () => arn });

    // assert
    expect(p.rows.map((r) => [r.source, r.principalArn, r.action])).toEqual([
      ['mapRoles[0]', arn, 'flag'],
      ['mapRoles[1]', arn, 'flag'],
    ]);
    expect(p.rows[0]!.notes.join('\n')).toMatch(/mapRoles\[1\] also maps this role: .*random map order/);
    expect(p.rows[1]!.notes.join('\n')).toMatch(/mapRoles\[0\] also maps this role/);
    expect(blockerSources(p)).toEqual(['mapRoles[0]', 'mapRoles[1]']);
  });

  it('twice for the same permission set: the last one wins, as for any key', () => {
    // arrange
    const arn = role('/aws-reserved/sso.amazonaws.com/', 'AWSReservedSSO_Admin_1');

    // act
    const p = plan(cm({ mapRoles: `${ssoRow('Admin')}\n${ssoRow('ADMIN')}` }), listing(arn));

    // assert
    expect(p.rows.map((r) => [r.source, r.action])).toEqual([
      ['mapRoles[0]', 'flag'],
      ['mapRoles[1]', 'create'],
    ]);
    expect(p.rows[0]!.notes.join('\n')).toMatch(/overridden by mapRoles\[1\]/);
    expect(p.blockers).toEqual([]);
  });

  it('offline (no lookup) is planned for the lookup at migration time', () => {
    // act
    const p = plan(cm({ mapRoles: ssoRow('Admin') }));

    // assert
    expect(p.rows[0]).toMatchObject({ action: 'create', principalArn: `arn:aws:iam::${A}:role/AWSReservedSSO_Admin_*` });
    expect(p.rows[0]!.notes.join('\n')).toMatch(/looked up at migration time \(iam:ListRoles under \/aws-reserved\/sso\.amazonaws\.com\/\)/);
    expect(p.rows[0]!.warnings).toEqual([expect.stringMatching(/SSORoleMatch/)]);
    expect(p.blockers).toEqual([]);
  });
});
