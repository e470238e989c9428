// IAM Identity Center's admin API over HTTP (sandbox/server/services/sso-admin.ts) with the real
// SSOAdminClient: awsJson1_1 with X-Amz-Target SWBExternalService.<Operation>, signed for `sso`;
// the paginators the functions use; the model's error shapes and statuses; provisioning seen
// through IAM; every call authorized as the SAR says (sandbox/iam/requests-deployment.ts); and
// the published 20 TPS as a token bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  ConflictException,
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  ListInstancesCommand,
  ListPermissionSetsCommand,
  ListTagsForResourceCommand,
  ProvisionPermissionSetCommand,
  ResourceNotFoundException,
  SSOAdminClient,
  TagResourceCommand,
  ThrottlingException,
  UntagResourceCommand,
  paginateListPermissionSets,
  paginateListTagsForResource,
} from '@aws-sdk/client-sso-admin';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import type { IamWriteEvent } from '#sandbox/model/index';
import { signedFetch } from './signed.ts';
import { rejectionOf } from './world.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-72233af8ea2d1f14';
const GROUP = '34887428-4081-7042-c3c6-928d413009e7';

let sandbox: Sandbox;
let sso: SSOAdminClient;
let iam: IAMClient;
const writes: IamWriteEvent[] = [];

const operator = () => ({ accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! });
const client = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = REGION) =>
  new SSOAdminClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 });
const psArn = (name: string) => sandbox.identityCenter.permissionSetArn(name);

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      identityCenter: {
        instanceArn: INSTANCE_ARN,
        permissionSets: [
          { name: 'PlatformReadOnly', tags: { 'eks-access': 'view', team: 'platform' } },
          { name: 'Data_Readers', tags: { 'eks-access/prod': 'view' }, assignedTo: [ACCOUNT] },
          { name: 'Billing' },
        ],
      },
    },
    iam: { config: { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }] } },
    // This file makes more than 20 calls a second with single-attempt clients; the throttle has its own test below.
    identityCenterTps: false,
  });
  sandbox.model.iam.onWrite((w) => writes.push(w));
  sso = client(operator());
  iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: operator(), maxAttempts: 1 });
});
afterAll(async () => {
  sso.destroy();
  iam.destroy();
  await sandbox.stop();
});

describe('the wire', () => {
  it('is awsJson1_1 with X-Amz-Target SWBExternalService.<Operation>, signed for sso', async () => {
    const res = await signedFetch(sandbox, {
      service: 'sso',
      region: REGION,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SWBExternalService.ListInstances' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toMatchObject({ Instances: [{ InstanceArn: INSTANCE_ARN, OwnerAccountId: ACCOUNT, Status: 'ACTIVE' }] });
  });

  it('answers an operation it does not serve with 400 UnknownOperationException', async () => {
    const res = await signedFetch(sandbox, {
      service: 'sso',
      region: REGION,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SWBExternalService.ListApplications' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('com.amazon.coral.service#UnknownOperationException');
  });
});

describe('reading permission sets, as the functions do', () => {
  it('lists the instance in its Region only', async () => {
    const elsewhere = client(operator(), 'us-east-1');
    expect((await sso.send(new ListInstancesCommand({}))).Instances?.map((i) => i.InstanceArn)).toEqual([INSTANCE_ARN]);
    expect((await elsewhere.send(new ListInstancesCommand({}))).Instances).toEqual([]);
    expect(await rejectionOf(elsewhere.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN })))).toBeInstanceOf(ResourceNotFoundException);
    elsewhere.destroy();
  });

  it('pages ListPermissionSets and ListTagsForResource with the SDK paginators, and describes each set', async () => {
    const arns: string[] = [];
    for await (const page of paginateListPermissionSets({ client: sso, pageSize: 1 }, { InstanceArn: INSTANCE_ARN })) arns.push(...(page.PermissionSets ?? []));
    const names: string[] = [];
    for (const arn of arns) names.push((await sso.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: arn }))).PermissionSet!.Name!);
    const tags = [];
    for await (const page of paginateListTagsForResource({ client: sso }, { InstanceArn: INSTANCE_ARN, ResourceArn: psArn('PlatformReadOnly') })) tags.push(...(page.Tags ?? []));

    expect(names).toEqual(['PlatformReadOnly', 'Data_Readers', 'Billing']);
    expect(tags).toEqual([
      { Key: 'eks-access', Value: 'view' },
      { Key: 'team', Value: 'platform' },
    ]);
  });

  it('answers an unknown permission set with 404 ResourceNotFoundException', async () => {
    const error = await rejectionOf(sso.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: `${INSTANCE_ARN.replace('instance', 'permissionSet')}/ps-0000000000000000` })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('answers a malformed ARN with 400 ValidationException naming the member', async () => {
    const error = await rejectionOf(sso.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: 'ps-1234' })));
    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(error.message).toMatch(/'permissionSetArn' failed to satisfy constraint/);
  });
});

