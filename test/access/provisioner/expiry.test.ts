/**
 * The provisioner handler and a fired expiry schedule: Scheduler invokes it with
 * `{"eks-access-pilot":"expiry","principalArn","expiresAt"}`; it re-reads the tags and converges.
 * The handler's clock is the system clock at the edge (runtime.ts); the tests set it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { expiryScheduleName } from '#access/adapters/expiry-schedules';
import { AwsModel } from '#sandbox/model/index';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { testRuntime } from '#test/helpers/config';
import { captureStdout, lambdaContext, type CapturedOutput } from '#test/helpers/lambda';
import { fakeScheduler, SCHEDULE_ENV, type FakeScheduler } from '#test/helpers/scheduler';
import { loadEvent } from '#test/helpers/events';

const ACCOUNT = '111122223333';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const ARN = `arn:aws:iam::${ACCOUNT}:role/on-call`;
const NAME = expiryScheduleName(`${ACCOUNT}:role:on-call`);
const runtime = testRuntime({ clusters: [{ name: 'prod', region: 'eu-west-1' }] });

let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
let model: AwsModel;
let mocks: ModelMocks;
let scheduler: FakeScheduler;
let out: CapturedOutput;

const fired = (expiresAt: string) => ({ 'eks-access-pilot': 'expiry', principalArn: ARN, expiresAt });
const entries = () => model.eks.listAccessEntries('eu-west-1', { clusterName: 'prod', maxResults: 100 }).accessEntries ?? [];
const tag = (tags: Record<string, string>) => model.iam.tagRole({ RoleName: 'on-call', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(runtime));
  for (const [k, v] of Object.entries(SCHEDULE_ENV)) vi.stubEnv(k, v);
  ({ handler } = await import('#access/provisioner/handler'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-02T22:00:00Z'));
  model = new AwsModel({ accountId: ACCOUNT });
  model.eks.addCluster({ name: 'prod', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  model.iam.createRole({ RoleName: 'on-call', Path: '/', AssumeRolePolicyDocument: TRUST });
  mocks = bindModelToSdkMocks(model);
  scheduler = fakeScheduler();
  out = captureStdout();
  tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
  const event = loadEvent('iam/tag-role');
  event.detail.requestParameters = { roleName: 'on-call', tags: [{ key: 'eks-access-expires', value: '2026-12-03T06:00Z' }] };
  await handler(event, lambdaContext());
});
afterEach(() => {
  out.restore();
  scheduler.restore();
  mocks.restore();
  vi.useRealTimers();
});

describe('provisioner: a fired expiry schedule', () => {
  it('was scheduled by the TagRole event for the principal', () => {
    expect(entries()).toEqual([ARN]);
    expect(scheduler.inputOf(NAME)).toEqual(fired('2026-12-03T06:00Z'));
    expect(out.logs('expiry scheduled')).toMatchObject([{ principal: ARN, schedule: NAME, expiresAt: '2026-12-03T06:00Z', action: 'created' }]);
  });

  it('revokes on time, logs "access expired" and counts Expired', async () => {
    vi.setSystemTime(new Date('2026-12-03T06:00:00.2Z'));
    scheduler.schedules.delete(NAME); // ActionAfterCompletion: DELETE

    await handler(fired('2026-12-03T06:00Z'), lambdaContext());

    expect(entries()).toEqual([]);
    expect(out.logs('access expired')).toMatchObject([{ principal: ARN, cluster: 'prod', expiresAt: '2026-12-03T06:00Z', action: 'revoke', ops: ['delete'] }]);
    expect(out.metricNames()).toEqual(expect.arrayContaining(['Expired', 'Revoked']));
    expect(scheduler.schedules.size).toBe(0);
  });

  it('revokes when Scheduler fires within the minute before an expiry to the second (its 60-second precision)', async () => {
    tag({ 'eks-access-expires': '2026-12-03T06:00:40Z' });
    vi.setSystemTime(new Date('2026-12-03T06:00:01Z'));

    await handler(fired('2026-12-03T06:00:40Z'), lambdaContext());

    expect(entries()).toEqual([]);
  });

  it('reschedules, and keeps access, when the expiry was extended before it fired', async () => {
    tag({ 'eks-access-expires': '2026-12-03T12:00Z' }); // its TagRole event lost
    vi.setSystemTime(new Date('2026-12-03T06:00:05Z'));
    scheduler.schedules.delete(NAME);

    await handler(fired('2026-12-03T06:00Z'), lambdaContext());

    expect(entries()).toEqual([ARN]);
    expect(scheduler.inputOf(NAME)).toEqual(fired('2026-12-03T12:00Z'));
    expect(out.metricNames()).not.toContain('Expired');
  });

  it('fails the invocation (retried) when the schedule cannot be written', async () => {
    scheduler.mock.rejects(new Error('throttled'));
    tag({ 'eks-access-expires': '2026-12-03T08:00Z' });
    const event = loadEvent('iam/tag-role');
    event.detail.requestParameters = { roleName: 'on-call', tags: [{ key: 'eks-access-expires', value: '2026-12-03T08:00Z' }] };

    await expect(handler(event, lambdaContext())).rejects.toThrow(/expiry schedule eap-expiry-[0-9a-f]{40}: Error: throttled/);
    expect(out.logs('expiry schedule failed')).toHaveLength(1);
  });
});
