// EventBridge rules over HTTP (sandbox/server/services/events.ts, sandbox/model/events.ts) with the
// real EventBridgeClient: the rules the synthesized app deploys, per Region — with a home Region
// other than us-east-1, the forwarder's rule in us-east-1 targets the home Region's default bus,
// whose rule targets the provisioner — and the writes that break delivery, with their documented
// errors (EventBridge API reference: ListRules, DescribeRule, ListTargetsByRule, DeleteRule,
// DisableRule, EnableRule, RemoveTargets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  InvalidEventPatternException,
  RemoveTargetsCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { iamEventPattern } from '#access/domain/event-filter';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';
import { loadEvent } from '#test/helpers/events';

const HOME = 'eu-west-1';
const ACCOUNT = '111122223333';
const HOME_RULE = 'EksAccessPilot-TagProvisioningIamEventsRule47072388';
const SCHEDULE = 'EksAccessPilot-TagProvisioningResyncSchedule986AA4F3';
const FORWARD_RULE = 'EksAccessPilotIamEventForwarder-ForwardIamEvents9FF91A81';

let sandbox: Sandbox;
const clients = new Map<string, EventBridgeClient>();

function events(region: string): EventBridgeClient {
  let c = clients.get(region);
  if (!c) {
    const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
    clients.set(region, (c = new EventBridgeClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 })));
  }
  return c;
}

const fn = (logicalPrefix: string) => sandbox.iam!.app.functions.find((f) => f.logicalId.startsWith(logicalPrefix))!;

beforeAll(async () => {
  sandbox = await startSandbox({ region: HOME, iam: { config: { homeRegion: HOME, clusters: [{ name: 'prod', region: HOME }] } } });
});
afterAll(async () => {
  for (const c of clients.values()) c.destroy();
  await sandbox.stop();
});

