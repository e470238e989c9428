/**
 * Step Functions, in-process: state machines run by aws-local-stepfunctions, with the API's
 * semantics around them — executions that run asynchronously after StartExecution returns, their
 * status, output, error and cause, an execution history shaped like the real one, task tokens for
 * `.waitForTaskToken` tasks, and the API's errors (the SDK's own exception classes). Served over
 * HTTP by sandbox/server/services/stepfunctions.ts.
 *
 * Task resources are bound, not called: a Lambda function ARN (or `lambda:invoke` with its
 * FunctionName) runs a handler given at CreateStateMachine time, the way Lambda would (the event
 * and the result go through JSON; a thrown error becomes Error = its name, Cause = Lambda's
 * `{"errorType","errorMessage","trace"}`); an `aws-sdk:<service>:<action>` task calls the given
 * SDK integration.
 *
 * History, as the Step Functions API reports it (API reference, HistoryEvent; developer guide,
 * "Viewing execution history"): ExecutionStarted; `<Type>StateEntered`/`<Type>StateExited` per
 * state; for a Task whose Resource is a Lambda function ARN, LambdaFunctionScheduled (input) /
 * LambdaFunctionStarted / LambdaFunctionSucceeded (output) or LambdaFunctionFailed (error,
 * cause); for service integrations (`arn:aws:states:::lambda:invoke…`, `…:aws-sdk:eks:…`)
 * TaskScheduled (resourceType, resource, region, parameters — a waitForTaskToken task's token is
 * in there) / TaskStarted / TaskSubmitted (waitForTaskToken, once the request was delivered) /
 * TaskSucceeded or TaskFailed or TaskTimedOut; then ExecutionSucceeded, ExecutionFailed (error,
 * cause), ExecutionAborted or ExecutionTimedOut. A retried task repeats its scheduled…failed
 * events inside the same state; a caught error is followed by the state's Exited event.
 */
import '#sandbox/polyfills';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  TaskTimedOut,
  ValidationException,
  type DescribeExecutionOutput,
  type DescribeStateMachineOutput,
  type ExecutionListItem,
  type ExecutionStatus,
  type GetExecutionHistoryOutput,
  type HistoryEvent,
  type HistoryEventType,
  type ListExecutionsOutput,
  type ListStateMachinesOutput,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { constraintMessage } from '#sandbox/model/errors';

/** A Lambda function's handler: the event as JSON, a Lambda context. */
export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/**
 * Which Task state of which execution makes an integration call. Step Functions sends the
 * service nothing of the kind; it is here for harnesses that act per state (a test that fails
 * one state's call).
 */
export interface TaskRef {
  state: string;
  executionArn: string;
}

/**
 * An `aws-sdk:<service>:<action>` task: PascalCase parameters in, PascalCase output back; a
 * failure throws an error named `<Service>.<Exception>` (developer guide, "AWS SDK service
 * integrations": e.g. `Eks.ResourceInUseException`).
 */
export type SdkIntegration = (service: string, action: string, parameters: Record<string, unknown>, region: string, task: TaskRef) => Promise<unknown>;

export interface StateMachineSpec {
  name: string;
  /**
   * The ASL, with CloudFormation's definitionSubstitutions already applied; or a
   * PreparedStateMachine, to register an already validated definition again without paying
   * for the validation.
   */
  definition: StateMachineDefinition | string | PreparedStateMachine;
  roleArn?: string;
  /** Handlers by Lambda function ARN. */
  lambdas: Record<string, LambdaHandler>;
  sdk?: SdkIntegration;
}

export interface StepFunctionsOptions {
  accountId: string;
  region: string;
  /** Every Wait state lasts this long (ms) instead of what it says; as written when absent. */
  waitMs?: number;
  /** Every Retry waits this long (ms) between attempts; as written when absent. */
  retryIntervalMs?: number;
}

