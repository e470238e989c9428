import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { planConversion, usernameProblem, type PlanOptions, type PlannedEntry, type RowAction } from '#migration/domain/conversion';
import { cm } from './config-map.ts';

const A = '111122223333';
const ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

const nodeRow = (name: string, extra = '') => `- rolearn: arn:aws:iam::${A}:role/${name}
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes${extra}`;

interface ExpectedRow {
  source: string;
  action: RowAction;
  entry: PlannedEntry;
  principalArn?: string;
  note?: RegExp;
}

interface Case {
  name: string;
  doc: string;
  options?: PlanOptions;
  /** For an invalid document: every error's `where`, in order, and a message pattern for each. */
  errors?: Array<[where: string, message: RegExp]>;
  rows?: ExpectedRow[];
  /** Sources of the rows that block the switch to API. */
  blockers?: string[];
}

const cases: Case[] = [
  // ── conversion rules ────────────────────────────────────────────────────────────────
  {
    name: 'a managed node group row becomes EC2_LINUX with no username, groups or policies',
    doc: cm({ mapRoles: nodeRow('eks-ng-NodeInstanceRole') }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'EC2_LINUX' }, note: /EKS creates this entry itself/ }],
    blockers: [],
  },
  {
    name: 'a node row with eks:kube-proxy-windows becomes EC2_WINDOWS',
    doc: cm({ mapRoles: nodeRow('eks-win-NodeInstanceRole', '\n    - eks:kube-proxy-windows') }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'EC2_WINDOWS' } }],
    blockers: [],
  },
  {
    name: 'a Fargate pod execution role is left to EKS (FARGATE_LINUX)',
    doc: cm({
      mapRoles: `- groups:
  - system:bootstrappers
  - system:nodes
  - system:node-proxier
  rolearn: arn:aws:iam::${A}:role/eks-FargatePodExecutionRole
  username: system:node:{{SessionName}}`,
    }),
    rows: [{ source: 'mapRoles[0]', action: 'eks-managed', entry: { type: 'FARGATE_LINUX' }, note: /Fargate/ }],
    blockers: [],
  },
  {
    name: 'system:masters becomes the cluster admin policy, keeping the username and other groups',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/platform-admin
  username: admin:{{SessionName}}
  groups:
    - system:masters
    - ops-oncall`,
    }),
    rows: [
      {
        source: 'mapRoles[0]',
        action: 'create',
        principalArn: `arn:aws:iam::${A}:role/platform-admin`,
        entry: {
          type: 'STANDARD',
          username: 'admin:{{SessionName}}',
          kubernetesGroups: ['ops-oncall'],
          accessPolicies: [{ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }],
        },
      },
    ],
    blockers: [],
  },
  {
    name: 'custom groups become kubernetesGroups',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/team-a
  username: team-a:{{SessionName}}
  groups:
    - pod-readers`,
    }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'STANDARD', username: 'team-a:{{SessionName}}', kubernetesGroups: ['pod-readers'] } }],
    blockers: [],
  },
  {
    name: 'a user ARN keeps its path (GetCallerIdentity reports user paths, so it matches today)',
    doc: cm({
      mapUsers: `- userarn: arn:aws:iam::${A}:user/ci/release-bot
  username: release-bot
  groups:
    - deployers`,
    }),
    rows: [
      {
        source: 'mapUsers[0]',
        action: 'create',
        principalArn: `arn:aws:iam::${A}:user/ci/release-bot`,
        entry: { type: 'STANDARD', username: 'release-bot', kubernetesGroups: ['deployers'] },
      },
    ],
    blockers: [],
  },
  {
    name: 'a remaining system: group is flagged and blocks (EKS rejects it as a kubernetesGroup)',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/auditor
  username: auditor
  groups:
    - system:monitoring
    - viewers`,
    }),
    rows: [
      { source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: 'auditor', kubernetesGroups: ['viewers'] }, note: /system:monitoring/ },
    ],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'a role ARN with a path is flagged but blocks nothing: it never matched',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/platform/eks-operators
  username: operator
  groups:
    - operators`,
    }),
    rows: [
      {
        source: 'mapRoles[0]',
        action: 'flag',
        principalArn: `arn:aws:iam::${A}:role/platform/eks-operators`,
        entry: { type: 'STANDARD', username: 'operator', kubernetesGroups: ['operators'] },
        note: /path.*never matches/,
      },
    ],
    blockers: [],
  },
  {
    name: 'a wildcard ARN is flagged: the authenticator compares ARNs exactly',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/team-*\n  groups:\n    - viewers` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', kubernetesGroups: ['viewers'] }, note: /wildcard/ }],
    blockers: [],
  },
  {
    name: 'an STS assumed-role ARN is flagged: sessions are canonicalised to the role ARN',
    doc: cm({ mapRoles: `- rolearn: arn:aws:sts::${A}:assumed-role/admin/jane\n  groups:\n    - system:masters` }),
    rows: [
      {
        source: 'mapRoles[0]',
        action: 'flag',
        entry: { type: 'STANDARD', accessPolicies: [{ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }] },
        note: /assumed-role ARN never matches/,
      },
    ],
    blockers: [],
  },
  {
    name: 'duplicate role rows: the last wins (ARNs compared case-insensitively), the earlier is flagged as overridden',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:role/team-a
  groups:
    - pod-readers
- rolearn: arn:aws:iam::${A}:role/Team-A
  groups:
    - pod-writers`,
    }),
    rows: [
      { source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', kubernetesGroups: ['pod-readers'] }, note: /overridden by mapRoles\[1\]/ },
      { source: 'mapRoles[1]', action: 'create', principalArn: `arn:aws:iam::${A}:role/Team-A`, entry: { type: 'STANDARD', kubernetesGroups: ['pod-writers'] } },
    ],
    blockers: [],
  },
  {
    name: 'the same ARN in mapRoles and mapUsers: the role row wins (looked up first) even though the user row is later',
    doc: cm({
      mapRoles: `- rolearn: arn:aws:iam::${A}:user/alice\n  username: alice\n  groups:\n    - viewers`,
      mapUsers: `- userarn: arn:aws:iam::${A}:user/alice\n  username: alice\n  groups:\n    - system:masters`,
    }),
    rows: [
      { source: 'mapRoles[0]', action: 'create', entry: { type: 'STANDARD', username: 'alice', kubernetesGroups: ['viewers'] } },
      {
        source: 'mapUsers[0]',
        action: 'flag',
        entry: { type: 'STANDARD', username: 'alice', accessPolicies: [{ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }] },
        note: /overridden by mapRoles\[0\]/,
      },
    ],
    blockers: [],
  },
  {
    name: 'mapUsers rows differing only in case are ambiguous (random map order): both flagged and blocking',
    doc: cm({
      mapUsers: `- userarn: arn:aws:iam::${A}:user/Alice\n  groups:\n    - viewers\n- userarn: arn:aws:iam::${A}:user/alice\n  groups:\n    - editors`,
    }),
    rows: [
      { source: 'mapUsers[0]', action: 'flag', entry: { type: 'STANDARD', kubernetesGroups: ['viewers'] }, note: /at random/ },
      { source: 'mapUsers[1]', action: 'flag', entry: { type: 'STANDARD', kubernetesGroups: ['editors'] }, note: /at random/ },
    ],
    blockers: ['mapUsers[0]', 'mapUsers[1]'],
  },
  {
    name: 'mapAccounts is flagged and blocks; an unquoted account ID keeps its leading zero',
    doc: cm({ mapAccounts: '- 012345678901' }),
    rows: [{ source: 'mapAccounts[0]', action: 'flag', principalArn: 'arn:aws:iam::012345678901:root', entry: { type: 'STANDARD' }, note: /every IAM principal/ }],
    blockers: ['mapAccounts[0]'],
  },
  {
    name: 'a username with a reserved prefix is flagged and blocks',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/legacy\n  username: system:legacy-admin\n  groups:\n    - admins` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: 'system:legacy-admin', kubernetesGroups: ['admins'] }, note: /"system:"/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'a username with {{SessionName}} and no colon before it is flagged',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/AWSReservedSSO_ReadOnly_0123abcd\n  username: "{{SessionName}}"\n  groups:\n    - viewers` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: '{{SessionName}}', kubernetesGroups: ['viewers'] }, note: /":" somewhere before/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'a colon anywhere before {{SessionName}} is enough (jo:hn{{SessionName}})',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/john\n  username: jo:hn{{SessionName}}` }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'STANDARD', username: 'jo:hn{{SessionName}}' } }],
    blockers: [],
  },
  {
    name: 'a username template other than {{SessionName}}/{{SessionNameRaw}} is flagged',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/cross\n  username: cross:{{AccountID}}:{{SessionNameRaw}}\n  groups:\n    - viewers` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: 'cross:{{AccountID}}:{{SessionNameRaw}}', kubernetesGroups: ['viewers'] }, note: /\{\{AccountID\}\}/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'with a resolver, a path-less role ARN becomes the real ARN with its path',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0a1b2c3d\n  username: sso-admin:{{SessionName}}\n  groups:\n    - system:masters` }),
    options: { resolveArn: (arn) => arn.replace(':role/', ':role/aws-reserved/sso.amazonaws.com/eu-west-1/') },
    rows: [
      {
        source: 'mapRoles[0]',
        action: 'create',
        principalArn: `arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c3d`,
        entry: { type: 'STANDARD', username: 'sso-admin:{{SessionName}}', accessPolicies: [{ policyArn: ADMIN_POLICY, accessScope: { type: 'cluster' } }] },
        note: /resolved to/,
      },
    ],
    blockers: [],
  },
  {
    name: 'a principal the resolver cannot find is flagged and blocks',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/deleted-team\n  groups:\n    - viewers` }),
    options: { resolveArn: () => undefined },
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', kubernetesGroups: ['viewers'] }, note: /does not exist/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'a path-less service-linked role (works today) is flagged and blocks: access entries refuse it',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/AWSServiceRoleForAmazonEMRContainers\n  username: emr-containers` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: 'emr-containers' }, note: /service-linked/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'offline (no resolver), a role ARN is kept and the plan says the path is resolved at migration time',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/team-b\n  groups:\n    - viewers` }),
    rows: [{ source: 'mapRoles[0]', action: 'create', principalArn: `arn:aws:iam::${A}:role/team-b`, entry: { type: 'STANDARD', kubernetesGroups: ['viewers'] }, note: /resolved with iam:GetRole at migration time/ }],
    blockers: [],
  },
  {
    name: 'a node row with a custom group is flagged: node entries carry no groups',
    doc: cm({ mapRoles: nodeRow('eks-ng-NodeInstanceRole', '\n    - gpu-operators') }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'EC2_LINUX' }, note: /gpu-operators would be lost/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'a system:node:{{SessionName}} row without node-proxier (hybrid nodes) is flagged',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/hybrid-nodes\n  username: system:node:{{SessionName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes` }),
    rows: [{ source: 'mapRoles[0]', action: 'flag', entry: { type: 'STANDARD', username: 'system:node:{{SessionName}}' }, note: /HYBRID_LINUX/ }],
    blockers: ['mapRoles[0]'],
  },
  {
    name: 'entry keys match in any case, as in the authenticator\'s own crazy-case fixture',
    doc: cm({ mapRoles: `- rOlEaRn: arn:aws:iam::${A}:role/devel-worker-nodes\n  UsErNaMe: system:node:{{EC2PrivateDNSName}}\n  gRoUpS:\n    - system:bootstrappers\n    - system:nodes` }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'EC2_LINUX' } }],
    blockers: [],
  },
  {
    name: 'the JSON form (kubectl -o json, mapRoles a JSON string) is read too',
    doc: JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-auth', namespace: 'kube-system', resourceVersion: '9' },
      data: { mapRoles: JSON.stringify([{ rolearn: `arn:aws:iam::${A}:role/team-c`, username: 'team-c', groups: ['viewers'] }]) },
    }),
    rows: [{ source: 'mapRoles[0]', action: 'create', entry: { type: 'STANDARD', username: 'team-c', kubernetesGroups: ['viewers'] } }],
    blockers: [],
  },
  {
    name: 'the admin policy ARN follows the principal\'s partition (aws-cn)',
    doc: cm({ mapRoles: `- rolearn: arn:aws-cn:iam::${A}:role/cn-admin\n  groups:\n    - system:masters` }),
    rows: [
      {
        source: 'mapRoles[0]',
        action: 'create',
        entry: { type: 'STANDARD', accessPolicies: [{ policyArn: 'arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } }] },
      },
    ],
    blockers: [],
  },
  {
    name: 'an STS federated-user ARN matches today but cannot be an access entry: flagged and blocking',
    doc: cm({ mapUsers: `- userarn: arn:aws:sts::${A}:federated-user/bob\n  username: bob\n  groups:\n    - viewers` }),
    rows: [{ source: 'mapUsers[0]', action: 'flag', entry: { type: 'STANDARD', username: 'bob', kubernetesGroups: ['viewers'] }, note: /STS session principals/ }],
    blockers: ['mapUsers[0]'],
  },
  {
    name: 'a ConfigMap without data maps nobody: a valid, empty plan',
    doc: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n',
    rows: [],
    blockers: [],
  },

  // ── malformed documents: invalid as a whole, errors name key, entry and line ──────────
  {
    name: 'a YAML error in the document',
    doc: 'apiVersion: v1\ndata:\n  mapRoles: |\n    - rolearn: x\n kind: ConfigMap\n',
    errors: [['document (line 5)', /YAML error/]],
  },
  {
    name: 'a list where a string is expected',
    doc: `apiVersion: v1\ndata:\n  mapRoles:\n    - rolearn: arn:aws:iam::${A}:role/a\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n`,
    errors: [['mapRoles (line 3)', /expected a string holding a YAML list, got a list.*mapRoles: \|/]],
  },
  {
    name: 'a missing ARN',
    doc: cm({ mapRoles: '- username: orphan\n  groups:\n    - viewers' }),
    errors: [['mapRoles[0] (line 4)', /missing rolearn/]],
  },
  {
    name: 'groups written as a scalar',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  groups: system:masters` }),
    errors: [['mapRoles[0].groups (line 5)', /groups must be a list, got the string "system:masters"/]],
  },
  {
    name: 'an unknown entry key (role_arn) — the authenticator would silently drop the row',
    doc: cm({ mapRoles: `- role_arn: arn:aws:iam::${A}:role/a\n  groups:\n    - viewers` }),
    errors: [
      ['mapRoles[0].role_arn (line 4)', /unknown key "role_arn"/],
      ['mapRoles[0] (line 4)', /missing rolearn/],
    ],
  },
  {
    name: 'an unreplaced <placeholder>, in the second data key (line numbers continue)',
    doc: cm({
      mapRoles: nodeRow('ok-node'),
      mapUsers: '- userarn: <ARN of the IAM user>\n  username: admin',
    }),
    errors: [['mapUsers[0].userarn (line 10)', /placeholder \(<ARN of the IAM user>\)/]],
  },
  {
    name: 'a folded " - " list inside a value (groups: - system:masters on one line)',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  username: a\n  groups: - system:masters` }),
    errors: [['mapRoles (line 6)', /same line as its key/]],
  },
  {
    name: 'a quoted one-line list in groups is still not a list',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  groups: "- system:masters"` }),
    errors: [['mapRoles[0].groups (line 5)', /written on one line/]],
  },
  {
    name: 'a value that is not a list',
    doc: cm({ mapRoles: `rolearn: arn:aws:iam::${A}:role/a\ngroups:\n  - viewers` }),
    errors: [['mapRoles (line 4)', /expected a list of entries, got a mapping/]],
  },
  {
    name: 'a document that is not the aws-auth ConfigMap',
    doc: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n',
    errors: [['kind (line 2)', /expected kind: ConfigMap/]],
  },
  {
    name: 'an entry that is not a mapping',
    doc: cm({ mapRoles: `- arn:aws:iam::${A}:role/a` }),
    errors: [['mapRoles[0] (line 4)', /expected an entry with rolearn/]],
  },
  {
    name: 'an account ID that is not 12 digits',
    doc: cm({ mapAccounts: '- "12345"' }),
    errors: [['mapAccounts[0] (line 4)', /12-digit/]],
  },
  {
    name: 'the same key twice in one entry, in different case',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  RoleArn: arn:aws:iam::${A}:role/b` }),
    errors: [['mapRoles[0].RoleArn (line 5)', /given twice/]],
  },
  {
    name: 'a group that is not a string',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  groups:\n    - viewers\n    - 42` }),
    errors: [['mapRoles[0].groups[1] (line 7)', /non-empty string, got the number 42/]],
  },
  {
    name: 'a username that YAML 1.1 (go-yaml) reads as a boolean',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  username: yes` }),
    errors: [['mapRoles[0].username (line 5)', /expected a string, got the boolean true/]],
  },
  {
    name: 'an unquoted {{SessionName}} username is a YAML flow mapping',
    doc: cm({ mapRoles: `- rolearn: arn:aws:iam::${A}:role/a\n  username: {{SessionName}}` }),
    errors: [['mapRoles[0].username (line 5)', /quote values that start with \{\{/]],
  },
  {
    name: 'an ARN that is not an ARN',
    doc: cm({ mapRoles: '- rolearn: my-admin-role' }),
    errors: [['mapRoles[0].rolearn (line 4)', /is not an ARN/]],
  },
  {
    name: 'a value that is not a | block reports the line of its key',
    doc: `apiVersion: v1\ndata:\n  mapRoles: "- rolearn: arn:aws:iam::${A}:role/a\\n  group_names: [viewers]\\n"\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n`,
    errors: [
      ['mapRoles[0].group_names (line 3)', /unknown key "group_names"/],
    ],
  },
];

describe('aws-auth parsing and conversion', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // act
    const plan = planConversion(parseAwsAuth(c.doc), c.options);

    // assert
    if (c.errors) {
      expect(plan.valid).toBe(false);
      expect(plan.rows).toEqual([]);
      expect(plan.errors.map((e) => e.where)).toEqual(c.errors.map(([where]) => where));
      c.errors.forEach(([, message], i) => expect(plan.errors[i]!.message).toMatch(message));
      expect(plan.blockers).toHaveLength(1);
      return;
    }
    expect(plan.errors).toEqual([]);
    expect(plan.valid).toBe(true);
    expect(plan.rows.map((r) => r.source)).toEqual((c.rows ?? []).map((r) => r.source));
    (c.rows ?? []).forEach((want, i) => {
      const got = plan.rows[i]!;
      expect(got.action, want.source).toBe(want.action);
      expect(got.entry, want.source).toEqual(want.entry);
      if (want.principalArn) expect(got.principalArn).toBe(want.principalArn);
      if (want.note) expect(got.notes.join('\n')).toMatch(want.note);
    });
    expect(plan.blockers.map((b) => b.split(' ')[0])).toEqual(c.blockers ?? []);
  });
});

describe('parseAwsAuth', () => {
  it('returns the rows with their source, line and metadata.resourceVersion', () => {
    // act
    const doc = parseAwsAuth(cm({ mapRoles: nodeRow('ng-1'), mapUsers: `- userarn: arn:aws:iam::${A}:user/bob\n  username: bob` }));

    // assert
    expect(doc.valid).toBe(true);
    expect(doc.resourceVersion).toBe('4711');
    expect(doc.rows).toEqual([
      {
        source: 'mapRoles[0]',
        list: 'mapRoles',
        arn: `arn:aws:iam::${A}:role/ng-1`,
        username: 'system:node:{{EC2PrivateDNSName}}',
        groups: ['system:bootstrappers', 'system:nodes'],
        line: 4,
      },
      { source: 'mapUsers[0]', list: 'mapUsers', arn: `arn:aws:iam::${A}:user/bob`, username: 'bob', groups: [], line: 10 },
    ]);
  });

  it('reports every problem in the document, not only the first', () => {
    // act
    const doc = parseAwsAuth(cm({ mapRoles: '- username: a\n- rolearn: <role>', mapAccounts: '- abc' }));

    // assert
    expect(doc.errors.map((e) => e.where)).toEqual(['mapRoles[0] (line 4)', 'mapRoles[1].rolearn (line 5)', 'mapAccounts[0] (line 7)']);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const doc = parseAwsAuth(text);
        expect(typeof doc.valid).toBe('boolean');
        planConversion(doc);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary text inside a data value, and an invalid value always says where', () => {
    const yamlish = fc
      .array(fc.constantFrom('- ', 'rolearn: ', 'groups:', '  - ', 'system:masters', '{{', '}}', '<x>', ': ', '\n', '  ', '"', '[', ']', '&a ', '*a', 'arn:aws:iam::111122223333:role/r', 'yes'), {
        maxLength: 30,
      })
      // A | block takes its indentation from its first line: start flush so every line
      // stays inside the block and the generated text is what the data value holds.
      .map((parts) => parts.join('').replace(/^\s+/, ''));
    fc.assert(
      fc.property(fc.constantFrom('mapRoles', 'mapUsers', 'mapAccounts'), yamlish, (key, value) => {
        const doc = parseAwsAuth(cm({ [key]: value }));
        if (!doc.valid) {
          expect(doc.errors.length).toBeGreaterThan(0);
          for (const e of doc.errors) expect(e.where).toMatch(new RegExp(`^(${key}|data)`));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('planConversion invariants', () => {
  const arnArb = fc.constantFrom(
    `arn:aws:iam::${A}:role/team-a`,
    `arn:aws:iam::${A}:role/Team-A`,
    `arn:aws:iam::${A}:role/ops/admin`,
    `arn:aws:iam::${A}:role/ng-NodeInstanceRole`,
    `arn:aws:iam::${A}:user/alice`,
    `arn:aws:iam::${A}:user/Alice`,
    `arn:aws:sts::${A}:assumed-role/admin/jane`,
    `arn:aws:iam::${A}:role/*`,
  );
  const groupArb = fc.constantFrom('system:masters', 'system:bootstrappers', 'system:nodes', 'system:node-proxier', 'eks:kube-proxy-windows', 'pod-readers', 'viewers', 'system:monitoring', 'viewers - editors');
  const usernameArb = fc.option(
    fc.constantFrom(
      'system:node:{{EC2PrivateDNSName}}',
      'system:node:{{SessionName}}',
      'admin',
      'admin:{{SessionName}}',
      '{{SessionName}}',
      'eks:thing',
      'x:{{AccountID}}',
      'system:bastion:{{SessionName}}',
      'admin - system:masters',
    ),
    { nil: undefined },
  );
  const rowArb = fc.record({ list: fc.constantFrom('mapRoles', 'mapUsers'), arn: arnArb, username: usernameArb, groups: fc.uniqueArray(groupArb, { maxLength: 4 }) });

  function render(rows: Array<{ list: string; arn: string; username: string | undefined; groups: string[] }>, accounts: boolean): string {
    const data: Record<string, string> = {};
    for (const list of ['mapRoles', 'mapUsers']) {
      const mine = rows.filter((r) => r.list === list);
      if (mine.length === 0) continue;
      data[list] = mine
        .map((r) => {
          const key = list === 'mapRoles' ? 'rolearn' : 'userarn';
          const user = r.username === undefined ? '' : `\n  username: "${r.username}"`;
          const groups = r.groups.length === 0 ? '' : `\n  groups:\n${r.groups.map((g) => `    - ${g}`).join('\n')}`;
          return `- ${key}: ${r.arn}${user}${groups}`;
        })
        .join('\n');
    }
    if (accounts) data['mapAccounts'] = `- "${A}"`;
    return cm(data);
  }

  it('creates only entries EKS accepts, one per principal, and blocks only on flagged rows; deterministically', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 8 }), fc.boolean(), (rows, accounts) => {
        // arrange
        const text = render(rows, accounts);

        // act
        const plan = planConversion(parseAwsAuth(text));

        // assert
        expect(plan.valid).toBe(true);
        expect(planConversion(parseAwsAuth(text))).toEqual(plan);
        const created = plan.rows.filter((r) => r.action === 'create');
        for (const r of created) {
          if (r.entry.type !== 'STANDARD') {
            expect(r.entry.username).toBeUndefined();
            expect(r.entry.kubernetesGroups).toBeUndefined();
            expect(r.entry.accessPolicies).toBeUndefined();
          }
          for (const g of r.entry.kubernetesGroups ?? []) expect(g.startsWith('system:') || g.includes(' - ')).toBe(false);
          if (r.entry.username !== undefined) expect(usernameProblem(r.entry.username)).toBeUndefined();
          if (r.entry.username !== undefined) expect(r.entry.username).not.toContain(' - ');
          expect(r.principalArn).not.toMatch(/:sts:|\*|:role\/.+\//);
        }
        // A warning never stands in for a flag: only converted rows carry one.
        for (const r of plan.rows) if (r.warnings) expect(r.action).not.toBe('flag');
        const keys = plan.rows.filter((r) => r.action !== 'flag').map((r) => r.principalArn.toLowerCase());
        expect(new Set(keys).size).toBe(keys.length);
        const flagged = new Set(plan.rows.filter((r) => r.action === 'flag').map((r) => r.source));
        for (const b of plan.blockers) expect(flagged.has(b.split(' ')[0]!)).toBe(true);
        expect(plan.blockers.some((b) => b.startsWith('mapAccounts'))).toBe(accounts);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planConversion in each partition', () => {
  const masters = (partition: string) =>
    cm({ mapRoles: `- rolearn: arn:${partition}:iam::${A}:role/admin\n  username: admin\n  groups:\n    - system:masters`, mapAccounts: `- "${A}"` });

  it.each(['aws', 'aws-cn', 'aws-us-gov'] as const)(
    'writes the access policy and account ARNs of the cluster partition %s (kernel/partition.ts)',
    (partition) => {
      const plan = planConversion(parseAwsAuth(masters(partition)), { partition });

      expect(plan.rows[0]!.entry.accessPolicies).toEqual([{ policyArn: `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`, accessScope: { type: 'cluster' } }]);
      expect(plan.rows[1]!.principalArn).toBe(`arn:${partition}:iam::${A}:root`);
    },
  );

  it("takes the document's partition when none is given (the offline plan)", () => {
    const plan = planConversion(parseAwsAuth(masters('aws-cn')));

    expect(plan.rows[0]!.entry.accessPolicies![0]!.policyArn).toBe('arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
    expect(plan.rows[1]!.principalArn).toBe(`arn:aws-cn:iam::${A}:root`);
  });
});
