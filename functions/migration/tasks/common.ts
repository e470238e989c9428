/**
 * Small helpers shared by the migration's task handlers.
 */
import type { z } from 'zod';
import { formatIssues } from '#kernel/config';
import { MigrationDocumentError } from '#migration/domain/errors';
import type { Run } from '#workflows/contract';
import type { KubernetesTarget } from '#migration/ports';

/** Parallel AWS calls of one task: well under EKS's and IAM's per-account request rates. */
export const TASK_CONCURRENCY = 4;

/**
 * Parses the part of the state a task receives. The state is written by the state machine
 * itself, so a failure here is a wiring bug in the ASL; the message names the field.
 */
export function parseState<S extends z.ZodType>(schema: S, event: unknown, task: string): z.output<S> {
  const r = schema.safeParse(event);
  if (!r.success) throw new MigrationDocumentError(`${task}: unexpected state from the state machine: ${formatIssues(r.error).split('\n').join('; ')}`);
  return r.data;
}

export function kubernetesTarget(run: Run, cluster: { endpoint: string; caData: string }): KubernetesTarget {
  return { clusterName: run.clusterName, region: run.region, endpoint: cluster.endpoint, caData: cluster.caData };
}
