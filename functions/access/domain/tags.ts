/**
 * The tag contract (docs/architecture.md, "The tag contract") and the access it describes. Pure: plain inputs, no SDK.
 *
 * A principal's tags become, for every managed cluster, either a grant (an access policy
 * with a scope, and Kubernetes groups) or nothing, until the expiry the tags may set. Any invalid value — an unknown level,
 * a level above the ceiling, a bad namespace, a group that is not allow-listed — makes the
 * whole principal invalid: nothing changes for it, and the caller logs and counts why.
 */
import type { AccessScope } from '#kernel/access-entry';
import type { Config } from '#kernel/config';
import { parseIsoDuration } from '#kernel/duration';
import { expiryKey, hasPassed, parseExpiry } from './expiry.ts';

/** What a principal should have on one cluster. `policyArn` is absent for a groups-only entry. */
export interface Grant {
  level?: string;
  policyArn?: string;
  scope: AccessScope;
  groups: string[];
}

export interface TagProblem {
  key: string;
  value: string;
  /** `ceiling`: a valid level above the configured ceiling; `invalid`: anything else. */
  kind: 'invalid' | 'ceiling';
  message: string;
}

export type DesiredAccess =
  | {
      ok: true;
      byCluster: Record<string, Grant | null>;
      hasTags: boolean;
      /** The `<prefix>-expires` value, as written, when the principal has one. It bounds every grant above. */
      expiresAt?: string;
      /** True when `expiresAt` has passed: every cluster is null, as if the principal were untagged. */
      expired?: boolean;
    }
  | { ok: false; problems: TagProblem[] };

