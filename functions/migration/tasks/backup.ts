/**
 * Task "Back up aws-auth and access entries" (docs/architecture.md, "Safety invariants" 5): the ConfigMap as read (data,
 * resourceVersion, sha256 of the canonical data) and every access entry with its policies, written
 * once to `backups/<cluster>/<execution>/backup.json` with `IfNoneMatch: '*'`. Returns only the
 * reference: the document may be larger than the 256 KiB a state can carry.
 *
 * A retry after a write whose response was lost finds the object there (412): nothing has been
 * changed yet at this point, so that backup is this execution's and is returned as is.
 */
import { InvalidRequestException } from '@aws-sdk/client-eks';
import * as z from 'zod';
import { dataSha256 } from '#migration/domain/rollback';
import { MigrationDocumentError } from '#migration/domain/errors';
import {
  ClusterInfoSchema,
  RunSchema,
  documentKey,
  s3Location,
  type BackupDocument,
  type BackupRef,
  type EntrySnapshot,
} from '#workflows/contract';
import { accessEntries } from '#platform/access-entries';
import { ObjectExistsError, documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { kubernetesTarget, parseState } from './common.ts';
import { withKubernetes } from '#migration/kubernetes-ports';
import { productionPorts, type MigrationPorts } from '#migration/ports';

const EventSchema = z.object({ run: RunSchema, cluster: ClusterInfoSchema });

export function makeBackup(ports: MigrationPorts) {
  return async function backup(event: unknown): Promise<BackupRef> {
    const { run, cluster } = parseState(EventSchema, event, 'Back up aws-auth and access entries');
    const store = documentStore(ports.s3());
    const key = documentKey('backups', run.clusterName, run.executionName, 'backup.json');

    const awsAuth = await (await ports.awsAuth(kubernetesTarget(run, cluster))).read();
    let entries: EntrySnapshot[] = [];
    try {
      entries = await accessEntries(ports.eks(run.region), run.clusterName).readAll();
    } catch (e) {
      // A CONFIG_MAP cluster has no access-entry API (InvalidRequestException): nothing to back up.
      if (!(e instanceof InvalidRequestException && cluster.mode === 'CONFIG_MAP')) throw e;
    }
    const doc: BackupDocument = {
      formatVersion: 1,
      cluster: { name: run.clusterName, region: run.region, arn: cluster.arn, authenticationMode: cluster.mode },
      execution: run.executionName,
      takenAt: ports.now().toISOString(),
      awsAuth: { exists: awsAuth.exists, data: awsAuth.data, resourceVersion: awsAuth.resourceVersion, sha256: dataSha256(awsAuth.data) },
      accessEntries: entries,
    };

    let stored: { versionId?: string };
    let written = doc;
    try {
      stored = await store.createJson(run.bucket, key, doc);
    } catch (e) {
      if (!(e instanceof ObjectExistsError)) throw e;
      const existing = await store.getJson<BackupDocument>(run.bucket, key);
      if (existing.value.execution !== run.executionName) {
        throw new MigrationDocumentError(`${s3Location(run.bucket, key)} belongs to execution ${existing.value.execution}, not ${run.executionName}`);
      }
      stored = { versionId: existing.versionId };
      written = existing.value;
      logger.info('backup already written by an earlier attempt', { key });
    }
    const ref: BackupRef = {
      bucket: run.bucket,
      key,
      location: s3Location(run.bucket, key, stored.versionId),
      sha256: written.awsAuth.sha256,
      configMapExists: written.awsAuth.exists,
      accessEntries: written.accessEntries.length,
    };
    if (stored.versionId) ref.versionId = stored.versionId;
    logger.info('backup written', { key, versionId: stored.versionId, accessEntries: ref.accessEntries, sha256: ref.sha256 });
    return ref;
  };
}

export const handler = instrument(makeBackup(withKubernetes(productionPorts)), { metrics: false });
