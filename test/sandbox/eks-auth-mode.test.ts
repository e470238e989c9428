import {
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  InvalidParameterException,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  UpdateClusterConfigCommand,
  type AuthenticationMode,
} from '@aws-sdk/client-eks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterSeed } from '#sandbox/model/index';
import { REGION, createWorld, policy, rejectionOf, type World } from './world.ts';

const CLUSTER = 'prod';
let w: World;
afterEach(() => w.mocks.restore());

function seed(authenticationMode: AuthenticationMode, extra: Partial<ClusterSeed> = {}): void {
  w.model.eks.addCluster({ name: CLUSTER, region: REGION, authenticationMode, version: '1.31', platformVersion: 'eks.5', ...extra });
}
const switchTo = (authenticationMode: AuthenticationMode) =>
  w.eks.send(new UpdateClusterConfigCommand({ name: CLUSTER, accessConfig: { authenticationMode } }));
const describeUpdate = (updateId: string) => w.eks.send(new DescribeUpdateCommand({ name: CLUSTER, updateId }));
const mode = async () => (await w.eks.send(new DescribeClusterCommand({ name: CLUSTER }))).cluster!.accessConfig!.authenticationMode;

describe('EksModel authentication mode: one way, one step', () => {
  beforeEach(() => {
    w = createWorld({ updatePolls: 0 });
  });

  it.each<[AuthenticationMode, AuthenticationMode]>([
    ['CONFIG_MAP', 'API'],
    ['CONFIG_MAP', 'CONFIG_MAP'],
    ['API_AND_CONFIG_MAP', 'CONFIG_MAP'],
    ['API_AND_CONFIG_MAP', 'API_AND_CONFIG_MAP'],
    ['API', 'API_AND_CONFIG_MAP'],
    ['API', 'CONFIG_MAP'],
    ['API', 'API'],
  ])('refuses %s → %s with InvalidParameterException', async (from, to) => {
    seed(from);
    const err = await rejectionOf(switchTo(to));
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe(`Unsupported authentication mode update from ${from} to ${to}`);
    expect(await mode()).toBe(from);
  });

  it('moves CONFIG_MAP → API_AND_CONFIG_MAP → API', async () => {
    seed('CONFIG_MAP');
    await switchTo('API_AND_CONFIG_MAP');
    expect(await mode()).toBe('API_AND_CONFIG_MAP');
    await switchTo('API');
    expect(await mode()).toBe('API');
  });
});

describe('EksModel authentication mode: the update', () => {
  beforeEach(() => {
    w = createWorld({ updatePolls: 2 });
  });

  it('returns an InProgress AccessConfigUpdate that completes on the configured DescribeUpdate poll', async () => {
    seed('CONFIG_MAP');
    const { update } = await switchTo('API_AND_CONFIG_MAP');
    expect(update).toMatchObject({ status: 'InProgress', type: 'AccessConfigUpdate', params: [{ type: 'AuthenticationMode', value: '"API_AND_CONFIG_MAP"' }] });
    expect((await w.eks.send(new DescribeClusterCommand({ name: CLUSTER }))).cluster!.status).toBe('UPDATING');
    expect((await describeUpdate(update!.id!)).update!.status).toBe('InProgress');
    expect(await mode()).toBe('CONFIG_MAP');
    expect((await describeUpdate(update!.id!)).update!.status).toBe('Successful');
    const cluster = (await w.eks.send(new DescribeClusterCommand({ name: CLUSTER }))).cluster!;
    expect(cluster.status).toBe('ACTIVE');
    expect(cluster.accessConfig!.authenticationMode).toBe('API_AND_CONFIG_MAP');
  });

  it('allows one update at a time: a second switch while one runs is ResourceInUseException', async () => {
    seed('CONFIG_MAP');
    const { update } = await switchTo('API_AND_CONFIG_MAP');
    const err = await rejectionOf(switchTo('API'));
    expect(err).toBeInstanceOf(ResourceInUseException);
    expect(err.message).toBe(`Cannot AccessConfigUpdate because cluster ${CLUSTER} currently has update ${update!.id} in progress`);
  });

  it('completes by model time when updateDurationMs is set', async () => {
    let t = Date.parse('2025-01-01T00:00:00Z');
    w.mocks.restore();
    w = createWorld({ updatePolls: 1000, updateDurationMs: 60_000, now: () => new Date(t) });
    seed('CONFIG_MAP');
    await switchTo('API_AND_CONFIG_MAP');
    expect(await mode()).toBe('CONFIG_MAP');
    t += 60_000;
    expect(await mode()).toBe('API_AND_CONFIG_MAP');
  });

  it('can be made to fail: the update ends Failed with errors and the mode stays', async () => {
    seed('CONFIG_MAP');
    w.model.eks.failNextUpdate(REGION, CLUSTER, 'InsufficientFreeAddresses', 'no addresses');
    const { update } = await switchTo('API_AND_CONFIG_MAP');
    await describeUpdate(update!.id!);
    const done = (await describeUpdate(update!.id!)).update!;
    expect(done.status).toBe('Failed');
    expect(done.errors![0]).toMatchObject({ errorCode: 'InsufficientFreeAddresses', errorMessage: 'no addresses' });
    expect(await mode()).toBe('CONFIG_MAP');
  });

  it('refuses other config changes in the same request', async () => {
    seed('CONFIG_MAP');
    const err = await rejectionOf(
      w.eks.send(new UpdateClusterConfigCommand({ name: CLUSTER, accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' }, logging: { clusterLogging: [] } })),
    );
    expect(err).toBeInstanceOf(InvalidParameterException);
  });
});

describe('EksModel authentication mode: entries EKS creates itself', () => {
  beforeEach(() => {
    w = createWorld({ updatePolls: 0 });
  });

  it('creates node-group, Fargate and creator entries on the switch away from CONFIG_MAP', async () => {
    const node = await w.createRole('ng-role');
    const fargate = await w.createRole('fargate-pod-exec');
    const creator = await w.createRole('platform-admin');
    seed('CONFIG_MAP', { nodeRoleArns: [node], fargateRoleArns: [fargate], creatorArn: creator });
    await switchTo('API_AND_CONFIG_MAP');

    const entries = (await w.eks.send(new ListAccessEntriesCommand({ clusterName: CLUSTER }))).accessEntries!;
    expect(entries.sort()).toEqual([creator, fargate, node].sort());
    const type = async (principalArn: string) => (await w.eks.send(new DescribeAccessEntryCommand({ clusterName: CLUSTER, principalArn }))).accessEntry!.type;
    expect(await type(node)).toBe('EC2_LINUX');
    expect(await type(fargate)).toBe('FARGATE_LINUX');
    expect(await type(creator)).toBe('STANDARD');
    const policies = await w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: CLUSTER, principalArn: creator }));
    expect(policies.associatedAccessPolicies!.map((p) => [p.policyArn, p.accessScope!.type])).toEqual([[policy('AmazonEKSClusterAdminPolicy'), 'cluster']]);
  });

  it('creates no creator entry when bootstrap admin permissions were off', async () => {
    const creator = await w.createRole('platform-admin');
    seed('API_AND_CONFIG_MAP', { creatorArn: creator, bootstrapClusterCreatorAdminPermissions: false });
    expect((await w.eks.send(new ListAccessEntriesCommand({ clusterName: CLUSTER }))).accessEntries).toEqual([]);
  });

  it('refuses to seed a CONFIG_MAP cluster without bootstrap admin permissions, as CreateCluster does', () => {
    expect(() => seed('CONFIG_MAP', { bootstrapClusterCreatorAdminPermissions: false })).toThrow(InvalidParameterException);
  });
});
