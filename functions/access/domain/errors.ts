/**
 * The tag side's typed errors. Each sets `this.name`: it is what on-call reads in a log line,
 * and esbuild keeps class names (`keepNames`) so the names survive bundling.
 */
import { EksAccessPilotError } from '#kernel/errors';

/** An event that is not a well-formed EventBridge/CloudTrail event; the message names the field. */
export class MalformedEventError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedEventError';
  }
}

/** A cluster that access tags must not manage in its current authentication mode; skipped and reported. */
export class ClusterNotReadyError extends EksAccessPilotError {
  constructor(
    readonly cluster: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClusterNotReadyError';
  }
}

/** Some clusters failed to converge; the event is retried (async invoke) and resync repairs the rest. */
export class ReconcileFailedError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReconcileFailedError';
  }
}

/**
 * The permission sets of the Identity Center instance could not be read (the read role could not
 * be assumed, a call was refused or kept throttling past the SDK's retries). Nothing is changed for
 * the Identity Center roles that needed them: unknown tags never revoke access.
 */
export class PermissionSetsUnreadableError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermissionSetsUnreadableError';
  }
}
