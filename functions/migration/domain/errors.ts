/**
 * Typed errors of the authentication-mode migration workflow. Each sets `this.name`: Step
 * Functions matches a Lambda error by the `name` of the thrown Error (Lambda reports it as
 * `errorType`), so these names appear verbatim in the ASL's `Retry`/`Catch` `ErrorEquals`
 * (workflows/auth-mode-migration.asl.json). A test checks that every custom name there is one
 * of these classes.
 */
import { EksAccessPilotError } from '#kernel/errors';

/** The execution input is malformed; the message names every bad or unknown field. */
export class InvalidInputError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

/** The cluster cannot be migrated now (missing, not ACTIVE, too old, or past the target). */
export class ClusterNotEligibleError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterNotEligibleError';
  }
}

/** The workflow's own configuration (the `${…}` substitutions) is unusable. */
export class WorkflowSettingsError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkflowSettingsError';
  }
}

/**
 * The workflow cannot read aws-auth through the Kubernetes API (401/403). The message quotes
 * the exact `mapRoles` row an operator must add.
 */
export class AwsAuthUnreadableError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsAuthUnreadableError';
  }
}

/** aws-auth is malformed: the plan is invalid and nothing is migrated. */
export class AwsAuthMalformedError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsAuthMalformedError';
  }
}

/** A document the workflow wrote earlier (backup, plan) is missing or not what it should be. */
export class MigrationDocumentError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationDocumentError';
  }
}

/** An access entry already exists for a planned principal and differs from the plan. */
export class AccessEntryConflictError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessEntryConflictError';
  }
}

/** After creation, an access entry is missing or differs from the plan. */
export class AccessEntriesMismatchError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessEntriesMismatchError';
  }
}

/**
 * The rollback could not undo everything. The message is the whole story on-call reads as the
 * Cause of "Rollback failed" (rollback-report.ts, incompleteRollbackStory): the failure that started
 * the rollback, each undo step done / not needed / NOT DONE and why, the backup and the next actions.
 */
export class RollbackIncompleteError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RollbackIncompleteError';
  }
}


/**
 * Merging the backed-up aws-auth back would change how the authenticator reads a row (or the
 * rows cannot be read cleanly to check that), so nothing was written; the message names the key.
 */
export class AwsAuthMergeError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsAuthMergeError';
  }
}

/**
 * Between the plan and the switch to API (typically while waiting for approval), aws-auth
 * changed from the backup or a planned access entry went missing or changed: switching on the
 * stale plan could lock principals out. The message says what changed; nothing is rolled back.
 */
export class ChangedSinceBackupError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChangedSinceBackupError';
  }
}

/**
 * The Kubernetes API server answered 429 Too Many Requests or a 5xx while aws-auth was read or
 * written: a transient condition, retried by the ASL with backoff like an AWS throttle. The
 * Kubernetes API conventions call both retryable ("API Concepts", and client-go's `rest`
 * client retries 429 and 5xx responses that carry Retry-After); Step Functions cannot honour a
 * Retry-After header, so the Retry's backoff stands in for it.
 */
export class KubernetesUnavailableError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubernetesUnavailableError';
  }
}

/**
 * The plan would take the cluster past EKS's 3,000 access entries per cluster (not adjustable:
 * kernel/quotas.ts): the creates would fail halfway, so a real run stops at the plan with
 * nothing changed. The message gives the numbers and what to remove.
 */
export class AccessEntryQuotaError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessEntryQuotaError';
  }
}
