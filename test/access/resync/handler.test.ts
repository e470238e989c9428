import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AssociateAccessPolicyCommand, CreateAccessEntryCommand, DeleteAccessEntryCommand, ListAccessEntriesCommand, UpdateAccessEntryCommand } from '@aws-sdk/client-eks';
import { GetAccountAuthorizationDetailsCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { eksEntries } from '#access/adapters/entries';
import { resyncAll } from '#access/reconcile';
import { iamReader } from '#platform/iam-principals';
import { AwsModel } from '#sandbox/model/index';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { testRuntime, ACCOUNT } from '#test/helpers/config';
import { captureStdout, lambdaContext, type CapturedOutput } from '#test/helpers/lambda';

// staging is in API_AND_CONFIG_MAP and opted in; legacy is in API_AND_CONFIG_MAP and is not.
const runtime = testRuntime({
  clusters: [
    { name: 'prod', region: 'eu-west-1' },
    { name: 'staging', region: 'eu-west-1', manageInApiAndConfigMap: true },
    { name: 'analytics', region: 'us-east-1' },
    { name: 'legacy', region: 'eu-west-1' },
  ],
});
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [] });
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
let model: AwsModel;
let mocks: ModelMocks;
let out: CapturedOutput;

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(runtime));
  ({ handler } = await import('#access/resync/handler'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  model = new AwsModel({ accountId: ACCOUNT });
  model.eks.addCluster({ name: 'prod', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  model.eks.addCluster({ name: 'staging', region: 'eu-west-1', authenticationMode: 'API_AND_CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' });
  model.eks.addCluster({ name: 'analytics', region: 'us-east-1', authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' });
  model.eks.addCluster({ name: 'legacy', region: 'eu-west-1', authenticationMode: 'API_AND_CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' });
  mocks = bindModelToSdkMocks(model);
  out = captureStdout();
});
afterEach(() => {
  out.restore();
  mocks.restore();
});

const arn = (kind: 'role' | 'user', pathAndName: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${pathAndName}`;
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const tagOwned = (id: string) => ({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': id });

/**
 * Runs `change` right after the resync has read IAM (the account's one page of principals)
 * and before it reads any entry: what happens when IAM and the provisioner act during a sweep.
 */
function duringSweep(change: () => void): void {
  mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake((input: Parameters<AwsModel['iam']['getAccountAuthorizationDetails']>[0]) => {
    const page = model.iam.getAccountAuthorizationDetails(input);
    change();
    return { ...page, $metadata: {} };
  });
}

/** What the provisioner does on the TagRole event of a `view` role: create the entry and associate the policy. */
function provisionerGrants(cluster: string, principalArn: string, id: string): void {
  model.eks.createAccessEntry('eu-west-1', { clusterName: cluster, principalArn, tags: tagOwned(id) });
  model.eks.associateAccessPolicy('eu-west-1', { clusterName: cluster, principalArn, policyArn: VIEW, accessScope: { type: 'cluster' } });
}

describe('resync handler', () => {
  it('repairs drift both ways, leaves foreign entries alone, and reports CONFIG_MAP clusters without failing', async () => {
    // arrange: a tagged role whose TagRole event was lost; an orphaned managed entry of a
    // role deleted while its DeleteRole event was lost; a hand-made entry of an untagged role
    model.iam.createRole({ RoleName: 'deployer', Path: '/teams/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    model.iam.createRole({ RoleName: 'gone', AssumeRolePolicyDocument: TRUST });
    const goneId = model.iam.getRole({ RoleName: 'gone' }).Role!.RoleId!;
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'gone'), tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': goneId } });
    model.iam.deleteRole({ RoleName: 'gone' });
    model.iam.createRole({ RoleName: 'handmade', AssumeRolePolicyDocument: TRUST });
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'handmade') });

    // act
    const result = await handler({}, lambdaContext('resync'));

    // assert
    const prod = model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod' }).accessEntries;
    expect(prod).toEqual(expect.arrayContaining([arn('role', 'teams/deployer'), arn('role', 'handmade')]));
    expect(prod).not.toContain(arn('role', 'gone'));
    expect(model.eks.listAccessEntries('eu-west-1', { clusterName: 'staging' }).accessEntries).toContain(arn('role', 'teams/deployer'));
    expect(result).toMatchObject({ principals: 2, changed: 3, failedClusters: [] });
    expect((result as { clustersNotReady: string[] }).clustersNotReady.sort()).toEqual(['analytics (us-east-1)', 'legacy (eu-west-1)']);
    expect(out.logs('cluster skipped')).toHaveLength(2);
  });

  it('leaves an API_AND_CONFIG_MAP cluster that is not opted in alone, where an entry would override aws-auth, and reports it', async () => {
    // arrange: a role aws-auth may map to system:masters on legacy, tagged view; a managed
    // entry on legacy whose principal is gone (it would be revoked on an opted-in cluster)
    model.iam.createRole({ RoleName: 'platform-admin', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    model.iam.createRole({ RoleName: 'gone', AssumeRolePolicyDocument: TRUST });
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'legacy', principalArn: arn('role', 'gone'), tags: tagOwned(model.iam.getRole({ RoleName: 'gone' }).Role!.RoleId!) });
    model.iam.deleteRole({ RoleName: 'gone' });

    // act
    const result = await handler({}, lambdaContext('resync'));

    // assert: no entry read or written on legacy; staging (opted in) and prod (API) granted
    const onLegacy = mocks.eks.calls().filter((c) => (c.args[0].input as { clusterName?: string }).clusterName === 'legacy');
    expect(onLegacy).toHaveLength(0);
    expect(model.eks.listAccessEntries('eu-west-1', { clusterName: 'legacy' }).accessEntries).toEqual([arn('role', 'gone')]);
    for (const c of ['prod', 'staging']) {
      expect(model.eks.listAccessEntries('eu-west-1', { clusterName: c }).accessEntries).toEqual([arn('role', 'platform-admin')]);
    }
    expect(result).toMatchObject({ clustersNotReady: expect.arrayContaining(['legacy (eu-west-1)']), failedClusters: [] });
    expect(out.logs('cluster skipped').find((l) => l.cluster === 'legacy (eu-west-1)')).toMatchObject({
      level: 'WARN',
      reason: expect.stringContaining("an access entry would override the principal's aws-auth mapping"),
    });
  });

  it('makes zero writes when everything is in sync', async () => {
    model.iam.createUser({ UserName: 'carol', Tags: [{ Key: 'eks-access', Value: 'edit' }, { Key: 'eks-access-namespaces', Value: 'team-a' }] });
    await handler({}, lambdaContext('resync'));
    const writes = () => mocks.eks.commandCalls(CreateAccessEntryCommand).length + mocks.eks.commandCalls(DeleteAccessEntryCommand).length;
    const before = writes();
    const second = await handler({}, lambdaContext('resync'));
    expect(before).toBe(2);
    expect(writes()).toBe(before);
    expect(second).toMatchObject({ changed: 0 });
  });

  it('repairs changed groups by re-creating the entry (never UpdateAccessEntry), then writes nothing on the next sweep', async () => {
    model.iam.createRole({ RoleName: 'reader', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-groups', Value: 'pod-readers' }] });
    await handler({}, lambdaContext('resync'));
    // Drift behind the provisioner's back: someone with more rights changed the groups.
    model.eks.updateAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'reader'), kubernetesGroups: ['log-readers'] });
    const writes = () =>
      mocks.eks.commandCalls(CreateAccessEntryCommand).length +
      mocks.eks.commandCalls(DeleteAccessEntryCommand).length +
      mocks.eks.commandCalls(AssociateAccessPolicyCommand).length +
      mocks.eks.commandCalls(UpdateAccessEntryCommand).length;
    const before = writes();
    await handler({}, lambdaContext('resync'));
    expect(mocks.eks.commandCalls(UpdateAccessEntryCommand)).toHaveLength(0);
    expect(writes() - before).toBe(3);
    const entry = model.eks.describeAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'reader') }).accessEntry!;
    expect(entry.kubernetesGroups).toEqual(['pod-readers']);
    expect(entry.tags).toMatchObject({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag' });
    expect(model.eks.listAssociatedAccessPolicies('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'reader') }).associatedAccessPolicies?.map((p) => p.policyArn)).toEqual([VIEW]);
    expect(out.logs('access decision')).toContainEqual(expect.objectContaining({ action: 'replace', reason: expect.stringContaining('groups changed: entry re-created') }));
    const settled = writes();
    expect(await handler({}, lambdaContext('resync'))).toMatchObject({ changed: 0 });
    expect(writes()).toBe(settled);
  });

  it('revokes the entry of a role re-created under another path, and grants the new ARN', async () => {
    model.iam.createRole({ RoleName: 'mover', Path: '/old/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    await handler({}, lambdaContext('resync'));
    model.iam.deleteRole({ RoleName: 'mover' });
    model.iam.createRole({ RoleName: 'mover', Path: '/new/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    await handler({}, lambdaContext('resync'));
    const prod = model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod' }).accessEntries;
    expect(prod).toEqual([arn('role', 'new/mover')]);
  });

  it("leaves a migration's entries alone, although their principals have no access tags", async () => {
    model.iam.createRole({ RoleName: 'platform-admin', AssumeRolePolicyDocument: TRUST });
    const migrated = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/prod-to-api' };
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'platform-admin'), tags: migrated });
    model.eks.associateAccessPolicy('eu-west-1', {
      clusterName: 'prod',
      principalArn: arn('role', 'platform-admin'),
      policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
      accessScope: { type: 'cluster' },
    });

    const result = await handler({}, lambdaContext('resync'));

    expect(model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod' }).accessEntries).toEqual([arn('role', 'platform-admin')]);
    expect(model.eks.listAssociatedAccessPolicies('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'platform-admin') }).associatedAccessPolicies).toHaveLength(1);
    expect(result).toMatchObject({ changed: 0 });
  });

  describe('acts on current IAM, not on the snapshot it read at the start of the sweep', () => {
    it('does not re-create the entry of a role whose tag was removed, and whose entry the provisioner deleted, during the sweep', async () => {
      // arrange: x is tagged and granted on prod and staging; during the sweep security removes
      // the tag and the provisioner deletes both entries
      model.iam.createRole({ RoleName: 'x', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
      const id = model.iam.getRole({ RoleName: 'x' }).Role!.RoleId!;
      for (const c of ['prod', 'staging']) provisionerGrants(c, arn('role', 'x'), id);
      duringSweep(() => {
        model.iam.untagRole({ RoleName: 'x', TagKeys: ['eks-access'] });
        for (const c of ['prod', 'staging']) model.eks.deleteAccessEntry('eu-west-1', { clusterName: c, principalArn: arn('role', 'x') });
      });

      // act
      const result = await handler({}, lambdaContext('resync'));

      // assert: the snapshot said "grant"; current IAM says nothing, so nothing is written
      for (const c of ['prod', 'staging']) {
        expect(model.eks.listAccessEntries('eu-west-1', { clusterName: c }).accessEntries).not.toContain(arn('role', 'x'));
      }
      expect(mocks.eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(0);
      expect(result).toMatchObject({ changed: 0 });
    });

    it.each([
      ['created and tagged', false],
      ['tagged', true],
    ])('keeps the entry of a role %s during the sweep and granted by the provisioner', async (_, existedBefore) => {
      // arrange: the snapshot has no role y (an orphan entry) or an untagged one (a revoke)
      if (existedBefore) model.iam.createRole({ RoleName: 'y', AssumeRolePolicyDocument: TRUST });
      duringSweep(() => {
        if (existedBefore) model.iam.tagRole({ RoleName: 'y', Tags: [{ Key: 'eks-access', Value: 'view' }] });
        else model.iam.createRole({ RoleName: 'y', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
        const id = model.iam.getRole({ RoleName: 'y' }).Role!.RoleId!;
        for (const c of ['prod', 'staging']) provisionerGrants(c, arn('role', 'y'), id);
      });

      // act
      const result = await handler({}, lambdaContext('resync'));

      // assert: y keeps its view entry everywhere; only the drifted pairs were read again
      for (const c of ['prod', 'staging']) {
        expect(model.eks.listAccessEntries('eu-west-1', { clusterName: c }).accessEntries).toContain(arn('role', 'y'));
        expect(model.eks.listAssociatedAccessPolicies('eu-west-1', { clusterName: c, principalArn: arn('role', 'y') }).associatedAccessPolicies).toHaveLength(1);
      }
      expect(mocks.eks.commandCalls(DeleteAccessEntryCommand)).toHaveLength(0);
      expect(mocks.iam.commandCalls(GetRoleCommand)).toHaveLength(2);
      expect(result).toMatchObject({ changed: 0 });
    });

    it('reads nothing more than the snapshot and the entries when everything is in sync', async () => {
      model.iam.createRole({ RoleName: 'z', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
      await handler({}, lambdaContext('resync'));
      mocks.iam.resetHistory();

      await handler({}, lambdaContext('resync'));

      expect(mocks.iam.commandCalls(GetRoleCommand)).toHaveLength(0);
    });
  });
});

// The sweep shares the reconcile core, so it inherits the access-entry quota (issue 10, item 6);
// a headroom of 1 % (30 of EKS's 3,000) keeps the cluster small enough to fill in a test.
describe('resync: the access-entry quota', () => {
  const small = testRuntime({ clusters: [{ name: 'prod', region: 'eu-west-1' }], accessEntryHeadroomPercent: 1 });
  const deps = () => ({ runtime: small, iam: iamReader(), clusters: [eksEntries(small.config.clusters[0]!)] });

  it('holds each create of one sweep against the count so far: fills the cluster to the headroom, refuses the rest, lists the cluster once', async () => {
    // arrange: 27 entries of another account's roles; five tagged roles without an entry
    for (let i = 0; i < 27; i++) model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: `arn:aws:iam::444455556666:role/other-${i}` });
    for (let i = 0; i < 5; i++) model.iam.createRole({ RoleName: `team-${i}`, AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });

    // act
    const summary = await resyncAll(deps());

    // assert
    const actions = summary.outcomes.flatMap((o) => o.clusters.map((c) => c.action)).sort();
    expect(actions).toEqual(['grant', 'grant', 'grant', 'quota-refused', 'quota-refused']);
    expect(model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod' }).accessEntries).toHaveLength(30);
    const refused = summary.outcomes.flatMap((o) => o.clusters).filter((c) => c.action === 'quota-refused');
    for (const r of refused) expect(r.quota).toEqual({ used: 30, limit: 30 });
    expect(mocks.eks.commandCalls(ListAccessEntriesCommand)).toHaveLength(1);
    expect(summary.failedClusters).toEqual([]);
  });

  it('still revokes and repairs at the headroom: only new entries are refused', async () => {
    // arrange: the cluster is at the limit, one of its entries is an orphan of a deleted role
    for (let i = 0; i < 29; i++) model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: `arn:aws:iam::444455556666:role/other-${i}` });
    model.iam.createRole({ RoleName: 'gone', AssumeRolePolicyDocument: TRUST });
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: arn('role', 'gone'), tags: tagOwned(model.iam.getRole({ RoleName: 'gone' }).Role!.RoleId!) });
    model.iam.deleteRole({ RoleName: 'gone' });

    // act
    const summary = await resyncAll(deps());

    // assert
    expect(summary.outcomes.flatMap((o) => o.clusters.map((c) => c.action))).toEqual(['revoke']);
    expect(model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod' }).accessEntries).not.toContain(arn('role', 'gone'));
  });
});
