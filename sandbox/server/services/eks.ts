/**
 * EKS over restJson1: every operation the EKS model implements, served in the region of the
 * request's SigV4 credential scope (an EKSClient signs for its own region, so one server holds
 * clusters of every region, as the in-process binding does).
 */
import { randomUUID } from 'node:crypto';
import * as eksApi from '@aws-sdk/client-eks';
import {
  AssociateAccessPolicy$,
  CreateAccessEntry$,
  DeleteAccessEntry$,
  DescribeAccessEntry$,
  DescribeCluster$,
  DescribeUpdate$,
  DisassociateAccessPolicy$,
  ListAccessEntries$,
  ListAccessPolicies$,
  ListAssociatedAccessPolicies$,
  ListClusters$,
  ListTagsForResource$,
  ListUpdates$,
  TagResource$,
  UntagResource$,
  UpdateAccessEntry$,
  UpdateClusterConfig$,
} from '@aws-sdk/client-eks';
import type { EksModel } from '#sandbox/model/eks';
import { matchRoute, restJsonError, restJsonResult, restRoute, decodeRestJsonInput, type RestRoute } from '../protocols/rest-json.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
type Input = any;
type Serve = (m: EksModel, region: string, input: Input) => object;

// The same table as sandbox/mock-binding.ts, keyed by the operation schema instead of the Command.
const OPERATIONS: Array<[StaticOperation, Serve]> = [
  [DescribeCluster$, (m, r, i) => m.describeCluster(r, i)],
  [ListClusters$, (m, r, i) => m.listClusters(r, i)],
  [UpdateClusterConfig$, (m, r, i) => m.updateClusterConfig(r, i)],
  [DescribeUpdate$, (m, r, i) => m.describeUpdate(r, i)],
  [ListUpdates$, (m, r, i) => m.listUpdates(r, i)],
  [CreateAccessEntry$, (m, r, i) => m.createAccessEntry(r, i)],
  [DescribeAccessEntry$, (m, r, i) => m.describeAccessEntry(r, i)],
  [ListAccessEntries$, (m, r, i) => m.listAccessEntries(r, i)],
  [UpdateAccessEntry$, (m, r, i) => m.updateAccessEntry(r, i)],
  [DeleteAccessEntry$, (m, r, i) => m.deleteAccessEntry(r, i)],
  [AssociateAccessPolicy$, (m, r, i) => m.associateAccessPolicy(r, i)],
  [DisassociateAccessPolicy$, (m, r, i) => m.disassociateAccessPolicy(r, i)],
  [ListAssociatedAccessPolicies$, (m, r, i) => m.listAssociatedAccessPolicies(r, i)],
  [ListAccessPolicies$, (m, r, i) => m.listAccessPolicies(r, i)],
  [TagResource$, (m, r, i) => m.tagResource(r, i)],
  [UntagResource$, (m, r, i) => m.untagResource(r, i)],
  [ListTagsForResource$, (m, r, i) => m.listTagsForResource(r, i)],
];

const ROUTES: RestRoute<Serve>[] = OPERATIONS.map(([schema, serve]) => restRoute(operationOf(schema), serve));
const ERRORS = errorShapes(eksApi as unknown as Record<string, unknown>);

/** The operations this service serves, by name. */
export const EKS_OPERATIONS: readonly string[] = ROUTES.map((r) => r.op.name);

// The operations whose model lists BadRequestException ("the request contains a semantic
// error"): the tag operations. test/sandbox/eks-errors.test.ts checks that every operation's
// answer here is one its model (or EKS's parameter validation) allows.
const BAD_REQUEST_OPERATIONS = new Set(['TagResource', 'UntagResource', 'ListTagsForResource']);

/**
 * The error an operation answers for a request it cannot read (a body that is not JSON): the
 * tag operations' BadRequestException, and elsewhere InvalidParameterException, what EKS answers
 * for a parameter it cannot take on any operation (sandbox/model/eks.ts, `parameterError`).
 */
export function requestErrorCode(operation: string): 'BadRequestException' | 'InvalidParameterException' {
  return BAD_REQUEST_OPERATIONS.has(operation) ? 'BadRequestException' : 'InvalidParameterException';
}

export function eksService(model: EksModel, defaultRegion: string): ServiceHandler {
  const error = (name: string, fields: Record<string, unknown>, requestId: string, fault?: 'client' | 'server', status?: number) =>
    restJsonError(name, fields, requestId, ERRORS.get(name), fault, status);

  return {
    service: 'eks',
    signingName: 'eks',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const match = matchRoute(ROUTES, req);
      if (!match) {
        // No route: 404, as a REST service answers a path it does not have; the name says why.
        return error('UnknownOperationException', { message: `the sandbox serves no EKS operation at ${req.method} ${req.rawPath}` }, req.requestId, 'client', 404);
      }
      const { route, labels } = match;
      let input: Record<string, unknown>;
      try {
        input = decodeRestJsonInput(route.op, req, labels);
      } catch (e) {
        // A body that is not JSON: EKS answers with a client error before any rule runs.
        return error(requestErrorCode(route.op.name), { message: `Could not parse request body: ${(e as Error).message}` }, req.requestId);
      }
      const region = req.region ?? defaultRegion;
      return {
        operation: route.op.name,
        input,
        serve: () => {
          try {
            return restJsonResult(route, route.target(model, region, input), req.requestId);
          } catch (e) {
            const err = e as Error & { $fault?: 'client' | 'server' };
            if (err.$fault === undefined) {
              // Not an AWS error: a rule the model does not implement or a sandbox bug.
              return error('ServerException', { message: `sandbox: ${err.message}` }, req.requestId, 'server');
            }
            return error(err.name, { ...err, message: err.message }, req.requestId, err.$fault);
          }
        },
      };
    },

    throttled(req, call) {
      // ThrottlingException is in EKS's model with @httpError(429); the SDK retries it as throttling.
      // Any operation may be throttled: the API reference's Common Errors, which apply to every
      // action, list ThrottlingException.
      return error('ThrottlingException', { message: 'Rate exceeded', clusterName: clusterOf(call.input) }, req.requestId);
    },

    failed(req, call, code) {
      return error(code, { message: `${call.operation} failed on purpose (sandbox fault knob)`, clusterName: clusterOf(call.input) }, req.requestId ?? randomUUID());
    },
  };
}

function clusterOf(input: Record<string, unknown>): string | undefined {
  const name = input.clusterName ?? input.name;
  return typeof name === 'string' ? name : undefined;
}