interface Machine {
  arn: string;
  name: string;
  roleArn: string;
  definition: StateMachineDefinition;
  /** The definition as given, for DescribeStateMachine. */
  source: string;
  runner: StateMachine;
  spec: StateMachineSpec;
  createdAt: Date;
}

type Event = Omit<HistoryEvent, 'id' | 'previousEventId'>;

interface Waiting {
  executionArn: string;
  state: string;
  resource: { resourceType: string; resource: string };
  resolve: (output: unknown) => void;
  reject: (e: Error) => void;
}

interface Execution {
  arn: string;
  /** Start order (1, 2, …): ListExecutions' order and its page cursor. */
  seq: number;
  name: string;
  machine: Machine;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  abort?: () => void;
  /** The state whose Entered event is in the history and whose Exited is not yet. */
  current?: string;
  /** Task events raised before their state's Entered event reached the history. */
  pending: Array<{ state: string; event: Event }>;
  /** The service integration each waiting state was scheduled with (for TaskTimedOut). */
  waitingIn: Map<string, { token: string; resource: Waiting['resource'] }>;
  done: Promise<void>;
}

/** What `$$.Task.Token` holds until a waitForTaskToken task gets its own token. */
const TOKEN_PLACEHOLDER = 'sandbox:task-token';
const MAX_PAYLOAD = 256 * 1024;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(:[A-Za-z0-9$_-]+)?$/;
const INTEGRATION = /^arn:aws[a-z-]*:states:::(lambda:invoke(?:\.waitForTaskToken)?|aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)(\.waitForTaskToken)?)$/;

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null)) as T;
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

/**
 * StartExecution's name rules (API reference, StartExecution `name`): 1–80 characters, none of
 * whitespace, brackets `< > { } [ ]`, wildcards `? *`, `" # % \ ^ | ~ \` $ & , ; : /`, or control
 * characters.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what the rule excludes
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

function lambdaContext(functionArn: string): Context {
  const name = LAMBDA_ARN.exec(functionArn)?.[3] ?? 'function';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `sandbox/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => 900_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Every Task state, with nested Map/Parallel states. */
function taskStates(states: StateMachineDefinition['States']): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const [name, raw] of Object.entries(states)) {
    const s = raw as unknown as Record<string, unknown>;
    if (s.Type === 'Task') out.push([name, s]);
    for (const b of (s.Branches as Array<{ States: StateMachineDefinition['States'] }> | undefined) ?? []) out.push(...taskStates(b.States));
    const nested = (s.ItemProcessor ?? s.Iterator) as { States: StateMachineDefinition['States'] } | undefined;
    if (nested) out.push(...taskStates(nested.States));
  }
  return out;
}

/**
 * The one adaptation the local runner needs: aws-local-stepfunctions 3.0.0 resolves a Task's
 * `TimeoutSecondsPath`/`HeartbeatSecondsPath` against the input after `Parameters`, Step
 * Functions against the state's input. When Parameters copy the same path into the request, point
 * the runner at that copy; otherwise the definition cannot run here and says so.
 */
function adaptForRunner(definition: StateMachineDefinition): StateMachineDefinition {
  const find = (tree: unknown, path: string, at: string[]): string | undefined => {
    if (!tree || typeof tree !== 'object') return undefined;
    for (const [k, v] of Object.entries(tree)) {
      if (k.endsWith('.$') && v === path) return ['$', ...at, k.slice(0, -2)].join('.');
      const deeper = find(v, path, [...at, k]);
      if (deeper) return deeper;
    }
    return undefined;
  };
  for (const [name, s] of taskStates(definition.States)) {
    for (const field of ['TimeoutSecondsPath', 'HeartbeatSecondsPath']) {
      const path = s[field];
      if (typeof path !== 'string' || !s.Parameters) continue;
      const copy = find(s.Parameters, path, []);
      if (!copy) throw new Error(`state "${name}": ${field} ${path} must also be passed in Parameters for the sandbox's runner to resolve it`);
      s[field] = copy;
    }
  }
  return definition;
}

