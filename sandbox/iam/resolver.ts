/**
 * CloudFormation's intrinsic functions, resolved the way CloudFormation resolves them for the
 * resource types the app declares (AWS CloudFormation User Guide, "Intrinsic function reference";
 * each resource type's "Return values": what `Ref` and `Fn::GetAtt` return), for one stack of the
 * synthesized app in the sandbox's account.
 */

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: { Name?: unknown } }>;
  Parameters?: Record<string, { Default?: unknown }>;
  Description?: string;
}

/** CloudFormation names a resource `<stack>-<logicalId>-<suffix>` when the template gives none; the sandbox drops the random suffix. */
export function generatedName(stack: string, logicalId: string, max: number): string {
  return `${stack}-${logicalId}`.slice(0, max);
}

export class Resolver {
  constructor(
    readonly stack: string,
    readonly region: string,
    private readonly accountId: string,
    private readonly partition: string,
    private readonly template: Template,
  ) {}

  /** The physical name of a resource (what `Ref` returns for most types; see `ref`). */
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
      // Queue names up to 80 characters, rule names up to 64 (SQS CreateQueue; EventBridge RuleName).
      case 'AWS::SQS::Queue':
        return typeof p.QueueName === 'string' ? p.QueueName : generatedName(this.stack, logicalId, 80);
      case 'AWS::Events::Rule':
        return typeof p.Name === 'string' ? p.Name : generatedName(this.stack, logicalId, 64);
      // Schedule group names up to 64 characters (Scheduler API reference, CreateScheduleGroup Name).
      case 'AWS::Scheduler::ScheduleGroup':
        return typeof p.Name === 'string' ? p.Name : generatedName(this.stack, logicalId, 64);
      default:
        return generatedName(this.stack, logicalId, 64);
    }
  }

  /**
   * What `Ref` returns, which is also the resource's physical ID in ListStackResources: the name
   * for most types, but a topic's ARN (AWS::SNS::Topic), a queue's URL (AWS::SQS::Queue, on SQS's
   * own host) and, for a rule on another bus than the default, `<bus>|<rule>` (AWS::Events::Rule).
   */
  ref(logicalId: string): string {
    const r = this.template.Resources[logicalId];
    if (r?.Type === 'AWS::SNS::Topic') return this.attribute(logicalId, 'Arn');
    if (r?.Type === 'AWS::SQS::Queue') return `https://sqs.${this.region}.amazonaws.com/${this.accountId}/${this.name(logicalId)}`;
    if (r?.Type === 'AWS::Events::Rule' && r.Properties?.EventBusName !== undefined) {
      const bus = String(this.resolve(r.Properties.EventBusName)).split('/').at(-1);
      if (bus !== 'default') return `${bus}|${this.name(logicalId)}`;
    }
    return this.name(logicalId);
  }

  attribute(logicalId: string, attribute: string): string {
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
        // SAR, Amazon EventBridge Scheduler, resource type schedule-group.
        case 'AWS::Scheduler::ScheduleGroup':
          return `arn:${this.partition}:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`;
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
      if (k === 'Ref') return this.pseudo(arg as string) ?? this.ref(arg as string);
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
          return attr ? this.attribute(id!, attr) : (this.pseudo(ref) ?? this.ref(ref));
        });
      }
      if (k.startsWith('Fn::')) throw new Error(`${this.stack}: intrinsic ${k} is not modelled by the sandbox`);
    }
    return Object.fromEntries(Object.entries(o).map(([key, x]) => [key, this.resolve(x)]));
  }
}
