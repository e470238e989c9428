/**
 * Turns reconcile outcomes into what on-call reads: one log line per decision (principal,
 * cluster, action, reason) and a metric per kind of change. A grant refused at the access-entry
 * quota's headroom logs "access entry quota reached" with the entries used and the limit, and
 * counts `QuotaRefused`. An entry revoked because the principal's `<prefix>-expires` passed logs
 * "access expired" (principal, cluster, expiresAt) instead, and counts `Expired` besides `Revoked`
 * (so `Revoked` stays the count of every revocation). The expiry schedules log what changed
 * ("expiry scheduled", "expiry schedule deleted", "expiry schedule failed" with `ScheduleFailed`);
 * when they are not deployed, that is logged once per container.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PrincipalOutcome } from './reconcile.ts';
import type { ScheduleOutcome } from './expiry.ts';

const METRIC_OF: Record<string, string> = {
  grant: 'Granted',
  change: 'Changed',
  replace: 'Changed',
  revoke: 'Revoked',
  skip: 'Skipped',
  'cluster-not-ready': 'ClusterNotReady',
  'quota-refused': 'QuotaRefused',
  error: 'Failed',
};

export function recordOutcome(outcome: PrincipalOutcome, logger: Logger, metrics: Metrics): void {
  const principal = outcome.principal.arn ?? `${outcome.principal.kind}/${outcome.principal.name}`;
  // Identity Center roles: the permission set whose tags decided, so on-call knows where to look.
  const from = outcome.permissionSet !== undefined ? { permissionSet: outcome.permissionSet } : {};
  if (outcome.status === 'rejected') {
    for (const p of outcome.problems ?? []) {
      logger.warn('access tag rejected', { principal, ...from, tagKey: p.key, tagValue: p.value, kind: p.kind, reason: p.message });
    }
    metrics.addMetric('Rejected', MetricUnit.Count, 1);
    if (outcome.problems?.some((p) => p.kind === 'ceiling')) metrics.addMetric('RejectedAboveCeiling', MetricUnit.Count, 1);
    return;
  }
  if (outcome.status === 'ignored') {
    logger.info('principal ignored', { principal, reason: outcome.reason });
    return;
  }
  for (const c of outcome.clusters) {
    const fields = { principal, ...from, cluster: c.cluster, region: c.region, action: c.action, reason: c.reason, ops: c.ops };
    if (c.expiredAt !== undefined) {
      logger.info('access expired', { ...fields, expiresAt: c.expiredAt });
      metrics.addMetric('Expired', MetricUnit.Count, 1);
    } else if (c.action === 'quota-refused') logger.warn('access entry quota reached', { ...fields, used: c.quota?.used, limit: c.quota?.limit });
    else if (c.action === 'error') logger.error('access decision', fields);
    else if (c.action === 'cluster-not-ready' || c.action === 'skip') logger.warn('access decision', fields);
    else logger.info('access decision', fields);
    const metric = METRIC_OF[c.action];
    if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
  }
  if (outcome.schedule) recordSchedule(outcome.schedule, logger, metrics, principal);
}

let notDeployedLogged = false;

/** One expiry schedule outcome: a log line when something changed or failed, nothing when it was already right. */
export function recordSchedule(o: ScheduleOutcome, logger: Logger, metrics: Metrics, principal = o.principalArn): void {
  const fields = { principal, schedule: o.name, expiresAt: o.expiresAt, action: o.action, ...(o.reason !== undefined ? { reason: o.reason } : {}) };
  switch (o.action) {
    case 'created':
    case 'updated':
      logger.info('expiry scheduled', fields);
      return;
    case 'deleted':
      logger.info('expiry schedule deleted', fields);
      return;
    case 'error':
      logger.error('expiry schedule failed', fields);
      metrics.addMetric('ScheduleFailed', MetricUnit.Count, 1);
      return;
    case 'not-deployed':
      if (notDeployedLogged) return;
      notDeployedLogged = true;
      logger.warn('expiry schedules not deployed', {
        ...fields,
        reason: 'EAP_EXPIRY_SCHEDULE_GROUP, EAP_EXPIRY_TARGET_ARN and EAP_EXPIRY_SCHEDULER_ROLE_ARN are not set: expired access is revoked by the resync, not on time',
      });
      return;
    default:
      return;
  }
}
