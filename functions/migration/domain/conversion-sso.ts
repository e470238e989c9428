/**
 * `sso` rows of `aws-auth` (permissionSetName, accountID, partition): which IAM Identity Center
 * roles the authenticator maps with them, so each can become an access entry. Pure: the roles of
 * an account are listed by an adapter (iam:ListRoles under /aws-reserved/sso.amazonaws.com/) and
 * handed in through PlanOptions.ssoRoles.
 *
 * What the authenticator does (kubernetes-sigs/aws-iam-authenticator, `pkg/config/mapper.go`):
 * * SSOArnLike builds `arn:<partition>:iam::<accountID>:role/AWSReservedSSO_<permissionSetName>_*`,
 *   lowercased, and Matches compares it with ArnLike (`pkg/arn/arnlike.go`: each of the six ARN
 *   sections matched on its own, `*` as `.*`, anchored) against the caller's canonical ARN,
 *   lowercased (`pkg/mapper/configmap/mapper.go`, Map). Canonicalize (`pkg/arn/arn.go`) turns a
 *   session into `arn:<p>:iam::<account>:role/<name>`: no path. So the row matches every role of
 *   that account whose name starts with `AWSReservedSSO_<permissionSetName>_`, in any case,
 *   under any path — including the roles of other permission sets whose names start with
 *   `<permissionSetName>_`.
 * * SSOArnLike sets the partition only when the row gives none (`if m.SSO.Partition == ""
 *   { partition = "aws" }`): a row that writes `partition` (even `aws`) gets a pattern with an
 *   empty partition, which matches no ARN. Unchanged since the feature came (PR #416, 2022).
 * * Matching runs only behind the alpha feature gate SSORoleMatch, off by default
 *   (`pkg/config/features.go`); the EKS user guide does not say whether EKS turns it on.
 * * Role rows live in one map and RoleMapping returns the first that matches in Go's random map
 *   order (`pkg/mapper/configmap/configmap.go`), so a role matched by an sso row and by a rolearn
 *   row (or by two sso rows) gets one of them at random.
 * Identity Center names its roles `AWSReservedSSO_<permission set>_<random suffix>` and creates
 * them under `/aws-reserved/sso.amazonaws.com/` or, for newer instances,
 * `/aws-reserved/sso.amazonaws.com/<region>/` (IAM Identity Center User Guide, on the roles it
 * creates in your accounts; the authenticator's docs/sso_role_matcher.md shows the regional form).
 */
import type { SsoMatcher } from './aws-auth.ts';
import { splitArn } from './conversion-rows.ts';

/** The Identity Center roles of one account, or why they cannot be read. */
export type SsoRoleListing = { roleArns: readonly string[] } | { unavailable: string };

/** Where Identity Center creates its roles: the path prefix to list. */
export const SSO_ROLE_PATH_PREFIX = '/aws-reserved/sso.amazonaws.com/';

/** The canonical ARN the authenticator compares: the role's ARN without its path, lowercased. */
export function canonicalRoleKey(roleArn: string): string | undefined {
  const arn = splitArn(roleArn);
  if (!arn || arn.service !== 'iam') return undefined;
  const [type, ...rest] = arn.resource.split('/');
  if (type !== 'role' || rest.length === 0) return undefined;
  return `arn:${arn.partition}:iam::${arn.account}:role/${rest[rest.length - 1]}`.toLowerCase();
}

/** Whether the authenticator maps the role (any path) through this sso row. */
export function ssoMatches(sso: SsoMatcher, roleArn: string): boolean {
  if (sso.partitionWritten) return false;
  const key = canonicalRoleKey(roleArn);
  return key !== undefined && key.startsWith(`arn:aws:iam::${sso.accountId}:role/awsreservedsso_${sso.permissionSetName.toLowerCase()}_`);
}

/** How the conversion reads one sso row: the roles it maps, or why it cannot be converted. */
export type SsoResolution =
  | { kind: 'offline' }
  | { kind: 'roles'; roleArns: string[] }
  | { kind: 'flag'; note: string };

/** The roles an sso row maps, from the listing of its account (undefined: no lookup offline). */
export function resolveSso(sso: SsoMatcher, list: ((accountId: string) => SsoRoleListing) | undefined): SsoResolution {
  const name = `permission set ${sso.permissionSetName} in account ${sso.accountId}`;
  if (sso.partitionWritten) {
    return {
      kind: 'flag',
      note:
        `sso row (${name}) writes partition "${sso.partition}": the authenticator then builds its pattern with an empty partition ` +
        '(pkg/config/mapper.go, SSOArnLike), which by its source matches no role, so nothing is converted. If these people use the cluster today, ' +
        'map their role by rolearn (or create its access entry) and remove this row, then plan again',
    };
  }
  if (!list) return { kind: 'offline' };
  const listing = list(sso.accountId);
  if ('unavailable' in listing) {
    return {
      kind: 'flag',
      note: `sso row (${name}): its Identity Center roles cannot be looked up (${listing.unavailable}); create the access entry of each AWSReservedSSO_${sso.permissionSetName}_ role by hand, or map it by rolearn, then plan again`,
    };
  }
  const roleArns = listing.roleArns.filter((a) => ssoMatches(sso, a)).sort();
  if (roleArns.length === 0) {
    return {
      kind: 'flag',
      note:
        `sso row (${name}): no Identity Center role of that permission set exists in the account (iam:ListRoles under ${SSO_ROLE_PATH_PREFIX}), ` +
        'so nobody uses this row now, but the authenticator would map the role Identity Center creates when the permission set is provisioned ' +
        'there, and after the switch to API nothing would: provision it and plan again, or remove the row',
    };
  }
  return { kind: 'roles', roleArns };
}

/** The notes of a converted sso row, per role it maps. */
export function ssoNotes(sso: SsoMatcher, roleArn: string, count: number): string[] {
  const notes = [`sso row (permission set ${sso.permissionSetName}) resolved to ${roleArn}, its Identity Center role (iam:ListRoles under ${SSO_ROLE_PATH_PREFIX})`];
  if (count > 1) {
    notes.push(`the row's pattern AWSReservedSSO_${sso.permissionSetName}_* matches ${count} roles (names of other permission sets may start with ${sso.permissionSetName}_): one entry each`);
  }
  return notes;
}

/** The warning every converted sso row carries: whether it grants access today is not documented. */
export function ssoGateWarning(sso: SsoMatcher): string {
  return (
    'sso rows match only behind the authenticator\'s alpha feature gate SSORoleMatch, off by default (pkg/config/features.go), and the EKS user guide does not say whether EKS turns it on: ' +
    `if the people of permission set ${sso.permissionSetName} cannot use the cluster today, this entry gives them access they do not have now`
  );
}