describe('writes', () => {
  it('tags and untags a permission set with no IAM write (no event can reach the app)', async () => {
    const before = writes.length;
    await sso.send(new TagResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: psArn('Billing'), Tags: [{ Key: 'eks-access', Value: 'edit' }] }));
    expect(sandbox.identityCenter.permissionSetTags('Billing')).toEqual({ 'eks-access': 'edit' });
    await sso.send(new UntagResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: psArn('Billing'), TagKeys: ['eks-access'] }));
    expect(sandbox.identityCenter.permissionSetTags('Billing')).toEqual({});
    expect(writes.length).toBe(before);
  });

  it('creates a permission set, refuses its name twice with 409 ConflictException', async () => {
    const created = await sso.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE_ARN, Name: 'Ops', SessionDuration: 'PT4H', Tags: [{ Key: 'eks-access', Value: 'view' }] }));
    expect(created.PermissionSet).toMatchObject({ Name: 'Ops', SessionDuration: 'PT4H', PermissionSetArn: expect.stringMatching(/\/ps-[0-9a-f]{16}$/) });
    const error = await rejectionOf(sso.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE_ARN, Name: 'Ops' })));
    expect(error).toBeInstanceOf(ConflictException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 409 } });
  });

  it('assigns (the role appears in IAM), re-provisions (same ARN, new RoleId) and unassigns (the role goes)', async () => {
    const assignment = { InstanceArn: INSTANCE_ARN, PermissionSetArn: psArn('PlatformReadOnly'), TargetId: ACCOUNT, TargetType: 'AWS_ACCOUNT' as const, PrincipalType: 'GROUP' as const, PrincipalId: GROUP };

    const created = await sso.send(new CreateAccountAssignmentCommand(assignment));
    expect(created.AccountAssignmentCreationStatus).toMatchObject({ Status: 'IN_PROGRESS', TargetId: ACCOUNT, PrincipalId: GROUP });
    const status = await sso.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: INSTANCE_ARN, AccountAssignmentCreationRequestId: created.AccountAssignmentCreationStatus!.RequestId }));
    expect(status.AccountAssignmentCreationStatus?.Status).toBe('SUCCEEDED');
    const roleName = sandbox.identityCenter.role('PlatformReadOnly')!.roleName;
    const first = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    expect(first).toMatchObject({ Path: `/aws-reserved/sso.amazonaws.com/${REGION}/`, RoleName: expect.stringMatching(/^AWSReservedSSO_PlatformReadOnly_[0-9a-f]{16}$/) });

    const provisioned = await sso.send(new ProvisionPermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: psArn('PlatformReadOnly'), TargetType: 'AWS_ACCOUNT', TargetId: ACCOUNT }));
    const done = await sso.send(new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: INSTANCE_ARN, ProvisionPermissionSetRequestId: provisioned.PermissionSetProvisioningStatus!.RequestId }));
    expect(done.PermissionSetProvisioningStatus).toMatchObject({ Status: 'SUCCEEDED', AccountId: ACCOUNT });
    const second = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!;
    expect(second.Arn).toBe(first.Arn);
    expect(second.RoleId).not.toBe(first.RoleId);

    await sso.send(new DeleteAccountAssignmentCommand(assignment));
    expect(await rejectionOf(iam.send(new GetRoleCommand({ RoleName: roleName })))).toBeInstanceOf(NoSuchEntityException);
    expect(writes.filter((w) => w.requestParameters.roleName === roleName).map((w) => [w.eventName, w.caller?.sourceIPAddress])).toEqual([
      ['CreateRole', 'sso.amazonaws.com'],
      ['DeleteRole', 'sso.amazonaws.com'],
      ['CreateRole', 'sso.amazonaws.com'],
      ['DeleteRole', 'sso.amazonaws.com'],
    ]);
  });
});

