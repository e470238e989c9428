// The IAM Identity Center model (sandbox/model/identity-center.ts) in process: an instance, its
// permission sets and their tags, and provisioning, which creates, re-creates and deletes the role
// in the account's IAM with the CloudTrail caller Identity Center's writes carry; the seed that
// sets it up; the trust-policy check STS applies; the 20 TPS token bucket.
import { ConflictException, ResourceNotFoundException, ValidationException } from '@aws-sdk/client-sso-admin';
import { beforeEach, describe, expect, it } from 'vitest';
import { identityCenterRoleOfArn } from '#kernel/identity-center';
import { iamEventPattern } from '#access/domain/event-filter';
import { toEventBridgeEvent } from '#sandbox/cloudtrail';
import { matchesPattern, type EventPattern } from '#sandbox/eventbridge';
import { trustsCaller } from '#sandbox/iam/trust';
import { AwsModel, type IamWriteEvent } from '#sandbox/model/index';
import { identityCenterRolePath } from '#sandbox/model/identity-center';
import { applySeed, parseSeed } from '#sandbox/server/seed';
import { TokenBucket } from '#sandbox/server/services/sso-admin';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-0123456789abcdef';

let model: AwsModel;
let writes: IamWriteEvent[];
beforeEach(() => {
  model = new AwsModel();
  writes = [];
  model.iam.onWrite((w) => writes.push(w));
  model.identityCenter.enable({ region: REGION, instanceArn: INSTANCE_ARN });
});

const ic = () => model.identityCenter;

