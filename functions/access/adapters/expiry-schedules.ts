/**
 * On-time revocation: one EventBridge Scheduler one-time schedule per principal with a future
 * `<prefix>-expires`, in the schedule group the app owns. When it fires, Scheduler invokes the
 * provisioner with `ExpiryInput` (domain/expiry.ts), a hint for that principal: it re-reads the
 * tags and converges, so an extended expiry just reschedules and a passed one revokes.
 *
 * Requests follow the EventBridge Scheduler API Reference (CreateSchedule, UpdateSchedule,
 * DeleteSchedule, GetSchedule, ListSchedules): `at(yyyy-mm-ddThh:mm:ss)` with
 * `ScheduleExpressionTimezone: UTC`, no flexible window, and `ActionAfterCompletion: DELETE` so a
 * schedule that has fired removes itself. A schedule name is 1–64 characters of
 * `[0-9a-zA-Z-_.]` and unique within its group: `eap-expiry-` and 40 hex digits of the sha256 of
 * the principal key (kernel/principal.ts), 51 characters, the same for the principal whatever its
 * path or the case of its name.
 */
import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  paginateListSchedules,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { ConfigError } from '#kernel/config';
import { expiryInput } from '#access/domain/expiry';
import { schedulerClient } from '#platform/clients';

export const EXPIRY_SCHEDULE_PREFIX = 'eap-expiry-';

/** The environment the deployment sets when the schedules are deployed (all three, or none). */
export const EXPIRY_ENV = {
  group: 'EAP_EXPIRY_SCHEDULE_GROUP',
  targetArn: 'EAP_EXPIRY_TARGET_ARN',
  roleArn: 'EAP_EXPIRY_SCHEDULER_ROLE_ARN',
} as const;

/** Optional: an SQS queue for invocations Scheduler could not deliver (Target.DeadLetterConfig). */
export const EXPIRY_DEAD_LETTER_ENV = 'EAP_EXPIRY_DEAD_LETTER_ARN';

export interface ExpiryScheduleSettings {
  /** The schedule group the app owns. */
  group: string;
  /** The provisioner function: what a schedule invokes. */
  targetArn: string;
  /** The role Scheduler assumes to invoke it (passed with iam:PassRole). */
  roleArn: string;
  /** Where Scheduler sends an invocation it could not deliver, when set. */
  deadLetterArn?: string;
}

/**
 * The settings from the function's environment; undefined when none of the variables is set (the
 * schedules are not deployed: the resync alone revokes). Some but not all is a deployment error.
 */
export function expiryScheduleSettingsFromEnv(env: NodeJS.ProcessEnv): ExpiryScheduleSettings | undefined {
  const values = { group: env[EXPIRY_ENV.group], targetArn: env[EXPIRY_ENV.targetArn], roleArn: env[EXPIRY_ENV.roleArn] };
  const missing = (Object.keys(EXPIRY_ENV) as Array<keyof typeof EXPIRY_ENV>).filter((k) => !values[k]).map((k) => EXPIRY_ENV[k]);
  if (missing.length === 3) return undefined;
  if (missing.length) throw new ConfigError(`${missing.join(', ')} not set: the expiry schedules need ${Object.values(EXPIRY_ENV).join(', ')} together`);
  const deadLetterArn = env[EXPIRY_DEAD_LETTER_ENV];
  return { ...(values as Omit<ExpiryScheduleSettings, 'deadLetterArn'>), ...(deadLetterArn ? { deadLetterArn } : {}) };
}

/** The schedule name of a principal key (`account:kind:name`). */
export function expiryScheduleName(principalKey: string): string {
  return EXPIRY_SCHEDULE_PREFIX + createHash('sha256').update(principalKey).digest('hex').slice(0, 40);
}

/** `at(yyyy-mm-ddThh:mm:ss)` of an instant, in UTC. */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/** One principal's schedule as the provisioner wants it. */
export interface ExpirySchedule {
  name: string;
  principalArn: string;
  /** The tag's value, as written. */
  expiresAt: string;
  /** Its instant. */
  at: Date;
}

/** What a schedule holds now, as far as deciding whether to rewrite it goes. */
export interface CurrentSchedule {
  expression?: string;
  input?: string;
}

export interface ExpirySchedules {
  readonly group: string;
  /** CreateSchedule; when it exists already (ConflictException), UpdateSchedule with the whole definition. */
  put(s: ExpirySchedule): Promise<'created' | 'updated'>;
  /** UpdateSchedule of a schedule known to exist. */
  update(s: ExpirySchedule): Promise<void>;
  /** GetSchedule; null when there is none. */
  get(name: string): Promise<CurrentSchedule | null>;
  /** DeleteSchedule; false when there was none (ResourceNotFoundException). */
  remove(name: string): Promise<boolean>;
  /** The names of this system's schedules in the group (ListSchedules, every page). */
  list(): Promise<string[]>;
  /** Whether a schedule already says what `s` wants (expression and input). */
  matches(current: CurrentSchedule, s: ExpirySchedule): boolean;
}

/** ListSchedules' largest page (API Reference, ListSchedules `MaxResults`: 1–100). */
const PAGE_SIZE = 100;

export function expirySchedules(settings: ExpiryScheduleSettings, client: SchedulerClient = schedulerClient()): ExpirySchedules {
  const definition = (s: ExpirySchedule): CreateScheduleCommandInput => ({
    Name: s.name,
    GroupName: settings.group,
    Description: `eks-access-pilot: access of ${s.principalArn} expires at ${s.expiresAt}`.slice(0, 512),
    ScheduleExpression: atExpression(s.at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: settings.targetArn,
      RoleArn: settings.roleArn,
      Input: JSON.stringify(expiryInput(s.principalArn, s.expiresAt)),
      ...(settings.deadLetterArn ? { DeadLetterConfig: { Arn: settings.deadLetterArn } } : {}),
    },
  });
  return {
    group: settings.group,
    async put(s) {
      try {
        await client.send(new CreateScheduleCommand(definition(s)));
        return 'created';
      } catch (e) {
        if (!(e instanceof ConflictException)) throw e;
      }
      await client.send(new UpdateScheduleCommand(definition(s)));
      return 'updated';
    },
    async update(s) {
      await client.send(new UpdateScheduleCommand(definition(s)));
    },
    async get(name) {
      try {
        const r = await client.send(new GetScheduleCommand({ Name: name, GroupName: settings.group }));
        return { ...(r.ScheduleExpression ? { expression: r.ScheduleExpression } : {}), ...(r.Target?.Input ? { input: r.Target.Input } : {}) };
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return null;
        throw e;
      }
    },
    async remove(name) {
      try {
        await client.send(new DeleteScheduleCommand({ Name: name, GroupName: settings.group }));
        return true;
      } catch (e) {
        if (e instanceof ResourceNotFoundException) return false;
        throw e;
      }
    },
    async list() {
      const names: string[] = [];
      const pages = paginateListSchedules({ client, pageSize: PAGE_SIZE }, { GroupName: settings.group, NamePrefix: EXPIRY_SCHEDULE_PREFIX });
      for await (const page of pages) for (const s of page.Schedules ?? []) if (s.Name) names.push(s.Name);
      return names;
    },
    matches(current, s) {
      const want = definition(s);
      return current.expression === want.ScheduleExpression && current.input === want.Target!.Input;
    },
  };
}
