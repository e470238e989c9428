/**
 * The conversion plan: what each `aws-auth` row becomes as an EKS access entry
 * (docs/architecture.md, "Safety invariants" 6 and "The migration workflow"). Pure and
 * deterministic: the same document and resolvers give the same plan, rows in document order
 * (mapRoles, mapUsers, mapAccounts); an `sso` row gives one row per Identity Center role it maps.
 *
 * A row is converted only if it grants access under aws-auth today and EKS accepts the
 * equivalent entry; anything else is flagged with a note. A flagged row that grants
 * access today is also a blocker: switching to `API` (one way, no return) would take that
 * access away. A converted row whose entry differs from the row in a way that keeps the access
 * (a username EKS refuses on a cluster-admin row, a Fargate row's username) carries a warning:
 * it never blocks.
 *
 * Sources for the rules, cited where they surprise (the row rules: ./conversion-rows.ts; sso
 * rows: ./conversion-sso.ts):
 * * kubernetes-sigs/aws-iam-authenticator `pkg/arn/arn.go` (Canonicalize),
 *   `pkg/server/server.go` (renderTemplate), `pkg/mapper/configmap` (matching),
 *   `pkg/config/mapper.go` (sso rows);
 * * EKS user guide, "Create access entries" (creating-access-entries.adoc), "Set a custom
 *   username" (set-custom-username.adoc), "Migrating existing aws-auth ConfigMap entries to
 *   access entries" (migrating-access-entries.adoc), "Deploy Windows nodes" (windows-support.adoc);
 * * eksctl `pkg/actions/accessentry/migrator.go` (`eksctl utils migrate-to-access-entry`).
 */
import { partitionOfArn, type Partition } from '#kernel/partition';
import { at } from './aws-auth-entries.ts';
import type { AwsAuthDocument, AwsAuthError, AwsAuthRow } from './aws-auth.ts';
import {
  arnFlags,
  classify,
  duplicateFlags,
  foldedIntent,
  sharedNodeRoles,
  splitArn,
  type Classified,
  type Flag,
  type PlannedEntry,
  type RowAction,
  type SharedNodeRole,
} from './conversion-rows.ts';
import {
  SSO_ROLE_PATH_PREFIX,
  canonicalRoleKey,
  resolveSso,
  ssoGateWarning,
  ssoMatches,
  ssoNotes,
  type SsoResolution,
  type SsoRoleListing,
} from './conversion-sso.ts';

export type { EntryType, PlannedAccessPolicy, PlannedEntry, RowAction } from './conversion-rows.ts';
export { FARGATE_USERNAME, MASTERS_GROUP, NODE_USERNAME, RESERVED_USERNAME_PREFIXES, WINDOWS_GROUP, usernameProblem } from './conversion-rows.ts';
export { SSO_ROLE_PATH_PREFIX, type SsoRoleListing } from './conversion-sso.ts';

export interface PlanRow {
  /** `mapRoles[0]`, `mapUsers[1]`, `mapAccounts[0]`. */
  source: string;
  principalArn: string;
  /** create: this system creates the entry; eks-managed: EKS creates it; flag: nobody does. */
  action: RowAction;
  entry: PlannedEntry;
  notes: string[];
  /** Only on a converted row: what changes although the access stays (never blocks). */
  warnings?: string[];
}

export interface ConversionPlan {
  valid: boolean;
  errors: AwsAuthError[];
  /**
   * What a person should read although nothing blocks: data keys the authenticator ignores, and
   * each converted row's warnings (where: the row). Always set by planConversion.
   */
  warnings?: AwsAuthError[];
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
   * Lists the IAM Identity Center roles of an account (iam:ListRoles with PathPrefix
   * /aws-reserved/sso.amazonaws.com/, done by an adapter at migration time), or says why that
   * account cannot be read. The plan picks the roles each `sso` row maps (conversion-sso.ts).
   * Absent offline: sso rows are planned as "resolved at migration time".
   */
  ssoRoles?: (accountId: string) => SsoRoleListing;
  /**
   * The cluster's partition (kernel/partition.ts `partitionOf(region)`): the ARNs the plan
   * writes (access policies, the account of a mapAccounts row) are in it. Absent offline: the
   * partition of the document's first IAM ARN, else aws.
   */
  partition?: Partition;
}

function planPartition(doc: AwsAuthDocument, options: PlanOptions): Partition {
  if (options.partition) return options.partition;
  for (const row of doc.rows) {
    const p = partitionOfArn(row.arn);
    if (p) return p;
  }
  return 'aws';
}