/**
 * A definition adapted for the local runner and validated once (asl-validator with path and ARN
 * checks, ~200 ms for the migration ASL). The runner keeps no state between runs, so one
 * prepared machine can be registered in many models: a test file prepares it once and gives
 * each test its own model.
 * @throws Error with the validator's messages when the ASL is invalid, or from adaptForRunner.
 */
export class PreparedStateMachine {
  readonly definition: StateMachineDefinition;
  /** The definition as given (before adaptForRunner): what DescribeStateMachine returns. */
  readonly source: string;
  readonly runner: StateMachine;

  constructor(definition: StateMachineDefinition | string) {
    this.source = typeof definition === 'string' ? definition : JSON.stringify(definition);
    this.definition = adaptForRunner(json(typeof definition === 'string' ? (JSON.parse(definition) as StateMachineDefinition) : definition));
    this.runner = new StateMachine(this.definition, { validationOptions: { checkPaths: true, checkArn: true } });
  }
}

export class StepFunctionsModel {
  readonly calls = new Map<string, number>();
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, Execution>();
  private readonly waiting = new Map<string, Waiting>();
  /** Tokens that were issued and are no longer waiting (answered, timed out, stopped). */
  private readonly spent = new Set<string>();

  constructor(private readonly options: StepFunctionsOptions) {}

  // ----- setup (CreateStateMachine, without the API) -----

  /**
   * Registers a state machine and returns its ARN. Every Task resource must be bound: a Lambda
   * ARN in `lambdas`, or an `aws-sdk:*` integration with `sdk`.
   * @throws Error naming the state whose resource is not bound, or the ASL's validation errors.
   */
  createStateMachine(spec: StateMachineSpec): string {
    const arn = `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${spec.name}`;
    if (this.machines.has(arn)) throw new StateMachineAlreadyExists({ message: `State Machine Already Exists: '${arn}'`, $metadata: {} });
    const prepared = spec.definition instanceof PreparedStateMachine ? spec.definition : new PreparedStateMachine(spec.definition);
    const { definition, runner, source } = prepared;
    for (const [name, s] of taskStates(definition.States)) {
      const resource = String(s.Resource);
      const integration = INTEGRATION.exec(resource);
      const fn = integration?.[1]?.startsWith('lambda:') ? String((s.Parameters as Record<string, unknown> | undefined)?.FunctionName ?? '') : resource;
      if (integration?.[2] ? !spec.sdk : !spec.lambdas[fn]) {
        throw new Error(`state "${name}": the sandbox has nothing bound to ${integration?.[2] ? resource : fn || resource}`);
      }
    }
    this.machines.set(arn, {
      arn,
      name: spec.name,
      roleArn: spec.roleArn ?? `arn:aws:iam::${this.options.accountId}:role/${spec.name}-role`,
      definition,
      source,
      runner,
      spec,
      createdAt: new Date(),
    });
    return arn;
  }

  /** Resolves when the execution has ended (for in-process callers such as the demo). */
  async settled(executionArn: string): Promise<void> {
    await this.execution(executionArn).done;
  }

  // ----- API -----

