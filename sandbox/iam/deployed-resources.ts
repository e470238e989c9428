/**
 * What a stack of the synthesized app deploys besides IAM: its EventBridge rules (pattern or
 * schedule, state, targets with their ARNs resolved), its SQS queues (with the attributes the
 * template sets), its functions' async-invoke settings, its EventBridge Scheduler schedule groups,
 * and the stack itself as CloudFormation
 * reports it (outputs, tags, each resource's physical ID). The sandbox seeds its models from these
 * (sandbox/server/deployment.ts), so what `doctor` reads there is what this checkout deploys.
 */
import type { Resolver, Template } from './resolver.ts';

export interface DeployedTarget {
  Id: string;
  Arn: string;
  RoleArn?: string;
  DeadLetterConfig?: { Arn: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

export interface DeployedRule {
  stack: string;
  logicalId: string;
  name: string;
  region: string;
  eventBusName: string;
  /** The pattern as PutRule stores it: JSON text. */
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  description?: string;
  targets: DeployedTarget[];
}

export interface DeployedQueue {
  stack: string;
  logicalId: string;
  name: string;
  region: string;
  /** As GetQueueAttributes reports them (strings). */
  attributes: Record<string, string>;
}

export interface DeployedInvokeConfig {
  functionArn: string;
  maximumRetryAttempts: number;
  onFailure?: string;
}

export interface DeployedStack {
  name: string;
  region: string;
  description?: string;
  tags: Record<string, string>;
  parameters: Record<string, string>;
  outputs: Array<{ OutputKey: string; OutputValue: string; Description?: string; ExportName?: string }>;
  /** Every resource with its physical ID (what `Ref` returns, ./resolver.ts). */
  resources: Array<{ logicalId: string; type: string; physicalId: string }>;
}

/** An AWS::Scheduler::ScheduleGroup: where the provisioner keeps its one-time expiry schedules. */
export interface DeployedScheduleGroup {
  stack: string;
  logicalId: string;
  name: string;
  region: string;
}

interface Collected {
  scheduleGroups: DeployedScheduleGroup[];
  rules: DeployedRule[];
  queues: DeployedQueue[];
  invokeConfigs: DeployedInvokeConfig[];
  stacks: DeployedStack[];
}

/**
 * AWS::SQS::Queue properties that are queue attributes of the same name (CloudFormation User Guide,
 * AWS::SQS::Queue; SQS API reference, SetQueueAttributes). RedrivePolicy and RedriveAllowPolicy
 * are objects in the template and JSON text as attributes.
 */
const QUEUE_ATTRIBUTES = [
  'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout',
  'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'FifoQueue', 'ContentBasedDeduplication',
  'DeduplicationScope', 'FifoThroughputLimit', 'RedrivePolicy', 'RedriveAllowPolicy',
];

/** Reads one stack's rules, queues, async-invoke settings and the stack record into `out`. */
export function readResources(r: Resolver, template: Template, tags: Record<string, string>, out: Collected): void {
  const region = r.region;
  for (const [id, res] of Object.entries(template.Resources)) {
    const p = res.Properties ?? {};
    if (res.Type === 'AWS::Events::Rule') {
      const bus = p.EventBusName === undefined ? 'default' : String(r.resolve(p.EventBusName)).split('/').at(-1)!;
      out.rules.push({
        stack: r.stack,
        logicalId: id,
        name: r.name(id),
        region,
        eventBusName: bus,
        ...(p.EventPattern !== undefined ? { eventPattern: JSON.stringify(r.resolve(p.EventPattern)) } : {}),
        ...(typeof p.ScheduleExpression === 'string' ? { scheduleExpression: p.ScheduleExpression } : {}),
        // AWS::Events::Rule State: ENABLED when absent (CloudFormation User Guide, AWS::Events::Rule).
        state: (p.State as DeployedRule['state'] | undefined) ?? 'ENABLED',
        ...(typeof p.Description === 'string' ? { description: p.Description } : {}),
        targets: ((r.resolve(p.Targets ?? []) as DeployedTarget[]) ?? []).map((t) => ({ ...t, Id: String(t.Id), Arn: String(t.Arn) })),
      });
    } else if (res.Type === 'AWS::SQS::Queue') {
      const attributes: Record<string, string> = {};
      for (const k of QUEUE_ATTRIBUTES) {
        if (p[k] === undefined) continue;
        const v = r.resolve(p[k]);
        attributes[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
      }
      out.queues.push({ stack: r.stack, logicalId: id, name: r.name(id), region, attributes });
    } else if (res.Type === 'AWS::Scheduler::ScheduleGroup') {
      out.scheduleGroups.push({ stack: r.stack, logicalId: id, name: r.name(id), region });
    } else if (res.Type === 'AWS::Lambda::EventInvokeConfig') {
      const onFailure = (r.resolve(p.DestinationConfig) as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
      out.invokeConfigs.push({
        functionArn: `arn:${arnPartition(r)}:lambda:${region}:${accountOf(r)}:function:${String(r.resolve(p.FunctionName))}`,
        // MaximumRetryAttempts: 0–2, default 2 (Lambda Developer Guide, "Configuring error handling for asynchronous invocation").
        maximumRetryAttempts: typeof p.MaximumRetryAttempts === 'number' ? p.MaximumRetryAttempts : 2,
        ...(onFailure ? { onFailure } : {}),
      });
    }
  }
  out.stacks.push({
    name: r.stack,
    region,
    ...(template.Description !== undefined ? { description: template.Description } : {}),
    tags: { ...tags },
    parameters: Object.fromEntries(Object.entries(template.Parameters ?? {}).map(([k, v]) => [k, String(v.Default ?? '')])),
    outputs: Object.entries(template.Outputs ?? {}).map(([key, o]) => {
      const exportName = o.Export?.Name === undefined ? undefined : String(r.resolve(o.Export.Name));
      return { OutputKey: key, OutputValue: String(r.resolve(o.Value)), ...(o.Description ? { Description: o.Description } : {}), ...(exportName ? { ExportName: exportName } : {}) };
    }),
    resources: Object.entries(template.Resources).map(([logicalId, res]) => ({ logicalId, type: res.Type, physicalId: r.ref(logicalId) })),
  });
}

function arnPartition(r: Resolver): string {
  return String(r.resolve({ Ref: 'AWS::Partition' }));
}

function accountOf(r: Resolver): string {
  return String(r.resolve({ Ref: 'AWS::AccountId' }));
}
