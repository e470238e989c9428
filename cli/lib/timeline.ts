/**
 * An execution as on-call reads it: one line per state entered, with its start, duration and
 * outcome, built from the events of GetExecutionHistory (oldest first, all pages). Pure.
 *
 * How Step Functions records what happens in a state (AWS Step Functions API reference,
 * HistoryEvent; event sequences as recorded against AWS in localstack's validated snapshots):
 *  - `<Type>StateEntered` / `<Type>StateExited` bracket every state; a Fail state has only
 *    `FailStateEntered`, followed by `ExecutionFailed` with the state's Error and Cause;
 *  - a Task attempt is `TaskScheduled` (or `LambdaFunctionScheduled` when the Resource is a
 *    function ARN), then `…Started`, then `…Succeeded` or a failure (`…Failed`, `…TimedOut`,
 *    `…StartFailed`, …) whose details carry `error` and `cause`;
 *  - a Retry is another `…Scheduled` inside the same state; a Catch is the state's
 *    `…StateExited` right after a failed attempt; an uncaught failure is `ExecutionFailed`
 *    with the state still open.
 * Lambda errors carry `cause` as the JSON Lambda reports (`{"errorType","errorMessage","trace"}`).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type Outcome = 'succeeded' | 'caught' | 'failed' | 'running' | 'timed out' | 'aborted';

export interface StepError {
  error: string;
  cause?: string;
  /** `errorType: errorMessage` for a Lambda cause, else the cause as it is. */
  message: string;
}

export interface TimelineStep {
  state: string;
  /** Task, Choice, Pass, Wait, Succeed, Fail, Map, Parallel. */
  type: string;
  startedAt: Date;
  endedAt?: Date;
  durationMs?: number;
  outcome: Outcome;
  /** Task attempts (1 + retries); 0 for states that run no task. */
  attempts: number;
  /** Every failed attempt, in order (retried ones included). */
  errors: StepError[];
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Timeline {
  status: ExecutionStatus;
  startedAt?: Date;
  stoppedAt?: Date;
  steps: TimelineStep[];
  /** The execution's final Error and Cause (ExecutionFailed, TimedOut or Aborted). */
  failure?: StepError & { state?: string };
}

const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const ATTEMPT_FAILED = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);
const ATTEMPT_SUCCEEDED = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded']);

/** The `<camelCaseType>EventDetails` member of an event, where error/cause/name live. */
function details(e: HistoryEvent): { error?: string; cause?: string; name?: string } {
  const type = e.type ?? '';
  const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
  const d = (e as unknown as Record<string, unknown>)[key];
  return d && typeof d === 'object' ? (d as { error?: string; cause?: string }) : {};
}

/** A Lambda cause (`{"errorType","errorMessage",…}`) as `errorType: errorMessage`; other causes as they are. */
export function causeMessage(error: string, cause: string | undefined): string {
  if (!cause) return error;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      const type = 'errorType' in parsed && typeof parsed.errorType === 'string' ? parsed.errorType : error;
      return `${type}: ${parsed.errorMessage}`;
    }
  } catch {
    // not JSON: a service integration's or Step Functions' own message
  }
  return cause;
}

function stepError(error: string | undefined, cause: string | undefined): StepError {
  const name = error ?? 'unknown error';
  return { error: name, ...(cause ? { cause } : {}), message: causeMessage(name, cause) };
}

interface Open {
  step: TimelineStep;
  lastAttemptFailed: boolean;
}

/**
 * The timeline of an execution from its history events, oldest first. Events of other kinds
 * (Map iterations, redrives) are ignored; a history that starts mid-way (a later page only) gives
 * the steps it contains.
 */
