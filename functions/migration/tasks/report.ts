/**
 * Task "Report": what the migration did, written to `reports/<cluster>/<execution>/report.json`
 * and returned (small) as the execution's output.
 */
import * as z from 'zod';
import { describeCluster } from '#platform/clusters';
import { StepInputSchema, documentKey, s3Location } from '#workflows/contract';
import { ObjectExistsError, documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

const EventSchema = StepInputSchema.extend({
  created: z.object({ created: z.number(), alreadyPresent: z.number(), planned: z.number() }),
  verified: z.object({ verified: z.number(), blockers: z.number() }),
  approval: z.unknown().optional(),
});

export interface Report {
  cluster: string;
  region: string;
  execution: string;
  authenticationMode: string;
  entriesCreated: number;
  entriesAlreadyPresent: number;
  entriesVerified: number;
  rowsFlagged: number;
  blockers: number;
  backup: string;
  plan: string;
  report: string;
  approval?: unknown;
}

export function makeReport(ports: AwsPorts) {
  return async function report(event: unknown): Promise<Report> {
    const s = parseState(EventSchema, event, 'Report');
    const cluster = await describeCluster(ports.eks(s.run.region), s.run.clusterName);
    const key = documentKey('reports', s.run.clusterName, s.run.executionName, 'report.json');
    const out: Report = {
      cluster: s.run.clusterName,
      region: s.run.region,
      execution: s.run.executionName,
      authenticationMode: cluster.authenticationMode,
      entriesCreated: s.created.created,
      entriesAlreadyPresent: s.created.alreadyPresent,
      entriesVerified: s.verified.verified,
      rowsFlagged: s.plan.summary.flagged,
      blockers: s.verified.blockers,
      backup: s.backup.location,
      plan: s.plan.location,
      report: s3Location(s.run.bucket, key),
    };
    if (s.approval !== undefined) out.approval = s.approval;
    try {
      const { versionId } = await documentStore(ports.s3()).createJson(s.run.bucket, key, { ...out, finishedAt: ports.now().toISOString() });
      out.report = s3Location(s.run.bucket, key, versionId);
    } catch (e) {
      if (!(e instanceof ObjectExistsError)) throw e;
    }
    logger.info('migration finished', { ...out });
    return out;
  };
}

export const handler = instrument(makeReport(productionPorts), { metrics: false });
