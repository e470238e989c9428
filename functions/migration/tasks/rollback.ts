/**
 * Task "Roll back" (docs/architecture.md, "Safety invariants" 7): undoes exactly what this
 * execution did, and says what it did, step by step.
 *  - Works out which step failed from the step results present in the state (failedStep).
 *  - Reads the cluster's mode now (DescribeCluster): it decides whether the entries may go.
 *  - Restores aws-auth first, by merging the backup back (rows missing now are re-added; rows EKS
 *    or anyone added meanwhile stay), written with the resourceVersion read, so a concurrent edit
 *    is a 409 instead of a lost edit.
 *  - Then deletes the access entries tagged with THIS execution (never any other entry) — only in
 *    API_AND_CONFIG_MAP with no switch in progress, and only once aws-auth holds the rows of the
 *    backup (make before break: a principal whose aws-auth row is missing now keeps its entry).
 *    In API mode or switching to it they are the only access left and are kept; with the mode
 *    unknown (DescribeCluster failed) they are kept too, the side that cannot lock anyone out.
 *  - Cannot revert the authentication mode: EKS only moves forward; the Cause says so.
 * Every undo step's failure is caught and recorded (done / not needed / NOT DONE and why). With
 * nothing left NOT DONE it returns the Cause of "Migration failed". Otherwise it throws
 * RollbackIncompleteError whose message is the whole story (incompleteRollbackStory), which the
 * state machine makes the Cause of "Rollback failed". A transient aws-auth failure (409
 * ConcurrentEditError, 429/5xx KubernetesUnavailableError) is thrown under its own name with the
 * same story, and with no entry deleted, so the Retry of "Roll back" runs the idempotent task
 * again; once the attempts are spent, that story is the Cause.
 */
import { describeCluster } from '#platform/clusters';
import { createdByExecution } from '#kernel/ownership';
import { isAuthMode } from '#kernel/auth-mode';
import { KubernetesUnavailableError, RollbackIncompleteError } from '#migration/domain/errors';
import { entriesDecision, failedStep, mergeAwsAuth, rollbackCause } from '#migration/domain/rollback';
import { done, incompleteRollbackStory, notDone, notNeeded, rollbackComplete, UNDO_STEPS, type RollbackReport } from '#migration/domain/rollback-report';
import { RollbackStateSchema, type BackupDocument, type RollbackState } from '#workflows/contract';
import pLimit from 'p-limit';
import type { EKSClient } from '@aws-sdk/client-eks';
import { accessEntries } from '#platform/access-entries';
import { ConcurrentEditError } from '#migration/adapters/aws-auth-store';
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

const said = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Retried by the ASL's Retry on "Roll back" (the Kubernetes API's transient answers). */
const isTransient = (err: unknown): err is ConcurrentEditError | KubernetesUnavailableError => err instanceof ConcurrentEditError || err instanceof KubernetesUnavailableError;

interface AwsAuthOutcome {
  restored: string[];
  problems: string[];
  /** Why it was not restored, when that needs nobody's action (API mode: aws-auth is not read). */
  skippedBecause?: string;
  /** The transient error that left it NOT DONE, thrown again for the Retry. */
  transient?: ConcurrentEditError | KubernetesUnavailableError;
}

