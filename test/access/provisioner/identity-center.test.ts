// The provisioner and the roles IAM Identity Center creates: CreateRole/DeleteRole by
// sso.amazonaws.com are hints like any other; the access comes from the permission set's tags,
// read once per invocation through the read role; the entry carries source identity-center and the
// configured username; a re-provisioned role (new unique ID) gets its entry replaced.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { AccessDeniedException, DescribePermissionSetCommand, ListPermissionSetsCommand, ListTagsForResourceCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { testRuntime, ACCOUNT } from '#test/helpers/config';
import { loadEvent, type IamApiCallEvent } from '#test/helpers/events';
import { captureStdout, lambdaContext } from '#test/helpers/lambda';

const VIEW = `${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`;
const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-1234567890abcdef';
const PS_ARN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0a1b2c3d4e5f6789';
const OTHER_PS_ARN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-ffffffffffffffff';
const PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/';
const NAME = 'AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role${PATH}${NAME}`;
const OLD_ID = 'AROAEXAMPLESSOOLD0001';
const NEW_ID = 'AROAEXAMPLESSONEW0002';
const IC_TAGS = (id: string) => ({ 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'identity-center', 'eks-access-pilot/principal-id': id });
const WRITES = new Set(['CreateAccessEntryCommand', 'DeleteAccessEntryCommand', 'UpdateAccessEntryCommand', 'AssociateAccessPolicyCommand', 'DisassociateAccessPolicyCommand']);

const eks = mockClient(EKSClient);
const iam = mockClient(IAMClient);
const sso = mockClient(SSOAdminClient);
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const runtime = testRuntime({
  identityCenter: { instanceArn: INSTANCE_ARN, region: 'eu-west-1', readRoleArn: 'arn:aws:iam::999988887777:role/idc-read' },
});

/** The CloudTrail record of Identity Center creating (or deleting) the role of a permission set in this account. */
function ssoEvent(eventName: 'CreateRole' | 'DeleteRole', id = NEW_ID): IamApiCallEvent {
  const event = loadEvent(eventName === 'CreateRole' ? 'iam/create-role' : 'iam/delete-role');
  // Identity Center acts in the account through its service-linked role (inferred: the shape
  // of a service acting through its service-linked role, not a captured record).
  event.detail.userIdentity = {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLESSOSLR0001:AWS-SSO',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForSSO/AWS-SSO`,
    accountId: ACCOUNT,
    invokedBy: 'sso.amazonaws.com',
  };
  event.detail.sourceIPAddress = 'sso.amazonaws.com';
  event.detail.userAgent = 'sso.amazonaws.com';
  event.detail.requestParameters = eventName === 'CreateRole' ? { roleName: NAME, path: PATH, assumeRolePolicyDocument: '{}' } : { roleName: NAME };
  event.detail.responseElements = eventName === 'CreateRole' ? { role: { roleName: NAME, path: PATH, roleId: id, arn: ROLE_ARN, createDate: 'Mar 4, 2025 9:21:40 AM' } } : null;
  return event;
}

/** GetRole of the Identity Center role; its own tags (which customers cannot set) must not count. */
function ssoRole(id = NEW_ID) {
  return { Role: { RoleName: NAME, Path: PATH, Arn: ROLE_ARN, RoleId: id, CreateDate: new Date(), Tags: [{ Key: 'eks-access', Value: 'edit' }] } };
}

function permissionSetTags(tags: Record<string, string>) {
  sso.on(ListPermissionSetsCommand).resolves({ PermissionSets: [OTHER_PS_ARN, PS_ARN] });
  sso.on(DescribePermissionSetCommand, { PermissionSetArn: PS_ARN }).resolves({ PermissionSet: { Name: 'PlatformReadOnly', PermissionSetArn: PS_ARN } });
  sso.on(DescribePermissionSetCommand, { PermissionSetArn: OTHER_PS_ARN }).resolves({ PermissionSet: { Name: 'Billing', PermissionSetArn: OTHER_PS_ARN } });
  sso.on(ListTagsForResourceCommand, { ResourceArn: PS_ARN }).resolves({ Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
}

const writes = () => eks.calls().filter((c) => WRITES.has(c.args[0].constructor.name));

beforeAll(async () => {
  vi.stubEnv('EAP_CONFIG', JSON.stringify(runtime));
  ({ handler } = await import('#access/provisioner/handler'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => {
  eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'any', accessConfig: { authenticationMode: 'API' } } });
  eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [] });
});
afterEach(() => {
  eks.reset();
  iam.reset();
  sso.reset();
});

