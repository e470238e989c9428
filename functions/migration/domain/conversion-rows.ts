/**
 * The rules for one `aws-auth` row: what kind of principal it names, whether it grants access
 * today, and the access entry it becomes (docs/architecture.md, "Safety invariants" 6). Pure;
 * assembled into a plan by ./conversion.ts, which lists the sources.
 */
import type { AssociatedPolicy } from '#kernel/access-entry';
import { accessPolicyArn, type Partition } from '#kernel/partition';
import type { AwsAuthRow } from './aws-auth.ts';
import { accessEntryUsernameProblem as usernameProblem } from '#kernel/username';

export type EntryType = 'STANDARD' | 'EC2_LINUX' | 'EC2_WINDOWS' | 'FARGATE_LINUX';
export type RowAction = 'create' | 'eks-managed' | 'flag';

/** An access policy a planned entry gets: the shape EKS reports for an associated one. */
export type PlannedAccessPolicy = AssociatedPolicy;

/** The access entry a row becomes (for a flagged row: what it would become once fixed). */
export interface PlannedEntry {
  type: EntryType;
  username?: string;
  kubernetesGroups?: string[];
  accessPolicies?: PlannedAccessPolicy[];
}

/** One reason a row is not converted; `works` says whether the row grants access today. */
export interface Flag {
  note: string;
  works: boolean;
}

export interface Classified {
  action: Exclude<RowAction, 'flag'>;
  entry: PlannedEntry;
  flags: Flag[];
  notes: string[];
  /** Converted as planned, but something changes that a person should know (never blocks). */
  warnings: string[];
}

export const NODE_USERNAME = 'system:node:{{EC2PrivateDNSName}}';
export const FARGATE_USERNAME = 'system:node:{{SessionName}}';
export const MASTERS_GROUP = 'system:masters';
export const WINDOWS_GROUP = 'eks:kube-proxy-windows';
const NODE_GROUPS = ['system:bootstrappers', 'system:nodes'];
const FARGATE_GROUP = 'system:node-proxier';

// EKS's username rules (reserved prefixes, the only templates, a ":" before {{SessionName}}) are
// the kernel's, shared with the configuration's identityCenter.username. The authenticator also
// renders {{AccountID}}, {{AccessKeyID}} and {{EC2PrivateDNSName}}; access entries accept only the
// session-name templates, so such a row is flagged.
export { RESERVED_USERNAME_PREFIXES } from '#kernel/username';
export { usernameProblem };

export interface ParsedArn {
  partition: string;
  service: string;
  account: string;
  resource: string;
}

export function splitArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

export function unique(values: string[]): string[] {
  return [...new Set(values)];
}


/** Flags about the principal ARN itself; undefined principal kind means "not convertible". */
export function arnFlags(row: AwsAuthRow, arn: ParsedArn | undefined): { flags: Flag[]; kind?: 'role' | 'user' } {
  if (!arn) return { flags: [{ note: 'not an ARN', works: false }] };
  if (/[*?]/.test(row.arn)) {
    // The authenticator compares ARNs for equality (RoleMapping.Matches): a wildcard matches nothing.
    return { flags: [{ note: 'wildcards are not supported: the authenticator compares ARNs exactly, so this row grants nothing today', works: false }] };
  }
  if (arn.service === 'sts') {
    if (arn.resource.startsWith('assumed-role/')) {
      // Canonicalize turns every session into arn:…:iam::<account>:role/<name>, so an
      // assumed-role ARN in aws-auth never matches anyone.
      return {
        flags: [{ note: 'an STS assumed-role ARN never matches: the authenticator maps sessions to their IAM role ARN; map the role instead', works: false }],
      };
    }
    return {
      flags: [{ note: 'access entries cannot use STS session principals (CreateAccessEntry); map an IAM role or user', works: true }],
    };
  }
  if (arn.service !== 'iam') return { flags: [{ note: `"${arn.service}" is not an IAM principal ARN`, works: false }] };
  const [type, ...rest] = arn.resource.split('/');
  if (type === 'role' && rest.length > 0) {
    if (rest.length > 1) {
      // The ARN a session presents has no path (arn:…:sts::…:assumed-role/<name>/<session>),
      // so a mapRoles ARN with a path never matches (EKS "Troubleshooting IAM";
      // kubernetes-sigs/aws-iam-authenticator#153). Nobody has this access today.
      const slr = rest[0] === 'aws-service-role' ? ' (a service-linked role, which access entries do not support either)' : '';
      return {
        kind: 'role',
        flags: [
          {
            note: `role ARN with a path${slr}: it never matches under aws-auth, so it grants nothing today; create an access entry deliberately if the access is wanted`,
            works: false,
          },
        ],
      };
    }
    if (rest[0]!.startsWith('AWSServiceRoleFor')) {
      return {
        kind: 'role',
        flags: [{ note: 'a service-linked role: EKS does not support access entries for service-linked roles', works: true }],
      };
    }
    return { kind: 'role', flags: [] };
  }
  // A user ARN carries its path in GetCallerIdentity, so a user ARN with a path does match.
  if (type === 'user' && rest.length > 0) return { kind: 'user', flags: [] };
  return { flags: [{ note: `"${arn.resource}" is not an IAM role or user`, works: type === 'root' }] };
}

