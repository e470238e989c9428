/**
 * `eks-access-pilot migrate start|status|approve|history`: the authentication-mode migration
 * workflow (docs/architecture.md, "The migration workflow") from the command line, against AWS
 * or the sandbox. Thin: the input is validated by the workflow's own `parseMigrationInput`, the
 * approval request's location by `documentKey`, and everything else is Step Functions' own API.
 *
 * Exit codes: 0 the command did what it says (whatever the execution's status); 1 AWS refused
 * or nothing can be done (no such execution, nothing waiting for approval, …), with the reason;
 * 2 usage error.
 */
import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { parseMigrationInput, type MigrationInput } from '#migration/domain/input';
import { InvalidInputError } from '#migration/domain/errors';
import { EXECUTION_NAME, documentKey, s3Location } from '#workflows/contract';
import { MIGRATION_STATE_MACHINE_NAME } from '#workflows/manifest';
import { documentStore } from '#migration/adapters/documents';
import { EXIT, UsageError, type Command, type CommandIO, type Subcommand } from '../lib/command.ts';
import { parseCommandArgs, required, usageError } from '../lib/args.ts';
import { durationText, errorText, table, timeText } from '../lib/format.ts';
import {
  CliError,
  executionHistory,
  latestState,
  resolveExecution,
  resolveStateMachine,
  sfnClient,
  STATE_MACHINE_ENV,
  type ExecutionArn,
} from '../lib/sfn.ts';
import { buildTimeline, causeMessage, pendingCallback, type Timeline, type TimelineStep } from '../lib/timeline.ts';

/** The callback state of the workflow (workflows/auth-mode-migration.asl.json). */
export const APPROVAL_STATE = 'Wait for approval';
/** The error a rejection sends; the ASL's "Cutover not approved" Fail state reports it. */
export const REJECTION_ERROR = 'CutoverRejected';

const STATE_MACHINE_NOTE = `The state machine is --state-machine ARN, else $${STATE_MACHINE_ENV}, else the one state
machine in --region named ${MIGRATION_STATE_MACHINE_NAME} (the name the stack gives it);
the stack output MigrationStateMachineArn… has the ARN.`;
const EXECUTION_NOTE = `EXECUTION is an execution ARN, or an execution name of the migration state machine.
${STATE_MACHINE_NOTE}`;
const AWS_NOTE = `Credentials and region come from the default AWS chain; AWS_ENDPOINT_URL_SFN / _S3 point the
commands at the sandbox.`;

/** A subcommand's help in parts, so that `migrate --help` can show every one without repeating the notes. */
interface SubcommandHelp {
  summary: string;
  /** Usage lines without the leading `usage: `. */
  synopsis: string[];
  options: string[][];
  /** What only this subcommand needs said, after its options. */
  details?: string;
  /** Which shared note its help ends with: how the state machine, or an EXECUTION, is found. */
  finds: 'state machine' | 'execution';
}

const TARGET_HELP = [
  ['--region R', 'region of the state machine (default: the one in the ARN; needed to find it by name)'],
  ['--state-machine ARN', 'the migration state machine, for an EXECUTION given by name (see below)'],
];

