/**
 * The pure parts of the rollback (docs/architecture.md, "Safety invariants" 7): the canonical form and hash of aws-auth data,
 * merging the backed-up aws-auth back into the current one, working out which step failed from
 * the execution's state, and the `Error`/`Cause` on-call reads. Pure.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Document, parse, stringify, visit } from 'yaml';
import { parseAwsAuth } from './aws-auth.ts';
import type { CaughtError, RollbackState, SwitchState } from '#workflows/contract';
import { AwsAuthMergeError } from './errors.ts';

// ----- canonical data -----

/** JSON of the data with keys sorted: the same data always hashes the same. */
export function canonicalData(data: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]])));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function dataSha256(data: Readonly<Record<string, string>>): string {
  return sha256Hex(canonicalData(data));
}

// ----- merge -----

const MERGE_TAG = 'tag:yaml.org,2002:merge';

const LIST_KEYS = ['mapRoles', 'mapUsers', 'mapAccounts'] as const;

type Row = unknown;

function lowerKeys(row: Row): Record<string, unknown> | undefined {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The identity of a row, as the authenticator keys it: role rows by lowercased `rolearn` (or their
 * `sso` matcher), user rows by `userarn` as written, accounts by the account ID.
 */
function rowIdentity(key: (typeof LIST_KEYS)[number], row: Row): string {
  if (key === 'mapAccounts') return String(row);
  const r = lowerKeys(row);
  if (!r) return `raw:${JSON.stringify(row)}`;
  if (key === 'mapRoles') {
    if (typeof r.rolearn === 'string') return `role:${r.rolearn.toLowerCase()}`;
    if (r.sso !== undefined) return `sso:${JSON.stringify(lowerKeys(r.sso) ?? r.sso)}`;
  }
  if (key === 'mapUsers' && typeof r.userarn === 'string') return `user:${r.userarn}`;
  return `raw:${JSON.stringify(row)}`;
}

function parseList(text: string | undefined): Row[] | undefined {
  if (text === undefined || text.trim() === '') return [];
  try {
    // YAML 1.1, as the authenticator reads it (go-yaml v2): `yes`/`on` are booleans there.
    const v: unknown = parse(text, { version: '1.1' });
    if (v === null || v === undefined) return [];
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function describeRow(key: string, row: Row): string {
  const r = lowerKeys(row);
  const arn = r && (typeof r.rolearn === 'string' ? r.rolearn : typeof r.userarn === 'string' ? r.userarn : undefined);
  return `${key}: ${arn ?? JSON.stringify(row)}`;
}

/**
 * Plain scalars that go-yaml v2 (YAML 1.1), which the authenticator reads aws-auth with, may
 * resolve to something other than a string: its bool and null words in any case (`on`, `y`, `no`,
 * `~`, ``), the merge key, and anything starting like a number (`0123`, `1e3`, `0o17`, `.inf`,
 * `-1`, `2001-12-14`). A superset of go-yaml's resolve table: quoting a string is always safe.
 */
const GO_YAML_NOT_A_STRING = /^(?:$|[-+.0-9]|~$|<<$|(?:y|yes|n|no|true|false|on|off|null)$)/i;

/**
 * The YAML of a list as the authenticator must read it back: the `yaml` package's YAML 1.1
 * output (it quotes what its 1.1 schema would not read as a string), with every string that
 * go-yaml could read as anything else double-quoted as well — go-yaml's integers also follow Go's
 * ParseInt (`0o17`, `0b1`), which the `yaml` package's 1.1 schema leaves plain.
 */
export function stringifyForAuthenticator(value: unknown): string {
  // Without the 1.1 merge-key tag, which would claim the string `<<` and write it plain.
  const doc = new Document(value, { version: '1.1', customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== MERGE_TAG) });
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && GO_YAML_NOT_A_STRING.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString();
}

/** The ConfigMap as `kubectl get cm aws-auth -o yaml` would print it: what parseAwsAuth reads. */
function configMapOf(data: Record<string, string>): string {
  return stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data });
}

/** What the authenticator gets from one list, as parseAwsAuth reads it, one item per list entry. */
function authenticatorReading(key: (typeof LIST_KEYS)[number], text: string): { items?: unknown[]; errors: string[] } {
  const doc = parseAwsAuth(configMapOf({ [key]: text }));
  if (!doc.valid) return { errors: doc.errors.map((e) => `${e.where}: ${e.message}`) };
  if (key === 'mapAccounts') return { items: doc.accounts.map((a) => a.accountId), errors: [] };
  return {
    items: doc.rows.map((r) => ({ list: r.list, arn: r.arn, sso: r.sso ?? null, username: r.username ?? null, groups: r.groups })),
    errors: [],
  };
}