interface Resolution {
  principalArn: string;
  flags: Flag[];
  notes: string[];
}

function resolvePrincipal(row: AwsAuthRow, kind: 'role' | 'user' | undefined, neverMatches: boolean, options: PlanOptions): Resolution {
  if (!kind || neverMatches) return { principalArn: row.arn, flags: [], notes: [] };
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

/** What the plan of one document knows about all its rows. */
interface PlanContext {
  options: PlanOptions;
  partition: Partition;
  shared: Map<AwsAuthRow, SharedNodeRole>;
  sso: Map<AwsAuthRow, SsoResolution>;
  /** Roles more than one row maps (canonical key → sources): a coin toss today. */
  ambiguous: Map<string, string[]>;
}

interface Planned {
  row: PlanRow;
  blocker?: string;
}

function finish(row: AwsAuthRow, principalArn: string, flags: Flag[], notes: string[], classified: Classified): Planned {
  const action: RowAction = flags.length > 0 ? 'flag' : classified.action;
  const planned: PlanRow = {
    source: row.source,
    principalArn,
    action,
    entry: classified.entry,
    notes: [...flags.map((f) => f.note), ...notes, ...classified.notes],
    ...(action !== 'flag' && classified.warnings.length > 0 ? { warnings: classified.warnings } : {}),
  };
  // A flagged row blocks the one-way switch only if it grants access today: a row that
  // never matched (path, wildcard, overridden duplicate) takes nothing away.
  if (action === 'flag' && flags.every((f) => f.works)) {
    return { row: planned, blocker: `${row.source} (${principalArn}): ${flags.map((f) => f.note).join('; ')}` };
  }
  return { row: planned };
}

function ambiguityFlags(source: string, roleArn: string, ctx: PlanContext): Flag[] {
  const key = canonicalRoleKey(roleArn);
  const others = (key === undefined ? [] : (ctx.ambiguous.get(key) ?? [])).filter((s) => s !== source);
  if (others.length === 0) return [];
  return [{
    note:
      `${others.join(', ')} also map${others.length === 1 ? 's' : ''} this role: the authenticator keeps role rows in one map and uses the first that matches, ` +
      'in Go\'s random map order (pkg/mapper/configmap/configmap.go, RoleMapping), so which row applies is a coin toss; keep one row',
    works: true,
  }];
}

function planRow(row: AwsAuthRow, ctx: PlanContext): Planned[] {
  const intent = foldedIntent(row);
  const intentFlags = intent.flag ? [intent.flag] : [];
  if (row.sso) return planSsoRow(row, intentFlags, classify(intent, 'role', ctx.partition), ctx);
  const { flags: idFlags, kind } = arnFlags(row, splitArn(row.arn));
  const dupFlags = duplicateFlags(row, ctx.shared.get(row));
  const neverMatches = [...idFlags, ...dupFlags].some((f) => !f.works);
  const resolution = resolvePrincipal(row, kind, neverMatches, ctx.options);
  const classified = classify(intent, kind, ctx.partition);
  const ambiguity = kind === 'role' && !neverMatches ? ambiguityFlags(row.source, row.arn, ctx) : [];
  const flags = [...idFlags, ...dupFlags, ...resolution.flags, ...ambiguity, ...intentFlags, ...classified.flags];
  return [finish(row, resolution.principalArn, flags, resolution.notes, classified)];
}

function planSsoRow(row: AwsAuthRow, intentFlags: Flag[], classified: Classified, ctx: PlanContext): Planned[] {
  const sso = row.sso!;
  const pattern = `arn:${sso.partition}:iam::${sso.accountId}:role/AWSReservedSSO_${sso.permissionSetName}_*`;
  const base = [...duplicateFlags(row, undefined), ...intentFlags, ...classified.flags];
  const resolution = ctx.sso.get(row);
  if (!resolution) return [finish(row, pattern, base, [], classified)]; // overridden: never resolved
  const withWarning = { ...classified, warnings: [...classified.warnings, ssoGateWarning(sso)] };
  if (resolution.kind === 'offline') {
    const note = `sso row: the Identity Center role(s) of permission set ${sso.permissionSetName} are looked up at migration time (iam:ListRoles under ${SSO_ROLE_PATH_PREFIX}), one entry each`;
    return [finish(row, pattern, base, [note], withWarning)];
  }
  if (resolution.kind === 'flag') return [finish(row, pattern, [...base, { note: resolution.note, works: true }], [], classified)];
  return resolution.roleArns.map((roleArn) =>
    finish(row, roleArn, [...base, ...ambiguityFlags(row.source, roleArn, ctx)], ssoNotes(sso, roleArn, resolution.roleArns.length), withWarning),
  );
}

/** The roles each sso row maps; one listing per account. Overridden rows are not looked up. */
function resolveSsoRows(rows: readonly AwsAuthRow[], options: PlanOptions): Map<AwsAuthRow, SsoResolution> {
  const listings = new Map<string, SsoRoleListing>();
  const list = options.ssoRoles
    ? (account: string): SsoRoleListing => {
        if (!listings.has(account)) listings.set(account, options.ssoRoles!(account));
        return listings.get(account)!;
      }
    : undefined;
  const out = new Map<AwsAuthRow, SsoResolution>();
  for (const row of rows) if (row.sso && !row.overriddenBy) out.set(row, resolveSso(row.sso, list));
  return out;
}

/**
 * Roles that more than one row maps today: a rolearn row and an sso row whose pattern matches
 * it, or two sso rows (markDuplicates has already kept one row per exact key).
 */
function roleAmbiguities(rows: readonly AwsAuthRow[], sso: Map<AwsAuthRow, SsoResolution>): Map<string, string[]> {
  const explicit = new Map<string, string>();
  for (const r of rows) {
    const key = r.list === 'mapRoles' && !r.sso && !r.overriddenBy ? canonicalRoleKey(r.arn) : undefined;
    // Only a path-less ARN matches anyone (a path never matches: conversion-rows.ts, arnFlags).
    if (key !== undefined && key === r.arn.toLowerCase()) explicit.set(key, r.source);
  }
  const subjects = new Set(explicit.keys());
  for (const res of sso.values()) if (res.kind === 'roles') for (const a of res.roleArns) subjects.add(canonicalRoleKey(a)!);
  const ssoRows = [...sso.keys()];
  const out = new Map<string, string[]>();
  for (const key of subjects) {
    const sources = [...(explicit.has(key) ? [explicit.get(key)!] : []), ...ssoRows.filter((r) => ssoMatches(r.sso!, key)).map((r) => r.source)];
    if (sources.length > 1) out.set(key, sources);
  }
  return out;
}

/**
 * Plans the conversion of a parsed aws-auth document into access entries. An invalid
 * document gives an invalid plan with no rows and one blocker, so a caller that forgets to
 * check `valid` still cannot switch to API.
 */
export function planConversion(doc: AwsAuthDocument, options: PlanOptions = {}): ConversionPlan {
  const docWarnings = doc.warnings ?? [];
  if (!doc.valid) {
    return {
      valid: false,
      errors: doc.errors,
      warnings: docWarnings,
      rows: [],
      blockers: ['aws-auth is malformed: fix the errors before planning the migration'],
    };
  }
  const ordered = [...doc.rows.filter((r) => r.list === 'mapRoles'), ...doc.rows.filter((r) => r.list === 'mapUsers')];
  const sso = resolveSsoRows(ordered, options);
  const ctx: PlanContext = {
    options,
    partition: planPartition(doc, options),
    shared: sharedNodeRoles(ordered),
    sso,
    ambiguous: roleAmbiguities(ordered, sso),
  };
  const rows: PlanRow[] = [];
  const blockers: string[] = [];
  const warnings = [...docWarnings];
  for (const row of ordered) {
    for (const planned of planRow(row, ctx)) {
      rows.push(planned.row);
      if (planned.blocker) blockers.push(planned.blocker);
      for (const message of planned.row.warnings ?? []) {
        const where = at(row.source, row.line);
        if (!warnings.some((w) => w.where === where && w.message === message)) warnings.push({ where, message });
      }
    }
  }
  for (const account of doc.accounts) {
    // mapAccounts lets every IAM principal of the account in with its ARN as username and
    // no groups; access entries have no account-wide form (eksctl skips and blocks API too).
    const note = `mapAccounts admits every IAM principal of account ${account.accountId}; access entries have no account-wide equivalent: create an entry per principal that needs access`;
    rows.push({
      source: account.source,
      principalArn: `arn:${ctx.partition}:iam::${account.accountId}:root`,
      action: 'flag',
      entry: { type: 'STANDARD' },
      notes: [note],
    });
    blockers.push(`${account.source} (${account.accountId}): ${note}`);
  }
  return { valid: true, errors: [], warnings, rows, blockers };
}
