/**
 * `eks-access-pilot migrate`: the timeline built from recorded-shape execution histories
 * (events/stepfunctions/), and the four subcommands against Step Functions mocked with
 * aws-sdk-client-mock (real exception classes). The sandbox's own Step Functions is not used here.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListStateMachinesCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskTimedOut,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';
import { APPROVAL_STATE, REJECTION_ERROR } from '../../cli/commands/migrate.ts';
import { buildTimeline, pendingCallback } from '../../cli/lib/timeline.ts';
import { loadJson } from '#test/helpers/events';

const SM = 'arn:aws:states:eu-west-1:111122223333:stateMachine:eks-access-pilot-auth-mode-migration';
const FAILED_EXEC = `${SM.replace(':stateMachine:', ':execution:')}:prod-to-api-20260322T101500Z`;
const WAITING_EXEC = `${SM.replace(':stateMachine:', ':execution:')}:prod-to-api-20260323T090000Z`;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMMx5bZr+ZDH3ks0n8c0y0Uyf9VPrRoCc3hG6bVrvAmh7kxF0sGVQ8PoInDHFgNUyKiSCbe0Zx3TTm8qv1WvMhV';

/** A saved `aws stepfunctions get-execution-history` output, as the SDK returns it (Date timestamps). */
function history(name: 'history-failed-create-entries' | 'history-waiting-for-approval'): HistoryEvent[] {
  const raw = loadJson<{ events: Array<Record<string, unknown>> }>(`events/stepfunctions/${name}.json`);
  return raw.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp as string) }) as HistoryEvent);
}

/** The inputs a mocked client was sent for one command. */
function sent<I extends object>(stub: { commandCalls: (c: never) => Array<{ args: [{ input: I }] }> }, command: unknown): I[] {
  return stub.commandCalls(command as never).map((c) => c.args[0].input);
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}

