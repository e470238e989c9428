import {
  DeleteRoleCommand,
  EntityAlreadyExistsException,
  GetAccountAuthorizationDetailsCommand,
  GetRoleCommand,
  GetUserCommand,
  InvalidInputException,
  LimitExceededException,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IamWriteEvent } from '#sandbox/model/iam';
import { ACCOUNT, TRUST, createWorld, rejectionOf, type World } from './world.ts';

let w: World;
beforeEach(() => {
  w = createWorld();
});
afterEach(() => w.mocks.restore());

async function roleTags(name: string): Promise<Tag[]> {
  return (await w.iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags ?? [];
}

describe('IamModel roles and users', () => {
  it('builds role and user ARNs from account, path and name, with AROA/AIDA unique IDs', async () => {
    // arrange / act
    const roleArn = await w.createRole('app', '/team/a/');
    const userArn = await w.createUser('alice');
    const role = (await w.iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!;
    const user = (await w.iam.send(new GetUserCommand({ UserName: 'alice' }))).User!;
    // assert
    expect(roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/team/a/app`);
    expect(userArn).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    expect(role.Path).toBe('/team/a/');
    expect(role.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(user.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(role.Tags).toBeUndefined();
  });

  it('gives a recreated role the same ARN and a new unique ID', async () => {
    const arn1 = await w.createRole('app');
    const id1 = (await w.iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!.RoleId;
    await w.iam.send(new DeleteRoleCommand({ RoleName: 'app' }));
    const arn2 = await w.createRole('app');
    const id2 = (await w.iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!.RoleId;
    expect(arn2).toBe(arn1);
    expect(id2).not.toBe(id1);
  });

  it('rejects a second role whose name differs only in case with EntityAlreadyExistsException', async () => {
    await w.createRole('App');
    const err = await rejectionOf(w.createRole('app'));
    expect(err).toBeInstanceOf(EntityAlreadyExistsException);
    expect(err.name).toBe('EntityAlreadyExistsException');
  });

  it('answers NoSuchEntityException for missing roles and users, on reads and writes', async () => {
    for (const call of [
      w.iam.send(new GetRoleCommand({ RoleName: 'ghost' })),
      w.iam.send(new DeleteRoleCommand({ RoleName: 'ghost' })),
      w.iam.send(new TagRoleCommand({ RoleName: 'ghost', Tags: [{ Key: 'a', Value: 'b' }] })),
      w.iam.send(new GetUserCommand({ UserName: 'ghost' })),
      w.iam.send(new ListUserTagsCommand({ UserName: 'ghost' })),
    ]) {
      const err = await rejectionOf(call);
      expect(err).toBeInstanceOf(NoSuchEntityException);
    }
  });

  it('returns the trust policy URL-encoded, as IAM does', async () => {
    await w.createRole('app');
    const role = (await w.iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!;
    expect(decodeURIComponent(role.AssumeRolePolicyDocument!)).toBe(TRUST);
  });
});

describe('IamModel tags', () => {
  it('treats keys as case-insensitive: a tag whose key differs only in case replaces the old one, key spelling included', async () => {
    await w.createRole('app');
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'Eks-Access', Value: 'view' }] }));
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'eks-access', Value: 'Edit' }] }));
    expect(await roleTags('app')).toEqual([{ Key: 'eks-access', Value: 'Edit' }]);
  });

  it('rejects one request carrying the same key in two cases with InvalidInputException', async () => {
    await w.createRole('app');
    const err = await rejectionOf(
      w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'team', Value: 'a' }, { Key: 'TEAM', Value: 'b' }] })),
    );
    expect(err).toBeInstanceOf(InvalidInputException);
    expect(err.message).toBe('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  });

  it('rejects a comma in a tag value with a ValidationError naming the field', async () => {
    await w.createRole('app');
    const err = await rejectionOf(
      w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'eks-access-namespaces', Value: 'team-a,team-b' }] })),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toContain("at 'tags.1.member.value' failed to satisfy constraint");
    expect(await roleTags('app')).toEqual([]);
  });

  it('keeps values case-sensitive', async () => {
    await w.createUser('bob');
    await w.iam.send(new TagUserCommand({ UserName: 'bob', Tags: [{ Key: 'level', Value: 'View' }] }));
    const tags = (await w.iam.send(new ListUserTagsCommand({ UserName: 'bob' }))).Tags;
    expect(tags).toEqual([{ Key: 'level', Value: 'View' }]);
  });

  it('allows 50 tags and refuses the 51st with LimitExceededException, changing nothing', async () => {
    await w.createRole('app');
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: fifty }));
    // replacing an existing key (in another case) at the limit is fine
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'K0', Value: 'w' }] }));
    const err = await rejectionOf(w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'k50', Value: 'v' }] })));
    expect(err).toBeInstanceOf(LimitExceededException);
    expect(await roleTags('app')).toHaveLength(50);
  });

  it('untags keys without regard to case and ignores keys that are absent', async () => {
    await w.createRole('app');
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'Eks-Access', Value: 'view' }, { Key: 'keep', Value: '1' }] }));
    await w.iam.send(new UntagRoleCommand({ RoleName: 'app', TagKeys: ['EKS-ACCESS', 'never-there'] }));
    expect(await roleTags('app')).toEqual([{ Key: 'keep', Value: '1' }]);
  });

  it('paginates ListRoleTags with Marker/MaxItems and IsTruncated, returning every tag once', async () => {
    await w.createRole('app');
    const tags = Array.from({ length: 7 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: tags }));
    const seen: Tag[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await w.iam.send(new ListRoleTagsCommand({ RoleName: 'app', MaxItems: 3, Marker: marker }));
      seen.push(...(out.Tags ?? []));
      expect(out.IsTruncated).toBe(out.Marker !== undefined);
      marker = out.Marker;
      pages += 1;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(tags);
  });
});

describe('IamModel GetAccountAuthorizationDetails', () => {
  it('pages across users and roles with MaxItems, honours Filter, and includes tags, paths and IDs', async () => {
    await w.createUser('u1');
    await w.createRole('r1', '/aws-reserved/sso.amazonaws.com/');
    await w.createRole('r2');
    await w.iam.send(new TagRoleCommand({ RoleName: 'r2', Tags: [{ Key: 'eks-access', Value: 'view' }] }));

    const roles = [];
    const users = [];
    let marker: string | undefined;
    do {
      const out = await w.iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1, Marker: marker }));
      roles.push(...(out.RoleDetailList ?? []));
      users.push(...(out.UserDetailList ?? []));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    expect(users.map((u) => u.UserName)).toEqual(['u1']);
    expect(roles.map((r) => [r.RoleName, r.Path])).toEqual([
      ['r1', '/aws-reserved/sso.amazonaws.com/'],
      ['r2', '/'],
    ]);
    expect(roles[1]!.Tags).toEqual([{ Key: 'eks-access', Value: 'view' }]);
    expect(roles[0]!.RoleId).toMatch(/^AROA/);

    const onlyRoles = await w.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Role'] }));
    expect(onlyRoles.UserDetailList).toEqual([]);
    expect(onlyRoles.RoleDetailList).toHaveLength(2);
  });
});

describe('IamModel onWrite', () => {
  it('reports every write, failed ones with errorCode, in CloudTrail-style lowerCamel shape', async () => {
    const events: IamWriteEvent[] = [];
    const unsubscribe = w.model.iam.onWrite((e) => events.push(e));
    await w.createRole('app');
    await w.iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'eks-access', Value: 'view' }] }));
    await rejectionOf(w.iam.send(new DeleteRoleCommand({ RoleName: 'ghost' })));
    await w.iam.send(new GetRoleCommand({ RoleName: 'app' }));
    unsubscribe();
    await w.iam.send(new DeleteRoleCommand({ RoleName: 'app' }));

    expect(events.map((e) => [e.eventName, e.errorCode])).toEqual([
      ['CreateRole', undefined],
      ['TagRole', undefined],
      ['DeleteRole', 'NoSuchEntityException'],
    ]);
    expect(events[1]!.requestParameters).toEqual({ roleName: 'app', tags: [{ key: 'eks-access', value: 'view' }] });
    expect(events[1]!.responseElements).toBeNull();
    expect((events[0]!.responseElements as { role: { arn: string } }).role.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/app`);
  });
});