const HELP: Record<'start' | 'status' | 'approve' | 'history', SubcommandHelp> = {
  start: {
    summary: 'Validate the input as the workflow does, start an execution and print its ARN.',
    synopsis: [
      'eks-access-pilot migrate start --cluster NAME --region R --target API|API_AND_CONFIG_MAP [--dry-run] [--approve-cutover] [--state-machine ARN] [--name NAME] [--json]',
    ],
    options: [
      ['--cluster NAME', 'the EKS cluster to migrate'],
      ['--region R', 'its region; the state machine must be in the same region'],
      ['--target MODE', 'the authentication mode to end in: API or API_AND_CONFIG_MAP'],
      ['--dry-run', 'back up and plan only; change nothing'],
      ['--approve-cutover', 'skip "Wait for approval" before the one-way switch to API'],
      ['--state-machine ARN', 'the migration state machine (see below)'],
      ['--name NAME', 'execution name (letters, digits, - and _; default: generated)'],
      ['--json', 'print {"executionArn","startDate","stateMachineArn","input"}'],
    ],
    finds: 'state machine',
  },
  status: {
    summary: 'Show an execution\'s status, current or last state, start and stop, error and cause, and output.',
    synopsis: ['eks-access-pilot migrate status EXECUTION [--region R] [--state-machine ARN] [--json]'],
    options: [...TARGET_HELP, ['--json', 'print {"executionArn","name","status","state","waitingForApproval",…}']],
    finds: 'execution',
  },
  approve: {
    summary: 'Answer the pending "Wait for approval": approve the one-way switch to API, or reject it.',
    synopsis: [
      'eks-access-pilot migrate approve EXECUTION [--by NAME] [--bucket B] [--region R] [--state-machine ARN] [--json]',
      'eks-access-pilot migrate approve EXECUTION --reject --reason TEXT [--bucket B] [--region R] [--state-machine ARN] [--json]',
    ],
    options: [
      ['--by NAME', 'who approves, recorded in the task output (default: your login name)'],
      ['--reject', `answer with SendTaskFailure, error ${REJECTION_ERROR}: the execution ends in "Cutover not approved"`],
      ['--reason TEXT', 'why, with --reject: recorded as the execution\'s Cause'],
      ['--bucket B', 'the workflow\'s bucket, when the history does not name it'],
      ...TARGET_HELP,
      ['--json', 'print {"executionArn","answer","tokenFrom"}'],
    ],
    details: `Approving answers with SendTaskSuccess. The task token comes from the execution history, else
from the approval request in S3 (approvals/<cluster>/<execution>/request.json; --bucket when the
history has no data).`,
    finds: 'execution',
  },
  history: {
    summary: 'Show an execution as a timeline: one line per state with start, duration, outcome and errors.',
    synopsis: [
      'eks-access-pilot migrate history EXECUTION [--region R] [--state-machine ARN] [--json]',
      'eks-access-pilot migrate history --file HISTORY.json [--json]',
    ],
    options: [
      ['--file HISTORY.json', 'read a saved `aws stepfunctions get-execution-history` output instead of asking AWS'],
      ...TARGET_HELP,
      ['--json', 'print {"status","startedAt","stoppedAt","steps","failure"}'],
    ],
    details: `OUTCOME is succeeded, caught, failed (each with "after N retries" when the task was
retried), running, timed out or aborted; the Error and Cause of a failed execution follow the table.`,
    finds: 'execution',
  },
};

/** The usage lines, aligned under the first one's `usage: `. */
function synopsisText(lines: readonly string[]): string {
  return lines.join('\n       ');
}

function optionLines(options: readonly (readonly string[])[], indent: string): string[] {
  return table(options).map((l) => `${indent}${l}`);
}

/** `migrate <sub> --help`: the subcommand's usage, its options and the notes that concern it. */
function subcommandUsage(h: SubcommandHelp): string {
  const notes = [h.details, h.finds === 'execution' ? EXECUTION_NOTE : STATE_MACHINE_NOTE, AWS_NOTE];
  return [synopsisText(h.synopsis), '', ...optionLines(h.options, '  '), '', notes.filter((n) => n !== undefined).join('\n\n')].join('\n');
}

/** `migrate --help`: every subcommand's usage, summary and options, and the shared notes once. */
function groupUsage(): string {
  const subs = Object.entries(HELP);
  const width = Math.max(...subs.map(([name]) => name.length));
  const indent = ' '.repeat(width + 4);
  return [
    synopsisText(subs.flatMap(([, h]) => h.synopsis)),
    '',
    ...subs.flatMap(([name, h]) => [
      `${name.padEnd(width)}  ${h.summary}`,
      ...optionLines(h.options, indent),
      ...(h.details ? ['', ...h.details.split('\n').map((l) => `${indent}${l}`)] : []),
      '',
    ]),
    EXECUTION_NOTE,
    '',
    AWS_NOTE,
    '',
    'Run `eks-access-pilot migrate <subcommand> --help` for one subcommand.',
  ].join('\n');
}

// ----- start -----

const OPTION_OF_FIELD: Record<string, string> = { clusterName: '--cluster', region: '--region', targetMode: '--target', dryRun: '--dry-run', approveCutover: '--approve-cutover' };

