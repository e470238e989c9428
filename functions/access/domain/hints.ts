/**
 * What the provisioner is asked to do, from either of its two inputs. Pure.
 *
 * - An IAM CloudTrail event delivered by EventBridge (events.ts, interpretEvent).
 * - The input of an expiry schedule that fired (`{"eks-access-pilot": "expiry", "principalArn",
 *   "expiresAt"}`, expiry.ts): a hint for that one principal, like any event. The provisioner
 *   re-reads its tags and converges: a passed expiry revokes, an extended one reschedules, a
 *   removed one leaves the grant as the tags say. `expiresAt` sets the clock only within
 *   Scheduler's precision (expiry.ts, clockForFiredSchedule); it is never taken as the tag's value.
 */
import * as z from '#kernel/zod-mini';
import { formatIssues } from '#kernel/config';
import { parsePrincipalArn } from '#kernel/principal';
import { MalformedEventError } from './errors.ts';
import { interpretEvent, type EventHint } from './events.ts';
import { EXPIRY_INPUT_MARKER, parseExpiry } from './expiry.ts';

export interface Hint extends EventHint {
  /** For a fired expiry schedule: the expiry it was made for. */
  expiresAt?: string;
}

/** The event name a fired expiry schedule is reported under (log lines, explain-event). */
export const EXPIRY_FIRED = 'ExpiryScheduleFired';

const ExpiryInputSchema = z.strictObject({
  [EXPIRY_INPUT_MARKER]: z.literal('expiry'),
  principalArn: z.string().check(z.refine((a) => parsePrincipalArn(a) !== undefined, 'must be an IAM role or user ARN')),
  expiresAt: z.string().check(
    z.superRefine((v, ctx) => {
      const r = parseExpiry(v);
      if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, input: v });
    }),
  ),
});

function isExpiryInput(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && EXPIRY_INPUT_MARKER in raw;
}

/**
 * Decides what the provisioner does with one input.
 * @throws MalformedEventError naming the field, for an expiry input or event that is not well-formed.
 */
export function interpretHint(raw: unknown, options: { tagPrefix: string }): Hint {
  if (!isExpiryInput(raw)) return interpretEvent(raw, options);
  const r = ExpiryInputSchema.safeParse(raw);
  if (!r.success) throw new MalformedEventError(`expiry schedule input: ${formatIssues(r.error).split('\n').join('; ')}`, { cause: r.error });
  const { principalArn, expiresAt } = r.data;
  const p = parsePrincipalArn(principalArn)!;
  const principal = { kind: p.kind, name: p.name, account: p.account, arn: principalArn };
  return {
    action: 'reconcile',
    principal,
    principals: [principal],
    reason:
      `the expiry schedule of ${p.kind} ${p.name} fired for ${expiresAt}; it is only a hint: the provisioner re-reads the current tags,` +
      ` revokes the access this system granted if the expiry has passed, and reschedules if it was extended`,
    eventName: EXPIRY_FIRED,
    expiresAt,
  };
}
