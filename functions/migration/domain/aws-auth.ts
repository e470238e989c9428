/**
 * Reads the `aws-auth` ConfigMap the way the AWS IAM Authenticator does (docs/architecture.md,
 * "Safety invariants" 6 and 8), so the conversion plan describes the access people really have today. Pure.
 *
 * What the authenticator does (kubernetes-sigs/aws-iam-authenticator
 * `pkg/mapper/configmap/configmap.go` ParseMap/saveMap, `pkg/config/mapper.go`):
 * * it reads only the data keys `mapRoles`, `mapUsers` and `mapAccounts`; each is a string
 *   holding a YAML (or JSON) list, converted with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1
 *   scalars: `yes` is a boolean) and decoded with encoding/json, so entry keys match
 *   case-insensitively and unknown keys are silently ignored;
 * * a role entry needs `rolearn` (or an `sso` matcher), a user entry `userarn`; entries
 *   without one are dropped;
 * * rows are stored in a map keyed by ARN — role keys lowercased, user keys as written —
 *   so the last row for an ARN replaces earlier ones; lookups lowercase the caller's ARN
 *   and try role rows before user rows.
 *
 * This parser is stricter than the authenticator on purpose: anything the authenticator
 * would silently drop or misread inside an entry (an unknown key such as `role_arn`, a missing
 * ARN, `groups` written as a scalar, an unreplaced `<placeholder>`) makes the whole document
 * invalid, because converting a document we do not understand could take someone's access
 * away. (`groups: system:masters`: encoding/json cannot put a string into []string; Unmarshal
 * "skips that field and completes the unmarshaling as best it can" and returns the
 * UnmarshalTypeError, and ParseMap logs it and still validates and keeps the rows it got, so that
 * row maps its username with no groups — surely not what was meant.)
 * Two things are not errors, because what the authenticator does with them is certain:
 * * a data key other than the three (`mapGroups` from a tutorial, `maproles`) is never read
 *   (ParseMap looks up m["mapRoles"], m["mapUsers"], m["mapAccounts"] only), so it grants
 *   nothing today: a warning, in `warnings`;
 * * a username or group that holds a folded list (`admin - system:masters`) is a string the
 *   authenticator uses as it is: the row is kept and the conversion flags it.
 * It never throws for bad input: it returns errors naming the data key, the entry index and
 * the line in the file where one is known.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Pair, YAMLError } from 'yaml';
import {
  at,
  describe,
  markDuplicates,
  parseAccount,
  parseEntry,
  resolveNode,
  type AwsAuthAccount,
  type AwsAuthError,
  type AwsAuthRow,
  type Ctx,
  type LineOf,
} from './aws-auth-entries.ts';

export type { AwsAuthAccount, AwsAuthError, AwsAuthList, AwsAuthRow, FoldedValue, SsoMatcher } from './aws-auth-entries.ts';

export const AWS_AUTH_DATA_KEYS = ['mapRoles', 'mapUsers', 'mapAccounts'] as const;
export type AwsAuthDataKey = (typeof AWS_AUTH_DATA_KEYS)[number];

export interface AwsAuthDocument {
  /** False when anything is malformed; then `rows` and `accounts` are empty. */
  valid: boolean;
  errors: AwsAuthError[];
  /** What is read but grants nothing (data keys the authenticator ignores); never makes the document invalid. */
  warnings: AwsAuthError[];
  rows: AwsAuthRow[];
  accounts: AwsAuthAccount[];
  /** `metadata.resourceVersion`, kept for the backup and an optimistic-concurrency patch. */
  resourceVersion?: string;
}

/** Start offset of a parsed node, if it has one. */
function startOf(node: unknown): number | undefined {
  const range = (node as { range?: unknown } | null | undefined)?.range;
  return Array.isArray(range) && typeof range[0] === 'number' ? range[0] : undefined;
}

/** First line of a yaml error message, without the " at line N, column M" the offsets already give. */
function yamlMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function lineTextAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const end = text.indexOf('\n', offset);
  return text.slice(start, end === -1 ? undefined : end);
}