async function start(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      cluster: { type: 'string' },
      region: { type: 'string' },
      target: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'approve-cutover': { type: 'boolean', default: false },
      'state-machine': { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    [],
  );
  let input: MigrationInput;
  try {
    input = parseMigrationInput({
      clusterName: required(values.cluster, '--cluster NAME'),
      region: required(values.region, '--region R'),
      targetMode: required(values.target, '--target API|API_AND_CONFIG_MAP'),
      dryRun: values['dry-run'],
      approveCutover: values['approve-cutover'],
    });
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    // The workflow's message names input fields; say which option each one came from.
    throw new UsageError(e.message.replace(/\b(clusterName|region|targetMode|dryRun|approveCutover):/g, (_, f: string) => `${OPTION_OF_FIELD[f]} (${f}):`));
  }
  if (values.name !== undefined && !EXECUTION_NAME.test(values.name)) {
    // The workflow puts the name into S3 keys and the tag eks-access-pilot/source=migration/<name>.
    throw new UsageError(`--name: "${values.name}" must be 1-80 letters, digits, - or _`);
  }

  const sm = await resolveStateMachine(values['state-machine'], input.region);
  if (sm.region !== input.region) {
    throw new CliError(
      `the state machine is in ${sm.region} but the cluster is in ${input.region}: the workflow's mode switches are Step Functions SDK integrations, which reach only their own region; deploy the stack in ${input.region} or migrate a cluster of ${sm.region}`,
    );
  }
  const out = await sfnClient(sm.region).send(
    new StartExecutionCommand({ stateMachineArn: sm.arn, input: JSON.stringify(input), ...(values.name ? { name: values.name } : {}) }),
  );
  if (values.json) {
    io.out(JSON.stringify({ executionArn: out.executionArn, startDate: out.startDate?.toISOString(), stateMachineArn: sm.arn, input }, null, 2));
  } else {
    io.out(out.executionArn ?? '');
    io.err(
      input.dryRun
        ? 'dry run: the execution backs up aws-auth and the access entries and writes the plan; it changes nothing.'
        : input.targetMode === 'API' && !input.approveCutover
          ? 'this run changes the cluster; it stops at "Wait for approval" before the one-way switch to API: answer with `eks-access-pilot migrate approve EXECUTION`.'
          : 'this run changes the cluster.',
    );
    io.err(`follow it with: eks-access-pilot migrate history ${out.executionArn ?? ''}`);
  }
  return EXIT.ok;
}

// ----- shared -----

interface Target {
  execution: ExecutionArn;
  client: SFNClient;
}

async function target(ref: string, values: { region?: string; 'state-machine'?: string }): Promise<Target> {
  const execution = await resolveExecution(ref, { region: values.region, stateMachine: values['state-machine'] });
  return { execution, client: sfnClient(values.region ?? execution.region) };
}

const TARGET_OPTIONS = { region: { type: 'string' }, 'state-machine': { type: 'string' }, json: { type: 'boolean', default: false } } as const;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The parts of an execution's output worth a line: the workflow's outputs carry a location and a summary. */
function outputSummary(output: unknown): string | undefined {
  if (output === undefined) return undefined;
  if (!output || typeof output !== 'object' || Array.isArray(output)) return JSON.stringify(output);
  const o = output as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof o.location === 'string') parts.push(o.location);
  if (o.summary && typeof o.summary === 'object') {
    parts.push(Object.entries(o.summary as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '));
  }
  if (parts.length === 0) {
    parts.push(Object.entries(o).filter(([, v]) => typeof v !== 'object' || v === null).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ') || `fields: ${Object.keys(o).join(', ')}`);
  }
  return parts.join('; ');
}

async function describe(t: Target): Promise<DescribeExecutionCommandOutput> {
  return t.client.send(new DescribeExecutionCommand({ executionArn: t.execution.arn }));
}

// ----- status -----

async function status(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, TARGET_OPTIONS, ['EXECUTION']);
  const t = await target(positionals[0]!, values);
  const d = await describe(t);
  const state = await latestState(t.client, t.execution.arn);
  const output = parseJson(d.output);
  const waiting = d.status === 'RUNNING' && state === APPROVAL_STATE;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          executionArn: d.executionArn,
          name: d.name,
          status: d.status,
          state: state ?? null,
          waitingForApproval: waiting,
          startDate: d.startDate?.toISOString() ?? null,
          stopDate: d.stopDate?.toISOString() ?? null,
          input: parseJson(d.input) ?? null,
          error: d.error ?? null,
          cause: d.cause ?? null,
          output: output ?? null,
        },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  const rows: string[][] = [
    ['execution', d.executionArn ?? t.execution.arn],
    ['status', d.status ?? 'unknown'],
    [d.status === 'RUNNING' ? 'current state' : 'last state', state ?? '-'],
    ['started', timeText(d.startDate)],
  ];
  if (d.stopDate) rows.push(['stopped', `${timeText(d.stopDate)} (after ${durationText(d.stopDate.getTime() - (d.startDate?.getTime() ?? d.stopDate.getTime()))})`]);
  if (d.error) rows.push(['error', d.error]);
  // As `history` prints it: a Lambda error's JSON (with its stack trace) reduced to its type and message.
  if (d.cause) rows.push(['cause', causeMessage(d.error ?? 'unknown error', d.cause)]);
  const summary = outputSummary(output);
  if (summary) rows.push(['output', summary]);
  for (const line of table(rows)) io.out(line);
  if (waiting) io.out(`\nWaiting for approval of the one-way switch to API: eks-access-pilot migrate approve ${t.execution.arn}`);
  return EXIT.ok;
}

