/**
 * The migration state machine's definition file and every `${Placeholder}` in it, with what
 * CDK must substitute (`definitionSubstitutions`). The CDK construct builds its substitutions
 * from this list; a test checks that the ASL uses exactly these placeholders.
 */
export const MIGRATION_ASL_PATH = 'workflows/auth-mode-migration.asl.json';

/** The deployed state machine's fixed name: what operators look for in the console and the CLI finds. */
export const MIGRATION_STATE_MACHINE_NAME = 'eks-access-pilot-auth-mode-migration';

export type Substitution =
  | { kind: 'function'; entry: string; description: string }
  | { kind: 'bucket'; description: string }
  | { kind: 'setting'; default: string; description: string };

export const MIGRATION_SUBSTITUTIONS = {
  ValidateInputFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/validate-input.ts', description: 'Validate input' },
  DescribeClusterFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/describe-cluster.ts', description: 'Describe cluster' },
  BackupFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/backup.ts', description: 'Back up aws-auth and access entries' },
  PlanFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/plan.ts', description: 'Plan conversion' },
  RelistEntriesFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/relist.ts', description: 'Re-list access entries' },
  CreateEntriesFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/create-entries.ts', description: 'Create access entries' },
  VerifyEntriesFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/verify.ts', description: 'Verify access entries' },
  RequestApprovalFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/request-approval.ts', description: 'Wait for approval (waitForTaskToken)' },
  RecheckFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/recheck.ts', description: 'Re-check before API' },
  ReportFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/report.ts', description: 'Report' },
  RollbackFunctionArn: { kind: 'function', entry: 'functions/migration/tasks/rollback.ts', description: 'Roll back' },
  BackupBucket: { kind: 'bucket', description: 'versioned, encrypted bucket for backups, plans, approval requests and reports' },
  ApprovalTimeoutSeconds: { kind: 'setting', default: '86400', description: 'how long "Wait for approval" waits before leaving the cluster in API_AND_CONFIG_MAP' },
  UpdatePollSeconds: { kind: 'setting', default: '30', description: 'seconds between DescribeUpdate checks of a mode switch' },
  MaxUpdatePolls: { kind: 'setting', default: '40', description: 'checks of a mode switch before it is treated as timed out and rolled back' },
} as const satisfies Record<string, Substitution>;

export type MigrationPlaceholder = keyof typeof MIGRATION_SUBSTITUTIONS;
