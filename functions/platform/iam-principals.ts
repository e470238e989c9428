/**
 * IAM principals with their tags: one role or user by name (the provisioner's re-read of an
 * event's principal, the migration's lookup of a path-less aws-auth ARN) and every one of them
 * (the resync); and the ARNs of the roles under a path (the migration's lookup of the Identity
 * Center roles an aws-auth `sso` row maps). Events are only hints, so these reads are the truth.
 */
import {
  GetRoleCommand,
  GetUserCommand,
  NoSuchEntityException,
  paginateGetAccountAuthorizationDetails,
  paginateListRoles,
  type IAMClient,
  type Tag,
} from '@aws-sdk/client-iam';
import { tagRecord, type Principal, type PrincipalRef } from '#kernel/principal';
import { iamClient } from './clients.ts';

export interface IamReader {
  /** The principal with all its tags, or null when it does not exist. */
  getPrincipal(ref: PrincipalRef): Promise<Principal | null>;
  /** Every role and user of the account with their tags (all pages). */
  listPrincipals(): AsyncIterable<Principal>;
  /** The ARNs of the account's roles whose path starts with `pathPrefix` (iam:ListRoles, all pages). */
  listRoleArns(pathPrefix: string): Promise<string[]>;
}

/** The largest page of GetAccountAuthorizationDetails and ListRoles (IAM API reference, `MaxItems`: 1–1000). */
const PAGE_SIZE = 1000;

/**
 * GetRole and GetUser return the principal's tags with it: one read per event. IAM allows
 * at most 50 tags per principal and returns them all here, so no ListRoleTags paging is
 * needed for this read.
 */
export function iamReader(client: IAMClient = iamClient()): IamReader {
  return {
    async getPrincipal(ref) {
      try {
        if (ref.kind === 'role') {
          const { Role: r } = await client.send(new GetRoleCommand({ RoleName: ref.name }));
          if (!r?.Arn || !r.RoleName || !r.RoleId) return null;
          return { kind: 'role', name: r.RoleName, arn: r.Arn, path: r.Path ?? '/', id: r.RoleId, tags: tagRecord(r.Tags) };
        }
        const { User: u } = await client.send(new GetUserCommand({ UserName: ref.name }));
        if (!u?.Arn || !u.UserName || !u.UserId) return null;
        return { kind: 'user', name: u.UserName, arn: u.Arn, path: u.Path ?? '/', id: u.UserId, tags: tagRecord(u.Tags) };
      } catch (e) {
        if (e instanceof NoSuchEntityException) return null;
        throw e;
      }
    },

    async listRoleArns(pathPrefix) {
      const arns: string[] = [];
      for await (const page of paginateListRoles({ client, pageSize: PAGE_SIZE }, { PathPrefix: pathPrefix })) {
        for (const r of page.Roles ?? []) if (r.Arn) arns.push(r.Arn);
      }
      return arns;
    },

    async *listPrincipals() {
      const pages = paginateGetAccountAuthorizationDetails({ client, pageSize: PAGE_SIZE }, { Filter: ['Role', 'User'] });
      for await (const page of pages) {
        for (const r of page.RoleDetailList ?? []) {
          if (r.Arn && r.RoleName && r.RoleId) {
            yield { kind: 'role' as const, name: r.RoleName, arn: r.Arn, path: r.Path ?? '/', id: r.RoleId, tags: tagRecord(r.Tags as Tag[] | undefined) };
          }
        }
        for (const u of page.UserDetailList ?? []) {
          if (u.Arn && u.UserName && u.UserId) {
            yield { kind: 'user' as const, name: u.UserName, arn: u.Arn, path: u.Path ?? '/', id: u.UserId, tags: tagRecord(u.Tags as Tag[] | undefined) };
          }
        }
      }
    },
  };
}
