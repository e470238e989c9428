/**
 * Task "Re-check before API": the last look before the one-way switch. Approval can take up to a
 * day, and meanwhile someone may add an aws-auth row (a node group, a team) or delete or edit a
 * migrated access entry; switching on the stale plan would lock those principals out (in API mode
 * aws-auth is ignored, and the mode cannot be reverted). So aws-auth is read again and its data
 * sha256 compared with the backup's, and the planned entries are verified again exactly as
 * "Verify access entries" does. Any difference is a ChangedSinceBackupError, which the state
 * machine ends in "Stopped before API: changed since the plan" with no rollback: the cluster is
 * safely in API_AND_CONFIG_MAP with its verified entries.
 */
import { breakGlassBlocker, listWithin, verifyEntries } from '#migration/domain/entries';
import { ChangedSinceBackupError } from '#migration/domain/errors';
import { dataSha256 } from '#migration/domain/rollback';
import { StepInputSchema, type BackupDocument, type PlanDocument } from '#workflows/contract';
import { accessEntries } from '#platform/access-entries';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { kubernetesTarget, parseState } from './common.ts';
import { withKubernetes } from '#migration/kubernetes-ports';
import { productionPorts, type MigrationPorts } from '#migration/ports';

export interface Rechecked {
  sha256: string;
  verified: number;
}

/** The aws-auth keys whose values differ between two data maps, sorted. */
function changedKeys(before: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(now)]);
  return [...keys].filter((k) => before[k] !== now[k]).sort();
}

export function makeRecheck(ports: MigrationPorts) {
  return async function recheck(event: unknown): Promise<Rechecked> {
    const { run, cluster, backup, plan } = parseState(StepInputSchema, event, 'Re-check before API');
    const store = documentStore(ports.s3());
    const changes: string[] = [];

    const awsAuth = await (await ports.awsAuth(kubernetesTarget(run, cluster))).read();
    const sha256 = dataSha256(awsAuth.data);
    if (awsAuth.exists !== backup.configMapExists) {
      changes.push(awsAuth.exists ? 'aws-auth was created after the backup' : 'aws-auth was deleted after the backup');
    } else if (sha256 !== backup.sha256) {
      const { value: saved } = await store.getJson<BackupDocument>(backup.bucket, backup.key, backup.versionId);
      const keys = changedKeys(saved.awsAuth.data, awsAuth.data);
      changes.push(
        `aws-auth changed after the backup (data sha256 ${sha256}, backup ${backup.sha256}${keys.length ? `; changed keys: ${keys.join(', ')}` : ''})`,
      );
    }

    const { value: doc } = await store.getJson<PlanDocument>(plan.bucket, plan.key);
    const actual = new Map((await accessEntries(ports.eks(run.region), run.clusterName).readAll()).map((e) => [e.principalArn, e]));
    const { verified, problems } = verifyEntries(doc.rows, actual);
    if (problems.length) changes.push(`${problems.length} planned access entries are missing or differ now: ${listWithin(problems)}`);
    // The break-glass proof of "Verify access entries", again on the entries as they are now: an
    // admin entry (the creator's, say) deleted during the approval wait would otherwise leave the
    // cluster in API mode with nobody but the workflow able to administer it.
    const glass = breakGlassBlocker([...actual.values()], await ports.callerArn());
    if (glass) changes.push(glass);

    if (changes.length) {
      throw new ChangedSinceBackupError(
        `The cluster ${run.clusterName} changed since the plan was made: ${changes.join('; ')}. ` +
          'It was NOT switched to API: the plan no longer describes who needs access, and in API mode aws-auth is ignored and the mode cannot be reverted. ' +
          'The cluster is safely in API_AND_CONFIG_MAP: aws-auth still works and the verified access entries created by this execution are kept (no rollback). ' +
          `To finish, start a new execution: it backs up and plans the cluster as it is now. Backup: ${backup.location}; plan: ${plan.location}.`,
      );
    }
    logger.info('nothing changed since the plan', { sha256, verified });
    return { sha256, verified };
  };
}

export const handler = instrument(makeRecheck(withKubernetes(productionPorts)), { metrics: false });
