/**
 * `eks-access-pilot explain-event FILE [--json] [--tag-prefix P]`: what the provisioner would
 * do with an EventBridge event, offline. It calls the same `interpretEvent` the provisioner
 * does, so the answer cannot drift from the function's behaviour.
 *
 * Exit codes: 0 for any well-formed EventBridge event, including ones that are ignored;
 * 1 when the file cannot be read, is not JSON or is not a well-formed event; 2 for usage errors.
 */
import { readFile } from 'node:fs/promises';
import { ConfigSchema, formatIssues } from '#kernel/config';
import { MalformedEventError } from '#access/domain/errors';
import { interpretEvent, type EventHint } from '#access/domain/events';
import { offlineTagProblems, type TagProblem } from '#access/domain/tags';
import { UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, usageError as printUsageError } from '../lib/args.ts';

const USAGE = 'eks-access-pilot explain-event FILE [--json] [--tag-prefix P]';

// The prefix is validated and defaulted by the configuration's own field schema, so the CLI
// accepts exactly the prefixes a deployment could be configured with.
const TagPrefixSchema = ConfigSchema.shape.tagPrefix;

function usageError(io: CommandIO, message: string): number {
  return printUsageError(io, USAGE, message);
}

function describePrincipal(hint: EventHint): string {
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

function human(hint: EventHint, problems: TagProblem[]): string {
  const reason = hint.reason.charAt(0).toUpperCase() + hint.reason.slice(1);
  const lines = [`${hint.eventName}: ${hint.action} ${describePrincipal(hint)}.`, `${reason}.`];
  for (const p of problems) {
    lines.push(`Invalid tag ${p.key}=${JSON.stringify(p.value)}: the provisioner refuses it and changes nothing for this principal: ${p.message}.`);
  }
  return lines.join('\n');
}

/**
 * The stable machine-readable shape: action, principal and reason, plus `problems` only when
 * the event sets a tag value the provisioner refuses.
 */
function json(hint: EventHint, problems: TagProblem[]): string {
  const principal = hint.principal && {
    kind: hint.principal.kind,
    name: hint.principal.name,
    ...(hint.principal.arn ? { arn: hint.principal.arn } : {}),
  };
  const refused = problems.map((p) => ({ key: p.key, value: p.value, message: p.message }));
  return JSON.stringify({ action: hint.action, principal, reason: hint.reason, ...(refused.length ? { problems: refused } : {}) }, null, 2);
}

async function run(args: string[], io: CommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandArgs(args, { json: { type: 'boolean', default: false }, 'tag-prefix': { type: 'string' } }, ['FILE']);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, e.message);
    throw e;
  }
  const { values } = parsed;
  const prefix = TagPrefixSchema.safeParse(values['tag-prefix']);
  if (!prefix.success) return usageError(io, formatIssues(prefix.error, '--tag-prefix'));

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
  let hint: EventHint;
  try {
    hint = interpretEvent(raw, { tagPrefix: prefix.data });
  } catch (e) {
    if (e instanceof MalformedEventError) {
      io.err(`${file} is not a well-formed EventBridge event: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const problems = eventTagProblems(raw, hint, prefix.data);
  io.out(values.json ? json(hint, problems) : human(hint, problems));
  return 0;
}

export const command: Command = {
  usage: `${USAGE}\n\n  --json          print {"action","principal","reason"} as JSON (and "problems" when a tag value is refused)\n  --tag-prefix P  tag key prefix (default eks-access)`,
  run,
};
