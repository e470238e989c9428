/**
 * SQS over the awsJson1_0 protocol (../protocols/aws-json.ts), signing name `sqs`, `X-Amz-Target:
 * AmazonSQS.<Operation>` — what the SDK v3 and botocore 1.43 both speak (their service models:
 * protocol `json`, jsonVersion 1.0, targetPrefix AmazonSQS). SQS is `@awsQueryCompatible`: errors
 * also carry their query code in `x-amzn-query-error` (`AWS.SimpleQueueService.NonExistentQueue;Sender`).
 */
import * as sqsApi from '@aws-sdk/client-sqs';
import { DeleteMessage$, GetQueueAttributes$, GetQueueUrl$, ListQueues$, PurgeQueue$, ReceiveMessage$, SendMessage$ } from '@aws-sdk/client-sqs';
import type { SqsModel } from '#sandbox/model/sqs';
import { awsJsonService, type JsonServe } from '../protocols/aws-json.ts';
import type { ServiceHandler } from '../router.ts';
import type { StaticOperation } from '../smithy.ts';

const OPERATIONS: Array<[StaticOperation, JsonServe<SqsModel>]> = [
  [ListQueues$ as unknown as StaticOperation, (m, i, region) => m.listQueues(region, i)],
  [GetQueueUrl$ as unknown as StaticOperation, (m, i, region) => m.getQueueUrl(region, i)],
  [GetQueueAttributes$ as unknown as StaticOperation, (m, i, region) => m.getQueueAttributes(region, i)],
  [SendMessage$ as unknown as StaticOperation, (m, i, region) => m.sendMessage(region, i)],
  [ReceiveMessage$ as unknown as StaticOperation, (m, i, region) => m.receiveMessage(region, i)],
  [DeleteMessage$ as unknown as StaticOperation, (m, i, region) => m.deleteMessage(region, i)],
  [PurgeQueue$ as unknown as StaticOperation, (m, i, region) => m.purgeQueue(region, i)],
];

export function sqsService(model: SqsModel, region: string): ServiceHandler {
  return awsJsonService(
    {
      service: 'sqs',
      signingName: 'sqs',
      namespace: 'com.amazonaws.sqs',
      version: '1.0',
      targetPrefixes: ['AmazonSQS'],
      client: sqsApi as unknown as Record<string, unknown>,
      queryCompatible: true,
      // SQS API reference: RequestThrottled ("The request was denied due to request throttling").
      throttling: 'RequestThrottled',
      defaultRegion: region,
    },
    model,
    OPERATIONS,
  );
}
