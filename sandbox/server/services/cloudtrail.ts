/**
 * CloudTrail over the awsJson1_1 protocol (../protocols/aws-json.ts), signing name `cloudtrail`:
 * the trail reads `doctor` makes and the writes that stop or start recording. The SDK sends
 * `X-Amz-Target: CloudTrail_20131101.<Operation>`, botocore its model's `targetPrefix`,
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`.
 */
import * as cloudTrailApi from '@aws-sdk/client-cloudtrail';
import { DescribeTrails$, GetEventSelectors$, GetTrailStatus$, PutEventSelectors$, StartLogging$, StopLogging$ } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailModel } from '#sandbox/model/cloudtrail';
import { awsJsonService, type JsonServe } from '../protocols/aws-json.ts';
import type { ServiceHandler } from '../router.ts';
import type { StaticOperation } from '../smithy.ts';

const OPERATIONS: Array<[StaticOperation, JsonServe<CloudTrailModel>]> = [
  [DescribeTrails$ as unknown as StaticOperation, (m, i, region) => m.describeTrails(region, i)],
  [GetTrailStatus$ as unknown as StaticOperation, (m, i, region) => m.getTrailStatus(region, i)],
  [GetEventSelectors$ as unknown as StaticOperation, (m, i, region) => m.getEventSelectors(region, i)],
  [PutEventSelectors$ as unknown as StaticOperation, (m, i, region) => m.putEventSelectors(region, i)],
  [StartLogging$ as unknown as StaticOperation, (m, i, region) => m.startLogging(region, i)],
  [StopLogging$ as unknown as StaticOperation, (m, i, region) => m.stopLogging(region, i)],
];

export function cloudTrailService(model: CloudTrailModel, region: string): ServiceHandler {
  return awsJsonService(
    {
      service: 'cloudtrail',
      signingName: 'cloudtrail',
      namespace: 'com.amazonaws.cloudtrail',
      version: '1.1',
      targetPrefixes: ['CloudTrail_20131101', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101'],
      client: cloudTrailApi as unknown as Record<string, unknown>,
      // CloudTrail API reference, Common Errors: ThrottlingException, 400.
      throttling: 'ThrottlingException',
      defaultRegion: region,
    },
    model,
    OPERATIONS,
  );
}
