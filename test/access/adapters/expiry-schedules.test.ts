// The EventBridge Scheduler adapter of the expiry schedules (functions/access/adapters/expiry-schedules.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationException } from '@aws-sdk/client-scheduler';
import { atExpression, expiryScheduleName, expirySchedules, expiryScheduleSettingsFromEnv } from '#access/adapters/expiry-schedules';
import { fakeScheduler, SCHEDULE_ENV, SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, TARGET_ARN, type FakeScheduler } from '#test/helpers/scheduler';

let scheduler: FakeScheduler | undefined;
afterEach(() => scheduler?.restore());

const settings = { group: SCHEDULE_GROUP, targetArn: TARGET_ARN, roleArn: SCHEDULER_ROLE_ARN };
const schedule = (expiresAt: string, at: string) => ({ name: expiryScheduleName('111122223333:role:on-call'), principalArn: 'arn:aws:iam::111122223333:role/on-call', expiresAt, at: new Date(at) });

describe('expiry schedule names and expressions', () => {
  it('names a principal deterministically within Scheduler\'s limits (1–64 of [0-9a-zA-Z-_.])', () => {
    const a = expiryScheduleName('111122223333:role:on-call');
    expect(a).toBe(expiryScheduleName('111122223333:role:on-call'));
    expect(a).toMatch(/^eap-expiry-[0-9a-f]{40}$/);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(expiryScheduleName('111122223333:user:on-call')).not.toBe(a);
    expect(expiryScheduleName('444455556666:role:on-call')).not.toBe(a);
  });

  it('writes at() in UTC, to the second', () => {
    expect(atExpression(new Date('2026-12-03T06:00:00Z'))).toBe('at(2026-12-03T06:00:00)');
    expect(atExpression(new Date('2028-02-29T23:59:59Z'))).toBe('at(2028-02-29T23:59:59)');
  });
});

describe('expiryScheduleSettingsFromEnv', () => {
  it('is undefined when none of the variables is set (schedules not deployed)', () => {
    expect(expiryScheduleSettingsFromEnv({})).toBeUndefined();
  });
  it('reads all three', () => {
    expect(expiryScheduleSettingsFromEnv(SCHEDULE_ENV)).toEqual(settings);
  });
  it('adds the dead-letter queue when EAP_EXPIRY_DEAD_LETTER_ARN is set', async () => {
    const dlq = 'arn:aws:sqs:eu-west-1:111122223333:eks-access-pilot-expiry-dlq';
    const withDlq = expiryScheduleSettingsFromEnv({ ...SCHEDULE_ENV, EAP_EXPIRY_DEAD_LETTER_ARN: dlq })!;
    expect(withDlq).toEqual({ ...settings, deadLetterArn: dlq });
    scheduler = fakeScheduler();
    const want = schedule('2026-12-03T06:00Z', '2026-12-03T06:00:00Z');
    await expirySchedules(withDlq).put(want);
    expect(scheduler.schedules.get(want.name)!.Target!.DeadLetterConfig).toEqual({ Arn: dlq });
  });
  it('fails at cold start, naming what is missing, when only some are set', () => {
    expect(() => expiryScheduleSettingsFromEnv({ EAP_EXPIRY_SCHEDULE_GROUP: SCHEDULE_GROUP })).toThrow(/^EAP_EXPIRY_TARGET_ARN, EAP_EXPIRY_SCHEDULER_ROLE_ARN not set/);
  });
});

describe('expirySchedules', () => {
  it('creates, then updates on ConflictException, and deletes (a missing one is not an error)', async () => {
    scheduler = fakeScheduler();
    const s = expirySchedules(settings);
    expect(await s.put(schedule('2026-12-03T06:00Z', '2026-12-03T06:00:00Z'))).toBe('created');
    expect(await s.put(schedule('2026-12-03T07:00Z', '2026-12-03T07:00:00Z'))).toBe('updated');
    const name = schedule('x', '2026-12-03T07:00:00Z').name;
    expect(scheduler.schedules.get(name)!.ScheduleExpression).toBe('at(2026-12-03T07:00:00)');
    expect(await s.remove(name)).toBe(true);
    expect(await s.remove(name)).toBe(false);
    expect(await s.get(name)).toBeNull();
  });

  it('tells a schedule that already says the right thing from one that does not', async () => {
    scheduler = fakeScheduler();
    const s = expirySchedules(settings);
    const want = schedule('2026-12-03T06:00Z', '2026-12-03T06:00:00Z');
    await s.put(want);
    const current = (await s.get(want.name))!;
    expect(s.matches(current, want)).toBe(true);
    expect(s.matches(current, schedule('2026-12-03T06:00:00Z', '2026-12-03T06:00:00Z'))).toBe(false); // another input
    expect(s.matches(current, schedule('2026-12-03T06:00Z', '2026-12-03T06:01:00Z'))).toBe(false);
  });

  it('lists only this system\'s schedules of the group, every page', async () => {
    scheduler = fakeScheduler(2);
    const s = expirySchedules(settings);
    for (const i of [1, 2, 3]) await s.put({ ...schedule('2026-12-03T06:00Z', '2026-12-03T06:00:00Z'), name: `eap-expiry-${i}` });
    scheduler.schedules.set('nightly-report', { Name: 'nightly-report', GroupName: SCHEDULE_GROUP, ScheduleExpression: 'rate(1 day)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: TARGET_ARN, RoleArn: SCHEDULER_ROLE_ARN } });
    expect((await s.list()).sort()).toEqual(['eap-expiry-1', 'eap-expiry-2', 'eap-expiry-3']);
    expect(scheduler.calls().ListSchedulesCommand).toBe(2);
  });

  it('lets other errors through (the invocation is retried)', async () => {
    scheduler = fakeScheduler();
    scheduler.mock.rejects(new ValidationException({ Message: 'no', message: 'no', $metadata: {} }));
    await expect(expirySchedules(settings).remove('eap-expiry-x')).rejects.toThrow(ValidationException);
  });
});
