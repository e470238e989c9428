import { CreateNodegroupCommand, DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { GetRoleCommand, ListRolesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGION, createWorld, rejectionOf, type World } from './world.ts';

let w: World;
beforeEach(() => {
  w = createWorld();
});
afterEach(() => w.mocks.restore());

describe('bindModelToSdkMocks', () => {
  it('serves EKS in the region of the calling client', async () => {
    w.model.eks.addCluster({ name: 'prod', region: 'ap-south-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.5' });
    const there = new EKSClient({ region: 'ap-south-1' });
    expect((await there.send(new DescribeClusterCommand({ name: 'prod' }))).cluster!.arn).toBe('arn:aws:eks:ap-south-1:111122223333:cluster/prod');
    expect(await rejectionOf(w.eks.send(new DescribeClusterCommand({ name: 'prod' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects with the real SDK exception classes, so instanceof and name checks work', async () => {
    const err = await rejectionOf(w.iam.send(new GetRoleCommand({ RoleName: 'ghost' })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(err.name).toBe('NoSuchEntityException');
    expect((err as NoSuchEntityException).$fault).toBe('client');
  });

  it('names the command it does not model instead of returning undefined', async () => {
    expect((await rejectionOf(w.iam.send(new ListRolesCommand({})))).message).toBe('sandbox model: IAM command ListRolesCommand is not modelled');
    const err = await rejectionOf(
      w.eks.send(new CreateNodegroupCommand({ clusterName: 'prod', nodegroupName: 'ng', subnets: [], nodeRole: 'r' })),
    );
    expect(err.message).toBe('sandbox model: EKS command CreateNodegroupCommand is not modelled');
  });

  it('counts calls per operation, failed ones included', async () => {
    await rejectionOf(w.iam.send(new GetRoleCommand({ RoleName: 'ghost' })));
    await w.createRole('app');
    await w.iam.send(new GetRoleCommand({ RoleName: 'app' }));
    w.model.eks.addCluster({ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.5' });
    await w.eks.send(new DescribeClusterCommand({ name: 'prod' }));
    expect(w.model.iam.calls.get('GetRole')).toBe(2);
    expect(w.model.iam.calls.get('CreateRole')).toBe(1);
    expect(w.model.eks.calls.get('DescribeCluster')).toBe(1);
  });

  it('hands out copies: changing a response does not change the model', async () => {
    w.model.eks.addCluster({ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.5' });
    const first = (await w.eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster!;
    first.accessConfig!.authenticationMode = 'CONFIG_MAP';
    expect((await w.eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster!.accessConfig!.authenticationMode).toBe('API');
  });

  it('gives the real send back after restore', async () => {
    w.mocks.restore();
    const client = new EKSClient({ region: REGION, endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const err = await rejectionOf(client.send(new DescribeClusterCommand({ name: 'prod' })));
    expect(err.message).not.toContain('sandbox model');
    w = createWorld();
  });
});
