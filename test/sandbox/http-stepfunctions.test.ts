/**
 * Contract tests of Step Functions over HTTP: the real SFNClient against the sandbox, running a
 * small state machine whose Lambda tasks are test functions and whose `aws-sdk:eks` task is
 * served by the sandbox's EKS. Each pins an API rule (errors, asynchronous executions, task
 * tokens, pagination) or the shape of the execution history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { eksIntegration } from '#sandbox/stepfunctions/migration';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** Lets a test hold the `Work` function until it says so. */
let releaseWork: (() => void) | undefined;
let workGate: Promise<void> = Promise.resolve();

let sandbox: Sandbox;
let sfn: SFNClient;
let gated: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: { clusters: [{ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }] },
    operator: credentials,
  });
  gated = sandbox.stepFunctions.createStateMachine({
    name: 'gated',
    definition: {
      StartAt: 'Work',
      States: {
        Work: { Type: 'Task', Resource: fn('work'), ResultPath: '$.work', Next: 'Approve' },
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: fn('notify'), Payload: { 'token.$': '$$.Task.Token', 'cluster.$': '$.cluster' } },
          TimeoutSeconds: 30,
          ResultPath: '$.approval',
          Next: 'Switch',
        },
        // Already in API mode: EKS refuses the same mode, which is caught.
        Switch: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:eks:updateClusterConfig',
          Parameters: { 'Name.$': '$.cluster', AccessConfig: { AuthenticationMode: 'API' } },
          Catch: [{ ErrorEquals: ['Eks.InvalidParameterException'], ResultPath: '$.switchError', Next: 'Done' }],
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    } as never,
    lambdas: {
      [fn('work')]: async (event: { fail?: string }) => {
        await workGate;
        if ((event as { fail?: string }).fail) throw Object.assign(new Error((event as { fail: string }).fail), { name: 'WorkFailedError' });
        return { worked: true };
      },
      [fn('notify')]: async () => ({ notified: true }),
    },
    sdk: eksIntegration(sandbox),
  });
  sfn = new SFNClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  releaseWork?.();
  sfn.destroy();
  await sandbox.stop();
});

function holdWork(): void {
  workGate = new Promise<void>((r) => (releaseWork = r));
}

const start = async (name: string, input: unknown = { cluster: 'prod' }) =>
  (await sfn.send(new StartExecutionCommand({ stateMachineArn: gated, name, input: JSON.stringify(input) }))).executionArn!;

async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ended = (executionArn: string) =>
  until<DescribeExecutionOutput>(async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status === 'RUNNING' ? undefined : d;
  }, `${executionArn} to end`);

/** The task token, from the TaskScheduled event of the waitForTaskToken task (where the CLI reads it). */
const tokenOf = (executionArn: string) =>
  until(async () => {
    const scheduled = (await history(executionArn)).find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken');
    return scheduled && (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { token: string } }).Payload.token;
  }, 'the task token');

