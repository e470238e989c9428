/**
 * The ASL's `${Placeholder}`s by kind, from MIGRATION_SUBSTITUTIONS (workflows/manifest.ts), the
 * one list of them: a placeholder added there without a function, bucket or setting here fails
 * to compile (the task table is keyed by these types) or fails synth.
 */
import { MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';

type Substitutions = typeof MIGRATION_SUBSTITUTIONS;
type PlaceholderOf<K extends Substitutions[MigrationPlaceholder]['kind']> = {
  [P in MigrationPlaceholder]: Substitutions[P]['kind'] extends K ? P : never;
}[MigrationPlaceholder];

/** `${…FunctionArn}` placeholders: one task function each. */
export type MigrationTask = PlaceholderOf<'function'>;
/** `${ApprovalTimeoutSeconds}`, `${UpdatePollSeconds}`, `${MaxUpdatePolls}`. */
export type MigrationSetting = PlaceholderOf<'setting'>;

/** Whether `p` is one of the workflow's settings (a whole number the operator may override). */
export function isSetting(p: MigrationPlaceholder): p is MigrationSetting {
  return MIGRATION_SUBSTITUTIONS[p].kind === 'setting';
}
