/**
 * What the rollback says when it could not undo everything (docs/architecture.md, "Safety
 * invariants" 7): the Cause of "Rollback failed". On-call reads it without the code, so it names
 * the failure that started the rollback, each undo step done / not needed / NOT DONE with its
 * reason, what is never undone (the mode), where the backup is, and the commands to finish by
 * hand — RUNBOOK.md section 4 for aws-auth, the AWS CLI for the access entries. Pure.
 */
import { modeSentence, type FailedStep } from './rollback.ts';

/** The undo steps, in the order the rollback runs them (aws-auth before the entries: make before break). */
export const UNDO_STEPS = ['describeCluster', 'readBackup', 'readAwsAuth', 'writeAwsAuth', 'listEntries', 'deleteEntries'] as const;
export type UndoStepId = (typeof UNDO_STEPS)[number];

/** How each undo step is named in the Cause: what it does and the call it makes. */
export const UNDO_STEP_NAMES: Record<UndoStepId, string> = {
  describeCluster: "read the cluster's mode (EKS DescribeCluster)",
  readBackup: 'read the backup (S3 GetObject)',
  readAwsAuth: 'read aws-auth (Kubernetes API)',
  writeAwsAuth: 'merge the backup back into aws-auth (Kubernetes API)',
  listEntries: 'find the access entries this execution created (EKS ListAccessEntries, DescribeAccessEntry)',
  deleteEntries: 'delete them (EKS DeleteAccessEntry)',
};

export type UndoStatus = { status: 'done'; detail: string } | { status: 'not needed'; reason: string } | { status: 'not done'; reason: string };

export const done = (detail: string): UndoStatus => ({ status: 'done', detail });
export const notNeeded = (reason: string): UndoStatus => ({ status: 'not needed', reason });
export const notDone = (reason: string): UndoStatus => ({ status: 'not done', reason });

export interface RollbackReport {
  failed: FailedStep;
  clusterName: string;
  region: string;
  executionName: string;
  backup: { bucket: string; key: string; versionId?: string; location: string };
  /** The cluster now; absent when DescribeCluster failed (the mode is then unknown). */
  cluster?: { modeNow: string; updating: boolean };
  steps: Record<UndoStepId, UndoStatus>;
  /** Entries this execution created that are known to be still there (listed, not deleted). */
  entriesLeft: string[];
}

/** Complete when no undo step is left NOT DONE. */
export function rollbackComplete(r: Pick<RollbackReport, 'steps'>): boolean {
  return UNDO_STEPS.every((id) => r.steps[id].status !== 'not done');
}

/** At most this many ARNs or commands are spelled out; the rest are counted (a Cause holds 32,768 characters). */
const SPELLED_OUT = 10;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, SPELLED_OUT).join('; ');
  return items.length > SPELLED_OUT ? `${shown}; and ${items.length - SPELLED_OUT} more` : shown;
}

function statusText(s: UndoStatus): string {
  if (s.status === 'done') return `done (${s.detail})`;
  if (s.status === 'not needed') return `not needed (${s.reason})`;
  return `NOT DONE: ${s.reason}`;
}

/** The AWS CLI command that fetches the backup, exactly as recorded. */
export function backupCommand(b: RollbackReport['backup']): string {
  return `aws s3api get-object --bucket ${b.bucket} --key ${b.key}${b.versionId ? ` --version-id ${b.versionId}` : ''} backup.json`;
}

function awsAuthLeft(r: RollbackReport): boolean {
  return (['readBackup', 'readAwsAuth', 'writeAwsAuth'] as const).some((id) => r.steps[id].status === 'not done');
}

function entriesLeft(r: RollbackReport): boolean {
  return (['listEntries', 'deleteEntries'] as const).some((id) => r.steps[id].status === 'not done');
}

/** What a person does next, in order: aws-auth first, then the entries (make before break). */
export function nextActions(r: RollbackReport): string[] {
  const actions: string[] = [];
  const { clusterName: c, region, executionName: e } = r;
  if (awsAuthLeft(r)) {
    actions.push(
      `restore aws-auth from the backup as RUNBOOK.md section 4 shows: \`${backupCommand(r.backup)}\`, compare it with \`kubectl get configmap aws-auth -n kube-system -o json\` and add only the rows of the backup that are missing (\`kubectl edit configmap aws-auth -n kube-system\`)`,
    );
  }
  if (entriesLeft(r)) {
    const when = [
      awsAuthLeft(r) ? 'once aws-auth holds the rows of the backup again' : undefined,
      r.cluster
        ? undefined
        : `if \`aws eks describe-cluster --name ${c} --region ${region}\` shows the cluster ACTIVE in API_AND_CONFIG_MAP (in API keep the entries: they are the only access)`,
    ].filter(Boolean);
    const commands = r.entriesLeft.map((arn) => `\`aws eks delete-access-entry --cluster-name ${c} --region ${region} --principal-arn ${arn}\``);
    const find =
      r.steps.listEntries.status === 'done'
        ? `run ${listed(commands)}`
        : `find them with \`eap access-report --cluster ${c} --region ${region}\` (OWNER migration/${e}) and delete each with \`aws eks delete-access-entry --cluster-name ${c} --region ${region} --principal-arn <arn>\``;
    actions.push(`${when.length ? `${when.join(' and ')}, ` : ''}delete the access entries tagged eks-access-pilot/source=migration/${e}: ${find}`);
  }
  return actions;
}

/**
 * The Cause of "Rollback failed": what failed first, each undo step with its status, what is never
 * undone, the backup and the next actions. `retried` adds that the state machine retries this
 * error, for a transient failure thrown so that the Retry of "Roll back" runs it again.
 */
export function incompleteRollbackStory(r: RollbackReport, retried?: string): string {
  const steps = UNDO_STEPS.map((id, i) => `(${i + 1}) ${UNDO_STEP_NAMES[id]}: ${statusText(r.steps[id])}`);
  const actions = nextActions(r).map((a, i) => `(${i + 1}) ${a}`);
  return [
    `ROLLBACK INCOMPLETE after ${r.failed.error}.`,
    `What failed first: ${r.failed.reason}.`,
    `Undo steps: ${steps.join('; ')}.`,
    modeSentence(r.cluster),
    `Backup: ${r.backup.location}.`,
    `Next: ${actions.join('; ')}.`,
    ...(retried ? [`(${retried}: the state machine retries "Roll back" on it; as the final Cause it means every attempt failed.)`] : []),
  ].join(' ');
}
