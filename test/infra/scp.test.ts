// The example SCP that keeps the eks-access tags in the platform team's hands.
import { readFileSync } from 'node:fs';
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
const TAG_ACTIONS = ['iam:TagRole', 'iam:UntagRole', 'iam:TagUser', 'iam:UntagUser', 'iam:CreateRole', 'iam:CreateUser'];

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

  it('covers the fixed keys in any letter case (IAM tag keys are case-insensitive, StringLike is not)', () => {
    const anyCase = scp.Statement.find((s) => s.Condition['ForAnyValue:StringEqualsIgnoreCase']);
    expect(anyCase?.Effect).toBe('Deny');
    expect(anyCase?.Action.sort()).toEqual([...TAG_ACTIONS].sort());
    expect(anyCase?.Condition['ForAnyValue:StringEqualsIgnoreCase']!['aws:TagKeys']).toEqual(
      expect.arrayContaining(['eks-access', 'eks-access-namespaces', 'eks-access-groups']),
    );
  });

  it('exempts the same admin principals in every statement', () => {
    const exempt = scp.Statement.map((s) => s.Condition.ArnNotLike!['aws:PrincipalArn']);
    expect(new Set(exempt.map((e) => JSON.stringify(e))).size).toBe(1);
  });
});
