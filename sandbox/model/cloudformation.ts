// Stateful model of the CloudFormation stacks the sandbox "deployed": the synthesized app's stacks,
// each in its Region, with its outputs, tags and the physical ID of every resource, as
// DescribeStacks and ListStackResources report them after a successful create. Rules cite the
// CloudFormation API reference.
import {
  CloudFormationServiceException,
  type DescribeStacksInput,
  type DescribeStacksOutput,
  type ListStackResourcesInput,
  type ListStackResourcesOutput,
  type Output,
  type Stack,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { randomUUID } from 'node:crypto';
import { partitionOf } from '#kernel/partition';
import { count, decodeToken, encodeToken } from './errors.ts';

export interface StackSeed {
  name: string;
  region: string;
  description?: string;
  outputs: Output[];
  tags: Record<string, string>;
  parameters?: Record<string, string>;
  resources: Array<{ logicalId: string; type: string; physicalId: string }>;
}

interface StackRecord extends StackSeed {
  id: string;
  createdAt: Date;
}

/**
 * CloudFormation answers a missing stack with the query error ValidationError, "Stack with id X
 * does not exist" (CloudFormation API reference, DescribeStacks), a code its model does not declare.
 */
const validation = (message: string) => new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message, $metadata: {} });

/** ListStackResources pages hold up to 100 summaries (inferred from the API reference's silence; the SDK pages by NextToken either way). */
const RESOURCES_PAGE = 100;

export class CloudFormationModel {
  readonly calls = new Map<string, number>();
  private readonly stacks = new Map<string, StackRecord>();

  constructor(
    readonly accountId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A stack as CREATE_COMPLETE leaves it; its ID is `arn:…:stack/<name>/<uuid>` (CloudFormation API reference, Stack). */
  addStack(seed: StackSeed): string {
    const id = `arn:${partitionOf(seed.region)}:cloudformation:${seed.region}:${this.accountId}:stack/${seed.name}/${randomUUID()}`;
    this.stacks.set(`${seed.region}/${seed.name}`, { ...structuredClone(seed), id, createdAt: this.now() });
    return id;
  }

  /**
   * DescribeStacks: the Region's stacks, or the one named by name or stack ID; a stack that does
   * not exist is ValidationError (CloudFormation API reference, DescribeStacks).
   */
  describeStacks(region: string, input: DescribeStacksInput = {}): DescribeStacksOutput {
    return this.call('DescribeStacks', () => {
      const all = input.StackName === undefined ? this.inRegion(region) : [this.stack(region, input.StackName)];
      const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
      if (start === undefined) throw validation('Invalid NextToken.');
      return { Stacks: all.slice(start).map((s) => this.toStack(s)) };
    });
  }

  /**
   * ListStackResources: each resource's logical and physical ID, type and status (CloudFormation
   * API reference, ListStackResources, StackResourceSummary).
   */
  listStackResources(region: string, input: ListStackResourcesInput): ListStackResourcesOutput {
    return this.call('ListStackResources', () => {
      const s = this.stack(region, input.StackName ?? '');
      const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
      if (start === undefined) throw validation('Invalid NextToken.');
      const page: StackResourceSummary[] = s.resources.slice(start, start + RESOURCES_PAGE).map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        LastUpdatedTimestamp: s.createdAt,
        ResourceStatus: 'CREATE_COMPLETE',
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      }));
      const next = start + RESOURCES_PAGE < s.resources.length ? encodeToken(start + RESOURCES_PAGE) : undefined;
      return { StackResourceSummaries: page, ...(next ? { NextToken: next } : {}) };
    });
  }

  /** A stack's ID by name or ID, without counting a call: what IAM authorizes a stack operation on. */
  stackId(region: string, nameOrId: string): string | undefined {
    return this.inRegion(region).find((s) => s.name === nameOrId || s.id === nameOrId)?.id;
  }

  private inRegion(region: string): StackRecord[] {
    return [...this.stacks.values()].filter((s) => s.region === region);
  }

  private stack(region: string, nameOrId: string): StackRecord {
    const found = this.inRegion(region).find((s) => s.name === nameOrId || s.id === nameOrId);
    if (!found) throw validation(`Stack with id ${nameOrId} does not exist`);
    return found;
  }

  private toStack(s: StackRecord): Stack {
    return {
      StackId: s.id,
      StackName: s.name,
      ...(s.description !== undefined ? { Description: s.description } : {}),
      Parameters: Object.entries(s.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      CreationTime: s.createdAt,
      RollbackConfiguration: {},
      StackStatus: 'CREATE_COMPLETE',
      DisableRollback: false,
      NotificationARNs: [],
      // What `cdk deploy` acknowledges for every stack (inferred from the CDK CLI; CloudFormation
      // User Guide, "Acknowledging IAM resources in CloudFormation templates").
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      Outputs: structuredClone(s.outputs),
      Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    };
  }

  private call<T>(operation: string, run: () => T): T {
    count(this.calls, operation);
    return run();
  }
}
