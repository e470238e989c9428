/**
 * The scheduled full sweep: every IAM principal against every managed cluster, repairing
 * what lost or reordered events left behind, revoking every grant whose expiry has passed (the
 * backstop of the expiry schedules) and keeping those schedules in step. Zero writes when
 * everything is in sync.
 */
import type { Context } from 'aws-lambda';
import { ReconcileFailedError } from '#access/domain/errors';
import { instrument, logger, metrics } from '#platform/powertools';
import { resyncAll, type ResyncSummary } from '#access/reconcile';
import { recordOutcome, recordSchedule } from '#access/report';
import { reconcileDepsFromEnv } from '#access/runtime';
import { SWEEP_RETRY } from '#platform/clients';

// The sweep's throttles are its own rate's: adaptive mode (platform/clients.ts, SWEEP_RETRY).
const deps = reconcileDepsFromEnv(process.env, SWEEP_RETRY);

export interface ResyncResult {
  principals: number;
  changed: number;
  rejected: number;
  clustersNotReady: string[];
  failedClusters: string[];
}

export async function resync(_event: unknown, _context?: Context): Promise<ResyncResult> {
  const summary: ResyncSummary = await resyncAll(deps);
  for (const o of [...summary.rejected, ...summary.outcomes]) recordOutcome(o, logger, metrics);
  for (const s of summary.schedules) recordSchedule(s, logger, metrics);
  const scheduleErrors = summary.schedules.filter((s) => s.action === 'error');
  for (const c of summary.clustersNotReady) logger.warn('cluster skipped', { cluster: c, reason: summary.notReadyReasons[c] });
  const changed = summary.outcomes.reduce((n, o) => n + o.clusters.filter((c) => c.ops.length > 0).length, 0);
  const errors = summary.outcomes.flatMap((o) => o.clusters.filter((c) => c.action === 'error'));
  logger.info('resync finished', { principals: summary.principals, changed, rejected: summary.rejected.length, clustersNotReady: summary.clustersNotReady, failedClusters: summary.failedClusters });
  const ic = summary.identityCenterUnreadable;
  if (ic) logger.error('permission sets unreadable', { reason: ic.reason, rolesLeftAlone: ic.roles });
  if (summary.failedClusters.length || errors.length || ic || scheduleErrors.length) {
    throw new ReconcileFailedError(
      `resync incomplete: ${[
        ...summary.failedClusters.map((c) => `${c}: could not be read`),
        ...errors.map((e) => `${e.cluster}: ${e.reason}`),
        ...scheduleErrors.map((s) => `expiry schedule ${s.name}: ${s.reason}`),
        ...(ic ? [`Identity Center permission sets could not be read (${ic.reason}); ${ic.roles.length} Identity Center role(s) left unchanged`] : []),
      ].join('; ')}`,
    );
  }
  return { principals: summary.principals, changed, rejected: summary.rejected.length, clustersNotReady: summary.clustersNotReady, failedClusters: summary.failedClusters };
}

export const handler = instrument(resync);
