/**
 * Whether a role's trust policy lets an AWS principal assume it (STS AssumeRole). Role trust
 * policies are an exception to IAM's same-account rule: "Role trust policies and KMS key policies
 * are exceptions to this logic, because they must explicitly allow access for principals" (IAM
 * User Guide, "Policy evaluation logic"). A principal is trusted when an Allow statement for
 * `sts:AssumeRole` names it in `Principal.AWS` — its own ARN (a role's with its path, or the
 * session's), its account (`arn:aws:iam::<account>:root` or the bare account ID), or `*` — and no
 * Deny statement does. When the trust names the account, IAM also needs the caller's identity
 * policy to allow the call; the sandbox's gate checks that for every AssumeRole.
 *
 * Not evaluated (the sandbox refuses rather than guesses): an Allow statement with a Condition,
 * NotPrincipal and NotAction; a Deny with a Condition is taken to apply.
 */

export interface TrustCaller {
  /** The caller's own ARN: an IAM user's, or the role's (with its path) for a role session. */
  principalArn: string;
  /** The ARN the call was signed as (a session's `arn:aws:sts::…:assumed-role/…`), when different. */
  sessionArn?: string;
  accountId: string;
}

export interface TrustAnswer {
  trusted: boolean;
  /** Why, for the sandbox's own messages and tests (AWS's refusal does not say). */
  reason: string;
}

type Statement = Record<string, unknown>;

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}

function namesAction(s: Statement, action: string): boolean {
  return list(s.Action).some((a) => typeof a === 'string' && wildcard(a, action));
}

function namesCaller(s: Statement, caller: TrustCaller): boolean {
  const principal = s.Principal;
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const partition = /^arn:([^:]+):/.exec(caller.principalArn)?.[1] ?? 'aws';
  const accepted = new Set(['*', caller.accountId, `arn:${partition}:iam::${caller.accountId}:root`, caller.principalArn, ...(caller.sessionArn ? [caller.sessionArn] : [])]);
  return list((principal as Record<string, unknown>).AWS).some((p) => typeof p === 'string' && accepted.has(p));
}

/** The answer of `document` (the trust policy as CreateRole took it) for `caller`. */
export function trustsCaller(document: string | undefined, caller: TrustCaller, action = 'sts:AssumeRole'): TrustAnswer {
  let statements: Statement[];
  try {
    statements = list((JSON.parse(document ?? '{}') as { Statement?: unknown }).Statement).filter((x): x is Statement => typeof x === 'object' && x !== null);
  } catch {
    return { trusted: false, reason: 'the trust policy is not JSON' };
  }
  const applying = statements.filter((s) => namesAction(s, action) && namesCaller(s, caller));
  if (applying.some((s) => s.Effect === 'Deny')) return { trusted: false, reason: 'a Deny statement of the trust policy names the caller' };
  const allow = applying.filter((s) => s.Effect === 'Allow');
  if (allow.some((s) => s.Condition === undefined)) return { trusted: true, reason: 'an Allow statement of the trust policy names the caller' };
  if (allow.length) return { trusted: false, reason: 'the trust policy names the caller only in a statement with a Condition, which the sandbox does not evaluate' };
  return { trusted: false, reason: 'no statement of the trust policy names the caller' };
}
