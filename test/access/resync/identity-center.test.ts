// The resync and the roles IAM Identity Center creates: every such role is covered (the IAM
// listing holds every role, whatever its path), every permission set's tags are read once per
// sweep, and so a tag changed on a permission set — whose CloudTrail event is recorded in the
// Identity Center account, never here — is applied at the next resync.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateAccessEntryCommand, DeleteAccessEntryCommand } from '@aws-sdk/client-eks';
import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import { AccessDeniedException, ListPermissionSetsCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { AwsModel } from '#sandbox/model/index';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { testRuntime, ACCOUNT } from '#test/helpers/config';
import { INSTANCE_ARN, READ_ROLE_ARN, serveInstance, ssoCalls, type FakeInstance } from '#test/helpers/identity-center';
import { captureStdout, lambdaContext, type CapturedOutput } from '#test/helpers/lambda';

const runtime = testRuntime({
  clusters: [
    { name: 'prod', region: 'eu-west-1' },
    { name: 'staging', region: 'eu-west-1' },
  ],
  identityCenter: { instanceArn: INSTANCE_ARN, region: 'eu-west-1', readRoleArn: READ_ROLE_ARN, permissionSets: [{ name: 'Pinned', tags: { 'eks-access': 'view' } }] },
});
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const EDIT = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';
const REGIONAL = '/aws-reserved/sso.amazonaws.com/eu-west-1/';
const GLOBAL = '/aws-reserved/sso.amazonaws.com/';
const READ_ONLY = 'AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789';
const DATA = 'AWSReservedSSO_Data_Readers_fedcba9876543210';
const PINNED = 'AWSReservedSSO_Pinned_00112233445566aa';
const arnOf = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;

const sso = mockClient(SSOAdminClient);
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
let model: AwsModel;
let mocks: ModelMocks;
let out: CapturedOutput;
let instance: FakeInstance;

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(runtime));
  ({ handler } = await import('#access/resync/handler'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  model = new AwsModel({ accountId: ACCOUNT });
  for (const name of ['prod', 'staging']) model.eks.addCluster({ name, region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  mocks = bindModelToSdkMocks(model);
  instance = serveInstance(sso, [
    { name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } },
    { name: 'Data_Readers', tags: { 'eks-access/staging': 'edit' } },
    { name: 'Billing', tags: {} },
    // Pinned in the configuration: the configuration wins, so its instance tags are never used.
    { name: 'Pinned', tags: { 'eks-access': 'edit' } },
    { name: 'Unused', tags: { 'eks-access': 'edit' } },
  ]);
  out = captureStdout();
});
afterEach(() => {
  out.restore();
  mocks.restore();
  sso.reset();
});

function ssoRole(name: string, path: string, tags: Array<{ Key: string; Value: string }> = []): void {
  model.iam.createRole({ RoleName: name, Path: path, AssumeRolePolicyDocument: TRUST, Tags: tags });
}

/** The entry of a role on a cluster as EKS holds it: username, source, principal ID and policies. */
function entry(cluster: string, arn: string) {
  if (!model.eks.listAccessEntries('eu-west-1', { clusterName: cluster }).accessEntries?.includes(arn)) return undefined;
  const e = model.eks.describeAccessEntry('eu-west-1', { clusterName: cluster, principalArn: arn }).accessEntry!;
  const policies = model.eks.listAssociatedAccessPolicies('eu-west-1', { clusterName: cluster, principalArn: arn }).associatedAccessPolicies ?? [];
  return { username: e.username, source: e.tags?.['eks-access-pilot/source'], id: e.tags?.['eks-access-pilot/principal-id'], policies: policies.map((p) => p.policyArn) };
}

describe('resync: Identity Center roles', () => {
  it("grants every Identity Center role its permission set's access, reading each permission set once per sweep", async () => {
    // Tags on the roles themselves do not count (customers cannot set them; here they are set to prove it).
    ssoRole(READ_ONLY, REGIONAL, [{ Key: 'eks-access', Value: 'edit' }]);
    ssoRole(DATA, GLOBAL);
    ssoRole(PINNED, REGIONAL);
    ssoRole('AWSReservedSSO_Billing_99aa88bb77cc66dd', REGIONAL);
    model.iam.createRole({ RoleName: 'team-a', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });

    await handler({}, lambdaContext('resync'));

    const id = (name: string) => model.iam.getRole({ RoleName: name }).Role!.RoleId;
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))).toEqual({ username: 'sso:{{SessionName}}', source: 'identity-center', id: id(READ_ONLY), policies: [VIEW] });
    expect(entry('staging', arnOf(REGIONAL, READ_ONLY))).toMatchObject({ policies: [VIEW] });
    expect(entry('prod', arnOf(GLOBAL, DATA))).toBeUndefined();
    expect(entry('staging', arnOf(GLOBAL, DATA))).toEqual({ username: 'sso:{{SessionName}}', source: 'identity-center', id: id(DATA), policies: [EDIT] });
    expect(entry('prod', arnOf(REGIONAL, PINNED))).toMatchObject({ source: 'identity-center', policies: [VIEW] });
    expect(entry('prod', arnOf(REGIONAL, 'AWSReservedSSO_Billing_99aa88bb77cc66dd'))).toBeUndefined();
    expect(entry('prod', arnOf('/', 'team-a'))).toMatchObject({ source: 'tag', policies: [VIEW] });
    expect(entry('prod', arnOf('/', 'team-a'))?.username).not.toBe('sso:{{SessionName}}');
    // 5 sets: 1 ListPermissionSets page, then 5 DescribePermissionSet and 5 ListTagsForResource —
    // whatever the number of roles and clusters.
    expect(ssoCalls(sso)).toEqual([1, 5, 5]);
  });

  it('applies a tag changed on the permission set at the next resync: level changed, then access removed', async () => {
    ssoRole(READ_ONLY, REGIONAL);
    await handler({}, lambdaContext('resync'));
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))?.policies).toEqual([VIEW]);

    instance.setTags('PlatformReadOnly', { 'eks-access': 'edit', 'eks-access/staging': 'none' });
    await handler({}, lambdaContext('resync'));
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))?.policies).toEqual([EDIT]);
    expect(entry('staging', arnOf(REGIONAL, READ_ONLY))).toBeUndefined();

    instance.setTags('PlatformReadOnly', {});
    await handler({}, lambdaContext('resync'));
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))).toBeUndefined();
  });

  it('replaces the entry of a role Identity Center re-provisioned (same name, new unique ID) whose events were lost', async () => {
    ssoRole(READ_ONLY, REGIONAL);
    await handler({}, lambdaContext('resync'));
    model.iam.deleteRole({ RoleName: READ_ONLY });
    ssoRole(READ_ONLY, REGIONAL);
    const newId = model.iam.getRole({ RoleName: READ_ONLY }).Role!.RoleId;

    await handler({}, lambdaContext('resync'));

    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))).toMatchObject({ id: newId, policies: [VIEW], username: 'sso:{{SessionName}}' });
  });

  it('moves the entry when the re-provisioned role got a new suffix: the old ARN is an orphan, the new one is granted', async () => {
    ssoRole(READ_ONLY, REGIONAL);
    await handler({}, lambdaContext('resync'));
    model.iam.deleteRole({ RoleName: READ_ONLY });
    const renamed = 'AWSReservedSSO_PlatformReadOnly_1111222233334444';
    ssoRole(renamed, REGIONAL);

    await handler({}, lambdaContext('resync'));

    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))).toBeUndefined();
    expect(entry('prod', arnOf(REGIONAL, renamed))).toMatchObject({ source: 'identity-center', policies: [VIEW] });
  });

  it('leaves Identity Center roles untouched and reports the sweep incomplete when the instance cannot be read; other principals still converge', async () => {
    ssoRole(READ_ONLY, REGIONAL);
    await handler({}, lambdaContext('resync'));
    model.iam.createRole({ RoleName: 'team-a', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    sso.on(ListPermissionSetsCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform sso:ListPermissionSets', $metadata: {} }));
    const deletesBefore = mocks.eks.commandCalls(DeleteAccessEntryCommand).length;

    await expect(handler({}, lambdaContext('resync'))).rejects.toMatchObject({
      name: 'ReconcileFailedError',
      message: expect.stringContaining('Identity Center permission sets could not be read'),
    });

    expect(mocks.eks.commandCalls(DeleteAccessEntryCommand).length).toBe(deletesBefore);
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))?.policies).toEqual([VIEW]);
    expect(entry('prod', arnOf('/', 'team-a'))?.policies).toEqual([VIEW]);
    expect(out.logs('permission sets unreadable')[0]).toMatchObject({ rolesLeftAlone: [arnOf(REGIONAL, READ_ONLY)] });
  });

  it('leaves alone the entry of an Identity Center role that appears during the sweep, whose permission set was not read', async () => {
    // An orphaned identity-center entry (its role deleted, the DeleteRole event lost) ...
    ssoRole(READ_ONLY, REGIONAL);
    await handler({}, lambdaContext('resync'));
    model.iam.deleteRole({ RoleName: READ_ONLY });
    // ... whose role Identity Center provisions again right after the sweep listed IAM: the sweep
    // saw no Identity Center role, so it read no permission set.
    mocks.iam.on(GetAccountAuthorizationDetailsCommand).callsFake((input: Parameters<AwsModel['iam']['getAccountAuthorizationDetails']>[0]) => {
      const page = model.iam.getAccountAuthorizationDetails(input);
      if (!model.iam.principalExists(arnOf(REGIONAL, READ_ONLY))) ssoRole(READ_ONLY, REGIONAL);
      return { ...page, $metadata: {} };
    });
    const deletesBefore = mocks.eks.commandCalls(DeleteAccessEntryCommand).length;

    await handler({}, lambdaContext('resync'));

    expect(mocks.eks.commandCalls(DeleteAccessEntryCommand).length).toBe(deletesBefore);
    expect(out.logs('access decision').filter((l) => l.principal === arnOf(REGIONAL, READ_ONLY))).toContainEqual(
      expect.objectContaining({ action: 'skip', reason: expect.stringContaining("its permission set's tags were not read in this sweep") }),
    );
    // The next sweep lists the role, reads its permission set and replaces the stale entry.
    await handler({}, lambdaContext('resync'));
    expect(entry('prod', arnOf(REGIONAL, READ_ONLY))).toMatchObject({ id: model.iam.getRole({ RoleName: READ_ONLY }).Role!.RoleId, policies: [VIEW] });
  });

  it('reads no permission set when the account has no Identity Center role that needs the instance', async () => {
    model.iam.createRole({ RoleName: 'team-a', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    ssoRole(PINNED, REGIONAL); // answered by the configuration

    await handler({}, lambdaContext('resync'));

    expect(ssoCalls(sso)).toEqual([0, 0, 0]);
    expect(mocks.eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(4);
  });
});