async function migrate(...args: string[]) {
  const { io, out, err } = capture();
  const code = await main(['migrate', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('buildTimeline', () => {
  it('gives one step per state entered, in order, with retries, the caught failure and the final Error/Cause', () => {
    // act
    const t = buildTimeline(history('history-failed-create-entries'));

    // assert
    expect(t.status).toBe('FAILED');
    expect(t.steps.map((s) => s.state)).toEqual([
      'Validate input',
      'Describe cluster',
      'Already at target?',
      'Back up aws-auth and access entries',
      'Plan conversion',
      'Dry run?',
      'Needs API_AND_CONFIG_MAP first?',
      'Switch to API_AND_CONFIG_MAP',
      'Wait for API_AND_CONFIG_MAP',
      'Check API_AND_CONFIG_MAP update',
      'API_AND_CONFIG_MAP update done?',
      'Count API_AND_CONFIG_MAP polls',
      'Wait for API_AND_CONFIG_MAP',
      'Check API_AND_CONFIG_MAP update',
      'API_AND_CONFIG_MAP update done?',
      'Re-list access entries',
      'Create access entries',
      'Roll back',
      'Migration failed',
    ]);
    const describeCluster = t.steps[1]!;
    expect(describeCluster).toMatchObject({ outcome: 'succeeded', attempts: 2, errors: [{ error: 'Lambda.TooManyRequestsException' }] });
    const wait = t.steps[8]!;
    expect(wait).toMatchObject({ type: 'Wait', outcome: 'succeeded', attempts: 0, durationMs: 30_000 });
    const create = t.steps[16]!;
    expect(create.outcome).toBe('caught');
    expect(create.attempts).toBe(2);
    expect(create.errors.map((e) => e.error)).toEqual(['Lambda.ServiceException', 'AccessEntryConflictError']);
    // The Lambda cause is JSON; the message is its errorType and errorMessage, not the trace.
    expect(create.errors[1]!.message).toMatch(/^AccessEntryConflictError: an access entry for arn:aws:iam::111122223333:role\/platform-admin already exists/);
    expect(create.errors[1]!.message).not.toContain('trace');
    expect(t.steps.at(-1)).toMatchObject({ state: 'Migration failed', type: 'Fail', outcome: 'failed' });
    expect(t.failure).toMatchObject({ state: 'Migration failed', error: 'MigrationFailed.CreateAccessEntries' });
    expect(t.failure!.message).toMatch(/^Create access entries failed: .* Not undone: the authentication mode is API_AND_CONFIG_MAP/);
    expect(t.stoppedAt!.getTime() - t.startedAt!.getTime()).toBeGreaterThan(60_000);
  });

  it('marks an uncaught task failure as failed, with the Lambda errorType and errorMessage', () => {
    // arrange: a task whose error no Catch matches ends the execution with the state still open
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const cause = JSON.stringify({ errorType: 'WorkflowSettingsError', errorMessage: 'settings.bucket: must be an S3 bucket name', trace: ['…'] });
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
      { id: 2, type: 'TaskStateEntered', timestamp: at(0), stateEnteredEventDetails: { name: 'Validate input' } },
      { id: 3, type: 'LambdaFunctionScheduled', timestamp: at(0), lambdaFunctionScheduledEventDetails: { resource: 'arn:aws:lambda:eu-west-1:111122223333:function:f' } },
      { id: 4, type: 'LambdaFunctionStarted', timestamp: at(1) },
      { id: 5, type: 'LambdaFunctionFailed', timestamp: at(2), lambdaFunctionFailedEventDetails: { error: 'WorkflowSettingsError', cause } },
      { id: 6, type: 'ExecutionFailed', timestamp: at(2), executionFailedEventDetails: { error: 'WorkflowSettingsError', cause } },
    ];

    // act
    const t = buildTimeline(events);

    // assert
    expect(t.steps).toHaveLength(1);
    expect(t.steps[0]).toMatchObject({ state: 'Validate input', outcome: 'failed', attempts: 1, durationMs: 2000 });
    expect(t.failure).toEqual({ state: 'Validate input', error: 'WorkflowSettingsError', cause, message: 'WorkflowSettingsError: settings.bucket: must be an S3 bucket name' });
  });

  it('leaves the open state running while the execution runs', () => {
    const t = buildTimeline(history('history-waiting-for-approval'));

    expect(t.status).toBe('RUNNING');
    expect(t.failure).toBeUndefined();
    expect(t.steps.at(-1)).toMatchObject({ state: 'Wait for approval', outcome: 'running', attempts: 1 });
    expect(t.steps.at(-1)!.durationMs).toBeUndefined();
  });

  it('uses the state names of the workflow, and the approval state is its callback task', () => {
    // The fixtures and APPROVAL_STATE must follow the ASL, or the CLI reads nothing useful.
    const asl = loadJson<{ States: Record<string, { Type: string; Resource?: string }> }>('workflows/auth-mode-migration.asl.json');
    const names = new Set([...history('history-failed-create-entries'), ...history('history-waiting-for-approval')].flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [])));
    for (const n of names) expect(asl.States, n).toHaveProperty([n]);
    expect(asl.States[APPROVAL_STATE]).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken' });
  });
});

describe('pendingCallback', () => {
  const waiting = () => history('history-waiting-for-approval');
  const next = (events: HistoryEvent[], e: Omit<HistoryEvent, 'id' | 'timestamp'>): HistoryEvent[] => [...events, { ...e, id: events.length + 1, timestamp: new Date('2026-03-23T10:00:00Z') } as HistoryEvent];

  it('finds the task token of the open "Wait for approval" in the TaskScheduled parameters', () => {
    const p = pendingCallback(waiting(), APPROVAL_STATE);

    expect(p).toMatchObject({ state: APPROVAL_STATE, taskToken: TOKEN, timeoutInSeconds: 86400 });
    expect(p!.parameters).toMatchObject({ Payload: { clusterName: 'prod', executionName: 'prod-to-api-20260323T090000Z' } });
  });

  it('finds nothing once the task was answered, and the new token after a retry', () => {
    // arrange
    const answered = next(waiting(), { type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'Lambda.ServiceException', cause: 'boom' } });
    const retried = next(answered, {
      type: 'TaskScheduled',
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ Payload: { taskToken: 'second-attempt-token' } }) },
    });

    // act / assert
    expect(pendingCallback(answered, APPROVAL_STATE)).toBeUndefined();
    expect(pendingCallback(retried, APPROVAL_STATE)?.taskToken).toBe('second-attempt-token');
  });

  it('finds nothing after the state exited or the execution ended, or for a state never entered', () => {
    expect(pendingCallback(next(waiting(), { type: 'TaskStateExited', stateExitedEventDetails: { name: APPROVAL_STATE } }), APPROVAL_STATE)).toBeUndefined();
    expect(pendingCallback(next(waiting(), { type: 'ExecutionAborted' }), APPROVAL_STATE)).toBeUndefined();
    expect(pendingCallback(history('history-failed-create-entries'), APPROVAL_STATE)).toBeUndefined();
  });

  it('has no token when the history carries no execution data', () => {
    const events = waiting().map((e) => (e.type === 'TaskScheduled' ? { ...e, taskScheduledEventDetails: { ...e.taskScheduledEventDetails!, parameters: undefined } } : e));

    expect(pendingCallback(events, APPROVAL_STATE)).toEqual(expect.objectContaining({ state: APPROVAL_STATE }));
    expect(pendingCallback(events, APPROVAL_STATE)!.taskToken).toBeUndefined();
  });
});

