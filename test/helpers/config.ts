/** A parsed configuration for tests, built through the real schema. */
import { parseConfig, type Config, type ConfigInput, type RuntimeConfig } from '#kernel/config';

export const ACCOUNT = '111122223333';

export function testConfig(overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig({
    clusters: [
      { name: 'prod', region: 'eu-west-1' },
      { name: 'staging', region: 'eu-west-1' },
      { name: 'analytics', region: 'us-east-1' },
    ],
    allowedGroups: ['pod-readers', 'log-readers'],
    protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/BreakGlassAdmin`],
    ...overrides,
  });
}

export function testRuntime(overrides: Partial<ConfigInput> = {}): RuntimeConfig {
  return {
    config: testConfig(overrides),
    systemRoleArns: [`arn:aws:iam::${ACCOUNT}:role/eks-access-pilot/ProvisionerRole`],
  };
}

/** The instant tests judge expiries against, unless they move the clock themselves. */
export const NOW = new Date('2026-06-01T12:00:00Z');
