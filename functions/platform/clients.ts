/**
 * SDK clients, created once per container (docs/architecture.md, "Layout": clients once, at
 * module scope). Throttling and transient errors are retried by the SDK's own retry strategy in
 * adaptive mode, which also rate-limits the client after a throttle; nothing here loops by hand.
 *
 * One module for every service: the SDK packages declare `"sideEffects": false`, so esbuild drops
 * the clients a function never calls (the provisioner's bundle carries no S3 client).
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { iamRegion, partitionOf, type Partition } from '#kernel/partition';

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

const iamClients = new Map<Partition, IAMClient>();

/**
 * IAM is a global service with one endpoint per partition: the client for the partition of
 * `region` (default: the function's own), signed in that partition's IAM region (us-east-1,
 * cn-north-1 or us-gov-west-1; kernel/partition.ts). Credentials of one partition are refused in
 * another, so a function in a China or GovCloud region must not call us-east-1.
 */
export function iamClient(region: string = process.env.AWS_REGION ?? 'us-east-1'): IAMClient {
  const partition = partitionOf(region);
  let client = iamClients.get(partition);
  if (!client) {
    client = new IAMClient({ region: iamRegion(partition), ...RETRY });
    iamClients.set(partition, client);
  }
  return client;
}

let s3: S3Client | undefined;

/** The stack's S3 client (the migration's documents live in the stack's own region). */
export function s3Client(): S3Client {
  s3 ??= new S3Client({ ...RETRY });
  return s3;
}

let sts: STSClient | undefined;

/** STS in the function's own region: who the function runs as. */
export function stsClient(): STSClient {
  sts ??= new STSClient({ ...RETRY });
  return sts;
}

let scheduler: SchedulerClient | undefined;

/** EventBridge Scheduler in the function's own region, where the expiry schedule group lives. */
export function schedulerClient(): SchedulerClient {
  scheduler ??= new SchedulerClient({ ...RETRY });
  return scheduler;
}

/** The session name the read role sees (CloudTrail in the Identity Center account shows it). */
export const IDENTITY_CENTER_READ_SESSION = 'eks-access-pilot';

const ssoAdminClients = new Map<string, SSOAdminClient>();

/**
 * sso-admin in the Identity Center instance's region, as the read-only role of the account that
 * administers Identity Center: the function's own credentials assume `readRoleArn`
 * (fromTemporaryCredentials, sts:AssumeRole, session IDENTITY_CENTER_READ_SESSION). STS is called
 * in the function's own region (`stsRegion`, a region the function's account has enabled, which
 * the instance's region need not be). The SDK caches the assumed credentials and assumes again
 * shortly before they expire (one hour by default): one AssumeRole per hour per warm container.
 */
export function ssoAdminClient(region: string, readRoleArn: string, stsRegion: string | undefined = process.env.AWS_REGION): SSOAdminClient {
  const key = `${region} ${readRoleArn}`;
  let client = ssoAdminClients.get(key);
  if (!client) {
    client = new SSOAdminClient({
      region,
      ...RETRY,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: readRoleArn, RoleSessionName: IDENTITY_CENTER_READ_SESSION },
        clientConfig: { ...RETRY, ...(stsRegion ? { region: stsRegion } : {}) },
      }),
    });
    ssoAdminClients.set(key, client);
  }
  return client;
}
