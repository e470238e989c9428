/**
 * SDK clients, created once per container (docs/architecture.md, "Layout": clients once, at
 * module scope). Throttling and transient errors are retried by the SDK's own retry strategy, with
 * one of two settings chosen by benchmark (RETRY for events and requests, SWEEP_RETRY for the
 * resync's sweep); nothing here loops by hand.
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
import { iamRegion, partitionOf } from '#kernel/partition';

/** An SDK retry setting: the mode and the attempts, nothing hand-written. */
export interface RetrySetting {
  readonly retryMode: 'standard' | 'adaptive';
  readonly maxAttempts: number;
}

/**
 * The retry setting of every client except the resync's: standard mode, 8 attempts, chosen by
 * `npm run bench throttled` (100 events x 10 clusters, one warm container; bench/throttling.ts).
 * A provisioner container sends a few calls per event, so the throttles it meets come from others
 * using the account's limits. Adaptive mode cuts a client to 0.5 requests/s after throttles it did
 * not cause, and the client stays there for the life of the container: with 30% of calls throttled
 * it did ~2 events in 45 s, where standard mode did all 100 in 775 s. At a 25/s per-operation
 * limit both reach the bound with no failures (two runs: standard 1.02x and 1.03x, adaptive 1.03x
 * and 1.19x). With 3 attempts half the events fail; a shorter throttle backoff (50 ms base)
 * empties the client's retry quota (500 tokens, 5 per throttled retry): 67 and 72 of 100 failed.
 */
export const RETRY: RetrySetting = { retryMode: 'standard', maxAttempts: 8 };

/**
 * The resync's setting: adaptive mode, 8 attempts. The sweep makes thousands of calls in a burst,
 * so the throttles it meets are its own rate's, which adaptive mode's client-side rate limiter is
 * made for. `npm run bench resync` (5,000 principals x 10 clusters at 100 calls/s per operation):
 * adaptive repaired all 100 drifted entries at 1.10x the bound; standard mode
 * (`BENCH_RESYNC_RETRY=standard npm run bench resync`) ran into 3,703 throttles, emptied its retry
 * quota and repaired 50 (the rest waits for the next sweep). Its IAM and EKS limits are shared with
 * the account's other callers too; the sweep's own burst dominates what it meets.
 */
export const SWEEP_RETRY: RetrySetting = { retryMode: 'adaptive', maxAttempts: 8 };

/** A cache key part: one client per setting, since a retry strategy keeps per-client state (quota, rate limiter). */
const retryKey = (retry: RetrySetting) => `${retry.retryMode}/${retry.maxAttempts}`;

const eksClients = new Map<string, EKSClient>();

/** The EKS client for a cluster's region (clusters may live outside the stack's region). */
export function eksClient(region: string, retry: RetrySetting = RETRY): EKSClient {
  const key = `${region} ${retryKey(retry)}`;
  let client = eksClients.get(key);
  if (!client) {
    client = new EKSClient({ region, ...retry });
    eksClients.set(key, client);
  }
  return client;
}

const iamClients = new Map<string, IAMClient>();

/**
 * IAM is a global service with one endpoint per partition: the client for the partition of
 * `region` (default: the function's own), signed in that partition's IAM region (us-east-1,
 * cn-north-1 or us-gov-west-1; kernel/partition.ts). Credentials of one partition are refused in
 * another, so a function in a China or GovCloud region must not call us-east-1.
 */
export function iamClient(region: string = process.env.AWS_REGION ?? 'us-east-1', retry: RetrySetting = RETRY): IAMClient {
  const partition = partitionOf(region);
  const key = `${partition} ${retryKey(retry)}`;
  let client = iamClients.get(key);
  if (!client) {
    client = new IAMClient({ region: iamRegion(partition), ...retry });
    iamClients.set(key, client);
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

const schedulers = new Map<string, SchedulerClient>();

/** EventBridge Scheduler in the function's own region, where the expiry schedule group lives. */
export function schedulerClient(retry: RetrySetting = RETRY): SchedulerClient {
  const key = retryKey(retry);
  let client = schedulers.get(key);
  if (!client) {
    client = new SchedulerClient({ ...retry });
    schedulers.set(key, client);
  }
  return client;
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
export function ssoAdminClient(region: string, readRoleArn: string, stsRegion: string | undefined = process.env.AWS_REGION, retry: RetrySetting = RETRY): SSOAdminClient {
  const key = `${region} ${readRoleArn} ${retryKey(retry)}`;
  let client = ssoAdminClients.get(key);
  if (!client) {
    client = new SSOAdminClient({
      region,
      ...retry,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: readRoleArn, RoleSessionName: IDENTITY_CENTER_READ_SESSION },
        clientConfig: { ...retry, ...(stsRegion ? { region: stsRegion } : {}) },
      }),
    });
    ssoAdminClients.set(key, client);
  }
  return client;
}
