import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CreateAccessEntryCommand, DeleteAccessEntryCommand } from '@aws-sdk/client-eks';
import { AwsModel } from '#sandbox/model/index';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { testRuntime, ACCOUNT } from '#test/helpers/config';
import { captureStdout, lambdaContext, type CapturedOutput } from '#test/helpers/lambda';

const runtime = testRuntime();
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [] });
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
let model: AwsModel;
let mocks: ModelMocks;
let out: CapturedOutput;

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(runtime));
  ({ handler } = await import('../../functions/resync/handler.ts'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  model = new AwsModel({ accountId: ACCOUNT });
  model.eks.addCluster({ name: 'prod', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  model.eks.addCluster({ name: 'staging', region: 'eu-west-1', authenticationMode: 'API_AND_CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' });
  model.eks.addCluster({ name: 'analytics', region: 'us-east-1', authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' });
  mocks = bindModelToSdkMocks(model);
  out = captureStdout();
});
afterEach(() => {
  out.restore();
  mocks.restore();
});

const arn = (kind: 'role' | 'user', pathAndName: string) => `arn:aws:iam::${ACCOUNT}:${kind}/${pathAndName}`;

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
    expect(result).toMatchObject({ principals: 2, changed: 3, clustersNotReady: ['analytics (us-east-1)'], failedClusters: [] });
    expect(out.logs('cluster skipped')).toHaveLength(1);
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
});
