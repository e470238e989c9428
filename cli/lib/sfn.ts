/**
 * The migration state machine and its executions, as the CLI reaches them: with the default
 * credential chain, in the state machine's own region, and through `AWS_ENDPOINT_URL_SFN`
 * when it is set (the sandbox). Pagination follows the API: GetExecutionHistory and
 * ListStateMachines return `nextToken` until the last page, and the other arguments must stay
 * unchanged between pages.
 */
import { SFNClient, paginateGetExecutionHistory, paginateListStateMachines, type HistoryEvent } from '@aws-sdk/client-sfn';
import { RETRY } from '#platform/clients';
import { MIGRATION_STATE_MACHINE_NAME } from '#workflows/manifest';


/** The stack names its state machine (infra/constructs/migration/state-machine.ts); a different name is never guessed at. */
const NAME_HINT = MIGRATION_STATE_MACHINE_NAME;
export const STATE_MACHINE_ENV = 'EAP_STATE_MACHINE_ARN';

export function sfnClient(region: string | undefined): SFNClient {
  return new SFNClient({ ...(region ? { region } : {}), ...RETRY });
}

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):([^:]+)(?::([^:]+))?$/;

export interface StateMachineArn {
  arn: string;
  region: string;
}

export function parseStateMachineArn(arn: string): StateMachineArn {
  const m = ARN.exec(arn);
  if (!m || m[4] !== 'stateMachine' || m[6] !== undefined) {
    throw new CliError(`not a state machine ARN: ${arn} (expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`);
  }
  return { arn, region: m[2]! };
}

export interface ExecutionArn {
  arn: string;
  region: string;
  stateMachineName: string;
  name: string;
}

export function parseExecutionArn(arn: string): ExecutionArn | undefined {
  const m = ARN.exec(arn);
  if (!m || m[4] !== 'execution' || m[6] === undefined) return undefined;
  return { arn, region: m[2]!, stateMachineName: m[5]!, name: m[6] };
}

/** The ARN an execution of `stateMachineArn` named `name` has. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The migration state machine: `--state-machine`, else EAP_STATE_MACHINE_ARN, else the one state
 * machine of the region whose name looks like it (ListStateMachines, all pages).
 */
export async function resolveStateMachine(
  explicit: string | undefined,
  region: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<StateMachineArn> {
  const given = explicit ?? env[STATE_MACHINE_ENV];
  if (given) return parseStateMachineArn(given);
  if (!region) throw new CliError(`no state machine: pass --state-machine ARN, set ${STATE_MACHINE_ENV}, or pass --region to look it up by name`);
  const client = sfnClient(region);
  const found: string[] = [];
  for await (const page of paginateListStateMachines({ client, pageSize: 1000 }, {})) {
    for (const sm of page.stateMachines ?? []) {
      if (sm.stateMachineArn && sm.name === MIGRATION_STATE_MACHINE_NAME) found.push(sm.stateMachineArn);
    }
  }
  if (found.length === 1) return parseStateMachineArn(found[0]!);
  if (found.length === 0) {
    throw new CliError(
      `no state machine named ${NAME_HINT} in ${region}; is the stack deployed in this region? Pass --state-machine ARN or set ${STATE_MACHINE_ENV}`,
    );
  }
  throw new CliError(`several state machines named ${NAME_HINT} in ${region}; pick one with --state-machine:\n  ${found.join('\n  ')}`);
}

/**
 * EXECUTION as given on the command line: an execution ARN, or an execution name of the
 * migration state machine (resolved as for `migrate start`).
 */
export async function resolveExecution(ref: string, opts: { stateMachine?: string; region?: string }): Promise<ExecutionArn> {
  const parsed = parseExecutionArn(ref);
  if (parsed) return parsed;
  if (ref.startsWith('arn:')) throw new CliError(`not an execution ARN: ${ref} (expected arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)`);
  const sm = await resolveStateMachine(opts.stateMachine, opts.region);
  return parseExecutionArn(executionArnFor(sm.arn, ref))!;
}

/** Every event of an execution, oldest first (all pages, 1000 per call: the API's maximum). */
export async function executionHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client, pageSize: 1000 }, { executionArn, includeExecutionData: true })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** The name of the latest state entered (newest first, stops at the first page that has one). */
export async function latestState(client: SFNClient, executionArn: string): Promise<string | undefined> {
  const pages = paginateGetExecutionHistory({ client, pageSize: 100 }, { executionArn, reverseOrder: true, includeExecutionData: false });
  for await (const page of pages) {
    const entered = (page.events ?? []).find((e) => e.type?.endsWith('StateEntered'));
    if (entered) return entered.stateEnteredEventDetails?.name;
  }
  return undefined;
}