/** One node role mapped for Linux nodes and again for Windows nodes (see sharedNodeRoles). */
export interface SharedNodeRole {
  linux: string[];
  windows: string[];
  /** The row the authenticator uses for both kinds of node: the last one for the ARN. */
  effective: AwsAuthRow;
}

/**
 * Node roles mapped twice, once for Linux nodes (system:bootstrappers, system:nodes) and once
 * for Windows nodes (plus eks:kube-proxy-windows), as Terraform modules generate when one role
 * serves both. The authenticator keys role rows by ARN, so the last row serves both kinds of node
 * (markDuplicates). Access entries cannot express it either way: an IAM principal can be in only
 * one access entry, of type EC2_LINUX or EC2_WINDOWS (creating-access-entries.adoc), and for a
 * cluster using access entries EKS asks for a separate node role for Windows nodes ("If you use a
 * different Node IAM Role for Windows instances, EKS will automatically create the required
 * Windows Access Entry"; "Create a new node role for use with Windows instances": windows-support.adoc,
 * "Considerations for EKS Access Entries"). Which type would serve both is undocumented.
 */
export function sharedNodeRoles(rows: readonly AwsAuthRow[]): Map<AwsAuthRow, SharedNodeRole> {
  const byArn = new Map<string, AwsAuthRow[]>();
  for (const r of rows) {
    if (r.list !== 'mapRoles' || r.sso) continue;
    const k = r.arn.toLowerCase();
    byArn.set(k, [...(byArn.get(k) ?? []), r]);
  }
  const shared = new Map<AwsAuthRow, SharedNodeRole>();
  for (const group of byArn.values()) {
    if (group.length < 2 || !group.every((r) => r.username === NODE_USERNAME)) continue;
    const windows = group.filter((r) => r.groups.includes(WINDOWS_GROUP));
    if (windows.length === 0 || windows.length === group.length) continue;
    const info: SharedNodeRole = {
      linux: group.filter((r) => !windows.includes(r)).map((r) => r.source),
      windows: windows.map((r) => r.source),
      effective: group[group.length - 1]!,
    };
    for (const r of group) shared.set(r, info);
  }
  return shared;
}

export function duplicateFlags(row: AwsAuthRow, shared: SharedNodeRole | undefined): Flag[] {
  if (shared) {
    const mine = shared.effective.groups.includes(WINDOWS_GROUP) ? 'Windows' : 'Linux';
    if (row.overriddenBy) {
      return [{ note: `overridden by ${row.overriddenBy}, the same node role mapped for ${mine} nodes: the authenticator keeps only the last row for an ARN, so this row grants nothing today (see ${shared.effective.source})`, works: false }];
    }
    const today = mine === 'Windows'
      ? 'Linux and Windows nodes both join with eks:kube-proxy-windows'
      : 'Windows nodes join without eks:kube-proxy-windows, which their DNS resolution needs (windows-support.adoc)';
    return [
      {
        note:
          `one node role for Linux (${shared.linux.join(', ')}) and Windows (${shared.windows.join(', ')}) nodes: an IAM principal can have only one access entry, ` +
          'EC2_LINUX or EC2_WINDOWS (creating-access-entries.adoc), and with access entries EKS asks for a separate node role for Windows nodes ' +
          `(windows-support.adoc); which type would serve both is not documented. Today the authenticator uses this row, the last for the ARN, for both: ${today}. ` +
          'Give the Windows nodes their own node role, then plan again',
        works: true,
      },
    ];
  }
  if (row.overriddenBy) {
    return [{
      note: `overridden by ${row.overriddenBy}: the authenticator keeps one row per ARN (the last, compared case-insensitively; mapRoles before mapUsers), so this row grants nothing today`,
      works: false,
    }];
  }
  if (row.ambiguousWith) {
    return [{ note: `same user as ${row.ambiguousWith.join(', ')} up to letter case: the authenticator picks one of them at random; keep one row`, works: true }];
  }
  return [];
}