/**
 * Refuses a merged list unless the authenticator reads it as exactly the rows it reads now
 * followed by the backed-up rows put back, each as it was read in the backup.
 */
function checkMerged(key: (typeof LIST_KEYS)[number], currentText: string, backupText: string, missing: readonly number[], mergedText: string): void {
  const refuse = (why: string) => {
    throw new AwsAuthMergeError(`aws-auth ${key} was not merged back (nothing written), because ${why}; restore the missing rows by hand from the backup`);
  };
  const now = authenticatorReading(key, currentText);
  if (!now.items) refuse(`its current value does not read cleanly, so a rewrite could change what it grants (${now.errors.join('; ')})`);
  const backup = authenticatorReading(key, backupText);
  if (!backup.items) refuse(`its backed-up value does not read cleanly (${backup.errors.join('; ')})`);
  const merged = authenticatorReading(key, mergedText);
  if (!merged.items) refuse(`the merged value would not read cleanly (${merged.errors.join('; ')})`);
  const expected = [...now.items!, ...missing.map((i) => backup.items![i])];
  if (missing.some((i) => i >= backup.items!.length) || !isDeepStrictEqual(merged.items, expected)) {
    refuse('the merged value would not read as the current rows plus the backed-up ones (a value would change meaning)');
  }
}

export interface AwsAuthMerge {
  /** The data to write; equal to `current` when nothing is missing. */
  data: Record<string, string>;
  changed: boolean;
  /** One line per row or key put back. */
  restored: string[];
  /** Values that could not be merged row by row (left as they are now). */
  problems: string[];
}

/**
 * Merges the backed-up aws-auth data back into the current data. Rows of the backup whose
 * identity (see rowIdentity) is missing from the current lists are re-added; rows only in the
 * current data — e.g. those EKS added for new node groups or Fargate profiles — are kept; a row
 * present in both is left as it is now (someone changed it on purpose after the backup). Other
 * data keys of the backup are restored only when missing. A list that is not valid YAML on either
 * side is not touched and is reported in `problems`.
 *
 * A list that gets rows back is written again whole, so it is written the way the authenticator
 * (go-yaml v2, YAML 1.1) reads it (stringifyForAuthenticator) and read back with parseAwsAuth:
 * unless that gives exactly the current rows plus the re-added ones, it throws AwsAuthMergeError
 * and nothing is written.
 */
export function mergeAwsAuth(backup: Readonly<Record<string, string>>, current: Readonly<Record<string, string>>): AwsAuthMerge {
  const data: Record<string, string> = { ...current };
  const restored: string[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(backup)) {
    const listKey = LIST_KEYS.find((k) => k === key);
    if (!listKey) {
      if (!(key in current)) {
        data[key] = value;
        restored.push(`data key ${key}`);
      }
      continue;
    }
    if (!(key in current) || (current[key] ?? '').trim() === '') {
      if (value.trim() !== '' || !(key in current)) {
        data[key] = value;
        const rows = parseList(value);
        if (rows) restored.push(...rows.map((r) => describeRow(key, r)));
        else restored.push(`data key ${key}`);
      }
      continue;
    }
    const before = parseList(value);
    const now = parseList(current[key]);
    if (!before || !now) {
      problems.push(`${key}: ${!before ? 'the backed-up value' : 'the current value'} is not a YAML list; left as it is now`);
      continue;
    }
    const present = new Set(now.map((r) => rowIdentity(listKey, r)));
    const missing = [...before.keys()].filter((i) => !present.has(rowIdentity(listKey, before[i])));
    if (missing.length === 0) continue;
    const text = stringifyForAuthenticator([...now, ...missing.map((i) => before[i])]);
    checkMerged(listKey, current[key]!, value, missing, text);
    data[key] = text;
    restored.push(...missing.map((i) => describeRow(key, before[i])));
  }
  return { data, changed: restored.length > 0, restored, problems };
}

// ----- which step failed -----

export type StepId =
  | 'PlanConversion'
  | 'SwitchToApiAndConfigMap'
  | 'ReListAccessEntries'
  | 'CreateAccessEntries'
  | 'VerifyAccessEntries'
  | 'RecheckBeforeApi'
  | 'SwitchToApi'
  | 'Report';