/** Kubernetes namespace names are RFC 1123 labels. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Lists in tag values are separated by spaces or `:` (commas are not valid in IAM tag values). */
export function splitList(value: string): string[] {
  return value
    .split(/[\s:]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * True when the key is one of ours, in any spelling: IAM tag keys are case-insensitive on roles
 * and users (IAM User Guide, "Tagging IAM resources": `EKS-Access` and `eks-access` are one key).
 * Whether a spelling is honoured is a separate question (clusterKeySpellingProblem): a per-cluster
 * key in another spelling is still ours, and refused, so an event that sets or removes it is a hint.
 */
export function isOwnTagKey(key: string, prefix: string): boolean {
  const k = key.toLowerCase();
  const p = prefix.toLowerCase();
  return ownFixedTagKeys(p).includes(k) || k.startsWith(`${p}/`);
}

/**
 * The keys the contract reads besides the per-cluster `<prefix>/<cluster>` ones, spelt with
 * `prefix`: the one list `isOwnTagKey` and the EventBridge rule's filter (events.ts,
 * accessTagKeyMatchers) are built from, so a key added here is also delivered.
 */
export function ownFixedTagKeys(prefix: string): string[] {
  return [prefix, `${prefix}-namespaces`, `${prefix}-groups`, expiryKey(prefix)];
}

/** True for the keys whose value is one level (`<prefix>` and `<prefix>/<cluster>`), not a list. */
function isLevelKey(lowerKey: string, lowerPrefix: string): boolean {
  return lowerKey === lowerPrefix || lowerKey.startsWith(`${lowerPrefix}/`);
}

/**
 * A per-cluster key (`<prefix>/<cluster>`) is honoured only when its prefix is spelled exactly
 * as configured; `eKs-AcCeSs/prod` is refused. The SCP that keeps these keys in the platform
 * team's hands (infra/scp/protect-eks-access-tags.json) can match `<prefix>/<cluster>` only
 * with `StringLike`, which is case-sensitive, and IAM has no case-insensitive wildcard operator
 * (IAM User Guide, "IAM JSON policy elements: Condition operators", string condition
 * operators): any spelling it does not list would slip past it. Honouring only the one it
 * protects closes that gap. The fixed keys (`<prefix>`, `-namespaces`, `-groups`) stay
 * case-insensitive: the SCP matches them with `StringEqualsIgnoreCase`. The cluster part is
 * compared without regard to case, as before: the SCP's `<prefix>*` covers every cluster name.
 * Config-independent, so `explain-event` can apply it offline to the keys an event carries.
 */
export function clusterKeySpellingProblem(key: string, value: string, prefix: string): TagProblem | undefined {
  if (!key.toLowerCase().startsWith(`${prefix.toLowerCase()}/`) || key.startsWith(`${prefix}/`)) return undefined;
  return {
    key,
    value,
    kind: 'invalid',
    message: `per-cluster key "${key}" is not spelled "${prefix}/<cluster>"; only that spelling is protected by the recommended SCP, so any other is refused (write "${prefix}${key.slice(prefix.length)}")`,
  };
}

/** The problems of one tag that need no deployment configuration: what `explain-event` can say offline. */
export function offlineTagProblems(key: string, value: string, prefix: string): TagProblem[] {
  return [clusterKeySpellingProblem(key, value, prefix), levelSpacingProblem(key, value, prefix), expiryFormProblem(key, value, prefix)].filter(
    (p): p is TagProblem => p !== undefined,
  );
}

/** An expiry value that is not a UTC instant (expiry.ts, parseExpiry); config- and clock-independent. */
function expiryFormProblem(key: string, value: string, prefix: string): TagProblem | undefined {
  if (key.toLowerCase() !== expiryKey(prefix.toLowerCase())) return undefined;
  const parsed = parseExpiry(value);
  return parsed.ok ? undefined : { key, value, kind: 'invalid', message: parsed.message };
}

/**
 * A level value written with leading or trailing spaces (`"edit   "`) is refused, not trimmed.
 * Values are case-sensitive and compared exactly (`View` is not a level), and so is every IAM
 * condition a customer may put on them: `StringEquals` on `aws:RequestTag/eks-access` or
 * `aws:ResourceTag/eks-access` (IAM User Guide, "IAM JSON policy elements: Condition operators":
 * exact, case-sensitive matching) does not match `"edit   "`. Trimming would grant through a
 * spelling such a policy lets pass; refusing keeps one spelling per level, and the person who
 * tagged sees why (one log line, a metric, `explain-event`). Lists (namespaces, groups) are
 * different: spaces separate their items, so spaces around them are syntax, not part of a value.
 * Config-independent, so `explain-event` can apply it offline to the values an event carries.
 */
export function levelSpacingProblem(key: string, value: string, prefix: string): TagProblem | undefined {
  if (!isLevelKey(key.toLowerCase(), prefix.toLowerCase())) return undefined;
  const trimmed = value.trim();
  if (trimmed === value || trimmed === '') return undefined;
  return {
    key,
    value,
    kind: 'invalid',
    message: `level "${value}" has leading or trailing spaces; values are compared exactly, so it is refused, not trimmed (write "${trimmed}")`,
  };
}

/**
 * Computes what the principal's tags grant on every managed cluster, at `now`.
 * Returns `ok: false` with every problem found when any value is invalid.
 *
 * Expiry (`<prefix>-expires`, expiry.ts): a valid instant that has passed (≤ now) means no access
 * anywhere, as if the principal were untagged — so its other tags no longer count, valid or not,
 * and an invalid one cannot keep access alive past its end. A future one bounds every grant and is
 * returned as `expiresAt`. An unparseable or non-UTC value, one further than `maxAccessDuration`
 * from now, or (with `requireExpiryAbove`) a level above that one without any expiry, is invalid.
 */
export function desiredAccess(tags: Record<string, string>, config: Config, now: Date): DesiredAccess {
  const prefix = config.tagPrefix.toLowerCase();
  const levelIndex = new Map(config.levels.map((l, i) => [l.name, i]));
  const ceilingIndex = levelIndex.get(config.ceiling) ?? -1;
  const clusterByLower = new Map(config.clusters.map((c) => [c.name.toLowerCase(), c.name]));
  const problems: TagProblem[] = [];

  let base: string | undefined;
  const overrides = new Map<string, string>();
  let namespaces: string[] | undefined;
  let groups: string[] = [];
  let hasTags = false;
  let expires: { key: string; value: string; at: Date } | undefined;
  /** The keys that set a level (base and per-cluster), for requireExpiryAbove. */
  const levelKeys: Array<{ key: string; value: string }> = [];

  const checkLevel = (key: string, value: string): boolean => {
    const spacing = levelSpacingProblem(key, value, prefix);
    if (spacing) {
      problems.push(spacing);
      return false;
    }
    if (value === 'none') return true;
    const idx = levelIndex.get(value);
    if (idx === undefined) {
      problems.push({ key, value, kind: 'invalid', message: `unknown level "${value}" (expected none or one of ${config.levels.map((l) => l.name).join(', ')})` });
      return false;
    }
    if (idx > ceilingIndex) {
      problems.push({ key, value, kind: 'ceiling', message: `level "${value}" is above the ceiling "${config.ceiling}"` });
      return false;
    }
    return true;
  };

  const spellings = new Map<string, string>();
  for (const [key, rawValue] of Object.entries(tags)) {
    const k = key.toLowerCase();
    if (!isOwnTagKey(k, prefix)) continue;
    hasTags = true;
    // IAM keeps one tag per key whatever its case; a permission set's tags (Identity Center) may
    // hold two spellings of one key, and which value would win is not ours to guess.
    const other = spellings.get(k);
    spellings.set(k, key);
    if (other !== undefined) {
      problems.push({ key, value: rawValue, kind: 'invalid', message: `the same key as "${other}" (keys are compared ignoring case): which value counts is ambiguous` });
      continue;
    }
    // Not trimmed: a level with spaces around it is refused in checkLevel (levelSpacingProblem);
    // a list's surrounding spaces are separators, which splitList drops.
    const value = rawValue;
    if (k === prefix) {
      if (checkLevel(key, value)) {
        base = value;
        levelKeys.push({ key, value });
      }
    } else if (k === expiryKey(prefix)) {
      const parsed = parseExpiry(value);
      if (parsed.ok) expires = { key, value, at: parsed.at };
      else problems.push({ key, value, kind: 'invalid', message: parsed.message });
    } else if (k === `${prefix}-namespaces`) {
      const list = splitList(value);
      const bad = list.filter((n) => !NAMESPACE.test(n));
      if (list.length === 0) problems.push({ key, value, kind: 'invalid', message: 'no namespace given' });
      else if (bad.length) problems.push({ key, value, kind: 'invalid', message: `not a Kubernetes namespace name: ${bad.join(', ')}` });
      else namespaces = [...new Set(list)].sort();
    } else if (k === `${prefix}-groups`) {
      const list = [...new Set(splitList(value))].sort();
      const system = list.filter((g) => g.startsWith('system:') || g === 'system');
      // `:` separates list items, so `system:masters` arrives as `system`, `masters`; both spellings are refused.
      const notAllowed = list.filter((g) => !system.includes(g) && !config.allowedGroups.includes(g));
      if (list.length === 0) problems.push({ key, value, kind: 'invalid', message: 'no group given' });
      else if (system.length || /(^|\s)system:/.test(value)) problems.push({ key, value, kind: 'invalid', message: 'system: groups cannot be granted' });
      else if (notAllowed.length) problems.push({ key, value, kind: 'invalid', message: `groups not on the allow-list: ${notAllowed.join(', ')}` });
      else groups = list;
    } else {
      // Refused whatever cluster it names: the spelling is a problem of the key, not of a cluster.
      const spelling = clusterKeySpellingProblem(key, value, config.tagPrefix);
      if (spelling) {
        problems.push(spelling);
        continue;
      }
      const clusterLower = k.slice(prefix.length + 1);
      const cluster = clusterByLower.get(clusterLower);
      // An override for a cluster this deployment does not manage is not ours to judge.
      if (cluster && checkLevel(key, value)) {
        overrides.set(cluster, value);
        levelKeys.push({ key, value });
      }
    }
  }

  if (expires && hasPassed(expires.at, now)) {
    return { ok: true, byCluster: Object.fromEntries(config.clusters.map((c) => [c.name, null])), hasTags, expiresAt: expires.value, expired: true };
  }
  problems.push(...expiryPolicyProblems(expires, levelKeys, levelIndex, config, now));
  if (problems.length) return { ok: false, problems };

  const byCluster: Record<string, Grant | null> = {};
  for (const { name } of config.clusters) {
    const level = overrides.get(name) ?? base;
    if (level === 'none' || (level === undefined && groups.length === 0)) {
      byCluster[name] = null;
      continue;
    }
    const scope: AccessScope = namespaces ? { type: 'namespace', namespaces } : { type: 'cluster' };
    const grant: Grant = { scope, groups };
    if (level !== undefined) {
      grant.level = level;
      grant.policyArn = config.levels.find((l) => l.name === level)?.policyArn;
    }
    byCluster[name] = grant;
  }
  return { ok: true, byCluster, hasTags, ...(expires ? { expiresAt: expires.value } : {}) };
}

/** The configuration's limits on expiries: `maxAccessDuration` and `requireExpiryAbove`. */
function expiryPolicyProblems(
  expires: { key: string; value: string; at: Date } | undefined,
  levelKeys: ReadonlyArray<{ key: string; value: string }>,
  levelIndex: ReadonlyMap<string, number>,
  config: Config,
  now: Date,
): TagProblem[] {
  const problems: TagProblem[] = [];
  const max = config.maxAccessDuration !== undefined ? parseIsoDuration(config.maxAccessDuration) : undefined;
  if (expires && max?.ok && expires.at.getTime() - now.getTime() > max.ms) {
    const latest = new Date(now.getTime() + max.ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    problems.push({ key: expires.key, value: expires.value, kind: 'invalid', message: `expiry ${expires.value} is further than maxAccessDuration ${config.maxAccessDuration} from now (at most ${latest})` });
  }
  const floor = config.requireExpiryAbove !== undefined ? levelIndex.get(config.requireExpiryAbove) : undefined;
  if (!expires && floor !== undefined) {
    for (const { key, value } of levelKeys) {
      if ((levelIndex.get(value) ?? -1) > floor) {
        problems.push({
          key,
          value,
          kind: 'invalid',
          message: `level "${value}" is above "${config.requireExpiryAbove}" and must be temporary (requireExpiryAbove): add ${expiryKey(config.tagPrefix)}=YYYY-MM-DDThh:mmZ`,
        });
      }
    }
  }
  return problems;
}
