/**
 * Check "rule: IAM events": the rule that receives IAM's events exists in us-east-1, is enabled,
 * has exactly the pattern this checkout synthesizes (`iamEventPattern(tagPrefix)`, the one source of truth
 * the CDK app and the sandbox use) and targets the provisioner — or, when the home region is
 * another one, the home region's default bus, whose own rule then targets the provisioner.
 */
import { DescribeRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { iamEventPattern } from '#access/domain/event-filter';
import { partitionOf } from '#kernel/partition';
import { IAM_EVENTS_REGION } from '#infra/stacks/forwarder';
import { FORWARDER_STACK_NAME, MAIN_STACK_NAME } from '#infra/stacks/index';
import { fail, guarded, pass, type CheckResult } from './check.ts';
import { physical, type Deployment, type DeployedStack } from './deployment.ts';

const ID = `rule: IAM events (${IAM_EVENTS_REGION})`;
const REDEPLOY = 'redeploy from this checkout: npx cdk deploy --all';

/** JSON with object keys sorted, so two patterns compare by content, not key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

interface RuleProblem {
  problem?: string;
  name: string;
}

/** Reads one rule of a stack and says what is wrong with it, if anything. */
async function inspectRule(stack: DeployedStack, logicalPrefix: string, targetArn: string, tagPrefix: string): Promise<RuleProblem> {
  const rule = physical(stack, 'AWS::Events::Rule', logicalPrefix);
  if (!rule) return { name: logicalPrefix, problem: `stack ${stack.expected.name} has no rule ${logicalPrefix}` };
  // The physical ID of a rule on the default bus is its name (CloudFormation, AWS::Events::Rule "Ref").
  const name = rule.physicalId.split('|').at(-1)!;
  const client = new EventBridgeClient({ region: stack.expected.region });
  let described;
  try {
    described = await client.send(new DescribeRuleCommand({ Name: name }));
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return { name, problem: `rule ${name} does not exist in ${stack.expected.region}` };
    throw e;
  }
  if (described.State !== 'ENABLED') return { name, problem: `rule ${name} is ${described.State ?? 'not enabled'}` };
  let pattern: unknown;
  try {
    pattern = JSON.parse(described.EventPattern ?? 'null');
  } catch {
    pattern = described.EventPattern;
  }
  if (canonical(pattern) !== canonical(iamEventPattern(tagPrefix))) {
    return { name, problem: `rule ${name} has another pattern than this checkout's (${described.EventPattern ?? 'none'})` };
  }
  const { Targets = [] } = await client.send(new ListTargetsByRuleCommand({ Rule: name }));
  if (!Targets.some((t) => t.Arn === targetArn)) {
    return { name, problem: `rule ${name} does not target ${targetArn} (targets: ${Targets.map((t) => t.Arn).join(', ') || 'none'})` };
  }
  return { name };
}

export function ruleCheck(d: Deployment, accountId: string): Promise<CheckResult[]> {
  return guarded(ID, 'events:DescribeRule and events:ListTargetsByRule', async () => {
    const home = d.config.homeRegion;
    const partition = partitionOf(home);
    const main = d.stacks.find((s) => s.expected.name === MAIN_STACK_NAME);
    const fn = main && physical(main, 'AWS::Lambda::Function', 'TagProvisioningProvisionerFunction');
    if (!main?.status || !fn) return fail(ID, `stack ${MAIN_STACK_NAME} is not deployed in ${home}`, REDEPLOY);
    const provisionerArn = `arn:${partition}:lambda:${home}:${accountId}:function:${fn.physicalId}`;

    const homeRule = await inspectRule(main, 'TagProvisioningIamEventsRule', provisionerArn, d.config.tagPrefix);
    if (home === IAM_EVENTS_REGION) {
      if (homeRule.problem) return fail(ID, homeRule.problem, REDEPLOY);
      return pass(ID, `${homeRule.name} → provisioner`);
    }
    const forwarder = d.stacks.find((s) => s.expected.name === FORWARDER_STACK_NAME);
    if (!forwarder?.status) return fail(ID, `stack ${FORWARDER_STACK_NAME} is not deployed in ${IAM_EVENTS_REGION}: IAM events never leave us-east-1`, REDEPLOY);
    const homeBus = `arn:${partition}:events:${home}:${accountId}:event-bus/default`;
    const forward = await inspectRule(forwarder, 'ForwardIamEvents', homeBus, d.config.tagPrefix);
    const problems = [forward.problem, homeRule.problem && `${home}: ${homeRule.problem}`].filter(Boolean);
    if (problems.length) return fail(ID, problems.join('; '), REDEPLOY);
    return pass(ID, `${forward.name} → ${home} default bus → ${homeRule.name} → provisioner`);
  });
}
