/**
 * `eks-access-pilot explain-event FILE [--json] [--tag-prefix P] [--now INSTANT]`: what the
 * provisioner would do with an EventBridge event, or with the input of an expiry schedule that
 * fired, offline. It calls the same `interpretHint` the provisioner does, so the answer cannot
 * drift from the function's behaviour. An event the provisioner's EventBridge rule does not match
 * (`iamEventPattern`, evaluated with the sandbox's EventBridge matcher, the one its contract tests
 * hold to the documentation) is reported as `filtered`: the function never sees it, whatever it
 * would have done with it. An expiry (`<prefix>-expires`) the event sets or removes is explained
 * against the current time (or `--now`): grant until it, revoke because it has passed, or refused
 * and why.
 *
 * Exit codes: 0 for any well-formed EventBridge event, including ones that are ignored;
 * 1 when the file cannot be read, is not JSON or is not a well-formed event; 2 for usage errors.
 */
import { readFile } from 'node:fs/promises';
import { ConfigSchema, formatIssues } from '#kernel/config';
import { MalformedEventError } from '#access/domain/errors';
import type { EventHint } from '#access/domain/events';
import { iamEventPattern, ruleDropReason } from '#access/domain/event-filter';
import { EXPIRY_FIRED, interpretHint, type Hint } from '#access/domain/hints';
import { matchesPattern, type EventPattern } from '#sandbox/event-pattern';
import { expiryKey, hasPassed, parseExpiry } from '#access/domain/expiry';
import { offlineTagProblems, type TagProblem } from '#access/domain/tags';
import { UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, usageError as printUsageError } from '../lib/args.ts';

const USAGE = 'eks-access-pilot explain-event FILE [--json] [--tag-prefix P] [--now INSTANT]';

// The prefix is validated and defaulted by the configuration's own field schema, so the CLI
// accepts exactly the prefixes a deployment could be configured with.
const TagPrefixSchema = ConfigSchema.shape.tagPrefix;

function usageError(io: CommandIO, message: string): number {
  return printUsageError(io, USAGE, message);
}

function describePrincipal(hint: Pick<EventHint, 'principal'>): string {
  const p = hint.principal;
  if (!p) return 'no principal';
  return p.arn ? `${p.kind} ${p.name} (${p.arn})` : `${p.kind} ${p.name}`;
}

/**
 * Problems the provisioner will find in the tag values a reconciled Tag/Create call set, judged
 * offline with the rules that need no deployment configuration (offlineTagProblems: a per-cluster
 * key not spelled exactly like the prefix, a level with spaces around it). The
 * provisioner does not use these values, it re-reads the principal's tags; after a successful
 * call they are what IAM holds, unless a later call changed them again. Levels, the ceiling and
 * the allow-list depend on the configuration, which this command does not have.
 */
function eventTagProblems(raw: unknown, hint: EventHint, prefix: string): TagProblem[] {
  if (hint.action !== 'reconcile') return [];
  const detail = (raw as { detail?: { requestParameters?: { tags?: unknown } } }).detail;
  const tags = detail?.requestParameters?.tags;
  if (!Array.isArray(tags)) return [];
  const problems: TagProblem[] = [];
  for (const t of tags as unknown[]) {
    const { key, value } = (t ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || typeof value !== 'string') continue;
    problems.push(...offlineTagProblems(key, value, prefix));
  }
  return problems;
}

/** What an expiry in the input means at `now`; `set` from a Tag/Create call, `removed` by an Untag, `fired` by a schedule. */
interface ExpiryNote {
  change: 'set' | 'removed' | 'fired';
  key: string;
  value?: string;
  /** `future`: grants until then; `passed`: revoked as if untagged; `invalid`: refused (see problems). */
  state?: 'future' | 'passed' | 'invalid';
  text: string;
}

function detailParams(raw: unknown): { tags?: unknown; tagKeys?: unknown } {
  return (raw as { detail?: { requestParameters?: { tags?: unknown; tagKeys?: unknown } } }).detail?.requestParameters ?? {};
}

function judge(value: string, now: Date): Pick<ExpiryNote, 'state' | 'text'> {
  const parsed = parseExpiry(value);
  if (!parsed.ok) return { state: 'invalid', text: `the expiry is refused (${parsed.message}): nothing changes for this principal` };
  if (hasPassed(parsed.at, now)) {
    return { state: 'passed', text: `${value} has passed (now ${now.toISOString()}): no access, as if untagged; every entry this system granted the principal is revoked (log "access expired", metric Expired)` };
  }
  return { state: 'future', text: `access is granted until ${value}; a one-time schedule revokes it then (the resync if the schedule is missing), unless the tag is extended` };
}

