// The adapters both features share (functions/platform): what each AWS answer means, and that
// lists go through every page.
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { GetAccountAuthorizationDetailsCommand, GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { EntryExistsError, accessEntries } from '#platform/access-entries';
import { iamClient } from '#platform/clients';
import { localContext } from '#platform/local-context';
import { ClusterNotFoundError, describeCluster } from '#platform/clusters';
import { iamReader } from '#platform/iam-principals';

const ACCOUNT = '111122223333';
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const EDIT = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const meta = { $metadata: {} };
const notFound = () => new ResourceNotFoundException({ message: 'not found', $metadata: {} });

const eks = mockClient(EKSClient);
const iam = mockClient(IAMClient);
afterEach(() => {
  eks.reset();
  iam.reset();
});

describe('accessEntries (platform)', () => {
  const client = new EKSClient({ region: 'eu-west-1' });
  const entries = accessEntries(client, 'prod');

  it('lists principal ARNs across every page of ListAccessEntries', async () => {
    // arrange
    eks.on(ListAccessEntriesCommand, { clusterName: 'prod', nextToken: undefined }).resolves({ accessEntries: [role('a'), role('b')], nextToken: 't1' });
    eks.on(ListAccessEntriesCommand, { clusterName: 'prod', nextToken: 't1' }).resolves({ accessEntries: [role('c')] });
    // act
    const arns = await entries.listPrincipalArns();
    // assert
    expect(arns).toEqual([role('a'), role('b'), role('c')]);
    expect(eks.commandCalls(ListAccessEntriesCommand).map((c) => c.args[0].input.maxResults)).toEqual([100, 100]);
  });

  it('reads the policies of a STANDARD entry across pages, sorted, scopes normalised', async () => {
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: role('a'), type: 'STANDARD', kubernetesGroups: ['b', 'a'], tags: { x: 'y' } } });
    eks.on(ListAssociatedAccessPoliciesCommand, { nextToken: undefined }).resolves({
      associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'namespace', namespaces: ['z', 'm'] } }],
      nextToken: 'p2',
    });
    eks.on(ListAssociatedAccessPoliciesCommand, { nextToken: 'p2' }).resolves({ associatedAccessPolicies: [{ policyArn: EDIT, accessScope: { type: 'cluster' } }] });

    const entry = await entries.describe(role('a'));

    expect(entry).toEqual({
      principalArn: role('a'),
      type: 'STANDARD',
      kubernetesGroups: ['a', 'b'],
      tags: { x: 'y' },
      policies: [
        { policyArn: EDIT, accessScope: { type: 'cluster' } },
        { policyArn: VIEW, accessScope: { type: 'namespace', namespaces: ['m', 'z'] } },
      ],
    });
  });

  it('never asks for the policies of a node or Fargate entry (EKS refuses it for non-STANDARD types)', async () => {
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: role('nodes'), type: 'EC2_LINUX', username: 'system:node:{{EC2PrivateDNSName}}', kubernetesGroups: ['system:nodes'] } });

    const entry = await entries.describe(role('nodes'));

    expect(entry).toMatchObject({ type: 'EC2_LINUX', username: 'system:node:{{EC2PrivateDNSName}}', policies: [] });
    expect(eks.commandCalls(ListAssociatedAccessPoliciesCommand)).toHaveLength(0);
  });

  it('reads policies only for the entries the caller asks for', async () => {
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: role('a'), type: 'STANDARD', tags: {} } });

    await entries.describe(role('a'), { policies: (e) => e.tags['managed-by'] === 'eks-access-pilot' });

    expect(eks.commandCalls(ListAssociatedAccessPoliciesCommand)).toHaveLength(0);
  });

  it('answers null for a missing entry and false for deleting or disassociating what is already gone', async () => {
    eks.on(DescribeAccessEntryCommand).rejects(notFound());
    eks.on(DeleteAccessEntryCommand).rejects(notFound());
    eks.on(DisassociateAccessPolicyCommand).rejects(notFound());

    expect(await entries.describe(role('gone'))).toBeNull();
    expect(await entries.remove(role('gone'))).toBe(false);
    expect(await entries.disassociate(role('gone'), VIEW)).toBe(false);
  });

  it('turns ResourceInUseException on create into EntryExistsError, and sends no username or groups for node types', async () => {
    eks.on(CreateAccessEntryCommand, { principalArn: role('a') }).rejects(new ResourceInUseException({ message: 'exists', $metadata: {} }));
    eks.on(CreateAccessEntryCommand, { principalArn: role('nodes') }).resolves(meta);

    await expect(entries.create({ principalArn: role('a'), tags: {} })).rejects.toBeInstanceOf(EntryExistsError);
    await entries.create({ principalArn: role('nodes'), type: 'EC2_LINUX', username: 'ignored', kubernetesGroups: ['g'], tags: { t: 'v' } });

    expect(eks.commandCalls(CreateAccessEntryCommand, { principalArn: role('nodes') })[0]?.args[0].input).toEqual({ clusterName: 'prod', principalArn: role('nodes'), type: 'EC2_LINUX', tags: { t: 'v' } });
  });
});

