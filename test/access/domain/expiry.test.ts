// The expiry tag (functions/access/domain/expiry.ts) and how it bounds the tag contract (tags.ts).
import { describe, expect, it } from 'vitest';
import { clockForFiredSchedule, hasPassed, parseExpiry } from '#access/domain/expiry';
import { desiredAccess, isOwnTagKey, offlineTagProblems } from '#access/domain/tags';
import { EXPIRY_FIRED, interpretHint } from '#access/domain/hints';
import { MalformedEventError } from '#access/domain/errors';
import { loadEvent } from '#test/helpers/events';
import { NOW, testConfig } from '#test/helpers/config';

const config = testConfig();
const ARN = 'arn:aws:iam::111122223333:role/teams/on-call';

describe('parseExpiry', () => {
  it.each([
    ['2026-12-03T06:00Z', '2026-12-03T06:00:00.000Z'],
    ['2026-12-03T06:00:30Z', '2026-12-03T06:00:30.000Z'],
    ['2028-02-29T00:00Z', '2028-02-29T00:00:00.000Z'], // leap year
    ['2000-02-29T23:59:59Z', '2000-02-29T23:59:59.000Z'], // divisible by 400: leap
    ['2026-12-31T23:59Z', '2026-12-31T23:59:00.000Z'],
  ])('accepts %s as %s', (value, iso) => {
    const r = parseExpiry(value);
    expect(r.ok && r.at.toISOString()).toBe(iso);
  });

  it.each([
    ['2026-12-03T06:00+02:00', /is not in UTC/],
    ['2026-12-03T06:00:00-0500', /is not in UTC/],
    ['2026-12-03T06:00', /has no time zone/],
    ['2026-12-03T06:00:00', /has no time zone/],
    ['2026-02-30T06:00Z', /2026-02 has no day 30/],
    ['2025-02-29T06:00Z', /2025-02 has no day 29/],
    ['1900-02-29T06:00Z', /1900-02 has no day 29/], // divisible by 100, not by 400: no leap day
    ['2026-13-01T06:00Z', /no month 13/],
    ['2026-04-31T06:00Z', /has no day 31/],
    ['2026-12-03T24:00Z', /not a time of day/],
    ['2026-12-03T06:60Z', /not a time of day/],
    ['2026-12-03T06:00:60Z', /not a time of day/], // no leap seconds
    ['2026-12-03T06:00:00.5Z', /not an instant of the form/],
    ['2026-12-03 06:00Z', /not an instant of the form/],
    ['2026-12-03', /not an instant of the form/],
    ['2026-12-03T06:00z', /not an instant of the form/],
    ['tomorrow', /not an instant of the form/],
    ['', /not an instant of the form/],
    [' 2026-12-03T06:00Z', /not an instant of the form/],
  ])('refuses %j', (value, message) => {
    const r = parseExpiry(value);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });

  it('has passed at the instant itself, not a millisecond before', () => {
    const at = new Date('2026-12-03T06:00:00Z');
    expect(hasPassed(at, new Date('2026-12-03T05:59:59.999Z'))).toBe(false);
    expect(hasPassed(at, at)).toBe(true);
  });
});

