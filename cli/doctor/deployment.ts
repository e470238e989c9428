/**
 * What `doctor` compares: the stacks this checkout would deploy for the configuration
 * (synthesized in memory, infra/synthesize.ts) and what CloudFormation says is deployed — each
 * stack's status, outputs and the physical ID of every resource (ListStackResources), which is
 * how a role, rule or queue is found without guessing the names CloudFormation generated.
 */
import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { ConfigError, parseConfig, parseRuntimeConfig, type Config } from '#kernel/config';
import { CONTEXT_KEY } from '#infra/config';
import { synthesizeStacks, type SynthesizedStack } from '#infra/synthesize';
import { VERSION_OUTPUT, appVersion } from '#infra/stacks/index';
import { fail, pass, warn, type CheckResult } from './check.ts';

export interface StackResource {
  type: string;
  physicalId: string;
}

export interface DeployedStack {
  expected: SynthesizedStack;
  /** CloudFormation's StackStatus; undefined when the stack does not exist. */
  status?: string;
  outputs: Record<string, string>;
  /** By logical ID. */
  resources: Map<string, StackResource>;
}

export interface Deployment {
  config: Config;
  stacks: DeployedStack[];
}

/**
 * The configuration doctor checks: `--config FILE` (a cdk.json, or the `eksAccessPilot` object
 * alone), else `EAP_CONFIG` (the functions' configuration, which `npm run sandbox` exports), else
 * ./cdk.json. Errors name the source and the field.
 */
export function loadDoctorConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: Config; source: string } {
  if (file === undefined && env.EAP_CONFIG) return { config: parseRuntimeConfig(env.EAP_CONFIG).config, source: 'EAP_CONFIG' };
  const path = file ?? 'cdk.json';
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read the configuration from ${path}: ${(e as Error).message}`);
  }
  const context = (raw as { context?: Record<string, unknown> } | null)?.context;
  if (context && CONTEXT_KEY in context) return { config: parseConfig(context[CONTEXT_KEY], `${path}: context.${CONTEXT_KEY}`), source: path };
  return { config: parseConfig(raw, path), source: path };
}

const COMPLETE = /_COMPLETE$/;
const BAD_COMPLETE = /(ROLLBACK|DELETE)_COMPLETE$/;

function isMissingStack(e: unknown): boolean {
  // "Stack with id X does not exist" is a ValidationError (CloudFormation API reference, DescribeStacks).
  return (e as { name?: string }).name === 'ValidationError' && /does not exist/.test((e as Error).message);
}

async function readStack(expected: SynthesizedStack): Promise<DeployedStack> {
  const cfn = new CloudFormationClient({ region: expected.region });
  const out: DeployedStack = { expected, outputs: {}, resources: new Map() };
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: expected.name }));
    const s = Stacks?.[0];
    out.status = s?.StackStatus;
    for (const o of s?.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) out.outputs[o.OutputKey] = o.OutputValue;
  } catch (e) {
    if (isMissingStack(e)) return out;
    throw e;
  }
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: expected.name })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.LogicalResourceId && r.PhysicalResourceId) out.resources.set(r.LogicalResourceId, { type: r.ResourceType ?? '', physicalId: r.PhysicalResourceId });
    }
  }
  return out;
}

/** Reads every stack of the app from CloudFormation. */
export async function readDeployment(config: Config): Promise<Deployment> {
  const expected = synthesizeStacks(config);
  return { config, stacks: await Promise.all(expected.map(readStack)) };
}

/** One result per stack: deployed, complete, and of this checkout's version. */
export function stackChecks(d: Deployment): CheckResult[] {
  const version = appVersion();
  return d.stacks.map((s) => {
    const id = `stack ${s.expected.name} (${s.expected.region})`;
    const deploy = `npx cdk deploy --all from this checkout (README, "Deploy")`;
    if (!s.status) return fail(id, 'not deployed', deploy);
    if (!COMPLETE.test(s.status) || BAD_COMPLETE.test(s.status)) {
      return fail(id, `status ${s.status}`, `see the stack's events: aws cloudformation describe-stack-events --stack-name ${s.expected.name} --region ${s.expected.region}; then ${deploy}`);
    }
    const deployed = s.outputs[VERSION_OUTPUT];
    if (deployed !== version) {
      return warn(id, `deployed version ${deployed ?? 'unknown (no Version output)'}, this checkout is ${version}`, `deploy this checkout (${deploy}) or check out the deployed version before trusting these checks`);
    }
    return pass(id, `${s.status}, version ${version}`);
  });
}

/** The physical ID of the first resource of `type` whose logical ID starts with `prefix`. */
export function physical(s: DeployedStack, type: string, prefix: string): { logicalId: string; physicalId: string } | undefined {
  for (const [logicalId, r] of s.resources) {
    if (r.type === type && logicalId.startsWith(prefix)) return { logicalId, physicalId: r.physicalId };
  }
  return undefined;
}
