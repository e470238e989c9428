/**
 * The rows of `aws-auth` (`mapRoles`, `mapUsers`, `mapAccounts` entries), read one by one the way
 * the AWS IAM Authenticator reads them (see ./aws-auth.ts for the sources). Pure.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document } from 'yaml';

export type AwsAuthList = 'mapRoles' | 'mapUsers';

export interface AwsAuthError {
  /** Where the problem is: `mapRoles[2].groups (line 14)`, `data.maproles (line 7)`, `document (line 3)`. */
  where: string;
  message: string;
}

/** An `sso` matcher row (maps every `AWSReservedSSO_<permissionSetName>_*` role of an account). */
export interface SsoMatcher {
  permissionSetName: string;
  accountId: string;
  /** `partition` as written, `aws` when the row leaves it out. */
  partition: string;
  /** True when the row writes `partition` (which changes what the authenticator matches: see conversion-sso.ts). */
  partitionWritten?: true;
}

/**
 * A username or group item into which YAML folded a list: `username: admin` followed by a more
 * indented `- system:masters` line is one plain scalar, "admin - system:masters" (YAML 1.2 §7.3.3,
 * multi-line plain scalars fold line breaks into spaces).
 */
export interface FoldedValue {
  /** `username` or `groups[1]`. */
  field: string;
  text: string;
}

export interface AwsAuthRow {
  /** `mapRoles[0]`: the data key and the index of the entry in its list. */
  source: string;
  list: AwsAuthList;
  /** The ARN as written (`rolearn` or `userarn`); empty for an `sso` row. */
  arn: string;
  sso?: SsoMatcher;
  username?: string;
  groups: string[];
  /** 1-based line of the entry in the file, when the value is a `|` block (kubectl's output). */
  line?: number;
  /** Source of the row the authenticator uses instead of this one (same ARN, later or in mapRoles). */
  overriddenBy?: string;
  /** mapUsers rows whose ARNs differ only in case: the authenticator picks one of them at random. */
  ambiguousWith?: string[];
  /** Values that hold a folded list (kept as the authenticator reads them, in username and groups). */
  folded?: FoldedValue[];
}

export interface AwsAuthAccount {
  source: string;
  accountId: string;
  line?: number;
}

const ENTRY_KEYS: Record<AwsAuthList, readonly string[]> = {
  mapRoles: ['rolearn', 'username', 'groups', 'sso'],
  mapUsers: ['userarn', 'username', 'groups'],
};
const ARN_KEY: Record<AwsAuthList, string> = { mapRoles: 'rolearn', mapUsers: 'userarn' };
const SSO_KEYS = ['permissionsetname', 'accountid', 'partition'];
const SSO_PARTITIONS = ['', 'aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b'];

/** Six colon-separated parts, no whitespace; the conversion classifies what kind of ARN it is. */
const ARN_SHAPE = /^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+$/;
/** Template placeholders such as `<ARN of instance role (not instance profile)>`. */
const PLACEHOLDER = /<[^<>\n]*>/;
/** `groups: - system:masters` on one line: YAML reads the list as one plain string. */
const FOLDED_LIST = /(^|\s)-\s+\S/;
/** A list item or another key folded into a value: "admin - system:masters", "admin groups: - x". */
export function isFolded(text: string): boolean {
  return FOLDED_LIST.test(text) || /\sgroups:(\s|$)/.test(text);
}

export type LineOf = (node: unknown) => number | undefined;

export interface Ctx {
  errors: AwsAuthError[];
  /** What does not make the document invalid but changes what it means (data keys nobody reads). */
  warnings: AwsAuthError[];
}

export function at(where: string, line: number | undefined): string {
  return line === undefined ? where : `${where} (line ${line})`;
}

