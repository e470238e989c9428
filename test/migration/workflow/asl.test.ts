// Static checks of the migration ASL: it validates, every `${…}` placeholder has exactly one
// substitution listed for CDK, every custom error name it matches is thrown by the code, and
// no catch-all comes before specific errors.
import validator from 'asl-validator';
import * as eks from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import * as sharedErrors from '#kernel/errors';
import * as configErrors from '#kernel/config';
import * as migration from '#migration/domain/input';
import * as migrationErrors from '#migration/domain/errors';
import * as k8s from '#migration/adapters/aws-auth-store';
import * as s3 from '#migration/adapters/documents';
import * as eksAdapter from '#access/adapters/entries';
import { MIGRATION_SUBSTITUTIONS } from '#workflows/manifest';
import { REJECTION_ERROR } from '#cli/commands/migrate';
import { aslText, substitutedDefinition } from './world.ts';

interface Rule {
  ErrorEquals: string[];
}
interface AnyState {
  Type: string;
  Resource?: string;
  Retry?: Rule[];
  Catch?: Rule[];
}

const states = (): Record<string, AnyState> => (JSON.parse(aslText()) as { States: Record<string, AnyState> }).States;
const rules = () => Object.entries(states()).flatMap(([name, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].map((r) => ({ name, r })));

/** Names of the error classes our code exports (instantiated to read `this.name`). */
function ourErrorNames(): Set<string> {
  const names = new Set<string>();
  for (const mod of [sharedErrors, configErrors, migration, migrationErrors, k8s, s3, eksAdapter]) {
    for (const value of Object.values(mod)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      const ctor = value as new (...args: unknown[]) => Error;
      names.add(new ctor('x', 'y').name);
    }
  }
  return names;
}

// Step Functions' own names and those of the Lambda integration (developer guide, "Handling
// errors in Step Functions workflows").
const STATES_ERRORS = new Set(['States.ALL', 'States.Timeout', 'States.TaskFailed']);
/** Names no class of ours throws: the error an operator's SendTaskFailure carries. */
const CALLBACK_ERRORS = new Set([REJECTION_ERROR]);
/**
 * The Lambda service exceptions the Step Functions developer guide tells a workflow to retry
 * ("Handle Lambda service exceptions", bp-lambda-serviceexception.html: "Retry": [{ "ErrorEquals":
 * ["Lambda.ClientExecutionTimeoutException", "Lambda.ServiceException",
 * "Lambda.AWSLambdaException", "Lambda.SdkClientException"], … }]).
 */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];
// The same page: "When Lambda hits the maximum number of invocations, the error is Lambda.TooManyRequestsException".
const LAMBDA_ERRORS = new Set([...LAMBDA_SERVICE_ERRORS, 'Lambda.TooManyRequestsException']);

/** A Task that invokes a Lambda function: a function ARN placeholder or the lambda:invoke integration. */
const invokesLambda = (s: AnyState) =>
  s.Type === 'Task' && (/^\$\{\w+FunctionArn\}$/.test(s.Resource ?? '') || /^arn:[^:]+:states:::lambda:invoke/.test(s.Resource ?? ''));

