/**
 * Step Functions over the awsJson1_0 protocol: `POST /` with `X-Amz-Target:
 * AWSStepFunctions.<Operation>` and a JSON body; the answer is the output as JSON, or an error
 * with the shape name in `__type` (`{"__type":"com.amazonaws.sfn#ExecutionDoesNotExist",
 * "message":…}`) and status 400 unless the error's `@httpError` says otherwise (Smithy
 * awsJson1_0 protocol specification, "Operation error serialization"). Bodies are read and
 * written by the SDK's own JSON shape (de)serializers with the settings its AwsJson1_0Protocol
 * uses: timestamps as epoch seconds, member names as they are (no jsonName).
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
import { JsonShapeDeserializer, JsonShapeSerializer } from '@aws-sdk/core/protocols';
import type { StepFunctionsModel } from '#sandbox/stepfunctions/model';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type Operation, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
type Input = any;
type Serve = (m: StepFunctionsModel, input: Input) => object;

const OPERATIONS: Array<[StaticOperation, Serve]> = [
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

const BY_NAME = new Map<string, { op: Operation; serve: Serve }>(
  OPERATIONS.map(([schema, serve]) => {
    const op = operationOf(schema);
    return [op.name, { op, serve }];
  }),
);
const ERRORS = errorShapes(sfnApi as unknown as Record<string, unknown>);
const SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };
const TARGET_PREFIX = 'AWSStepFunctions.';
const NAMESPACE = 'com.amazonaws.sfn';

function json(status: number, body: string, requestId: string): SandboxResponse {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId }, body };
}

/** An error as awsJson1_0 sends it; `name` is the shape name (the SDK exception class). */
function error(name: string, message: string, requestId: string, fault: 'client' | 'server' = 'client', namespace = NAMESPACE): SandboxResponse {
  const shape = ERRORS.get(name);
  const status = shape?.traits.httpError ?? ((shape?.traits.error ?? fault) === 'server' ? 500 : 400);
  return json(status, JSON.stringify({ __type: `${namespace}#${name}`, message }), requestId);
}

export function stepFunctionsService(model: StepFunctionsModel): ServiceHandler {
  return {
    service: 'states',
    signingName: 'states',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const target = String(req.headers['x-amz-target'] ?? '');
      const entry = target.startsWith(TARGET_PREFIX) ? BY_NAME.get(target.slice(TARGET_PREFIX.length)) : undefined;
      if (req.method !== 'POST' || !entry) {
        // The JSON protocols' answer to a target the service does not have: 400, the type in the
        // service framework's namespace, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`
        // (quoted in aws/aws-sdk-go#3689; aws/aws-sdk-net#1536 shows the 400). Clients do not retry it.
        return error('UnknownOperationException', `the sandbox serves no Step Functions operation ${target || '(no X-Amz-Target)'}`, req.requestId, 'client', 'com.amazon.coral.service');
      }
      let input: Record<string, unknown>;
      try {
        const text = req.body.toString('utf8');
        input = (new JsonShapeDeserializer(SETTINGS).readObject(entry.op.input, (text.trim() ? JSON.parse(text) : {}) as never) ?? {}) as Record<string, unknown>;
      } catch (e) {
        return error('SerializationException', `Could not parse the request body: ${(e as Error).message}`, req.requestId);
      }
      return {
        operation: entry.op.name,
        input,
        serve: () => {
          try {
            const output = entry.serve(model, input);
            const serializer = new JsonShapeSerializer(SETTINGS);
            serializer.write(entry.op.output, output);
            return json(200, String(serializer.flush() || '{}'), req.requestId);
          } catch (e) {
            const err = e as Error & { $fault?: 'client' | 'server' };
            if (err.$fault === undefined) return error('InternalFailure', `sandbox: ${err.message}`, req.requestId, 'server');
            return error(err.name, err.message, req.requestId, err.$fault);
          }
        },
      };
    },

    throttled(req) {
      // Step Functions throttles with ThrottlingException, 400 (API reference, Common Errors).
      return error('ThrottlingException', 'Rate exceeded', req.requestId);
    },

    failed(req, call, code) {
      return error(code, `${call.operation} failed on purpose (sandbox fault knob)`, req.requestId);
    },
  };
}
