/**
 * Typed errors, in one place. Each sets `this.name`, which is what Step Functions'
 * `Retry`/`Catch` `ErrorEquals` match on and what on-call reads in a log line; esbuild
 * keeps class names (`keepNames`) so the names survive bundling.
 */
export class EksAccessPilotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EksAccessPilotError';
  }
}

/** An event that is not a well-formed EventBridge/CloudTrail event; the message names the field. */
export class MalformedEventError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedEventError';
  }
}

/** A cluster that cannot take access entries yet (authentication mode CONFIG_MAP). */
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
