// EventBridge Scheduler in the sandbox (sandbox/model/scheduler.ts, sandbox/server/services/
// scheduler.ts) with the real SchedulerClient: the schedule lifecycle and the errors of the
// Scheduler API reference (CreateSchedule, UpdateSchedule, DeleteSchedule, GetSchedule,
// ListSchedules, the schedule group operations), IAM's scheduler actions and iam:PassRole, and
// one-time schedules firing on the sandbox's clock — the clock the deployed functions read too.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { SandboxClock } from '#sandbox/clock';
import { LambdaRuntime } from '#sandbox/lambda/runtime';
import { SchedulerModel, type Schedule } from '#sandbox/model/scheduler';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const GROUP = 'eap-expiry';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:target`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/scheduler-role`;

/** `at(…)` of an instant, UTC, seconds precision: what the provisioner writes. */
const at = (ms: number) => `at(${new Date(ms).toISOString().slice(0, 19)})`;

function oneTime(name: string, fireAt: number, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    GroupName: GROUP,
    ScheduleExpression: at(fireAt),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: FUNCTION_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify({ principal: name }) },
    ...extra,
  };
}

describe('SchedulerModel', () => {
  // arrange: a model on its own clock, whose invocations are recorded
  const setup = () => {
    const clock = new SandboxClock();
    const model = new SchedulerModel(ACCOUNT, clock);
    const invoked: Schedule[] = [];
    model.setInvoker(async (s) => invoked.push(s));
    model.createScheduleGroup(REGION, { Name: GROUP });
    return { clock, model, invoked };
  };

  it('fires a one-time schedule when the clock reaches its time, with its Input, then deletes it (ActionAfterCompletion DELETE)', async () => {
    const { clock, model, invoked } = setup();
    const fireAt = clock.nowMs() + 3_600_000;
    model.createSchedule(REGION, oneTime('eap-expiry-a', fireAt));

    await clock.advance(3_598_000);
    expect(invoked).toEqual([]);

    await clock.advance(2_000);
    expect(invoked.map((s) => [s.name, s.target.Input])).toEqual([['eap-expiry-a', '{"principal":"eap-expiry-a"}']]);
    expect(model.all()).toEqual([]);
    expect(model.invocations).toEqual([expect.objectContaining({ ok: true, schedule: expect.objectContaining({ name: 'eap-expiry-a', fireAt: Math.floor(fireAt / 1000) * 1000 }) })]);
  });

  it('keeps a completed schedule with ActionAfterCompletion NONE, and does not fire it again', async () => {
    const { clock, model, invoked } = setup();
    model.createSchedule(REGION, oneTime('keep', clock.nowMs() + 60_000, { ActionAfterCompletion: 'NONE' }));

    await clock.advance(61_000);
    await clock.advance(61_000);

    expect(invoked).toHaveLength(1);
    expect(model.all().map((s) => s.name)).toEqual(['keep']);
  });

  it('fires at the time an update moved it to, not the old one; a disabled schedule does not fire', async () => {
    const { clock, model, invoked } = setup();
    const t = clock.nowMs();
    model.createSchedule(REGION, oneTime('moved', t + 60_000));
    model.updateSchedule(REGION, oneTime('moved', t + 600_000));
    model.createSchedule(REGION, oneTime('off', t + 60_000, { State: 'DISABLED' }));

    await clock.advance(120_000);
    expect(invoked).toEqual([]);
    await clock.advance(600_000);
    expect(invoked.map((s) => s.name)).toEqual(['moved']);
    expect(model.all().map((s) => s.name)).toEqual(['off']);
  });

  it('reads at() in ScheduleExpressionTimezone', async () => {
    const { clock, model, invoked } = setup();
    // 2030-01-15T12:00:00 in Europe/Paris (UTC+1 in winter) is 11:00 UTC.
    model.createSchedule(REGION, oneTime('paris', 0, { ScheduleExpression: 'at(2030-01-15T12:00:00)', ScheduleExpressionTimezone: 'Europe/Paris' }));
    expect(model.all()[0]!.fireAt).toBe(Date.UTC(2030, 0, 15, 11, 0, 0));

    await clock.set(new Date(Date.UTC(2030, 0, 15, 10, 59, 59)));
    expect(invoked).toEqual([]);
    await clock.set(new Date(Date.UTC(2030, 0, 15, 11, 0, 0)));
    expect(invoked.map((s) => s.name)).toEqual(['paris']);
  });

  it('fires with real time passing, without moving the clock', async () => {
    const { clock, model, invoked } = setup();
    model.createSchedule(REGION, oneTime('soon', clock.nowMs() + 1_000));

    await expect.poll(() => invoked.length, { timeout: 5_000, interval: 50 }).toBe(1);
    await model.drain();
    expect(model.all()).toEqual([]);
  });

  it('records a failed invocation and still completes the schedule', async () => {
    const { clock, model } = setup();
    model.setInvoker(async () => {
      throw new Error('boom');
    });
    model.createSchedule(REGION, oneTime('fails', clock.nowMs() + 1_000));

    await clock.advance(2_000);
    expect(model.invocations.map((i) => [i.schedule.name, i.ok, i.error?.message])).toEqual([['fails', false, 'boom']]);
    expect(model.all()).toEqual([]);
  });

  it('never moves backwards', async () => {
    const { clock } = setup();
    await expect(clock.advance(-1)).rejects.toThrow(/only moves forward/);
  });
});