describe('the Identity Center instance and its permission sets', () => {
  it('mints instance and permission set ARNs in the service model formats', () => {
    const fresh = new AwsModel();
    const instance = fresh.identityCenter.enable({ region: 'us-east-1' });
    const arn = fresh.identityCenter.addPermissionSet('PlatformReadOnly');

    expect(instance.instanceArn).toMatch(/^arn:aws:sso:::instance\/ssoins-[0-9a-f]{16}$/);
    expect(instance.identityStoreId).toMatch(/^d-[0-9a-f]{10}$/);
    expect(arn).toMatch(new RegExp(`^arn:aws:sso:::permissionSet/${instance.instanceId}/ps-[0-9a-f]{16}$`));
  });

  it('answers only in the instance Region: ListInstances is empty elsewhere, other calls do not find the instance', async () => {
    expect(ic().listInstances(REGION, {}).Instances).toEqual([expect.objectContaining({ InstanceArn: INSTANCE_ARN, OwnerAccountId: ACCOUNT, Status: 'ACTIVE' })]);
    expect(ic().listInstances('us-east-1', {}).Instances).toEqual([]);

    const err = await rejectionOf(Promise.resolve().then(() => ic().listPermissionSets('us-east-1', { InstanceArn: INSTANCE_ARN })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists permission sets in pages of MaxResults with NextToken, and refuses a MaxResults above 100', async () => {
    for (const name of ['A', 'B', 'C']) ic().addPermissionSet(name);
    const first = ic().listPermissionSets(REGION, { InstanceArn: INSTANCE_ARN, MaxResults: 2 });
    const second = ic().listPermissionSets(REGION, { InstanceArn: INSTANCE_ARN, MaxResults: 2, NextToken: first.NextToken });

    expect(first.PermissionSets).toHaveLength(2);
    expect(second.PermissionSets).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    expect([...first.PermissionSets!, ...second.PermissionSets!]).toEqual(['A', 'B', 'C'].map((n) => ic().permissionSetArn(n)));
    const err = await rejectionOf(Promise.resolve().then(() => ic().listPermissionSets(REGION, { InstanceArn: INSTANCE_ARN, MaxResults: 101 })));
    expect(err).toBeInstanceOf(ValidationException);
  });

  it('validates names and ARNs as the service model does, and refuses a second permission set of the same name', async () => {
    const bad = await rejectionOf(Promise.resolve().then(() => ic().addPermissionSet('has space')));
    const long = await rejectionOf(Promise.resolve().then(() => ic().addPermissionSet('x'.repeat(33))));
    const badArn = await rejectionOf(Promise.resolve().then(() => ic().describePermissionSet(REGION, { InstanceArn: INSTANCE_ARN, PermissionSetArn: 'ps-1' })));
    ic().addPermissionSet('Twice');
    const twice = await rejectionOf(Promise.resolve().then(() => ic().addPermissionSet('Twice')));

    expect(bad).toBeInstanceOf(ValidationException);
    expect(bad.message).toMatch(/at 'name' failed to satisfy constraint/);
    expect(long).toBeInstanceOf(ValidationException);
    expect(badArn).toBeInstanceOf(ValidationException);
    expect(badArn.message).toMatch(/permissionSetArn/);
    expect(twice).toBeInstanceOf(ConflictException);
  });

  it('tags and untags a permission set (a key replaces its value) without any IAM write reaching the app', () => {
    ic().addPermissionSet('PlatformReadOnly');
    writes.length = 0;

    ic().tagPermissionSet('PlatformReadOnly', { 'eks-access': 'view', team: 'platform' });
    ic().tagPermissionSet('PlatformReadOnly', { 'eks-access': 'edit' });
    expect(ic().permissionSetTags('PlatformReadOnly')).toEqual({ 'eks-access': 'edit', team: 'platform' });
    ic().untagPermissionSet('PlatformReadOnly', ['team', 'absent']);

    expect(ic().listTagsForResource(REGION, { InstanceArn: INSTANCE_ARN, ResourceArn: ic().permissionSetArn('PlatformReadOnly') }).Tags).toEqual([{ Key: 'eks-access', Value: 'edit' }]);
    expect(writes).toEqual([]);
  });
});

describe('provisioning creates, re-creates and deletes the role in IAM', () => {
  it('creates AWSReservedSSO_<name>_<16 hex> under the regional reserved path, with a SAML trust and the session duration', () => {
    ic().addPermissionSet('Data_Readers', { sessionDuration: 'PT8H' });

    const role = ic().provision('Data_Readers')!;

    expect(role.roleName).toMatch(/^AWSReservedSSO_Data_Readers_[0-9a-f]{16}$/);
    expect(role.path).toBe(identityCenterRolePath(REGION));
    expect(role.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${REGION}/${role.roleName}`);
    // The kernel's parser (the provisioner's) recognises it, underscore in the name and all.
    expect(identityCenterRoleOfArn(role.arn)?.permissionSetName).toBe('Data_Readers');
    const iamRole = model.iam.sessionRole(role.roleName)!;
    expect(iamRole.maxSessionDuration).toBe(8 * 3600);
    expect(JSON.parse(iamRole.assumeRolePolicyDocument!)).toMatchObject({ Statement: { Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/AWSSSO_DO_NOT_DELETE` } } });
    expect(model.iam.getRole({ RoleName: role.roleName }).Role?.Tags).toBeUndefined();
  });

  it('records IAM CreateRole as made by sso.amazonaws.com: the service-linked role session, invokedBy and source', () => {
    ic().addPermissionSet('PlatformReadOnly');
    const role = ic().provision('PlatformReadOnly')!;

    expect(writes.map((w) => w.eventName)).toEqual(['CreateRole']);
    const envelope = toEventBridgeEvent(writes[0]!, { accountId: ACCOUNT });
    expect(envelope.detail).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateRole',
      sourceIPAddress: 'sso.amazonaws.com',
      userAgent: 'sso.amazonaws.com',
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForSSO/AWS-SSO`, invokedBy: 'sso.amazonaws.com' },
      requestParameters: { roleName: role.roleName, path: role.path },
      responseElements: { role: { roleName: role.roleName, roleId: role.roleId, arn: role.arn, path: role.path } },
    });
    // The deployed rule's pattern matches it, like any CreateRole.
    expect(matchesPattern(iamEventPattern('eks-access') as unknown as EventPattern, envelope)).toBe(true);
  });

  it('keeps the operator as the caller of writes made outside Identity Center', () => {
    model.iam.createRole({ RoleName: 'team', AssumeRolePolicyDocument: '{}' });
    expect(writes[0]!.caller).toBeUndefined();
    expect(toEventBridgeEvent(writes[0]!, { accountId: ACCOUNT }).detail).toMatchObject({ userIdentity: { type: 'IAMUser' }, sourceIPAddress: '127.0.0.1' });
  });

  it('re-provisioning re-creates the role: DeleteRole then CreateRole, the same name and ARN, a new role ID (the issue premise)', () => {
    ic().addPermissionSet('PlatformReadOnly');
    const before = ic().provision('PlatformReadOnly')!;
    writes.length = 0;

    const after = ic().reprovision('PlatformReadOnly')!;

    expect(writes.map((w) => [w.eventName, w.requestParameters.roleName, w.caller?.sourceIPAddress])).toEqual([
      ['DeleteRole', before.roleName, 'sso.amazonaws.com'],
      ['CreateRole', before.roleName, 'sso.amazonaws.com'],
    ]);
    expect(after.arn).toBe(before.arn);
    expect(after.roleId).not.toBe(before.roleId);
  });

  it('shares one role between the assignments of a permission set in an account; the last one removed deletes it', () => {
    ic().addPermissionSet('PlatformReadOnly');
    const first = ic().provision('PlatformReadOnly')!;
    const second = ic().provision('PlatformReadOnly', ACCOUNT, { type: 'USER', id: '0123456789-01234567-89ab-cdef-0123-456789abcdef' })!;
    expect(second).toEqual(first);
    expect(writes.filter((w) => w.eventName === 'CreateRole')).toHaveLength(1);

    ic().unassign('PlatformReadOnly');

    expect(ic().role('PlatformReadOnly')).toBeUndefined();
    expect(writes.map((w) => w.eventName)).toEqual(['CreateRole', 'DeleteRole']);
    expect(model.iam.sessionRole(first.roleName)).toBeUndefined();
  });

  it('assigns to another account without touching this IAM (that account is not modelled)', () => {
    ic().addPermissionSet('PlatformReadOnly');
    expect(ic().provision('PlatformReadOnly', '444455556666')).toBeUndefined();
    expect(writes).toEqual([]);
  });

  it('ProvisionPermissionSet to ALL_PROVISIONED_ACCOUNTS re-creates every provisioned role and answers IN_PROGRESS, then SUCCEEDED', () => {
    ic().addPermissionSet('PlatformReadOnly');
    const before = ic().provision('PlatformReadOnly')!;
    const { PermissionSetProvisioningStatus: status } = ic().provisionPermissionSet(REGION, {
      InstanceArn: INSTANCE_ARN,
      PermissionSetArn: ic().permissionSetArn('PlatformReadOnly'),
      TargetType: 'ALL_PROVISIONED_ACCOUNTS',
    });

    expect(status).toMatchObject({ Status: 'IN_PROGRESS', PermissionSetArn: ic().permissionSetArn('PlatformReadOnly') });
    expect(ic().role('PlatformReadOnly')!.roleId).not.toBe(before.roleId);
    expect(ic().describePermissionSetProvisioningStatus(REGION, { InstanceArn: INSTANCE_ARN, ProvisionPermissionSetRequestId: status!.RequestId }).PermissionSetProvisioningStatus?.Status).toBe('SUCCEEDED');
  });

  it('refuses to delete an assignment that does not exist', async () => {
    ic().addPermissionSet('PlatformReadOnly');
    const err = await rejectionOf(
      Promise.resolve().then(() =>
        ic().deleteAccountAssignment(REGION, {
          InstanceArn: INSTANCE_ARN,
          PermissionSetArn: ic().permissionSetArn('PlatformReadOnly'),
          TargetId: ACCOUNT,
          TargetType: 'AWS_ACCOUNT',
          PrincipalType: 'GROUP',
          PrincipalId: '0123456789-01234567-89ab-cdef-0123-456789abcdef',
        }),
      ),
    );
    expect(err).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('the seed', () => {
  it('enables Identity Center, creates the read role (trusts the account, may list and describe) and provisions assigned permission sets', () => {
    const m = new AwsModel();
    applySeed(m, { identityCenter: { instanceArn: INSTANCE_ARN, permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' }, assignedTo: [ACCOUNT] }, { name: 'Unassigned' }] } }, { region: REGION });

    expect(m.identityCenter.instance).toMatchObject({ instanceArn: INSTANCE_ARN, region: REGION });
    expect(m.identityCenter.permissionSetTags('PlatformReadOnly')).toEqual({ 'eks-access': 'view' });
    expect(m.identityCenter.role('PlatformReadOnly')?.roleName).toMatch(/^AWSReservedSSO_PlatformReadOnly_/);
    expect(m.identityCenter.role('Unassigned')).toBeUndefined();
    const read = m.iam.sessionRole('IdentityCenterReadOnly')!;
    expect(read.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/IdentityCenterReadOnly`);
    expect(JSON.parse(read.assumeRolePolicyDocument!).Statement).toEqual([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }]);
    expect(read.policies[0]!.document.Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['sso:List*', 'sso:Describe*'], Resource: '*' })]);
  });

  it('gives a seeded role the identity policies it lists', () => {
    const m = new AwsModel();
    applySeed(m, { iam: { roles: [{ name: 'reader', policies: [{ name: 'p', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'eks:ListClusters', Resource: '*' }] } }] }] } });
    expect(m.iam.sessionRole('reader')!.policies).toEqual([{ name: 'p', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'eks:ListClusters', Resource: '*' }] } }]);
  });

  it('names the field of an invalid Identity Center seed', () => {
    expect(() => parseSeed({ identityCenter: { permissionSets: [{ name: 'ok', assignedTo: ['123'] }] } })).toThrow(/identityCenter\.permissionSets\[0\]\.assignedTo\[0\]: must be a 12-digit AWS account ID/);
    expect(() => parseSeed({ identityCenter: { instanceArn: 'arn:aws:sso:::instance/nope' } })).toThrow(/identityCenter\.instanceArn/);
  });
});

