/**
 * CloudFormation over the AWS query protocol (../protocols/aws-query.ts), signing name
 * `cloudformation`: DescribeStacks and ListStackResources of the stacks the sandbox deployed, which
 * is how `doctor` finds the deployed version (the stacks' `Version` output) and the physical name of
 * every role, rule and queue.
 */
import * as cfnApi from '@aws-sdk/client-cloudformation';
import { DescribeStacks$, ListStackResources$ } from '@aws-sdk/client-cloudformation';
import type { CloudFormationModel } from '#sandbox/model/cloudformation';
import { codedError, decodeQueryInput, queryError, queryErrorOf, queryParams, queryResult, type QueryServiceInfo } from '../protocols/aws-query.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type Operation, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
type Serve = (m: CloudFormationModel, input: any, region: string) => object;

const OPERATIONS: Array<[StaticOperation, Serve]> = [
  [DescribeStacks$ as unknown as StaticOperation, (m, i, region) => m.describeStacks(region, i)],
  [ListStackResources$ as unknown as StaticOperation, (m, i, region) => m.listStackResources(region, i)],
];

const BY_ACTION = new Map<string, { op: Operation; serve: Serve }>(
  OPERATIONS.map(([schema, serve]) => {
    const op = operationOf(schema);
    return [op.name, { op, serve }];
  }),
);
const ERRORS = errorShapes(cfnApi as unknown as Record<string, unknown>);

// The client's protocol settings (CloudFormationClient runtimeConfig: xmlNamespace, version).
export const CLOUDFORMATION_QUERY: QueryServiceInfo = {
  namespace: 'com.amazonaws.cloudformation',
  xmlNamespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  version: '2010-05-15',
};
const INFO = CLOUDFORMATION_QUERY;

export function cloudFormationService(model: CloudFormationModel, region: string): ServiceHandler {
  return {
    service: 'cloudformation',
    signingName: 'cloudformation',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const params = queryParams(req.method, req.body, req.query);
      const action = params.get('Action');
      const entry = action ? BY_ACTION.get(action) : undefined;
      if (!entry) {
        return queryError(
          INFO,
          { code: action ? 'InvalidAction' : 'MissingAction', status: 400, message: action ? `Could not find operation ${action} for version ${params.get('Version') ?? INFO.version}` : 'Missing Action', sender: true },
          req.requestId,
        );
      }
      const input = decodeQueryInput(entry.op, params);
      return {
        operation: entry.op.name,
        input,
        serve: () => {
          try {
            return queryResult(INFO, entry.op, entry.serve(model, input, req.region ?? region), req.requestId);
          } catch (e) {
            return queryError(INFO, queryErrorOf(e, ERRORS), req.requestId);
          }
        },
      };
    },

    throttled(req) {
      // CloudFormation API reference, Common Errors: Throttling, 400.
      return queryError(INFO, { code: 'Throttling', status: 400, message: 'Rate exceeded', sender: true }, req.requestId);
    },

    failed(req, call, code) {
      return queryError(INFO, codedError(code, `${call.operation} failed on purpose (sandbox fault knob)`, ERRORS), req.requestId);
    },
  };
}
