/**
 * IAM principals (roles and users) and how to tell that two ARNs name the same one. Pure.
 */
export type PrincipalKind = 'role' | 'user';

export interface PrincipalRef {
  kind: PrincipalKind;
  name: string;
}

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
export function parsePrincipalArn(arn: string): (PrincipalRef & { account: string; path: string }) | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return { account: m[1]!, kind: m[2] as PrincipalKind, path: m[3]!, name: m[4]! };
}

/**
 * IAM role and user names are unique per account whatever the path, and are not
 * distinguished by case (IAM User Guide, "IAM identifiers": names must be unique
 * case-insensitively), so (kind, lowercased name) identifies a principal even when one ARN
 * carries a path and the other does not.
 */
export function principalKey(ref: PrincipalRef): string {
  return `${ref.kind}:${ref.name.toLowerCase()}`;
}

/** The principal key of an ARN, or undefined when it is not a role or user ARN. */
export function principalKeyOfArn(arn: string): string | undefined {
  const p = parsePrincipalArn(arn);
  return p && principalKey(p);
}

/** Whether two IAM ARNs name the same role or user, whatever path either is written with. */
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
