/**
 * Step Functions over the awsJson1_0 protocol (../protocols/aws-json.ts): `POST /` with
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, errors such as
 * `{"__type":"com.amazonaws.sfn#ExecutionDoesNotExist","message":…}`.
 */
import * as sfnApi from '@aws-sdk/client-sfn';
import {
  DescribeExecution$,
  DescribeStateMachine$,
  GetExecutionHistory$,
  ListExecutions$,
  ListStateMachines$,
  SendTaskFailure$,
  SendTaskHeartbeat$,
  SendTaskSuccess$,
  StartExecution$,
  StopExecution$,
} from '@aws-sdk/client-sfn';
import type { StepFunctionsModel } from '#sandbox/stepfunctions/model';
import { awsJsonService, type JsonServe } from '../protocols/aws-json.ts';
import type { ServiceHandler } from '../router.ts';
import type { StaticOperation } from '../smithy.ts';

const OPERATIONS: Array<[StaticOperation, JsonServe<StepFunctionsModel>]> = [
  [StartExecution$ as unknown as StaticOperation, (m, i) => m.startExecution(i)],
  [DescribeExecution$ as unknown as StaticOperation, (m, i) => m.describeExecution(i)],
  [GetExecutionHistory$ as unknown as StaticOperation, (m, i) => m.getExecutionHistory(i)],
  [ListExecutions$ as unknown as StaticOperation, (m, i) => m.listExecutions(i)],
  [SendTaskSuccess$ as unknown as StaticOperation, (m, i) => m.sendTaskSuccess(i)],
  [SendTaskFailure$ as unknown as StaticOperation, (m, i) => m.sendTaskFailure(i)],
  [SendTaskHeartbeat$ as unknown as StaticOperation, (m, i) => m.sendTaskHeartbeat(i)],
  [StopExecution$ as unknown as StaticOperation, (m, i) => m.stopExecution(i)],
  [ListStateMachines$ as unknown as StaticOperation, (m, i) => m.listStateMachines(i)],
  [DescribeStateMachine$ as unknown as StaticOperation, (m, i) => m.describeStateMachine(i)],
];

export function stepFunctionsService(model: StepFunctionsModel, region = 'eu-west-1'): ServiceHandler {
  return awsJsonService(
    {
      service: 'states',
      signingName: 'states',
      namespace: 'com.amazonaws.sfn',
      version: '1.0',
      targetPrefixes: ['AWSStepFunctions'],
      client: sfnApi as unknown as Record<string, unknown>,
      // Step Functions throttles with ThrottlingException, 400 (API reference, Common Errors).
      throttling: 'ThrottlingException',
      defaultRegion: region,
    },
    model,
    OPERATIONS,
  );
}
