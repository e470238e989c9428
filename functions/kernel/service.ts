/** The service's name and metrics namespace: one definition for the functions and the CDK app. */
export const SERVICE_NAME = 'eks-access-pilot';
export const METRICS_NAMESPACE = 'EksAccessPilot';
