// Amazon EventBridge Scheduler for one account: schedule groups and schedules per Region, with the
// rules of the Scheduler API reference (CreateSchedule, UpdateSchedule, DeleteSchedule,
// GetSchedule, ListSchedules, CreateScheduleGroup, GetScheduleGroup, ListScheduleGroups,
// DeleteScheduleGroup) and the constraints of its service model (botocore
// data/scheduler/2021-06-30/service-2.json: names 1–64 of [0-9a-zA-Z-_.], MaxResults 1–100,
// Description ≤ 512, FlexibleTimeWindow Mode OFF|FLEXIBLE with MaximumWindowInMinutes 1–1440,
// RetryPolicy ranges, RoleArn pattern, the enums).
//
// One-time schedules (`at(yyyy-mm-ddThh:mm:ss)` in ScheduleExpressionTimezone, default UTC) fire
// on the sandbox's clock (sandbox/clock.ts): when it passes their time — real time passing (a
// timer) or a test moving the clock — the target is invoked through `setInvoker`'s function and,
// with ActionAfterCompletion DELETE, the schedule is deleted after the invocation ("EventBridge
// Scheduler deletes the schedule after the schedule completes invoking the target": API reference,
// CreateSchedule, ActionAfterCompletion). Differences from AWS, on purpose: AWS invokes within the
// minute of the time ("All schedule types on EventBridge Scheduler invoke their targets with 60
// second precision", User Guide, "Schedule types"), the sandbox at the time itself; a FLEXIBLE
// window fires at its start; rate() and cron() schedules are stored and listed but never fire.
import {
  ConflictException,
  ResourceNotFoundException,
  SchedulerServiceException,
  ValidationException,
  type CreateScheduleGroupInput,
  type CreateScheduleInput,
  type DeleteScheduleGroupInput,
  type DeleteScheduleInput,
  type GetScheduleGroupInput,
  type GetScheduleGroupOutput,
  type GetScheduleInput,
  type GetScheduleOutput,
  type ListScheduleGroupsInput,
  type ListScheduleGroupsOutput,
  type ListSchedulesInput,
  type ListSchedulesOutput,
  type Target,
  type UpdateScheduleInput,
} from '@aws-sdk/client-scheduler';
import { partitionOf } from '#kernel/partition';
import type { SandboxClock } from '#sandbox/clock';
import { constraintMessage, count, decodeToken, encodeToken } from './errors.ts';

const meta = () => ({ $metadata: {} });
// The modelled errors carry `Message` (service model); the SDK's deserializer also sets `message`.
const validation = (message: string) => new ValidationException({ Message: message, message, ...meta() });
const notFound = (message: string) => new ResourceNotFoundException({ Message: message, message, ...meta() });
const conflict = (message: string) => new ConflictException({ Message: message, message, ...meta() });

/** Schedule and group names: `^[0-9a-zA-Z-_.]+$`, 1–64 (service model, Name and ScheduleGroupName). */
const NAME = /^[0-9a-zA-Z-_.]+$/;
/** Target.RoleArn (service model, RoleArn). */
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** `at(yyyy-mm-ddThh:mm:ss)` (API reference, CreateSchedule, ScheduleExpression). */
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
/** The group every account has, where a schedule without GroupName goes (API reference, CreateSchedule, GroupName). */
export const DEFAULT_GROUP = 'default';

export interface Schedule {
  region: string;
  groupName: string;
  name: string;
  arn: string;
  scheduleExpression: string;
  scheduleExpressionTimezone?: string;
  /** For an `at()` expression: the instant it names, in epoch ms. */
  fireAt?: number;
  description?: string;
  state: 'ENABLED' | 'DISABLED';
  actionAfterCompletion: 'NONE' | 'DELETE';
  flexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  target: Target;
  startDate?: Date;
  endDate?: Date;
  kmsKeyArn?: string;
  creationDate: Date;
  lastModificationDate: Date;
}

interface Group {
  region: string;
  name: string;
  arn: string;
  creationDate: Date;
  lastModificationDate: Date;
  tags: Array<{ Key: string; Value: string }>;
}

