/**
 * Contract tests of IAM's listings and STS GetCallerIdentity over HTTP: the real IAMClient and
 * STSClient (and the IAM paginators) against the sandbox. Each pins a rule of the IAM or STS API
 * reference as an operator's `aws iam list-roles` or `aws sts get-caller-identity` sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  InvalidInputException,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  paginateListRoles,
  paginateListUsers,
  paginateListUserTags,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { callerIdentity } from '#sandbox/server/services/sts';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const SESSION_ROLE = 'eks-access-pilot-MigrationRole';

let sandbox: Sandbox;
let iam: IAMClient;
let sts: STSClient;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      iam: {
        roles: [
          { name: 'payments-deployer', path: '/teams/payments/' },
          { name: 'search-readers', path: '/teams/search/', tags: { 'eks-access': 'view' } },
          { name: 'data-pipeline', path: '/teams/data/' },
          { name: 'BreakGlassAdmin', path: '/admin/' },
          { name: SESSION_ROLE, path: '/eks-access-pilot/' },
        ],
        users: [{ name: 'carol', path: '/contractors/', tags: { a: '1', b: '2', c: '3' } }, { name: 'dave' }, { name: 'erin', path: '/contractors/' }],
      },
    },
  });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
  sts = new STSClient({ region: 'eu-west-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  iam.destroy();
  sts.destroy();
  await sandbox.stop();
});

describe('IAM ListRoles and ListUsers over HTTP', () => {
  it('lists the roles under a path prefix, by name, without their tags', async () => {
    const teams = await iam.send(new ListRolesCommand({ PathPrefix: '/teams/' }));
    const all = await iam.send(new ListRolesCommand({}));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'search-readers' }));

    expect(teams.Roles?.map((r) => r.RoleName)).toEqual(['data-pipeline', 'payments-deployer', 'search-readers']);
    expect(teams.IsTruncated).toBe(false);
    expect(teams.Marker).toBeUndefined();
    // The sandbox also holds the synthesized app's own roles: check order and membership, not the whole list.
    const names = all.Roles?.map((r) => r.RoleName!) ?? [];
    expect(names).toEqual([...names].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(names).toEqual(expect.arrayContaining(['BreakGlassAdmin', 'data-pipeline', SESSION_ROLE, 'payments-deployer', 'search-readers']));
    // "This operation does not return the following attributes: PermissionsBoundary, RoleLastUsed, Tags" (IAM API reference, ListRoles).
    const listed = teams.Roles?.find((r) => r.RoleName === 'search-readers');
    expect(listed).toEqual({ ...Role, Tags: undefined });
    expect(Role?.Tags).toEqual([{ Key: 'eks-access', Value: 'view' }]);
  });

  it('pages roles by MaxItems with IsTruncated and Marker, each role once', async () => {
    const first = await iam.send(new ListRolesCommand({ MaxItems: 2 }));
    const whole = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles?.map((r) => r.RoleName!) ?? [];
    const names: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 2 }, {})) {
      names.push(...(page.Roles ?? []).map((r) => r.RoleName!));
      sizes.push(page.Roles?.length ?? 0);
    }
    const teams: number[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 2 }, { PathPrefix: '/teams/' })) teams.push(page.Roles?.length ?? 0);

    expect(first).toMatchObject({ IsTruncated: true, Marker: expect.any(String) });
    expect(names).toEqual(whole);
    expect(sizes.slice(0, -1).every((n) => n === 2)).toBe(true);
    expect(teams).toEqual([2, 1]);
  });

  it('lists users under a path prefix, in pages, without their tags', async () => {
    const contractors = await iam.send(new ListUsersCommand({ PathPrefix: '/contractors/' }));
    const names: string[] = [];
    for await (const page of paginateListUsers({ client: iam, pageSize: 1 }, {})) names.push(...(page.Users ?? []).map((u) => u.UserName!));
    const { User } = await iam.send(new GetUserCommand({ UserName: 'carol' }));

    expect(contractors.Users?.map((u) => u.UserName)).toEqual(['carol', 'erin']);
    expect(contractors.Users?.[0]).toEqual({ ...User, Tags: undefined });
    expect(names).toEqual(['carol', 'dave', 'erin']);
  });

  it('returns an empty list, not an error, when nothing matches', async () => {
    const none = await iam.send(new ListRolesCommand({ PathPrefix: '/nobody/' }));

    expect(none).toMatchObject({ IsTruncated: false });
    expect(none.Roles ?? []).toEqual([]);
  });

  it('refuses a path prefix that does not start with a slash, MaxItems 0 and a marker it did not issue', async () => {
    const prefix = await rejectionOf(iam.send(new ListRolesCommand({ PathPrefix: 'teams' })));
    const zero = await rejectionOf(iam.send(new ListUsersCommand({ MaxItems: 0 })));
    const marker = await rejectionOf(iam.send(new ListRolesCommand({ Marker: 'garbage' })));

    expect(prefix.name).toBe('ValidationError');
    expect(prefix.message).toBe("1 validation error detected: Value 'teams' at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*");
    expect(zero.name).toBe('ValidationError');
    expect(marker).toBeInstanceOf(InvalidInputException);
  });
});

describe('IAM ListRoleTags and ListUserTags over HTTP', () => {
  it('pages a user\'s tags by MaxItems, with IsTruncated', async () => {
    const first = await iam.send(new ListUserTagsCommand({ UserName: 'carol', MaxItems: 2 }));
    const pages: string[][] = [];
    for await (const page of paginateListUserTags({ client: iam, pageSize: 2 }, { UserName: 'carol' })) pages.push((page.Tags ?? []).map((t) => t.Key!));

    expect(first).toMatchObject({ IsTruncated: true, Marker: expect.any(String), Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
    expect(pages).toEqual([['a', 'b'], ['c']]);
  });

  it('lists a role\'s tags, and an untagged principal\'s as an empty list', async () => {
    const role = await iam.send(new ListRoleTagsCommand({ RoleName: 'search-readers' }));
    const user = await iam.send(new ListUserTagsCommand({ UserName: 'dave' }));

    expect(role).toMatchObject({ IsTruncated: false, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    expect(user.Tags ?? []).toEqual([]);
  });
});

describe('STS GetCallerIdentity over HTTP', () => {
  it('answers a role session with UserId <RoleId>:<session>, the RoleId GetRole returns', async () => {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: SESSION_ROLE }));

    expect(me).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${SESSION_ROLE}/sandbox` });
    expect(me.UserId).toBe(`${Role!.RoleId}:sandbox`);
  });

  it('answers an IAM user with the user\'s ID, and a principal IAM does not know with a stable ID of the right kind', async () => {
    const { User } = await iam.send(new GetUserCommand({ UserName: 'carol' }));

    expect(callerIdentity(User!.Arn!, sandbox.model.iam).UserId).toBe(User!.UserId);
    const stranger = callerIdentity('arn:aws:sts::444455556666:assumed-role/Other/s1', sandbox.model.iam);
    expect(stranger.UserId).toMatch(/^AROA[A-Z0-9]{17}:s1$/);
    expect(callerIdentity('arn:aws:sts::444455556666:assumed-role/Other/s2', sandbox.model.iam).UserId.split(':')[0]).toBe(stranger.UserId.split(':')[0]);
  });
});
