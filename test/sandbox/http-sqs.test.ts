// SQS over HTTP (sandbox/server/services/sqs.ts, sandbox/model/sqs.ts) with the real SQSClient,
// which speaks awsJson1_0 with query-compatible errors, and CloudFormation's view of the same
// deployment (sandbox/server/services/cloudformation.ts): the queues the app declares (dead-letter
// queues and on-failure destinations), their attributes and counts, the minimal message
// operations, and each one's documented error (SQS API reference; CloudFormation API reference,
// DescribeStacks, ListStackResources).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  ListQueuesCommand,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const HOME = 'eu-west-1';
const ACCOUNT = '111122223333';
const PROVISIONER_FAILURES = 'EksAccessPilot-TagProvisioningProvisionerFailures4BC69252';

let sandbox: Sandbox;
let sqs: SQSClient;
let cfn: (region: string) => CloudFormationClient;
const url = (name: string) => `${sandbox.url}/${ACCOUNT}/${name}`;

beforeAll(async () => {
  sandbox = await startSandbox({ region: HOME, iam: { config: { homeRegion: HOME, clusters: [{ name: 'prod', region: HOME }] } } });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  sqs = new SQSClient({ region: HOME, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  cfn = (region) => new CloudFormationClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  sqs.destroy();
  await sandbox.stop();
});

describe('the deployed queues', () => {
  it('are listed per Region at URLs on the sandbox, filtered by prefix and paged by MaxResults', async () => {
    const all = await sqs.send(new ListQueuesCommand({}));
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: 3 }));
    const rest = await sqs.send(new ListQueuesCommand({ MaxResults: 3, NextToken: page.NextToken }));
    const prefixed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'EksAccessPilot-TagProvisioningResync' }));

    expect(all.QueueUrls).toEqual([
      url('EksAccessPilot-TagProvisioningExpiryDeliveryFailuresB3D78172'),
      url(PROVISIONER_FAILURES),
      url('EksAccessPilot-TagProvisioningResyncFailures88E03A6E'),
      url('EksAccessPilot-TagProvisioningRuleDeliveryFailures4A6E04FC'),
      url('EksAccessPilot-TagProvisioningScheduleDeliveryFailuresF835B74B'),
    ]);
    expect(all.NextToken).toBeUndefined();
    expect([...page.QueueUrls!, ...rest.QueueUrls!]).toEqual(all.QueueUrls);
    expect(rest.NextToken).toBeUndefined();
    expect(prefixed.QueueUrls).toEqual([url('EksAccessPilot-TagProvisioningResyncFailures88E03A6E')]);
    const east = new SQSClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: await sqs.config.credentials(), maxAttempts: 1 });
    expect((await east.send(new ListQueuesCommand({}))).QueueUrls).toEqual([url('EksAccessPilotIamEventForwarder-ForwardingFailuresBDAEC17D')]);
    east.destroy();
  });

  it('have the attributes the template sets, an ARN and empty counts', async () => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(PROVISIONER_FAILURES), AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:${HOME}:${ACCOUNT}:${PROVISIONER_FAILURES}`,
      MessageRetentionPeriod: '1209600',
      SqsManagedSseEnabled: 'true',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    // Only the attributes asked for; none without AttributeNames (SQS API reference, GetQueueAttributes).
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(PROVISIONER_FAILURES), AttributeNames: ['QueueArn'] }))).Attributes).toEqual({
      QueueArn: `arn:aws:sqs:${HOME}:${ACCOUNT}:${PROVISIONER_FAILURES}`,
    });
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(PROVISIONER_FAILURES) }))).Attributes).toBeUndefined();
  });

  it('answer GetQueueUrl by name, and QueueDoesNotExist (with its query code) for a queue that is not there', async () => {
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: PROVISIONER_FAILURES }))).QueueUrl).toBe(url(PROVISIONER_FAILURES));
    const byName = await rejectionOf(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
    const byUrl = await rejectionOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url('no-such-queue'), AttributeNames: ['All'] })));
    expect(byName).toBeInstanceOf(QueueDoesNotExist);
    expect(byUrl).toBeInstanceOf(QueueDoesNotExist);
    expect(byUrl).toMatchObject({ message: 'The specified queue does not exist.', Code: 'AWS.SimpleQueueService.NonExistentQueue', $metadata: { httpStatusCode: 400 } });
  });

  it('refuse an unknown attribute name (InvalidAttributeName)', async () => {
    const e = await rejectionOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(PROVISIONER_FAILURES), AttributeNames: ['Colour' as never] })));
    expect(e).toBeInstanceOf(InvalidAttributeName);
  });
});

describe('messages', () => {
  it('count as visible, then in flight once received, and go once deleted', async () => {
    const queue = url('EksAccessPilot-TagProvisioningResyncFailures88E03A6E');
    const counts = async () => {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return [Attributes.ApproximateNumberOfMessages, Attributes.ApproximateNumberOfMessagesNotVisible];
    };

    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: '{"failed":"resync"}' }));
    expect(await counts()).toEqual(['1', '0']);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(await counts()).toEqual(['0', '1']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: Messages[0]!.ReceiptHandle }));

    expect(Messages).toEqual([expect.objectContaining({ MessageId: sent.MessageId, Body: '{"failed":"resync"}', Attributes: { ApproximateReceiveCount: '1' } })]);
    expect(await counts()).toEqual(['0', '0']);
    expect(await rejectionOf(sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: 'forged' })))).toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('are all deleted by PurgeQueue, which refuses a second purge within 60 seconds (PurgeQueueInProgress)', async () => {
    const queue = url('EksAccessPilot-TagProvisioningScheduleDeliveryFailuresF835B74B');
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'two' }));

    await sqs.send(new PurgeQueueCommand({ QueueUrl: queue }));
    const again = await rejectionOf(sqs.send(new PurgeQueueCommand({ QueueUrl: queue })));

    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes).toEqual({ ApproximateNumberOfMessages: '0' });
    expect(again).toBeInstanceOf(PurgeQueueInProgress);
    expect(again.message).toBe('Only one PurgeQueue operation on EksAccessPilot-TagProvisioningScheduleDeliveryFailuresF835B74B is allowed every 60 seconds.');
  });
});

describe('CloudFormation', () => {
  it("describes each Region's stacks as created, with the app's outputs, the Version among them", async () => {
    const home = await cfn(HOME).send(new DescribeStacksCommand({}));
    const east = await cfn('us-east-1').send(new DescribeStacksCommand({ StackName: 'EksAccessPilotIamEventForwarder' }));

    expect(home.Stacks?.map((s) => [s.StackName, s.StackStatus])).toEqual([['EksAccessPilot', 'CREATE_COMPLETE']]);
    expect(home.Stacks?.[0]?.StackId).toMatch(/^arn:aws:cloudformation:eu-west-1:111122223333:stack\/EksAccessPilot\/[0-9a-f-]{36}$/);
    expect(home.Stacks?.[0]?.Outputs).toEqual(expect.arrayContaining([expect.objectContaining({ OutputKey: 'MigrationStateMachineArn31CC183F', OutputValue: expect.stringMatching(/:stateMachine:/) })]));
    expect(east.Stacks?.map((s) => s.StackName)).toEqual(['EksAccessPilotIamEventForwarder']);
  });

  it('answers ValidationError for a stack that does not exist (in this Region)', async () => {
    const e = await rejectionOf(cfn('us-east-1').send(new DescribeStacksCommand({ StackName: 'EksAccessPilot' })));
    expect(e).toMatchObject({ name: 'ValidationError', message: 'Stack with id EksAccessPilot does not exist' });
  });

  it("lists each resource's physical ID: the queue's URL works with SQS, the rule's and function's names are the deployed ones", async () => {
    const { StackResourceSummaries = [] } = await cfn(HOME).send(new ListStackResourcesCommand({ StackName: 'EksAccessPilot' }));
    const physical = (type: string, prefix: string) => StackResourceSummaries.find((r) => r.ResourceType === type && r.LogicalResourceId!.startsWith(prefix))?.PhysicalResourceId;

    const queueUrl = physical('AWS::SQS::Queue', 'TagProvisioningProvisionerFailures')!;
    expect(queueUrl).toBe(url(PROVISIONER_FAILURES));
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn).toMatch(/ProvisionerFailures/);
    expect(physical('AWS::Events::Rule', 'TagProvisioningIamEventsRule')).toBe('EksAccessPilot-TagProvisioningIamEventsRule47072388');
    expect(physical('AWS::Lambda::Function', 'TagProvisioningProvisionerFunction')).toBe(sandbox.lambda!.functionFor('functions/access/provisioner/handler.ts'));
    expect(StackResourceSummaries.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
  });
});
