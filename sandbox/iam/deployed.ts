/**
 * The deployed app, as IAM would see it: the CDK app this repository ships, synthesized for the
 * sandbox's account and configuration exactly as `cdk synth` builds it (infra/stacks/index.ts,
 * bundling skipped), and read back from its CloudFormation templates. The sandbox enforces these
 * policies on every request, so a grant missing from the app fails here, not in a customer's
 * account (docs/architecture.md, "How it is tested").
 *
 * Kept: what IAM evaluates — each role's name, path and identity policies (inline `Policies`,
 * attached `AWS::IAM::Policy` resources), the bucket policies, which role each Lambda function and
 * state machine runs as, and each function's environment — and what the deployment is made of
 * besides (./deployed-resources.ts): the EventBridge rules, the SQS queues, the functions'
 * async-invoke settings and the stacks with their outputs and resources. CloudFormation's
 * intrinsic functions are resolved as CloudFormation resolves them (./resolver.ts).
 */
import type { ConfigInput } from '#kernel/config';
import { synthesizeStacks } from '#infra/synthesize';
import { readResources, type DeployedInvokeConfig, type DeployedQueue, type DeployedRule, type DeployedScheduleGroup, type DeployedStack } from './deployed-resources.ts';
import { Resolver, type Template } from './resolver.ts';

export type { DeployedInvokeConfig, DeployedQueue, DeployedRule, DeployedScheduleGroup, DeployedStack } from './deployed-resources.ts';

export interface PolicyDocument {
  Version?: string;
  Statement: Array<Record<string, unknown>>;
}

export interface DeployedRole {
  /** The stack and logical ID it comes from (for messages and the mutation test). */
  stack: string;
  logicalId: string;
  name: string;
  path: string;
  arn: string;
  /**
   * Identity policies by name: inline ones (the role's `Policies` and the AWS::IAM::Policy
   * resources attached to it, which CloudFormation creates as inline policies) and customer managed
   * ones (AWS::IAM::ManagedPolicy).
   */
  policies: Array<{ name: string; logicalId: string; document: PolicyDocument; kind: 'inline' | 'managed' }>;
}

export interface DeployedFunction {
  stack: string;
  logicalId: string;
  name: string;
  arn: string;
  roleName: string;
  environment: Record<string, string>;
}

export interface DeployedApp {
  accountId: string;
  partition: string;
  roles: Map<string, DeployedRole>;
  /** Resource policies by the ARN of the resource they are on (the backup buckets). */
  resourcePolicies: Map<string, PolicyDocument>;
  functions: DeployedFunction[];
  /** State machine name → the role it runs as and its definition substitutions (resolved). */
  stateMachines: Map<string, { roleName: string; substitutions: Record<string, string> }>;
  /** EventBridge rules, each in its stack's Region. */
  rules: DeployedRule[];
  queues: DeployedQueue[];
  /** EventBridge Scheduler schedule groups, each in its stack's Region. */
  scheduleGroups: DeployedScheduleGroup[];
  /** Lambda async-invoke settings (AWS::Lambda::EventInvokeConfig), by function ARN. */
  invokeConfigs: DeployedInvokeConfig[];
  /** The stacks as CloudFormation reports them once created. */
  stacks: DeployedStack[];
}

export interface SynthesizeOptions {
  accountId: string;
  partition?: string;
}

/**
 * Synthesizes the app for `config` (raw, as in cdk.json) and reads back what IAM needs.
 * Throws with the field named when the configuration is invalid (the same check `cdk synth` runs).
 */