export function describe(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string "${v}"`;
    return `the ${typeof v} ${String(v)}`;
  }
  return 'an unexpected value';
}

export function resolveNode(node: unknown, doc: Document): unknown {
  // go-yaml resolves aliases, so an alias is as good as the anchored node.
  return isAlias(node) ? node.resolve(doc) : node;
}

export function parseAccount(source: string, item: unknown, lineOf: LineOf, ctx: Ctx, accounts: AwsAuthAccount[]): void {
  const line = lineOf(item);
  // go-yaml decodes a scalar into a Go string from its source text, so an unquoted
  // 012345678901 stays "012345678901" (not the number 12345678901).
  const text = isScalar(item) ? (item.source ?? String(item.value)) : undefined;
  if (text === undefined || !/^\d{12}$/.test(text)) {
    ctx.errors.push({ where: at(source, line), message: `expected a 12-digit AWS account ID, got ${describe(item)}` });
    return;
  }
  accounts.push({ source, accountId: text, ...(line === undefined ? {} : { line }) });
}

function checkText(where: string, field: string, text: string, ctx: Ctx): boolean {
  if (PLACEHOLDER.test(text)) {
    ctx.errors.push({ where, message: `${field} still holds a template placeholder (${PLACEHOLDER.exec(text)?.[0]}): replace it with the real value` });
    return false;
  }
  return true;
}

export function parseEntry(
  list: AwsAuthList,
  source: string,
  item: unknown,
  doc: Document,
  lineOf: LineOf,
  ctx: Ctx,
): AwsAuthRow | undefined {
  const line = lineOf(item);
  const arnKey = ARN_KEY[list];
  if (!isMap(item)) {
    ctx.errors.push({ where: at(source, line), message: `expected an entry with ${arnKey}, username and groups, got ${describe(item)}` });
    return undefined;
  }
  const before = ctx.errors.length;
  const fields = new Map<string, { value: unknown; line: number | undefined }>();
  for (const pair of item.items) {
    const keyNode = pair.key;
    const keyText = isScalar(keyNode) ? String(keyNode.value) : describe(keyNode);
    const keyLine = lineOf(keyNode) ?? line;
    // encoding/json matches struct fields case-insensitively (rOlEaRn works) and ignores
    // unknown ones, which turns a typo such as role_arn into a silently dropped row.
    const canonical = keyText.toLowerCase();
    if (!ENTRY_KEYS[list].includes(canonical)) {
      ctx.errors.push({
        where: at(`${source}.${keyText}`, keyLine),
        message: `unknown key "${keyText}": ${list} entries take ${ENTRY_KEYS[list].join(', ')} (any case); the authenticator would ignore it`,
      });
      continue;
    }
    if (fields.has(canonical)) {
      ctx.errors.push({ where: at(`${source}.${keyText}`, keyLine), message: `"${keyText}" is given twice in this entry (keys match in any case)` });
      continue;
    }
    const value = resolveNode(pair.value, doc);
    fields.set(canonical, { value, line: lineOf(value) ?? keyLine });
  }

  const arn = readArn(source, arnKey, fields.get(arnKey), line, ctx, list === 'mapRoles' && fields.has('sso'));
  const sso = list === 'mapRoles' ? readSso(source, fields.get('sso'), ctx) : undefined;
  if (arn !== undefined && sso !== undefined) {
    ctx.errors.push({ where: at(source, line), message: 'give either rolearn or sso, not both (the authenticator rejects the entry)' });
  }
  const folded: FoldedValue[] = [];
  const username = readUsername(source, fields.get('username'), ctx);
  if (username !== undefined && isFolded(username)) folded.push({ field: 'username', text: username });
  const groups = readGroups(source, fields.get('groups'), lineOf, ctx);
  (groups ?? []).forEach((g, i) => {
    if (isFolded(g)) folded.push({ field: `groups[${i}]`, text: g });
  });
  if (ctx.errors.length > before) return undefined;

  return {
    source,
    list,
    arn: arn ?? '',
    ...(sso ? { sso } : {}),
    ...(username === undefined ? {} : { username }),
    groups: groups ?? [],
    ...(line === undefined ? {} : { line }),
    ...(folded.length > 0 ? { folded } : {}),
  };
}

function readArn(
  source: string,
  arnKey: string,
  field: { value: unknown; line: number | undefined } | undefined,
  entryLine: number | undefined,
  ctx: Ctx,
  hasSso: boolean,
): string | undefined {
  if (!field) {
    if (!hasSso) ctx.errors.push({ where: at(source, entryLine), message: `missing ${arnKey}: the authenticator drops an entry without one` });
    return undefined;
  }
  const where = at(`${source}.${arnKey}`, field.line);
  const v = field.value;
  if (!isScalar(v) || typeof v.value !== 'string' || v.value.trim() === '') {
    ctx.errors.push({ where, message: `expected an IAM ARN, got ${describe(v)}` });
    return undefined;
  }
  const text = v.value;
  if (!checkText(where, arnKey, text, ctx)) return undefined;
  if (FOLDED_LIST.test(text)) {
    ctx.errors.push({ where, message: `"${text}" holds a " - " list inside the value: put each key and list item on its own line` });
    return undefined;
  }
  if (!ARN_SHAPE.test(text)) {
    ctx.errors.push({ where, message: `"${text}" is not an ARN (expected arn:<partition>:iam::<account>:role/<name> or :user/<name>)` });
    return undefined;
  }
  return text;
}

function readSso(source: string, field: { value: unknown; line: number | undefined } | undefined, ctx: Ctx): SsoMatcher | undefined {
  if (!field) return undefined;
  const where = at(`${source}.sso`, field.line);
  const v = field.value;
  if (!isMap(v)) {
    ctx.errors.push({ where, message: `expected permissionSetName, accountID and partition, got ${describe(v)}` });
    return undefined;
  }
  const got: Record<string, string> = {};
  for (const pair of v.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : describe(pair.key);
    const value = pair.value;
    if (!SSO_KEYS.includes(k.toLowerCase())) {
      ctx.errors.push({ where: at(`${source}.sso.${k}`, field.line), message: `unknown key "${k}": sso takes permissionSetName, accountID, partition` });
      continue;
    }
    got[k.toLowerCase()] = isScalar(value) ? (value.source ?? String(value.value)) : '';
  }
  // The same checks as RoleMapping.Validate in pkg/config/mapper.go.
  const accountId = got['accountid'] ?? '';
  const permissionSetName = got['permissionsetname'] ?? '';
  const partition = got['partition'] ?? '';
  if (!/^\d{12}$/.test(accountId)) ctx.errors.push({ where, message: `sso.accountID "${accountId}" is not a 12-digit account ID` });
  if (!/^[\w+=,.@-]{1,32}$/.test(permissionSetName)) ctx.errors.push({ where, message: `sso.permissionSetName "${permissionSetName}" is not a permission set name` });
  if (!SSO_PARTITIONS.includes(partition)) ctx.errors.push({ where, message: `sso.partition "${partition}" is not an AWS partition` });
  return { permissionSetName, accountId, partition: partition || 'aws', ...(partition === '' ? {} : { partitionWritten: true as const }) };
}

function readUsername(source: string, field: { value: unknown; line: number | undefined } | undefined, ctx: Ctx): string | undefined {
  if (!field) return undefined;
  const where = at(`${source}.username`, field.line);
  const v = field.value;
  if (isScalar(v) && v.value === null) return undefined;
  if (!isScalar(v) || typeof v.value !== 'string') {
    // e.g. `username: {{SessionName}}` unquoted is a YAML flow mapping, `username: yes` a boolean.
    ctx.errors.push({ where, message: `expected a string, got ${describe(v)}${isMap(v) ? ' (quote values that start with {{)' : ''}` });
    return undefined;
  }
  const text = v.value;
  if (!checkText(where, 'username', text, ctx)) return undefined;
  // A list folded into the username ("admin - system:masters") is kept as written: the
  // authenticator takes the whole string as the username, so the row grants access today and
  // the conversion flags it (conversion-rows.ts, foldedIntent) instead of refusing the document.
  return text === '' ? undefined : text;
}

function readGroups(
  source: string,
  field: { value: unknown; line: number | undefined } | undefined,
  lineOf: LineOf,
  ctx: Ctx,
): string[] | undefined {
  if (!field) return [];
  const where = at(`${source}.groups`, field.line);
  const v = field.value;
  if (isScalar(v) && v.value === null) return [];
  if (!isSeq(v)) {
    const folded = isScalar(v) && typeof v.value === 'string' && FOLDED_LIST.test(v.value);
    ctx.errors.push({
      where,
      message: folded
        ? `groups is the string "${String((v as { value: unknown }).value)}": a " - " list written on one line is not a list; put each group on its own line`
        : `groups must be a list, got ${describe(v)}`,
    });
    return undefined;
  }
  const groups: string[] = [];
  v.items.forEach((g, i) => {
    const gWhere = at(`${source}.groups[${i}]`, lineOf(g) ?? field.line);
    if (!isScalar(g) || typeof g.value !== 'string' || g.value === '') {
      ctx.errors.push({ where: gWhere, message: `groups[${i}] must be a non-empty string, got ${describe(g)}` });
      return;
    }
    if (!checkText(gWhere, `groups[${i}]`, g.value, ctx)) return;
    groups.push(g.value);
  });
  return groups;
}

/** The authenticator's map key of an sso row: SSOArnLike (the partition is empty when written: see conversion-sso.ts). */
function ssoKey(sso: SsoMatcher): string {
  return `sso:arn:${sso.partitionWritten ? '' : 'aws'}:iam::${sso.accountId}:role/awsreservedsso_${sso.permissionSetName}_*`.toLowerCase();
}

/**
 * Marks the rows the authenticator never uses. saveMap stores rows in maps keyed by ARN —
 * roles by the lowercased ARN, users by the ARN as written — so within a list the last row
 * wins; Map() lowercases the caller's ARN and asks the role map first, then iterates the
 * user map comparing case-insensitively. So a role row beats any user row for the same ARN,
 * and user rows whose ARNs differ only in case are a coin toss (Go map iteration order).
 */
export function markDuplicates(rows: AwsAuthRow[]): void {
  const byArn = new Map<string, AwsAuthRow[]>();
  for (const row of rows) {
    // An sso row is stored under its pattern (RoleMapping.Key, pkg/config/mapper.go: SSOArnLike,
    // lowercased), so two sso rows for the same permission set and account also keep the last.
    const k = row.sso ? ssoKey(row.sso) : row.arn.toLowerCase();
    byArn.set(k, [...(byArn.get(k) ?? []), row]);
  }
  for (const group of byArn.values()) {
    if (group.length < 2) continue;
    const roleRows = group.filter((r) => r.list === 'mapRoles');
    if (roleRows.length > 0) {
      const winner = roleRows[roleRows.length - 1]!;
      for (const r of group) if (r !== winner) r.overriddenBy = winner.source;
      continue;
    }
    const lastByExact = new Map<string, AwsAuthRow>();
    for (const r of group) lastByExact.set(r.arn, r);
    const candidates = [...lastByExact.values()];
    for (const r of group) {
      const kept = lastByExact.get(r.arn)!;
      if (r !== kept) r.overriddenBy = kept.source;
    }
    if (candidates.length > 1) {
      for (const c of candidates) c.ambiguousWith = candidates.filter((o) => o !== c).map((o) => o.source);
    }
  }
}
