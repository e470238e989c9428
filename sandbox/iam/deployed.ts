/**
 * The deployed app, as IAM would see it: the CDK app this repository ships, synthesized for the
 * sandbox's account and configuration exactly as `cdk synth` builds it (infra/stacks/index.ts,
 * bundling skipped), and read back from its CloudFormation templates. The sandbox enforces these
 * policies on every request, so a grant missing from the app fails here, not in a customer's
 * account (docs/architecture.md, "How it is tested").
 *
 * Only what IAM evaluates is kept: each role's name, path and identity policies (inline
 * `Policies`, attached `AWS::IAM::Policy` resources), the bucket policies, which role each Lambda
 * function and state machine runs as, and each function's environment. CloudFormation's
 * intrinsic functions are resolved the way CloudFormation resolves them for these resource types
 * (AWS CloudFormation User Guide, "Intrinsic function reference"; "Fn::GetAtt" return values of
 * AWS::IAM::Role, AWS::S3::Bucket, AWS::Lambda::Function, …).
 */
import { App } from 'aws-cdk-lib';
import type { ConfigInput } from '#kernel/config';
import { CONTEXT_KEY, loadConfig } from '#infra/config';
import { defineStacks } from '#infra/stacks/index';

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
  /** Identity policies: inline ones and attached AWS::IAM::Policy resources, by name. */
  policies: Array<{ name: string; logicalId: string; document: PolicyDocument }>;
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
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** CloudFormation names a resource `<stack>-<logicalId>-<suffix>` when the template gives none; the sandbox drops the random suffix. */
function generatedName(stack: string, logicalId: string, max: number): string {
  return `${stack}-${logicalId}`.slice(0, max);
}

class Resolver {
  constructor(
    private readonly stack: string,
    private readonly region: string,
    private readonly accountId: string,
    private readonly partition: string,
    private readonly template: Template,
  ) {}

