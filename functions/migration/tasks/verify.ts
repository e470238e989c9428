/**
 * Task "Verify access entries": every planned entry — those this workflow created and those EKS
 * was expected to create (Fargate) — exists now with the planned type, username, groups and
 * policies. Then the break-glass check (breakGlassBlocker): someone other than the workflow must keep
 * cluster admin through an access entry, else that is one more blocker. Also prepares the message of "Stopped before API: blockers", so the Fail state can
 * quote it.
 */
import { breakGlassBlocker, listWithin, verifyEntries } from '#migration/domain/entries';
import { callerArn } from '#migration/adapters/caller-identity';
import { AccessEntriesMismatchError } from '#migration/domain/errors';
import { StepInputSchema, type PlanDocument } from '#workflows/contract';
import { accessEntries } from '#platform/access-entries';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { parseState } from './common.ts';
import { productionPorts, type AwsPorts, type KubernetesPorts } from '#migration/ports';

export interface Verified {
  verified: number;
  blockers: number;
  /** The Cause of "Stopped before API: blockers" (used only on that path). */
  blockersCause: string;
}

/** The AWS ports and who the workflow runs as (STS only: this task does not talk to Kubernetes). */
export type VerifyPorts = AwsPorts & Pick<KubernetesPorts, 'callerArn'>;

export function makeVerify(ports: VerifyPorts) {
  return async function verify(event: unknown): Promise<Verified> {
    const { run, plan } = parseState(StepInputSchema, event, 'Verify access entries');
    const { value: doc } = await documentStore(ports.s3()).getJson<PlanDocument>(plan.bucket, plan.key);
    const entries = await accessEntries(ports.eks(run.region), run.clusterName).readAll();
    const actual = new Map(entries.map((e) => [e.principalArn, e]));
    const { verified, problems } = verifyEntries(doc.rows, actual);
    if (problems.length) {
      throw new AccessEntriesMismatchError(`${problems.length} planned access entries are missing or differ: ${listWithin(problems)}`);
    }
    // One mechanism: the break-glass blocker is counted in `blockers` and quoted in
    // `blockersCause`, which "Blockers?" and "Stopped before API: blockers" read.
    const breakGlass = breakGlassBlocker(entries, await ports.callerArn());
    const reasons: string[] = [];
    if (doc.blockers.length) reasons.push(`${doc.blockers.length} aws-auth rows would lose access: ${listWithin(doc.blockers)}. Fix them (or create their entries by hand), then start a new execution`);
    if (breakGlass) reasons.push(breakGlass);
    const blockers = doc.blockers.length + (breakGlass ? 1 : 0);
    logger.info('access entries verified', { verified, blockers, breakGlass: !breakGlass });
    return {
      verified,
      blockers,
      blockersCause: blockers
        ? `The cluster ${run.clusterName} is safely in API_AND_CONFIG_MAP: every planned access entry (${verified}) was created and verified, and aws-auth still works. ` +
          `It was not switched to API because ${reasons.join('; also, ')}. Plan: ${plan.location}`
        : '',
    };
  };
}

export const handler = instrument(makeVerify({ ...productionPorts, callerArn: () => callerArn() }), { metrics: false });
