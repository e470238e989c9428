/**
 * Time-bound access end to end through the reconcile core: IAM and EKS are the sandbox's model
 * (through the real SDK clients), EventBridge Scheduler a stateful fake (test/helpers/scheduler.ts),
 * and the clock is injected (ReconcileDeps.now), so revocation is checked at the instant.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcilePrincipal, resyncAll, type ReconcileDeps } from '#access/reconcile';
import { eksEntries } from '#access/adapters/entries';
import { expiryScheduleName, expirySchedules } from '#access/adapters/expiry-schedules';
import { iamReader } from '#platform/iam-principals';
import { AwsModel } from '#sandbox/model/index';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { testRuntime } from '#test/helpers/config';
import { fakeScheduler, SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, TARGET_ARN, type FakeScheduler } from '#test/helpers/scheduler';

const ACCOUNT = '111122223333';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const ARN = `arn:aws:iam::${ACCOUNT}:role/oncall/on-call`;
const NAME = expiryScheduleName(`${ACCOUNT}:role:on-call`);
const REF = { kind: 'role' as const, name: 'on-call', account: ACCOUNT };
const runtime = testRuntime({ clusters: [{ name: 'prod', region: 'eu-west-1' }, { name: 'staging', region: 'eu-west-1' }] });
const EXPIRY_WRITES = ['CreateScheduleCommand', 'UpdateScheduleCommand', 'DeleteScheduleCommand'];

let model: AwsModel;
let mocks: ModelMocks;
let scheduler: FakeScheduler;
let clock: Date;

function deps(withSchedules = true): ReconcileDeps {
  return {
    runtime,
    iam: iamReader(),
    clusters: runtime.config.clusters.map((c) => eksEntries(c)),
    now: () => clock,
    ...(withSchedules ? { expirySchedules: expirySchedules({ group: SCHEDULE_GROUP, targetArn: TARGET_ARN, roleArn: SCHEDULER_ROLE_ARN }) } : {}),
  };
}

function tag(tags: Record<string, string>) {
  model.iam.tagRole({ RoleName: 'on-call', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
}

function entries(cluster = 'prod'): string[] {
  return model.eks.listAccessEntries('eu-west-1', { clusterName: cluster, maxResults: 100 }).accessEntries ?? [];
}

function callCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of [...mocks.eks.calls(), ...mocks.iam.calls(), ...scheduler.mock.calls()]) counts[c.args[0].constructor.name] = (counts[c.args[0].constructor.name] ?? 0) + 1;
  return counts;
}

function resetCalls() {
  mocks.eks.resetHistory();
  mocks.iam.resetHistory();
  scheduler.mock.resetHistory();
}

beforeEach(() => {
  model = new AwsModel({ accountId: ACCOUNT });
  for (const c of runtime.config.clusters) model.eks.addCluster({ name: c.name, region: c.region, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  model.iam.createRole({ RoleName: 'on-call', Path: '/oncall/', AssumeRolePolicyDocument: TRUST });
  mocks = bindModelToSdkMocks(model);
  scheduler = fakeScheduler();
  clock = new Date('2026-12-02T22:00:00Z');
});
afterEach(() => {
  scheduler.restore();
  mocks.restore();
});

describe('the expiry schedule of a principal (provisioner)', () => {
  it('is created with the documented request when a grant gets a future expiry', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });

    const o = await reconcilePrincipal(REF, deps());

    expect(o.clusters.map((c) => c.action)).toEqual(['grant', 'grant']);
    expect(o.schedule).toMatchObject({ action: 'created', name: NAME, expiresAt: '2026-12-03T06:00Z' });
    expect(NAME).toMatch(/^eap-expiry-[0-9a-f]{40}$/);
    expect(scheduler.schedules.get(NAME)).toEqual({
      Name: NAME,
      GroupName: SCHEDULE_GROUP,
      Description: `eks-access-pilot: access of ${ARN} expires at 2026-12-03T06:00Z`,
      ScheduleExpression: 'at(2026-12-03T06:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: { Arn: TARGET_ARN, RoleArn: SCHEDULER_ROLE_ARN, Input: JSON.stringify({ 'eks-access-pilot': 'expiry', principalArn: ARN, expiresAt: '2026-12-03T06:00Z' }) },
    });
  });

  it('moves when the expiry changes (ConflictException, then UpdateSchedule)', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    tag({ 'eks-access-expires': '2026-12-03T09:30:15Z' });
    resetCalls();

    const o = await reconcilePrincipal(REF, deps());

    expect(o.schedule).toMatchObject({ action: 'updated', name: NAME });
    expect(scheduler.schedules.get(NAME)!.ScheduleExpression).toBe('at(2026-12-03T09:30:15)');
    expect(scheduler.inputOf(NAME)).toMatchObject({ expiresAt: '2026-12-03T09:30:15Z' });
    expect(scheduler.calls()).toEqual({ CreateScheduleCommand: 1, UpdateScheduleCommand: 1 });
    expect(o.clusters.every((c) => c.ops.length === 0)).toBe(true);
  });

  it('is deleted when the expiry tag goes, and the grant stays as the tags say', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    model.iam.untagRole({ RoleName: 'on-call', TagKeys: ['eks-access-expires'] });

    const o = await reconcilePrincipal(REF, deps());

    expect(o.schedule).toMatchObject({ action: 'deleted', name: NAME });
    expect(scheduler.schedules.size).toBe(0);
    expect(entries()).toEqual([ARN]);
  });

  it('is deleted when the role is deleted (by account and name: DeleteRole carries no path)', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    model.iam.deleteRole({ RoleName: 'on-call' });

    const o = await reconcilePrincipal(REF, deps());

    expect(o.clusters.map((c) => c.action)).toEqual(['revoke', 'revoke']);
    expect(o.schedule).toMatchObject({ action: 'deleted', name: NAME });
    expect(scheduler.schedules.size).toBe(0);
  });

  it('is left alone when the tags turn invalid (nothing changes for the principal)', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    tag({ 'eks-access-expires': '2026-12-03T07:00+01:00' });
    resetCalls();

    const o = await reconcilePrincipal(REF, deps());

    expect(o.status).toBe('rejected');
    expect(scheduler.calls()).toEqual({});
    expect(scheduler.schedules.has(NAME)).toBe(true);
  });

  it('revokes at the instant: one millisecond before, access stays; at it, every entry goes and the schedule with it', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());

    clock = new Date('2026-12-03T05:59:59.999Z');
    const before = await reconcilePrincipal(REF, deps());
    expect(before.clusters.map((c) => c.action)).toEqual(['noop', 'noop']);
    expect(entries()).toEqual([ARN]);

    clock = new Date('2026-12-03T06:00:00.000Z');
    const at = await reconcilePrincipal(REF, deps());
    expect(at.clusters).toMatchObject([
      { cluster: 'prod', action: 'revoke', reason: 'access expired at 2026-12-03T06:00Z', expiredAt: '2026-12-03T06:00Z', ops: ['delete'] },
      { cluster: 'staging', action: 'revoke', expiredAt: '2026-12-03T06:00Z' },
    ]);
    expect(entries()).toEqual([]);
    expect(entries('staging')).toEqual([]);
    expect(at.schedule).toMatchObject({ action: 'deleted' });
  });

  it('never revokes an entry it does not own, expired or not', async () => {
    model.eks.createAccessEntry('eu-west-1', { clusterName: 'prod', principalArn: ARN, tags: { team: 'sre' } });
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-01T00:00Z' });

    const o = await reconcilePrincipal(REF, deps());

    expect(o.clusters.find((c) => c.cluster === 'prod')).toMatchObject({ action: 'noop' });
    expect(entries()).toEqual([ARN]);
  });

  it('skips the schedules when they are not deployed, and says so; the grant is made all the same', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });

    const o = await reconcilePrincipal(REF, deps(false));

    expect(o.schedule).toEqual({ action: 'not-deployed', principalArn: ARN, expiresAt: '2026-12-03T06:00Z' });
    expect(scheduler.mock.calls()).toHaveLength(0);
    expect(entries()).toEqual([ARN]);
  });

  it('costs a grant with an expiry no more calls than one without: a CreateSchedule where the other pays a DeleteSchedule that finds nothing', async () => {
    tag({ 'eks-access': 'edit' });
    resetCalls();
    await reconcilePrincipal(REF, deps());
    const without = callCounts();
    // The same grant again from scratch, with an expiry.
    for (const c of runtime.config.clusters) model.eks.deleteAccessEntry(c.region, { clusterName: c.name, principalArn: ARN });
    tag({ 'eks-access-expires': '2026-12-03T06:00Z' });
    resetCalls();
    await reconcilePrincipal(REF, deps());
    const withExpiry = callCounts();

    expect(without.DeleteScheduleCommand).toBe(1);
    expect(withExpiry.CreateScheduleCommand).toBe(1);
    const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    expect(total(withExpiry) - total(without)).toBe(0);
    const { DeleteScheduleCommand: _d, ...eksAndIamWithout } = without;
    const { CreateScheduleCommand: _c, ...eksAndIamWith } = withExpiry;
    expect(eksAndIamWith).toEqual(eksAndIamWithout);
  });
});

describe('the resync and expiries', () => {
  it('revokes an expired grant whose schedule never fired (the backstop), and deletes that schedule', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    clock = new Date('2026-12-03T06:20:00Z');

    const summary = await resyncAll(deps());

    expect(entries()).toEqual([]);
    const revoked = summary.outcomes.flatMap((o) => o.clusters);
    expect(revoked).toMatchObject([
      { action: 'revoke', expiredAt: '2026-12-03T06:00Z' },
      { action: 'revoke', expiredAt: '2026-12-03T06:00Z' },
    ]);
    expect(summary.schedules).toMatchObject([{ action: 'deleted', name: NAME, principalArn: ARN, reason: 'no future expiry' }]);
    expect(scheduler.schedules.size).toBe(0);
  });

  it('deletes the schedule of a principal that is gone (orphan), and only this system\'s schedules', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    scheduler.schedules.set('someone-elses', { Name: 'someone-elses', GroupName: SCHEDULE_GROUP, ScheduleExpression: 'at(2027-01-01T00:00:00)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: TARGET_ARN, RoleArn: SCHEDULER_ROLE_ARN } });
    // The role goes and its DeleteRole event is lost: the entries and the schedule are orphans.
    model.iam.deleteRole({ RoleName: 'on-call' });

    const summary = await resyncAll(deps());

    expect(summary.schedules).toMatchObject([{ action: 'deleted', name: NAME, reason: 'principal gone' }]);
    expect([...scheduler.schedules.keys()]).toEqual(['someone-elses']);
    expect(entries()).toEqual([]);
  });

  it('creates a missing schedule, moves a wrong one, and leaves a right one alone (zero writes the second time)', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    model.iam.createRole({ RoleName: 'second', Path: '/', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'eks-access-expires', Value: '2026-12-04T00:00Z' }] });
    const second = expiryScheduleName(`${ACCOUNT}:role:second`);
    // on-call's schedule says another instant (its TagRole event was lost); second has none.
    await reconcilePrincipal(REF, deps());
    tag({ 'eks-access-expires': '2026-12-03T04:00Z' });

    const first = await resyncAll(deps());
    expect(first.schedules.map((s) => [s.name, s.action]).sort()).toEqual([[NAME, 'updated'], [second, 'created']].sort());
    expect(scheduler.schedules.get(NAME)!.ScheduleExpression).toBe('at(2026-12-03T04:00:00)');

    resetCalls();
    const again = await resyncAll(deps());
    expect(again.schedules).toEqual([]);
    const calls = scheduler.calls();
    expect(calls).toEqual({ ListSchedulesCommand: 1, GetScheduleCommand: 2 });
    expect(EXPIRY_WRITES.some((w) => calls[w])).toBe(false);
  });

  it('lists every page of the group', async () => {
    scheduler.restore();
    scheduler = fakeScheduler(2);
    for (let i = 0; i < 5; i++) scheduler.schedules.set(`eap-expiry-orphan${i}`, { Name: `eap-expiry-orphan${i}`, GroupName: SCHEDULE_GROUP, ScheduleExpression: 'at(2027-01-01T00:00:00)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: TARGET_ARN, RoleArn: SCHEDULER_ROLE_ARN, Input: JSON.stringify({ 'eks-access-pilot': 'expiry', principalArn: `arn:aws:iam::${ACCOUNT}:role/gone-${i}`, expiresAt: '2027-01-01T00:00Z' }) } });

    const summary = await resyncAll(deps());

    expect(summary.schedules.filter((s) => s.action === 'deleted')).toHaveLength(5);
    expect(scheduler.calls().ListSchedulesCommand).toBe(3);
  });

  it('keeps the schedule of a principal whose tags are invalid (nothing changes for it)', async () => {
    tag({ 'eks-access': 'edit', 'eks-access-expires': '2026-12-03T06:00Z' });
    await reconcilePrincipal(REF, deps());
    tag({ 'eks-access-namespaces': 'Not_A_Namespace' });

    const summary = await resyncAll(deps());

    expect(summary.schedules).toEqual([]);
    expect(scheduler.schedules.has(NAME)).toBe(true);
  });
});
