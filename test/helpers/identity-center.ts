/**
 * A small stand-in for an IAM Identity Center instance's permission sets behind an
 * aws-sdk-client-mock of SSOAdminClient: ListPermissionSets (paged by MaxResults),
 * DescribePermissionSet and ListTagsForResource (2 tags a page, to exercise paging), with
 * ResourceNotFoundException for a set that is gone. Tests change the sets between calls.
 * (The sandbox's own Identity Center model is the place for provisioning and its IAM side.)
 */
import { DescribePermissionSetCommand, ListPermissionSetsCommand, ListTagsForResourceCommand, ResourceNotFoundException, type SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-sso-admin';

export const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-1234567890abcdef';
export const READ_ROLE_ARN = 'arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read';
export const permissionSetArn = (i: number) => `arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-${i.toString(16).padStart(16, '0')}`;

export type SsoAdminMock = AwsStub<ServiceInputTypes, ServiceOutputTypes, SSOAdminClient['config']>;

export interface FakeInstance {
  /** The sets by ARN; mutate to change the instance. */
  byArn: Map<string, { name: string; tags: Record<string, string> }>;
  /** Adds a set (a new ARN) and returns its ARN. */
  add(name: string, tags: Record<string, string>): string;
  setTags(name: string, tags: Record<string, string>): void;
  /** What each ListPermissionSets call asked for (the paginator reuses one input object). */
  listRequests: Array<{ NextToken?: string; MaxResults?: number }>;
  maxInFlight(): number;
}

export function serveInstance(sso: SsoAdminMock, sets: Array<{ name: string; tags: Record<string, string> }>, options: { delayMs?: number } = {}): FakeInstance {
  let next = 0;
  const byArn = new Map<string, { name: string; tags: Record<string, string> }>();
  const add = (name: string, tags: Record<string, string>) => {
    const arn = permissionSetArn(next++);
    byArn.set(arn, { name, tags });
    return arn;
  };
  for (const s of sets) add(s.name, s.tags);
  let inFlight = 0;
  let maxInFlight = 0;
  const listRequests: FakeInstance['listRequests'] = [];
  const timed = async <T>(fn: () => T): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, options.delayMs ?? 0));
    inFlight--;
    return fn();
  };
  const gone = () => new ResourceNotFoundException({ message: 'PermissionSet not found', $metadata: {} });
  sso.on(ListPermissionSetsCommand).callsFake((input: { NextToken?: string; MaxResults?: number }) => {
    listRequests.push({ ...input });
    return timed(() => {
      const start = Number(input.NextToken ?? 0);
      const arns = [...byArn.keys()].slice(start, start + (input.MaxResults ?? 100));
      const end = start + arns.length;
      return { PermissionSets: arns, ...(end < byArn.size ? { NextToken: String(end) } : {}) };
    });
  });
  sso.on(DescribePermissionSetCommand).callsFake((input: { PermissionSetArn: string }) =>
    timed(() => {
      const s = byArn.get(input.PermissionSetArn);
      if (!s) throw gone();
      return { PermissionSet: { Name: s.name, PermissionSetArn: input.PermissionSetArn } };
    }),
  );
  sso.on(ListTagsForResourceCommand).callsFake((input: { ResourceArn: string; NextToken?: string }) =>
    timed(() => {
      const s = byArn.get(input.ResourceArn);
      if (!s) throw gone();
      const all = Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value }));
      const start = Number(input.NextToken ?? 0);
      return { Tags: all.slice(start, start + 2), ...(start + 2 < all.length ? { NextToken: String(start + 2) } : {}) };
    }),
  );
  return {
    byArn,
    add,
    setTags(name, tags) {
      for (const s of byArn.values()) if (s.name === name) s.tags = tags;
    },
    listRequests,
    maxInFlight: () => maxInFlight,
  };
}

/** sso-admin calls of each kind so far: [ListPermissionSets, DescribePermissionSet, ListTagsForResource]. */
export function ssoCalls(sso: SsoAdminMock): [number, number, number] {
  return [sso.commandCalls(ListPermissionSetsCommand).length, sso.commandCalls(DescribePermissionSetCommand).length, sso.commandCalls(ListTagsForResourceCommand).length];
}