// ----- approve -----

interface ApprovalRequest {
  execution?: string;
  taskToken?: string;
}

/** The bucket the workflow writes to, from the output of "Validate input" (`run.bucket`). */
function bucketFromHistory(events: readonly HistoryEvent[]): string | undefined {
  for (const e of events) {
    if (e.type !== 'TaskStateExited' || e.stateExitedEventDetails?.name !== 'Validate input') continue;
    const out = parseJson(e.stateExitedEventDetails.output) as { run?: { bucket?: unknown } } | undefined;
    if (typeof out?.run?.bucket === 'string') return out.run.bucket;
  }
  return undefined;
}

async function approve(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...TARGET_OPTIONS, reject: { type: 'boolean', default: false }, reason: { type: 'string' }, by: { type: 'string' }, bucket: { type: 'string' } },
    ['EXECUTION'],
  );
  if (values.reject && !values.reason) throw new UsageError('--reject needs --reason TEXT: the rejection is recorded as the execution\'s Cause');
  if (!values.reject && values.reason !== undefined) throw new UsageError('--reason goes with --reject');

  const t = await target(positionals[0]!, values);
  const d = await describe(t);
  if (d.status !== 'RUNNING') {
    throw new CliError(`execution ${t.execution.name} is ${d.status ?? 'not running'}: nothing is waiting for approval`);
  }
  const events = await executionHistory(t.client, t.execution.arn);
  const pending = pendingCallback(events, APPROVAL_STATE);
  if (!pending) {
    const current = buildTimeline(events).steps.at(-1)?.state;
    throw new CliError(`execution ${t.execution.name} is not waiting for approval (current state: ${current ?? 'none yet'}); nothing to answer`);
  }

  let token = pending.taskToken;
  let source = 'the execution history';
  if (!token) {
    // The history came without execution data: read the request the approval task wrote.
    const input = parseJson(d.input) as { clusterName?: unknown } | undefined;
    const bucket = values.bucket ?? bucketFromHistory(events);
    if (typeof input?.clusterName !== 'string' || !bucket) {
      throw new CliError(
        `the history of ${t.execution.name} does not carry the task token and the approval request cannot be located${bucket ? '' : ' (pass --bucket with the workflow\'s bucket)'}`,
      );
    }
    const key = documentKey('approvals', input.clusterName, t.execution.name, 'request.json');
    const s3 = new S3Client({ region: t.execution.region, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
    const { value } = await documentStore(s3).getJson<ApprovalRequest>(bucket, key);
    if (value.execution !== t.execution.name || !value.taskToken) {
      throw new CliError(`${s3Location(bucket, key)} is not the approval request of ${t.execution.name}`);
    }
    token = value.taskToken;
    source = s3Location(bucket, key);
  }

  try {
    if (values.reject) {
      await t.client.send(new SendTaskFailureCommand({ taskToken: token, error: REJECTION_ERROR, cause: values.reason }));
    } else {
      const approvedBy = values.by ?? userInfo().username;
      await t.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy, approvedAt: new Date().toISOString(), via: 'eks-access-pilot migrate approve' }) }));
    }
  } catch (e) {
    if (e instanceof TaskTimedOut || e instanceof TaskDoesNotExist) {
      throw new CliError(`the approval is no longer pending (${e.name}): it timed out or was answered meanwhile; see eks-access-pilot migrate status ${t.execution.arn}`);
    }
    if (e instanceof InvalidToken) throw new CliError(`Step Functions rejected the task token from ${source} (InvalidToken: ${e.message})`);
    throw e;
  }
  const verdict = values.reject
    ? `rejected: the execution ends in "Cutover not approved" (${REJECTION_ERROR}); the cluster stays in API_AND_CONFIG_MAP with its verified entries`
    : 'approved: the execution continues with "Switch to API" (one-way)';
  if (values.json) io.out(JSON.stringify({ executionArn: t.execution.arn, answer: values.reject ? 'rejected' : 'approved', tokenFrom: source }, null, 2));
  else io.out(`${t.execution.name}: ${verdict}.`);
  return EXIT.ok;
}

// ----- history -----

function outcomeText(step: TimelineStep): string {
  const retries = step.attempts > 1 ? ` after ${step.attempts - 1} ${step.attempts === 2 ? 'retry' : 'retries'}` : '';
  if (step.outcome === 'succeeded' && retries) return `succeeded${retries}`;
  if (step.outcome === 'caught' || step.outcome === 'failed') return `${step.outcome}${retries}`;
  return step.outcome;
}