describe('provisioner: Identity Center roles', () => {
  it("grants what the permission set's tags say, with username sso:{{SessionName}} and source identity-center, ignoring the role's own tags", async () => {
    iam.on(GetRoleCommand).resolves(ssoRole());
    permissionSetTags({ 'eks-access': 'view' });
    eks.on(DescribeAccessEntryCommand).rejects(new ResourceNotFoundException({ message: 'No access entry found', $metadata: {} }));
    const out = captureStdout();

    await handler(ssoEvent('CreateRole'), lambdaContext());
    out.restore();

    const creates = eks.commandCalls(CreateAccessEntryCommand).map((c) => c.args[0].input);
    expect(creates).toHaveLength(3);
    for (const input of creates) expect(input).toEqual({ clusterName: expect.any(String), principalArn: ROLE_ARN, type: 'STANDARD', username: 'sso:{{SessionName}}', tags: IC_TAGS(NEW_ID) });
    expect(eks.commandCalls(AssociateAccessPolicyCommand).map((c) => c.args[0].input.policyArn)).toEqual([VIEW, VIEW, VIEW]);
    // The permission set's tags are read once for the invocation, not once per cluster.
    expect(sso.commandCalls(ListTagsForResourceCommand)).toHaveLength(1);
    expect(sso.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toMatchObject({ InstanceArn: INSTANCE_ARN, ResourceArn: PS_ARN });
    expect(out.logs('access decision')[0]).toMatchObject({ principal: ROLE_ARN, permissionSet: 'PlatformReadOnly', action: 'grant' });
  });

  it('replaces the entry of a re-provisioned role: Identity Center re-created it with a new unique ID', async () => {
    iam.on(GetRoleCommand).resolves(ssoRole(NEW_ID));
    permissionSetTags({ 'eks-access': 'view' });
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', username: 'sso:{{SessionName}}', kubernetesGroups: [], tags: IC_TAGS(OLD_ID) } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();

    await handler(ssoEvent('CreateRole', NEW_ID), lambdaContext());
    out.restore();

    expect(writes().map((c) => c.args[0].constructor.name)).toEqual(
      expect.arrayContaining(['DeleteAccessEntryCommand', 'CreateAccessEntryCommand', 'AssociateAccessPolicyCommand']),
    );
    expect(writes()).toHaveLength(9);
    for (const c of eks.commandCalls(CreateAccessEntryCommand)) expect(c.args[0].input).toMatchObject({ username: 'sso:{{SessionName}}', tags: IC_TAGS(NEW_ID) });
    for (const d of out.logs('access decision')) expect(d).toMatchObject({ action: 'replace', reason: expect.stringContaining('new unique ID') });
  });

  it('revokes the entry when the permission set no longer carries access tags', async () => {
    iam.on(GetRoleCommand).resolves(ssoRole());
    permissionSetTags({ 'cost-center': '4711' });
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', username: 'sso:{{SessionName}}', kubernetesGroups: [], tags: IC_TAGS(NEW_ID) } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [{ policyArn: VIEW, accessScope: { type: 'cluster' } }] });
    const out = captureStdout();

    await handler(ssoEvent('CreateRole'), lambdaContext());
    out.restore();

    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([ROLE_ARN, ROLE_ARN, ROLE_ARN]);
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(0);
    expect(out.metricNames()).toContain('Revoked');
  });

  it("revokes a deleted role's identity-center entry found by name, without reading Identity Center", async () => {
    iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: `The role with name ${NAME} cannot be found.`, $metadata: {} }));
    eks.on(ListAccessEntriesCommand).resolves({ accessEntries: [ROLE_ARN] });
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', username: 'sso:{{SessionName}}', kubernetesGroups: [], tags: IC_TAGS(OLD_ID) } });
    eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
    const out = captureStdout();

    await handler(ssoEvent('DeleteRole'), lambdaContext());
    out.restore();

    expect(eks.commandCalls(DeleteAccessEntryCommand).map((c) => c.args[0].input.principalArn)).toEqual([ROLE_ARN, ROLE_ARN, ROLE_ARN]);
    expect(sso.calls()).toHaveLength(0);
  });

  it('changes nothing and fails the invocation (retried) when the permission set cannot be read: unknown tags never revoke', async () => {
    iam.on(GetRoleCommand).resolves(ssoRole());
    permissionSetTags({ 'eks-access': 'view' });
    sso.on(ListTagsForResourceCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform sso:ListTagsForResource', $metadata: {} }));
    eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE_ARN, type: 'STANDARD', username: 'sso:{{SessionName}}', kubernetesGroups: [], tags: IC_TAGS(NEW_ID) } });
    const out = captureStdout();

    await expect(handler(ssoEvent('CreateRole'), lambdaContext())).rejects.toMatchObject({
      name: 'PermissionSetsUnreadableError',
      message: expect.stringContaining('permission set PlatformReadOnly of Identity Center instance'),
    });
    out.restore();

    expect(writes()).toHaveLength(0);
  });

  it('keeps ordinary roles on their own tags: source tag, no username, no Identity Center read', async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/team-a-deployer`;
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'team-a-deployer', Path: '/', Arn: arn, RoleId: 'AROAEXAMPLETEAMA0001', CreateDate: new Date(), Tags: [{ Key: 'eks-access', Value: 'view' }] } });
    eks.on(DescribeAccessEntryCommand).rejects(new ResourceNotFoundException({ message: 'No access entry found', $metadata: {} }));
    const out = captureStdout();

    await handler(loadEvent('iam/tag-role'), lambdaContext());
    out.restore();

    for (const c of eks.commandCalls(CreateAccessEntryCommand)) {
      expect(c.args[0].input.username).toBeUndefined();
      expect(c.args[0].input.tags).toMatchObject({ 'eks-access-pilot/source': 'tag' });
    }
    expect(eks.commandCalls(CreateAccessEntryCommand)).toHaveLength(3);
    expect(sso.calls()).toHaveLength(0);
  });

  it('rejects permission-set tags above the ceiling: no write, the log names the permission set', async () => {
    iam.on(GetRoleCommand).resolves(ssoRole());
    permissionSetTags({ 'eks-access': 'cluster-admin' });
    const out = captureStdout();

    await handler(ssoEvent('CreateRole'), lambdaContext());
    out.restore();

    expect(eks.calls()).toHaveLength(0);
    expect(out.logs('access tag rejected')).toEqual([expect.objectContaining({ principal: ROLE_ARN, permissionSet: 'PlatformReadOnly', tagValue: 'cluster-admin', kind: 'ceiling' })]);
    expect(out.metricNames()).toContain('RejectedAboveCeiling');
  });
});
