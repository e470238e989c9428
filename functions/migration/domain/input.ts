/**
 * Rules of the authentication-mode migration that do not need AWS to decide: the console
 * input, whether a cluster can take access entries, which mode changes remain, and
 * whether created entries match the plan. Pure.
 */
import * as z from 'zod';
import { formatIssues } from '#kernel/config';
import { EksAccessPilotError } from '#kernel/errors';

export const AUTH_MODES = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export class InvalidInputError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidInputError';
  }
}

export class ClusterNotEligibleError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterNotEligibleError';
  }
}

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

/**
 * Minimum platform version per Kubernetes version for access entries and authentication
 * mode changes; later Kubernetes versions always qualify, earlier ones never do.
 * Source: EKS User Guide, "Manage access entries" → Prerequisites.
 */
const MIN_PLATFORM: Record<string, number> = {
  '1.23': 17,
  '1.24': 15,
  '1.25': 12,
  '1.26': 11,
  '1.27': 10,
  '1.28': 6,
  '1.29': 1,
  '1.30': 2,
};

/** Undefined when the cluster's versions support access entries, else why not. */
export function accessEntriesUnsupported(version: string, platformVersion: string): string | undefined {
  const [major, minor] = version.split('.').map(Number);
  const platform = /^eks\.(\d+)$/.exec(platformVersion)?.[1];
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return `unrecognised Kubernetes version "${version}"`;
  if (major === 1 && minor < 23) return `Kubernetes ${version} does not support access entries (1.23 or later is required)`;
  const min = MIN_PLATFORM[`${major}.${minor}`];
  if (min === undefined) return undefined;
  if (platform === undefined) return `unrecognised platform version "${platformVersion}"`;
  if (Number(platform) < min) return `platform version ${platformVersion} is too old for access entries on Kubernetes ${version} (eks.${min} or later is required)`;
  return undefined;
}

/**
 * The mode changes still to make, in order. EKS only moves forward one step at a time
 * (CONFIG_MAP → API_AND_CONFIG_MAP → API) and cannot go back: "you can't change the
 * authentication mode back to a mode that removes the EKS API" (EKS User Guide,
 * "Change authentication mode to use access entries"); CONFIG_MAP → API in one update
 * and same-mode updates are rejected.
 */
export function remainingModeSteps(current: AuthMode, target: AuthMode): AuthMode[] {
  const from = AUTH_MODES.indexOf(current);
  const to = AUTH_MODES.indexOf(target);
  if (to < from) {
    throw new ClusterNotEligibleError(`the cluster is already in ${current}; the authentication mode cannot be changed back to ${target}`);
  }
  return AUTH_MODES.slice(from + 1, to + 1);
}

export function isAuthMode(v: unknown): v is AuthMode {
  return typeof v === 'string' && (AUTH_MODES as readonly string[]).includes(v);
}
