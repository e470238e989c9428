import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  InvalidRequestException,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  ServerException,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { GetRoleCommand, GetUserCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { AUTH_MODE_TTL_MS, eksEntries } from '#access/adapters/entries';
import { iamReader } from '#platform/iam-principals';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { reconcilePrincipal } from '#access/reconcile';
import { testRuntime, ACCOUNT } from '#test/helpers/config';
import { loadEvent } from '#test/helpers/events';
import { captureStdout, lambdaContext } from '#test/helpers/lambda';

const EDIT = `${POLICY_ARN_PREFIX}AmazonEKSEditPolicy`;
const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/team-a-deployer`;
const ROLE_ID = 'AROAEXAMPLETEAMA0001';
const OWN_TAGS = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': ROLE_ID };
const WRITES = new Set(['CreateAccessEntryCommand', 'DeleteAccessEntryCommand', 'UpdateAccessEntryCommand', 'AssociateAccessPolicyCommand', 'DisassociateAccessPolicyCommand']);

const eks = mockClient(EKSClient);
const iam = mockClient(IAMClient);
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

function role(tags: Record<string, string>) {
  return { Role: { RoleName: 'team-a-deployer', Arn: ROLE_ARN, Path: '/', RoleId: ROLE_ID, CreateDate: new Date(), Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } };
}
const notFound = () => new ResourceNotFoundException({ message: 'No access entry found', $metadata: {} });

function writeCount(): number {
  return eks.calls().filter((c) => WRITES.has(c.args[0].constructor.name)).length;
}

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(testRuntime()));
  ({ handler } = await import('#access/provisioner/handler'));
});
afterAll(() => vi.unstubAllEnvs());
// The handler's adapters cache each cluster's authentication mode for minutes, across these
// tests: every cluster answers API throughout this file.
beforeEach(() => {
  eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'any', accessConfig: { authenticationMode: 'API' } } });
  // A grant counts the cluster's entries first (the access-entry quota): far from it by default.
  eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [] });
});
afterEach(() => {
  eks.reset();
  iam.reset();
});

describe('provisioner handler', () => {
  it('grants the tagged level on every managed cluster, re-reading the tags instead of trusting the event', async () => {
    // arrange: the event says edit; IAM says view now (a later TagRole overtook this one)
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    const out = captureStdout();
    // act
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    // assert
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(3);
    for (const call of eks.commandCalls(CreateAccessEntryCommand)) {
      expect(call.args[0].input).toMatchObject({ principalArn: ROLE_ARN, type: 'STANDARD', tags: OWN_TAGS });
    }
    const associated = eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input);
    expect(associated.map((i) => [i.clusterName, i.policyArn, i.accessScope?.type]).sort()).toEqual([
      ['analytics', VIEW, 'cluster'],
      ['prod', VIEW, 'cluster'],
      ['staging', VIEW, 'cluster'],
    ]);
    const decisions = out.logs('access decision');
    expect(decisions).toHaveLength(3);
    expect(decisions[0]).toMatchObject({ principal: ROLE_ARN, action: 'grant' });
    expect(out.metricNames().filter((m) => m === 'Granted')).toHaveLength(1);
  });

  it('makes zero writes and two EKS reads per cluster when the entries already match (warm no-op event)', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'edit' }));
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', kubernetesGroups: [], tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: EDIT, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext()); // warm: the authentication modes are cached
    eks.resetHistory();
    iam.resetHistory();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(writeCount()).toBe(0);
    expect(iam.calls()).toHaveLength(1);
    expect(eks.calls()).toHaveLength(6);
  });

  it('changes the association when the level changes', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'edit' }));
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.policyArn)).toEqual([EDIT, EDIT, EDIT]);
    expect(eks.commandCalls(DisassociateAccessPolicyCommand).map((c) => c.args[0].input.policyArn)).toEqual([VIEW, VIEW, VIEW]);
    expect(out.metricNames()).toContain('Changed');
  });

  it('changes groups by deleting and re-creating the entry through the bounded create, never UpdateAccessEntry', async () => {
    // IAM bounds groups only on CreateAccessEntry (SAR: UpdateAccessEntry has no condition keys),
    // and the role holds no eks:UpdateAccessEntry: 3 writes per cluster instead of 1.
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view', 'eks-access-groups': 'pod-readers' }));
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', kubernetesGroups: ['log-readers'], tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(UpdateAccessEntryCommand)).toHaveLength(0);
    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([ROLE_ARN, ROLE_ARN, ROLE_ARN]);
    for (const call of eks.commandCalls(CreateAccessEntryCommand)) {
      expect(call.args[0].input).toMatchObject({ principalArn: ROLE_ARN, type: 'STANDARD', kubernetesGroups: ['pod-readers'], tags: OWN_TAGS });
    }
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.policyArn)).toEqual([VIEW, VIEW, VIEW]);
    expect(eks.commandCalls(DisassociateAccessPolicyCommand)).toHaveLength(0);
    expect(writeCount()).toBe(9);
    const decisions = out.logs('access decision');
    expect(decisions).toHaveLength(3);
    for (const d of decisions) expect(d).toMatchObject({ action: 'replace', reason: expect.stringContaining('groups changed: entry re-created (access is briefly absent)') });
    expect(out.metricNames()).toContain('Changed');
  });

  it('ignores a failed IAM call without reading anything', async () => {
    const out = captureStdout();
    const result = await handler(loadEvent('iam/failed-tag-role'), lambdaContext());
    out.restore();
    expect(result).toMatchObject({ ignored: expect.stringContaining('AccessDenied') });
    expect(iam.calls()).toHaveLength(0);
    expect(eks.calls()).toHaveLength(0);
    expect(out.logs('event ignored')).toHaveLength(1);
  });

  it('revokes the managed entries of a deleted role, found by name because the event has no path', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role with name team-a-deployer cannot be found.', $metadata: {} }));
    const withPath = `arn:aws:iam::${ACCOUNT}:role/teams/team-a-deployer`;
    eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [`arn:aws:iam::${ACCOUNT}:role/other`, withPath] });
    eks.on(DescribeAccessEntryCommand, { principalArn: withPath }).resolves({ accessEntry: { principalArn: withPath, type: 'STANDARD', tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
    const out = captureStdout();
    await handler(loadEvent('iam/delete-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([withPath, withPath, withPath]);
    expect(out.metricNames()).toContain('Revoked');
  });

  it("revokes the deleted role's own entry, not another account's entry of the same name listed before it", async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'The role with name team-a-deployer cannot be found.', $metadata: {} }));
    const foreign = 'arn:aws:iam::999999999999:role/team-a-deployer';
    const local = `arn:aws:iam::${ACCOUNT}:role/teams/team-a-deployer`;
    eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [foreign, local] });
    // Both carry the ownership tags: only the account tells them apart.
    eks.on(DescribeAccessEntryCommand, { principalArn: foreign }).resolves({ accessEntry: { principalArn: foreign, type: 'STANDARD', tags: OWN_TAGS } });
    eks.on(DescribeAccessEntryCommand, { principalArn: local }).resolves({ accessEntry: { principalArn: local, type: 'STANDARD', tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
    const out = captureStdout();
    await handler(loadEvent('iam/delete-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([local, local, local]);
    expect(eks.commandCalls(DescribeAccessEntryCommand).map((c) => c.args[0].input.principalArn)).not.toContain(foreign);
  });

  it('rejects a level above the ceiling: no write, one log line per bad tag and a Rejected metric', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'cluster-admin' }));
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(eks.calls()).toHaveLength(0);
    expect(out.logs('access tag rejected')).toEqual([expect.objectContaining({ tagKey: 'eks-access', tagValue: 'cluster-admin', kind: 'ceiling' })]);
    expect(out.metricNames()).toEqual(expect.arrayContaining(['Rejected', 'RejectedAboveCeiling']));
  });

  // Only the prefix's own spelling of a per-cluster key is protected by the SCP's StringLike
  // (case-sensitive; IAM has no case-insensitive wildcard operator): any other spelling is refused.
  it('refuses a per-cluster key in another spelling than the prefix: no write, one log line and a Rejected metric', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view', 'eKs-AcCeSs/prod': 'view' }));
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role-per-cluster'), lambdaContext());
    out.restore();
    expect(eks.calls()).toHaveLength(0);
    expect(out.logs('access tag rejected')).toEqual([expect.objectContaining({ tagKey: 'eKs-AcCeSs/prod', tagValue: 'view', kind: 'invalid' })]);
    expect(out.metricNames()).toContain('Rejected');
  });

  it('converges both names of a renamed user (UpdateUser): the old entries are removed, the new user is granted', async () => {
    const oldArn = `arn:aws:iam::${ACCOUNT}:user/reporting-bot`;
    const newArn = `arn:aws:iam::${ACCOUNT}:user/bots/reporting-bot-v2`;
    const userId = 'AIDAEXAMPLEREPORT0001';
    iam.on(GetUserCommand, { UserName: 'reporting-bot' }).rejects(new NoSuchEntityException({ message: 'The user with name reporting-bot cannot be found.', $metadata: {} }));
    iam.on(GetUserCommand, { UserName: 'reporting-bot-v2' }).resolves({
      User: { UserName: 'reporting-bot-v2', Arn: newArn, Path: '/bots/', UserId: userId, CreateDate: new Date(), Tags: [{ Key: 'eks-access', Value: 'view' }] },
    });
    eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [oldArn] });
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    eks.on(DescribeAccessEntryCommand, { principalArn: oldArn }).resolves({ accessEntry: { principalArn: oldArn, type: 'STANDARD', tags: { ...OWN_TAGS, 'eks-access-pilot/principal-id': userId } } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
    const out = captureStdout();
    const result = await handler(loadEvent('iam/update-user-rename'), lambdaContext());
    out.restore();
    expect(iam.commandCalls(GetUserCommand).map((c) => c.args[0].input.UserName)).toEqual(['reporting-bot', 'reporting-bot-v2']);
    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([oldArn, oldArn, oldArn]);
    expect(eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([newArn, newArn, newArn]);
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.policyArn)).toEqual([VIEW, VIEW, VIEW]);
    expect(result).toHaveLength(2);
    expect(out.metricNames()).toEqual(expect.arrayContaining(['Revoked', 'Granted']));
  });

  it('skips a cluster still in CONFIG_MAP mode, reports it, and converges the others', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    eks.on(DescribeAccessEntryCommand, { clusterName: 'prod' }).rejects(
      new InvalidRequestException({ message: 'The cluster authentication mode must be API or API_AND_CONFIG_MAP', $metadata: {} }),
    );
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input.clusterName).sort()).toEqual(['analytics', 'staging']);
    expect(out.logs('access decision').find((l) => l.cluster === 'prod')).toMatchObject({ action: 'cluster-not-ready', level: 'WARN' });
    expect(out.metricNames()).toContain('ClusterNotReady');
  });

  it('treats an entry created concurrently as "exists: compare" rather than a failure', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand)
      .rejectsOnce(notFound())
      .rejectsOnce(notFound())
      .rejectsOnce(notFound())
      .resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', tags: OWN_TAGS } });
    eks.on(CreateAccessEntryCommand).rejects(new ResourceInUseException({ message: 'The specified access entry resource is already in use on this cluster.', $metadata: {} }));
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();
    expect(eks.commandCalls(AssociateAccessPolicyCommand)).toHaveLength(0);
    expect(out.logs('access decision').every((l) => l.action === 'noop')).toBe(true);
  });

  it('fails the invocation (so Lambda retries it) when a cluster errors, after converging the rest', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    eks.on(CreateAccessEntryCommand, { clusterName: 'staging' }).rejects(new ServerException({ message: 'internal error', $metadata: {} }));
    const out = captureStdout();
    await expect(handler(loadEvent('iam/tag-role'), lambdaContext())).rejects.toMatchObject({ name: 'ReconcileFailedError', message: expect.stringContaining('staging') });
    out.restore();
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.clusterName).sort()).toEqual(['analytics', 'prod']);
  });

  it('throws a MalformedEventError naming the field for a malformed event, and reads nothing', async () => {
    const event = loadEvent('iam/tag-role') as unknown as { detail: { requestParameters: Record<string, unknown> } };
    event.detail.requestParameters.roleName = 42;
    const out = captureStdout();
    await expect(handler(event, lambdaContext())).rejects.toMatchObject({ name: 'MalformedEventError', message: expect.stringContaining('roleName') });
    out.restore();
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('authentication mode gate (fresh adapters, so no mode is cached yet)', () => {
  const clusters = [
    { name: 'prod', region: 'eu-west-1' },
    { name: 'staging', region: 'eu-west-1', manageInApiAndConfigMap: true },
    { name: 'analytics', region: 'us-east-1' },
  ];
  const MODES: Record<string, string> = { prod: 'API_AND_CONFIG_MAP', staging: 'API_AND_CONFIG_MAP', analytics: 'API' };
  const runtime = testRuntime({ clusters });

  it('grants nothing on an API_AND_CONFIG_MAP cluster that is not opted in, and reports it as not ready', async () => {
    // arrange: prod still reads aws-auth, where this role may be system:masters
    eks.on(DescribeClusterCommand).callsFake((input: { name: string }) => ({ cluster: { name: input.name, accessConfig: { authenticationMode: MODES[input.name] } } }));
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    const deps = { runtime, iam: iamReader(), clusters: runtime.config.clusters.map((c) => eksEntries(c)) };

    // act
    const outcome = await reconcilePrincipal({ kind: 'role', name: 'team-a-deployer' }, deps);

    // assert: nothing read or written on prod; staging (opted in) and analytics (API) granted
    const onProd = eks.calls().filter((c) => (c.args[0].input as { clusterName?: string; name?: string }).clusterName === 'prod');
    expect(onProd).toHaveLength(0);
    expect(eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input.clusterName).sort()).toEqual(['analytics', 'staging']);
    expect(outcome.clusters.find((c) => c.cluster === 'prod')).toMatchObject({
      action: 'cluster-not-ready',
      ops: [],
      reason: expect.stringContaining('finish the migration to API, or opt the cluster in'),
    });
  });

  it('skips a cluster that DescribeCluster reports in CONFIG_MAP without calling the access-entry API', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', accessConfig: { authenticationMode: 'CONFIG_MAP' } } });
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    const deps = { runtime, iam: iamReader(), clusters: [eksEntries(runtime.config.clusters[0]!)] };

    const outcome = await reconcilePrincipal({ kind: 'role', name: 'team-a-deployer' }, deps);

    expect(eks.calls().map((c) => c.args[0].constructor.name)).toEqual(['DescribeClusterCommand']);
    expect(outcome.clusters).toEqual([expect.objectContaining({ cluster: 'prod', action: 'cluster-not-ready' })]);
  });

  it('reads the mode once per cluster for AUTH_MODE_TTL_MS, then again; a failed read is not cached', async () => {
    let now = 0;
    eks.on(DescribeClusterCommand)
      .rejectsOnce(new ServerException({ message: 'internal error', $metadata: {} }))
      .resolves({ cluster: { name: 'analytics', accessConfig: { authenticationMode: 'API' } } });
    const adapter = eksEntries(runtime.config.clusters[2]!, undefined, () => now);

    await expect(adapter.authenticationMode()).rejects.toThrow('internal error');
    await expect(adapter.authenticationMode()).resolves.toBe('API');
    now = AUTH_MODE_TTL_MS - 1;
    await expect(adapter.authenticationMode()).resolves.toBe('API');
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
    now = AUTH_MODE_TTL_MS;
    await adapter.authenticationMode();
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(3);
  });
});

// EKS allows 3,000 access entries per cluster, not adjustable (kernel/quotas.ts); the tag side
// stops creating at the configured headroom, 95 % (2,850) by default (issue 10, item 6).
describe('provisioner handler: the access-entry quota', () => {
  const LIMIT = 2850;
  /** Makes ListAccessEntries on `cluster` answer `n` entries, in pages of 100 as EKS pages them. */
  function entriesOn(cluster: string, n: number): void {
    const arns = Array.from({ length: n }, (_, i) => `arn:aws:iam::444455556666:role/other-${i}`);
    eks.on(ListAccessEntriesCommand, { clusterName: cluster }).callsFake((input: { nextToken?: string }) => {
      const start = Number(input.nextToken ?? 0);
      return { accessEntries: arns.slice(start, start + 100), nextToken: start + 100 < n ? String(start + 100) : undefined };
    });
  }

  it('refuses a grant that would create an entry past the headroom on that cluster only: no write there, one log line with used and limit, a QuotaRefused metric', async () => {
    // arrange: prod is at 2,850 entries; staging and analytics are far from the quota
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    entriesOn('prod', LIMIT);
    const out = captureStdout();

    // act
    const result = (await handler(loadEvent('iam/tag-role'), lambdaContext())) as Array<{ clusters: Array<{ cluster: string; action: string; quota?: unknown }> }>;
    out.restore();

    // assert
    const created = eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input.clusterName).sort();
    expect(created).toEqual(['analytics', 'staging']);
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.clusterName)).not.toContain('prod');
    expect(result[0]!.clusters.find((c) => c.cluster === 'prod')).toMatchObject({ action: 'quota-refused', quota: { used: LIMIT, limit: LIMIT } });
    expect(out.logs('access entry quota reached')).toEqual([
      expect.objectContaining({ level: 'WARN', principal: ROLE_ARN, cluster: 'prod', region: 'eu-west-1', used: LIMIT, limit: LIMIT, action: 'quota-refused' }),
    ]);
    expect(out.logs('access decision').map((l) => l.cluster).sort()).toEqual(['analytics', 'staging']);
    expect(out.metricNames()).toContain('QuotaRefused');
  });

  it('grants while the new entry stays within the headroom (2,849 entries before it)', async () => {
    iam.on(GetRoleCommand).resolves(role({ 'eks-access': 'view' }));
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    entriesOn('prod', LIMIT - 1);
    const out = captureStdout();

    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();

    expect(eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input.clusterName)).toContain('prod');
    expect(out.metricNames()).not.toContain('QuotaRefused');
  });

  it.each([
    ['a level change', { 'eks-access': 'edit' }, [], 'change'],
    ['a change of groups (delete and re-create)', { 'eks-access': 'view', 'eks-access-groups': 'pod-readers' }, ['log-readers'], 'replace'],
    ['a revoke', {}, [], 'revoke'],
  ])('never holds %s of an existing entry against the quota, and does not count the entries for it', async (_label, tags, groups, action) => {
    // arrange: every cluster is past the headroom; the principal's entry exists everywhere
    iam.on(GetRoleCommand).resolves(role(tags));
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', kubernetesGroups: groups, tags: OWN_TAGS } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    for (const c of ['prod', 'staging', 'analytics']) entriesOn(c, 3000);
    const out = captureStdout();

    // act
    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();

    // assert
    expect(out.logs('access decision').map((l) => l.action)).toEqual([action, action, action]);
    expect(out.metricNames()).not.toContain('QuotaRefused');
    expect(eks.commandCalls(ListAccessEntriesCommand)).toHaveLength(0);
  });
});
