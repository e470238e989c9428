/**
 * IAM building blocks that the tag provisioning and the migration both use: the ARNs of the
 * managed clusters and their access entries, the look-up of principals known by name only, and
 * the cdk-nag acknowledgement of a statement's wildcards.
 *
 * ARN formats follow the Service Authorization Reference (SAR):
 *  - EKS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html):
 *    `cluster/${ClusterName}`, and
 *    `access-entry/${ClusterName}/${IamIdentityType}/${IamIdentityAccountID}/${IamIdentityName}/${UUID}`,
 *    whose UUID EKS assigns at creation: entries can only be named per cluster with a trailing
 *    wildcard.
 *  - IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
 *    `role/${RoleNameWithPath}`, `user/${UserNameWithPath}`: a name alone does not give the ARN.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import type { Config } from '#kernel/config';

/** The ARNs that name the managed clusters in a policy. */
export interface ManagedClusterArns {
  /** `…:eks:<region>:<account>:cluster/<name>`, one per cluster. */
  readonly clusters: string[];
  /** `…:eks:<region>:<account>:access-entry/<name>/*`: every access entry of the cluster. */
  readonly accessEntries: string[];
}

/** The cluster and access-entry ARNs of `clusters`, each in its own region, in the stack's account. */
export function managedClusterArns(scope: Construct, clusters: readonly Config['clusters'][number][]): ManagedClusterArns {
  const stack = Stack.of(scope);
  const arn = (region: string, resource: string, resourceName: string) => stack.formatArn({ service: 'eks', region, resource, resourceName });
  return {
    clusters: clusters.map((c) => arn(c.region, 'cluster', c.name)),
    accessEntries: clusters.map((c) => arn(c.region, 'access-entry', `${c.name}/*`)),
  };
}

/** Why an access-entry ARN ends in a wildcard: the start of every such acknowledgement's reason. */
export const ACCESS_ENTRY_WILDCARD = 'Access entry ARNs end in a UUID EKS assigns at creation, so the entries of a managed cluster can only be named access-entry/<cluster>/*';

/**
 * `iam:GetRole` and `iam:GetUser` on every role and user of the stack's account, for principals
 * known by name only: they may live under any path, and the path is part of the ARN.
 */
export function principalLookupStatement(scope: Construct, sid: string): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid,
    actions: ['iam:GetRole', 'iam:GetUser'],
    resources: [
      stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' }),
      stack.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' }),
    ],
  });
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 for each wildcard action and resource of `statement`,
 * on `role`, the role whose policy holds it, with `reason`. The finding ids are derived from the
 * statement itself, the way the rule derives them (cdk-nag 3, rules/iam/IAMNoWildcardPermissions:
 * `Action::<action>`, `Resource::<flattenCfnReference(resource)>` for Allow statements), so an
 * acknowledgement follows its statement wherever the statement's ARNs come from.
 * @throws Error when the statement has no wildcard: the acknowledgement would be for nothing.
 */
export function acknowledgeWildcards(role: iam.IRole, statement: iam.PolicyStatement, reason: string): void {
  const json = Stack.of(role).resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const findings = [
    ...list(json.Action).map((a) => `Action::${String(a)}`),
    ...list(json.Resource).map((r) => `Resource::${flattenCfnReference(r)}`),
  ].filter((f) => f.includes('*'));
  if (statement.effect !== iam.Effect.ALLOW || findings.length === 0) {
    throw new Error(`acknowledgeWildcards: statement ${statement.sid ?? '(no sid)'} has no wildcard for AwsSolutions-IAM5 to report`);
  }
  for (const finding of new Set(findings)) Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** An IAM statement and, when it names actions or resources by wildcard, why (the cdk-nag IAM5 reason). */
export interface ExplainedStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcardReason?: string;
}

/** Adds the statement to the role's policy and acknowledges its wildcards, if any, with their reason. */
export function addExplainedStatement(role: iam.Role, { statement, wildcardReason }: ExplainedStatement): void {
  role.addToPrincipalPolicy(statement);
  if (wildcardReason !== undefined) acknowledgeWildcards(role, statement, wildcardReason);
}
