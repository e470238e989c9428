/**
 * Time-bound access: the `<prefix>-expires` tag (docs/architecture.md, "The tag contract"). Pure:
 * the caller passes the clock (`now`), so the resync, the provisioner, the sandbox and the tests
 * all judge an expiry against the instant they choose.
 *
 * The value is an ISO-8601 instant in UTC, to the minute or the second: `2026-12-03T06:00Z`,
 * `2026-12-03T06:00:30Z` (IAM allows `:` in tag values). Nothing else is accepted: a local time
 * (no `Z`) or an offset (`+02:00`) is refused rather than converted, so the one spelling a person
 * reads in the IAM console is the instant access ends; a date that does not exist (`2026-02-30`,
 * `2025-02-29`) is refused rather than rolled over into the next month, which `Date` would do.
 */

/** The tag key of the expiry, for a prefix: `eks-access-expires`. Compared ignoring case, like the other fixed keys. */
export function expiryKey(prefix: string): string {
  return `${prefix}-expires`;
}

export type ParsedExpiry = { ok: true; at: Date } | { ok: false; message: string };

const FORM = 'YYYY-MM-DDThh:mmZ or YYYY-MM-DDThh:mm:ssZ, in UTC';
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?Z$/;
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?[+-]\d{2}(:?\d{2})?$/;

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Parses an expiry tag value; the message says what is wrong and how to write it. */
export function parseExpiry(value: string): ParsedExpiry {
  const m = INSTANT.exec(value);
  if (!m) {
    if (OFFSET.test(value)) return { ok: false, message: `"${value}" is not in UTC: write the instant in UTC with a trailing Z (${FORM})` };
    if (LOCAL.test(value)) return { ok: false, message: `"${value}" has no time zone: write the instant in UTC with a trailing Z (${FORM})` };
    return { ok: false, message: `"${value}" is not an instant of the form ${FORM}` };
  }
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return { ok: false, message: `"${value}": there is no month ${month}` };
  if (day < 1 || day > daysIn(year, month)) return { ok: false, message: `"${value}": ${m[1]}-${m[2]} has no day ${day}` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, message: `"${value}": ${m[4]}:${m[5]}${m[6] ? `:${m[6]}` : ''} is not a time of day (00:00 to 23:59:59)` };
  return { ok: true, at: new Date(Date.UTC(year, month - 1, day, hour, minute, second)) };
}

/** True once the instant is reached: an expiry equal to `now` has passed (access ends at that instant). */
export function hasPassed(at: Date, now: Date): boolean {
  return at.getTime() <= now.getTime();
}

/** The marker of the input an expiry schedule sends the provisioner (adapters/expiry-schedules.ts). */
export const EXPIRY_INPUT_MARKER = 'eks-access-pilot';

/** What an expiry schedule sends the provisioner when it fires: a hint for one principal. */
export interface ExpiryInput {
  'eks-access-pilot': 'expiry';
  principalArn: string;
  /** The expiry the schedule was made for, as the tag wrote it. */
  expiresAt: string;
}

export function expiryInput(principalArn: string, expiresAt: string): ExpiryInput {
  return { [EXPIRY_INPUT_MARKER]: 'expiry', principalArn, expiresAt };
}

/**
 * EventBridge Scheduler invokes a target "with 60 second precision": a schedule for 1:00 runs
 * between 1:00:00 and 1:00:59 (EventBridge Scheduler User Guide, "Schedule types"). An expiry to
 * the second may therefore fire up to a minute before it, and a clock a few milliseconds behind
 * Scheduler's would see an expiry to the minute as not yet reached. When a schedule fires, the
 * provisioner judges its expiry as reached if it is at most this far ahead: access ends within
 * Scheduler's own precision, and the schedule is not re-created for an instant already due.
 */
export const SCHEDULER_PRECISION_MS = 60_000;

/** The clock the provisioner uses for a fired schedule's principal (see SCHEDULER_PRECISION_MS). */
export function clockForFiredSchedule(now: Date, expiresAt: string): Date {
  const parsed = parseExpiry(expiresAt);
  if (!parsed.ok) return now;
  const ahead = parsed.at.getTime() - now.getTime();
  return ahead > 0 && ahead <= SCHEDULER_PRECISION_MS ? parsed.at : now;
}