/** S3 GetObject of the backup, then aws-auth read → merge → write; each step recorded in the report. */
async function restoreAwsAuth(ports: MigrationPorts, s: RollbackState, report: RollbackReport): Promise<AwsAuthOutcome> {
  const out: AwsAuthOutcome = { restored: [], problems: [] };
  // In API mode aws-auth is no longer read: restoring it changes nobody's access, so a failure
  // there leaves nothing to do (and the workflow's own Kubernetes access may be gone with it).
  const inApi = report.cluster?.modeNow === 'API';
  const failedWith = (err: unknown) => {
    if (!inApi) return notDone(said(err));
    out.skippedBecause ??= `the cluster is in API mode, where aws-auth is no longer read (${said(err)})`;
    return notNeeded(out.skippedBecause);
  };
  const skipped = (because: string) => (inApi ? notNeeded(`${because}; the cluster is in API mode, where aws-auth is no longer read`) : notDone(`not attempted: ${because}`));

  let saved: BackupDocument;
  try {
    ({ value: saved } = await documentStore(ports.s3()).getJson<BackupDocument>(s.backup.bucket, s.backup.key, s.backup.versionId));
    report.steps.readBackup = done(s.backup.location);
  } catch (err) {
    report.steps.readBackup = failedWith(err);
    report.steps.readAwsAuth = report.steps.writeAwsAuth = skipped('the backup could not be read');
    return out;
  }
  if (!saved.awsAuth.exists) {
    out.skippedBecause = 'the cluster had no aws-auth ConfigMap when the backup was taken';
    report.steps.readAwsAuth = report.steps.writeAwsAuth = notNeeded(out.skippedBecause);
    return out;
  }

  let step: 'readAwsAuth' | 'writeAwsAuth' = 'readAwsAuth';
  try {
    const store = await ports.awsAuth(kubernetesTarget(s.run, s.cluster));
    const current = await store.read();
    report.steps.readAwsAuth = done(current.exists ? `resourceVersion ${current.resourceVersion ?? 'unknown'}` : 'there is no aws-auth ConfigMap now');
    step = 'writeAwsAuth';
    const merge = mergeAwsAuth(saved.awsAuth.data, current.data);
    out.problems = merge.problems;
    const problems = merge.problems.length ? `; left as they are: ${merge.problems.join('; ')}` : '';
    if (merge.changed) {
      await store.write(merge.data, current.resourceVersion);
      out.restored = merge.restored;
      report.steps.writeAwsAuth = done(`${merge.restored.length} re-added: ${merge.restored.slice(0, 10).join(', ')}${merge.restored.length > 10 ? ', …' : ''}${problems}`);
    } else {
      report.steps.writeAwsAuth = notNeeded(`aws-auth already holds every row of the backup${problems}`);
    }
  } catch (err) {
    report.steps[step] = failedWith(err);
    if (step === 'readAwsAuth') report.steps.writeAwsAuth = skipped('aws-auth could not be read');
    if (isTransient(err) && !inApi) out.transient = err;
  }
  return out;
}

/** Lists this execution's entries and deletes them where allowed; each step recorded in the report. */
async function removeEntries(eks: EKSClient, run: RollbackState['run'], report: RollbackReport, awsAuthRestored: boolean): Promise<{ deleted: string[]; keptBecause?: string }> {
  const c = report.cluster;
  const modeKnown = c !== undefined && isAuthMode(c.modeNow);
  let keep: string | undefined;
  if (modeKnown) {
    const decision = entriesDecision(c.modeNow, c.updating);
    if (!decision.delete) {
      // In or switching to API they are the only access; in CONFIG_MAP none can exist.
      const why = decision.keptBecause ? `kept: ${decision.keptBecause}` : `the cluster is in ${c.modeNow}, where no access entry can exist`;
      report.steps.listEntries = report.steps.deleteEntries = notNeeded(why);
      return { deleted: [], ...(decision.keptBecause ? { keptBecause: decision.keptBecause } : {}) };
    }
    if (!awsAuthRestored) keep = 'kept until aws-auth holds the rows of the backup again: deleting them first could leave a principal whose aws-auth row is missing now without access';
  } else {
    keep = c
      ? `kept: the mode ${c.modeNow} is not one this version knows, and deleting them could lock people out`
      : 'kept: the mode is unknown (DescribeCluster failed), and in API mode, or switching to it, these entries are the only access';
  }

  const entries = accessEntries(eks, run.clusterName);
  let ours: string[];
  try {
    // Listed even when they are kept, so the Cause can give the exact commands.
    ours = (await entries.readAll()).filter((e) => createdByExecution(e, run.executionName)).map((e) => e.principalArn);
    report.steps.listEntries = done(`${ours.length} found`);
  } catch (err) {
    report.steps.listEntries = notDone(said(err));
    report.steps.deleteEntries = notDone(keep ?? 'not attempted: they could not be listed');
    return { deleted: [] };
  }
  if (ours.length === 0) {
    report.steps.deleteEntries = notNeeded('none to delete');
    return { deleted: [] };
  }
  if (keep) {
    report.entriesLeft = ours;
    report.steps.deleteEntries = notDone(keep);
    return { deleted: [] };
  }
  const deleted: string[] = [];
  const failures: string[] = [];
  await pLimit(TASK_CONCURRENCY).map(ours, async (arn) => {
    try {
      await entries.remove(arn);
      deleted.push(arn);
    } catch (err) {
      report.entriesLeft.push(arn);
      failures.push(`${arn}: ${said(err)}`);
    }
  });
  report.steps.deleteEntries = failures.length
    ? notDone(`deleted ${deleted.length} of ${ours.length}; not deleted: ${failures.slice(0, 10).join('; ')}${failures.length > 10 ? `; and ${failures.length - 10} more` : ''}`)
    : done(`deleted ${deleted.length}, tag eks-access-pilot/source=migration/${run.executionName}`);
  return { deleted };
}

