/**
 * STS over the AWS query protocol: GetCallerIdentity, the one STS call the system makes (the
 * migration asks who it runs as, to quote the aws-auth row to add). The answer is the identity
 * of the request's access key, from the keys the sandbox knows (AwsModel.addAccessKey); an
 * unknown key gets STS's own answer, 403 InvalidClientTokenId.
 */
import { createHash } from 'node:crypto';
import * as stsApi from '@aws-sdk/client-sts';
import { GetCallerIdentity$ } from '@aws-sdk/client-sts';
import type { AwsModel } from '#sandbox/model/index';
import type { IamModel } from '#sandbox/model/iam';
import { codedError, queryError, queryParams, queryResult, type QueryServiceInfo } from '../protocols/aws-query.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf } from '../smithy.ts';

const GET_CALLER_IDENTITY = operationOf(GetCallerIdentity$);
const ERRORS = errorShapes(stsApi as unknown as Record<string, unknown>);

// The client's protocol settings (STSClient runtimeConfig: xmlNamespace, version).
const INFO: QueryServiceInfo = {
  namespace: 'com.amazonaws.sts',
  xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  version: '2011-06-15',
};

/** The access key ID of a SigV4 request (header or presigned query). */
export function accessKeyIdOf(req: SandboxRequest): string | undefined {
  const auth = req.headers.authorization;
  const credential = /Credential=([^,\s]+)/.exec(typeof auth === 'string' ? auth : '')?.[1] ?? req.query.get('X-Amz-Credential') ?? undefined;
  return credential?.split('/')[0];
}

/**
 * What GetCallerIdentity answers for an ARN (STS API reference, GetCallerIdentity, "UserId": "the
 * unique identifier of the calling entity"; its examples show `AIDA…` for an IAM user and
 * `AROA…:<session>` for an assumed role). The ID is the one IAM holds for the principal — the
 * RoleId `iam get-role` returns, the UserId of `iam get-user` — so the two can be compared. A
 * principal IAM does not know (another account's, or one the seed did not create) gets a stable
 * ID derived from its ARN (inferred: AWS has no such principal).
 */
export function callerIdentity(arn: string, iam?: IamModel): { UserId: string; Account: string; Arn: string } {
  const account = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1] ?? '';
  const derived = (prefix: string) => prefix + createHash('sha256').update(arn.replace(/\/[^/]+$/, '')).digest('hex').slice(0, 17).toUpperCase();
  const local = iam !== undefined && account === iam.accountId;
  const session = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (session) {
    const roleId = (local ? iam.roleIdByName(session[1]!) : undefined) ?? derived('AROA');
    return { UserId: `${roleId}:${session[2]!}`, Account: account, Arn: arn };
  }
  return { UserId: (local ? iam.principalId(arn) : undefined) ?? derived('AIDA'), Account: account, Arn: arn };
}

export function stsService(model: AwsModel): ServiceHandler {
  return {
    service: 'sts',
    signingName: 'sts',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const params = queryParams(req.method, req.body, req.query);
      const action = params.get('Action');
      if (action !== GET_CALLER_IDENTITY.name) {
        return queryError(
          INFO,
          { code: 'InvalidAction', status: 400, message: `Could not find operation ${action ?? ''} for version ${params.get('Version') ?? INFO.version}`, sender: true },
          req.requestId,
        );
      }
      return {
        operation: GET_CALLER_IDENTITY.name,
        input: {},
        serve: () => {
          const key = model.accessKey(accessKeyIdOf(req) ?? '');
          if (!key) {
            return queryError(INFO, { code: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.', sender: true }, req.requestId);
          }
          return queryResult(INFO, GET_CALLER_IDENTITY, callerIdentity(key.arn, model.iam), req.requestId);
        },
      };
    },

    throttled(req) {
      // STS answers throttling like IAM: 400 with code Throttling ("Rate exceeded").
      return queryError(INFO, { code: 'Throttling', status: 400, message: 'Rate exceeded', sender: true }, req.requestId);
    },

    failed(req, call, code) {
      return queryError(INFO, codedError(code, `${call.operation} failed on purpose (sandbox fault knob)`, ERRORS), req.requestId);
    },
  };
}
