/**
 * IAM Identity Center's admin API ("SSO Admin") over the awsJson1_1 protocol
 * (../protocols/aws-json.ts): signing name `sso`, `X-Amz-Target: SWBExternalService.<Operation>`
 * — both from the service model (@aws-sdk/client-sso-admin: `serviceTarget: "SWBExternalService"`,
 * `defaultSigningName: "sso"`; botocore's sso-admin model: `targetPrefix`, `signingName`). The SDK
 * client reaches it through AWS_ENDPOINT_URL_SSO_ADMIN (service ID "SSO Admin"). Errors are the
 * model's shapes with their statuses (ResourceNotFoundException 404, ValidationException 400,
 * ConflictException 409, ThrottlingException 429, AccessDeniedException 403).
 *
 * Throttling: "IAM Identity Center APIs have a collective throttle maximum of 20 transactions per
 * second (TPS)" (IAM Identity Center User Guide, "IAM Identity Center quotas", throttle limits):
 * a token bucket of 20 tokens refilled at 20 per second, shared by every operation; a call that
 * finds it empty gets ThrottlingException (which the SDK retries). How AWS meters the 20 TPS
 * (bucket size, per account or per instance) is not published: the bucket is an inference.
 */
import * as ssoAdminApi from '@aws-sdk/client-sso-admin';
import {
  CreateAccountAssignment$,
  CreatePermissionSet$,
  DeleteAccountAssignment$,
  DescribeAccountAssignmentCreationStatus$,
  DescribeAccountAssignmentDeletionStatus$,
  DescribePermissionSet$,
  DescribePermissionSetProvisioningStatus$,
  ListInstances$,
  ListPermissionSets$,
  ListTagsForResource$,
  ProvisionPermissionSet$,
  TagResource$,
  ThrottlingException,
  UntagResource$,
} from '@aws-sdk/client-sso-admin';
import type { IdentityCenterModel } from '#sandbox/model/identity-center';
import { awsJsonService, type JsonServe } from '../protocols/aws-json.ts';
import type { ServiceHandler } from '../router.ts';
import type { StaticOperation } from '../smithy.ts';

/** The published collective limit of the Identity Center APIs, in calls per second. */
export const IDENTITY_CENTER_TPS = 20;

/** A token bucket: `rate` tokens a second, at most `rate` held (a one-second burst). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rate;
    this.last = now();
  }

  /** Takes a token; false when there is none (the call is throttled). */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

type M = IdentityCenterModel;
const op = (schema: unknown) => schema as StaticOperation;
const OPERATIONS: Array<[StaticOperation, JsonServe<M>]> = [
  [op(ListInstances$), (m, i, region) => m.listInstances(region, i)],
  [op(ListPermissionSets$), (m, i, region) => m.listPermissionSets(region, i)],
  [op(DescribePermissionSet$), (m, i, region) => m.describePermissionSet(region, i)],
  [op(ListTagsForResource$), (m, i, region) => m.listTagsForResource(region, i)],
  [op(TagResource$), (m, i, region) => m.tagResource(region, i)],
  [op(UntagResource$), (m, i, region) => m.untagResource(region, i)],
  [op(CreatePermissionSet$), (m, i, region) => m.createPermissionSet(region, i)],
  [op(ProvisionPermissionSet$), (m, i, region) => m.provisionPermissionSet(region, i)],
  [op(CreateAccountAssignment$), (m, i, region) => m.createAccountAssignment(region, i)],
  [op(DeleteAccountAssignment$), (m, i, region) => m.deleteAccountAssignment(region, i)],
  [op(DescribePermissionSetProvisioningStatus$), (m, i, region) => m.describePermissionSetProvisioningStatus(region, i)],
  [op(DescribeAccountAssignmentCreationStatus$), (m, i, region) => m.describeAccountAssignmentCreationStatus(region, i)],
  [op(DescribeAccountAssignmentDeletionStatus$), (m, i, region) => m.describeAccountAssignmentDeletionStatus(region, i)],
];

export interface SsoAdminOptions {
  /** Calls per second across operations before ThrottlingException; `false`: never throttled. Default IDENTITY_CENTER_TPS. */
  tps?: number | false;
  now?: () => number;
}

export function ssoAdminService(model: IdentityCenterModel, region: string, options: SsoAdminOptions = {}): ServiceHandler {
  const tps = options.tps ?? IDENTITY_CENTER_TPS;
  const bucket = tps === false ? undefined : new TokenBucket(tps, options.now);
  const limited = OPERATIONS.map(([schema, serve]): [StaticOperation, JsonServe<M>] => [
    schema,
    (m, i, r) => {
      if (bucket && !bucket.take()) {
        model.recordThrottled(schema[2]);
        throw new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: {} });
      }
      return serve(m, i, r);
    },
  ]);
  return awsJsonService(
    {
      service: 'sso',
      signingName: 'sso',
      namespace: 'com.amazonaws.ssoadmin',
      version: '1.1',
      targetPrefixes: ['SWBExternalService'],
      client: ssoAdminApi as unknown as Record<string, unknown>,
      throttling: 'ThrottlingException',
      defaultRegion: region,
    },
    model,
    limited,
  );
}