describe('eks-access-pilot migrate', () => {
  const sfn = mockClient(SFNClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    sfn.reset();
    s3.reset();
    vi.unstubAllEnvs();
  });

  /** Serves a history in pages of `size`, honouring nextToken and reverseOrder as the API does. */
  /** The nextToken of each GetExecutionHistory request, as sent (the SDK's paginator reuses one input object). */
  let historyTokens: Array<string | undefined> = [];
  function serveHistory(events: HistoryEvent[], size = 40) {
    historyTokens = [];
    sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; reverseOrder?: boolean }) => {
      historyTokens.push(input.nextToken);
      const ordered = input.reverseOrder ? [...events].reverse() : events;
      const from = input.nextToken ? Number(input.nextToken) : 0;
      const page = ordered.slice(from, from + size);
      return { events: page, ...(from + size < ordered.length ? { nextToken: String(from + size) } : {}) };
    });
  }

  describe('start', () => {
    it('validates the input with the workflow\'s rules before calling AWS, naming the option', async () => {
      const { code, stderr } = await migrate('start', '--cluster', 'prod cluster', '--region', 'eu-west-1', '--target', 'API', '--state-machine', SM);

      expect(code).toBe(2);
      expect(stderr).toMatch(/--cluster \(clusterName\): must be an EKS cluster name/);
      expect(stderr).toContain('usage: eks-access-pilot migrate start');
      expect(sfn.calls()).toHaveLength(0);
    });

    it('rejects a target mode the workflow does not take', async () => {
      const { code, stderr } = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'CONFIG_MAP', '--state-machine', SM);

      expect(code).toBe(2);
      expect(stderr).toMatch(/--target \(targetMode\): must be "API_AND_CONFIG_MAP" or "API"/);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('starts an execution with exactly the validated input and prints its ARN', async () => {
      // arrange
      sfn.on(StartExecutionCommand).resolves({ executionArn: FAILED_EXEC, startDate: new Date('2026-03-22T10:15:00Z') });

      // act
      const { code, stdout, stderr } = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API', '--dry-run', '--state-machine', SM, '--name', 'prod-to-api-20260322T101500Z');

      // assert
      expect(code).toBe(0);
      expect(stdout).toBe(FAILED_EXEC);
      expect(stderr).toMatch(/^dry run: .* changes nothing/);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
      const input = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
      expect(input.stateMachineArn).toBe(SM);
      expect(input.name).toBe('prod-to-api-20260322T101500Z');
      expect(JSON.parse(input.input!)).toStrictEqual({ clusterName: 'prod', region: 'eu-west-1', targetMode: 'API', dryRun: true, approveCutover: false });
    });

    it('finds the state machine by the name the stack gives it, across ListStateMachines pages', async () => {
      // arrange
      const generated = SM;
      sfn
        .on(ListStateMachinesCommand, { nextToken: undefined })
        .resolves({ stateMachines: [{ name: 'other-eks-access-pilot-auth-mode-migration-copy', stateMachineArn: SM.replace(/:stateMachine:.*/, ':stateMachine:other-eks-access-pilot-auth-mode-migration-copy'), type: 'STANDARD', creationDate: new Date() }], nextToken: 'page-2' })
        .on(ListStateMachinesCommand, { nextToken: 'page-2' })
        .resolves({ stateMachines: [{ name: generated.split(':').at(-1)!, stateMachineArn: generated, type: 'STANDARD', creationDate: new Date() }] });
      sfn.on(StartExecutionCommand).resolves({ executionArn: FAILED_EXEC, startDate: new Date() });

      // act
      const { code, stdout } = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API_AND_CONFIG_MAP', '--approve-cutover', '--json');

      // assert
      expect(code).toBe(0);
      expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(2);
      expect(JSON.parse(stdout)).toMatchObject({ executionArn: FAILED_EXEC, stateMachineArn: generated, input: { targetMode: 'API_AND_CONFIG_MAP', dryRun: false, approveCutover: true } });
    });

    it('takes the state machine from EAP_STATE_MACHINE_ARN', async () => {
      vi.stubEnv('EAP_STATE_MACHINE_ARN', SM);
      sfn.on(StartExecutionCommand).resolves({ executionArn: FAILED_EXEC, startDate: new Date() });

      const { code } = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API');

      expect(code).toBe(0);
      expect(sent(sfn, StartExecutionCommand)).toContainEqual(expect.objectContaining({ stateMachineArn: SM }));
      expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(0);
    });

    it('exits 1 when no state machine matches, or when the cluster is in another region', async () => {
      sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });

      const none = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API');
      const elsewhere = await migrate('start', '--cluster', 'prod', '--region', 'us-east-1', '--target', 'API', '--state-machine', SM);

      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/no state machine named eks-access-pilot-auth-mode-migration in eu-west-1/);
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.stderr).toMatch(/state machine is in eu-west-1 but the cluster is in us-east-1/);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it('exits 1 with the AWS error named when Step Functions refuses', async () => {
      sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists: prod-1', $metadata: {} }));

      const { code, stderr } = await migrate('start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API', '--state-machine', SM, '--name', 'prod-1');

      expect(code).toBe(1);
      expect(stderr).toBe('migrate start failed: ExecutionAlreadyExists: Execution Already Exists: prod-1');
    });
  });

  describe('status', () => {
    it('prints status, last state, times, error and cause', async () => {
      // arrange
      sfn.on(DescribeExecutionCommand).resolves({
        executionArn: FAILED_EXEC,
        stateMachineArn: SM,
        name: 'prod-to-api-20260322T101500Z',
        status: 'FAILED',
        startDate: new Date('2026-03-22T10:15:00Z'),
        stopDate: new Date('2026-03-22T10:16:20Z'),
        input: '{"clusterName":"prod"}',
        error: 'MigrationFailed.CreateAccessEntries',
        cause: 'Create access entries failed: …',
      });
      serveHistory(history('history-failed-create-entries'));

      // act
      const { code, stdout } = await migrate('status', FAILED_EXEC);

      // assert
      expect(code).toBe(0);
      expect(stdout).toMatch(/^status +FAILED$/m);
      expect(stdout).toMatch(/^last state +Migration failed$/m);
      expect(stdout).toMatch(/^stopped +2026-03-22T10:16:20Z \(after 1m20s\)$/m);
      expect(stdout).toMatch(/^error +MigrationFailed\.CreateAccessEntries$/m);
      // The latest state is read newest first: one page is enough.
      expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(1);
      expect(sent(sfn, GetExecutionHistoryCommand)).toContainEqual(expect.objectContaining({ executionArn: FAILED_EXEC, reverseOrder: true }));
    });

    it('prints a Lambda error\'s Cause as history does: its type and message, without the JSON and stack trace', async () => {
      // arrange: an uncaught handler error, whose Cause is the JSON Lambda reports
      const lambdaCause = JSON.stringify({
        errorType: 'InvalidInputError',
        errorMessage: 'targetMode: must be API or API_AND_CONFIG_MAP',
        trace: ['InvalidInputError: targetMode: must be API or API_AND_CONFIG_MAP', '    at parseMigrationInput (/var/task/index.mjs:12:9)'],
      });
      sfn.on(DescribeExecutionCommand).resolves({
        executionArn: FAILED_EXEC,
        stateMachineArn: SM,
        status: 'FAILED',
        startDate: new Date('2026-03-22T10:15:00Z'),
        stopDate: new Date('2026-03-22T10:15:01Z'),
        error: 'InvalidInputError',
        cause: lambdaCause,
      });
      serveHistory([
        { id: 1, type: 'ExecutionStarted', timestamp: new Date('2026-03-22T10:15:00Z') },
        { id: 2, previousEventId: 1, type: 'TaskStateEntered', timestamp: new Date('2026-03-22T10:15:00Z'), stateEnteredEventDetails: { name: 'Validate input' } },
        { id: 3, previousEventId: 2, type: 'ExecutionFailed', timestamp: new Date('2026-03-22T10:15:01Z'), executionFailedEventDetails: { error: 'InvalidInputError', cause: lambdaCause } },
      ]);

      // act
      const status = await migrate('status', FAILED_EXEC);
      const timeline = await migrate('history', FAILED_EXEC);

      // assert
      expect(status.stdout).toMatch(/^cause +InvalidInputError: targetMode: must be API or API_AND_CONFIG_MAP$/m);
      expect(status.stdout).not.toContain('/var/task');
      expect(status.stdout).not.toContain('errorMessage');
      expect(timeline.stdout).toContain('  Cause: InvalidInputError: targetMode: must be API or API_AND_CONFIG_MAP');
    });

    it('says when the execution waits for approval, and summarises the output as JSON', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: WAITING_EXEC, stateMachineArn: SM, status: 'RUNNING', startDate: new Date('2026-03-23T09:00:00Z') });
      serveHistory(history('history-waiting-for-approval'));

      const text = await migrate('status', WAITING_EXEC);
      const json = await migrate('status', WAITING_EXEC, '--json');

      expect(text.stdout).toMatch(/^current state +Wait for approval$/m);
      expect(text.stdout).toContain(`eks-access-pilot migrate approve ${WAITING_EXEC}`);
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'RUNNING', state: 'Wait for approval', waitingForApproval: true, stopDate: null, error: null });
    });

    it('accepts an execution name with the state machine', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: FAILED_EXEC, stateMachineArn: SM, status: 'SUCCEEDED', startDate: new Date(), output: '{"location":"s3://b/plans/prod/x/plan.json","summary":{"create":5,"blockers":0}}' });
      serveHistory(history('history-failed-create-entries'));

      const { code, stdout } = await migrate('status', 'prod-to-api-20260322T101500Z', '--state-machine', SM);

      expect(code).toBe(0);
      expect(sent(sfn, DescribeExecutionCommand)).toContainEqual(expect.objectContaining({ executionArn: FAILED_EXEC }));
      expect(stdout).toMatch(/^output +s3:\/\/b\/plans\/prod\/x\/plan\.json; create=5 blockers=0$/m);
    });

    it('exits 1 for an execution that does not exist', async () => {
      sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${FAILED_EXEC}'`, $metadata: {} }));

      const { code, stderr } = await migrate('status', FAILED_EXEC);

      expect(code).toBe(1);
      expect(stderr).toMatch(/^no such execution \(ExecutionDoesNotExist: /);
    });
  });

  describe('approve', () => {
    const running = () => sfn.on(DescribeExecutionCommand).resolves({ executionArn: WAITING_EXEC, stateMachineArn: SM, status: 'RUNNING', startDate: new Date(), input: '{"clusterName":"prod","region":"eu-west-1","targetMode":"API","dryRun":false}' });

    it('reads every history page and answers the pending approval with SendTaskSuccess', async () => {
      // arrange
      running();
      serveHistory(history('history-waiting-for-approval'), 50);

      // act
      const { code, stdout } = await migrate('approve', WAITING_EXEC, '--by', 'alice');

      // assert
      expect(code).toBe(0);
      expect(stdout).toMatch(/approved: the execution continues with "Switch to API"/);
      const pages = historyTokens;
      expect(pages.length).toBeGreaterThan(1);
      expect(pages[0]).toBeUndefined();
      expect(pages.slice(1).every((t) => typeof t === 'string')).toBe(true);
      const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
      expect(sent.taskToken).toBe(TOKEN);
      expect(JSON.parse(sent.output!)).toMatchObject({ approvedBy: 'alice' });
    });

    it('rejects with SendTaskFailure, error CutoverRejected and the reason as cause', async () => {
      running();
      serveHistory(history('history-waiting-for-approval'));

      const { code, stdout } = await migrate('approve', WAITING_EXEC, '--reject', '--reason', 'blockers not reviewed');

      expect(code).toBe(0);
      expect(stdout).toMatch(/rejected: .*Cutover not approved/);
      expect(sent(sfn, SendTaskFailureCommand)).toContainEqual(expect.objectContaining({ taskToken: TOKEN, error: REJECTION_ERROR, cause: 'blockers not reviewed' }));
      expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    });

    it('needs a reason to reject', async () => {
      const { code, stderr } = await migrate('approve', WAITING_EXEC, '--reject');

      expect(code).toBe(2);
      expect(stderr).toMatch(/--reject needs --reason TEXT/);
      expect(sfn.calls()).toHaveLength(0);
    });

    it('exits 1 without answering when the execution is not running', async () => {
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: FAILED_EXEC, stateMachineArn: SM, status: 'FAILED', startDate: new Date() });

      const { code, stderr } = await migrate('approve', FAILED_EXEC);

      expect(code).toBe(1);
      expect(stderr).toBe('execution prod-to-api-20260322T101500Z is FAILED: nothing is waiting for approval');
      expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    });

    it('exits 1 naming the current state when the execution is elsewhere', async () => {
      running();
      const events = history('history-waiting-for-approval');
      serveHistory(events.slice(0, events.findIndex((e) => e.stateEnteredEventDetails?.name === 'Verify access entries') + 2));

      const { code, stderr } = await migrate('approve', WAITING_EXEC);

      expect(code).toBe(1);
      expect(stderr).toMatch(/is not waiting for approval \(current state: Verify access entries\)/);
      expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    });

    it('explains a token that is no longer valid (TaskTimedOut)', async () => {
      running();
      serveHistory(history('history-waiting-for-approval'));
      sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

      const { code, stderr } = await migrate('approve', WAITING_EXEC);

      expect(code).toBe(1);
      expect(stderr).toMatch(/the approval is no longer pending \(TaskTimedOut\)/);
    });

    it('falls back to the approval request in S3 when the history carries no parameters', async () => {
      // arrange
      running();
      serveHistory(history('history-waiting-for-approval').map((e) => (e.type === 'TaskScheduled' ? { ...e, taskScheduledEventDetails: { ...e.taskScheduledEventDetails!, parameters: undefined } } : e)));
      const request = JSON.stringify({ execution: 'prod-to-api-20260323T090000Z', taskToken: 'token-from-s3' });
      s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => request } as never, VersionId: 'v1' });

      // act
      const { code } = await migrate('approve', WAITING_EXEC);

      // assert: the bucket comes from the output of "Validate input", the key from the workflow's layout
      expect(code).toBe(0);
      expect(sent(s3, GetObjectCommand)).toContainEqual(expect.objectContaining({
        Bucket: 'eksaccesspilot-migrationbackups1a2b3c-9z8y7x6w5v4u',
        Key: 'approvals/prod/prod-to-api-20260323T090000Z/request.json',
      }));
      expect(sent(sfn, SendTaskSuccessCommand)).toContainEqual(expect.objectContaining({ taskToken: 'token-from-s3' }));
    });
  });

  describe('history', () => {
    it('renders every page of the history as a timeline with the final Error and Cause', async () => {
      serveHistory(history('history-failed-create-entries'), 25);

      const { code, stdout } = await migrate('history', FAILED_EXEC);

      expect(code).toBe(0);
      expect(sfn.commandCalls(GetExecutionHistoryCommand).length).toBeGreaterThan(2);
      expect(stdout).toMatch(/^Execution prod-to-api-20260322T101500Z: FAILED after 1m19s \(started 2026-03-22T10:15:00Z\)$/m);
      expect(stdout).toMatch(/^2 +Describe cluster +2026-03-22T10:15:00Z +2\.9s +succeeded after 1 retry$/m);
      expect(stdout).toMatch(/^17 +Create access entries +\S+ +5\.8s +caught after 1 retry$/m);
      expect(stdout).toMatch(/^ +AccessEntryConflictError: an access entry for arn:aws:iam::111122223333:role\/platform-admin already exists/m);
      expect(stdout).toMatch(/^FAILED in "Migration failed"\n {2}Error: MigrationFailed\.CreateAccessEntries\n {2}Cause: Create access entries failed: /m);
    });

    it('prints the timeline as JSON', async () => {
      serveHistory(history('history-failed-create-entries'));

      const { stdout } = await migrate('history', FAILED_EXEC, '--json');

      const t = JSON.parse(stdout) as { status: string; steps: Array<{ state: string; outcome: string; retried: boolean }>; failure: { error: string } };
      expect(t.status).toBe('FAILED');
      expect(t.steps.find((s) => s.state === 'Create access entries')).toMatchObject({ outcome: 'caught', retried: true });
      expect(t.failure.error).toBe('MigrationFailed.CreateAccessEntries');
    });

    it('reads a saved get-execution-history output with --file, without AWS', async () => {
      const { code, stdout } = await migrate('history', '--file', 'events/stepfunctions/history-waiting-for-approval.json');

      expect(code).toBe(0);
      expect(stdout).toMatch(/^22 +Wait for approval +\S+ +- +running$/m);
      expect(sfn.calls()).toHaveLength(0);
    });
  });

  it.each([
    ['no subcommand', [], /missing subcommand/, 'usage: eks-access-pilot migrate start'],
    ['an unknown subcommand', ['stop'], /unknown subcommand "stop"/, 'usage: eks-access-pilot migrate start'],
    ['an inherited property name as subcommand', ['constructor'], /unknown subcommand "constructor"/, 'usage: eks-access-pilot migrate start'],
    ['status without EXECUTION', ['status'], /missing EXECUTION/, 'usage: eks-access-pilot migrate status EXECUTION'],
    ['an unknown option', ['history', FAILED_EXEC, '--verbose'], /Unknown option '--verbose'/, 'usage: eks-access-pilot migrate history EXECUTION'],
    ['a bad execution name', ['start', '--cluster', 'prod', '--region', 'eu-west-1', '--target', 'API', '--name', 'a/b', '--state-machine', SM], /--name: "a\/b"/, 'usage: eks-access-pilot migrate start'],
  ])('exits 2 for a usage error: %s', async (_label, args, message, usage) => {
    const { code, stderr } = await migrate(...args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain(usage);
  });

  it('prints the usage of every subcommand when a subcommand is missing', async () => {
    const { stderr } = await migrate();

    for (const sub of ['start', 'status', 'approve', 'history']) expect(stderr).toContain(`eks-access-pilot migrate ${sub}`);
  });

  it('prints its help with every subcommand, its summary and its options', async () => {
    const { code, stdout } = await migrate('--help');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: eks-access-pilot migrate start /m);
    for (const sub of ['start', 'status', 'approve', 'history']) {
      expect(stdout).toContain(`eks-access-pilot migrate ${sub}`);
      expect(stdout).toMatch(new RegExp(`^${sub} +[A-Z]`, 'm'));
    }
    for (const option of ['--approve-cutover', '--reject', '--by NAME', '--file HISTORY.json']) expect(stdout).toContain(option);
    expect(stdout).toContain('Run `eks-access-pilot migrate <subcommand> --help`');
  });

  describe('<subcommand> --help', () => {
    const SUBCOMMANDS = ['start', 'status', 'approve', 'history'] as const;
    /** An option only that subcommand takes, to tell its help from the others'. */
    const OWN_OPTION = { start: '--approve-cutover', status: '"waitingForApproval"', approve: '--reject', history: '--file HISTORY.json' } as const;

    it.each(SUBCOMMANDS)('%s --help prints that subcommand\'s usage and options only, and exits 0', async (sub) => {
      const { code, stdout, stderr } = await migrate(sub, '--help');

      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(new RegExp(`^usage: eks-access-pilot migrate ${sub} `, 'm'));
      expect(stdout).toContain(OWN_OPTION[sub]);
      for (const other of SUBCOMMANDS.filter((s) => s !== sub)) {
        expect(stdout).not.toContain(`eks-access-pilot migrate ${other}`);
        expect(stdout).not.toContain(OWN_OPTION[other]);
      }
      expect(stdout).not.toContain('Run `eks-access-pilot migrate <subcommand> --help`');
    });

    it('start --help prints start\'s usage, not approve\'s', async () => {
      const { code, stdout } = await migrate('start', '--help');

      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toBe('Validate the input as the workflow does, start an execution and print its ARN.');
      expect(stdout).toContain('usage: eks-access-pilot migrate start --cluster NAME --region R --target API|API_AND_CONFIG_MAP');
      for (const option of ['--cluster NAME', '--target MODE', '--dry-run', '--name NAME', '--state-machine ARN']) expect(stdout).toContain(option);
      expect(stdout).not.toContain('migrate approve');
      expect(stdout).not.toContain('--reason');
    });

    it('takes -h as --help and answers without calling AWS', async () => {
      const { code, stdout } = await migrate('approve', WAITING_EXEC, '-h');

      expect(code).toBe(0);
      expect(stdout).toContain('usage: eks-access-pilot migrate approve EXECUTION');
      expect(sfn.calls()).toHaveLength(0);
    });
  });
});
