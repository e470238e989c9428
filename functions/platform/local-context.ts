/**
 * A Lambda context for running a handler outside Lambda: the CLI's `invoke`, the sandbox, the
 * demo and the tests. Only what the handlers and Powertools read is meaningful.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { partitionOf } from '#kernel/partition';

export interface LocalContextOptions {
  region?: string;
  account?: string;
  requestId?: string;
  /** What getRemainingTimeInMillis answers (the function's timeout when it starts). */
  timeoutMs?: number;
}

export function localContext(functionName: string, options: LocalContextOptions = {}): Context {
  const { region = process.env.AWS_REGION ?? 'us-east-1', account = '111122223333', requestId = randomUUID(), timeoutMs = 900_000 } = options;
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:${partitionOf(region)}:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
