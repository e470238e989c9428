/**
 * How the sandbox authorizes a call it serves: the mapping of infra/authorization/requests.ts
 * (the one doctor simulates with too), with the resources looked up in the sandbox's model; the
 * calls around the deployment (CloudTrail, EventBridge, SQS, CloudFormation,
 * iam:SimulatePrincipalPolicy) in ./requests-deployment.ts. An operation mapped in neither throws:
 * a call the sandbox cannot authorize is never let through silently.
 */
import {
  authorizationRequests as mapped,
  mapsCall,
  type AuthorizationRequest,
  type CallSummary,
  type ResourceLookup,
} from '#infra/authorization/requests';
import type { AwsModel } from '#sandbox/model/index';
import { DEPLOYMENT_REQUESTS } from './requests-deployment.ts';

export type { AuthorizationRequest, CallSummary };

/**
 * Reads the model for IAM's context without counting them as API calls: authorization is not an
 * operation the caller made, and the models' call counts are what tests and the demo report.
 * A read that throws (not found) is "does not exist".
 */
function peek<T>(model: AwsModel, read: () => T): T | undefined {
  const eks = new Map(model.eks.calls);
  const iam = new Map(model.iam.calls);
  try {
    return read();
  } catch {
    return undefined;
  } finally {
    for (const [counts, saved] of [[model.eks.calls, eks], [model.iam.calls, iam]] as const) {
      counts.clear();
      for (const [k, v] of saved) counts.set(k, v);
    }
  }
}

function modelLookup(model: AwsModel): ResourceLookup {
  return {
    cluster: (region, name) => {
      const c = peek(model, () => model.eks.describeCluster(region, { name }).cluster);
      return c?.arn ? { arn: c.arn, tags: { ...(c.tags ?? {}) } } : undefined;
    },
    accessEntry: (region, clusterName, principalArn) => {
      const e = peek(model, () => model.eks.describeAccessEntry(region, { clusterName, principalArn }).accessEntry);
      if (!e?.accessEntryArn) return undefined;
      return { arn: e.accessEntryArn, tags: { ...(e.tags ?? {}) }, type: e.type ?? 'STANDARD', username: e.username, kubernetesGroups: e.kubernetesGroups };
    },
    principal: (kind, name) => peek(model, () => (kind === 'role' ? model.iam.getRole({ RoleName: name }).Role?.Arn : model.iam.getUser({ UserName: name }).User?.Arn)),
  };
}

/** The authorization requests of one call; throws for an operation the sandbox does not map. */
export function authorizationRequests(c: CallSummary, model: AwsModel): AuthorizationRequest[] {
  if (mapsCall(c)) return mapped(c, modelLookup(model));
  const build = DEPLOYMENT_REQUESTS[c.service]?.[c.operation];
  if (!build) throw new Error(`the sandbox does not know how IAM authorizes ${c.service}:${c.operation}; map it in infra/authorization/requests.ts`);
  return build(c, model);
}