function timelineJson(t: Timeline): unknown {
  return {
    status: t.status,
    startedAt: t.startedAt?.toISOString() ?? null,
    stoppedAt: t.stoppedAt?.toISOString() ?? null,
    steps: t.steps.map((s) => ({
      state: s.state,
      type: s.type,
      startedAt: s.startedAt.toISOString(),
      durationMs: s.durationMs ?? null,
      outcome: s.outcome,
      attempts: s.attempts,
      retried: s.attempts > 1,
      errors: s.errors,
    })),
    failure: t.failure ?? null,
  };
}

/** Renders the timeline; returns the lines. */
export function timelineText(name: string, t: Timeline): string[] {
  const lines: string[] = [];
  const total = t.startedAt && t.stoppedAt ? ` after ${durationText(t.stoppedAt.getTime() - t.startedAt.getTime())}` : '';
  lines.push(`Execution ${name}: ${t.status}${total} (started ${timeText(t.startedAt)})`, '');
  const rows = table([
    ['#', 'STATE', 'STARTED', 'DURATION', 'OUTCOME'],
    ...t.steps.map((s, i) => [String(i + 1), s.state, timeText(s.startedAt), durationText(s.durationMs), outcomeText(s)]),
  ]);
  lines.push(rows[0]!);
  t.steps.forEach((s, i) => {
    lines.push(rows[i + 1]!);
    // The Fail state's own Error/Cause is shown once, below.
    if (s.type !== 'Fail') for (const e of s.errors) lines.push(`     ${e.message.startsWith(e.error) ? e.message : `${e.error}: ${e.message}`}`);
  });
  if (t.failure) {
    lines.push('', `FAILED${t.failure.state ? ` in "${t.failure.state}"` : ''}`, `  Error: ${t.failure.error}`);
    if (t.failure.cause) lines.push(`  Cause: ${t.failure.message}`);
  }
  return lines;
}

async function history(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ...TARGET_OPTIONS, file: { type: 'string' } }, args.some((a) => a === '--file' || a.startsWith('--file=')) ? [] : ['EXECUTION']);
  let events: HistoryEvent[];
  let name: string;
  if (values.file) {
    const raw = await readHistoryFile(values.file);
    events = raw;
    name = values.file;
  } else {
    const t = await target(positionals[0]!, values);
    events = await executionHistory(t.client, t.execution.arn);
    name = t.execution.name;
  }
  const timeline = buildTimeline(events);
  if (values.json) io.out(JSON.stringify(timelineJson(timeline), null, 2));
  else for (const line of timelineText(name, timeline)) io.out(line);
  return EXIT.ok;
}

/** A saved `aws stepfunctions get-execution-history` output: `{"events": [...]}` with ISO timestamps. */
async function readHistoryFile(file: string): Promise<HistoryEvent[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const events = (raw as { events?: unknown })?.events;
  if (!Array.isArray(events)) throw new CliError(`${file}: expected {"events": [...]} as printed by aws stepfunctions get-execution-history`);
  return events.map((e: Record<string, unknown>) => ({ ...e, timestamp: e.timestamp === undefined ? undefined : new Date(e.timestamp as string) }) as HistoryEvent);
}

// ----- dispatch -----

const RUN: Record<keyof typeof HELP, (args: string[], io: CommandIO) => Promise<number>> = { start, status, approve, history };

function isSubcommand(name: string | undefined): name is keyof typeof HELP {
  return name !== undefined && Object.hasOwn(HELP, name);
}

async function run(args: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) {
    return usageError(io, synopsisText(Object.values(HELP).flatMap((h) => h.synopsis)), sub ? `unknown subcommand "${sub}"` : 'missing subcommand: start, status, approve or history');
  }
  try {
    return await RUN[sub](rest, io);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, synopsisText(HELP[sub].synopsis), `migrate ${sub}: ${e.message}`);
    if (e instanceof CliError) {
      io.err(e.message);
      return EXIT.failed;
    }
    if (e instanceof ExecutionDoesNotExist) {
      io.err(`no such execution (ExecutionDoesNotExist: ${e.message}); check the ARN or name and the region`);
      return EXIT.failed;
    }
    // AWS refused (credentials, permissions, throttling after retries, …): name it and stop.
    io.err(`migrate ${sub} failed: ${errorText(e)}`);
    return EXIT.failed;
  }
}

export const command: Command = {
  usage: groupUsage(),
  subcommands: Object.fromEntries(Object.entries(HELP).map(([name, h]): [string, Subcommand] => [name, { summary: h.summary, usage: subcommandUsage(h) }])),
  run,
};
