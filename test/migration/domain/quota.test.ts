// EKS allows 3,000 access entries per cluster, not adjustable (kernel/quotas.ts): a plan that
// would pass it is a blocker before anything changes (issue 10, item 6).
import { describe, expect, it } from 'vitest';
import { ACCESS_ENTRIES_PER_CLUSTER } from '#kernel/quotas';
import { accessEntryQuotaBlocker } from '#migration/domain/quota';
import { AccessEntryQuotaError } from '#migration/domain/errors';

const role = (i: number | string) => `arn:aws:iam::111122223333:role/r-${i}`;
const existing = (n: number) => Array.from({ length: n }, (_, i) => ({ principalArn: role(`e${i}`) }));
const row = (arn: string, action: 'create' | 'eks-managed' | 'flag' = 'create') => ({ action, principalArn: arn });

describe('accessEntryQuotaBlocker', () => {
  it('passes a plan that fills the cluster to exactly 3,000 entries', () => {
    // arrange: 2,998 existing, one entry to create and one EKS makes on the switch
    const rows = [row(role('new')), row(role('nodes'), 'eks-managed')];

    // act / assert
    expect(accessEntryQuotaBlocker(rows, existing(ACCESS_ENTRIES_PER_CLUSTER - 2))).toBeUndefined();
  });

  it('blocks a plan that would pass 3,000, naming the numbers and what to do', () => {
    const rows = [row(role('new')), row(role('nodes'), 'eks-managed')];

    const blocker = accessEntryQuotaBlocker(rows, existing(ACCESS_ENTRIES_PER_CLUSTER - 1));

    expect(blocker).toBe(
      'the cluster would hold 3001 access entries (2999 existing + 2 from this plan), more than the 3000 EKS allows per cluster ' +
        '(a quota that cannot be raised): remove at least 1 (unused aws-auth rows, or existing access entries), then start a new execution',
    );
  });

  it('counts each principal once: rows whose entry exists already, and duplicate rows, add nothing', () => {
    // arrange: the cluster is full, but every expected row names an entry that is there
    const full = existing(ACCESS_ENTRIES_PER_CLUSTER);
    const rows = [row(role('e0')), row(role('e1'), 'eks-managed'), row(role('e0'))];

    expect(accessEntryQuotaBlocker(rows, full)).toBeUndefined();
  });

  it('does not count flagged rows: nobody creates their entries', () => {
    const rows = [row(role('flagged-1'), 'flag'), row(role('flagged-2'), 'flag')];

    expect(accessEntryQuotaBlocker(rows, existing(ACCESS_ENTRIES_PER_CLUSTER))).toBeUndefined();
  });

  it('compares ARNs exactly, as annotatePlan finds existing entries: a row spelled otherwise counts as new (the high side)', () => {
    const rows = [row('arn:aws:iam::111122223333:role/R-E0')];

    expect(accessEntryQuotaBlocker(rows, existing(ACCESS_ENTRIES_PER_CLUSTER))).toMatch(/^the cluster would hold 3001 access entries/);
  });
});

describe('AccessEntryQuotaError', () => {
  it('carries its name, which Step Functions matches on', () => {
    expect(new AccessEntryQuotaError('x').name).toBe('AccessEntryQuotaError');
  });
});