/**
 * Parses `kubectl get configmap aws-auth -n kube-system -o yaml` (or `-o json`) output.
 * Returns every problem found rather than stopping at the first; never throws.
 */
export function parseAwsAuth(text: string): AwsAuthDocument {
  const ctx: Ctx = { errors: [], warnings: [] };
  const invalid = (): AwsAuthDocument => ({ valid: false, errors: ctx.errors, warnings: ctx.warnings, rows: [], accounts: [] });
  if (typeof text !== 'string') {
    ctx.errors.push({ where: 'document', message: 'expected the text of the aws-auth ConfigMap' });
    return invalid();
  }

  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineOf: LineOf = (node) => {
    const start = startOf(node);
    return start === undefined ? undefined : lc.linePos(start).line;
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      ctx.errors.push({ where: at('document', lc.linePos(e.pos[0]).line), message: `YAML error: ${yamlMessage(e)}` });
    }
    return invalid();
  }

  const root = doc.contents;
  if (!isMap(root)) {
    ctx.errors.push({ where: at('document', lineOf(root)), message: `expected a ConfigMap object, got ${describe(root)}` });
    return invalid();
  }

  const kind: unknown = root.get('kind', true);
  if (!isScalar(kind) || kind.value !== 'ConfigMap') {
    ctx.errors.push({ where: at('kind', lineOf(kind)), message: `expected kind: ConfigMap, got ${describe(kind)}` });
  }
  const metadata: unknown = root.get('metadata', true);
  let resourceVersion: string | undefined;
  if (!isMap(metadata)) {
    ctx.errors.push({ where: at('metadata', lineOf(metadata)), message: `expected metadata with name: aws-auth, got ${describe(metadata)}` });
  } else {
    const name: unknown = metadata.get('name', true);
    if (!isScalar(name) || name.value !== 'aws-auth') {
      ctx.errors.push({ where: at('metadata.name', lineOf(name)), message: `expected the aws-auth ConfigMap, got ${describe(name)}` });
    }
    const namespace: unknown = metadata.get('namespace', true);
    if (namespace !== undefined && (!isScalar(namespace) || namespace.value !== 'kube-system')) {
      ctx.errors.push({
        where: at('metadata.namespace', lineOf(namespace)),
        message: `the authenticator reads aws-auth from kube-system, got ${describe(namespace)}`,
      });
    }
    const rv: unknown = metadata.get('resourceVersion', true);
    if (isScalar(rv) && (typeof rv.value === 'string' || typeof rv.value === 'number')) resourceVersion = String(rv.value);
  }

  const rows: AwsAuthRow[] = [];
  const accounts: AwsAuthAccount[] = [];
  const data: unknown = root.get('data', true);
  if (data !== undefined && !(isScalar(data) && data.value === null)) {
    if (!isMap(data)) {
      ctx.errors.push({ where: at('data', lineOf(data)), message: `expected a mapping of data keys, got ${describe(data)}` });
    } else {
      const values = new Map<AwsAuthDataKey, Pair<unknown, unknown>>();
      for (const pair of data.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyLine = lineOf(pair.key);
        if ((AWS_AUTH_DATA_KEYS as readonly string[]).includes(key)) {
          values.set(key as AwsAuthDataKey, pair);
        } else {
          ctx.warnings.push({ where: at(`data.${key}`, keyLine), message: unknownKeyWarning(key) });
        }
      }
      for (const key of AWS_AUTH_DATA_KEYS) {
        const pair = values.get(key);
        if (pair) parseDataValue(key, pair, lineOf, ctx, rows, accounts);
      }
    }
  }

  if (ctx.errors.length > 0) return invalid();
  markDuplicates(rows);
  return { valid: true, errors: [], warnings: ctx.warnings, rows, accounts, ...(resourceVersion === undefined ? {} : { resourceVersion }) };
}

