/**
 * The permission sets of an IAM Identity Center instance and their tags, read through sso-admin
 * as the read-only role of the account that administers Identity Center (platform/clients.ts,
 * `ssoAdminClient`: sts:AssumeRole of `identityCenter.readRoleArn`).
 *
 * The calls, all paged with the SDK's paginators: ListPermissionSets (the ARNs, 100 a page, the
 * API's maximum), DescribePermissionSet (its name: the API has no lookup by name) and
 * ListTagsForResource (its tags). Identity Center publishes a collective throttle limit of
 * 20 transactions per second for its APIs, shared with every other caller of the instance (IAM
 * Identity Center User Guide, quotas, "Throttle limits"). So at most IDENTITY_CENTER_CONCURRENCY
 * calls are in flight per container — at the 100–200 ms an sso-admin call takes that is around
 * 20 per second — and a throttle is retried by the SDK's standard retry mode with exponential
 * backoff (platform/clients.ts, RETRY); the bound on calls in flight, not a client-side rate
 * limiter, keeps the container under the limit. Nothing here loops by hand.
 *
 * What is cached, and why so little:
 * * Tags never. A tag changed on a permission set produces its CloudTrail event in the Identity
 *   Center account, not here, so a read is the only way to see it; each provisioner invocation
 *   reads its role's set's tags once (`tagsOf`), each resync every set's once (`readAll`).
 * * The name → ARN index, for INDEX_TTL_MS in a warm container. It saves the provisioner one
 *   DescribePermissionSet per set on every event. It cannot grant on stale data: a name is fixed
 *   for the life of a set (UpdatePermissionSet has no name), a set created since the index was
 *   built is a miss, and a set deleted (or deleted and re-created under the same name, new ARN)
 *   answers ResourceNotFoundException; both rebuild the index at once.
 */
import pLimit from 'p-limit';
import {
  DescribePermissionSetCommand,
  ResourceNotFoundException,
  paginateListPermissionSets,
  paginateListTagsForResource,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { tagRecord } from '#kernel/principal';
import { ssoAdminClient } from '#platform/clients';
import { PermissionSetsUnreadableError } from '#access/domain/errors';
import type { Tags } from '#access/domain/identity-center';

/** sso-admin calls in flight at once per container (see above: Identity Center's 20 TPS). */
export const IDENTITY_CENTER_CONCURRENCY = 4;
/** How long a warm container reuses the name → ARN index (never the tags). */
export const INDEX_TTL_MS = 5 * 60_000;
/** ListPermissionSets `MaxResults`: 1–100 (Identity Center API reference). */
const PAGE_SIZE = 100;

export interface IdentityCenterInstance {
  instanceArn: string;
  region: string;
  readRoleArn: string;
}

export interface PermissionSetReader {
  /**
   * Every permission set's tags, by name (the resync, once per sweep): ceil(N/100)
   * ListPermissionSets, then per set one DescribePermissionSet and one ListTagsForResource per
   * page of its tags (one page in practice: a set holds at most 50 tags).
   */
  readAll(): Promise<Map<string, Tags>>;
  /**
   * The tags of the named set, or undefined when the instance has no set of that name (the
   * provisioner, once per invocation): one ListTagsForResource with a warm index; the index
   * (ceil(N/100) + N calls) when it is cold, expired or misses.
   */
  tagsOf(name: string): Promise<Tags | undefined>;
}

export function permissionSetReader(
  instance: IdentityCenterInstance,
  client: SSOAdminClient = ssoAdminClient(instance.region, instance.readRoleArn),
  now: () => number = Date.now,
): PermissionSetReader {
  const { instanceArn } = instance;
  const limit = pLimit(IDENTITY_CENTER_CONCURRENCY);
  let index: { names: Promise<Map<string, string>>; until: number } | undefined;

  async function listArns(): Promise<string[]> {
    const arns: string[] = [];
    for await (const page of paginateListPermissionSets({ client, pageSize: PAGE_SIZE }, { InstanceArn: instanceArn })) {
      arns.push(...(page.PermissionSets ?? []));
    }
    return arns;
  }

  /** The set's name, or undefined when it was deleted since it was listed. */
  async function nameOf(arn: string): Promise<string | undefined> {
    try {
      const { PermissionSet } = await client.send(new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: arn }));
      return PermissionSet?.Name;
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  async function tagsAt(arn: string): Promise<Tags> {
    const tags: Array<{ Key?: string; Value?: string }> = [];
    for await (const page of paginateListTagsForResource({ client }, { InstanceArn: instanceArn, ResourceArn: arn })) tags.push(...(page.Tags ?? []));
    return tagRecord(tags);
  }

  /** Lists first (nothing else in flight), then describes at most IDENTITY_CENTER_CONCURRENCY at once. */
  async function eachSet<T>(work: (arn: string, name: string) => Promise<T>): Promise<Array<{ name: string; arn: string; value: T }>> {
    const arns = await listArns();
    const found = await Promise.all(
      arns.map((arn) =>
        limit(async () => {
          const name = await nameOf(arn);
          return name === undefined ? undefined : { name, arn, value: await work(arn, name) };
        }),
      ),
    );
    return found.filter((x) => x !== undefined);
  }

  function remember(names: Map<string, string>): Map<string, string> {
    index = { names: Promise.resolve(names), until: now() + INDEX_TTL_MS };
    return names;
  }

  function rebuildIndex(): Promise<Map<string, string>> {
    const names = eachSet(async () => undefined).then((sets) => new Map(sets.map((s) => [s.name, s.arn])));
    const entry = { names, until: now() + INDEX_TTL_MS };
    index = entry;
    // Failures are not cached.
    names.catch(() => {
      if (index === entry) index = undefined;
    });
    return names;
  }

  async function unreadable<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as Error;
      throw new PermissionSetsUnreadableError(`${what} of Identity Center instance ${instanceArn} could not be read: ${err.name}: ${err.message}`, { cause: e });
    }
  }

  return {
    readAll: () =>
      unreadable('the permission sets', async () => {
        const sets = await eachSet((arn) => tagsAt(arn));
        remember(new Map(sets.map((s) => [s.name, s.arn])));
        return new Map(sets.map((s) => [s.name, s.value]));
      }),

    tagsOf: (name) =>
      unreadable(`permission set ${name}`, async () => {
        const warm = index !== undefined && now() < index.until;
        let names = warm ? await index!.names : await rebuildIndex();
        let rebuilt = !warm;
        for (;;) {
          const arn = names.get(name);
          if (arn === undefined && rebuilt) return undefined;
          if (arn !== undefined) {
            try {
              return await limit(() => tagsAt(arn));
            } catch (e) {
              if (!(e instanceof ResourceNotFoundException)) throw e;
              if (rebuilt) return undefined; // deleted since the index was built
            }
          }
          // A miss or a vanished ARN in a cached index: rebuild it once and look again.
          names = await rebuildIndex();
          rebuilt = true;
        }
      }),
  };
}
