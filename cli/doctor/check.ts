/**
 * What one `doctor` check reports, and the guard every check runs under: a read `doctor` itself
 * is not allowed to make is a `warn` naming the permission, never a crash; any other failure to
 * read is a `warn` saying what could not be checked. A check never changes anything.
 */
import { errorText } from '../lib/format.ts';

export type Status = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  status: Status;
  detail: string;
  /** What a person does about a warn or a fail; every one has it. */
  fix?: string;
}

/**
 * The error names AWS answers "not allowed" with: `AccessDenied` (S3, STS, CloudFormation's
 * awsQuery `AccessDenied`), `AccessDeniedException` (EKS, CloudTrail, EventBridge, SQS's JSON
 * protocol), `AuthorizationError` (SNS), `UnauthorizedOperation` (EC2) — each service's API
 * reference, "Common errors".
 */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'UnauthorizedOperation', 'UnauthorizedException']);

export function isAccessDenied(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  const code = (e as { Code?: unknown } | null)?.Code;
  return (typeof name === 'string' && DENIED.has(name)) || (typeof code === 'string' && DENIED.has(code));
}

export const READ_POLICY_HINT = 'give the identity running doctor the read-only policy in README, "Check a deployment with doctor"';

/**
 * Runs one check. `reads` names the calls it makes, for the warning when one is refused. Checks
 * that report several results (one per cluster) return an array.
 */
export async function guarded(id: string, reads: string, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const r = await run();
    return Array.isArray(r) ? r : [r];
  } catch (e) {
    if (isAccessDenied(e)) {
      return [{ id, status: 'warn', detail: `not checked: doctor may not call ${reads} (${errorText(e)})`, fix: READ_POLICY_HINT }];
    }
    return [{ id, status: 'warn', detail: `not checked: ${errorText(e)}`, fix: `run doctor again; if it persists, call ${reads} yourself to see why` }];
  }
}

export const pass = (id: string, detail: string): CheckResult => ({ id, status: 'pass', detail });
export const warn = (id: string, detail: string, fix: string): CheckResult => ({ id, status: 'warn', detail, fix });
export const fail = (id: string, detail: string, fix: string): CheckResult => ({ id, status: 'fail', detail, fix });