describe('desiredAccess with an expiry', () => {
  it('grants until a future expiry and carries it', () => {
    const r = desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2026-06-01T18:00Z' }, config, NOW);
    expect(r).toMatchObject({ ok: true, expiresAt: '2026-06-01T18:00Z', byCluster: { prod: { level: 'edit' } } });
    expect(r.ok && r.expired).toBeUndefined();
  });

  it('grants nothing once the expiry has passed, at the instant, as if untagged', () => {
    const tags = { 'eks-access': 'edit', 'eks-access-expires': '2026-06-01T12:00Z' };
    const before = desiredAccess(tags, config, new Date('2026-06-01T11:59:59.999Z'));
    const at = desiredAccess(tags, config, new Date('2026-06-01T12:00:00Z'));
    expect(before.ok && before.byCluster.prod).toMatchObject({ level: 'edit' });
    expect(at).toEqual({ ok: true, hasTags: true, expiresAt: '2026-06-01T12:00Z', expired: true, byCluster: { prod: null, staging: null, analytics: null } });
  });

  it('lets a passed expiry end access even when another tag is invalid (it cannot keep access alive)', () => {
    const r = desiredAccess({ 'eks-access': 'edit', 'eks-access-namespaces': 'Bad_NS', 'eks-access-expires': '2026-01-01T00:00Z' }, config, NOW);
    expect(r).toMatchObject({ ok: true, expired: true, byCluster: { prod: null } });
  });

  it('reads the key in any case, like the other fixed keys', () => {
    expect(isOwnTagKey('EKS-Access-Expires', 'eks-access')).toBe(true);
    expect(desiredAccess({ 'eks-access': 'view', 'EKS-ACCESS-EXPIRES': '2026-01-01T00:00Z' }, config, NOW)).toMatchObject({ ok: true, expired: true });
  });

  it('is an invalid tag when the value is not a UTC instant: nothing changes, with the reason', () => {
    const r = desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2026-06-01T18:00+02:00' }, config, NOW);
    expect(r).toMatchObject({ ok: false, problems: [{ key: 'eks-access-expires', kind: 'invalid', message: expect.stringMatching(/not in UTC/) }] });
    expect(offlineTagProblems('eks-access-expires', '2025-02-29T00:00Z', 'eks-access')).toMatchObject([{ message: expect.stringMatching(/no day 29/) }]);
    expect(offlineTagProblems('eks-access-expires', '2028-02-29T00:00Z', 'eks-access')).toEqual([]);
  });

  it('refuses two spellings of the expiry key on a permission set (ambiguous)', () => {
    const r = desiredAccess({ 'eks-access': 'view', 'eks-access-expires': '2026-06-02T00:00Z', 'EKS-ACCESS-EXPIRES': '2026-06-03T00:00Z' }, config, NOW);
    expect(r.ok).toBe(false);
  });

  describe('maxAccessDuration', () => {
    const capped = testConfig({ maxAccessDuration: 'PT12H' });
    it('accepts an expiry up to now plus the duration, and refuses one further out', () => {
      expect(desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2026-06-02T00:00Z' }, capped, NOW)).toMatchObject({ ok: true, expiresAt: '2026-06-02T00:00Z' });
      expect(desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2026-06-02T00:00:01Z' }, capped, NOW)).toMatchObject({
        ok: false,
        problems: [{ key: 'eks-access-expires', message: 'expiry 2026-06-02T00:00:01Z is further than maxAccessDuration PT12H from now (at most 2026-06-02T00:00:00Z)' }],
      });
    });
    it('does not apply without the option', () => {
      expect(desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2036-06-02T00:00Z' }, config, NOW)).toMatchObject({ ok: true });
    });
  });

  describe('requireExpiryAbove', () => {
    const strict = testConfig({ requireExpiryAbove: 'view' });
    it('refuses a level above it without an expiry, per-cluster keys included', () => {
      expect(desiredAccess({ 'eks-access': 'edit' }, strict, NOW)).toMatchObject({ ok: false, problems: [{ key: 'eks-access', message: expect.stringMatching(/above "view" and must be temporary.*eks-access-expires=/) }] });
      expect(desiredAccess({ 'eks-access': 'view', 'eks-access/prod': 'edit' }, strict, NOW)).toMatchObject({ ok: false, problems: [{ key: 'eks-access/prod' }] });
    });
    it('accepts that level and below, none, groups only, and anything above with an expiry', () => {
      expect(desiredAccess({ 'eks-access': 'view', 'eks-access/prod': 'none' }, strict, NOW).ok).toBe(true);
      expect(desiredAccess({ 'eks-access-groups': 'pod-readers' }, strict, NOW).ok).toBe(true);
      expect(desiredAccess({ 'eks-access': 'edit', 'eks-access-expires': '2026-06-01T18:00Z' }, strict, NOW)).toMatchObject({ ok: true, byCluster: { prod: { level: 'edit' } } });
    });
  });
});

describe('clockForFiredSchedule', () => {
  it('takes the expiry as reached when the schedule fires up to a minute early (Scheduler fires within its minute)', () => {
    expect(clockForFiredSchedule(new Date('2026-06-01T06:00:00.000Z'), '2026-06-01T06:00:45Z').toISOString()).toBe('2026-06-01T06:00:45.000Z');
    expect(clockForFiredSchedule(new Date('2026-06-01T05:59:59.990Z'), '2026-06-01T06:00Z').toISOString()).toBe('2026-06-01T06:00:00.000Z');
  });
  it('keeps the clock when the expiry is further ahead (extended) or already passed', () => {
    const now = new Date('2026-06-01T06:00:00Z');
    expect(clockForFiredSchedule(now, '2026-06-01T06:01:01Z')).toBe(now);
    expect(clockForFiredSchedule(now, '2026-06-01T05:00Z')).toBe(now);
  });
});

describe('interpretHint', () => {
  it('reads a fired schedule as a hint for its principal, account included', () => {
    const hint = interpretHint({ 'eks-access-pilot': 'expiry', principalArn: ARN, expiresAt: '2026-12-03T06:00Z' }, { tagPrefix: 'eks-access' });
    expect(hint).toMatchObject({
      action: 'reconcile',
      eventName: EXPIRY_FIRED,
      expiresAt: '2026-12-03T06:00Z',
      principals: [{ kind: 'role', name: 'on-call', account: '111122223333', arn: ARN }],
    });
  });
  it.each([
    [{ 'eks-access-pilot': 'expiry', principalArn: 'on-call', expiresAt: '2026-12-03T06:00Z' }, /principalArn: must be an IAM role or user ARN/],
    [{ 'eks-access-pilot': 'expiry', principalArn: ARN, expiresAt: '2026-12-03' }, /expiresAt: "2026-12-03" is not an instant/],
    [{ 'eks-access-pilot': 'other', principalArn: ARN, expiresAt: '2026-12-03T06:00Z' }, /eks-access-pilot: /],
    [{ 'eks-access-pilot': 'expiry', principalArn: ARN, expiresAt: '2026-12-03T06:00Z', extra: 1 }, /extra/],
  ])('refuses a malformed expiry input, naming the field: %j', (raw, message) => {
    expect(() => interpretHint(raw, { tagPrefix: 'eks-access' })).toThrow(MalformedEventError);
    expect(() => interpretHint(raw, { tagPrefix: 'eks-access' })).toThrow(message);
  });
  it('reconciles a TagRole that changes only the expiry key (any case)', () => {
    const e = loadEvent('iam/tag-role');
    e.detail.requestParameters = { roleName: 'on-call', tags: [{ key: 'EKS-Access-Expires', value: '2026-12-03T06:00Z' }] };
    expect(interpretHint(e, { tagPrefix: 'eks-access' }).action).toBe('reconcile');
  });
});
