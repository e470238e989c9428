/**
 * STS over the AWS query protocol:
 *  - GetCallerIdentity (the migration asks who it runs as, to quote the aws-auth row to add). The
 *    answer is the identity of the request's access key, from the keys the sandbox knows
 *    (AwsModel.addAccessKey); an unknown key gets STS's own answer, 403 InvalidClientTokenId.
 *  - AssumeRole (the functions read Identity Center through a read role, issue 12). The gate has
 *    already authorized it as sts:AssumeRole on the role ARN against the caller's identity
 *    policies (sandbox/iam/requests-deployment.ts); here the role's trust policy must name the
 *    caller (sandbox/iam/trust.ts). A role that does not exist, a role ARN that differs from the
 *    role's (path included) and an untrusted caller all get the same AccessDenied, "User: <caller>
 *    is not authorized to perform: sts:AssumeRole on resource: <role ARN>" (STS answers so whether
 *    or not the role exists: HackTricks-wiki/hacktricks-cloud, "AWS IAM & STS unauthenticated
 *    enum"). The credentials are held to the role's policies: the synthesized ones for a role of
 *    the deployed app, the seed's for any other (sandbox/server/seed.ts); their Expiration is
 *    reported, not enforced. Request validation follows the STS model: RoleSessionName 2–64 of
 *    [\w+=,.@-], DurationSeconds 900–43200 and at most the role's MaxSessionDuration, at most
 *    3600 for a session assumed by another role's session (IAM User Guide, "Role chaining").
 */
import { createHash, randomBytes } from 'node:crypto';
import * as stsApi from '@aws-sdk/client-sts';
import { AssumeRole$, GetCallerIdentity$ } from '@aws-sdk/client-sts';
import type { AwsModel } from '#sandbox/model/index';
import type { IamModel } from '#sandbox/model/iam';
import type { IamEnforcer } from '#sandbox/iam/enforcer';
import { trustsCaller } from '#sandbox/iam/trust';
import { codedError, decodeQueryInput, queryError, queryParams, queryResult, type QueryServiceInfo } from '../protocols/aws-query.ts';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf } from '../smithy.ts';

const GET_CALLER_IDENTITY = operationOf(GetCallerIdentity$);
const ASSUME_ROLE = operationOf(AssumeRole$);
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
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

type QueryError = { code: string; status: number; message: string; sender: boolean };
const validation = (message: string): QueryError => ({ code: 'ValidationError', status: 400, message, sender: true });
const constraint = (value: unknown, at: string, rule: string) => validation(`1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: ${rule}`);

/**
 * AssumeRole: the answer for the caller signing with `accessKeyId` (see the file's comment), or
 * the error to send.
 */
function assumeRole(model: AwsModel, enforcer: IamEnforcer | undefined, accessKeyId: string, input: Record<string, unknown>): object | QueryError {
  const roleArn = typeof input.RoleArn === 'string' ? input.RoleArn : '';
  const sessionName = typeof input.RoleSessionName === 'string' ? input.RoleSessionName : '';
  if (roleArn.length < 20 || roleArn.length > 2048) return constraint(roleArn, 'roleArn', 'Member must have length greater than or equal to 20');
  if (!SESSION_NAME.test(sessionName)) return constraint(sessionName, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');
  const duration = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) return constraint(duration, 'durationSeconds', 'Member must have value between 900 and 43200');

  const key = model.accessKey(accessKeyId);
  if (!key) return { code: 'InvalidClientTokenId', status: 403, message: 'The security token included in the request is invalid.', sender: true };
  const identity = enforcer?.identityOf(accessKeyId);
  const callerArn = identity?.arn ?? key.arn;
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  const principalArn = identity?.principalArn ?? (session ? (model.iam.sessionRole(session[3]!)?.arn ?? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`) : callerArn);
  const accountId = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(callerArn)?.[1] ?? model.accountId;
  const denied: QueryError = { code: 'AccessDenied', status: 403, message: `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, sender: true };

  const target = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const role = target && target[2] === model.accountId ? model.iam.sessionRole(target[3]!) : undefined;
  if (!role || role.arn !== roleArn) return denied;
  if (!trustsCaller(role.assumeRolePolicyDocument, { principalArn, ...(session ? { sessionArn: callerArn } : {}), accountId }).trusted) return denied;
  if (duration > role.maxSessionDuration) return validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  if (session && duration > 3600) return validation('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');

  const policies = role.policies.map((p) => ({ name: p.name, policy: p.document }));
  const creds = enforcer
    ? enforcer.issueSessionCredentials(role, sessionName, policies)
    : (() => {
        const issued = {
          accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString('base64'),
          sessionToken: randomBytes(48).toString('base64'),
          arn: `arn:${target![1]}:sts::${model.accountId}:assumed-role/${role.name}/${sessionName}`,
        };
        model.addAccessKey(issued);
        return issued;
      })();
  return {
    Credentials: { AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, SessionToken: creds.sessionToken, Expiration: new Date(Date.now() + duration * 1000) },
    AssumedRoleUser: { AssumedRoleId: `${role.id}:${sessionName}`, Arn: creds.arn },
  };
}

export function stsService(model: AwsModel, enforcer?: IamEnforcer): ServiceHandler {
  return {
    service: 'sts',
    signingName: 'sts',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const params = queryParams(req.method, req.body, req.query);
      const action = params.get('Action');
      if (action === ASSUME_ROLE.name) {
        const input = decodeQueryInput(ASSUME_ROLE, params);
        return {
          operation: ASSUME_ROLE.name,
          input,
          serve: () => {
            const answer = assumeRole(model, enforcer, accessKeyIdOf(req) ?? '', input);
            return 'code' in answer ? queryError(INFO, answer as QueryError, req.requestId) : queryResult(INFO, ASSUME_ROLE, answer, req.requestId);
          },
        };
      }
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