export function synthesizeDeployedApp(config: ConfigInput, options: SynthesizeOptions): DeployedApp {
  const partition = options.partition ?? 'aws';
  const out: DeployedApp = {
    accountId: options.accountId,
    partition,
    roles: new Map(),
    resourcePolicies: new Map(),
    functions: [],
    stateMachines: new Map(),
    rules: [],
    queues: [],
    scheduleGroups: [],
    invokeConfigs: [],
    stacks: [],
  };
  for (const s of synthesizeStacks(config)) {
    const template = s.template as Template;
    const r = new Resolver(s.name, s.region, options.accountId, partition, template);
    readResources(r, template, s.tags, out);
    const roleOf = new Map<string, DeployedRole>();
    for (const [id, res] of Object.entries(template.Resources)) {
      if (res.Type !== 'AWS::IAM::Role') continue;
      const p = res.Properties ?? {};
      const path = typeof p.Path === 'string' ? p.Path : '/';
      const name = r.name(id);
      const role: DeployedRole = { stack: s.name, logicalId: id, name, path, arn: `arn:${partition}:iam::${options.accountId}:role${path}${name}`, policies: [] };
      for (const inline of (p.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []) {
        role.policies.push({ name: inline.PolicyName, logicalId: id, document: r.resolve(inline.PolicyDocument) as PolicyDocument, kind: 'inline' });
      }
      for (const attached of (p.ManagedPolicyArns as unknown[] | undefined) ?? []) {
        // A managed policy of the same template is read through its own resource (above, via
        // Roles, or here by Ref); an AWS managed policy's document is not known to the sandbox.
        const ref = (attached as { Ref?: string }).Ref;
        const doc = ref ? template.Resources[ref] : undefined;
        if (doc?.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`${s.name}: role ${id} attaches ${JSON.stringify(attached)}, which the sandbox cannot read`);
        if (!((doc.Properties?.Roles as Array<{ Ref: string }> | undefined) ?? []).some((x) => x.Ref === id)) {
          role.policies.push({ name: ref!, logicalId: ref!, document: r.resolve(doc.Properties?.PolicyDocument) as PolicyDocument, kind: 'managed' });
        }
      }
      roleOf.set(id, role);
      out.roles.set(name, role);
    }
    for (const [id, res] of Object.entries(template.Resources)) {
      const p = res.Properties ?? {};
      // AWS::IAM::Policy, and the AWS::IAM::ManagedPolicy resources CDK adds when a role's policy
      // outgrows IAM's size limit (its "OverflowPolicy"), both attached through `Roles`.
      if (res.Type === 'AWS::IAM::Policy' || res.Type === 'AWS::IAM::ManagedPolicy') {
        for (const ref of (p.Roles as Array<{ Ref: string }> | undefined) ?? []) {
          const role = roleOf.get(ref.Ref);
          if (!role) throw new Error(`${s.name}: policy ${id} is attached to ${JSON.stringify(ref)}, not a role of the stack`);
          role.policies.push({
            name: String(p.PolicyName ?? p.ManagedPolicyName ?? id),
            logicalId: id,
            document: r.resolve(p.PolicyDocument) as PolicyDocument,
            kind: res.Type === 'AWS::IAM::ManagedPolicy' ? 'managed' : 'inline',
          });
        }
      } else if (res.Type === 'AWS::S3::BucketPolicy') {
        out.resourcePolicies.set(`arn:${partition}:s3:::${String(r.resolve(p.Bucket))}`, r.resolve(p.PolicyDocument) as PolicyDocument);
      } else if (res.Type === 'AWS::Lambda::Function') {
        const roleArn = String(r.resolve(p.Role));
        const env = (r.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>;
        out.functions.push({
          stack: s.name,
          logicalId: id,
          name: r.name(id),
          arn: r.resolve({ 'Fn::GetAtt': [id, 'Arn'] }) as string,
          roleName: roleArn.split('/').at(-1)!,
          environment: Object.fromEntries(Object.entries(env).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)])),
        });
      } else if (res.Type === 'AWS::StepFunctions::StateMachine') {
        const arn = r.name(id);
        const substitutions = (r.resolve(p.DefinitionSubstitutions ?? {}) ?? {}) as Record<string, unknown>;
        out.stateMachines.set(arn.split(':').at(-1)!, {
          roleName: String(r.resolve(p.RoleArn)).split('/').at(-1)!,
          substitutions: Object.fromEntries(Object.entries(substitutions).map(([k, v]) => [k, String(v)])),
        });
      }
    }
  }
  return out;
}
