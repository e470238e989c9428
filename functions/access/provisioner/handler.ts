/**
 * The provisioner: EventBridge delivers IAM's CloudTrail events (asynchronous invoke, so a
 * thrown error is retried by Lambda and then sent to the on-failure queue). An event is a
 * hint: the handler re-reads the principal's current tags and converges every managed cluster.
 * An expiry schedule that fires (EventBridge Scheduler, adapters/expiry-schedules.ts) invokes it
 * too, with a hint for one principal (domain/hints.ts).
 */
import type { Context } from 'aws-lambda';
import { interpretHint } from '#access/domain/hints';
import { clockForFiredSchedule } from '#access/domain/expiry';
import { ReconcileFailedError } from '#access/domain/errors';
import { instrument, logger, metrics } from '#platform/powertools';
import { reconcilePrincipal, type PrincipalOutcome } from '#access/reconcile';
import { recordOutcome } from '#access/report';
import { reconcileDepsFromEnv } from '#access/runtime';

const deps = reconcileDepsFromEnv();

export async function provision(event: unknown, _context?: Context): Promise<PrincipalOutcome[] | { ignored: string }> {
  const hint = interpretHint(event, { tagPrefix: deps.runtime.config.tagPrefix });
  if (hint.action === 'ignore' || hint.principals.length === 0) {
    logger.info('event ignored', { eventName: hint.eventName, principal: hint.principal?.name, reason: hint.reason });
    metrics.addMetric('EventsIgnored', 'Count', 1);
    return { ignored: hint.reason };
  }
  // One after the other: a renamed user's old name is converged (its entries removed) before
  // the new one is granted, and each principal is logged and counted on its own.
  const outcomes: PrincipalOutcome[] = [];
  for (const principal of hint.principals) {
    // A fired schedule's expiry counts as reached within Scheduler's precision (domain/expiry.ts).
    const now = deps.now ? deps.now() : new Date();
    const outcome = await reconcilePrincipal(principal, deps, hint.expiresAt !== undefined ? clockForFiredSchedule(now, hint.expiresAt) : now);
    recordOutcome(outcome, logger, metrics);
    outcomes.push(outcome);
  }
  const failed = outcomes.flatMap((o) => [
    ...o.clusters.filter((c) => c.action === 'error').map((c) => `${o.principal.kind} ${o.principal.name}: ${c.cluster}: ${c.reason}`),
    ...(o.schedule?.action === 'error' ? [`${o.principal.kind} ${o.principal.name}: expiry schedule ${o.schedule.name}: ${o.schedule.reason}`] : []),
  ]);
  if (failed.length) {
    // Converging is idempotent, so Lambda's retry of the whole event is safe.
    throw new ReconcileFailedError(failed.join('; '));
  }
  return outcomes;
}

export const handler = instrument(provision);
