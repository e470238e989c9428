/**
 * Task "Validate input": the console input (unknown fields and bad values rejected with a
 * message naming them) plus the workflow's settings, which arrive as the strings CDK substituted
 * into the ASL (`${ApprovalTimeoutSeconds}` …) and are checked here so a misconfigured stack
 * fails at its first state, not at the approval step.
 */
import * as z from 'zod';
import { formatIssues } from '#kernel/config';
import { parseMigrationInput } from '#migration/domain/input';
import { InvalidInputError } from '#migration/domain/errors';
import { WorkflowSettingsError } from '#migration/domain/errors';
import { EXECUTION_NAME, type Run } from '#workflows/contract';
import { instrument, logger } from '#platform/powertools';

const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const SettingsSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  // A task token lives at most a year (Step Functions quotas); a day or a week is typical.
  approvalTimeoutSeconds: intString(1, 31_536_000),
  pollSeconds: intString(0, 3600),
  maxPolls: intString(1, 1000),
});

export interface ValidateInputEvent {
  input: unknown;
  executionName: string;
  /** `$$.StateMachine.Id`: its region is the only one the EKS SDK integrations can reach. */
  stateMachineArn: string;
  settings: Record<string, string>;
}

export async function validateInput(event: ValidateInputEvent): Promise<Run> {
  const input = parseMigrationInput(event.input);
  if (typeof event.executionName !== 'string' || !EXECUTION_NAME.test(event.executionName)) {
    // The name goes into S3 keys and into the tag eks-access-pilot/source=migration/<name>.
    throw new InvalidInputError(
      `invalid execution name ${JSON.stringify(event.executionName)}: use 1-80 letters, digits, - or _ (the console's default UUID is fine)`,
    );
  }
  const home = /^arn:[a-z-]+:states:([a-z0-9-]+):/.exec(event.stateMachineArn ?? '')?.[1];
  if (home && home !== input.region) {
    // The mode switches are direct aws-sdk:eks integrations, which call EKS in the state machine's
    // own region only (cross-region calls need a Lambda: aws/aws-cdk#30061).
    throw new InvalidInputError(
      `region: the cluster is in ${input.region} but this state machine runs in ${home}; its EKS calls reach only ${home}. Use the migration stack deployed in ${input.region}.`,
    );
  }
  const settings = SettingsSchema.safeParse(event.settings);
  if (!settings.success) {
    throw new WorkflowSettingsError(`the state machine's settings are invalid (CDK definitionSubstitutions): ${formatIssues(settings.error).split('\n').join('; ')}`);
  }
  const run: Run = { ...input, executionName: event.executionName, ...settings.data };
  logger.info('migration input accepted', { cluster: run.clusterName, region: run.region, targetMode: run.targetMode, dryRun: run.dryRun });
  return run;
}

export const handler = instrument(validateInput, { metrics: false });
