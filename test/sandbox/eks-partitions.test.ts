// The EKS model in each partition: ARNs, endpoints, default usernames and access policies follow
// the cluster's region (AWS General Reference, "Amazon Resource Names (ARNs)"; Service
// Authorization Reference, EKS resource types), as the SDK's partition data says.
import { InvalidParameterException, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { EksModel } from '#sandbox/model/eks';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';

const CASES = [
  { region: 'eu-west-1', partition: 'aws', other: 'aws-cn', suffix: 'amazonaws.com' },
  { region: 'cn-north-1', partition: 'aws-cn', other: 'aws', suffix: 'amazonaws.com.cn' },
  { region: 'us-gov-west-1', partition: 'aws-us-gov', other: 'aws', suffix: 'amazonaws.com' },
] as const;

/** Model calls answer synchronously; this turns a thrown error into a rejection for rejectionOf. */
const attempt = <T>(fn: () => T) => new Promise<T>((resolve) => resolve(fn()));

describe.each(CASES)('EksModel in $region ($partition)', ({ region, partition, other, suffix }) => {
  const role = (p: string, name: string) => `arn:${p}:iam::${ACCOUNT}:role/${name}`;
  const policy = (p: string, name: string) => `arn:${p}:eks::aws:cluster-access-policy/${name}`;

  function model(): EksModel {
    const m = new EksModel({ accountId: ACCOUNT, principalExists: () => true });
    m.addCluster({
      name: 'prod',
      region,
      authenticationMode: 'API',
      version: '1.31',
      platformVersion: 'eks.5',
      creatorArn: role(partition, 'creator'),
      nodeRoleArns: [role(partition, 'nodes')],
    });
    return m;
  }

  it('reports the cluster with an ARN and endpoint of its partition', () => {
    const { cluster } = model().describeCluster(region, { name: 'prod' });
    expect(cluster!.arn).toBe(`arn:${partition}:eks:${region}:${ACCOUNT}:cluster/prod`);
    expect(cluster!.endpoint).toBe(`https://PROD.gr7.${region}.eks.${suffix}`);
  });

  it("creates entries for the partition's principals, with ARNs and default usernames of the partition", () => {
    const m = model();
    const { accessEntry } = m.createAccessEntry(region, { clusterName: 'prod', principalArn: role(partition, 'dev') });
    expect(accessEntry!.accessEntryArn).toMatch(new RegExp(`^arn:${partition}:eks:${region}:${ACCOUNT}:access-entry/prod/role/${ACCOUNT}/dev/`));
    expect(accessEntry!.username).toBe(`arn:${partition}:sts::${ACCOUNT}:assumed-role/dev/{{SessionName}}`);
    expect(m.describeAccessEntry(region, { clusterName: 'prod', principalArn: role(partition, 'nodes') }).accessEntry!.accessEntryArn).toMatch(
      new RegExp(`^arn:${partition}:eks:`),
    );
  });

  it("refuses a principal of another partition as an invalid principal", async () => {
    const err = await rejectionOf(attempt(() => model().createAccessEntry(region, { clusterName: 'prod', principalArn: role(other, 'dev') })));
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe('The specified principalArn is invalid: invalid principal.');
  });

  it("lists and associates the partition's access policies, and not another partition's", async () => {
    const m = model();
    expect(m.listAccessPolicies(region).accessPolicies!.every((p) => p.arn!.startsWith(`arn:${partition}:eks::aws:cluster-access-policy/`))).toBe(true);
    const creator = m.listAssociatedAccessPolicies(region, { clusterName: 'prod', principalArn: role(partition, 'creator') });
    expect(creator.associatedAccessPolicies!.map((p) => p.policyArn)).toEqual([policy(partition, 'AmazonEKSClusterAdminPolicy')]);

    m.createAccessEntry(region, { clusterName: 'prod', principalArn: role(partition, 'dev') });
    const assoc = (policyArn: string) =>
      m.associateAccessPolicy(region, { clusterName: 'prod', principalArn: role(partition, 'dev'), policyArn, accessScope: { type: 'cluster' } });
    expect(assoc(policy(partition, 'AmazonEKSViewPolicy')).associatedAccessPolicy!.policyArn).toBe(policy(partition, 'AmazonEKSViewPolicy'));
    expect(await rejectionOf(attempt(() => assoc(policy(other, 'AmazonEKSEditPolicy'))))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses to seed a cluster whose node role is not an ARN of its partition', () => {
    const m = new EksModel({ accountId: ACCOUNT });
    expect(() =>
      m.addCluster({ name: 'x', region, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.5', nodeRoleArns: [role(other, 'nodes')] }),
    ).toThrow(`is not an IAM role or user ARN of partition ${partition}`);
  });
});