/**
 * The authenticator looks the data keys up exactly (pkg/mapper/configmap/configmap.go, ParseMap:
 * `m["mapRoles"]`, `m["mapUsers"]`, `m["mapAccounts"]`) and ignores every other key, so whatever
 * an unknown key lists grants nothing today. A key that differs from a real one only in case or
 * in a plural `s` (`maproles`, `mapRole`) was meant to grant access: its people are locked out now.
 */
function unknownKeyWarning(key: string): string {
  const lower = key.toLowerCase();
  const meant = AWS_AUTH_DATA_KEYS.find((k) => k.toLowerCase() === lower || k.toLowerCase() === `${lower}s`);
  if (meant) {
    return `data key "${key}" is not ${meant}: the authenticator reads mapRoles, mapUsers and mapAccounts spelled exactly so and ignores this key, so whoever it lists has no access today and nothing in it is converted; if they should have access, move the entries under ${meant}`;
  }
  return `data key "${key}" is not read by the authenticator (only mapRoles, mapUsers and mapAccounts are): it grants nothing today and is not converted`;
}

function parseDataValue(
  key: AwsAuthDataKey,
  pair: Pair<unknown, unknown>,
  outerLineOf: LineOf,
  ctx: Ctx,
  rows: AwsAuthRow[],
  accounts: AwsAuthAccount[],
): void {
  const keyLine = outerLineOf(pair.key);
  const value = pair.value;
  if (!isScalar(value) || typeof value.value !== 'string') {
    const hint = isSeq(value) || isMap(value) ? `; ConfigMap data values are strings: write "${key}: |" and indent the list under it` : '';
    ctx.errors.push({ where: at(key, keyLine), message: `expected a string holding a YAML list, got ${describe(value)}${hint}` });
    return;
  }

  // kubectl prints multi-line values as `|` blocks, whose lines are the file's lines, so a
  // line inside the value maps to the file exactly. Any other form (a JSON string with
  // \n escapes, a quoted or folded scalar) only tells us the line of the key.
  const headerLine = outerLineOf(value);
  const literal = value.type === 'BLOCK_LITERAL' && headerLine !== undefined;
  const innerLc = new LineCounter();
  const lineOf: LineOf = (node) => {
    const start = startOf(node);
    return literal && start !== undefined ? headerLine + innerLc.linePos(start).line : keyLine;
  };
  const posLine = (offset: number): number | undefined => (literal ? headerLine + innerLc.linePos(offset).line : keyLine);

  // version 1.1: the authenticator parses with go-yaml v2, for which `yes`/`on` are booleans.
  const inner = parseDocument(value.value, { lineCounter: innerLc, prettyErrors: false, version: '1.1', uniqueKeys: true });
  if (inner.errors.length > 0) {
    // One error per line is enough: the yaml parser often reports a cascade for one mistake.
    const seen = new Set<number | undefined>();
    for (const e of inner.errors) {
      const line = posLine(e.pos[0]);
      if (seen.has(line)) continue;
      seen.add(line);
      const lineText = lineTextAt(value.value, e.pos[0]);
      const hint = /^\s*(-\s+)?[\w-]+:\s+-\s+\S/.test(lineText)
        ? ' (a list written on the same line as its key, like "groups: - system:masters": put each item on its own line)'
        : '';
      ctx.errors.push({ where: at(key, line), message: `YAML error in ${key}: ${yamlMessage(e)}${hint}` });
    }
    return;
  }
  const list = resolveNode(inner.contents, inner);
  if (list === null || (isScalar(list) && list.value === null)) return; // empty value: no rows
  if (!isSeq(list)) {
    ctx.errors.push({ where: at(key, lineOf(list)), message: `expected a list of entries, got ${describe(list)}` });
    return;
  }

  list.items.forEach((rawItem, index) => {
    const item = resolveNode(rawItem, inner);
    const source = `${key}[${index}]`;
    if (key === 'mapAccounts') {
      parseAccount(source, item, lineOf, ctx, accounts);
    } else {
      const row = parseEntry(key, source, item, inner, lineOf, ctx);
      if (row) rows.push(row);
    }
  });
}
