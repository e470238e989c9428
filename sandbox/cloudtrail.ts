/**
 * What AWS delivers for an IAM write: CloudTrail records the call in us-east-1 and EventBridge
 * wraps it as "AWS API Call via CloudTrail". The sandbox turns the IAM model's write records
 * into these envelopes so the provisioner is driven by the same shape as in production
 * (compare events/iam/*.json, which are real-shaped fixtures).
 */
import { randomUUID } from 'node:crypto';
import type { IamWriteEvent } from '#sandbox/model/iam';

export interface CloudTrailEnvelope {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: 'aws.iam';
  account: string;
  time: string;
  region: 'us-east-1';
  resources: [];
  detail: Record<string, unknown>;
}

export interface EnvelopeOptions {
  accountId: string;
  /** The caller recorded in userIdentity. */
  callerArn?: string;
  now?: Date;
}

export function toEventBridgeEvent(write: IamWriteEvent, { accountId, callerArn, now = new Date() }: EnvelopeOptions): CloudTrailEnvelope {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const caller = callerArn ?? `arn:aws:iam::${accountId}:user/sandbox-operator`;
  const detail: Record<string, unknown> = {
    eventVersion: '1.10',
    userIdentity: write.caller?.userIdentity ?? { type: 'IAMUser', principalId: 'AIDASANDBOXOPERATOR01', arn: caller, accountId, userName: caller.split('/').pop() },
    eventTime: time,
    eventSource: 'iam.amazonaws.com',
    eventName: write.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: write.caller?.sourceIPAddress ?? '127.0.0.1',
    userAgent: write.caller?.userAgent ?? 'eks-access-pilot-sandbox',
    requestParameters: write.requestParameters,
    responseElements: write.responseElements,
    requestID: randomUUID(),
    eventID: randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
    eventCategory: 'Management',
  };
  if (write.errorCode) {
    detail.errorCode = write.errorCode;
    detail.errorMessage = write.errorMessage;
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: accountId,
    time,
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
