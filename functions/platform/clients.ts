/**
 * SDK clients, created once per container (style.md 3). Throttling and transient errors
 * are retried by the SDK's own retry strategy in adaptive mode, which also rate-limits
 * the client after a throttle; nothing here loops by hand.
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';

/** The retry configuration every client of the system uses. */
export const RETRY = { retryMode: 'adaptive', maxAttempts: 8 } as const;

const eksClients = new Map<string, EKSClient>();

/** The EKS client for a cluster's region (clusters may live outside the stack's region). */
export function eksClient(region: string): EKSClient {
  let client = eksClients.get(region);
  if (!client) {
    client = new EKSClient({ region, ...RETRY });
    eksClients.set(region, client);
  }
  return client;
}

let iam: IAMClient | undefined;

/** IAM is a global service; its endpoint is in us-east-1 (aws partition). */
export function iamClient(): IAMClient {
  iam ??= new IAMClient({ region: 'us-east-1', ...RETRY });
  return iam;
}

