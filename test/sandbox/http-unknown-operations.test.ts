/**
 * An operation the sandbox does not model is answered the way AWS answers an operation it does
 * not know, per protocol — awsQuery (IAM, STS): 400 InvalidAction; awsJson1_0 (Step Functions):
 * 400 UnknownOperationException; restXml (S3): 501 NotImplemented; restJson1 (EKS): 404
 * UnknownOperationException — and never as a transient error: a client allowed 8 attempts makes
 * exactly one request, where a 500 would have been retried 7 times.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EKSClient, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { IAMClient, ListPoliciesCommand } from '@aws-sdk/client-iam';
import { GetBucketAclCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListActivitiesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { rejectionOf } from './world.ts';

const REGION = 'eu-west-1';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ region: REGION, seed: { s3: { buckets: [{ name: 'bucket' }] } } });
});
afterAll(async () => {
  sandbox.faults.set({});
  await sandbox.stop();
});

/**
 * Counts the HTTP requests that reach the sandbox while `run` runs, as Node's HTTP client reports
 * them (diagnostics channel `http.client.request.start`, which the SDK's NodeHttpHandler goes
 * through): every attempt is one request, whatever the SDK's own bookkeeping says.
 */
async function requestsDuring(run: () => Promise<unknown>): Promise<number> {
  const host = new URL(sandbox.url).host;
  let n = 0;
  const onStart = (message: unknown) => {
    if ((message as { request: ClientRequest }).request.getHeader('host') === host) n++;
  };
  subscribe('http.client.request.start', onStart);
  try {
    await run();
  } finally {
    unsubscribe('http.client.request.start', onStart);
  }
  return n;
}

const config = () => ({
  region: REGION,
  endpoint: sandbox.url,
  credentials: { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! },
  maxAttempts: 8,
});

/** The error of one call and the requests it took; the client is destroyed after. */
async function once(client: { destroy(): void }, send: () => Promise<unknown>): Promise<{ error: Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }; requests: number }> {
  try {
    let error: Error | undefined;
    const requests = await requestsDuring(async () => {
      error = await rejectionOf(send());
    });
    return { error: error as Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }, requests };
  } finally {
    client.destroy();
  }
}

describe('operations the sandbox does not model', () => {
  it('counts every attempt: a transient 500 is retried up to maxAttempts (the control)', async () => {
    sandbox.faults.set({ fail: { 's3:ListBuckets': 'InternalError' } });
    try {
      const client = new S3Client({ ...config(), maxAttempts: 3 });
      const { error, requests } = await once(client, () => client.send(new ListBucketsCommand({})));
      expect(error).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500, attempts: 3 } });
      expect(requests).toBe(3);
    } finally {
      sandbox.faults.set({});
    }
  });

  it('IAM (awsQuery): 400 InvalidAction, one request', async () => {
    const iam = new IAMClient({ ...config(), region: 'us-east-1' });
    const { error, requests } = await once(iam, () => iam.send(new ListPoliciesCommand({})));

    expect(error).toMatchObject({ name: 'InvalidAction', message: 'Could not find operation ListPolicies for version 2010-05-08', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(requests).toBe(1);
  });

  it('STS (awsQuery): 400 InvalidAction, one request', async () => {
    const sts = new STSClient(config());
    const { error, requests } = await once(sts, () => sts.send(new GetSessionTokenCommand({})));

    expect(error).toMatchObject({ name: 'InvalidAction', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(requests).toBe(1);
  });

  it('Step Functions (awsJson1_0): 400 UnknownOperationException, one request', async () => {
    const sfn = new SFNClient(config());
    const { error, requests } = await once(sfn, () => sfn.send(new ListActivitiesCommand({})));

    expect(error).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(requests).toBe(1);
  });

  it('S3 (restXml): 501 NotImplemented naming the operation, one request', async () => {
    const s3 = new S3Client(config());
    const { error, requests } = await once(s3, () => s3.send(new GetBucketAclCommand({ Bucket: 'bucket' })));

    expect(error).toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501, attempts: 1 } });
    expect(error.message).toContain('GetBucketAcl');
    expect(requests).toBe(1);
  });

  it('EKS (restJson1): 404 UnknownOperationException, one request', async () => {
    const eks = new EKSClient(config());
    const { error, requests } = await once(eks, () => eks.send(new ListNodegroupsCommand({ clusterName: 'prod' })));

    expect(error).toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 404, attempts: 1 } });
    expect(requests).toBe(1);
  });

  it('writes the JSON protocols\' answer in the service framework\'s namespace, as AWS does', async () => {
    const res = await signedFetch(sandbox, {
      service: 'states',
      region: REGION,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListActivities' },
      body: '{}',
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'com.amazon.coral.service#UnknownOperationException' });
  });

  it('does not mistake an unserved S3 operation for a served one with the same path (PUT ?tagging is not PutObject)', async () => {
    const res = await signedFetch(sandbox, {
      service: 's3',
      region: REGION,
      method: 'PUT',
      path: '/bucket/doc.json',
      query: { tagging: '' },
      headers: { 'content-type': 'application/xml', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: '<Tagging><TagSet/></Tagging>',
    });

    expect(res.status).toBe(501);
    expect(await res.text()).toContain('<Code>NotImplemented</Code><Message>the sandbox does not serve S3 PutObjectTagging');
    expect(sandbox.model.s3.keys('bucket')).toEqual([]);
  });
});
