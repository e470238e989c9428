/**
 * Contract tests of Step Functions' state machine and execution listings, and of StopExecution,
 * over HTTP: the real SFNClient and its paginators against the sandbox. Each pins a rule of the
 * Step Functions API reference as an operator's `aws stepfunctions …` sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  ValidationException,
  paginateListExecutions,
  paginateListStateMachines,
} from '@aws-sdk/client-sfn';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
/** A definition as an operator wrote it (spacing included): DescribeStateMachine returns it as given. */
const WAITING = '{\n  "Comment": "waits",\n  "StartAt": "Hold",\n  "States": { "Hold": { "Type": "Wait", "Seconds": 3600, "End": true } }\n}';

let sandbox: Sandbox;
let sfn: SFNClient;
let waiting: string;
let quick: string;

beforeAll(async () => {
  // Wait states last as long as they say (an hour): executions stay RUNNING until stopped.
  sandbox = await startSandbox({ region: REGION, stepFunctions: { waitMs: 3_600_000 } });
  waiting = sandbox.stepFunctions.createStateMachine({ name: 'waiting', definition: WAITING, roleArn: `arn:aws:iam::${ACCOUNT}:role/waiting-role`, lambdas: {} });
  quick = sandbox.stepFunctions.createStateMachine({ name: 'quick', definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } } as never, lambdas: {} });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  sfn = new SFNClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: waiting, statusFilter: 'RUNNING' }));
  for (const e of running.executions ?? []) await sfn.send(new StopExecutionCommand({ executionArn: e.executionArn }));
  sfn.destroy();
  await sandbox.stop();
});

const start = async (stateMachineArn: string, name: string) => (await sfn.send(new StartExecutionCommand({ stateMachineArn, name }))).executionArn!;

describe('Step Functions ListStateMachines and DescribeStateMachine over HTTP', () => {
  it('lists the state machines with ARN, name, type and creation date, in pages of maxResults', async () => {
    const all = await sfn.send(new ListStateMachinesCommand({}));
    const names: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListStateMachines({ client: sfn, pageSize: 1 }, {})) {
      names.push(...(page.stateMachines ?? []).map((m) => m.name!));
      sizes.push(page.stateMachines?.length ?? 0);
    }

    expect(all.stateMachines).toEqual(
      expect.arrayContaining([{ stateMachineArn: waiting, name: 'waiting', type: 'STANDARD', creationDate: expect.any(Date) }, expect.objectContaining({ stateMachineArn: quick, name: 'quick' })]),
    );
    expect(all.nextToken).toBeUndefined();
    expect(names).toEqual(all.stateMachines?.map((m) => m.name));
    expect(sizes.every((n) => n === 1)).toBe(true);
  });

  it('refuses a nextToken it did not issue (InvalidToken) and a page size over 1000 (ValidationException)', async () => {
    expect(await rejectionOf(sfn.send(new ListStateMachinesCommand({ nextToken: 'garbage' })))).toBeInstanceOf(InvalidToken);
    expect(await rejectionOf(sfn.send(new ListStateMachinesCommand({ maxResults: 1001 })))).toBeInstanceOf(ValidationException);
  });

  it('describes a state machine: its definition as written, role, type, status and creation date', async () => {
    const out = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: waiting }));

    expect(out).toMatchObject({
      stateMachineArn: waiting,
      name: 'waiting',
      status: 'ACTIVE',
      definition: WAITING,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/waiting-role`,
      type: 'STANDARD',
      creationDate: expect.any(Date),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    });
  });

  it('answers an unknown state machine with StateMachineDoesNotExist and an ARN of another kind with InvalidArn', async () => {
    expect(await rejectionOf(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` })))).toBeInstanceOf(
      StateMachineDoesNotExist,
    );
    expect(await rejectionOf(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `arn:aws:iam::${ACCOUNT}:role/nope` })))).toBeInstanceOf(InvalidArn);
  });
});