  startExecution(input: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: Date } {
    return this.call('StartExecution', () => {
      const machine = this.machine(input.stateMachineArn);
      const name = input.name ?? randomUUID();
      if (!NAME.test(name)) throw new InvalidName({ message: `Invalid Name: '${name}'`, $metadata: {} });
      const text = input.input ?? '{}';
      if (Buffer.byteLength(text) > MAX_PAYLOAD) throw new InvalidExecutionInput({ message: `Invalid State Machine Execution Input: 'The input exceeds the maximum size of 262144 bytes'`, $metadata: {} });
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new InvalidExecutionInput({ message: `Invalid State Machine Execution Input: '${(e as Error).message}'`, $metadata: {} });
      }
      const arn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = this.executions.get(arn);
      if (existing) {
        // Idempotent for a running execution with the same name and input (API reference, StartExecution).
        if (existing.status === 'RUNNING' && existing.input === text) return { executionArn: arn, startDate: existing.startDate };
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${arn}'`, $metadata: {} });
      }
      const execution = this.launch(machine, arn, name, text, parsed);
      return { executionArn: arn, startDate: execution.startDate };
    });
  }

  describeExecution(input: { executionArn?: string }): DescribeExecutionOutput {
    return this.call('DescribeExecution', () => {
      const e = this.execution(input.executionArn);
      return {
        executionArn: e.arn,
        stateMachineArn: e.machine.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        input: e.input,
        inputDetails: { included: true },
        ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
      };
    });
  }

  getExecutionHistory(input: { executionArn?: string; maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean }): GetExecutionHistoryOutput {
    return this.call('GetExecutionHistory', () => {
      const e = this.execution(input.executionArn);
      let events = input.reverseOrder ? [...e.events].reverse() : [...e.events];
      if (input.includeExecutionData === false) events = events.map(withoutData);
      const { items, nextToken } = this.page(events, input.nextToken, input.maxResults, (ev) => String(ev.id));
      return { events: structuredClone(items), ...(nextToken ? { nextToken } : {}) };
    });
  }

  listExecutions(input: { stateMachineArn?: string; statusFilter?: ExecutionStatus; maxResults?: number; nextToken?: string }): ListExecutionsOutput {
    return this.call('ListExecutions', () => {
      const machine = this.machine(input.stateMachineArn);
      // "Results are sorted by time, with the most recent execution first" (API reference,
      // ListExecutions): start order, newest first, which also orders executions started in the
      // same millisecond. The cursor is the last one's place in that order, so the next page
      // holds the older ones even when some started, or stopped and left the status filter, since.
      const all = [...this.executions.values()]
        .filter((e) => e.machine === machine && (!input.statusFilter || e.status === input.statusFilter))
        .sort((a, b) => b.seq - a.seq);
      const { items, nextToken } = this.page(all, input.nextToken, input.maxResults, (e) => String(e.seq), (e, cursor) => e.seq < Number(cursor));
      const executions: ExecutionListItem[] = items.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
      }));
      return { executions, ...(nextToken ? { nextToken } : {}) };
    });
  }

  /**
   * API reference, ListStateMachines: every state machine (name, ARN, type, creation date), in
   * pages of maxResults with nextToken. Order: creation (inferred: the reference promises none;
   * moto 5.2 sorts by creation date too).
   */
  listStateMachines(input: { maxResults?: number; nextToken?: string }): ListStateMachinesOutput {
    return this.call('ListStateMachines', () => {
      const { items, nextToken } = this.page([...this.machines.values()], input.nextToken, input.maxResults, (m) => m.arn);
      return {
        stateMachines: items.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: m.createdAt })),
        ...(nextToken ? { nextToken } : {}),
      };
    });
  }

  /**
   * API reference, DescribeStateMachine: the definition as created, the role, STANDARD, ACTIVE,
   * the creation date, and logging and tracing as configured — off here (a machine created
   * without them reports level OFF and tracing disabled). Version and alias ARNs are not
   * modelled (InvalidArn, as for any ARN that is not a state machine's).
   */
  describeStateMachine(input: { stateMachineArn?: string }): DescribeStateMachineOutput {
    return this.call('DescribeStateMachine', () => {
      const m = this.machine(input.stateMachineArn);
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: 'ACTIVE',
        definition: m.source,
        roleArn: m.roleArn,
        type: 'STANDARD',
        creationDate: m.createdAt,
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    });
  }

  sendTaskSuccess(input: { taskToken?: string; output?: string }): Record<string, never> {
    return this.call('SendTaskSuccess', () => {
      const w = this.waitingFor(input.taskToken);
      let output: unknown;
      try {
        output = JSON.parse(input.output ?? '');
      } catch (e) {
        throw new InvalidOutput({ message: `Invalid Output: '${(e as Error).message}'`, $metadata: {} });
      }
      this.finishWait(input.taskToken!);
      w.resolve(output);
      return {};
    });
  }

  sendTaskFailure(input: { taskToken?: string; error?: string; cause?: string }): Record<string, never> {
    return this.call('SendTaskFailure', () => {
      const w = this.waitingFor(input.taskToken);
      this.finishWait(input.taskToken!);
      w.reject(named(input.error ?? '', input.cause ?? ''));
      return {};
    });
  }

  sendTaskHeartbeat(input: { taskToken?: string }): Record<string, never> {
    return this.call('SendTaskHeartbeat', () => {
      this.waitingFor(input.taskToken);
      return {};
    });
  }

  stopExecution(input: { executionArn?: string; error?: string; cause?: string }): { stopDate: Date } {
    return this.call('StopExecution', () => {
      const e = this.execution(input.executionArn);
      if (e.status === 'RUNNING') {
        // The execution is ABORTED when StopExecution returns — DescribeExecution says so at once —
        // with the given error and cause, and ExecutionAborted ends its history (API reference,
        // StopExecution, DescribeExecution `error`/`cause`, HistoryEvent executionAbortedEventDetails).
        // What the runner reports after the abort is dropped (record, taskEvent).
        const stopWith = { ...(input.error !== undefined ? { error: input.error } : {}), ...(input.cause !== undefined ? { cause: input.cause } : {}) };
        const at = new Date();
        this.flush(e);
        this.end(e, 'ABORTED', at, stopWith);
        this.append(e, { type: 'ExecutionAborted', timestamp: at, executionAbortedEventDetails: stopWith });
        e.abort?.();
      }
      return { stopDate: e.stopDate ?? new Date() };
    });
  }

  // ----- running an execution -----

  private launch(machine: Machine, arn: string, name: string, text: string, parsed: unknown): Execution {
    let finished!: () => void;
    const execution: Execution = {
      arn,
      seq: this.executions.size + 1,
      name,
      machine,
      input: text,
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      pending: [],
      waitingIn: new Map(),
      done: new Promise<void>((r) => (finished = r)),
    };
    this.executions.set(arn, execution);
    const states = Object.keys(json(machine.definition.States));
    const run = machine.runner.run(parsed as never, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(taskStates(machine.definition.States).map(([state, s]) => [state, this.task(execution, state, s)])),
        ...(this.options.waitMs !== undefined
          ? { waitTimeOverrides: Object.fromEntries(states.filter((s) => (machine.definition.States[s] as { Type: string }).Type === 'Wait').map((s) => [s, this.options.waitMs!])) }
          : {}),
        ...(this.options.retryIntervalMs !== undefined ? { retryIntervalOverrides: Object.fromEntries(states.map((s) => [s, this.options.retryIntervalMs!])) } : {}),
      },
      context: {
        Execution: { Id: arn, Name: name, RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    execution.abort = run.abort;
    // The runner reports the outcome through its event log; the result's rejection is expected.
    run.result.catch(() => undefined);
    void (async () => {
      for await (const ev of run.eventLogs) this.record(execution, ev as unknown as RunnerEvent);
      finished();
    })();
    return execution;
  }

  /** Turns one runner event into history events. */
  private record(e: Execution, ev: RunnerEvent): void {
    // An execution stopped by StopExecution has its last event already.
    if (e.status !== 'RUNNING') return;
    const at = new Date(ev.timestamp);
    switch (ev.type) {
      case 'ExecutionStarted':
        this.append(e, { type: 'ExecutionStarted', timestamp: at, executionStartedEventDetails: { input: e.input, inputDetails: { truncated: false }, roleArn: e.machine.roleArn } });
        break;
      case 'StateEntered':
        this.append(e, { type: `${ev.state!.type}StateEntered` as HistoryEventType, timestamp: at, stateEnteredEventDetails: { name: ev.state!.name, input: JSON.stringify(ev.state!.input ?? null), inputDetails: { truncated: false } } });
        e.current = ev.state!.name;
        this.flush(e);
        break;
      case 'StateExited':
        this.flush(e);
        this.append(e, { type: `${ev.state!.type}StateExited` as HistoryEventType, timestamp: at, stateExitedEventDetails: { name: ev.state!.name, output: JSON.stringify(ev.state!.output ?? null), outputDetails: { truncated: false } } });
        e.current = undefined;
        break;
      case 'StateFailed': {
        this.flush(e);
        const waiting = e.waitingIn.get(ev.state!.name);
        if (ev.Error === 'States.Timeout' && waiting) {
          this.finishWait(waiting.token);
          this.append(e, { type: 'TaskTimedOut', timestamp: at, taskTimedOutEventDetails: { ...waiting.resource, error: 'States.Timeout', cause: '' } });
        }
        break;
      }
      case 'ExecutionSucceeded':
        this.flush(e);
        this.end(e, 'SUCCEEDED', at, { output: JSON.stringify(ev.output ?? null) });
        this.append(e, { type: 'ExecutionSucceeded', timestamp: at, executionSucceededEventDetails: { output: e.output, outputDetails: { truncated: false } } });
        break;
      case 'ExecutionFailed':
        this.flush(e);
        this.end(e, 'FAILED', at, { error: ev.Error ?? '', cause: String(ev.Cause ?? '') });
        this.append(e, { type: 'ExecutionFailed', timestamp: at, executionFailedEventDetails: { error: e.error, cause: e.cause } });
        break;
      case 'ExecutionAborted':
        this.flush(e);
        this.end(e, 'ABORTED', at, {});
        this.append(e, { type: 'ExecutionAborted', timestamp: at, executionAbortedEventDetails: {} });
        break;
      case 'ExecutionTimeout':
        this.flush(e);
        this.end(e, 'TIMED_OUT', at, { error: 'States.Timeout' });
        this.append(e, { type: 'ExecutionTimedOut', timestamp: at, executionTimedOutEventDetails: { error: 'States.Timeout' } });
        break;
      default:
        // StateRetried/StateCaught have no history event of their own; Map and Parallel
        // iteration events are not modelled (the migration has neither).
        break;
    }
  }

  private end(e: Execution, status: ExecutionStatus, at: Date, fields: { output?: string; error?: string; cause?: string }): void {
    e.status = status;
    e.stopDate = at;
    Object.assign(e, fields);
    for (const [token, w] of this.waiting) if (w.executionArn === e.arn) this.finishWait(token);
  }

  private append(e: Execution, event: Event): void {
    const id = e.events.length + 1;
    e.events.push({ ...event, id, previousEventId: id - 1 } as HistoryEvent);
  }

  /** A task event: into the history now if its state's Entered event is there, else after it. */
  private taskEvent(e: Execution, state: string, event: Event): void {
    if (e.status !== 'RUNNING') return;
    e.pending.push({ state, event });
    if (e.current === state) this.flush(e);
  }

  private flush(e: Execution): void {
    const ready = e.pending.filter((p) => p.state === e.current);
    e.pending = e.pending.filter((p) => p.state !== e.current);
    for (const p of ready) this.append(e, p.event);
  }

  /** The local handler of one Task state: runs its resource and writes the task's history events. */
  private task(e: Execution, state: string, s: Record<string, unknown>): (input: unknown) => Promise<never> {
    const resource = String(s.Resource);
    const region = this.options.region;
    const integration = INTEGRATION.exec(resource);
    const timeoutInSeconds = typeof s.TimeoutSeconds === 'number' ? s.TimeoutSeconds : undefined;
    const now = () => new Date();

    if (!integration) {
      // A Lambda function ARN as the Resource: the LambdaFunction* events.
      return async (input) => {
        this.taskEvent(e, state, { type: 'LambdaFunctionScheduled', timestamp: now(), lambdaFunctionScheduledEventDetails: { resource, input: JSON.stringify(input ?? null), inputDetails: { truncated: false }, ...(timeoutInSeconds ? { timeoutInSeconds } : {}) } });
        this.taskEvent(e, state, { type: 'LambdaFunctionStarted', timestamp: now() });
        try {
          const output = await this.invoke(resource, input);
          this.taskEvent(e, state, { type: 'LambdaFunctionSucceeded', timestamp: now(), lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output), outputDetails: { truncated: false } } });
          return output as never;
        } catch (err) {
          const f = err as Error;
          this.taskEvent(e, state, { type: 'LambdaFunctionFailed', timestamp: now(), lambdaFunctionFailedEventDetails: { error: f.name, cause: f.message } });
          throw f;
        }
      };
    }

    const [, kind, sdkService, sdkAction, sdkWait] = integration;
    const isLambda = kind!.startsWith('lambda:');
    const waits = isLambda ? kind!.endsWith('.waitForTaskToken') : sdkWait !== undefined;
    const id = isLambda ? { resourceType: 'lambda', resource: kind!.slice('lambda:'.length) } : { resourceType: `aws-sdk:${sdkService}`, resource: `${sdkAction}${sdkWait ?? ''}` };
    return async (raw) => {
      let parameters = raw as Record<string, unknown>;
      let token: string | undefined;
      let answer: Promise<unknown> | undefined;
      if (waits) {
        token = Buffer.from(JSON.stringify({ e: e.arn, s: state, n: randomBytes(24).toString('base64url') })).toString('base64url');
        parameters = replaceToken(parameters, token) as Record<string, unknown>;
        answer = new Promise((resolve, reject) => this.waiting.set(token!, { executionArn: e.arn, state, resource: id, resolve, reject }));
        e.waitingIn.set(state, { token, resource: id });
      }
      this.taskEvent(e, state, { type: 'TaskScheduled', timestamp: now(), taskScheduledEventDetails: { ...id, region, parameters: JSON.stringify(parameters), ...(timeoutInSeconds ? { timeoutInSeconds } : {}) } });
      this.taskEvent(e, state, { type: 'TaskStarted', timestamp: now(), taskStartedEventDetails: id });
      try {
        let output: unknown;
        if (isLambda) {
          const payload = await this.invoke(String(parameters.FunctionName), parameters.Payload);
          output = { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
        } else {
          output = json(await this.machineOf(e).spec.sdk!(sdkService!, sdkAction!, parameters, region, { state, executionArn: e.arn }));
        }
        if (answer) {
          this.taskEvent(e, state, { type: 'TaskSubmitted', timestamp: now(), taskSubmittedEventDetails: { ...id, output: JSON.stringify(output), outputDetails: { truncated: false } } });
          output = await answer;
        }
        this.taskEvent(e, state, { type: 'TaskSucceeded', timestamp: now(), taskSucceededEventDetails: { ...id, output: JSON.stringify(output), outputDetails: { truncated: false } } });
        return output as never;
      } catch (err) {
        const f = err as Error;
        if (token) this.finishWait(token);
        this.taskEvent(e, state, { type: 'TaskFailed', timestamp: now(), taskFailedEventDetails: { ...id, error: f.name, cause: f.message } });
        throw f;
      } finally {
        if (token && e.waitingIn.get(state)?.token === token) e.waitingIn.delete(state);
      }
    };
  }

  /** Invokes a bound function the way Lambda does: JSON in and out, errors as errorType + JSON cause. */
  private async invoke(functionArn: string, event: unknown): Promise<unknown> {
    const handler = [...this.machines.values()].map((m) => m.spec.lambdas[functionArn]).find(Boolean);
    if (!handler) throw named('Lambda.ResourceNotFoundException', `Function not found: ${functionArn}`);
    try {
      return json(await handler(json(event) as never, lambdaContext(functionArn)));
    } catch (err) {
      const f = err instanceof Error ? err : new Error(String(err));
      throw named(f.name, JSON.stringify({ errorType: f.name, errorMessage: f.message, trace: (f.stack ?? '').split('\n') }));
    }
  }

  private machineOf(e: Execution): Machine {
    return e.machine;
  }

  private finishWait(token: string): void {
    if (this.waiting.delete(token)) this.spent.add(token);
  }

  private waitingFor(token: string | undefined): Waiting {
    const w = token === undefined ? undefined : this.waiting.get(token);
    if (w) return w;
    if (token !== undefined && this.spent.has(token)) {
      // The answer AWS gives for a token already answered or whose task ended
      // (aws-samples/amazon-mwaa-examples#61).
      throw new TaskTimedOut({ message: "Task Timed Out: 'Provided task does not exist anymore'", $metadata: {} });
    }
    throw new InvalidToken({ message: "Invalid Token: 'Invalid token'", $metadata: {} });
  }

  private machine(arn: string | undefined): Machine {
    if (!arn || !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(arn)) throw new InvalidArn({ message: `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, $metadata: {} });
    const m = this.machines.get(arn);
    if (!m) throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${arn}'`, $metadata: {} });
    return m;
  }

  private execution(arn: string | undefined): Execution {
    if (!arn || !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) throw new InvalidArn({ message: `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, $metadata: {} });
    const e = this.executions.get(arn);
    if (!e) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: {} });
    return e;
  }

  /**
   * maxResults 0 or absent means 100, at most 1000 (API reference, GetExecutionHistory,
   * ListExecutions, ListStateMachines: PageSize 0–1000; larger is the framework's
   * ValidationException). The token names the last item returned (`idOf`), so a page resumes
   * after it even when items were added in between; `isAfter` places items relative to a token
   * whose item may no longer be in the list. A token the sandbox did not issue is InvalidToken.
   */
  private page<T>(
    all: T[],
    token: string | undefined,
    maxResults: number | undefined,
    idOf: (item: T) => string,
    isAfter?: (item: T, cursor: string) => boolean,
  ): { items: T[]; nextToken?: string } {
    if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000)) {
      const constraint = maxResults < 0 ? 'Member must have value greater than or equal to 0' : 'Member must have value less than or equal to 1000';
      throw new ValidationException({ message: constraintMessage(maxResults, 'maxResults', constraint), $metadata: {} });
    }
    const max = maxResults || 100;
    let start = 0;
    if (token !== undefined) {
      const after = decodeCursor(token);
      const at = after === undefined ? -1 : isAfter ? all.findIndex((item) => isAfter(item, after)) : all.findIndex((item) => idOf(item) === after) + 1;
      if (after === undefined || (!isAfter && at === 0)) throw new InvalidToken({ message: `Invalid Token: '${token}'`, $metadata: {} });
      start = at < 0 ? all.length : at;
    }
    const items = all.slice(start, start + max);
    return start + max < all.length ? { items, nextToken: encodeCursor(idOf(items.at(-1)!)) } : { items };
  }

  private call<O>(operation: string, fn: () => O): O {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    return fn();
  }
}

interface RunnerEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeCursor(token: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && typeof (parsed as { after?: unknown }).after === 'string') return (parsed as { after: string }).after;
  } catch {
    // fall through: not a token the sandbox issued
  }
  return undefined;
}

function replaceToken(v: unknown, token: string): unknown {
  if (v === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(v)) return v.map((x) => replaceToken(x, token));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceToken(x, token)]));
  return v;
}

/** includeExecutionData=false: the events without their input and output. */
function withoutData(ev: HistoryEvent): HistoryEvent {
  const out = structuredClone(ev) as unknown as Record<string, Record<string, unknown> | unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (!k.endsWith('EventDetails') || !v || typeof v !== 'object') continue;
    const d = v as Record<string, unknown>;
    for (const f of ['input', 'output', 'inputDetails', 'outputDetails', 'parameters']) delete d[f];
  }
  return out as unknown as HistoryEvent;
}
