// Task "Plan conversion": how it looks up the Identity Center roles of aws-auth `sso` rows
// (functions/migration/tasks/plan.ts, listSsoRoles) through the platform's IAM reader.
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { listSsoRoles } from '#migration/tasks/plan';
import { cm } from '../domain/config-map.ts';

const ACCOUNT = '111122223333';
const sso = (account: string) => `- sso:\n    permissionSetName: Admin\n    accountID: "${account}"\n  groups:\n    - viewers`;
const PATH = '/aws-reserved/sso.amazonaws.com/eu-west-1/';
const ssoRole = (name: string) => `arn:aws:iam::${ACCOUNT}:role${PATH}${name}`;
const listed = (name: string) => ({ RoleName: name, RoleId: `AROA${name.length}`, Path: PATH, Arn: ssoRole(name), CreateDate: new Date(0) });

describe('listSsoRoles', () => {
  const iam = mockClient(IAMClient);
  const client = new IAMClient({ region: 'us-east-1' });
  afterEach(() => iam.reset());

  it("lists the cluster account's roles under /aws-reserved/sso.amazonaws.com/ across every page, once per account", async () => {
    // arrange
    iam.on(ListRolesCommand, { Marker: undefined }).resolves({ Roles: [listed('AWSReservedSSO_Admin_1')], IsTruncated: true, Marker: 'm1' });
    iam.on(ListRolesCommand, { Marker: 'm1' }).resolves({ Roles: [listed('AWSReservedSSO_ReadOnly_2')], IsTruncated: false });
    const doc = parseAwsAuth(cm({ mapRoles: `${sso(ACCOUNT)}\n${sso(ACCOUNT).replace('Admin', 'ReadOnly')}` }));

    // act
    const listings = await listSsoRoles(doc, client, ACCOUNT);

    // assert
    expect(listings).toEqual(new Map([[ACCOUNT, { roleArns: [ssoRole('AWSReservedSSO_Admin_1'), ssoRole('AWSReservedSSO_ReadOnly_2')] }]]));
    const calls = iam.commandCalls(ListRolesCommand);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.args[0].input).toMatchObject({ PathPrefix: '/aws-reserved/sso.amazonaws.com/', MaxItems: 1000 });
  });

  it('does not look up another account, and says why', async () => {
    // act
    const listings = await listSsoRoles(parseAwsAuth(cm({ mapRoles: sso('444455556666') })), client, ACCOUNT);

    // assert
    expect(listings.get('444455556666')).toEqual({ unavailable: expect.stringMatching(/not the cluster's account 111122223333/) });
    expect(iam.commandCalls(ListRolesCommand)).toEqual([]);
  });

  it('turns a refused listing into a reason (the rows become blockers), not a failed run', async () => {
    // arrange
    iam.on(ListRolesCommand).rejects(Object.assign(new Error('User is not authorized to perform: iam:ListRoles'), { name: 'AccessDenied' }));

    // act
    const listings = await listSsoRoles(parseAwsAuth(cm({ mapRoles: sso(ACCOUNT) })), client, ACCOUNT);

    // assert
    expect(listings.get(ACCOUNT)).toEqual({ unavailable: 'iam:ListRoles failed (AccessDenied: User is not authorized to perform: iam:ListRoles)' });
  });

  it('makes no call when aws-auth has no sso row', async () => {
    // act
    const listings = await listSsoRoles(parseAwsAuth(cm({ mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/a` })), client, ACCOUNT);

    // assert
    expect(listings.size).toBe(0);
    expect(iam.commandCalls(ListRolesCommand)).toEqual([]);
  });
});
