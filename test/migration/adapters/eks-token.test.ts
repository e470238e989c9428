// The EKS bearer token presigns STS GetCallerIdentity on the regional STS host of the cluster's
// partition: aws-iam-authenticator accepts only its partition's regional STS hosts
// (pkg/token/token.go, stsHostsForPartition), and in the China Regions those end in
// .amazonaws.com.cn (AWS General Reference, "AWS service endpoints").
import { describe, expect, it } from 'vitest';
import { CLUSTER_ID_HEADER, TOKEN_PREFIX, eksToken } from '#migration/adapters/eks-token';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

async function presignedUrl(region: string): Promise<URL> {
  const token = await eksToken({ clusterName: 'prod', region, credentials, signingDate: new Date('2026-01-01T00:00:00Z') });
  return new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
}

describe('eksToken', () => {
  it.each([
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'sts.cn-northwest-1.amazonaws.com.cn'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com'],
  ])('presigns for %s on %s, signed for that region, with the cluster header signed', async (region, host) => {
    const url = await presignedUrl(region);

    expect(url.hostname).toBe(host);
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`/${region}/sts/aws4_request$`));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(`host;${CLUSTER_ID_HEADER}`);
  });
});