  /** The physical name of a resource (what `Ref` returns for the types used here). */
  name(logicalId: string): string {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`${this.stack}: Ref to unknown resource ${logicalId}`);
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return typeof p.RoleName === 'string' ? p.RoleName : generatedName(this.stack, logicalId, 64);
      case 'AWS::S3::Bucket':
        return typeof p.BucketName === 'string' ? p.BucketName : generatedName(this.stack, logicalId, 63).toLowerCase();
      case 'AWS::Lambda::Function':
        return typeof p.FunctionName === 'string' ? p.FunctionName : generatedName(this.stack, logicalId, 64);
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${this.partition}:states:${this.region}:${this.accountId}:stateMachine:${typeof p.StateMachineName === 'string' ? p.StateMachineName : generatedName(this.stack, logicalId, 80)}`;
      default:
        return generatedName(this.stack, logicalId, 64);
    }
  }

  private attribute(logicalId: string, attribute: string): string {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`${this.stack}: Fn::GetAtt of unknown resource ${logicalId}`);
    const name = this.name(logicalId);
    if (attribute === 'Arn') {
      switch (r.Type) {
        case 'AWS::IAM::Role': {
          const path = typeof r.Properties?.Path === 'string' ? r.Properties.Path : '/';
          return `arn:${this.partition}:iam::${this.accountId}:role${path}${name}`;
        }
        case 'AWS::S3::Bucket':
          return `arn:${this.partition}:s3:::${name}`;
        case 'AWS::Lambda::Function':
          return `arn:${this.partition}:lambda:${this.region}:${this.accountId}:function:${name}`;
        case 'AWS::SQS::Queue':
          return `arn:${this.partition}:sqs:${this.region}:${this.accountId}:${name}`;
        case 'AWS::KMS::Key':
          return `arn:${this.partition}:kms:${this.region}:${this.accountId}:key/${logicalId}`;
        case 'AWS::Logs::LogGroup':
          return `arn:${this.partition}:logs:${this.region}:${this.accountId}:log-group:${name}:*`;
        case 'AWS::SNS::Topic':
          return `arn:${this.partition}:sns:${this.region}:${this.accountId}:${name}`;
        case 'AWS::Events::Rule':
          return `arn:${this.partition}:events:${this.region}:${this.accountId}:rule/${name}`;
        default:
          throw new Error(`${this.stack}: no Arn attribute modelled for ${r.Type} (${logicalId})`);
      }
    }
    if (r.Type === 'AWS::S3::Bucket' && attribute === 'RegionalDomainName') return `${name}.s3.${this.region}.amazonaws.com`;
    if (r.Type === 'AWS::SQS::Queue' && attribute === 'QueueName') return name;
    if (r.Type === 'AWS::StepFunctions::StateMachine' && attribute === 'Name') return name.split(':').at(-1)!;
    throw new Error(`${this.stack}: no ${attribute} attribute modelled for ${r.Type} (${logicalId})`);
  }

  private pseudo(name: string): string | undefined {
    return (
      {
        'AWS::AccountId': this.accountId,
        'AWS::Partition': this.partition,
        'AWS::Region': this.region,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': this.stack,
      } as Record<string, string>
    )[name];
  }

  resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      if (k === 'Ref') return this.pseudo(arg as string) ?? this.name(arg as string);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return this.attribute(id, attr);
      }
      if (k === 'Fn::Join') {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).join(sep);
      }
      if (k === 'Fn::Sub') {
        const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => {
          if (ref in vars) return String(this.resolve(vars[ref]));
          const [id, attr] = ref.split('.');
          return attr ? this.attribute(id!, attr) : (this.pseudo(ref) ?? this.name(ref));
        });
      }
      if (k.startsWith('Fn::')) throw new Error(`${this.stack}: intrinsic ${k} is not modelled by the sandbox`);
    }
    return Object.fromEntries(Object.entries(o).map(([key, x]) => [key, this.resolve(x)]));
  }
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
  const previous = process.env.CDK_VALIDATION;
  // Policy-as-code checks belong to `cdk synth` and the infra tests; here only the output matters.
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ context: { [CONTEXT_KEY]: config } });
    app.node.setContext('aws:cdk:bundling-stacks', []);
    defineStacks(app, loadConfig(app));
    const assembly = app.synth();
    const out: DeployedApp = { accountId: options.accountId, partition, roles: new Map(), resourcePolicies: new Map(), functions: [], stateMachines: new Map() };
    for (const s of assembly.stacks) {
      const template = s.template as Template;
      const r = new Resolver(s.stackName, s.environment.region, options.accountId, partition, template);
      const roleOf = new Map<string, DeployedRole>();
      for (const [id, res] of Object.entries(template.Resources)) {
        if (res.Type !== 'AWS::IAM::Role') continue;
        const p = res.Properties ?? {};
        const path = typeof p.Path === 'string' ? p.Path : '/';
        const name = r.name(id);
        const role: DeployedRole = { stack: s.stackName, logicalId: id, name, path, arn: `arn:${partition}:iam::${options.accountId}:role${path}${name}`, policies: [] };
        for (const inline of (p.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []) {
          role.policies.push({ name: inline.PolicyName, logicalId: id, document: r.resolve(inline.PolicyDocument) as PolicyDocument });
        }
        for (const attached of (p.ManagedPolicyArns as unknown[] | undefined) ?? []) {
          // A managed policy of the same template is read through its own resource (above, via
          // Roles, or here by Ref); an AWS managed policy's document is not known to the sandbox.
          const ref = (attached as { Ref?: string }).Ref;
          const doc = ref ? template.Resources[ref] : undefined;
          if (doc?.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`${s.stackName}: role ${id} attaches ${JSON.stringify(attached)}, which the sandbox cannot read`);
          if (!((doc.Properties?.Roles as Array<{ Ref: string }> | undefined) ?? []).some((x) => x.Ref === id)) {
            role.policies.push({ name: ref!, logicalId: ref!, document: r.resolve(doc.Properties?.PolicyDocument) as PolicyDocument });
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
            if (!role) throw new Error(`${s.stackName}: policy ${id} is attached to ${JSON.stringify(ref)}, not a role of the stack`);
            role.policies.push({ name: String(p.PolicyName ?? p.ManagedPolicyName ?? id), logicalId: id, document: r.resolve(p.PolicyDocument) as PolicyDocument });
          }
        } else if (res.Type === 'AWS::S3::BucketPolicy') {
          out.resourcePolicies.set(`arn:${partition}:s3:::${String(r.resolve(p.Bucket))}`, r.resolve(p.PolicyDocument) as PolicyDocument);
        } else if (res.Type === 'AWS::Lambda::Function') {
          const roleArn = String(r.resolve(p.Role));
          const env = (r.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>;
          out.functions.push({
            stack: s.stackName,
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
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}
