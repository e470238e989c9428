import { describe, expect, it } from 'vitest';
import { parsePrincipalArn, principalKey, principalKeyOfArn, samePrincipal } from '#kernel/principal';

const LOCAL = '111122223333';
const OTHER = '999999999999';

describe('principal keys', () => {
  it('are the same for one principal written with and without a path, in any letter case (IAM names are unique case-insensitively)', () => {
    expect(samePrincipal(`arn:aws:iam::${LOCAL}:role/team-a`, `arn:aws:iam::${LOCAL}:role/teams/Team-A`)).toBe(true);
    expect(principalKey({ kind: 'role', name: 'TEAM-A', account: LOCAL })).toBe(principalKeyOfArn(`arn:aws:iam::${LOCAL}:role/x/team-a`));
  });

  it('differ between accounts: a name is unique only within its account', () => {
    expect(samePrincipal(`arn:aws:iam::${LOCAL}:role/team-a`, `arn:aws:iam::${OTHER}:role/team-a`)).toBe(false);
    expect(principalKeyOfArn(`arn:aws:iam::${OTHER}:role/team-a`)).not.toBe(principalKey({ kind: 'role', name: 'team-a', account: LOCAL }));
  });

  it('differ between a role and a user of the same name', () => {
    expect(samePrincipal(`arn:aws:iam::${LOCAL}:role/team-a`, `arn:aws:iam::${LOCAL}:user/team-a`)).toBe(false);
  });

  it('exist only for role and user ARNs', () => {
    expect(principalKeyOfArn(`arn:aws:sts::${LOCAL}:assumed-role/team-a/session`)).toBeUndefined();
    expect(samePrincipal('not-an-arn', 'not-an-arn')).toBe(false);
    expect(parsePrincipalArn(`arn:aws:iam::${OTHER}:user/ops/bob`)).toEqual({ account: OTHER, kind: 'user', path: '/ops/', name: 'bob' });
  });
});
