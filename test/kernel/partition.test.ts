// The partition rule (functions/kernel/partition.ts) held against the SDK's own partition data
// and endpoint rule sets: the kernel may not import the SDK, this test may.
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { partition as sdkPartition } from '@aws-sdk/core/client';
import { describe, expect, it } from 'vitest';
import {
  UnsupportedRegionError,
  accessPolicyArn,
  dnsSuffix,
  iamRegion,
  isSupportedRegion,
  partitionOf,
  partitionOfArn,
  stsHost,
} from '#kernel/partition';

const REGIONS = [
  'us-east-1',
  'eu-west-1',
  'ap-southeast-7',
  'il-central-1',
  'mx-central-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'us-gov-east-1',
];

describe('partitionOf', () => {
  it.each(REGIONS)("puts %s in the SDK's partition, with the SDK's DNS suffix", (region) => {
    const sdk = sdkPartition(region);
    expect(partitionOf(region)).toBe(sdk.name);
    expect(dnsSuffix(partitionOf(region))).toBe(sdk.dnsSuffix);
  });

  it.each(['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'])(
    'refuses %s, a region of a partition it does not model',
    (region) => {
      expect(isSupportedRegion(region)).toBe(false);
      expect(() => partitionOf(region)).toThrow(UnsupportedRegionError);
      expect(sdkPartition(region).name).not.toBe('aws');
    },
  );

  it('reads the partition of an ARN, and only of the three it models', () => {
    expect(partitionOfArn('arn:aws-cn:iam::111122223333:role/x')).toBe('aws-cn');
    expect(partitionOfArn('arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSViewPolicy')).toBe('aws-us-gov');
    expect(partitionOfArn('arn:aws-iso:iam::111122223333:role/x')).toBeUndefined();
    expect(partitionOfArn('not-an-arn')).toBeUndefined();
  });
});

describe('what follows from the partition', () => {
  it.each(REGIONS)('%s: the STS host is the one the SDK resolves for regional STS', async (region) => {
    const sts = new STSClient({ region });
    const endpoint = await sts.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false, UseGlobalEndpoint: false });
    expect(stsHost(region)).toBe(endpoint.url.hostname);
  });

  it.each(REGIONS)("%s: IAM is signed in the region the SDK's IAM rule set gives the partition", async (region) => {
    const iam = new IAMClient({ region });
    const endpoint = await iam.config.endpointProvider({ Region: region, UseFIPS: false, UseDualStack: false });
    const scheme = (endpoint.properties?.authSchemes as Array<{ signingRegion?: string }> | undefined)?.[0];
    expect(iamRegion(partitionOf(region))).toBe(scheme?.signingRegion);
  });

  it('builds access policy ARNs in the partition (Service Authorization Reference, EKS resource types)', () => {
    expect(accessPolicyArn('aws', 'AmazonEKSViewPolicy')).toBe('arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy');
    expect(accessPolicyArn('aws-cn', 'AmazonEKSViewPolicy')).toBe('arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy');
    expect(accessPolicyArn('aws-us-gov', 'AmazonEKSEditPolicy')).toBe('arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSEditPolicy');
  });
});