describe('IAM authorizes each call as the Service Authorization Reference says', () => {
  let reader: SSOAdminClient;
  beforeAll(async () => {
    const sts = new STSClient({ region: REGION, endpoint: sandbox.url, credentials: operator(), maxAttempts: 1 });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/IdentityCenterReadOnly`, RoleSessionName: 'reader' }));
    sts.destroy();
    reader = client({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! });
  });
  afterAll(() => reader.destroy());

  it('lets the read role list, describe and read tags', async () => {
    const sets = await reader.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN }));
    await reader.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: sets.PermissionSets![0] }));
    await reader.send(new ListTagsForResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: sets.PermissionSets![0]! }));
    expect(sets.PermissionSets!.length).toBeGreaterThan(0);
  });

  it('refuses the read role a tag write: 403 AccessDeniedException naming sso:TagResource and the permission set', async () => {
    const error = await rejectionOf(reader.send(new TagResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: psArn('Billing'), Tags: [{ Key: 'eks-access', Value: 'admin' }] })));
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect(error.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/IdentityCenterReadOnly/reader is not authorized to perform: sso:TagResource on resource: ${psArn('Billing')} because no identity-based policy allows the sso:TagResource action`,
    );
  });

  it('authorizes DescribePermissionSet on the instance AND the permission set: a grant on the instance alone is refused', async () => {
    const creds = sandbox.iam!.issueCredentials(`arn:aws:sts::${ACCOUNT}:assumed-role/narrow/s`, [
      { name: 'instance-only', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sso:ListPermissionSets', 'sso:DescribePermissionSet'], Resource: INSTANCE_ARN }] } },
    ]);
    const narrow = client(creds);
    await narrow.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN }));
    const error = await rejectionOf(narrow.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE_ARN, PermissionSetArn: psArn('Billing') })));
    narrow.destroy();
    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain(`sso:DescribePermissionSet on resource: ${psArn('Billing')}`);
  });

  it('sets sso:PrimaryRegion and aws:ResourceTag/… for the permission set', async () => {
    const creds = sandbox.iam!.issueCredentials(`arn:aws:sts::${ACCOUNT}:assumed-role/tagged-only/s`, [
      {
        name: 'by-tag',
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'sso:ListTagsForResource', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'platform', 'sso:PrimaryRegion': REGION } } },
          ],
        },
      },
    ]);
    const byTag = client(creds);
    await byTag.send(new ListTagsForResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: psArn('PlatformReadOnly') }));
    const error = await rejectionOf(byTag.send(new ListTagsForResourceCommand({ InstanceArn: INSTANCE_ARN, ResourceArn: psArn('Billing') })));
    byTag.destroy();
    expect(error.name).toBe('AccessDeniedException');
  });
});

describe('the published 20 TPS', () => {
  it('throttles calls beyond the rate with 429 ThrottlingException, which the SDK retries', async () => {
    const small = await startSandbox({ region: REGION, iam: false, identityCenterTps: 3, seed: { identityCenter: { instanceArn: INSTANCE_ARN, permissionSets: [{ name: 'A' }] } } });
    const credentials = { accessKeyId: small.env.AWS_ACCESS_KEY_ID!, secretAccessKey: small.env.AWS_SECRET_ACCESS_KEY! };
    const once = new SSOAdminClient({ region: REGION, endpoint: small.url, credentials, maxAttempts: 1 });
    const retrying = new SSOAdminClient({ region: REGION, endpoint: small.url, credentials, maxAttempts: 10 });
    try {
      const answers = await Promise.allSettled(Array.from({ length: 5 }, () => once.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN }))));
      const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected').map((a) => a.reason as Error);
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect(refused[0]).toBeInstanceOf(ThrottlingException);
      expect(refused[0]).toMatchObject({ $metadata: { httpStatusCode: 429 } });
      expect(small.identityCenter.throttled.get('ListPermissionSets')).toBe(refused.length);

      const later = await Promise.all(Array.from({ length: 4 }, () => retrying.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN }))));
      expect(later.every((r) => r.PermissionSets?.length === 1)).toBe(true);
    } finally {
      once.destroy();
      retrying.destroy();
      await small.stop();
    }
  });
});