describe('workflows/auth-mode-migration.asl.json', () => {
  it('passes asl-validator as written (placeholders in place) and once substituted', () => {
    const raw = validator(JSON.parse(aslText()), { checkPaths: true, checkArn: true });
    const substituted = validator(substitutedDefinition(), { checkPaths: true, checkArn: true });

    expect(raw.errorsText('\n')).toBe('');
    expect(raw.isValid).toBe(true);
    expect(substituted.isValid).toBe(true);
  });

  it('uses exactly the placeholders listed in MIGRATION_SUBSTITUTIONS', () => {
    const used = new Set([...aslText().matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]));

    expect([...used].sort()).toEqual(Object.keys(MIGRATION_SUBSTITUTIONS).sort());
  });

  it('matches only error names that exist: ours, the SDK integration\'s Eks.* and Step Functions\'', () => {
    const ours = ourErrorNames();
    const sdk = new Set(Object.keys(eks).filter((k) => k.endsWith('Exception')));
    const unknown = rules()
      .flatMap(({ r }) => r.ErrorEquals)
      .filter((n) => !STATES_ERRORS.has(n) && !LAMBDA_ERRORS.has(n) && !CALLBACK_ERRORS.has(n))
      .filter((n) => !(n.startsWith('Eks.') && sdk.has(n.slice(4))))
      .filter((n) => !ours.has(n) && !sdk.has(n));

    expect(unknown).toEqual([]);
    expect(ours).toContain('AccessEntryConflictError');
    expect(ours).toContain('ChangedSinceBackupError');
  });

  it('retries every Lambda task on all four Lambda service exceptions the developer guide lists', () => {
    const lambdaTasks = Object.entries(states()).filter(([, s]) => invokesLambda(s));
    expect(lambdaTasks.length).toBeGreaterThan(0);
    for (const [name, s] of lambdaTasks) {
      const retried = (s.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried, name).toEqual(expect.arrayContaining(LAMBDA_SERVICE_ERRORS));
    }
  });

  it('puts States.ALL only alone and last in a Catch or Retry list', () => {
    for (const s of Object.values(states())) {
      for (const list of [s.Retry ?? [], s.Catch ?? []]) {
        list.forEach((rule, i) => {
          if (rule.ErrorEquals.includes('States.ALL')) {
            expect(rule.ErrorEquals).toEqual(['States.ALL']);
            expect(i).toBe(list.length - 1);
          }
        });
      }
    }
  });

  it('tells a rejection, a timeout and a failed approval request apart at "Wait for approval", none rolled back', () => {
    const catches = (states()['Wait for approval']!.Catch ?? []) as Array<Rule & { Next: string }>;

    expect(catches.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [[REJECTION_ERROR], 'Cutover not approved'],
      [['States.Timeout'], 'Approval timed out'],
      [['States.ALL'], 'Approval request failed'],
    ]);
    expect(states()['Approval request failed']).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error' });
  });

  it('retries KubernetesUnavailableError (429/5xx) with backoff in every Task that reaches the Kubernetes API', () => {
    const all = states() as unknown as Record<string, { Retry?: Array<Rule & { BackoffRate?: number; MaxAttempts?: number }> }>;
    for (const name of ['Describe cluster', 'Back up aws-auth and access entries', 'Re-check before API', 'Roll back']) {
      const rule = (all[name]!.Retry ?? []).find((r) => r.ErrorEquals.includes('KubernetesUnavailableError'));
      expect(rule, name).toEqual(expect.objectContaining({ BackoffRate: 2 }));
      expect(rule?.MaxAttempts ?? 0, name).toBeGreaterThan(1);
    }
  });

  it('ends every failure before the backup in "Stopped before any change", an unexpected one named after its step', () => {
    const all = states() as unknown as Record<string, { Catch?: Array<Rule & { Next: string }> }>;
    for (const [name, code] of [['Validate input', 'ValidateInput'], ['Describe cluster', 'DescribeCluster']] as const) {
      const last = all[name]!.Catch!.at(-1)!;
      expect(last, name).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: `Nothing changed: ${name} failed` }));
      expect(all[last.Next]).toMatchObject({ Type: 'Pass', Next: 'Stopped before any change', Parameters: { Error: `NothingChanged.${code}` } });
    }
    expect(all['Stopped before any change']).toMatchObject({ Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.Cause' });
  });

  it('sends every failure after the backup to "Roll back", and a rollback failure to "Rollback failed"', () => {
    const all = states() as Record<string, AnyState & { Catch?: Array<Rule & { Next: string }> }>;
    const after = ['Plan conversion', 'Switch to API_AND_CONFIG_MAP', 'Check API_AND_CONFIG_MAP update', 'Re-list access entries', 'Create access entries', 'Verify access entries', 'Re-check before API', 'Switch to API', 'Check API update', 'Report'];
    for (const name of after) {
      const last = all[name]!.Catch!.at(-1)!;
      expect(last, name).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Roll back' }));
    }
    expect(all['Roll back']!.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['RollbackIncompleteError', 'ConcurrentEditError', 'KubernetesUnavailableError'], ResultPath: '$.rollbackError', Next: 'Rollback incomplete' }),
      expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: 'Rollback function failed: what failed first?' }),
    ]);
    // Every way out of "Roll back" other than success ends in "Rollback failed", under its own Error name.
    for (const name of ['Rollback incomplete', 'Rollback function failed after a step failed', 'Rollback function failed after a mode switch']) {
      expect(all[name], name).toMatchObject({ Type: 'Pass', ResultPath: '$.rollback', Next: 'Rollback failed' });
    }
    expect(all['Rollback failed']).toMatchObject({ Type: 'Fail', Error: 'RollbackFailed', CausePath: '$.rollback.report.errorMessage' });
  });

  it('builds the Cause of a failed rollback function only from paths every way into "Roll back" has (else States.Runtime)', () => {
    const all = states() as unknown as Record<string, { Type: string; Next?: string; Default?: string; Parameters?: unknown; Catch?: Array<Rule & { Next: string; ResultPath?: string }>; Choices?: Array<{ Next: string }> }>;
    // The ways in: a step's Catch (ResultPath $.error) or an "… update done?" Choice (no $.error).
    const catches = Object.values(all).flatMap((s) => (s.Catch ?? []).filter((c) => c.Next === 'Roll back'));
    const choices = Object.entries(all).filter(([, s]) => s.Type === 'Choice' && (s.Choices ?? []).some((c) => c.Next === 'Roll back')).map(([n]) => n);
    expect(catches.length).toBeGreaterThan(0);
    expect(new Set(catches.map((c) => c.ResultPath))).toEqual(new Set(['$.error']));
    expect(choices.sort()).toEqual(['API update done?', 'API_AND_CONFIG_MAP update done?']);
    // From the Choice that routes the failed function: $.error present → a step failed, else a switch.
    expect(all['Rollback function failed: what failed first?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.error', IsPresent: true, Next: 'Rollback function failed after a step failed' }],
      Default: 'Rollback function failed after a mode switch',
    });
    // What is always there: run and backup (every required field), rollbackError (its Catch), and error after a step's Catch.
    const always = ['$.run.executionName', '$.run.clusterName', '$.run.region', '$.backup.location', '$.backup.bucket', '$.backup.key', '$.rollbackError.Error', '$.rollbackError.Cause'];
    const paths = (name: string) => [...JSON.stringify(all[name]!.Parameters).matchAll(/\$\.[A-Za-z.]+/g)].map((m) => m[0]);
    expect(paths('Rollback function failed after a step failed').filter((p) => ![...always, '$.error.Error', '$.error.Cause'].includes(p))).toEqual([]);
    expect(paths('Rollback function failed after a mode switch').filter((p) => !always.includes(p))).toEqual([]);
    expect(paths('Rollback incomplete')).toEqual(['$.rollbackError.Cause']);
  });
});
