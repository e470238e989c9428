/**
 * Task "Roll back" (docs/architecture.md, "Safety invariants" 7): undoes exactly what this execution did, then hands the Fail
 * state its Error and Cause.
 *  - Works out which step failed from the step results present in the state (failedStep).
 *  - Deletes the access entries tagged with THIS execution (never any other entry) — unless the
 *    cluster is in API mode or switching to it, where those entries are the only access left and
 *    deleting them would lock people out; then they are kept and the Cause says why.
 *  - Restores aws-auth by merging the backup back (rows missing now are re-added; rows EKS or
 *    anyone added meanwhile stay), written with the resourceVersion read, so a concurrent edit is
 *    a 409 and the whole task is retried (it is idempotent).
 *  - Cannot revert the authentication mode: EKS only moves forward (CONFIG_MAP →
 *    API_AND_CONFIG_MAP → API); the Cause says so.
 * Anything it could not undo makes it fail with RollbackIncompleteError, whose message says what
 * was and was not undone; the state machine reports that as "Rollback failed", never swallowed.
 */
import { describeCluster } from '#platform/clusters';
import { createdByExecution } from '#kernel/ownership';
import { RollbackIncompleteError } from '#migration/domain/errors';
import { entriesDecision, failedStep, mergeAwsAuth, rollbackCause, type RollbackOutcome } from '#migration/domain/rollback';
import { RollbackStateSchema, type BackupDocument } from '#workflows/contract';
import pLimit from 'p-limit';
import { accessEntries } from '#platform/access-entries';
import { ConcurrentEditError, KubernetesAccessError } from '#migration/adapters/aws-auth-store';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { TASK_CONCURRENCY, kubernetesTarget, parseState } from './common.ts';
import { withKubernetes } from '#migration/kubernetes-ports';
import { productionPorts, type MigrationPorts } from '#migration/ports';

export interface RollbackResult {
  error: string;
  cause: string;
  deletedEntries: number;
  restoredRows: number;
}

export function makeRollback(ports: MigrationPorts) {
  return async function rollback(event: unknown): Promise<RollbackResult> {
    const s = parseState(RollbackStateSchema, event, 'Roll back');
    const { run } = s;
    const failed = failedStep(s);
    logger.info('rolling back', { cluster: run.clusterName, failedStep: failed.step, reason: failed.reason });

    const eks = ports.eks(run.region);
    const cluster = await describeCluster(eks, run.clusterName);
    const modeNow = cluster.authenticationMode;
    const updating = cluster.status === 'UPDATING';
    const incomplete: string[] = [];

    // ----- access entries -----
    const deleted: string[] = [];
    const decision = entriesDecision(modeNow, updating);
    const entriesKeptBecause = decision.keptBecause;
    if (decision.delete) {
      const entries = accessEntries(eks, run.clusterName);
      const ours = (await entries.readAll()).filter((e) => createdByExecution(e, run.executionName));
      await pLimit(TASK_CONCURRENCY).map(ours, async (e) => {
        try {
          await entries.remove(e.principalArn);
          deleted.push(e.principalArn);
        } catch (err) {
          incomplete.push(`could not delete the access entry of ${e.principalArn}: ${(err as Error).message}`);
        }
      });
    }

    // ----- aws-auth -----
    const awsAuth: RollbackOutcome['awsAuth'] = { restored: [], problems: [] };
    const { value: saved } = await documentStore(ports.s3()).getJson<BackupDocument>(s.backup.bucket, s.backup.key, s.backup.versionId);
    if (!saved.awsAuth.exists) {
      awsAuth.skippedBecause = 'the cluster had no aws-auth ConfigMap when the backup was taken';
    } else {
      try {
        const store = await ports.awsAuth(kubernetesTarget(run, s.cluster));
        const current = await store.read();
        const merge = mergeAwsAuth(saved.awsAuth.data, current.data);
        awsAuth.restored = merge.restored;
        awsAuth.problems = merge.problems;
        if (merge.changed) await store.write(merge.data, current.resourceVersion);
      } catch (err) {
        // A concurrent edit: the state machine retries the whole (idempotent) task.
        if (err instanceof ConcurrentEditError) throw err;
        if (err instanceof KubernetesAccessError && modeNow === 'API') {
          awsAuth.skippedBecause = 'the cluster is in API mode, where aws-auth is ignored, and the workflow can no longer reach it';
        } else {
          incomplete.push(`could not restore aws-auth: ${(err as Error).message}`);
        }
      }
    }

    const outcome: RollbackOutcome = {
      failed,
      clusterName: run.clusterName,
      executionName: run.executionName,
      modeNow,
      updating,
      deleted,
      entriesKeptBecause,
      awsAuth,
      backupLocation: s.backup.location,
    };
    const cause = rollbackCause(outcome);
    if (incomplete.length) {
      throw new RollbackIncompleteError(`ROLLBACK INCOMPLETE after ${failed.error}: ${incomplete.join('; ')}. What was done: ${cause}`);
    }
    logger.info('rolled back', { failedStep: failed.step, deletedEntries: deleted.length, restoredRows: awsAuth.restored.length, modeNow });
    return { error: failed.error, cause, deletedEntries: deleted.length, restoredRows: awsAuth.restored.length };
  };
}

export const handler = instrument(makeRollback(withKubernetes(productionPorts)), { metrics: false });
