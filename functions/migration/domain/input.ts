/**
 * The migration's input, as an operator types it in the Step Functions console or the CLI
 * sends it: validated, unknown fields rejected, every error naming its field. Pure.
 */
import * as z from 'zod';
import { formatIssues } from '#kernel/config';
import { InvalidInputError } from './errors.ts';

export const MigrationInputSchema = z.strictObject({
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name'),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1'),
  targetMode: z.enum(['API_AND_CONFIG_MAP', 'API'], { message: 'must be "API_AND_CONFIG_MAP" or "API"' }),
  /** Required on purpose: a console start should say whether it changes anything. */
  dryRun: z.boolean({ message: 'must be true or false' }),
  /** Skip the approval step before the one-way switch to API. */
  approveCutover: z.boolean({ message: 'must be true or false' }).default(false),
});
export type MigrationInput = z.output<typeof MigrationInputSchema>;

/** Validates the execution input; throws InvalidInputError naming every bad or unknown field. */
export function parseMigrationInput(raw: unknown): MigrationInput {
  const r = MigrationInputSchema.safeParse(raw);
  if (!r.success) throw new InvalidInputError(`invalid input: ${formatIssues(r.error).split('\n').join('; ')}`);
  return r.data;
}