/** The states of each step, as on-call sees them in the execution history. */
export const STEP_STATES: Record<StepId, string> = {
  PlanConversion: 'Plan conversion',
  SwitchToApiAndConfigMap: 'Switch to API_AND_CONFIG_MAP',
  ReListAccessEntries: 'Re-list access entries',
  CreateAccessEntries: 'Create access entries',
  VerifyAccessEntries: 'Verify access entries',
  RecheckBeforeApi: 'Re-check before API',
  SwitchToApi: 'Switch to API',
  Report: 'Report',
};

/**
 * What failedStep reads of the rollback's state (workflows/contract.ts, RollbackStateSchema): the
 * starting mode, the target and poll settings, and the step results present.
 */
export type ExecutionProgress = Omit<RollbackState, 'run' | 'cluster' | 'backup'> & {
  run: Pick<RollbackState['run'], 'targetMode' | 'pollSeconds'>;
  cluster: Pick<RollbackState['cluster'], 'mode'>;
};

export interface FailedStep {
  step: StepId;
  /** `MigrationFailed.<step>`: the Fail state's Error. */
  error: string;
  /** What went wrong, in a sentence. */
  reason: string;
}

/**
 * The message of a caught error. A Lambda error's Cause is the JSON Lambda reports
 * (`{"errorType","errorMessage","trace"}`); an SDK integration's Cause is the service message.
 */
export function caughtMessage(e: CaughtError): string {
  const cause = e.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return `${e.Error}: ${parsed.errorMessage}`;
    }
  } catch {
    // not JSON: an SDK integration or Step Functions message
  }
  return cause ? `${e.Error}: ${cause}` : e.Error;
}

function switchDone(s: SwitchState | undefined): boolean {
  return s?.check?.Update?.Status === 'Successful';
}

function switchReason(mode: string, s: SwitchState | undefined, p: ExecutionProgress): string {
  if (p.error) return `${STEP_STATES[mode === 'API' ? 'SwitchToApi' : 'SwitchToApiAndConfigMap']} / its status check failed: ${caughtMessage(p.error)}`;
  const update = s?.check?.Update;
  const id = update?.Id ?? s?.updateId ?? 'unknown';
  if (update?.Status === 'Failed' || update?.Status === 'Cancelled') {
    const errors = (update.Errors ?? []).map((e) => `${e.ErrorCode ?? 'error'}: ${e.ErrorMessage ?? ''}`.trim()).join('; ');
    return `the EKS update ${id} to ${mode} ended ${update.Status}${errors ? ` (${errors})` : ''}`;
  }
  const polls = s?.polls ?? 0;
  return `the EKS update ${id} to ${mode} was still ${update?.Status ?? 'InProgress'} after ${polls + 1} status checks (about ${(polls + 1) * p.run.pollSeconds} s); the workflow stopped waiting (poll timeout)`;
}

/**
 * Works out which step failed from the step results present in the state: the first step on the
 * path this execution takes whose result is missing (or, for a mode switch, not Successful).
 * The path depends on the starting mode (the first switch is skipped from API_AND_CONFIG_MAP)
 * and the target (no second switch for API_AND_CONFIG_MAP).
 */
export function failedStep(p: ExecutionProgress): FailedStep {
  const path: Array<{ step: StepId; done: boolean }> = [{ step: 'PlanConversion', done: p.plan !== undefined }];
  if (p.cluster.mode === 'CONFIG_MAP') path.push({ step: 'SwitchToApiAndConfigMap', done: switchDone(p.hybridSwitch) });
  path.push(
    { step: 'ReListAccessEntries', done: p.entriesAfterSwitch !== undefined },
    { step: 'CreateAccessEntries', done: p.created !== undefined },
    { step: 'VerifyAccessEntries', done: p.verified !== undefined },
  );
  if (p.run.targetMode === 'API') {
    path.push({ step: 'RecheckBeforeApi', done: p.rechecked !== undefined }, { step: 'SwitchToApi', done: switchDone(p.apiSwitch) });
  }
  path.push({ step: 'Report', done: p.report !== undefined });

  const failed = path.find((s) => !s.done)?.step ?? 'Report';
  let reason: string;
  if (failed === 'SwitchToApiAndConfigMap') reason = switchReason('API_AND_CONFIG_MAP', p.hybridSwitch, p);
  else if (failed === 'SwitchToApi') reason = switchReason('API', p.apiSwitch, p);
  else reason = p.error ? `${STEP_STATES[failed]} failed: ${caughtMessage(p.error)}` : `${STEP_STATES[failed]} did not complete`;
  return { step: failed, error: `MigrationFailed.${failed}`, reason };
}

