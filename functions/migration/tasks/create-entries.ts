/**
 * Task "Create access entries": one entry per planned `create` row, tagged
 * `managed-by=eks-access-pilot` and `eks-access-pilot/source=migration/<execution>` (the rollback
 * deletes exactly those), then its access policies.
 *
 * An entry that already exists for a planned principal (EKS made it, someone else did, or the
 * plan's principal appears twice) is compared with the plan: equal is fine and left alone, a
 * difference is a conflict. An entry owned by access tags (the tag provisioner's) is a conflict
 * even when equal: the provisioner deletes it when the tags go, and the aws-auth access with it. Conflicts known before starting stop the step before it creates
 * anything. An entry this execution created on an earlier attempt (Lambda retry) is completed,
 * not reported as a conflict.
 */
import type { PlanRow } from '#migration/domain/conversion';
import { entryDifferences, identityCenterStandsFor, listWithin, ownershipConflict } from '#migration/domain/entries';
import { createdByExecution, migrationTags } from '#kernel/ownership';
import { AccessEntryConflictError } from '#migration/domain/errors';
import { StepInputSchema, type EntrySnapshot, type PlanDocument } from '#workflows/contract';
import pLimit from 'p-limit';
import { EntryExistsError, accessEntries, type AccessEntries } from '#platform/access-entries';
import { documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { TASK_CONCURRENCY, parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

export interface Created {
  created: number;
  alreadyPresent: number;
  planned: number;
}

type Outcome = 'created' | 'present' | { conflict: string };

/** What to do about a row whose principal already has an entry. */
async function settleExisting(row: PlanRow, actual: EntrySnapshot, execution: string, eks: AccessEntries): Promise<Outcome> {
  if (createdByExecution(actual, execution)) {
    // Created by an earlier attempt of this step: finish the policies it may not have reached.
    const have = new Set(actual.policies.map((p) => p.policyArn));
    for (const p of row.entry.accessPolicies ?? []) if (!have.has(p.policyArn)) await eks.associate(row.principalArn, p);
    return 'created';
  }
  const diffs = entryDifferences(row.entry, actual);
  // An Identity Center permission set's entry granting exactly the row: left to its owner (domain/entries.ts).
  if (identityCenterStandsFor(actual, diffs)) return 'present';
  const owned = ownershipConflict(actual);
  if (owned) return { conflict: `${row.source} (${row.principalArn}): ${owned}${diffs.length ? ` (it also differs from the plan: ${diffs.join('; ')})` : ''}` };
  return diffs.length ? { conflict: `${row.source} (${row.principalArn}): an access entry exists and differs: ${diffs.join('; ')}` } : 'present';
}

export function makeCreateEntries(ports: AwsPorts) {
  return async function createEntries(event: unknown): Promise<Created> {
    const { run, plan } = parseState(StepInputSchema, event, 'Create access entries');
    const { value: doc } = await documentStore(ports.s3()).getJson<PlanDocument>(plan.bucket, plan.key);
    const eks = accessEntries(ports.eks(run.region), run.clusterName);
    const rows = doc.rows.filter((r) => r.action === 'create');
    const current = new Map((await eks.readAll()).map((e) => [e.principalArn, e]));

    const limit = pLimit(TASK_CONCURRENCY);
    const known = await limit.map(rows, async (row) => {
      const actual = current.get(row.principalArn);
      return actual ? settleExisting(row, actual, run.executionName, eks) : undefined;
    });
    const early = known.flatMap((o) => (o && typeof o === 'object' ? [o.conflict] : []));
    if (early.length) {
      throw new AccessEntryConflictError(`${early.length} planned entries conflict with existing ones; none was created: ${listWithin(early)}`);
    }

    const tags = migrationTags(run.executionName);
    const outcomes = await limit.map(rows, async (row): Promise<Outcome> => {
      const before = known[rows.indexOf(row)];
      if (before) return before;
      try {
        const { type, username, kubernetesGroups } = row.entry;
        await eks.create({ principalArn: row.principalArn, type, username, kubernetesGroups, tags });
        for (const p of row.entry.accessPolicies ?? []) await eks.associate(row.principalArn, p);
        return 'created';
      } catch (e) {
        if (!(e instanceof EntryExistsError)) throw e;
        // Someone created it between the listing and now.
        const actual = await eks.describe(row.principalArn);
        if (!actual) throw e;
        return settleExisting(row, actual, run.executionName, eks);
      }
    });
    const conflicts = outcomes.flatMap((o) => (typeof o === 'object' ? [o.conflict] : []));
    if (conflicts.length) throw new AccessEntryConflictError(`${conflicts.length} planned entries conflict with existing ones: ${listWithin(conflicts)}`);
    const result: Created = {
      created: outcomes.filter((o) => o === 'created').length,
      alreadyPresent: outcomes.filter((o) => o === 'present').length,
      planned: rows.length,
    };
    logger.info('access entries created', { ...result });
    return result;
  };
}

export const handler = instrument(makeCreateEntries(productionPorts), { metrics: false });