export function buildTimeline(events: readonly HistoryEvent[]): Timeline {
  const timeline: Timeline = { status: 'RUNNING', steps: [] };
  let open: Open | undefined;

  const close = (at: Date | undefined, outcome: Outcome) => {
    if (!open) return;
    const { step } = open;
    step.outcome = outcome;
    if (at) {
      step.endedAt = at;
      step.durationMs = at.getTime() - step.startedAt.getTime();
    }
    open = undefined;
  };

  for (const e of events) {
    const type = e.type ?? '';
    const at = e.timestamp ? new Date(e.timestamp) : undefined;
    if (type === 'ExecutionStarted') {
      timeline.startedAt = at;
    } else if (type.endsWith('StateEntered')) {
      // A state entered while another is open only happens inside Map/Parallel; close the outer one.
      close(at, 'succeeded');
      const name = e.stateEnteredEventDetails?.name ?? '(unnamed state)';
      open = {
        step: { state: name, type: type.slice(0, -'StateEntered'.length), startedAt: at ?? new Date(0), outcome: 'running', attempts: 0, errors: [] },
        lastAttemptFailed: false,
      };
      timeline.steps.push(open.step);
    } else if (type.endsWith('StateExited')) {
      if (open) close(at, open.lastAttemptFailed ? 'caught' : 'succeeded');
    } else if (SCHEDULED.has(type)) {
      if (open) {
        open.step.attempts += 1;
        open.lastAttemptFailed = false;
      }
    } else if (ATTEMPT_FAILED.has(type)) {
      if (open) {
        const d = details(e);
        open.step.errors.push(stepError(d.error, d.cause));
        open.lastAttemptFailed = true;
      }
    } else if (ATTEMPT_SUCCEEDED.has(type)) {
      if (open) open.lastAttemptFailed = false;
    } else if (type === 'ExecutionSucceeded') {
      timeline.status = 'SUCCEEDED';
      timeline.stoppedAt = at;
      close(at, 'succeeded');
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      const d = details(e);
      timeline.status = type === 'ExecutionFailed' ? 'FAILED' : type === 'ExecutionTimedOut' ? 'TIMED_OUT' : 'ABORTED';
      timeline.stoppedAt = at;
      const state = open?.step.state;
      const fallback = type === 'ExecutionFailed' ? undefined : type === 'ExecutionTimedOut' ? 'States.Timeout' : 'Aborted';
      if (d.error || d.cause || fallback) timeline.failure = { ...stepError(d.error ?? fallback, d.cause), ...(state ? { state } : {}) };
      if (open && type === 'ExecutionFailed' && open.step.type === 'Fail' && timeline.failure) open.step.errors.push(stepError(d.error, d.cause));
      close(at, type === 'ExecutionFailed' ? 'failed' : type === 'ExecutionTimedOut' ? 'timed out' : 'aborted');
    }
  }
  return timeline;
}

export interface PendingTask {
  state: string;
  /** The task token from the TaskScheduled parameters, when the history carries them. */
  taskToken?: string;
  /** The Task's parameters (for `lambda:invoke.waitForTaskToken`: FunctionName and Payload). */
  parameters?: Record<string, unknown>;
  scheduledAt?: Date;
  timeoutInSeconds?: number;
}

/**
 * The callback task (`.waitForTaskToken`) of `state` that is waiting for an answer now, or
 * undefined when none is: the state is not open (never entered, exited, the execution ended) or
 * its latest attempt was answered and no retry has been scheduled yet.
 * The token is the one of the latest attempt: a retried attempt gets a new token.
 */
export function pendingCallback(events: readonly HistoryEvent[], state: string): PendingTask | undefined {
  let pending: PendingTask | undefined;
  let inState = false;
  for (const e of events) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) {
      inState = e.stateEnteredEventDetails?.name === state;
      pending = undefined;
    } else if (type.endsWith('StateExited') || (type.startsWith('Execution') && type !== 'ExecutionStarted')) {
      inState = false;
      pending = undefined;
    } else if (inState && type === 'TaskScheduled') {
      const d = e.taskScheduledEventDetails;
      pending = { state, ...(e.timestamp ? { scheduledAt: new Date(e.timestamp) } : {}), ...(d?.timeoutInSeconds !== undefined ? { timeoutInSeconds: d.timeoutInSeconds } : {}) };
      try {
        const parameters: unknown = d?.parameters ? JSON.parse(d.parameters) : undefined;
        if (parameters && typeof parameters === 'object') {
          pending.parameters = parameters as Record<string, unknown>;
          const payload = (parameters as { Payload?: unknown }).Payload;
          const token = payload && typeof payload === 'object' ? (payload as { taskToken?: unknown }).taskToken : undefined;
          if (typeof token === 'string' && token) pending.taskToken = token;
        }
      } catch {
        // parameters missing or cut: the caller falls back to the approval request in S3
      }
    } else if (inState && (ATTEMPT_FAILED.has(type) || ATTEMPT_SUCCEEDED.has(type))) {
      // This attempt is answered; a retry schedules a new one with a new token.
      pending = undefined;
    }
  }
  return pending;
}
