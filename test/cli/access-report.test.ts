/**
 * `eks-access-pilot access-report` against the HTTP sandbox's EKS: the real EKSClient (the
 * adapters' own, module-level) over HTTP, pagination of ListAccessEntries included.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { DEFAULT_IDENTITY_CENTER_USERNAME, IDENTITY_CENTER_SOURCE } from '#kernel/identity-center';
import { ownershipTags } from '#kernel/ownership';
import { migrationTags } from '#kernel/ownership';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';
import { ownerText } from '../../cli/lib/ownership.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const role = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
// Another account's principals are taken to exist by the model; enough of them to need a second page.
// The role Identity Center created for permission set PlatformReadOnly (regional path form).
const SSO_PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/';
const SSO_NAME = 'AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789';
const BULK = Array.from({ length: 101 }, (_, i) => `arn:aws:iam::444455556666:role/bulk-${String(i).padStart(3, '0')}`);

let sandbox: Sandbox;

async function report(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['access-report', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      iam: {
        roles: [
          { name: 'platform-admin' },
          { name: 'prod-nodes' },
          { name: 'prod-fargate' },
          { name: 'search-readers', path: '/teams/search/' },
          { name: 'payments-deployer', path: '/teams/payments/' },
          { name: 'hand-made' },
          { name: SSO_NAME, path: SSO_PATH },
        ],
      },
      clusters: [
        {
          name: 'prod',
          region: REGION,
          authenticationMode: 'API',
          version: '1.31',
          platformVersion: 'eks.12',
          creatorArn: role('platform-admin'),
          nodeRoleArns: [role('prod-nodes')],
          fargateRoleArns: [role('prod-fargate')],
        },
        { name: 'legacy', region: REGION, authenticationMode: 'CONFIG_MAP', version: '1.29', platformVersion: 'eks.7' },
      ],
    },
  });
  const eks = sandbox.model.eks;
  const searchId = sandbox.model.iam.principalId(role('search-readers', '/teams/search/'))!;
  eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: role('search-readers', '/teams/search/'), kubernetesGroups: ['pod-readers'], tags: ownershipTags({ id: searchId }) });
  eks.associateAccessPolicy(REGION, { clusterName: 'prod', principalArn: role('search-readers', '/teams/search/'), policyArn: VIEW, accessScope: { type: 'namespace', namespaces: ['search', 'search-staging'] } });
  eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: role('payments-deployer', '/teams/payments/'), username: 'payments-deployer', tags: migrationTags('prod-to-api-1') });
  eks.associateAccessPolicy(REGION, { clusterName: 'prod', principalArn: role('payments-deployer', '/teams/payments/'), policyArn: EDIT, accessScope: { type: 'cluster' } });
  eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: role('hand-made'), tags: { team: 'sre' } });
  const ssoId = sandbox.model.iam.principalId(role(SSO_NAME, SSO_PATH))!;
  eks.createAccessEntry(REGION, {
    clusterName: 'prod',
    principalArn: role(SSO_NAME, SSO_PATH),
    username: DEFAULT_IDENTITY_CENTER_USERNAME,
    tags: ownershipTags({ id: ssoId }, IDENTITY_CENTER_SOURCE),
  });
  eks.associateAccessPolicy(REGION, { clusterName: 'prod', principalArn: role(SSO_NAME, SSO_PATH), policyArn: VIEW, accessScope: { type: 'cluster' } });
  for (const arn of BULK) eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: arn });
  // Time-bound: the tag-granted entry's principal has an expiry; so does the hand-made one's, which is not ours to report.
  sandbox.model.iam.tagRole({ RoleName: 'search-readers', Tags: [{ Key: 'eks-access-expires', Value: '2099-12-03T06:00Z' }] });
  sandbox.model.iam.tagRole({ RoleName: 'hand-made', Tags: [{ Key: 'eks-access-expires', Value: '2099-12-03T06:00Z' }] });
  sandbox.model.iam.tagRole({ RoleName: 'payments-deployer', Tags: [{ Key: 'eks-access-expires', Value: '2020-01-01T00:00Z' }] });
  // The command's SDK clients are created on first use and read the endpoints then.
  for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
});

afterAll(async () => {
  await sandbox.stop();
  vi.unstubAllEnvs();
});

describe('eks-access-pilot access-report', () => {
  it('lists every entry with type, username, groups, policies and scope, and who owns it', async () => {
    // act
    const { code, stdout, stderr } = await report('--cluster', 'prod', '--region', REGION, '--json');

    // assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const r = JSON.parse(stdout) as {
      cluster: Record<string, unknown>;
      entries: Array<Record<string, unknown> & { principalArn: string }>;
      owners: Record<string, number>;
      notes: string[];
    };
    expect(r.cluster).toEqual({ name: 'prod', region: REGION, authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: true });
    // 7 seeded or created in the account, and every entry of the second ListAccessEntries page.
    expect(r.entries).toHaveLength(7 + BULK.length);
    const entry = (arn: string) => r.entries.find((e) => e.principalArn === arn);
    expect(entry(role('search-readers', '/teams/search/'))).toMatchObject({
      type: 'STANDARD',
      kubernetesGroups: ['pod-readers'],
      policies: [{ policyArn: VIEW, accessScope: { type: 'namespace', namespaces: ['search', 'search-staging'] } }],
      owner: 'eks-access-pilot',
      source: 'tag',
      principalId: sandbox.model.iam.principalId(role('search-readers', '/teams/search/')),
    });
    expect(entry(role('payments-deployer', '/teams/payments/'))).toMatchObject({ username: 'payments-deployer', owner: 'eks-access-pilot', source: 'migration/prod-to-api-1' });
    // Granted from a permission set's tags: the permission set comes from the role's name.
    expect(entry(role(SSO_NAME, SSO_PATH))).toMatchObject({
      username: 'sso:{{SessionName}}',
      owner: 'eks-access-pilot',
      source: 'identity-center',
      permissionSet: 'PlatformReadOnly',
      principalId: sandbox.model.iam.principalId(role(SSO_NAME, SSO_PATH)),
    });
    expect(entry(role('search-readers', '/teams/search/'))!.permissionSet).toBeUndefined();
    expect(entry(role('prod-nodes'))).toMatchObject({ type: 'EC2_LINUX', owner: 'eks' });
    expect(entry(role('prod-fargate'))).toMatchObject({ type: 'FARGATE_LINUX', owner: 'eks' });
    // EKS's API does not name the creator: its entry is only flagged as a candidate.
    expect(entry(role('platform-admin'))).toMatchObject({ owner: 'other', note: expect.stringMatching(/^possibly the cluster creator/) });
    expect(entry(role('hand-made'))).toMatchObject({ owner: 'other', tags: { team: 'sre' } });
    expect(entry(role('hand-made'))!.note).toBeUndefined();
    // The expiry of the tag-granted entry only: a migration entry is not bound by tags, a hand-made one is not ours.
    expect(entry(role('search-readers', '/teams/search/'))!.expiry).toEqual({ value: '2099-12-03T06:00Z', state: 'future' });
    expect(entry(role('hand-made'))!.expiry).toBeUndefined();
    expect(entry(role('payments-deployer', '/teams/payments/'))!.expiry).toBeUndefined();
    expect(r.owners).toEqual({ 'eks-access-pilot': 3, eks: 2, other: 2 + BULK.length });
    expect(r.notes).toEqual([]);
  });

  it('attributes the creator\'s entry to EKS when --creator names it', async () => {
    const { stdout } = await report('--cluster', 'prod', '--region', REGION, '--json', '--creator', role('platform-admin'));

    const r = JSON.parse(stdout) as { entries: Array<{ principalArn: string; owner: string; note?: string }> };
    expect(r.entries.find((e) => e.principalArn === role('platform-admin'))).toMatchObject({ owner: 'eks', note: 'cluster creator' });
  });

  it('prints a table with one line per entry and the owners', async () => {
    const { code, stdout } = await report('--cluster', 'prod', '--region', REGION);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Cluster prod \(eu-west-1\), authentication mode API: 108 access entries$/m);
    expect(stdout).toMatch(/^PRINCIPAL +TYPE +USERNAME +GROUPS +POLICIES +OWNER$/m);
    expect(stdout).toMatch(/^arn:aws:iam::111122223333:role\/teams\/search\/search-readers +STANDARD +\S+ +pod-readers +AmazonEKSViewPolicy@search,search-staging +eks-access-pilot \(tag\) until 2099-12-03T06:00Z$/m);
    expect(stdout).toMatch(new RegExp(`^${role(SSO_NAME, SSO_PATH).replace(/[/.]/g, '\\$&')} +STANDARD +sso:\\{\\{SessionName\\}\\} .* eks-access-pilot \\(identity-center: PlatformReadOnly\\)$`, 'm'));
    expect(stdout).toMatch(/^arn:aws:iam::111122223333:role\/prod-nodes +EC2_LINUX +\S+ +system:nodes +- +eks \(EC2_LINUX entry/m);
    expect(stdout).toContain('owners: 3 eks-access-pilot, 2 EKS, 103 someone else');
  });

  it('reports a CONFIG_MAP cluster as having no access entries, and says where access is', async () => {
    const { code, stdout } = await report('--cluster', 'legacy', '--region', REGION);

    expect(code).toBe(0);
    expect(stdout).toMatch(/authentication mode CONFIG_MAP: 0 access entries/);
    expect(stdout).toMatch(/note: the cluster is in CONFIG_MAP mode: .*aws-auth/);
    expect(stdout).not.toMatch(/^quota:/m);
  });

  // EKS allows 3,000 access entries per cluster, not adjustable (kernel/quotas.ts; issue 10, item 6).
  describe('the access-entry quota', () => {
    it('shows the entries used of EKS\'s 3,000 per cluster, and where new grants stop (default 95 %)', async () => {
      // act
      const text = await report('--cluster', 'prod', '--region', REGION);
      const json = await report('--cluster', 'prod', '--region', REGION, '--json');

      // assert
      expect(text.stdout).toMatch(/^quota: 108 \/ 3,000 access entries per cluster \(new grants stop at 2,850, the 95 % headroom\)$/m);
      expect((JSON.parse(json.stdout) as { quota: unknown }).quota).toEqual({ used: 108, quota: 3000, headroomPercent: 95, limit: 2850, atHeadroom: false });
    });

    it('marks a cluster whose entries reach the headroom, and says the provisioner refuses new grants there', async () => {
      // act: a deployment configured with accessEntryHeadroomPercent 3 stops at 90 entries
      const { code, stdout } = await report('--cluster', 'prod', '--region', REGION, '--headroom', '3');

      // assert
      expect(code).toBe(0);
      expect(stdout).toMatch(/^quota: 108 \/ 3,000 access entries per cluster ! \(new grants stop at 90, the 3 % headroom\)$/m);
      expect(stdout).toMatch(/^note: 108 of 3000 access entries: at the 3 % headroom \(90\), the tag provisioner refuses new grants on this cluster/m);
    });

    it.each([
      ['0', /--headroom: must be at least 1/],
      ['101', /--headroom: must be at most 100/],
      ['ninety', /--headroom: /],
    ])('exits 2 for --headroom %s, naming the option', async (value, message) => {
      const { code, stderr } = await report('--cluster', 'prod', '--region', REGION, '--headroom', value);

      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    });
  });

  it('exits 1 naming the cluster when it does not exist', async () => {
    const { code, stderr } = await report('--cluster', 'nope', '--region', REGION);

    expect(code).toBe(1);
    expect(stderr).toMatch(/^no cluster nope in eu-west-1 \(ClusterNotFoundError: cluster nope \(eu-west-1\) does not exist\)/);
  });

  it.each([
    ['no --cluster', ['--region', REGION], /missing --cluster NAME/],
    ['no --region', ['--cluster', 'prod'], /missing --region R/],
    ['a bad region', ['--cluster', 'prod', '--region', 'europe'], /--region: must be an AWS region/],
    ['a positional', ['prod'], /Unexpected argument 'prod'|unexpected argument/i],
  ])('exits 2 for a usage error: %s', async (_label, args, message) => {
    const { code, stderr } = await report(...args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: eks-access-pilot access-report');
  });
});

describe('ownerText', () => {
  it('names the permission set behind an Identity Center entry, and only there', () => {
    // arrange
    const sso = { owner: 'eks-access-pilot' as const, source: 'identity-center', permissionSet: 'PlatformReadOnly' };
    // act / assert
    expect(ownerText(sso)).toBe('eks-access-pilot (identity-center: PlatformReadOnly)');
    expect(ownerText({ owner: 'eks-access-pilot', source: 'tag' })).toBe('eks-access-pilot (tag)');
    expect(ownerText({ owner: 'eks-access-pilot', source: 'migration/prod-to-api-1' })).toBe('eks-access-pilot (migration/prod-to-api-1)');
    expect(ownerText({ owner: 'eks', note: 'cluster creator' })).toBe('eks (cluster creator)');
    expect(ownerText({ owner: 'other' })).toBe('other');
  });
});