// ----- what the rollback may undo -----

/**
 * Whether the rollback may delete the access entries this execution created, given the cluster's
 * mode now: yes while aws-auth is still read (CONFIG_MAP, or API_AND_CONFIG_MAP with no switch in
 * progress), because aws-auth (restored from the backup) gives back what the entries gave. No once
 * the cluster is in API mode or switching to it (UPDATING in API_AND_CONFIG_MAP; a mode switch
 * cannot be cancelled): then aws-auth is ignored and those entries are the only access left, so
 * deleting them would lock people out. In CONFIG_MAP no entries can exist, so there is nothing to
 * delete.
 */
export function entriesDecision(modeNow: string, updating: boolean): { delete: boolean; keptBecause?: string } {
  if (modeNow === 'API') {
    return { delete: false, keptBecause: 'the cluster is already in API mode, where aws-auth is no longer read; these entries are the only access, and deleting them would lock people out' };
  }
  if (modeNow === 'API_AND_CONFIG_MAP' && updating) {
    return { delete: false, keptBecause: 'a switch to API is in progress and cannot be stopped; once it completes these entries are the only access' };
  }
  if (modeNow === 'API_AND_CONFIG_MAP') return { delete: true };
  // CONFIG_MAP has no access-entry API; a mode this code does not know is left alone.
  return { delete: false };
}

// ----- what the rollback says -----

export interface RollbackOutcome {
  failed: FailedStep;
  clusterName: string;
  executionName: string;
  /** The mode the cluster is in now (DescribeCluster during the rollback). */
  modeNow: string;
  /** True when a switch is in progress now (cluster UPDATING). */
  updating: boolean;
  deleted: string[];
  /** Why the entries were kept, when they were. */
  entriesKeptBecause?: string;
  awsAuth: { restored: string[]; problems: string[]; skippedBecause?: string };
  backupLocation: string;
}

/** The Fail state's Cause: what failed, what was undone, what was not, where the backup is. */
export function rollbackCause(o: RollbackOutcome): string {
  const parts: string[] = [`${o.failed.reason}.`];
  const undone: string[] = [];
  if (o.entriesKeptBecause) {
    undone.push(`access entries created by this execution were KEPT: ${o.entriesKeptBecause}`);
  } else if (o.deleted.length) {
    undone.push(`deleted the ${o.deleted.length} access entries this execution created (tag eks-access-pilot/source=migration/${o.executionName})`);
  } else {
    undone.push('no access entry had been created by this execution');
  }
  if (o.awsAuth.skippedBecause) undone.push(`aws-auth not restored: ${o.awsAuth.skippedBecause}`);
  else if (o.awsAuth.restored.length) undone.push(`aws-auth restored from the backup by merging (${o.awsAuth.restored.length} re-added: ${o.awsAuth.restored.slice(0, 10).join(', ')}${o.awsAuth.restored.length > 10 ? ', …' : ''})`);
  else undone.push('aws-auth already held every row of the backup (nothing to restore)');
  if (o.awsAuth.problems.length) undone.push(`aws-auth values left as they are: ${o.awsAuth.problems.join('; ')}`);
  parts.push(`Rollback: ${undone.join('; ')}.`);
  parts.push(modeSentence({ modeNow: o.modeNow, updating: o.updating }));
  parts.push(`Backup: ${o.backupLocation}.`);
  return parts.join(' ');
}

/** The sentence about the authentication mode, which no rollback can revert; `undefined`: DescribeCluster failed. */
export function modeSentence(cluster: { modeNow: string; updating: boolean } | undefined): string {
  if (!cluster) return 'Not undone: the authentication mode (unknown: DescribeCluster failed); EKS cannot switch a cluster back to a mode without the access-entry API.';
  if (cluster.modeNow === 'CONFIG_MAP' && !cluster.updating) return 'Not undone: nothing; the authentication mode was not changed (CONFIG_MAP).';
  const mode = cluster.updating ? `${cluster.modeNow} (an update is still in progress)` : cluster.modeNow;
  return `Not undone: the authentication mode is ${mode}; EKS cannot switch a cluster back to a mode without the access-entry API, so it stays.`;
}