/** One invocation of a schedule's target, as the sandbox recorded it. */
export interface Invocation {
  schedule: Pick<Schedule, 'region' | 'groupName' | 'name' | 'arn' | 'fireAt' | 'target'>;
  /** When the sandbox's clock said the invocation started (epoch ms). */
  at: number;
  ok: boolean;
  error?: Error;
}

/** Invokes a schedule's target as its execution role would; rejects when the invocation fails. */
export type Invoker = (schedule: Schedule) => Promise<unknown>;

export interface SchedulerModelOptions {
  /**
   * Sends a message to an SQS queue by ARN: where a failed invocation goes when the target has a
   * DeadLetterConfig (Scheduler User Guide, "Configuring a dead-letter queue for EventBridge
   * Scheduler"). The body is the target's Input; the error attributes Scheduler adds are not modelled.
   */
  deadLetter?: (queueArn: string, body: string) => void;
  /**
   * Creates a group on first use instead of answering ResourceNotFoundException: for a deployed
   * app that declares no AWS::Scheduler::ScheduleGroup yet (sandbox/server/index.ts decides).
   */
  createMissingGroups?: boolean;
}

export class SchedulerModel {
  /** API calls per operation. */
  readonly calls = new Map<string, number>();
  /** Every target invocation, in order. */
  readonly invocations: Invocation[] = [];
  private readonly groups = new Map<string, Group>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Schedules whose invocation is under way (by ARN): not fired twice. */
  private readonly firing = new Set<string>();
  private stopped = false;
  private invoker: Invoker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private createMissingGroups: boolean;
  private readonly deadLetter: SchedulerModelOptions['deadLetter'];

  constructor(
    readonly accountId: string,
    readonly clock: SandboxClock,
    options: SchedulerModelOptions = {},
  ) {
    this.createMissingGroups = options.createMissingGroups ?? false;
    this.deadLetter = options.deadLetter;
    clock.onChange(() => this.runDue());
  }

  /** What fires a schedule's target (the sandbox's Lambda runtime, as the target's role). */
  setInvoker(invoker: Invoker | undefined): void {
    this.invoker = invoker;
  }

  setCreateMissingGroups(on: boolean): void {
    this.createMissingGroups = on;
  }

  // ----- groups

  createScheduleGroup(region: string, input: CreateScheduleGroupInput): { ScheduleGroupArn: string } {
    count(this.calls, 'CreateScheduleGroup');
    const name = checkName(input.Name, 'name');
    if (this.groups.has(key(region, name)) || name === DEFAULT_GROUP) throw conflict(`Schedule group ${name} already exists.`);
    return { ScheduleGroupArn: this.addGroup(region, name, (input.Tags ?? []) as Group['tags']).arn };
  }

  getScheduleGroup(region: string, input: GetScheduleGroupInput): GetScheduleGroupOutput {
    count(this.calls, 'GetScheduleGroup');
    const g = this.group(region, checkName(input.Name, 'name'), false);
    return { Arn: g.arn, Name: g.name, State: 'ACTIVE', CreationDate: g.creationDate, LastModificationDate: g.lastModificationDate };
  }

