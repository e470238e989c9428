/**
 * The conversion plan: what each `aws-auth` row becomes as an EKS access entry
 * (docs/architecture.md, "Safety invariants" 6 and "The migration workflow"). Pure and deterministic: the same document and resolver give the
 * same plan, rows in document order (mapRoles, mapUsers, mapAccounts).
 *
 * A row is converted only if it grants access under aws-auth today and EKS accepts the
 * equivalent entry; anything else is flagged with a note. A flagged row that grants
 * access today is also a blocker: switching to `API` (one way, no return) would take that
 * access away.
 *
 * Sources for the rules, cited where they surprise:
 * * kubernetes-sigs/aws-iam-authenticator `pkg/arn/arn.go` (Canonicalize),
 *   `pkg/server/server.go` (renderTemplate), `pkg/mapper/configmap` (matching);
 * * EKS user guide, "Create access entries" (creating-access-entries.adoc) and
 *   "Set a custom username" (set-custom-username.adoc);
 * * eksctl `pkg/actions/accessentry/migrator.go` (`eksctl utils migrate-to-access-entry`).
 */
import type { AssociatedPolicy } from '#kernel/access-entry';
import { accessPolicyArn, partitionOfArn, type Partition } from '#kernel/partition';
import type { AwsAuthDocument, AwsAuthError, AwsAuthRow } from './aws-auth.ts';

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

export interface PlanRow {
  /** `mapRoles[0]`, `mapUsers[1]`, `mapAccounts[0]`. */
  source: string;
  principalArn: string;
  /** create: this system creates the entry; eks-managed: EKS creates it; flag: nobody does. */
  action: RowAction;
  entry: PlannedEntry;
  notes: string[];
}

export interface ConversionPlan {
  valid: boolean;
  errors: AwsAuthError[];
  rows: PlanRow[];
  /** Why the switch to API must not happen yet; empty when it may. */
  blockers: string[];
}

export interface PlanOptions {
  /**
   * Looks up a principal's real ARN (iam:GetRole / iam:GetUser by name, done by an adapter
   * at migration time). Given the ARN as written in aws-auth; returns the ARN with its path,
   * or undefined when the principal does not exist. Absent offline: ARNs are kept as written.
   */
  resolveArn?: (pathlessArn: string) => string | undefined;
  /**
   * The cluster's partition (kernel/partition.ts `partitionOf(region)`): the ARNs the plan
   * writes (access policies, the account of a mapAccounts row) are in it. Absent offline: the
   * partition of the document's first IAM ARN, else aws.
   */
  partition?: Partition;
}

export const NODE_USERNAME = 'system:node:{{EC2PrivateDNSName}}';
export const FARGATE_USERNAME = 'system:node:{{SessionName}}';
export const MASTERS_GROUP = 'system:masters';
export const WINDOWS_GROUP = 'eks:kube-proxy-windows';
const NODE_GROUPS = ['system:bootstrappers', 'system:nodes'];
const FARGATE_GROUP = 'system:node-proxier';

/** EKS rejects access entry usernames starting with these (creating-access-entries.adoc). */
export const RESERVED_USERNAME_PREFIXES = ['system:', 'eks:', 'aws:', 'amazon:', 'iam:'];
/** The only templates an access entry username may hold (set-custom-username.adoc). */
const ENTRY_TEMPLATES = ['{{SessionName}}', '{{SessionNameRaw}}'];

interface ParsedArn {
  partition: string;
  service: string;
  account: string;
  resource: string;
}

function splitArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

function clusterAdminPolicyArn(partition: Partition): string {
  return accessPolicyArn(partition, 'AmazonEKSClusterAdminPolicy');
}

function planPartition(doc: AwsAuthDocument, options: PlanOptions): Partition {
  if (options.partition) return options.partition;
  for (const row of doc.rows) {
    const p = partitionOfArn(row.arn);
    if (p) return p;
  }
  return 'aws';
}

/** One reason a row is not converted; `works` says whether the row grants access today. */
interface Flag {
  note: string;
  works: boolean;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Problems EKS would reject in a custom username, or undefined when it is acceptable. */
export function usernameProblem(username: string): string | undefined {
  const prefix = RESERVED_USERNAME_PREFIXES.find((p) => username.startsWith(p));
  if (prefix) return `EKS rejects access entry usernames starting with "${prefix}"`;
  const templates = username.match(/\{\{[^}]*\}\}/g) ?? [];
  const other = templates.filter((t) => !ENTRY_TEMPLATES.includes(t));
  if (other.length > 0) {
    // The authenticator also renders {{AccountID}}, {{AccessKeyID}} and {{EC2PrivateDNSName}};
    // access entries accept only the session-name templates.
    return `EKS access entry usernames accept only {{SessionName}} and {{SessionNameRaw}}, not ${unique(other).join(', ')}`;
  }
  const session = username.indexOf('{{SessionName');
  if (session !== -1 && !username.slice(0, session).includes(':')) {
    // "the username must include a colon before {{SessionName}}" — anywhere before it,
    // e.g. jo:hn{{SessionName}} is accepted (creating-access-entries.adoc).
    return 'EKS requires a ":" somewhere before {{SessionName}} in an access entry username';
  }
  return undefined;
}