describe('Scheduler over HTTP', () => {
  let sandbox: Sandbox;
  let scheduler: SchedulerClient;
  const invoked: Schedule[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ region: REGION, iam: false });
    sandbox.scheduler.setInvoker(async (s) => invoked.push(s));
    const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
    scheduler = new SchedulerClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
    await scheduler.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  });
  afterAll(async () => {
    scheduler.destroy();
    await sandbox.stop();
  });
  afterEach(() => {
    invoked.length = 0;
  });

  it('creates, gets, updates and deletes a one-time schedule', async () => {
    const t = sandbox.clock.nowMs() + 3_600_000;
    const created = await scheduler.send(new CreateScheduleCommand(oneTime('eap-expiry-0123', t)));
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/eap-expiry-0123`);

    const got = await scheduler.send(new GetScheduleCommand({ Name: 'eap-expiry-0123', GroupName: GROUP }));
    expect(got).toMatchObject({
      Arn: created.ScheduleArn,
      GroupName: GROUP,
      ScheduleExpression: at(t),
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: FUNCTION_ARN, RoleArn: ROLE_ARN, Input: '{"principal":"eap-expiry-0123"}' },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);

    await scheduler.send(new UpdateScheduleCommand(oneTime('eap-expiry-0123', t + 60_000)));
    expect((await scheduler.send(new GetScheduleCommand({ Name: 'eap-expiry-0123', GroupName: GROUP }))).ScheduleExpression).toBe(at(t + 60_000));

    await scheduler.send(new DeleteScheduleCommand({ Name: 'eap-expiry-0123', GroupName: GROUP }));
    const gone = await rejectionOf(scheduler.send(new GetScheduleCommand({ Name: 'eap-expiry-0123', GroupName: GROUP })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(gone.message).toBe('Schedule eap-expiry-0123 does not exist.');
  });

  it('lists a group by NamePrefix, page by page (the SDK paginator)', async () => {
    const t = sandbox.clock.nowMs() + 3_600_000;
    for (let i = 0; i < 5; i++) await scheduler.send(new CreateScheduleCommand(oneTime(`eap-expiry-${i}`, t)));
    await scheduler.send(new CreateScheduleCommand(oneTime('other', t)));
    await scheduler.send(new CreateScheduleCommand({ ...oneTime('elsewhere', t), GroupName: undefined }));

    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListSchedules({ client: scheduler, pageSize: 2 }, { GroupName: GROUP, NamePrefix: 'eap-expiry-' })) {
      pages++;
      names.push(...(page.Schedules ?? []).map((s) => s.Name!));
    }
    expect(names).toEqual(['eap-expiry-0', 'eap-expiry-1', 'eap-expiry-2', 'eap-expiry-3', 'eap-expiry-4']);
    expect(pages).toBe(3);
    const all = await scheduler.send(new ListSchedulesCommand({}));
    expect(all.Schedules?.map((s) => `${s.GroupName}/${s.Name}`)).toContain('default/elsewhere');
    expect(all.Schedules?.find((s) => s.Name === 'other')).toMatchObject({ State: 'ENABLED', Target: { Arn: FUNCTION_ARN } });

    for (const s of all.Schedules ?? []) await scheduler.send(new DeleteScheduleCommand({ Name: s.Name!, GroupName: s.GroupName! }));
  });

  it('answers the API reference errors: ConflictException, ResourceNotFoundException, ValidationException', async () => {
    const t = sandbox.clock.nowMs() + 3_600_000;
    await scheduler.send(new CreateScheduleCommand(oneTime('dup', t)));

    const cases: Array<[() => Promise<unknown>, new (...args: never[]) => Error, RegExp]> = [
      [() => scheduler.send(new CreateScheduleCommand(oneTime('dup', t))), ConflictException, /Schedule dup already exists/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), GroupName: 'no-such-group' })), ResourceNotFoundException, /Schedule group no-such-group does not exist/],
      [() => scheduler.send(new UpdateScheduleCommand(oneTime('never-created', t))), ResourceNotFoundException, /Schedule never-created does not exist/],
      [() => scheduler.send(new DeleteScheduleCommand({ Name: 'never-created', GroupName: GROUP })), ResourceNotFoundException, /does not exist/],
      [() => scheduler.send(new ListSchedulesCommand({ GroupName: 'no-such-group' })), ResourceNotFoundException, /no-such-group/],
      [() => scheduler.send(new CreateScheduleCommand(oneTime('a'.repeat(65), t))), ValidationException, /length less than or equal to 64/],
      [() => scheduler.send(new CreateScheduleCommand(oneTime('bad:name', t))), ValidationException, /regular expression pattern/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), ScheduleExpression: 'at(2030-02-30T00:00:00)' })), ValidationException, /Invalid Schedule Expression/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), ScheduleExpression: 'at(2030-01-01T00:00:00Z)' })), ValidationException, /Invalid Schedule Expression/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), ScheduleExpressionTimezone: 'Mars/Olympus' })), ValidationException, /Timezone/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), FlexibleTimeWindow: { Mode: 'FLEXIBLE' } })), ValidationException, /MaximumWindowInMinutes/],
      [() => scheduler.send(new CreateScheduleCommand({ ...oneTime('x', t), Target: { Arn: FUNCTION_ARN, RoleArn: 'not-a-role' } })), ValidationException, /target.roleArn/],
      [() => scheduler.send(new ListSchedulesCommand({ MaxResults: 101 })), ValidationException, /100/],
    ];
    for (const [call, type, message] of cases) {
      const e = await rejectionOf(call());
      expect(e).toBeInstanceOf(type);
      expect(e.message).toMatch(message);
    }
    await scheduler.send(new DeleteScheduleCommand({ Name: 'dup', GroupName: GROUP }));
  });

  it('serves the schedule groups: default always exists; a second create conflicts; deleting one deletes its schedules', async () => {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: 'temp' }));
    await scheduler.send(new CreateScheduleCommand({ ...oneTime('in-temp', sandbox.clock.nowMs() + 60_000), GroupName: 'temp' }));
    expect(await rejectionOf(scheduler.send(new CreateScheduleGroupCommand({ Name: 'temp' })))).toBeInstanceOf(ConflictException);
    expect((await scheduler.send(new ListScheduleGroupsCommand({}))).ScheduleGroups?.map((g) => g.Name)).toEqual(['default', GROUP, 'temp']);

    await scheduler.send(new DeleteScheduleGroupCommand({ Name: 'temp' }));
    expect((await scheduler.send(new ListSchedulesCommand({}))).Schedules?.map((s) => s.Name)).not.toContain('in-temp');
  });

  it('fires a schedule created over HTTP when the sandbox clock passes its time, and deletes it', async () => {
    const t = sandbox.clock.nowMs() + 86_400_000;
    await scheduler.send(new CreateScheduleCommand(oneTime('eap-expiry-fire', t)));

    await sandbox.clock.set(new Date(t + 1_000));

    expect(invoked.map((s) => JSON.parse(s.target.Input!) as unknown)).toEqual([{ principal: 'eap-expiry-fire' }]);
    expect(await rejectionOf(scheduler.send(new GetScheduleCommand({ Name: 'eap-expiry-fire', GroupName: GROUP })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('Scheduler under IAM enforcement', () => {
  let sandbox: Sandbox;
  const client = (policies: Array<Record<string, unknown>>) => {
    const creds = sandbox.iam!.issueCredentials(`arn:aws:sts::${ACCOUNT}:assumed-role/caller/test`, [{ name: 'p', policy: { Version: '2012-10-17', Statement: policies } }]);
    return new SchedulerClient({ region: REGION, endpoint: sandbox.url, credentials: creds, maxAttempts: 1 });
  };
  const provisioner = () => sandbox.iam!.app.functions.find((f) => f.logicalId.startsWith('TagProvisioningProvisionerFunction'))!;

  beforeAll(async () => {
    sandbox = await startSandbox({ region: REGION, iam: { config: { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }] } } });
    sandbox.scheduler.createScheduleGroup(REGION, { Name: GROUP });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("seeds the deployed app's schedule group (AWS::Scheduler::ScheduleGroup), beside default", () => {
    expect(sandbox.scheduler.listScheduleGroups(REGION).ScheduleGroups?.map((g) => g.Name)).toEqual(['default', GROUP, 'eks-access-pilot-expiry']);
  });

  it('authorizes CreateSchedule on the schedule ARN and iam:PassRole of the target role to scheduler.amazonaws.com', async () => {
    const schedule = { Effect: 'Allow', Action: 'scheduler:CreateSchedule', Resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${GROUP}/*` };
    const pass = { Effect: 'Allow', Action: 'iam:PassRole', Resource: ROLE_ARN, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } };
    const withoutPass = client([schedule]);
    const allowed = client([schedule, pass]);

    const refused = await rejectionOf(withoutPass.send(new CreateScheduleCommand(oneTime('eap-expiry-iam', sandbox.clock.nowMs() + 60_000))));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toMatch(/iam:PassRole on resource: arn:aws:iam::111122223333:role\/scheduler-role/);

    const created = await allowed.send(new CreateScheduleCommand(oneTime('eap-expiry-iam', sandbox.clock.nowMs() + 3_600_000)));
    expect(created.ScheduleArn).toMatch(/:schedule\/eap-expiry\/eap-expiry-iam$/);
    const listRefused = await rejectionOf(allowed.send(new ListSchedulesCommand({})));
    expect(listRefused.message).toMatch(/scheduler:ListSchedules on resource: \*/);
    withoutPass.destroy();
    allowed.destroy();
  });

  it('invokes the target as the execution role: a role that may not lambda:InvokeFunction fails the invocation, a role outside the app too', async () => {
    const fn = provisioner();
    const role = sandbox.iam!.app.roles.get(fn.roleName)!;
    const t = sandbox.clock.nowMs() + 60_000;
    sandbox.scheduler.createSchedule(REGION, oneTime('as-provisioner-role', t, { Target: { Arn: fn.arn, RoleArn: role.arn, Input: '{}' } }));
    sandbox.scheduler.createSchedule(REGION, oneTime('as-unknown-role', t, { Target: { Arn: fn.arn, RoleArn: ROLE_ARN, Input: '{}' } }));

    await sandbox.clock.advance(120_000);

    const outcome = Object.fromEntries(sandbox.scheduler.invocations.map((i) => [i.schedule.name, i.error?.message]));
    expect(outcome['as-provisioner-role']).toMatch(/is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:eu-west-1:111122223333:function:/);
    expect(outcome['as-unknown-role']).toMatch(/not a role of the deployed app/);
  });

  it("moves the deployed functions' wall clock with the sandbox's", async () => {
    const runtime = new LambdaRuntime(sandbox.iam!, sandbox.env, ACCOUNT, sandbox.clock);
    runtime.define({ name: 'clock', entry: 'test/sandbox/clock-handler.ts', roleName: provisioner().roleName, environment: {}, region: REGION });
    try {
      const before = (await runtime.invoke('clock', {})) as { now: number; date: number };
      await sandbox.clock.advance(7 * 86_400_000);
      const after = (await runtime.invoke('clock', {})) as { now: number; date: number; iso: string };

      expect(after.now - before.now).toBeGreaterThanOrEqual(7 * 86_400_000);
      expect(after.now - before.now).toBeLessThan(7 * 86_400_000 + 10_000);
      expect(Math.abs(after.date - sandbox.clock.nowMs())).toBeLessThan(10_000);
      expect(Math.abs(Date.parse(after.iso) - sandbox.clock.nowMs())).toBeLessThan(10_000);
    } finally {
      await runtime.stop();
    }
  });
});
