/**
 * Keeps each principal's expiry schedule (adapters/expiry-schedules.ts) in step with its tags:
 * the provisioner for the principal of an event, the resync for every principal (and the
 * schedules whose principal is gone). A schedule only hints: when it fires, the provisioner
 * re-reads the tags, so a stale schedule costs one harmless invocation, and the resync revokes
 * an expired grant whether or not its schedule fired.
 */
import pLimit from 'p-limit';
import type { DesiredAccess } from '#access/domain/tags';
import type { PrincipalAccess } from '#access/domain/identity-center';
import { parseExpiry } from '#access/domain/expiry';
import { parsePrincipalArn, principalKey, principalKeyOfArn, type Principal, type PrincipalRef } from '#kernel/principal';
import { expiryScheduleName, type ExpirySchedule, type ExpirySchedules } from '#access/adapters/expiry-schedules';
import type { IamReader } from '#platform/iam-principals';
import type { SweepAccess } from './access-source.ts';

export interface ScheduleOutcome {
  /**
   * `none`: no schedule wanted and none there; `unchanged`: it already says the right thing;
   * `not-deployed`: a future expiry, but the schedules are not deployed (the resync revokes).
   */
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'none' | 'not-deployed' | 'error';
  name?: string;
  principalArn?: string;
  expiresAt?: string;
  reason?: string;
}

/** The schedule a principal should have: one when its tags are valid and carry a future expiry. */
function wanted(principal: Principal | null, desired: DesiredAccess | null | undefined): ExpirySchedule | undefined {
  if (!principal || !desired?.ok || desired.expiresAt === undefined || desired.expired) return undefined;
  const parsed = parseExpiry(desired.expiresAt);
  const key = principalKeyOfArn(principal.arn);
  if (!parsed.ok || key === undefined) return undefined;
  return { name: expiryScheduleName(key), principalArn: principal.arn, expiresAt: desired.expiresAt, at: parsed.at };
}

function failed(name: string, e: unknown, extra: Partial<ScheduleOutcome> = {}): ScheduleOutcome {
  const err = e as Error;
  return { action: 'error', name, ...extra, reason: `${err.name}: ${err.message}` };
}

/**
 * The provisioner's step for one principal, after its clusters: create or move the schedule when
 * the tags carry a future expiry; delete it when the expiry went, has passed, or the principal is
 * gone. Invalid tags change nothing (the caller does not get here). Cost: one call
 * (CreateSchedule, or DeleteSchedule that usually finds nothing), two when the schedule exists
 * (CreateSchedule's ConflictException, then UpdateSchedule).
 */
export async function syncPrincipalSchedule(
  ref: PrincipalRef,
  principal: Principal | null,
  desired: DesiredAccess | null,
  schedules: ExpirySchedules | undefined,
): Promise<ScheduleOutcome | undefined> {
  if (desired && !desired.ok) return undefined;
  const want = wanted(principal, desired);
  if (!schedules) return want ? { action: 'not-deployed', principalArn: want.principalArn, expiresAt: want.expiresAt } : undefined;
  const key = principal ? principalKeyOfArn(principal.arn) : ref.account !== undefined ? principalKey({ ...ref, account: ref.account }) : undefined;
  // A deleted principal named without its account: its schedule, if any, is the resync's to remove.
  if (key === undefined) return undefined;
  const name = expiryScheduleName(key);
  try {
    if (want) return { action: await schedules.put(want), name, principalArn: want.principalArn, expiresAt: want.expiresAt };
    return { action: (await schedules.remove(name)) ? 'deleted' : 'none', name, ...(principal ? { principalArn: principal.arn } : {}) };
  } catch (e) {
    return failed(name, e, want ? { principalArn: want.principalArn, expiresAt: want.expiresAt } : {});
  }
}

export interface ScheduleSweepDeps {
  iam: IamReader;
  expirySchedules?: ExpirySchedules;
}