describe('the deployed rules', () => {
  it('are listed per Region: the forwarder in us-east-1, the IAM-events rule and the resync schedule in the home Region', async () => {
    const east = await events('us-east-1').send(new ListRulesCommand({}));
    const home = await events(HOME).send(new ListRulesCommand({}));

    expect(east.Rules?.map((r) => [r.Name, r.State, r.EventBusName])).toEqual([[FORWARD_RULE, 'ENABLED', 'default']]);
    expect(home.Rules?.map((r) => [r.Name, r.State])).toEqual([
      [HOME_RULE, 'ENABLED'],
      [SCHEDULE, 'ENABLED'],
    ]);
    expect(home.Rules?.find((r) => r.Name === SCHEDULE)).toMatchObject({ ScheduleExpression: 'rate(30 minutes)', Arn: `arn:aws:events:${HOME}:${ACCOUNT}:rule/${SCHEDULE}` });
  });

  it('carry the pattern the app synthesizes from iamEventPattern(tagPrefix), the one source of truth', async () => {
    for (const [region, name] of [['us-east-1', FORWARD_RULE], [HOME, HOME_RULE]] as const) {
      const rule = await events(region).send(new DescribeRuleCommand({ Name: name }));
      expect(JSON.parse(rule.EventPattern!)).toEqual(iamEventPattern('eks-access'));
      expect(rule).toMatchObject({ Name: name, State: 'ENABLED', EventBusName: 'default', CreatedBy: ACCOUNT, Arn: `arn:aws:events:${region}:${ACCOUNT}:rule/${name}` });
    }
  });

  it('target the home default bus (forwarder) and the provisioner (home rule), with their dead-letter queues', async () => {
    const forward = await events('us-east-1').send(new ListTargetsByRuleCommand({ Rule: FORWARD_RULE }));
    const home = await events(HOME).send(new ListTargetsByRuleCommand({ Rule: HOME_RULE }));

    expect(forward.Targets).toEqual([
      expect.objectContaining({ Arn: `arn:aws:events:${HOME}:${ACCOUNT}:event-bus/default`, RoleArn: expect.stringMatching(/:role\/EksAccessPilotIamEventForwarder-ForwardRole/) }),
    ]);
    expect(home.Targets).toEqual([
      expect.objectContaining({
        Arn: fn('TagProvisioningProvisionerFunction').arn,
        DeadLetterConfig: { Arn: expect.stringMatching(/:sqs:eu-west-1:111122223333:EksAccessPilot-TagProvisioningRuleDeliveryFailures/) },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
  });

  it('are filtered by NamePrefix and paged by Limit and NextToken', async () => {
    const first = await events(HOME).send(new ListRulesCommand({ Limit: 1 }));
    const second = await events(HOME).send(new ListRulesCommand({ Limit: 1, NextToken: first.NextToken }));
    expect([first.Rules?.[0]?.Name, second.Rules?.[0]?.Name, second.NextToken]).toEqual([HOME_RULE, SCHEDULE, undefined]);
    expect((await events(HOME).send(new ListRulesCommand({ NamePrefix: 'EksAccessPilot-TagProvisioningResync' }))).Rules?.map((r) => r.Name)).toEqual([SCHEDULE]);
    expect((await events('ap-south-1').send(new ListRulesCommand({}))).Rules).toEqual([]);
  });

  it('answer ResourceNotFoundException for a rule or an event bus that does not exist', async () => {
    const rule = await rejectionOf(events(HOME).send(new DescribeRuleCommand({ Name: 'no-such-rule' })));
    const bus = await rejectionOf(events(HOME).send(new ListRulesCommand({ EventBusName: 'no-such-bus' })));
    const targets = await rejectionOf(events('us-east-1').send(new ListTargetsByRuleCommand({ Rule: HOME_RULE })));
    expect(rule).toBeInstanceOf(ResourceNotFoundException);
    expect(rule.message).toBe('Rule no-such-rule does not exist on EventBus default.');
    expect(bus).toBeInstanceOf(ResourceNotFoundException);
    expect(targets).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('breaking a rule', () => {
  it('DisableRule and EnableRule switch its State', async () => {
    await events('us-east-1').send(new DisableRuleCommand({ Name: FORWARD_RULE }));
    expect((await events('us-east-1').send(new DescribeRuleCommand({ Name: FORWARD_RULE }))).State).toBe('DISABLED');
    await events('us-east-1').send(new EnableRuleCommand({ Name: FORWARD_RULE }));
    expect((await events('us-east-1').send(new DescribeRuleCommand({ Name: FORWARD_RULE }))).State).toBe('ENABLED');
    expect(await rejectionOf(events(HOME).send(new EnableRuleCommand({ Name: 'no-such-rule' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('DeleteRule refuses a rule with targets (ValidationException); after RemoveTargets it deletes it, and deleting again succeeds', async () => {
    const refused = await rejectionOf(events(HOME).send(new DeleteRuleCommand({ Name: SCHEDULE })));
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toBe("Rule can't be deleted since it has targets.");

    const removed = await events(HOME).send(new RemoveTargetsCommand({ Rule: SCHEDULE, Ids: ['Target0'] }));
    await events(HOME).send(new DeleteRuleCommand({ Name: SCHEDULE }));
    await events(HOME).send(new DeleteRuleCommand({ Name: SCHEDULE }));

    expect(removed).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
    expect((await events(HOME).send(new ListRulesCommand({}))).Rules?.map((r) => r.Name)).toEqual([HOME_RULE]);
    expect(await rejectionOf(events(HOME).send(new DescribeRuleCommand({ Name: SCHEDULE })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('TestEventPattern (what doctor asks EventBridge)', () => {
  const test = (pattern: unknown, event: unknown) => events('us-east-1').send(new TestEventPatternCommand({ EventPattern: JSON.stringify(pattern), Event: JSON.stringify(event) }));

  it('answers { Result } for the deployed pattern, as the sandbox delivers', async () => {
    const pattern = iamEventPattern('eks-access');
    expect((await test(pattern, loadEvent('iam/tag-role'))).Result).toBe(true);
    expect((await test(pattern, loadEvent('iam/tag-role-unrelated-key'))).Result).toBe(false);
    expect((await test(pattern, loadEvent('iam/failed-tag-role'))).Result).toBe(false);
  });

  it('refuses an event without one of the mandatory fields ("id, account, source, time, region, resources, detail-type"), and an operator it does not model', async () => {
    const { resources: _dropped, ...noResources } = loadEvent('iam/tag-role');
    const missing = await rejectionOf(test({ source: ['aws.iam'] }, noResources));
    expect(missing).toBeInstanceOf(InvalidEventPatternException);
    expect(missing.message).toBe('Event is missing the mandatory field resources.');
    const unmodelled = await rejectionOf(test({ detail: { n: [{ numeric: ['>', 1] }] } }, loadEvent('iam/tag-role')));
    expect(unmodelled).toBeInstanceOf(InvalidEventPatternException);
    expect(unmodelled.message).toMatch(/numeric at detail\.n is not modelled by the sandbox/);
  });
});
