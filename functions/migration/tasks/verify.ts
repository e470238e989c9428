/**
 * Task "Verify access entries": every planned entry — those this workflow created and those EKS
 * was expected to create (Fargate) — exists now with the planned type, username, groups and
 * policies. Also prepares the message of "Stopped before API: blockers", so the Fail state can
 * quote it.
 */
import { listWithin, verifyEntries } from '#migration/domain/entries';
import { AccessEntriesMismatchError } from '#migration/domain/errors';
import { StepInputSchema, type PlanDocument } from '#workflows/contract';
import { accessEntries } from '#platform/access-entries';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

export interface Verified {
  verified: number;
  blockers: number;
  /** The Cause of "Stopped before API: blockers" (used only on that path). */
  blockersCause: string;
}

export function makeVerify(ports: AwsPorts) {
  return async function verify(event: unknown): Promise<Verified> {
    const { run, plan } = parseState(StepInputSchema, event, 'Verify access entries');
    const { value: doc } = await documentStore(ports.s3()).getJson<PlanDocument>(plan.bucket, plan.key);
    const actual = new Map((await accessEntries(ports.eks(run.region), run.clusterName).readAll()).map((e) => [e.principalArn, e]));
    const { verified, problems } = verifyEntries(doc.rows, actual);
    if (problems.length) {
      throw new AccessEntriesMismatchError(`${problems.length} planned access entries are missing or differ: ${listWithin(problems)}`);
    }
    logger.info('access entries verified', { verified, blockers: doc.blockers.length });
    return {
      verified,
      blockers: doc.blockers.length,
      blockersCause: doc.blockers.length
        ? `The cluster ${run.clusterName} is safely in API_AND_CONFIG_MAP: every planned access entry (${verified}) was created and verified, and aws-auth still works. ` +
          `It was not switched to API because ${doc.blockers.length} aws-auth rows would lose access: ${listWithin(doc.blockers)}. ` +
          `Fix them (or create their entries by hand), then start a new execution. Plan: ${plan.location}`
        : '',
    };
  };
}

export const handler = instrument(makeVerify(productionPorts), { metrics: false });
