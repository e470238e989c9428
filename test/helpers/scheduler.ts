/**
 * A small stateful EventBridge Scheduler behind aws-sdk-client-mock, for the access tests: one
 * group's schedules by name, with the API's errors (ConflictException on a second create,
 * ResourceNotFoundException on an update, get or delete of a missing one) and ListSchedules'
 * NamePrefix and paging. The sandbox's own Scheduler model serves the demo and e2e tests.
 */
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';

export const SCHEDULE_GROUP = 'eks-access-pilot-expiry';
export const TARGET_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:eks-access-pilot-provisioner';
export const SCHEDULER_ROLE_ARN = 'arn:aws:iam::111122223333:role/eks-access-pilot-scheduler';
export const SCHEDULE_ENV = { EAP_EXPIRY_SCHEDULE_GROUP: SCHEDULE_GROUP, EAP_EXPIRY_TARGET_ARN: TARGET_ARN, EAP_EXPIRY_SCHEDULER_ROLE_ARN: SCHEDULER_ROLE_ARN };

export interface FakeScheduler {
  mock: AwsClientStub<SchedulerClient>;
  schedules: Map<string, CreateScheduleCommandInput>;
  /** The input a schedule would send when it fires. */
  inputOf(name: string): unknown;
  /** Number of calls per command name (`CreateScheduleCommand`: 2). */
  calls(): Record<string, number>;
  restore(): void;
}

const notFound = (name: string) => new ResourceNotFoundException({ Message: `Schedule ${name} does not exist.`, message: `Schedule ${name} does not exist.`, $metadata: {} });

export function fakeScheduler(pageSize = 100): FakeScheduler {
  const mock = mockClient(SchedulerClient);
  const schedules = new Map<string, CreateScheduleCommandInput>();
  mock.on(CreateScheduleCommand).callsFake((i: CreateScheduleCommandInput) => {
    if (schedules.has(i.Name!)) throw new ConflictException({ Message: `Schedule ${i.Name} already exists.`, message: `Schedule ${i.Name} already exists.`, $metadata: {} });
    schedules.set(i.Name!, i);
    return { ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${i.GroupName}/${i.Name}` };
  });
  mock.on(UpdateScheduleCommand).callsFake((i: CreateScheduleCommandInput) => {
    if (!schedules.has(i.Name!)) throw notFound(i.Name!);
    schedules.set(i.Name!, i);
    return {};
  });
  mock.on(DeleteScheduleCommand).callsFake((i: { Name: string }) => {
    if (!schedules.delete(i.Name)) throw notFound(i.Name);
    return {};
  });
  mock.on(GetScheduleCommand).callsFake((i: { Name: string }) => {
    const s = schedules.get(i.Name);
    if (!s) throw notFound(i.Name);
    return { ...s };
  });
  mock.on(ListSchedulesCommand).callsFake((i: { NamePrefix?: string; NextToken?: string; MaxResults?: number; GroupName?: string }) => {
    const names = [...schedules.values()].filter((s) => s.GroupName === (i.GroupName ?? 'default') && s.Name!.startsWith(i.NamePrefix ?? '')).map((s) => s.Name!).sort();
    const start = Number(i.NextToken ?? 0);
    const size = Math.min(i.MaxResults ?? 100, pageSize);
    const page = names.slice(start, start + size);
    return {
      Schedules: page.map((Name) => ({ Name, GroupName: i.GroupName, State: 'ENABLED', Target: { Arn: schedules.get(Name)!.Target!.Arn } })),
      ...(start + size < names.length ? { NextToken: String(start + size) } : {}),
    };
  });
  return {
    mock,
    schedules,
    inputOf: (name) => JSON.parse(schedules.get(name)!.Target!.Input!),
    calls: () => {
      const counts: Record<string, number> = {};
      for (const c of mock.calls()) counts[c.args[0].constructor.name] = (counts[c.args[0].constructor.name] ?? 0) + 1;
      return counts;
    },
    restore: () => mock.restore(),
  };
}
