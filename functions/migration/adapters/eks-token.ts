/**
 * A bearer token for the Kubernetes API of an EKS cluster, built the way `aws eks get-token`
 * and aws-iam-authenticator build it: `k8s-aws-v1.` + unpadded base64url of a presigned STS
 * GetCallerIdentity URL whose signature covers the `x-k8s-aws-id: <cluster>` header. The
 * authenticator replays the URL against STS to learn who is calling, so the header must stay
 * a signed header (not hoisted into the query) and the URL must be short-lived.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { stsHost } from '#kernel/partition';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** aws-iam-authenticator rejects URLs presigned for longer than 60 s (X-Amz-Expires=60). */
const PRESIGN_SECONDS = 60;

export interface TokenOptions {
  clusterName: string;
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** For tests: the signing time. */
  signingDate?: Date;
}

export async function eksToken({ clusterName, region, credentials, signingDate }: TokenOptions): Promise<string> {
  const signer = new SignatureV4({
    credentials: credentials ?? fromNodeProviderChain(),
    region,
    service: 'sts',
    sha256: Sha256,
  });
  // The regional STS host of the cluster's partition (sts.<region>.amazonaws.com.cn in China):
  // the authenticator accepts no other host (kernel/partition.ts).
  const hostname = stsHost(region);
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  });
  const signed = await signer.presign(request, {
    expiresIn: PRESIGN_SECONDS,
    signingDate,
    unhoistableHeaders: new Set([CLUSTER_ID_HEADER]),
  });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}