/** Flags about the principal ARN itself; undefined principal kind means "not convertible". */
function arnFlags(row: AwsAuthRow, arn: ParsedArn | undefined): { flags: Flag[]; kind?: 'role' | 'user' } {
  if (row.sso) {
    return {
      flags: [
        {
          note: `sso matcher (permission set ${row.sso.permissionSetName} in ${row.sso.accountId}) maps every matching AWSReservedSSO_ role; access entries take one ARN each: create an entry per role`,
          works: true,
        },
      ],
    };
  }
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

function duplicateFlags(row: AwsAuthRow): Flag[] {
  const flags: Flag[] = [];
  if (row.overriddenBy) {
    flags.push({
      note: `overridden by ${row.overriddenBy}: the authenticator keeps one row per ARN (the last, compared case-insensitively; mapRoles before mapUsers), so this row grants nothing today`,
      works: false,
    });
  } else if (row.ambiguousWith) {
    flags.push({
      note: `same user as ${row.ambiguousWith.join(', ')} up to letter case: the authenticator picks one of them at random; keep one row`,
      works: true,
    });
  }
  return flags;
}

interface Resolution {
  principalArn: string;
  flags: Flag[];
  notes: string[];
}

function resolvePrincipal(row: AwsAuthRow, kind: 'role' | 'user' | undefined, pathFlagged: boolean, options: PlanOptions): Resolution {
  if (!kind || pathFlagged) return { principalArn: row.arn, flags: [], notes: [] };
  if (!options.resolveArn) {
    return {
      principalArn: row.arn,
      flags: [],
      notes:
        kind === 'role'
          ? ['aws-auth role ARNs carry no path; the real ARN (with its path) is resolved with iam:GetRole at migration time']
          : [],
    };
  }
  const resolved = options.resolveArn(row.arn);
  if (resolved === undefined) {
    return {
      principalArn: row.arn,
      flags: [{ note: `the IAM ${kind} does not exist or could not be looked up (iam:Get${kind === 'role' ? 'Role' : 'User'})`, works: true }],
      notes: [],
    };
  }
  const flags: Flag[] = [];
  const notes: string[] = [];
  if (resolved !== row.arn) notes.push(`resolved to ${resolved}`);
  if (resolved.includes(':role/aws-service-role/')) {
    flags.push({ note: 'a service-linked role: EKS does not support access entries for service-linked roles', works: true });
  }
  if (kind === 'user' && resolved.toLowerCase() !== row.arn.toLowerCase()) {
    // Users are matched on the full ARN including the path, so a path-less userarn for a
    // user with a path never matched.
    flags.push({ note: `the user's ARN is ${resolved}; this row omits the path and grants nothing today`, works: false });
  }
  return { principalArn: resolved, flags, notes };
}

interface Classified {
  action: Exclude<RowAction, 'flag'>;
  entry: PlannedEntry;
  flags: Flag[];
  notes: string[];
}

function nodeLike(row: AwsAuthRow, kind: 'role' | 'user' | undefined, required: string[], allowed: string[]): Flag[] {
  const flags: Flag[] = [];
  if (kind !== 'role') flags.push({ note: 'node entries must be IAM roles', works: true });
  const missing = required.filter((g) => !row.groups.includes(g));
  const extra = row.groups.filter((g) => !required.includes(g) && !allowed.includes(g));
  if (missing.length > 0) flags.push({ note: `a node row without ${missing.join(', ')}: check it by hand`, works: true });
  if (extra.length > 0) {
    flags.push({ note: `node entries carry no groups: ${unique(extra).join(', ')} would be lost`, works: true });
  }
  return flags;
}

function classify(row: AwsAuthRow, kind: 'role' | 'user' | undefined, partition: Partition): Classified {
  if (row.username === NODE_USERNAME) {
    // eksctl's migrator recognises node rows by this username and picks EC2_WINDOWS when
    // eks:kube-proxy-windows is among the groups. Node entries take no username, groups or
    // policies: EKS fills them in.
    const windows = row.groups.includes(WINDOWS_GROUP);
    return {
      action: 'create',
      entry: { type: windows ? 'EC2_WINDOWS' : 'EC2_LINUX' },
      flags: nodeLike(row, kind, NODE_GROUPS, [WINDOWS_GROUP]),
      notes: ['node role: EKS creates this entry itself for managed node groups; an existing entry is compared, not recreated'],
    };
  }
  if (row.username === FARGATE_USERNAME && row.groups.includes(FARGATE_GROUP)) {
    // EKS creates the FARGATE_LINUX entry for each Fargate profile's pod execution role
    // when access entries are enabled (creating-access-entries.adoc); the workflow verifies it.
    return {
      action: 'eks-managed',
      entry: { type: 'FARGATE_LINUX' },
      flags: nodeLike(row, kind, [FARGATE_GROUP], NODE_GROUPS),
      notes: ['Fargate pod execution role: EKS creates the FARGATE_LINUX entry itself; verified after the switch'],
    };
  }

  const flags: Flag[] = [];
  const notes: string[] = [];
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
  if (row.username !== undefined) {
    const problem = usernameProblem(row.username);
    if (problem) flags.push({ note: `username "${row.username}": ${problem}`, works: true });
  }
  const entry: PlannedEntry = { type: 'STANDARD' };
  if (row.username !== undefined) entry.username = row.username;
  if (kubernetesGroups.length > 0) entry.kubernetesGroups = kubernetesGroups;
  if (masters) {
    // As eksctl migrate-to-access-entry does; system:masters cannot be a kubernetesGroup.
    entry.accessPolicies = [{ policyArn: clusterAdminPolicyArn(partition), accessScope: { type: 'cluster' } }];
    notes.push('system:masters becomes AmazonEKSClusterAdminPolicy at cluster scope');
  }
  if (!masters && kubernetesGroups.length === 0 && row.groups.length === 0) {
    notes.push('no groups: the entry authenticates but grants only what RBAC binds to the username');
  }
  return { action: 'create', entry, flags, notes };
}

function planRow(row: AwsAuthRow, options: PlanOptions, partition: Partition): { row: PlanRow; blocker?: string } {
  const arn = splitArn(row.arn);
  const { flags: idFlags, kind } = arnFlags(row, arn);
  const pathFlagged = idFlags.some((f) => !f.works);
  const dupFlags = duplicateFlags(row);
  const resolution = resolvePrincipal(row, kind, pathFlagged || dupFlags.some((f) => !f.works), options);
  const classified = classify(row, kind, partition);

  const flags = [...idFlags, ...dupFlags, ...resolution.flags, ...classified.flags];
  const action: RowAction = flags.length > 0 ? 'flag' : classified.action;
  const principalArn = row.sso ? `sso:${row.sso.accountId}:${row.sso.permissionSetName}` : resolution.principalArn;
  const notes = [...flags.map((f) => f.note), ...resolution.notes, ...classified.notes];
  const planned: PlanRow = { source: row.source, principalArn, action, entry: classified.entry, notes };
  // A flagged row blocks the one-way switch only if it grants access today: a row that
  // never matched (path, wildcard, overridden duplicate) takes nothing away.
  const worksToday = flags.every((f) => f.works);
  if (action === 'flag' && worksToday) {
    return { row: planned, blocker: `${row.source} (${principalArn}): ${flags.map((f) => f.note).join('; ')}` };
  }
  return { row: planned };
}

/**
 * Plans the conversion of a parsed aws-auth document into access entries. An invalid
 * document gives an invalid plan with no rows and one blocker, so a caller that forgets to
 * check `valid` still cannot switch to API.
 */
export function planConversion(doc: AwsAuthDocument, options: PlanOptions = {}): ConversionPlan {
  if (!doc.valid) {
    return { valid: false, errors: doc.errors, rows: [], blockers: ['aws-auth is malformed: fix the errors before planning the migration'] };
  }
  const rows: PlanRow[] = [];
  const blockers: string[] = [];
  const partition = planPartition(doc, options);
  const ordered = [...doc.rows.filter((r) => r.list === 'mapRoles'), ...doc.rows.filter((r) => r.list === 'mapUsers')];
  for (const row of ordered) {
    const planned = planRow(row, options, partition);
    rows.push(planned.row);
    if (planned.blocker) blockers.push(planned.blocker);
  }
  for (const account of doc.accounts) {
    // mapAccounts lets every IAM principal of the account in with its ARN as username and
    // no groups; access entries have no account-wide form (eksctl skips and blocks API too).
    const note = `mapAccounts admits every IAM principal of account ${account.accountId}; access entries have no account-wide equivalent: create an entry per principal that needs access`;
    rows.push({
      source: account.source,
      principalArn: `arn:${partition}:iam::${account.accountId}:root`,
      action: 'flag',
      entry: { type: 'STANDARD' },
      notes: [note],
    });
    blockers.push(`${account.source} (${account.accountId}): ${note}`);
  }
  return { valid: true, errors: [], rows, blockers };
}