describe('Step Functions StopExecution and ListExecutions over HTTP', () => {
  it('stops a running execution at once: ABORTED with the error and cause, ExecutionAborted last in its history', async () => {
    const arn = await start(waiting, 'stop-now');

    const stopped = await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'wrong cluster' }));
    // No polling: DescribeExecution right after StopExecution already says ABORTED.
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }))).events ?? [];

    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'wrong cluster', stopDate: stopped.stopDate });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'wrong cluster' } });
    expect(events.filter((e) => e.type === 'ExecutionAborted')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 50));
    expect((await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }))).events).toHaveLength(events.length);
  });

  it('lists a machine\'s executions newest first, filtered by status', async () => {
    const a = await start(waiting, 'list-a');
    const b = await start(waiting, 'list-b');
    await sfn.send(new StopExecutionCommand({ executionArn: a }));

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: waiting, statusFilter: 'RUNNING' }));
    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn: waiting, statusFilter: 'ABORTED' }));
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: waiting }));

    expect(running.executions?.map((e) => e.executionArn)).toEqual([b]);
    expect(running.executions?.[0]).toEqual({ executionArn: b, stateMachineArn: waiting, name: 'list-b', status: 'RUNNING', startDate: expect.any(Date) });
    expect(aborted.executions?.map((e) => e.name)).toEqual(expect.arrayContaining(['list-a', 'stop-now']));
    expect(aborted.executions?.find((e) => e.name === 'list-a')?.stopDate).toBeInstanceOf(Date);
    const names = all.executions?.map((e) => e.name) ?? [];
    expect(names.indexOf('list-b')).toBeLessThan(names.indexOf('list-a'));
    expect(names.indexOf('list-a')).toBeLessThan(names.indexOf('stop-now'));
  });

  it('pages executions with nextToken, each once, even when one starts between pages', async () => {
    for (const n of ['page-1', 'page-2', 'page-3']) await start(quick, n);
    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: quick, maxResults: 2 }));
    await start(quick, 'page-4');

    const second = await sfn.send(new ListExecutionsCommand({ stateMachineArn: quick, maxResults: 2, nextToken: first.nextToken }));
    const names: string[] = [];
    for await (const page of paginateListExecutions({ client: sfn, pageSize: 1 }, { stateMachineArn: quick })) names.push(...(page.executions ?? []).map((e) => e.name!));

    expect(first.executions?.map((e) => e.name)).toEqual(['page-3', 'page-2']);
    expect(second.executions?.map((e) => e.name)).toEqual(['page-1']);
    expect(second.nextToken).toBeUndefined();
    expect(names).toEqual(['page-4', 'page-3', 'page-2', 'page-1']);
    expect(await rejectionOf(sfn.send(new ListExecutionsCommand({ stateMachineArn: quick, nextToken: 'garbage' })))).toBeInstanceOf(InvalidToken);
  });

  it('keeps paging by status when the last execution of a page stops before the next page is asked for', async () => {
    const machine = sandbox.stepFunctions.createStateMachine({ name: 'paged-by-status', definition: WAITING, lambdas: {} });
    const [r1, , r3] = [await start(machine, 'r1'), await start(machine, 'r2'), await start(machine, 'r3')];
    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING', maxResults: 2 }));
    await sfn.send(new StopExecutionCommand({ executionArn: first.executions![1]!.executionArn }));

    const second = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, statusFilter: 'RUNNING', maxResults: 2, nextToken: first.nextToken }));

    expect(first.executions?.map((e) => e.name)).toEqual(['r3', 'r2']);
    expect(second.executions?.map((e) => e.executionArn)).toEqual([r1]);
    for (const arn of [r1, r3]) await sfn.send(new StopExecutionCommand({ executionArn: arn }));
  });

  it('answers ListExecutions for an unknown machine with StateMachineDoesNotExist', async () => {
    const e = await rejectionOf(sfn.send(new ListExecutionsCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` })));

    expect(e).toBeInstanceOf(StateMachineDoesNotExist);
  });
});
