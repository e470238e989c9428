/**
 * Whether a cluster can take access entries, and which authentication-mode changes remain.
 * Pure.
 */
import { AUTH_MODES, type AuthMode } from '#kernel/auth-mode';
import { ClusterNotEligibleError } from './errors.ts';

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