export function makeRollback(ports: MigrationPorts) {
  return async function rollback(event: unknown): Promise<RollbackResult> {
    const s = parseState(RollbackStateSchema, event, 'Roll back');
    const { run } = s;
    const failed = failedStep(s);
    logger.info('rolling back', { cluster: run.clusterName, failedStep: failed.step, reason: failed.reason });
    const report: RollbackReport = {
      failed,
      clusterName: run.clusterName,
      region: run.region,
      executionName: run.executionName,
      backup: { bucket: s.backup.bucket, key: s.backup.key, ...(s.backup.versionId ? { versionId: s.backup.versionId } : {}), location: s.backup.location },
      steps: Object.fromEntries(UNDO_STEPS.map((id) => [id, notDone('not attempted')])) as RollbackReport['steps'],
      entriesLeft: [],
    };

    const eks = ports.eks(run.region);
    try {
      const cluster = await describeCluster(eks, run.clusterName);
      report.cluster = { modeNow: cluster.authenticationMode, updating: cluster.status === 'UPDATING' };
      report.steps.describeCluster = done(`${cluster.authenticationMode}, ${cluster.status}`);
    } catch (err) {
      report.steps.describeCluster = notDone(said(err));
    }

    const awsAuth = await restoreAwsAuth(ports, s, report);
    const awsAuthRestored = (['readBackup', 'readAwsAuth', 'writeAwsAuth'] as const).every((id) => report.steps[id].status !== 'not done');
    const entries = await removeEntries(eks, run, report, awsAuthRestored);

    if (!rollbackComplete(report) || !report.cluster) {
      const t = awsAuth.transient;
      logger.warn('rollback incomplete', { failedStep: failed.step, steps: report.steps, retried: t?.name });
      if (t instanceof ConcurrentEditError) throw new ConcurrentEditError(incompleteRollbackStory(report, t.name), { cause: t });
      if (t) throw new KubernetesUnavailableError(incompleteRollbackStory(report, t.name), { cause: t });
      throw new RollbackIncompleteError(incompleteRollbackStory(report));
    }
    const cause = rollbackCause({
      failed,
      clusterName: run.clusterName,
      executionName: run.executionName,
      modeNow: report.cluster.modeNow,
      updating: report.cluster.updating,
      deleted: entries.deleted,
      ...(entries.keptBecause ? { entriesKeptBecause: entries.keptBecause } : {}),
      awsAuth: { restored: awsAuth.restored, problems: awsAuth.problems, ...(awsAuth.skippedBecause ? { skippedBecause: awsAuth.skippedBecause } : {}) },
      backupLocation: s.backup.location,
    });
    logger.info('rolled back', { failedStep: failed.step, deletedEntries: entries.deleted.length, restoredRows: awsAuth.restored.length, modeNow: report.cluster.modeNow });
    return { error: failed.error, cause, deletedEntries: entries.deleted.length, restoredRows: awsAuth.restored.length };
  };
}

export const handler = instrument(makeRollback(withKubernetes(productionPorts)), { metrics: false });
