// The reader of an Identity Center instance's permission sets (functions/access/adapters/permission-sets.ts)
// and the sso-admin client it uses (platform/clients.ts, ssoAdminClient), against aws-sdk-client-mock.
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { AccessDeniedException, DescribePermissionSetCommand, ListPermissionSetsCommand, ListTagsForResourceCommand, ResourceNotFoundException, SSOAdminClient } from '@aws-sdk/client-sso-admin';
// fromTemporaryCredentials calls STS through the SDK's nested STS client, not @aws-sdk/client-sts.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { IDENTITY_CENTER_CONCURRENCY, INDEX_TTL_MS, permissionSetReader } from '#access/adapters/permission-sets';
import { PermissionSetsUnreadableError } from '#access/domain/errors';
import { IDENTITY_CENTER_READ_SESSION, RETRY, ssoAdminClient } from '#platform/clients';
import { INSTANCE_ARN, READ_ROLE_ARN, permissionSetArn as psArn, serveInstance } from '#test/helpers/identity-center';

const INSTANCE = { instanceArn: INSTANCE_ARN, region: 'eu-west-1', readRoleArn: READ_ROLE_ARN };
const sso = mockClient(SSOAdminClient);
const sts = mockClient(STSClient);

afterEach(() => {
  sso.reset();
  sts.reset();
});

const serve = (sets: Array<{ name: string; tags: Record<string, string> }>, options: { delayMs?: number } = {}) => serveInstance(sso, sets, options);

const calls = (command: Parameters<typeof sso.commandCalls>[0]) => sso.commandCalls(command).length;

