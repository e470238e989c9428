/**
 * The base of every error eks-access-pilot throws. Subclasses live with their feature
 * (access/domain/errors.ts, migration/domain/errors.ts) and each sets `this.name`, which is what
 * Step Functions' `Retry`/`Catch` `ErrorEquals` match on and what on-call reads in a log line;
 * esbuild keeps class names (`keepNames`) so the names survive bundling.
 */
export class EksAccessPilotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EksAccessPilotError';
  }
}