describe('Step Functions over HTTP (awsJson1_0)', () => {
  it('returns from StartExecution while the execution runs, and reports it RUNNING until it ends', async () => {
    holdWork();
    const arn = await start('async-1');

    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    releaseWork!();

    expect(running).toMatchObject({ status: 'RUNNING', name: 'async-1', stateMachineArn: gated, input: JSON.stringify({ cluster: 'prod' }) });
    expect(running.stopDate).toBeUndefined();
    expect(arn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:gated:async-1`);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(arn), output: '{"ok":true}' }));
    expect(await ended(arn)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('puts a unique task token in TaskScheduled; SendTaskSuccess resumes with its output, and the token then answers TaskTimedOut', async () => {
    const arn = await start('token-1');
    const token = await tokenOf(arn);

    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: 'alice' }) }));
    const done = await ended(arn);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toMatchObject({ approval: { approvedBy: 'alice' }, work: { worked: true } });
    expect(token).not.toBe(await tokenOf(await start('token-2')));
    expect(await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBeInstanceOf(TaskTimedOut);
    expect(await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })))).toBeInstanceOf(InvalidToken);
  });

  it('records the history as Step Functions does: Lambda ARN tasks as LambdaFunction*, integrations as Task*, SDK errors as Eks.<Exception>', async () => {
    const arn = await start('history-1');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenOf(arn), output: '{}' }));
    await ended(arn);

    const events = await history(arn);

    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2]!.lambdaFunctionScheduledEventDetails).toMatchObject({ resource: fn('work'), input: JSON.stringify({ cluster: 'prod' }) });
    expect(events[15]!.taskFailedEventDetails).toMatchObject({ resourceType: 'aws-sdk:eks', resource: 'updateClusterConfig', error: 'Eks.InvalidParameterException' });
    expect(events[15]!.taskFailedEventDetails!.cause).toMatch(/Unsupported authentication mode update from API to API \(Service: Eks, Status Code: 400/);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.slice(1).every((e, i) => e.previousEventId === i + 1)).toBe(true);
  });

  it('fails an execution whose Lambda throws, with its error name and Lambda\'s JSON cause', async () => {
    const arn = await start('fails-1', { cluster: 'prod', fail: 'boom' });

    const done = await ended(arn);

    expect(done).toMatchObject({ status: 'FAILED', error: 'WorkFailedError' });
    expect(JSON.parse(done.cause!)).toMatchObject({ errorType: 'WorkFailedError', errorMessage: 'boom' });
    const last = (await history(arn)).slice(-2);
    expect(last.map((e) => e.type)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
    expect(last[1]!.executionFailedEventDetails).toEqual({ error: 'WorkFailedError', cause: done.cause });
  });

  it('fails the waiting task with SendTaskFailure\'s error and cause', async () => {
    const arn = await start('reject-1');

    await sfn.send(new SendTaskFailureCommand({ taskToken: await tokenOf(arn), error: 'CutoverRejected', cause: 'not today' }));
    const done = await ended(arn);

    expect(done).toMatchObject({ status: 'FAILED', error: 'CutoverRejected', cause: 'not today' });
    expect((await history(arn)).find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({ resource: 'invoke.waitForTaskToken', error: 'CutoverRejected' });
  });

  it('stops a running execution: ABORTED with StopExecution\'s error and cause, and its token is spent', async () => {
    const arn = await start('stop-1');
    const token = await tokenOf(arn);

    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'wrong cluster' }));
    const done = await ended(arn);

    expect(done).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'wrong cluster' });
    expect((await history(arn)).at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'wrong cluster' } });
    expect(await rejectionOf(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBeInstanceOf(TaskTimedOut);
  });

  it('refuses bad input, bad names, unknown machines and executions with the API\'s errors', async () => {
    expect(await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn: gated, input: '{not json' })))).toBeInstanceOf(InvalidExecutionInput);
    expect(await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn: gated, name: 'has space' })))).toBeInstanceOf(InvalidName);
    expect(await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` })))).toBeInstanceOf(StateMachineDoesNotExist);
    expect(await rejectionOf(sfn.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:gated:nope` })))).toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('is idempotent for the same name and input while running, and refuses the name with other input', async () => {
    const arn = await start('same-1');

    expect(await start('same-1')).toBe(arn);
    expect(await rejectionOf(start('same-1', { cluster: 'other' }))).toBeInstanceOf(ExecutionAlreadyExists);
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
  });

  it('lists executions newest first, by status, in pages', async () => {
    const a = await start('list-a');
    const b = await start('list-b');
    await sfn.send(new StopExecutionCommand({ executionArn: a }));
    await ended(a);

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: gated, statusFilter: 'RUNNING' }));
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: gated, maxResults: 1 }));

    expect(running.executions?.map((e) => e.name)).toContain('list-b');
    expect(running.executions?.map((e) => e.name)).not.toContain('list-a');
    expect(page.executions?.map((e) => e.executionArn)).toEqual([b]);
    expect(page.nextToken).toBeDefined();
    await sfn.send(new StopExecutionCommand({ executionArn: b }));
  });

  it('pages the history and reverses it on request', async () => {
    const arn = await start('pages-1');
    await tokenOf(arn);

    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    const second = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, nextToken: first.nextToken }));
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 1 }));

    expect(first.events?.map((e) => e.id)).toEqual([1, 2]);
    expect(second.events?.map((e) => e.id)).toEqual([3, 4]);
    expect(reversed.events?.[0]?.id).toBe((await history(arn)).length);
    expect(await rejectionOf(sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken: 'garbage' })))).toBeInstanceOf(InvalidToken);
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
  });

  it('names the error in __type on the wire, with status 400', async () => {
    const res = await signedFetch(sandbox, {
      service: 'states',
      region: REGION,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' },
      body: JSON.stringify({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:gated:missing` }),
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ __type: 'com.amazonaws.sfn#ExecutionDoesNotExist', message: `Execution Does Not Exist: 'arn:aws:states:${REGION}:${ACCOUNT}:execution:gated:missing'` });
  });
});