  listScheduleGroups(region: string, input: ListScheduleGroupsInput = {}): ListScheduleGroupsOutput {
    count(this.calls, 'ListScheduleGroups');
    if (input.NamePrefix !== undefined) checkName(input.NamePrefix, 'namePrefix');
    const all = [this.group(region, DEFAULT_GROUP, false), ...[...this.groups.values()].filter((g) => g.region === region && g.name !== DEFAULT_GROUP)]
      .filter((g) => !input.NamePrefix || g.name.startsWith(input.NamePrefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { page, next } = paginate(all, input.MaxResults, input.NextToken);
    return {
      ScheduleGroups: page.map((g) => ({ Arn: g.arn, Name: g.name, State: 'ACTIVE', CreationDate: g.creationDate, LastModificationDate: g.lastModificationDate })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** Deletes the group and its schedules; the default group cannot be deleted. */
  deleteScheduleGroup(region: string, input: DeleteScheduleGroupInput): Record<string, never> {
    count(this.calls, 'DeleteScheduleGroup');
    const name = checkName(input.Name, 'name');
    if (name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.');
    this.group(region, name, false);
    this.groups.delete(key(region, name));
    for (const [k, s] of this.schedules) if (s.region === region && s.groupName === name) this.schedules.delete(k);
    this.arm();
    return {};
  }

  /** A group the deployed app declares (AWS::Scheduler::ScheduleGroup), as CloudFormation creates it. */
  seedGroup(region: string, name: string): void {
    if (!this.groups.has(key(region, name)) && name !== DEFAULT_GROUP) this.addGroup(region, name, []);
  }

  // ----- schedules

  createSchedule(region: string, input: CreateScheduleInput): { ScheduleArn: string } {
    count(this.calls, 'CreateSchedule');
    const groupName = input.GroupName === undefined ? DEFAULT_GROUP : checkName(input.GroupName, 'groupName');
    const name = checkName(input.Name, 'name');
    const fields = this.validate(input);
    this.group(region, groupName, this.createMissingGroups);
    const k = scheduleKey(region, groupName, name);
    if (this.schedules.has(k)) throw conflict(`Schedule ${name} already exists.`);
    const now = this.clock.now();
    const schedule: Schedule = { region, groupName, name, arn: this.scheduleArn(region, groupName, name), ...fields, creationDate: now, lastModificationDate: now };
    this.schedules.set(k, schedule);
    this.arm();
    return { ScheduleArn: schedule.arn };
  }

  /** Replaces every field of the schedule ("UpdateSchedule … all fields you do not specify are set to their defaults": API reference). */
  updateSchedule(region: string, input: UpdateScheduleInput): { ScheduleArn: string } {
    count(this.calls, 'UpdateSchedule');
    const groupName = input.GroupName === undefined ? DEFAULT_GROUP : checkName(input.GroupName, 'groupName');
    const name = checkName(input.Name, 'name');
    const fields = this.validate(input);
    const existing = this.schedule(region, groupName, name);
    const updated: Schedule = { ...pick(existing), ...fields, lastModificationDate: this.clock.now() };
    this.schedules.set(scheduleKey(region, groupName, name), updated);
    this.arm();
    return { ScheduleArn: updated.arn };
  }

  deleteSchedule(region: string, input: DeleteScheduleInput): Record<string, never> {
    count(this.calls, 'DeleteSchedule');
    const groupName = input.GroupName === undefined ? DEFAULT_GROUP : checkName(input.GroupName, 'groupName');
    const name = checkName(input.Name, 'name');
    this.schedule(region, groupName, name);
    this.schedules.delete(scheduleKey(region, groupName, name));
    this.arm();
    return {};
  }

  getSchedule(region: string, input: GetScheduleInput): GetScheduleOutput {
    count(this.calls, 'GetSchedule');
    const groupName = input.GroupName === undefined ? DEFAULT_GROUP : checkName(input.GroupName, 'groupName');
    const s = this.schedule(region, groupName, checkName(input.Name, 'name'));
    return {
      Arn: s.arn,
      GroupName: s.groupName,
      Name: s.name,
      ScheduleExpression: s.scheduleExpression,
      ...(s.scheduleExpressionTimezone !== undefined ? { ScheduleExpressionTimezone: s.scheduleExpressionTimezone } : {}),
      ...(s.description !== undefined ? { Description: s.description } : {}),
      ...(s.startDate ? { StartDate: s.startDate } : {}),
      ...(s.endDate ? { EndDate: s.endDate } : {}),
      ...(s.kmsKeyArn ? { KmsKeyArn: s.kmsKeyArn } : {}),
      State: s.state,
      ActionAfterCompletion: s.actionAfterCompletion,
      FlexibleTimeWindow: { ...s.flexibleTimeWindow },
      Target: structuredClone(s.target),
      CreationDate: s.creationDate,
      LastModificationDate: s.lastModificationDate,
    };
  }

  /** Schedules of the Region, by group then name; GroupName must name a group that exists. */
  listSchedules(region: string, input: ListSchedulesInput = {}): ListSchedulesOutput {
    count(this.calls, 'ListSchedules');
    if (input.GroupName !== undefined) this.group(region, checkName(input.GroupName, 'groupName'), false);
    if (input.NamePrefix !== undefined) checkName(input.NamePrefix, 'namePrefix');
    if (input.State !== undefined && input.State !== 'ENABLED' && input.State !== 'DISABLED') {
      throw validation(constraintMessage(input.State, 'state', 'Member must satisfy enum value set: [ENABLED, DISABLED]'));
    }
    const all = [...this.schedules.values()]
      .filter((s) => s.region === region)
      .filter((s) => input.GroupName === undefined || s.groupName === input.GroupName)
      .filter((s) => !input.NamePrefix || s.name.startsWith(input.NamePrefix))
      .filter((s) => !input.State || s.state === input.State)
      .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
    const { page, next } = paginate(all, input.MaxResults, input.NextToken);
    return {
      Schedules: page.map((s) => ({
        Arn: s.arn,
        Name: s.name,
        GroupName: s.groupName,
        State: s.state,
        CreationDate: s.creationDate,
        LastModificationDate: s.lastModificationDate,
        Target: { Arn: s.target.Arn },
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  /** Every schedule (all Regions), for tests and the demo; not an API call. */
  all(): Schedule[] {
    return [...this.schedules.values()].map((s) => structuredClone(s));
  }

  // ----- firing

  /**
   * Fires every enabled one-time schedule whose time the clock has reached; resolves when their
   * invocations (and the deletions after them) are done. Called on every move of the clock and by
   * the timer armed for the next schedule.
   */
  async runDue(): Promise<void> {
    const now = this.clock.nowMs();
    for (const s of this.schedules.values()) {
      if (s.state !== 'ENABLED' || s.fireAt === undefined || s.fireAt > now || this.firing.has(s.arn)) continue;
      const run = this.fire(s).finally(() => {
        this.inFlight.delete(run);
        this.firing.delete(s.arn);
      });
      this.firing.add(s.arn);
      this.inFlight.add(run);
    }
    this.arm();
    await this.drain();
  }

  /** Resolves once every invocation started, including those started meanwhile, has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** Stops the timer (the sandbox is stopping). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopped = true;
  }

  private async fire(s: Schedule): Promise<void> {
    const at = this.clock.nowMs();
    const record = { region: s.region, groupName: s.groupName, name: s.name, arn: s.arn, ...(s.fireAt !== undefined ? { fireAt: s.fireAt } : {}), target: structuredClone(s.target) };
    try {
      if (!this.invoker) throw new SchedulerServiceException({ name: 'InvocationFailure', $fault: 'server', message: 'the sandbox has no way to invoke targets (IAM enforcement is off)', ...meta() });
      await this.invoker(structuredClone(s));
      this.invocations.push({ schedule: record, at, ok: true });
    } catch (e) {
      this.invocations.push({ schedule: record, at, ok: false, error: e instanceof Error ? e : new Error(String(e)) });
      const queue = s.target.DeadLetterConfig?.Arn;
      if (queue && this.deadLetter) {
        try {
          this.deadLetter(queue, s.target.Input ?? '{}');
        } catch {
          // A dead-letter queue that does not exist loses the message, as in AWS.
        }
      }
    }
    const k = scheduleKey(s.region, s.groupName, s.name);
    const current = this.schedules.get(k);
    // A one-time schedule has completed once it invoked its target; an update made meanwhile
    // (another time) is a new schedule and stays.
    if (current && current.lastModificationDate === s.lastModificationDate) {
      if (s.actionAfterCompletion === 'DELETE') this.schedules.delete(k);
      else this.schedules.set(k, { ...current, fireAt: undefined });
    }
  }

  /** One timer, for the earliest schedule still to fire, so that real time passing fires it. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    let next = Infinity;
    for (const s of this.schedules.values()) if (s.state === 'ENABLED' && s.fireAt !== undefined && !this.firing.has(s.arn)) next = Math.min(next, s.fireAt);
    if (next === Infinity) return;
    // setTimeout's delay is a 32-bit signed integer of ms; a later schedule re-arms on the way.
    const delay = Math.min(Math.max(0, next - this.clock.nowMs()), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.runDue(), delay);
    // A pending schedule must not keep a finished process alive.
    this.timer.unref();
  }

  // ----- internals

  private validate(input: CreateScheduleInput | UpdateScheduleInput): Omit<Schedule, 'region' | 'groupName' | 'name' | 'arn' | 'creationDate' | 'lastModificationDate'> {
    const expression = input.ScheduleExpression ?? '';
    if (expression.length < 1 || expression.length > 256) throw validation(constraintMessage(expression, 'scheduleExpression', 'Member must have length less than or equal to 256 and greater than or equal to 1'));
    const timezone = input.ScheduleExpressionTimezone;
    if (timezone !== undefined && !validZone(timezone)) throw validation(`Invalid ScheduleExpressionTimezone ${timezone}.`);
    let fireAt: number | undefined;
    const at = AT.exec(expression);
    if (at) {
      const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
      const utc = Date.UTC(y, mo - 1, d, h, mi, s);
      const back = new Date(utc);
      // 2026-02-30T25:00:00 is not a time: Date.UTC would roll it over.
      if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw validation(`Invalid Schedule Expression ${expression}.`);
      fireAt = zonedToUtc(utc, timezone ?? 'UTC');
    } else if (!RATE.test(expression) && !CRON.test(expression)) {
      throw validation(`Invalid Schedule Expression ${expression}.`);
    }
    const window = input.FlexibleTimeWindow;
    if (!window || (window.Mode !== 'OFF' && window.Mode !== 'FLEXIBLE')) {
      throw validation(constraintMessage(window?.Mode, 'flexibleTimeWindow.mode', 'Member must satisfy enum value set: [OFF, FLEXIBLE]'));
    }
    const minutes = window.MaximumWindowInMinutes;
    if (window.Mode === 'FLEXIBLE' && minutes === undefined) throw validation('MaximumWindowInMinutes is required when the FlexibleTimeWindow Mode is FLEXIBLE.');
    if (window.Mode === 'OFF' && minutes !== undefined) throw validation('MaximumWindowInMinutes must not be set when the FlexibleTimeWindow Mode is OFF.');
    if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)) {
      throw validation(constraintMessage(minutes, 'flexibleTimeWindow.maximumWindowInMinutes', 'Member must have value less than or equal to 1440 and greater than or equal to 1'));
    }
    const target = input.Target;
    if (!target?.Arn || target.Arn.length > 1600) throw validation(constraintMessage(target?.Arn, 'target.arn', 'Member must have length less than or equal to 1600 and greater than or equal to 1'));
    if (!target.RoleArn || !ROLE_ARN.test(target.RoleArn)) {
      throw validation(constraintMessage(target.RoleArn, 'target.roleArn', 'Member must satisfy regular expression pattern: ^arn:aws(-[a-z]+)?:iam::\\d{12}:role\\/[\\w+=,.@\\/-]+$'));
    }
    if (target.Input !== undefined && target.Input.length < 1) throw validation(constraintMessage(target.Input, 'target.input', 'Member must have length greater than or equal to 1'));
    const retry = target.RetryPolicy;
    if (retry?.MaximumRetryAttempts !== undefined && (retry.MaximumRetryAttempts < 0 || retry.MaximumRetryAttempts > 185)) {
      throw validation(constraintMessage(retry.MaximumRetryAttempts, 'target.retryPolicy.maximumRetryAttempts', 'Member must have value less than or equal to 185 and greater than or equal to 0'));
    }
    if (retry?.MaximumEventAgeInSeconds !== undefined && (retry.MaximumEventAgeInSeconds < 60 || retry.MaximumEventAgeInSeconds > 86400)) {
      throw validation(constraintMessage(retry.MaximumEventAgeInSeconds, 'target.retryPolicy.maximumEventAgeInSeconds', 'Member must have value less than or equal to 86400 and greater than or equal to 60'));
    }
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation(constraintMessage(state, 'state', 'Member must satisfy enum value set: [ENABLED, DISABLED]'));
    const after = input.ActionAfterCompletion ?? 'NONE';
    if (after !== 'NONE' && after !== 'DELETE') throw validation(constraintMessage(after, 'actionAfterCompletion', 'Member must satisfy enum value set: [NONE, DELETE]'));
    if (input.Description !== undefined && input.Description.length > 512) {
      throw validation(constraintMessage(input.Description, 'description', 'Member must have length less than or equal to 512 and greater than or equal to 0'));
    }
    return {
      scheduleExpression: expression,
      ...(timezone !== undefined ? { scheduleExpressionTimezone: timezone } : {}),
      ...(fireAt !== undefined ? { fireAt } : {}),
      ...(input.Description !== undefined ? { description: input.Description } : {}),
      state,
      actionAfterCompletion: after,
      flexibleTimeWindow: { Mode: window.Mode, ...(minutes !== undefined ? { MaximumWindowInMinutes: minutes } : {}) },
      target: structuredClone(target),
      ...(input.StartDate ? { startDate: new Date(input.StartDate) } : {}),
      ...(input.EndDate ? { endDate: new Date(input.EndDate) } : {}),
      ...(input.KmsKeyArn ? { kmsKeyArn: input.KmsKeyArn } : {}),
    };
  }

  private addGroup(region: string, name: string, tags: Group['tags']): Group {
    const now = this.clock.now();
    const g: Group = { region, name, arn: `arn:${partitionOf(region)}:scheduler:${region}:${this.accountId}:schedule-group/${name}`, creationDate: now, lastModificationDate: now, tags };
    this.groups.set(key(region, name), g);
    return g;
  }

  private group(region: string, name: string, create: boolean): Group {
    const g = this.groups.get(key(region, name));
    if (g) return g;
    // Every account has the default group in every Region.
    if (name === DEFAULT_GROUP || create) return this.addGroup(region, name, []);
    throw notFound(`Schedule group ${name} does not exist.`);
  }

  private schedule(region: string, groupName: string, name: string): Schedule {
    const s = this.schedules.get(scheduleKey(region, groupName, name));
    if (!s) throw notFound(`Schedule ${name} does not exist.`);
    return s;
  }

  private scheduleArn(region: string, groupName: string, name: string): string {
    return `arn:${partitionOf(region)}:scheduler:${region}:${this.accountId}:schedule/${groupName}/${name}`;
  }
}

const key = (region: string, name: string) => `${region}/${name}`;
const scheduleKey = (region: string, group: string, name: string) => `${region}/${group}/${name}`;
const pick = (s: Schedule) => ({ region: s.region, groupName: s.groupName, name: s.name, arn: s.arn, creationDate: s.creationDate });

function checkName(value: string | undefined, at: string): string {
  const v = value ?? '';
  if (v.length < 1 || v.length > 64) throw validation(constraintMessage(v, at, 'Member must have length less than or equal to 64 and greater than or equal to 1'));
  if (!NAME.test(v)) throw validation(constraintMessage(v, at, 'Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$'));
  return v;
}

function paginate<T>(all: T[], maxResults: number | undefined, token: string | undefined): { page: T[]; next?: string } {
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100)) {
    throw validation(constraintMessage(maxResults, 'maxResults', 'Member must have value less than or equal to 100 and greater than or equal to 1'));
  }
  const start = token === undefined ? 0 : decodeToken(token);
  if (start === undefined) throw validation('Invalid NextToken.');
  const size = maxResults ?? 100;
  const page = all.slice(start, start + size);
  return start + size < all.length ? { page, next: encodeToken(start + size) } : { page };
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The instant at which the wall-clock time `wall` (its fields read as UTC) is reached in `zone`. */
function zonedToUtc(wall: number, zone: string): number {
  if (zone === 'UTC') return wall;
  const offsetAt = (instant: number) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(new Date(instant))
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!) - instant;
  };
  const guess = wall - offsetAt(wall);
  return wall - offsetAt(guess);
}
