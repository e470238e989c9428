// The sandbox's EventBridge driven by the deployment (sandbox/eventbridge.ts with `model`): an IAM
// call reaches the provisioner only if the trail records it and the deployed rules carry it —
// us-east-1's forwarder rule to the home Region's bus, whose rule targets the provisioner — so each
// piece, broken through the API an operator would use, stops delivery on its own; and an invocation
// that keeps failing lands, as Lambda's invocation record, in the provisioner's on-failure queue.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailClient, StartLoggingCommand, StopLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeAccessEntryCommand, EKSClient } from '@aws-sdk/client-eks';
import { DeleteRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, TagRoleCommand } from '@aws-sdk/client-iam';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CloudTrailEnvelope } from '#sandbox/cloudtrail';
import { EventBridge } from '#sandbox/eventbridge';
import { SANDBOX_TRAIL, startSandbox, type Sandbox } from '#sandbox/server/index';
import { captureStdout, type CapturedOutput } from '#test/helpers/lambda';

const HOME = 'eu-west-1';
const FORWARD_RULE = 'EksAccessPilotIamEventForwarder-ForwardIamEvents9FF91A81';
const HOME_RULE = 'EksAccessPilot-TagProvisioningIamEventsRule47072388';
const FAILURES = 'EksAccessPilot-TagProvisioningProvisionerFailures4BC69252';

let sandbox: Sandbox;
let bus: EventBridge;
let invoked: Array<{ functionArn: string | undefined; eventName: unknown }>;
let failing = false;
let provisionerArn: string;
let client: <T>(C: new (c: object) => T, region: string) => T;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: HOME,
    seed: {
      iam: { roles: [{ name: 'team-a' }, { name: 'team-b' }] },
      clusters: [{ name: 'prod', region: HOME, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }],
    },
    iam: { config: { homeRegion: HOME, clusters: [{ name: 'prod', region: HOME }] } },
  });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  client = (C, region) => new C({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  provisionerArn = sandbox.iam!.app.functions.find((f) => f.logicalId.startsWith('TagProvisioningProvisionerFunction'))!.arn;
  invoked = [];
  // A stand-in for the provisioner: records what reached it, fails when told to.
  bus = new EventBridge(
    async (event: CloudTrailEnvelope, functionArn?: string) => {
      invoked.push({ functionArn, eventName: event.detail.eventName });
      if (failing) throw Object.assign(new Error('EKS is down'), { name: 'ServiceUnavailableException' });
    },
    { model: sandbox.model, retryDelayMs: 1 },
  );
  bus.connect(sandbox.model.iam);
});
afterAll(async () => {
  await sandbox.stop();
});
afterEach(() => {
  invoked.length = 0;
  failing = false;
});

/** A team tags its role through IAM, then the wait for delivery. */
async function tag(role = 'team-a'): Promise<void> {
  await client(IAMClient, 'us-east-1').send(new TagRoleCommand({ RoleName: role, Tags: [{ Key: 'eks-access', Value: 'view' }] }));
  await bus.drain();
}

describe('a healthy deployment', () => {
  it('carries an IAM call from us-east-1, through the forwarder, to the provisioner in the home Region', async () => {
    await tag();
    expect(invoked).toEqual([{ functionArn: provisionerArn, eventName: 'TagRole' }]);
  });
});

describe('each broken piece stops delivery on its own', () => {
  it('the trail stopped logging: the call is not recorded, so no event exists; logging again restores it', async () => {
    const trails = client(CloudTrailClient, HOME);
    await trails.send(new StopLoggingCommand({ Name: SANDBOX_TRAIL }));
    const before = bus.notRecorded;
    await tag();
    expect(invoked).toEqual([]);
    expect(bus.notRecorded).toBe(before + 1);

    await trails.send(new StartLoggingCommand({ Name: SANDBOX_TRAIL }));
    await tag();
    expect(invoked).toEqual([{ functionArn: provisionerArn, eventName: 'TagRole' }]);
  });

  it('the forwarder rule disabled: the event matches no rule in us-east-1; enabled again, it flows', async () => {
    const events = client(EventBridgeClient, 'us-east-1');
    await events.send(new DisableRuleCommand({ Name: FORWARD_RULE }));
    const unmatched = bus.unmatched.length;
    await tag();
    expect(invoked).toEqual([]);
    expect(bus.unmatched.length).toBe(unmatched + 1);
    expect(bus.unmatched.at(-1)?.detail.eventName).toBe('TagRole');

    await events.send(new EnableRuleCommand({ Name: FORWARD_RULE }));
    await tag();
    expect(invoked).toHaveLength(1);
  });

  it('a failing provisioner: after Lambda retries (2, its async-invoke setting) the invocation record lands in its on-failure queue', async () => {
    failing = true;
    await tag('team-b');

    expect(invoked).toHaveLength(3);
    expect(bus.deadLetters.at(-1)).toMatchObject({ attempts: 3, functionArn: provisionerArn, queueArn: expect.stringContaining(FAILURES) });
    const sqs = client(SQSClient, HOME);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: FAILURES }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(JSON.parse(Messages[0]!.Body!)).toMatchObject({
      version: '1.0',
      requestContext: { functionArn: `${provisionerArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { source: 'aws.iam', detail: { eventName: 'TagRole', requestParameters: { roleName: 'team-b' } } },
      responsePayload: { errorType: 'ServiceUnavailableException', errorMessage: 'EKS is down' },
    });
  });

  it("the home Region's rule deleted (targets removed first): forwarded events reach no target", async () => {
    const events = client(EventBridgeClient, HOME);
    await events.send(new RemoveTargetsCommand({ Rule: HOME_RULE, Ids: ['Target0'] }));
    await events.send(new DeleteRuleCommand({ Name: HOME_RULE }));
    await tag();
    expect(invoked).toEqual([]);
    expect(bus.unmatched.at(-1)?.detail.eventName).toBe('TagRole');
  });
});

describe('with the real provisioner', () => {
  let out: CapturedOutput;
  it('creates the access entry a tag asks for, the event having come through the trail and both rules', async () => {
    // Arrange: a fresh sandbox (the one above lost its rule); the provisioner run as its own role.
    out = captureStdout();
    const fresh = await startSandbox({
      region: HOME,
      seed: { iam: { roles: [{ name: 'team-c' }] }, clusters: [{ name: 'prod', region: HOME, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }] },
      iam: { config: { homeRegion: HOME, clusters: [{ name: 'prod', region: HOME }] } },
    });
    try {
      const lambda = fresh.lambda!;
      const real = new EventBridge((event, functionArn) => lambda.invokeArn(functionArn!, event), { model: fresh.model, retryDelayMs: 5 });
      real.connect(fresh.model.iam);
      const credentials = { accessKeyId: fresh.env.AWS_ACCESS_KEY_ID!, secretAccessKey: fresh.env.AWS_SECRET_ACCESS_KEY! };

      // Act
      await new IAMClient({ region: 'us-east-1', endpoint: fresh.url, credentials }).send(new TagRoleCommand({ RoleName: 'team-c', Tags: [{ Key: 'eks-access', Value: 'view' }] }));
      await real.drain();

      // Assert
      expect(real.deadLetters).toEqual([]);
      const entry = await new EKSClient({ region: HOME, endpoint: fresh.url, credentials }).send(
        new DescribeAccessEntryCommand({ clusterName: 'prod', principalArn: 'arn:aws:iam::111122223333:role/team-c' }),
      );
      expect(entry.accessEntry?.tags).toMatchObject({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag' });
    } finally {
      out.restore();
      await fresh.stop();
    }
  }, 60_000);
});