function expiryNote(raw: unknown, hint: Hint, prefix: string, now: Date): ExpiryNote | undefined {
  if (hint.action !== 'reconcile') return undefined;
  const key = expiryKey(prefix).toLowerCase();
  if (hint.expiresAt !== undefined) return { change: 'fired', key: expiryKey(prefix), value: hint.expiresAt, ...judge(hint.expiresAt, now) };
  const { tags, tagKeys } = detailParams(raw);
  const set = Array.isArray(tags) ? (tags as Array<{ key?: unknown; value?: unknown }>).find((t) => typeof t?.key === 'string' && t.key.toLowerCase() === key) : undefined;
  if (set && typeof set.value === 'string') return { change: 'set', key: set.key as string, value: set.value, ...judge(set.value, now) };
  const removed = Array.isArray(tagKeys) ? (tagKeys as unknown[]).find((k): k is string => typeof k === 'string' && k.toLowerCase() === key) : undefined;
  if (removed) return { change: 'removed', key: removed, text: 'the expiry is removed: the grant no longer ends, and its schedule is deleted' };
  return undefined;
}

/** What explain-event says of an event the rule drops: the handler's own verdict no longer matters. */
type Explained = Omit<EventHint, 'action'> & { action: EventHint['action'] | 'filtered' };

function filteredHint(hint: EventHint, why: string | undefined): Explained {
  return {
    ...hint,
    action: 'filtered',
    principals: [],
    reason: `filtered by the rule: EventBridge does not deliver it to the provisioner, which never sees it (${why ?? 'it does not match the rule\'s pattern'}); the scheduled resync reconciles every principal anyway`,
  };
}

function human(hint: Explained, problems: TagProblem[], expiry: ExpiryNote | undefined): string {
  const reason = hint.reason.charAt(0).toUpperCase() + hint.reason.slice(1);
  const lines = [`${hint.eventName}: ${hint.action} ${describePrincipal(hint)}.`, `${reason}.`];
  if (expiry && expiry.state !== 'invalid') {
    const which = expiry.change === 'fired' ? `If ${expiry.key} still says ${expiry.value}, ` : `Expiry ${expiry.key}${expiry.value !== undefined ? `=${expiry.value}` : ''}: `;
    lines.push(`${which}${expiry.text}.`);
  }
  for (const p of problems) {
    lines.push(`Invalid tag ${p.key}=${JSON.stringify(p.value)}: the provisioner refuses it and changes nothing for this principal: ${p.message}.`);
  }
  return lines.join('\n');
}

/**
 * The stable machine-readable shape: action, principal and reason, plus `expiry` only when the
 * input sets, removes or fires an expiry, and `problems` only when the event sets a tag value the
 * provisioner refuses.
 */
function json(hint: Explained, problems: TagProblem[], expiry: ExpiryNote | undefined): string {
  const principal = hint.principal && {
    kind: hint.principal.kind,
    name: hint.principal.name,
    ...(hint.principal.arn ? { arn: hint.principal.arn } : {}),
  };
  const refused = problems.map((p) => ({ key: p.key, value: p.value, message: p.message }));
  return JSON.stringify({ action: hint.action, principal, reason: hint.reason, ...(expiry ? { expiry } : {}), ...(refused.length ? { problems: refused } : {}) }, null, 2);
}

async function run(args: string[], io: CommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs(args, { json: { type: 'boolean', default: false }, 'tag-prefix': { type: 'string' }, now: { type: 'string' } }, ['FILE']);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, e.message);
    throw e;
  }
  const { values } = parsed;
  const prefix = TagPrefixSchema.safeParse(values['tag-prefix']);
  if (!prefix.success) return usageError(io, formatIssues(prefix.error, '--tag-prefix'));
  let now = new Date();
  if (values.now !== undefined) {
    const at = parseExpiry(values.now);
    if (!at.ok) return usageError(io, `--now: ${at.message}`);
    now = at.at;
  }

  const file = parsed.positionals[0]!;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`cannot read ${file}: ${(e as Error).message}`);
    return 1;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    io.err(`${file} is not valid JSON: ${(e as Error).message}`);
    return 1;
  }
  let hint: Hint;
  try {
    hint = interpretHint(raw, { tagPrefix: prefix.data });
  } catch (e) {
    if (e instanceof MalformedEventError) {
      io.err(`${file} is not a well-formed EventBridge event: ${e.message}`);
      return 1;
    }
    throw e;
  }
  // A fired expiry schedule invokes the function directly (Scheduler), not through the rule.
  if (hint.eventName !== EXPIRY_FIRED && !matchesPattern(iamEventPattern(prefix.data) as unknown as EventPattern, raw)) {
    const filtered = filteredHint(hint, ruleDropReason(raw, prefix.data));
    io.out(values.json ? json(filtered, [], undefined) : human(filtered, [], undefined));
    return 0;
  }
  const problems = eventTagProblems(raw, hint, prefix.data);
  const expiry = expiryNote(raw, hint, prefix.data, now);
  io.out(values.json ? json(hint, problems, expiry) : human(hint, problems, expiry));
  return 0;
}

export const command: Command = {
  usage: `${USAGE}\n\n  --json          print {"action","principal","reason"} as JSON (action: reconcile, ignore, or filtered by the rule) ("expiry" when an expiry is set, removed or fires; "problems" when a tag value is refused)\n  --tag-prefix P  tag key prefix (default eks-access)\n  --now INSTANT   judge an expiry at this UTC instant (YYYY-MM-DDThh:mm[:ss]Z) instead of the current time`,
  run,
};
