/**
 * AWS partitions: the one place that knows which partition a region is in and what follows from
 * it. Pure. Sources:
 *  - AWS General Reference, "Amazon Resource Names (ARNs)": `arn:partition:service:region:…`,
 *    "A partition is a group of AWS Regions. Each AWS account is scoped to one partition", the
 *    supported partitions being aws, aws-cn (China Regions) and aws-us-gov (GovCloud (US)).
 *  - AWS General Reference, "AWS service endpoints": regional endpoints are
 *    `<service>.<region>.amazonaws.com`, `.amazonaws.com.cn` in the China Regions.
 *  - Service Authorization Reference, Amazon EKS resource types: access policies are
 *    `arn:${Partition}:eks::aws:cluster-access-policy/${AccessPolicyName}`.
 * test/kernel/partition.test.ts holds this against the SDK's own partition data and endpoint
 * rule sets.
 */
import { EksAccessPilotError } from './errors.ts';

export const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type Partition = (typeof PARTITIONS)[number];

/** A region of a partition this system does not model (aws-iso*, aws-eusc, …). */
export class UnsupportedRegionError extends EksAccessPilotError {
  constructor(readonly region: string) {
    super(`region ${region} is not in a supported partition (${PARTITIONS.join(', ')})`);
    this.name = 'UnsupportedRegionError';
  }
}

// Region prefixes of the isolated partitions (aws-iso, aws-iso-b, aws-iso-e, aws-iso-f,
// aws-eusc): their regions look like commercial ones to a naive rule, so they are refused
// rather than given `aws` ARNs and hosts that do not exist there.
const OTHER_PARTITION_REGION = /^([a-z]{2}-iso[a-z]?-|eusc-)/;

/** The partition of a region: cn-* → aws-cn, us-gov-* → aws-us-gov, any other region → aws. */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (OTHER_PARTITION_REGION.test(region)) throw new UnsupportedRegionError(region);
  return 'aws';
}

/** Whether `partitionOf` answers for this region (instead of throwing). */
export function isSupportedRegion(region: string): boolean {
  return !OTHER_PARTITION_REGION.test(region);
}

/** The partition an ARN names (`arn:<partition>:…`), if it is one of ours. */
export function partitionOfArn(arn: string): Partition | undefined {
  const p = /^arn:([^:]+):/.exec(arn)?.[1];
  return (PARTITIONS as readonly string[]).includes(p ?? '') ? (p as Partition) : undefined;
}

/** The DNS suffix of the partition's regional endpoints. */
export function dnsSuffix(partition: Partition): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * The host of the regional STS endpoint. aws-iam-authenticator only accepts a token presigned
 * for one of its partition's regional STS hosts (pkg/token/token.go, stsHostsForPartition).
 */
export function stsHost(region: string): string {
  return `sts.${region}.${dnsSuffix(partitionOf(region))}`;
}

/**
 * The region IAM, a global service, is called and signed in: us-east-1, cn-north-1 and
 * us-gov-west-1 (AWS General Reference, "AWS Identity and Access Management endpoints and
 * quotas"; the same as the SDK's IAM endpoint rule set).
 */
export function iamRegion(partition: Partition): string {
  return { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' }[partition];
}

/** `arn:<partition>:eks::aws:cluster-access-policy/`: what every access policy ARN starts with. */
export function accessPolicyArnPrefix(partition: Partition): string {
  return `arn:${partition}:eks::aws:cluster-access-policy/`;
}

/** The ARN of the EKS access policy with this name in the partition. */
export function accessPolicyArn(partition: Partition, name: string): string {
  return accessPolicyArnPrefix(partition) + name;
}
