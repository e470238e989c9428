/**
 * The usernames EKS accepts on a STANDARD access entry. Pure. Shared by the configuration
 * (`identityCenter.username`) and the tag side; the migration's conversion applies the same rules
 * to aws-auth rows (migration/domain/conversion-rows.ts, `usernameProblem`, which cites the same
 * pages).
 *
 * EKS User Guide, "Create access entries" (creating-access-entries.adoc): a custom username may not
 * start with `system:`, `eks:`, `aws:`, `amazon:` or `iam:`, and "the username must include a colon
 * before {{SessionName}}"; "Set a custom username" (set-custom-username.adoc): the only templates
 * an access entry username may hold are `{{SessionName}}` and `{{SessionNameRaw}}`.
 */

/** EKS rejects access entry usernames starting with these. */
export const RESERVED_USERNAME_PREFIXES = ['system:', 'eks:', 'aws:', 'amazon:', 'iam:'] as const;
/** The only templates an access entry username may hold. */
export const USERNAME_TEMPLATES = ['{{SessionName}}', '{{SessionNameRaw}}'] as const;

/** Why EKS would reject this access entry username, or undefined when it accepts it. */
export function accessEntryUsernameProblem(username: string): string | undefined {
  if (username === '') return 'must not be empty';
  const prefix = RESERVED_USERNAME_PREFIXES.find((p) => username.startsWith(p));
  if (prefix) return `EKS rejects access entry usernames starting with "${prefix}"`;
  const templates = username.match(/\{\{[^}]*\}\}/g) ?? [];
  const other = [...new Set(templates.filter((t) => !(USERNAME_TEMPLATES as readonly string[]).includes(t)))];
  if (other.length > 0) return `EKS access entry usernames accept only {{SessionName}} and {{SessionNameRaw}}, not ${other.join(', ')}`;
  const session = username.indexOf('{{SessionName');
  // "a colon before {{SessionName}}": anywhere before it (jo:hn{{SessionName}} is accepted).
  if (session !== -1 && !username.slice(0, session).includes(':')) return 'EKS requires a ":" somewhere before {{SessionName}} in an access entry username';
  return undefined;
}
