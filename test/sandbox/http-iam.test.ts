/**
 * Contract tests of IAM over HTTP: the real IAMClient against the sandbox server. They pin the
 * AWS query protocol as the SDK speaks it (form-encoded `Tags.member.N.Key`, XML results inside
 * `<OpResult>`, `<ErrorResponse>` with IAM's wire codes) and IAM's rules as seen over the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateRoleCommand,
  CreateUserCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  InvalidInputException,
  ListRoleTagsCommand,
  NoSuchEntityException,
  TagRoleCommand,
  UntagRoleCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListRoleTags,
} from '@aws-sdk/client-iam';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { TRUST, rejectionOf } from './world.ts';

const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

let sandbox: Sandbox;
let iam: IAMClient;

beforeAll(async () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  sandbox = await startSandbox({ operator: credentials });
  iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  iam.destroy();
  await sandbox.stop();
});

/** A raw form POST as the query protocol sends it, SigV4-signed for IAM with the operator's key. */
function post(form: Record<string, string>): Promise<Response> {
  return signedFetch(sandbox, {
    service: 'iam',
    region: 'us-east-1',
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ Version: '2010-05-08', ...form }).toString(),
  });
}

describe('IAM over HTTP (AWS query protocol)', () => {
  it('answers a missing role with 404 and <ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>', async () => {
    const res = await post({ Action: 'GetRole', RoleName: 'ghost' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const body = await res.text();
    expect(body).toMatch(new RegExp(`^<ErrorResponse xmlns="${IAM_XMLNS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ghost cannot be found.</Message></Error><RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>$`));

    const err = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'ghost' })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect((err as NoSuchEntityException).$metadata.httpStatusCode).toBe(404);
  });

  it('wraps results in <OpResponse><OpResult> with the IAM namespace', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'wire', AssumeRolePolicyDocument: TRUST }));
    const body = await (await post({ Action: 'GetRole', RoleName: 'wire' })).text();
    expect(body).toMatch(new RegExp(`^<GetRoleResponse xmlns="${IAM_XMLNS}"><GetRoleResult><Role>.*<RoleName>wire</RoleName>.*</Role></GetRoleResult><ResponseMetadata><RequestId>`));
  });

  it('maps the other modelled errors: EntityAlreadyExists 409, InvalidInput 400, ValidationError 400', async () => {
    const dup = await rejectionOf(iam.send(new CreateRoleCommand({ RoleName: 'WIRE', AssumeRolePolicyDocument: TRUST })));
    expect(dup).toBeInstanceOf(EntityAlreadyExistsException);
    expect((dup as EntityAlreadyExistsException).$metadata.httpStatusCode).toBe(409);

    const twice = await rejectionOf(iam.send(new TagRoleCommand({ RoleName: 'wire', Tags: [{ Key: 'team', Value: 'a' }, { Key: 'TEAM', Value: 'b' }] })));
    expect(twice).toBeInstanceOf(InvalidInputException);

    // An undeclared code reaches the SDK as its base exception named after the code.
    const comma = await rejectionOf(iam.send(new TagRoleCommand({ RoleName: 'wire', Tags: [{ Key: 'eks-access-groups', Value: 'a,b' }] })));
    expect(comma.name).toBe('ValidationError');
    expect(comma.message).toContain("at 'tags.1.member.value' failed to satisfy constraint");
  });

  it('carries tags as Tags.member.N.Key/Value and TagKeys.member.N, with values that need escaping', async () => {
    const odd = 'a b:c/d=e+f@g.h_-ü';
    await iam.send(new CreateRoleCommand({ RoleName: 'tagged', Path: '/teams/x/', AssumeRolePolicyDocument: TRUST, Description: 'a <b> & "c"', Tags: [{ Key: 'eks-access', Value: 'view' }, { Key: 'odd', Value: odd }] }));
    await iam.send(new TagRoleCommand({ RoleName: 'tagged', Tags: [{ Key: 'EKS-Access', Value: 'edit' }, { Key: 'x', Value: '' }] }));
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['x', 'not-there'] }));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'tagged' }));
    expect(Role).toMatchObject({ Path: '/teams/x/', Arn: 'arn:aws:iam::111122223333:role/teams/x/tagged', Description: 'a <b> & "c"' });
    // Keys are case-insensitive and the new spelling replaces the old one.
    expect(Role!.Tags).toEqual([{ Key: 'EKS-Access', Value: 'edit' }, { Key: 'odd', Value: odd }]);
    expect(Role!.CreateDate).toBeInstanceOf(Date);
    expect(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).toBe(TRUST);
  });

  it('round-trips Marker/MaxItems pagination, for tags and for the account listing', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'many', AssumeRolePolicyDocument: TRUST, Tags: Array.from({ length: 5 }, (_, i) => ({ Key: `k${i}`, Value: `${i}` })) }));
    const pages: number[] = [];
    for await (const page of paginateListRoleTags({ client: iam, pageSize: 2 }, { RoleName: 'many' })) pages.push(page.Tags?.length ?? 0);
    expect(pages).toEqual([2, 2, 1]);
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'many', MaxItems: 5 }))).IsTruncated).toBe(false);

    await iam.send(new CreateUserCommand({ UserName: 'carol', Path: '/contractors/' }));
    const names: string[] = [];
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 2 }, { Filter: ['Role', 'User'] })) {
      names.push(...(page.UserDetailList ?? []).map((u) => `user:${u.UserName}`), ...(page.RoleDetailList ?? []).map((r) => `role:${r.RoleName}`));
    }
    // Besides this test's principals, the roles of the app the sandbox deployed (it enforces their policies).
    const deployed = [...sandbox.iam!.app.roles.keys()].map((n) => `role:${n}`);
    expect(names.sort()).toEqual([...deployed, 'role:many', 'role:tagged', 'role:wire', 'user:carol'].sort());
  });

  it('answers an action it does not serve with InvalidAction', async () => {
    const res = await post({ Action: 'ListPolicies' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>InvalidAction</Code><Message>Could not find operation ListPolicies for version 2010-05-08</Message>');
  });
});
