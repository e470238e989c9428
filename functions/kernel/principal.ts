/**
 * IAM principals (roles and users) and how to tell that two ARNs name the same one. Pure.
 */
export type PrincipalKind = 'role' | 'user';

export interface PrincipalRef {
  kind: PrincipalKind;
  name: string;
  /**
   * The 12-digit account the principal lives in, when known (an event's recipient account, an
   * ARN's account field). Without it a name alone cannot tell a local role from another
   * account's role of the same name.
   */
  account?: string;
}

/** A principal reference whose account is known: what a principal key is made of. */
export type AccountPrincipalRef = PrincipalRef & { account: string };

export interface Principal extends PrincipalRef {
  /** Full ARN, path included (the form EKS access entries require). */
  arn: string;
  path: string;
  /** The role or user ID (AROA…/AIDA…); a recreated principal gets a new one. */
  id: string;
  /** Tag key → value, keys as IAM returned them. */
  tags: Record<string, string>;
}

/** Parses an IAM role or user ARN (path included or not). */
export function parsePrincipalArn(arn: string): (AccountPrincipalRef & { path: string }) | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return { account: m[1]!, kind: m[2] as PrincipalKind, path: m[3]!, name: m[4]! };
}

/**
 * IAM role and user names are unique per account whatever the path, and are not
 * distinguished by case (IAM User Guide, "IAM identifiers": names must be unique
 * case-insensitively), so (account, kind, lowercased name) identifies a principal even when
 * one ARN carries a path and the other does not. The account is part of the key because the
 * uniqueness holds only within one account: EKS accepts entries for principals of other
 * accounts, and `arn:aws:iam::999999999999:role/team-a` is not the local `team-a`.
 */
export function principalKey(ref: AccountPrincipalRef): string {
  return `${ref.account}:${ref.kind}:${ref.name.toLowerCase()}`;
}

/** The principal key of an ARN, or undefined when it is not a role or user ARN. */
export function principalKeyOfArn(arn: string): string | undefined {
  const p = parsePrincipalArn(arn);
  return p && principalKey(p);
}

/** Whether two IAM ARNs name the same role or user of the same account, whatever path either is written with. */
export function samePrincipal(a: string, b: string): boolean {
  const ka = principalKeyOfArn(a);
  return ka !== undefined && ka === principalKeyOfArn(b);
}

/** Normalises the SDK's `{ Key, Value }[]` to a record. */
export function tagRecord(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