describe('permissionSetReader.readAll (the resync)', () => {
  it('reads every page of sets and of each set\'s tags: ceil(N/100) lists, then one describe and one tags read per page per set', async () => {
    const sets = Array.from({ length: 150 }, (_, i) => ({ name: `Set${i}`, tags: i === 7 ? ({ 'eks-access': 'view', 'eks-access/prod': 'none', 'eks-access-namespaces': 'a', team: 'x' } as Record<string, string>) : {} }));
    const probe = serve(sets);

    const tags = await permissionSetReader(INSTANCE, new SSOAdminClient({})).readAll();

    expect(tags.size).toBe(150);
    expect(tags.get('Set7')).toEqual({ 'eks-access': 'view', 'eks-access/prod': 'none', 'eks-access-namespaces': 'a', team: 'x' });
    expect(tags.get('Set8')).toEqual({});
    expect(probe.listRequests).toEqual([
      { InstanceArn: INSTANCE_ARN, MaxResults: 100 },
      { InstanceArn: INSTANCE_ARN, MaxResults: 100, NextToken: '100' },
    ]);
    expect(calls(DescribePermissionSetCommand)).toBe(150);
    // Set7 has 4 tags: two pages; every other set one page.
    expect(calls(ListTagsForResourceCommand)).toBe(151);
    expect(sso.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toMatchObject({ InstanceArn: INSTANCE_ARN });
  });

  it(`keeps at most ${IDENTITY_CENTER_CONCURRENCY} sso-admin calls in flight (Identity Center's 20 TPS), and does use them`, async () => {
    const probe = serve(Array.from({ length: 24 }, (_, i) => ({ name: `Set${i}`, tags: { 'eks-access': 'view' } })), { delayMs: 5 });

    await permissionSetReader(INSTANCE, new SSOAdminClient({})).readAll();

    expect(probe.maxInFlight()).toBe(IDENTITY_CENTER_CONCURRENCY);
  });

  it('skips a set deleted between the list and its describe', async () => {
    const probe = serve([{ name: 'A', tags: {} }, { name: 'B', tags: {} }]);
    sso.on(DescribePermissionSetCommand, { PermissionSetArn: psArn(1) }).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect(probe.byArn.size).toBe(2);

    expect([...(await permissionSetReader(INSTANCE, new SSOAdminClient({})).readAll()).keys()]).toEqual(['A']);
  });

  it('fails with PermissionSetsUnreadableError naming the instance and the cause, never with an empty answer', async () => {
    sso.on(ListPermissionSetsCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform sso:ListPermissionSets', $metadata: {} }));

    const read = permissionSetReader(INSTANCE, new SSOAdminClient({})).readAll();

    await expect(read).rejects.toThrow(PermissionSetsUnreadableError);
    await expect(read).rejects.toThrow(`the permission sets of Identity Center instance ${INSTANCE_ARN} could not be read: AccessDeniedException: not authorized`);
  });
});

describe('permissionSetReader.tagsOf (the provisioner)', () => {
  const sets = [
    { name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } },
    { name: 'Data_Readers', tags: { 'eks-access': 'edit' } },
  ];

  it('builds the name → ARN index once, then costs one tags read per call while the index is warm', async () => {
    serve(sets);
    let now = 0;
    const reader = permissionSetReader(INSTANCE, new SSOAdminClient({}), () => now);

    expect(await reader.tagsOf('PlatformReadOnly')).toEqual({ 'eks-access': 'view' });
    expect([calls(ListPermissionSetsCommand), calls(DescribePermissionSetCommand), calls(ListTagsForResourceCommand)]).toEqual([1, 2, 1]);

    sso.resetHistory();
    now += INDEX_TTL_MS - 1;
    expect(await reader.tagsOf('Data_Readers')).toEqual({ 'eks-access': 'edit' });
    expect([calls(ListPermissionSetsCommand), calls(DescribePermissionSetCommand), calls(ListTagsForResourceCommand)]).toEqual([0, 0, 1]);

    sso.resetHistory();
    now += 1;
    await reader.tagsOf('Data_Readers');
    expect([calls(ListPermissionSetsCommand), calls(DescribePermissionSetCommand), calls(ListTagsForResourceCommand)]).toEqual([1, 2, 1]);
  });

  it('never caches tags: a tag changed on the set is seen by the next call', async () => {
    const probe = serve(sets);
    const reader = permissionSetReader(INSTANCE, new SSOAdminClient({}));
    await reader.tagsOf('PlatformReadOnly');
    probe.byArn.get(psArn(0))!.tags = { 'eks-access': 'edit' };

    expect(await reader.tagsOf('PlatformReadOnly')).toEqual({ 'eks-access': 'edit' });
  });

  it('rebuilds a warm index on a miss (a set created since) and answers undefined for a name the instance does not have', async () => {
    const probe = serve(sets);
    const reader = permissionSetReader(INSTANCE, new SSOAdminClient({}));
    await reader.tagsOf('PlatformReadOnly');
    probe.byArn.set(psArn(2), { name: 'NewSet', tags: { 'eks-access': 'view' } });
    sso.resetHistory();

    expect(await reader.tagsOf('NewSet')).toEqual({ 'eks-access': 'view' });
    expect(calls(ListPermissionSetsCommand)).toBe(1);
    sso.resetHistory();
    expect(await reader.tagsOf('Nobody')).toBeUndefined();
    expect(calls(ListPermissionSetsCommand)).toBe(1);
    expect(calls(ListTagsForResourceCommand)).toBe(0);
  });

  it('rebuilds a warm index when its ARN is gone (the set deleted and re-created under the same name)', async () => {
    const probe = serve(sets);
    const reader = permissionSetReader(INSTANCE, new SSOAdminClient({}));
    await reader.tagsOf('PlatformReadOnly');
    probe.byArn.delete(psArn(0));
    probe.byArn.set(psArn(5), { name: 'PlatformReadOnly', tags: { 'eks-access': 'edit' } });

    expect(await reader.tagsOf('PlatformReadOnly')).toEqual({ 'eks-access': 'edit' });
  });

  it('answers undefined for a set deleted for good, and fails loudly when the instance cannot be read', async () => {
    const probe = serve(sets);
    const reader = permissionSetReader(INSTANCE, new SSOAdminClient({}));
    await reader.tagsOf('PlatformReadOnly');
    probe.byArn.delete(psArn(0));
    expect(await reader.tagsOf('PlatformReadOnly')).toBeUndefined();

    sso.on(ListTagsForResourceCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: {} }));
    await expect(reader.tagsOf('Data_Readers')).rejects.toThrow('permission set Data_Readers of Identity Center instance');
  });
});

describe('ssoAdminClient', () => {
  it('calls sso-admin in the instance region as the read role, assumed through STS in the function region', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: { AccessKeyId: 'ASIAREADROLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3_600_000) },
    });
    const client = ssoAdminClient('eu-central-1', INSTANCE.readRoleArn, 'us-west-2');

    const credentials = await client.config.credentials();

    expect(await client.config.region()).toBe('eu-central-1');
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAREADROLE', sessionToken: 'token' });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleArn: INSTANCE.readRoleArn, RoleSessionName: IDENTITY_CENTER_READ_SESSION }]);
    expect(await sts.call(0).thisValue.config.region()).toBe('us-west-2');
    expect(await client.config.maxAttempts()).toBe(RETRY.maxAttempts);
    // One client per instance region and role: the SDK's credential cache lives with it.
    expect(ssoAdminClient('eu-central-1', INSTANCE.readRoleArn, 'us-west-2')).toBe(client);
  });
});
