/**
 * The data the migration state machine carries between its states, and the documents it keeps
 * in S3. Execution input, output and each state's data are limited to 256 KiB, so the state
 * holds references and counts; the backup, the plan and the report live in S3.
 *
 * State layout (JSONPath, top level):
 *   run        — validated input + settings (Validate input)
 *   cluster    — mode, endpoint, CA (Describe cluster)
 *   backup     — S3 reference of the backup (Back up aws-auth and access entries)
 *   plan       — S3 reference and summary of the plan (Plan conversion)
 *   hybridSwitch / apiSwitch — { updateId, polls, check: DescribeUpdate output } (SDK tasks)
 *   entriesAfterSwitch, created, verified, approval, report — step results
 *   error      — { Error, Cause } put there by a Catch
 * Each handler parses the part it needs with these schemas, so a wiring mistake in the ASL fails
 * loudly with the field named instead of doing something half-right.
 */
import * as z from 'zod';
import type { AccessEntry } from '#kernel/access-entry';
import { MigrationInputSchema } from '#migration/domain/input';
import { AUTH_MODES } from '#kernel/auth-mode';
import type { PlanRow } from '#migration/domain/conversion';

/** Step Functions execution names: 1–80 characters; this workflow uses them in S3 keys and tags. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export const RunSchema = MigrationInputSchema.extend({
  executionName: z.string().regex(EXECUTION_NAME),
  bucket: z.string().min(3),
  approvalTimeoutSeconds: z.number().int().min(1),
  pollSeconds: z.number().int().min(0),
  maxPolls: z.number().int().min(1),
});
export type Run = z.output<typeof RunSchema>;

export const ClusterInfoSchema = z.object({
  arn: z.string(),
  mode: z.enum(AUTH_MODES),
  alreadyAtTarget: z.boolean(),
  endpoint: z.string(),
  caData: z.string(),
  version: z.string(),
  platformVersion: z.string(),
});
export type ClusterInfo = z.output<typeof ClusterInfoSchema>;

export const BackupRefSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  versionId: z.string().optional(),
  location: z.string(),
  /** sha256 of the canonical aws-auth data (see canonicalData). */
  sha256: z.string(),
  configMapExists: z.boolean(),
  accessEntries: z.number().int(),
});
export type BackupRef = z.output<typeof BackupRefSchema>;

export const PlanSummarySchema = z.object({
  valid: z.boolean(),
  rows: z.number().int(),
  create: z.number().int(),
  eksManaged: z.number().int(),
  flagged: z.number().int(),
  alreadyPresent: z.number().int(),
  conflicts: z.number().int(),
  blockers: z.number().int(),
});
export type PlanSummary = z.output<typeof PlanSummarySchema>;

export const PlanRefSchema = z.object({
  bucket: z.string(),
  key: z.string(),
  location: z.string(),
  summary: PlanSummarySchema,
});
export type PlanRef = z.output<typeof PlanRefSchema>;

/** What a handler between the backup and the end receives. */
export const StepInputSchema = z.object({
  run: RunSchema,
  cluster: ClusterInfoSchema,
  backup: BackupRefSchema,
  plan: PlanRefSchema,
});
export type StepInput = z.output<typeof StepInputSchema>;

/**
 * A mode switch as the state carries it: the UpdateClusterConfig result's update ID, the number of
 * DescribeUpdate checks so far, and the last DescribeUpdate output (PascalCase: an SDK
 * integration's result keeps the service's field names).
 */
export const SwitchStateSchema = z.object({
  updateId: z.string().optional(),
  polls: z.number().optional(),
  check: z
    .object({
      Update: z
        .object({
          Id: z.string().optional(),
          Status: z.string().optional(),
          Errors: z.array(z.object({ ErrorCode: z.string().optional(), ErrorMessage: z.string().optional() })).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type SwitchState = z.output<typeof SwitchStateSchema>;

/** What a Catch puts at `$.error`: the failed state's Error and Cause. */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.output<typeof CaughtErrorSchema>;

/**
 * What "Roll back" receives: the whole state as far as the execution got. Step results after the
 * backup are present only for the steps that completed; which one is missing tells the failed
 * step (failedStep).
 */
export const RollbackStateSchema = z.object({
  run: RunSchema,
  cluster: ClusterInfoSchema,
  backup: BackupRefSchema,
  plan: z.unknown().optional(),
  hybridSwitch: SwitchStateSchema.optional(),
  entriesAfterSwitch: z.unknown().optional(),
  created: z.unknown().optional(),
  verified: z.unknown().optional(),
  rechecked: z.unknown().optional(),
  apiSwitch: SwitchStateSchema.optional(),
  report: z.unknown().optional(),
  error: CaughtErrorSchema.optional(),
});
export type RollbackState = z.output<typeof RollbackStateSchema>;

/** An access entry as the backup records it: every entry, whoever owns it, with its policies. */
export type EntrySnapshot = AccessEntry;

export interface BackupDocument {
  formatVersion: 1;
  cluster: { name: string; region: string; arn: string; authenticationMode: string };
  execution: string;
  takenAt: string;
  awsAuth: { exists: boolean; data: Record<string, string>; resourceVersion?: string; sha256: string };
  accessEntries: EntrySnapshot[];
}

/**
 * How a planned row relates to an entry that already existed when the plan was made.
 * `owned-by-tags`: the tag provisioner owns it, a conflict whatever it holds (ownershipConflict).
 */
export type Existing = 'none' | 'equal' | 'different' | 'owned-by-tags';

export interface PlanDocumentRow extends PlanRow {
  existing: Existing;
  differences?: string[];
}

export interface PlanDocument {
  formatVersion: 1;
  cluster: { name: string; region: string; authenticationMode: string };
  execution: string;
  createdAt: string;
  targetMode: string;
  backup: { location: string; versionId?: string; sha256: string };
  valid: boolean;
  errors: Array<{ where: string; message: string }>;
  /** What blocks nothing but a person should read (ConversionPlan.warnings); absent in plans written before it existed. */
  warnings?: Array<{ where: string; message: string }>;
  rows: PlanDocumentRow[];
  blockers: string[];
  summary: PlanSummary;
}

/** Keys of the documents of one execution: never shared between executions, never overwritten. */
export function documentKey(kind: 'backups' | 'plans' | 'reports' | 'approvals', cluster: string, execution: string, file: string): string {
  return `${kind}/${cluster}/${execution}/${file}`;
}

export function s3Location(bucket: string, key: string, versionId?: string): string {
  return `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''}`;
}
