/**
 * A cluster's authentication mode, as both features read it. Pure.
 */
export const AUTH_MODES = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The mode of a cluster whose DescribeCluster reports none. A cluster created through the EKS
 * API, an SDK or CloudFormation without `accessConfig` is in CONFIG_MAP ("If you create a cluster
 * by using the EKS API, AWS SDKs, or AWS CloudFormation, the default is CONFIG_MAP", EKS API
 * reference, CreateAccessConfigRequest). It is also the side that cannot lock anyone out: no
 * access entries are assumed to be in effect.
 */
export const DEFAULT_AUTH_MODE: AuthMode = 'CONFIG_MAP';

export function isAuthMode(v: unknown): v is AuthMode {
  return typeof v === 'string' && (AUTH_MODES as readonly string[]).includes(v);
}