describe('describeCluster (platform)', () => {
  const client = new EKSClient({ region: 'eu-west-1' });

  it('reads a cluster that reports no authentication mode as CONFIG_MAP (the API default)', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'old', arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/old', status: 'ACTIVE', version: '1.29' } });

    const c = await describeCluster(client, 'old');

    expect(c).toMatchObject({ name: 'old', status: 'ACTIVE', authenticationMode: 'CONFIG_MAP', endpoint: '', caData: '' });
  });

  it('throws ClusterNotFoundError naming the cluster and region when it does not exist', async () => {
    eks.on(DescribeClusterCommand).rejects(notFound());

    await expect(describeCluster(client, 'nope')).rejects.toThrow(new ClusterNotFoundError('nope', 'eu-west-1'));
  });
});

describe('iamReader (platform)', () => {
  const client = new IAMClient({ region: 'us-east-1' });

  it('reads every role and user across GetAccountAuthorizationDetails pages', async () => {
    iam.on(GetAccountAuthorizationDetailsCommand, { Marker: undefined }).resolves({
      RoleDetailList: [{ RoleName: 'a', Arn: role('a'), RoleId: 'AROA1', Path: '/', Tags: [{ Key: 'eks-access', Value: 'view' }] }],
      IsTruncated: true,
      Marker: 'm1',
    });
    iam.on(GetAccountAuthorizationDetailsCommand, { Marker: 'm1' }).resolves({
      UserDetailList: [{ UserName: 'u', Arn: `arn:aws:iam::${ACCOUNT}:user/ci/u`, UserId: 'AIDA1', Path: '/ci/' }],
      IsTruncated: false,
    });

    const all = [];
    for await (const p of iamReader(client).listPrincipals()) all.push(p);

    expect(all).toEqual([
      { kind: 'role', name: 'a', arn: role('a'), path: '/', id: 'AROA1', tags: { 'eks-access': 'view' } },
      { kind: 'user', name: 'u', arn: `arn:aws:iam::${ACCOUNT}:user/ci/u`, path: '/ci/', id: 'AIDA1', tags: {} },
    ]);
  });

  it('answers null for a principal that does not exist', async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'no such role', $metadata: {} }));

    expect(await iamReader(client).getPrincipal({ kind: 'role', name: 'gone' })).toBeNull();
  });
});

describe('clients and the local context follow the partition (platform)', () => {
  it.each([
    ['eu-west-1', 'us-east-1'],
    ['cn-northwest-1', 'cn-north-1'],
    ['us-gov-east-1', 'us-gov-west-1'],
  ])("calls IAM from %s in its partition's IAM region %s, one client per partition", async (region, signingRegion) => {
    const client = iamClient(region);

    expect(await client.config.region()).toBe(signingRegion);
    expect(iamClient(signingRegion)).toBe(client);
  });

  it("gives a local Lambda context a function ARN of the region's partition", () => {
    expect(localContext('fn', { region: 'cn-north-1', account: ACCOUNT }).invokedFunctionArn).toBe(`arn:aws-cn:lambda:cn-north-1:${ACCOUNT}:function:fn`);
    expect(localContext('fn', { region: 'us-gov-west-1', account: ACCOUNT }).invokedFunctionArn).toBe(`arn:aws-us-gov:lambda:us-gov-west-1:${ACCOUNT}:function:fn`);
  });
});
