/**
 * The provisioner: EventBridge delivers IAM's CloudTrail events (asynchronous invoke, so a
 * thrown error is retried by Lambda and then sent to the on-failure queue). An event is a
 * hint: the handler re-reads the principal's current tags and converges every managed cluster.
 */
import type { Context } from 'aws-lambda';
import { interpretEvent } from '#access/domain/events';
import { ReconcileFailedError } from '#access/domain/errors';
import { instrument, logger, metrics } from '#platform/powertools';
import { reconcilePrincipal, type PrincipalOutcome } from '#access/reconcile';
import { recordOutcome } from '#access/report';
import { reconcileDepsFromEnv } from '#access/runtime';

const deps = reconcileDepsFromEnv();

export async function provision(event: unknown, _context?: Context): Promise<PrincipalOutcome | { ignored: string }> {
  const hint = interpretEvent(event, { tagPrefix: deps.runtime.config.tagPrefix });
  if (hint.action === 'ignore' || !hint.principal) {
    logger.info('event ignored', { eventName: hint.eventName, principal: hint.principal?.name, reason: hint.reason });
    metrics.addMetric('EventsIgnored', 'Count', 1);
    return { ignored: hint.reason };
  }
  const outcome = await reconcilePrincipal(hint.principal, deps);
  recordOutcome(outcome, logger, metrics);
  const failed = outcome.clusters.filter((c) => c.action === 'error');
  if (failed.length) {
    // Converging is idempotent, so Lambda's retry of the whole event is safe.
    throw new ReconcileFailedError(
      `${hint.principal.kind} ${hint.principal.name}: ${failed.map((c) => `${c.cluster}: ${c.reason}`).join('; ')}`,
    );
  }
  return outcome;
}

export const handler = instrument(provision);