describe('trust policies (STS AssumeRole)', () => {
  const caller = { principalArn: `arn:aws:iam::${ACCOUNT}:role/team/app`, sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s`, accountId: ACCOUNT };
  const trust = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] });

  it('trusts the caller named by its role ARN (with path), its account root or account ID', () => {
    expect(trustsCaller(trust({ Principal: { AWS: caller.principalArn } }), caller).trusted).toBe(true);
    expect(trustsCaller(trust({ Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] } }), caller).trusted).toBe(true);
    expect(trustsCaller(trust({ Principal: { AWS: ACCOUNT } }), caller).trusted).toBe(true);
  });

  it('does not trust another account, a service principal, a statement with a Condition, or a caller a Deny names', () => {
    expect(trustsCaller(trust({ Principal: { AWS: 'arn:aws:iam::444455556666:root' } }), caller).trusted).toBe(false);
    expect(trustsCaller(trust({ Principal: { Service: 'ec2.amazonaws.com' } }), caller).trusted).toBe(false);
    expect(trustsCaller(trust({ Principal: { AWS: ACCOUNT }, Condition: { StringEquals: { 'sts:ExternalId': 'x' } } }), caller).reason).toMatch(/Condition/);
    const denied = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 'sts:*', Principal: { AWS: ACCOUNT } },
        { Effect: 'Deny', Action: 'sts:AssumeRole', Principal: { AWS: caller.principalArn } },
      ],
    });
    expect(trustsCaller(denied, caller).trusted).toBe(false);
  });
});

describe('the 20 TPS token bucket', () => {
  it('lets a burst of `rate` calls through, refuses the next, and refills at `rate` a second', () => {
    let now = 0;
    const bucket = new TokenBucket(20, () => now);
    const burst = Array.from({ length: 21 }, () => bucket.take());
    expect(burst.filter(Boolean)).toHaveLength(20);
    expect(burst.at(-1)).toBe(false);
    now += 100; // 2 tokens back
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  });
});