/**
 * The resync's step: every principal with a future expiry gets its schedule (created when
 * missing, rewritten when it says another instant or input); every schedule of this system in the
 * group that no principal wants is an orphan, deleted after a fresh read of its principal (the
 * snapshot is minutes old: a principal tagged since keeps, or gets, its schedule). Principals whose
 * tags are invalid or unread keep whatever schedule they have (nothing changes for them).
 * Cost: ListSchedules (pages of 100), GetSchedule per principal with a future expiry whose
 * schedule is listed, a write per difference, and GetSchedule + GetRole/GetUser + DeleteSchedule
 * per orphan.
 */
export async function sweepSchedules(
  listed: Iterable<{ principal: Principal; access: PrincipalAccess | undefined }>,
  deps: ScheduleSweepDeps,
  sweep: SweepAccess,
  concurrency = 10,
): Promise<ScheduleOutcome[]> {
  const want = new Map<string, ExpirySchedule>();
  const keep = new Set<string>();
  for (const { principal, access } of listed) {
    const key = principalKeyOfArn(principal.arn);
    if (key === undefined) continue;
    if (!access?.desired.ok) keep.add(expiryScheduleName(key));
    const s = wanted(principal, access?.desired);
    if (s) want.set(s.name, s);
  }
  const schedules = deps.expirySchedules;
  if (!schedules) {
    const first = want.values().next().value;
    return first ? [{ action: 'not-deployed', principalArn: first.principalArn, expiresAt: first.expiresAt, reason: `${want.size} principal(s) with a future expiry` }] : [];
  }
  let names: Set<string>;
  try {
    names = new Set(await schedules.list());
  } catch (e) {
    return [failed(`${schedules.group}/*`, e)];
  }
  const limit = pLimit(concurrency);
  const work: Array<Promise<ScheduleOutcome>> = [];
  for (const s of want.values()) {
    const fields = { name: s.name, principalArn: s.principalArn, expiresAt: s.expiresAt };
    work.push(
      limit(async (): Promise<ScheduleOutcome> => {
        try {
          if (!names.has(s.name)) return { action: await schedules.put(s), ...fields };
          const current = await schedules.get(s.name);
          if (!current) return { action: await schedules.put(s), ...fields };
          if (schedules.matches(current, s)) return { action: 'unchanged', ...fields };
          await schedules.update(s);
          return { action: 'updated', ...fields };
        } catch (e) {
          return failed(s.name, e, fields);
        }
      }),
    );
  }
  for (const name of names) {
    if (want.has(name) || keep.has(name)) continue;
    work.push(limit(() => orphan(name, schedules, deps.iam, sweep)));
  }
  return (await Promise.all(work)).filter((o) => o.action !== 'unchanged');
}

/** A listed schedule no principal of the snapshot wants: re-read its principal, then delete or keep it. */
async function orphan(name: string, schedules: ExpirySchedules, iam: IamReader, sweep: SweepAccess): Promise<ScheduleOutcome> {
  try {
    const current = await schedules.get(name);
    if (!current) return { action: 'none', name };
    const arn = principalArnOf(current.input);
    const ref = arn !== undefined ? parsePrincipalArn(arn) : undefined;
    const fresh = ref ? await iam.getPrincipal(ref) : null;
    const access = fresh ? sweep.of(fresh) : undefined;
    if (fresh && (!access || !access.desired.ok)) return { action: 'unchanged', name };
    const s = wanted(fresh, access?.desired);
    if (s && s.name === name) {
      await schedules.update(s);
      return { action: 'updated', name, principalArn: s.principalArn, expiresAt: s.expiresAt };
    }
    await schedules.remove(name);
    return { action: 'deleted', name, ...(arn !== undefined ? { principalArn: arn } : {}), reason: fresh ? 'no future expiry' : 'principal gone' };
  } catch (e) {
    return failed(name, e);
  }
}

function principalArnOf(input: string | undefined): string | undefined {
  try {
    const v = JSON.parse(input ?? 'null') as { principalArn?: unknown } | null;
    return typeof v?.principalArn === 'string' ? v.principalArn : undefined;
  } catch {
    return undefined;
  }
}
