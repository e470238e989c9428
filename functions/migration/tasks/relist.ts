/**
 * Task "Re-list access entries": the entries after the switch to API_AND_CONFIG_MAP. EKS creates
 * some itself when the access-entry API is turned on — EC2_LINUX for managed node group roles,
 * FARGATE_LINUX for Fargate pod execution roles, and the creator's admin entry — so the state
 * records what is there now, and which entries were not in the backup, before creating anything.
 */
import { StepInputSchema, type BackupDocument } from '#workflows/contract';
import { accessEntries } from '#platform/access-entries';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

export interface Relisted {
  total: number;
  byType: Record<string, number>;
  /** Entries that appeared since the backup (at most 50 listed). */
  newSinceBackup: string[];
  newSinceBackupCount: number;
}

const MAX_LISTED = 50;

export function makeRelist(ports: AwsPorts) {
  return async function relist(event: unknown): Promise<Relisted> {
    const { run, backup } = parseState(StepInputSchema, event, 'Re-list access entries');
    const entries = await accessEntries(ports.eks(run.region), run.clusterName).readAll();
    const { value: saved } = await documentStore(ports.s3()).getJson<BackupDocument>(backup.bucket, backup.key, backup.versionId);
    const before = new Set(saved.accessEntries.map((e) => e.principalArn));
    const fresh = entries.filter((e) => !before.has(e.principalArn)).map((e) => `${e.principalArn} (${e.type})`);
    const byType: Record<string, number> = {};
    for (const e of entries) byType[e.type] = (byType[e.type] ?? 0) + 1;
    logger.info('access entries listed', { total: entries.length, byType, newSinceBackup: fresh.length });
    return { total: entries.length, byType, newSinceBackup: fresh.slice(0, MAX_LISTED), newSinceBackupCount: fresh.length };
  };
}

export const handler = instrument(makeRelist(productionPorts), { metrics: false });
