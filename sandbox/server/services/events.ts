/**
 * EventBridge over the awsJson1_1 protocol (../protocols/aws-json.ts), signing name `events`,
 * `X-Amz-Target: AWSEvents.<Operation>`: the rule reads `doctor` makes (TestEventPattern included) and the writes that break
 * delivery (DeleteRule, DisableRule, RemoveTargets) or restore it (EnableRule). The SDK client
 * reaches it through AWS_ENDPOINT_URL_EVENTBRIDGE (service ID "EventBridge").
 */
import * as eventsApi from '@aws-sdk/client-eventbridge';
import { DeleteRule$, DescribeRule$, DisableRule$, EnableRule$, ListRules$, ListTargetsByRule$, RemoveTargets$, TestEventPattern$ } from '@aws-sdk/client-eventbridge';
import type { EventsModel } from '#sandbox/model/events';
import { awsJsonService, type JsonServe } from '../protocols/aws-json.ts';
import type { ServiceHandler } from '../router.ts';
import type { StaticOperation } from '../smithy.ts';

const OPERATIONS: Array<[StaticOperation, JsonServe<EventsModel>]> = [
  [ListRules$ as unknown as StaticOperation, (m, i, region) => m.listRules(region, i)],
  [DescribeRule$ as unknown as StaticOperation, (m, i, region) => m.describeRule(region, i)],
  [ListTargetsByRule$ as unknown as StaticOperation, (m, i, region) => m.listTargetsByRule(region, i)],
  [DeleteRule$ as unknown as StaticOperation, (m, i, region) => m.deleteRule(region, i)],
  [DisableRule$ as unknown as StaticOperation, (m, i, region) => m.disableRule(region, i)],
  [EnableRule$ as unknown as StaticOperation, (m, i, region) => m.enableRule(region, i)],
  [RemoveTargets$ as unknown as StaticOperation, (m, i, region) => m.removeTargets(region, i)],
  [TestEventPattern$ as unknown as StaticOperation, (m, i) => m.testEventPattern(i)],
];

export function eventsService(model: EventsModel, region: string): ServiceHandler {
  return awsJsonService(
    {
      service: 'events',
      signingName: 'events',
      namespace: 'com.amazonaws.eventbridge',
      version: '1.1',
      targetPrefixes: ['AWSEvents'],
      client: eventsApi as unknown as Record<string, unknown>,
      // EventBridge API reference, Common Errors: ThrottlingException, 400.
      throttling: 'ThrottlingException',
      defaultRegion: region,
    },
    model,
    OPERATIONS,
  );
}
