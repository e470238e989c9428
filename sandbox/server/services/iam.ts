/**
 * IAM over the AWS query protocol: every operation the IAM model implements, and
 * SimulatePrincipalPolicy, answered by the same policy evaluation the sandbox enforces
 * (sandbox/iam/simulate.ts). IAM is global; the SDK signs it for us-east-1 and the region plays no
 * part here.
 */
import * as iamApi from '@aws-sdk/client-iam';
import {
  CreateRole$,
  CreateUser$,
  DeleteRole$,
  DeleteUser$,
  GetAccountAuthorizationDetails$,
  GetRole$,
  GetUser$,
  ListRoles$,
  ListRoleTags$,
  ListUsers$,
  ListUserTags$,
  SimulatePrincipalPolicy$,
  TagRole$,
  TagUser$,
  UntagRole$,
  UntagUser$,
} from '@aws-sdk/client-iam';
import type { IamModel } from '#sandbox/model/iam';
import type { PrincipalPolicySimulator } from '#sandbox/iam/simulate';
import { codedError, decodeQueryInput, queryError, queryErrorOf, queryParams, queryResult, type QueryServiceInfo } from '../protocols/aws-query.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type Operation, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
type Input = any;
type Serve = (m: IamModel, input: Input, simulator: PrincipalPolicySimulator | undefined) => object | Promise<object>;

// The same table as sandbox/mock-binding.ts, keyed by the operation schema instead of the Command
// (ListRoles, ListUsers and SimulatePrincipalPolicy are served over HTTP only).
const OPERATIONS: Array<[StaticOperation, Serve]> = [
  [CreateRole$, (m, i) => m.createRole(i)],
  [GetRole$, (m, i) => m.getRole(i)],
  [DeleteRole$, (m, i) => m.deleteRole(i)],
  [TagRole$, (m, i) => m.tagRole(i)],
  [UntagRole$, (m, i) => m.untagRole(i)],
  [ListRoleTags$, (m, i) => m.listRoleTags(i)],
  [ListRoles$, (m, i) => m.listRoles(i)],
  [CreateUser$, (m, i) => m.createUser(i)],
  [GetUser$, (m, i) => m.getUser(i)],
  [DeleteUser$, (m, i) => m.deleteUser(i)],
  [TagUser$, (m, i) => m.tagUser(i)],
  [UntagUser$, (m, i) => m.untagUser(i)],
  [ListUserTags$, (m, i) => m.listUserTags(i)],
  [ListUsers$, (m, i) => m.listUsers(i)],
  [GetAccountAuthorizationDetails$, (m, i) => m.getAccountAuthorizationDetails(i)],
  [
    SimulatePrincipalPolicy$,
    (_m, i, simulator) => {
      if (!simulator) throw new Error('SimulatePrincipalPolicy needs the sandbox started with its policy evaluation');
      return simulator.simulate(i);
    },
  ],
];

const BY_ACTION = new Map<string, { op: Operation; serve: Serve }>(
  OPERATIONS.map(([schema, serve]) => {
    const op = operationOf(schema);
    return [op.name, { op, serve }];
  }),
);
const ERRORS = errorShapes(iamApi as unknown as Record<string, unknown>);

// The client's protocol settings (IAMClient runtimeConfig: xmlNamespace, version).
const INFO: QueryServiceInfo = {
  namespace: 'com.amazonaws.iam',
  xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  version: '2010-05-08',
};

export function iamService(model: IamModel, simulator?: PrincipalPolicySimulator): ServiceHandler {
  return {
    service: 'iam',
    signingName: 'iam',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const params = queryParams(req.method, req.body, req.query);
      const action = params.get('Action');
      if (!action) {
        return queryError(INFO, { code: 'MissingAction', status: 400, message: 'Missing Action', sender: true }, req.requestId);
      }
      const entry = BY_ACTION.get(action);
      if (!entry) {
        // The query protocol's answer to an action the service does not have.
        return queryError(
          INFO,
          { code: 'InvalidAction', status: 400, message: `Could not find operation ${action} for version ${params.get('Version') ?? INFO.version}`, sender: true },
          req.requestId,
        );
      }
      const input = decodeQueryInput(entry.op, params);
      return {
        operation: entry.op.name,
        input,
        serve: async () => {
          try {
            return queryResult(INFO, entry.op, await entry.serve(model, input, simulator), req.requestId);
          } catch (e) {
            return queryError(INFO, queryErrorOf(e, ERRORS), req.requestId);
          }
        },
      };
    },

    throttled(req, call) {
      // IAM answers a throttled call with 400 and code Throttling, not 429 (legion-platform/legion#807);
      // the SDK classifies the code as throttling. CloudTrail records the failed write too.
      model.recordFailedWrite(call.operation, call.input, 'Throttling', 'Rate exceeded');
      return queryError(INFO, { code: 'Throttling', status: 400, message: 'Rate exceeded', sender: true }, req.requestId);
    },

    failed(req, call, code) {
      const error = codedError(code, `${call.operation} failed on purpose (sandbox fault knob)`, ERRORS);
      // The model records failures under the SDK exception name (NoSuchEntityException); so does this.
      model.recordFailedWrite(call.operation, call.input, error.shape?.name ?? code, error.message);
      return queryError(INFO, error, req.requestId);
    },
  };
}