/** The pieces of a folded list: "admin - system:masters" → ["admin", "system:masters"]. */
function unfold(text: string): string[] {
  return text
    .replace(/(^|\s)groups:(?=\s|$)/g, ' ')
    .split(/(?:^|\s+)-\s+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * What a row whose username or group holds a folded YAML list most likely meant, and the flag
 * naming it. The authenticator takes such a string as it is (a username "admin - system:masters",
 * no groups), so the row grants access today — just not the access intended: flagged and
 * blocking, never converted with that string.
 */
export function foldedIntent(row: AwsAuthRow): { username?: string; groups: string[]; flag?: Flag } {
  const folded = row.folded ?? [];
  if (folded.length === 0) return { ...(row.username === undefined ? {} : { username: row.username }), groups: row.groups };
  let username = row.username;
  const extra: string[] = [];
  if (folded.some((f) => f.field === 'username') && username !== undefined) {
    // Only the first piece can be the username: the rest are the list that was meant for groups.
    const startsWithItem = /^-\s/.test(username.trim());
    const pieces = unfold(username);
    username = startsWithItem ? undefined : pieces.shift();
    extra.push(...pieces);
  }
  const groups = unique([...extra, ...row.groups.flatMap((g) => (folded.some((f) => f.text === g && f.field !== 'username') ? unfold(g) : [g]))]);
  const what = folded.map((f) => `${f.field} "${f.text}"`).join(' and ');
  const intent = `${username === undefined ? 'no username' : `username "${username}"`}, groups [${groups.join(', ')}]`;
  return {
    ...(username === undefined ? {} : { username }),
    groups,
    flag: {
      note:
        `${what} holds a YAML list folded into one string (list items indented under the wrong key); the authenticator uses the string as it is, ` +
        `so the row grants access today, not the access meant. Likely intent: ${intent}. Not converted: fix the row in aws-auth, then plan again`,
      works: true,
    },
  };
}

function nodeLike(kind: 'role' | 'user' | undefined, groups: string[], required: string[], allowed: string[]): Flag[] {
  const flags: Flag[] = [];
  if (kind !== 'role') flags.push({ note: 'node entries must be IAM roles', works: true });
  const missing = required.filter((g) => !groups.includes(g));
  const extra = groups.filter((g) => !required.includes(g) && !allowed.includes(g));
  if (missing.length > 0) flags.push({ note: `a node row without ${missing.join(', ')}: check it by hand`, works: true });
  if (extra.length > 0) {
    flags.push({ note: `node entries carry no groups: ${unique(extra).join(', ')} would be lost`, works: true });
  }
  return flags;
}

/** The entry for a row's username and groups (its likely intent, for a folded row). */
export function classify(row: { username?: string; groups: string[] }, kind: 'role' | 'user' | undefined, partition: Partition): Classified {
  if (row.username === NODE_USERNAME) {
    // eksctl's migrator recognises node rows by this username and picks EC2_WINDOWS when
    // eks:kube-proxy-windows is among the groups. Node entries take no username, groups or
    // policies: EKS fills them in.
    const windows = row.groups.includes(WINDOWS_GROUP);
    return {
      action: 'create',
      entry: { type: windows ? 'EC2_WINDOWS' : 'EC2_LINUX' },
      flags: nodeLike(kind, row.groups, NODE_GROUPS, [WINDOWS_GROUP]),
      notes: ['node role: EKS creates this entry itself for managed node groups; an existing entry is compared, not recreated'],
      warnings: [],
    };
  }
  if (row.groups.includes(FARGATE_GROUP)) {
    // system:node-proxier is what sets a Fargate pod execution role apart: the row EKS writes for
    // a Fargate profile holds system:bootstrappers, system:nodes, system:node-proxier (EKS user
    // guide, migrating-access-entries.adoc, whose example calls it "created by Amazon EKS for a
    // Fargate profile"), and no other row EKS writes carries that group. Rows edited by hand keep
    // it while the username or the other groups drift. With access entries EKS creates the
    // FARGATE_LINUX entry for each profile's role itself ("It's unnecessary to create an access
    // entry for an IAM role that's used for ... a Fargate profile", creating-access-entries.adoc);
    // the workflow verifies it after the switch. eksctl's migrator has no Fargate case: it skips
    // such rows and refuses API.
    const warnings: string[] = [];
    if (row.username !== FARGATE_USERNAME) {
      warnings.push(
        `${row.username === undefined ? 'no username' : `username "${row.username}"`} is not kept: the FARGATE_LINUX entry EKS creates has the username EKS sets for that type, ${FARGATE_USERNAME} (creating-access-entries.adoc)`,
      );
    }
    return {
      action: 'eks-managed',
      entry: { type: 'FARGATE_LINUX' },
      flags: nodeLike(kind, row.groups, [FARGATE_GROUP], NODE_GROUPS),
      notes: ['Fargate pod execution role (system:node-proxier): EKS creates the FARGATE_LINUX entry itself; verified after the switch'],
      warnings,
    };
  }

  const flags: Flag[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  if (row.username === FARGATE_USERNAME) {
    flags.push({ note: 'system:node:{{SessionName}} without system:node-proxier looks like a hybrid node role (HYBRID_LINUX): convert it by hand', works: true });
  }
  const masters = row.groups.includes(MASTERS_GROUP);
  const others = unique(row.groups.filter((g) => g !== MASTERS_GROUP));
  const systemGroups = others.filter((g) => g.startsWith('system:'));
  const templated = others.filter((g) => g.includes('{{'));
  const kubernetesGroups = others.filter((g) => !g.startsWith('system:'));
  if (systemGroups.length > 0) {
    // eksctl refuses these too; Kubernetes reserves system: groups for itself.
    flags.push({ note: `kubernetesGroups cannot start with "system:": ${systemGroups.join(', ')}`, works: true });
  }
  if (templated.length > 0) {
    flags.push({ note: `access entry groups are literal names; the authenticator renders templates in ${templated.join(', ')}`, works: true });
  }
  const entry: PlannedEntry = { type: 'STANDARD' };
  if (row.username !== undefined) {
    const problem = usernameProblem(row.username);
    if (!problem || !masters) entry.username = row.username;
    if (problem && masters) {
      // Cluster admin is AmazonEKSClusterAdminPolicy on the entry, whatever its username, so the
      // username EKS refuses is left out and EKS sets its default (the role's
      // arn:…:sts::<account>:assumed-role/<name>/{{SessionName}}, or the user's ARN:
      // creating-access-entries.adoc). eksctl's migrator would send the username and fail.
      warnings.push(
        `username "${row.username}" is not kept (${problem}): the entry gets EKS's default username (the role's assumed-role ARN with {{SessionName}}, or the user's ARN). ` +
          'Cluster admin comes from AmazonEKSClusterAdminPolicy and does not depend on the username; audit logs and anything matching the old name (admission policies, RoleBindings to the user) see the new one',
      );
    } else if (problem) {
      // Without system:masters the access may come from RBAC bound to this very username.
      flags.push({ note: `username "${row.username}": ${problem}; RBAC may bind this name: choose one EKS accepts and bind it, then plan again`, works: true });
    }
  }
  if (kubernetesGroups.length > 0) entry.kubernetesGroups = kubernetesGroups;
  if (masters) {
    // As eksctl migrate-to-access-entry does; system:masters cannot be a kubernetesGroup.
    entry.accessPolicies = [{ policyArn: accessPolicyArn(partition, 'AmazonEKSClusterAdminPolicy'), accessScope: { type: 'cluster' } }];
    notes.push('system:masters becomes AmazonEKSClusterAdminPolicy at cluster scope');
  }
  if (!masters && kubernetesGroups.length === 0 && row.groups.length === 0) {
    notes.push('no groups: the entry authenticates but grants only what RBAC binds to the username');
  }
  return { action: 'create', entry, flags, notes, warnings };
}
