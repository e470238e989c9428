/**
 * The sandbox server's fault knobs and plumbing: throttling answered as each service answers it
 * and retried by the SDK, rate limits, injected failures, latency, call counts, and the `env`
 * that points unmodified clients at it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { GetRoleCommand, GetUserCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let sandbox: Sandbox;
const eksClient = (maxAttempts = 1) => new EKSClient({ region: 'eu-west-1', endpoint: sandbox.url, credentials, maxAttempts });
const iamClient = (maxAttempts = 1) => new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials, maxAttempts });

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      iam: { roles: [{ name: 'app' }], users: [{ name: 'carol' }] },
      clusters: [{ name: 'prod', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }],
    },
    operator: credentials,
  });
});
afterAll(() => sandbox.stop());
afterEach(() => {
  sandbox.faults.set({});
  sandbox.resetCounts();
  vi.unstubAllEnvs();
});

describe('sandbox server: fault knobs', () => {
  it('throttles EKS as EKS does: 429 ThrottlingException', async () => {
    sandbox.faults.set({ throttle: { fraction: 1 } });
    const err = await rejectionOf(eksClient().send(new DescribeClusterCommand({ name: 'prod' })));
    expect(err.name).toBe('ThrottlingException');
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(429);
  });

  it('throttles IAM as IAM does: 400 with code Throttling', async () => {
    sandbox.faults.set({ throttle: { fraction: 1 } });
    const err = await rejectionOf(iamClient().send(new GetRoleCommand({ RoleName: 'app' })));
    expect(err.name).toBe('Throttling');
    expect((err as NoSuchEntityException).$metadata.httpStatusCode).toBe(400);
  });

  // The functions' clients (RETRY) are exercised end to end in test/e2e/throttling.
  it('is retried by the SDK as throttling: with 30% of calls throttled, every call still succeeds', async () => {
    sandbox.faults.set({ throttle: { fraction: 0.3 }, seed: 3 });
    const eks = eksClient(8);
    const iam = iamClient(8);
    const results = [];
    for (let i = 0; i < 4; i++) {
      results.push(await eks.send(new DescribeClusterCommand({ name: 'prod' })), await iam.send(new GetRoleCommand({ RoleName: 'app' })));
    }
    expect(results.map((r) => r.$metadata.httpStatusCode)).toEqual(Array(8).fill(200));
    expect(results.some((r) => (r.$metadata.attempts ?? 1) > 1)).toBe(true);
    const throttled = sandbox.throttled();
    expect((throttled.eks?.DescribeCluster ?? 0) + (throttled.iam?.GetRole ?? 0)).toBeGreaterThan(0);
  });

  it('throttles the same calls for the same seed', async () => {
    const run = async () => {
      sandbox.faults.set({ throttle: { fraction: 0.5 }, seed: 11 });
      const iam = iamClient();
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) outcomes.push(await iam.send(new GetRoleCommand({ RoleName: 'app' })).then(() => 'ok', (e: Error) => e.name));
      return outcomes;
    };
    const first = await run();
    expect(first).toContain('Throttling');
    expect(first).toContain('ok');
    expect(await run()).toEqual(first);
  });

  it('throttles above a rate, and only the named operations', async () => {
    sandbox.faults.set({ throttle: { ratePerSecond: 2, operations: ['iam:GetRole'] } });
    const iam = iamClient();
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await iam.send(new GetRoleCommand({ RoleName: 'app' })).then(() => 'ok', (e: Error) => e.name));
    expect(outcomes).toEqual(['ok', 'ok', 'Throttling', 'Throttling']);
    expect((await iam.send(new GetUserCommand({ UserName: 'carol' }))).User?.UserName).toBe('carol');
  });

  it('fails a named operation with an error given by SDK name or by wire code', async () => {
    sandbox.faults.set({ fail: { DescribeCluster: 'ResourceNotFoundException', 'iam:GetUser': 'NoSuchEntity' } });
    expect(await rejectionOf(eksClient().send(new DescribeClusterCommand({ name: 'prod' })))).toBeInstanceOf(ResourceNotFoundException);
    const err = await rejectionOf(iamClient().send(new GetUserCommand({ UserName: 'carol' })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect((err as NoSuchEntityException).$metadata.httpStatusCode).toBe(404);
    expect((await iamClient().send(new GetRoleCommand({ RoleName: 'app' }))).Role?.RoleName).toBe('app');
  });

  it('adds latency to every call', async () => {
    sandbox.faults.set({ latencyMs: 60 });
    const started = performance.now();
    await iamClient().send(new GetRoleCommand({ RoleName: 'app' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('sandbox server: plumbing', () => {
  it('counts calls per service and operation, throttled ones included', async () => {
    sandbox.faults.set({ throttle: { fraction: 1, operations: ['GetUser'] } });
    const iam = iamClient();
    await iam.send(new GetRoleCommand({ RoleName: 'app' }));
    await iam.send(new GetRoleCommand({ RoleName: 'app' }));
    await iam.send(new GetUserCommand({ UserName: 'carol' })).catch(() => undefined);
    await eksClient().send(new DescribeClusterCommand({ name: 'prod' }));
    expect(sandbox.calls()).toEqual({ iam: { GetRole: 2, GetUser: 1 }, eks: { DescribeCluster: 1 } });
    expect(sandbox.throttled()).toEqual({ iam: { GetUser: 1 } });
  });

  it('gives the environment that points clients without an explicit endpoint at it', async () => {
    for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
    expect(sandbox.env).toMatchObject({ AWS_ENDPOINT_URL_EKS: sandbox.url, AWS_ENDPOINT_URL_IAM: sandbox.url, AWS_REGION: 'eu-west-1' });
    const eks = new EKSClient({});
    const iam = new IAMClient({ region: 'us-east-1' });
    expect((await eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster?.name).toBe('prod');
    expect((await iam.send(new GetUserCommand({ UserName: 'carol' }))).User?.UserName).toBe('carol');
  });

  it('refuses a request signed for a service it does not serve', async () => {
    const res = await fetch(sandbox.url, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('SigV4 service sns');
  });
});
