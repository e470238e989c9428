// Stateful model of the slice of IAM Identity Center the system reads (issue 12): one instance,
// its permission sets with their tags, account assignments, and provisioning — the IAM role
// Identity Center creates in an account for each permission set assigned there. Methods named
// after an API operation take and return the SDK's shapes (@aws-sdk/client-sso-admin) and throw
// its exception classes; the others are the sandbox's handle for tests and the demo.
//
// Sources:
//  - Shapes, patterns, errors and paginators: the sso-admin service model (2020-07-20) carried
//    by @aws-sdk/client-sso-admin 3.1138.0 and botocore (`targetPrefix` SWBExternalService,
//    signing name `sso`). Instance ARNs `arn:aws:sso:::instance/ssoins-<16>`, permission sets
//    `arn:aws:sso:::permissionSet/ssoins-<16>/ps-<16>` (the model's patterns; the 16 characters
//    are hexadecimal in every published example, e.g. ssoins-72233af8ea2d1f14/ps-ae5d1fa1f80b684e).
//  - Roles: `AWSReservedSSO_<PermissionSetName>_<suffix>` under
//    `/aws-reserved/sso.amazonaws.com/<region>/` (functions/kernel/identity-center.ts cites the
//    naming; the suffix is 16 hex characters in every published example). Customers cannot tag
//    them (Identity Center API reference, TagResource: "Tags can only be applied to permission
//    sets and cannot be applied to corresponding roles that IAM Identity Center creates").
//  - CreateAccountAssignment provisions the permission set to the account ("As part of a
//    successful CreateAccountAssignment call, the specified permission set will automatically be
//    provisioned to the account", API reference); deleting an account's last assignment of a
//    permission set deletes its role. The CloudTrail records of such a pair (an Identity Center
//    test account, 2023-04-25, published as sample records; the repository was not identified)
//    show IAM's CreateRole with `userIdentity.invokedBy` and `sourceIPAddress`
//    "sso.amazonaws.com", the path, a SAML trust policy on the `AWSSSO_DO_NOT_DELETE` provider and
//    `maxSessionDuration` = the permission set's session duration; and DeleteRole made by the
//    service-linked role's session `assumed-role/AWSServiceRoleForSSO/AWS-SSO`, invokedBy,
//    sourceIPAddress and userAgent "sso.amazonaws.com" (panther-labs/panther-analysis matches the
//    same session ARN for Identity Center's IAM writes). The sandbox records both writes as that
//    session. Attaching the permission set's policies (AttachRolePolicy, PutRolePolicy) is not
//    modelled: the IAM model has no policies.
//  - Re-provisioning re-creates the role: the same name, a NEW role ID, so an access entry bound
//    to the old ID stops authenticating. This is the premise of issue 12, not verified against
//    AWS (ProvisionPermissionSet may as well update the existing role's policies in place).
//  - Throttling (20 TPS for the Identity Center APIs together) is applied by the HTTP service
//    (sandbox/server/services/sso-admin.ts), not here.
//  - Identity Center is regional: its instance answers in its own Region only. A call signed for
//    another Region sees no instance (ListInstances: none; the rest: ResourceNotFoundException).
//    Inferred: the answer AWS gives there is not documented.
//  - Provisioning and assignment complete before the call returns, but the call answers
//    IN_PROGRESS as AWS does (the sample records above); the Describe…Status operations answer
//    SUCCEEDED afterwards.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  ConflictException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ValidationException,
  type AccountAssignmentOperationStatus,
  type CreateAccountAssignmentRequest,
  type CreateAccountAssignmentResponse,
  type CreatePermissionSetRequest,
  type CreatePermissionSetResponse,
  type DeleteAccountAssignmentRequest,
  type DeleteAccountAssignmentResponse,
  type DescribeAccountAssignmentCreationStatusRequest,
  type DescribeAccountAssignmentCreationStatusResponse,
  type DescribeAccountAssignmentDeletionStatusRequest,
  type DescribeAccountAssignmentDeletionStatusResponse,
  type DescribePermissionSetProvisioningStatusRequest,
  type DescribePermissionSetProvisioningStatusResponse,
  type DescribePermissionSetRequest,
  type DescribePermissionSetResponse,
  type ListInstancesRequest,
  type ListInstancesResponse,
  type ListPermissionSetsRequest,
  type ListPermissionSetsResponse,
  type ListTagsForResourceRequest,
  type ListTagsForResourceResponse,
  type PermissionSet,
  type PermissionSetProvisioningStatus,
  type ProvisionPermissionSetRequest,
  type ProvisionPermissionSetResponse,
  type Tag,
  type TagResourceRequest,
  type UntagResourceRequest,
} from '@aws-sdk/client-sso-admin';
import { constraintMessage, count, decodeToken, encodeToken } from './errors.ts';
import type { IamModel, WriteCaller } from './iam.ts';

const meta = () => ({ $metadata: {} });

// Patterns of the sso-admin service model (InstanceArn, PermissionSetArn, TargetId, …).
const INSTANCE_ARN = /^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
const PERMISSION_SET_ARN = /^arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/;
const PERMISSION_SET_NAME = /^[\w+=,.@-]+$/;
const ACCOUNT_ID = /^\d{12}$/;
const PRINCIPAL_ID = /^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?$/;

/** The SAML provider Identity Center's roles trust (the sample CreateRole record). */
const SAML_PROVIDER = 'AWSSSO_DO_NOT_DELETE';
/** User tags per resource: the AWS tagging default (inferred: the Identity Center guide names no number). */
const MAX_TAGS = 50;
/** ListPermissionSets without MaxResults, and ListTagsForResource (it has none): inferred page sizes. */
const DEFAULT_PAGE = 100;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

export interface InstanceOptions {
  /** The Region the instance lives in (its `sso:PrimaryRegion`). */
  region: string;
  /** Default: a random `arn:aws:sso:::instance/ssoins-<16 hex>`. */
  instanceArn?: string;
  /** Default: a random `d-<10 hex>`. */
  identityStoreId?: string;
  name?: string;
}

export interface Instance {
  instanceArn: string;
  /** `ssoins-…`, the ARN's last part. */
  instanceId: string;
  region: string;
  identityStoreId: string;
  name?: string;
  createdDate: Date;
}

interface PermissionSetState {
  arn: string;
  name: string;
  description?: string;
  sessionDuration: string;
  createdDate: Date;
  tags: Tag[];
  /** Accounts the permission set is provisioned to (its role exists there). */
  provisioned: Set<string>;
}

interface Assignment {
  permissionSetArn: string;
  accountId: string;
  principalType: 'USER' | 'GROUP';
  principalId: string;
}

/** A role Identity Center created, as IAM reports it. */
export interface ProvisionedRole {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
}

/**
 * The caller IAM's CloudTrail records for the roles Identity Center creates and deletes: the
 * session of its service-linked role, invoked by sso.amazonaws.com (see the file's comment).
 */
export function identityCenterCaller(accountId: string, partition = 'aws'): WriteCaller {
  // A stable ID for the service-linked role (AROA + 17 base32 characters, like the model's own).
  const roleId = `AROA${createHash('sha256').update(`${accountId}/AWSServiceRoleForSSO`).digest('hex').slice(0, 17).toUpperCase()}`;
  return {
    userIdentity: {
      type: 'AssumedRole',
      principalId: `${roleId}:AWS-SSO`,
      arn: `arn:${partition}:sts::${accountId}:assumed-role/AWSServiceRoleForSSO/AWS-SSO`,
      accountId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: roleId,
          arn: `arn:${partition}:iam::${accountId}:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO`,
          accountId,
          userName: 'AWSServiceRoleForSSO',
        },
        webIdFederationData: {},
        attributes: { mfaAuthenticated: 'false' },
      },
      invokedBy: 'sso.amazonaws.com',
    },
    sourceIPAddress: 'sso.amazonaws.com',
    userAgent: 'sso.amazonaws.com',
  };
}

/** The path Identity Center creates its roles under, for an instance in `region`. */
export function identityCenterRolePath(region: string): string {
  return `/aws-reserved/sso.amazonaws.com/${region}/`;
}

const errors = {
  validation: (message: string) => new ValidationException({ message, Message: message, ...meta() }),
  notFound: (message: string) => new ResourceNotFoundException({ message, Message: message, ...meta() }),
  conflict: (message: string) => new ConflictException({ message, Message: message, ...meta() }),
  quota: (message: string) => new ServiceQuotaExceededException({ message, Message: message, ...meta() }),
};

function check(value: unknown, at: string, pattern: RegExp, min = 1, max = 2048): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw errors.validation(constraintMessage(value, at, `Member must have length between ${min} and ${max}`));
  }
  if (!pattern.test(value)) throw errors.validation(constraintMessage(value, at, `Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`));
  return value;
}

function page<T>(all: T[], token: string | undefined, max: number | undefined): { items: T[]; next?: string } {
  const size = max ?? DEFAULT_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > 100) throw errors.validation(constraintMessage(size, 'maxResults', 'Member must have value between 1 and 100'));
  let start = 0;
  if (token !== undefined) {
    const decoded = decodeToken(token);
    if (decoded === undefined) throw errors.validation('The provided NextToken is not valid.');
    start = decoded;
  }
  const items = all.slice(start, start + size);
  return start + size < all.length ? { items, next: encodeToken(start + size) } : { items };
}

function sessionSeconds(duration: string): number {
  const m = DURATION.exec(duration);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 : 3600;
}

/**
 * IAM Identity Center for the sandbox's account: at most one instance (none until `enable`),
 * permission sets, assignments, and the roles provisioning creates in the account's IAM.
 * Assignments to other accounts are kept, but their roles live in accounts the sandbox does not
 * model.
 */
export class IdentityCenterModel {
  /** Calls per API operation (the handle's methods are not counted). */
  readonly calls = new Map<string, number>();
  /** Calls the HTTP service throttled (20 TPS), per operation. */
  readonly throttled = new Map<string, number>();
  private current: Instance | undefined;
  private readonly sets = new Map<string, PermissionSetState>();
  private readonly assignments: Assignment[] = [];
  private readonly requests = new Map<string, { kind: 'provision' | 'create' | 'delete'; status: PermissionSetProvisioningStatus | AccountAssignmentOperationStatus }>();
  /** Role names by permission set ARN, for the sandbox's account (the name keeps its suffix across re-provisioning). */
  private readonly roleNames = new Map<string, string>();
  private readonly instanceTags: { tags: Tag[] } = { tags: [] };
  /** The identity store group the handle assigns permission sets to. */
  private group: string | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly iam: IamModel,
    private readonly accountId: string,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  // ----- the sandbox's handle -----

  /** Turns Identity Center on in `region` (the organization instance of the account). */
  enable(options: InstanceOptions): Instance {
    if (this.current) throw new Error(`Identity Center is already enabled (${this.current.instanceArn} in ${this.current.region})`);
    const instanceArn = options.instanceArn ?? `arn:aws:sso:::instance/ssoins-${hex(8)}`;
    if (!INSTANCE_ARN.test(instanceArn)) throw new Error(`not an Identity Center instance ARN: ${instanceArn}`);
    this.current = {
      instanceArn,
      instanceId: instanceArn.split('/').at(-1)!,
      region: options.region,
      identityStoreId: options.identityStoreId ?? `d-${hex(5)}`,
      ...(options.name !== undefined ? { name: options.name } : {}),
      createdDate: this.now(),
    };
    return { ...this.current };
  }

  /** The instance, or undefined while Identity Center is not enabled. */
  get instance(): Instance | undefined {
    return this.current && { ...this.current };
  }

  /** Creates a permission set (CreatePermissionSet's rules); returns its ARN. */
  addPermissionSet(name: string, options: { tags?: Record<string, string>; description?: string; sessionDuration?: string } = {}): string {
    const instance = this.requireInstance();
    return this.createPermissionSet(instance.region, {
      InstanceArn: instance.instanceArn,
      Name: name,
      ...(options.description !== undefined ? { Description: options.description } : {}),
      ...(options.sessionDuration !== undefined ? { SessionDuration: options.sessionDuration } : {}),
      Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }, false).PermissionSet!.PermissionSetArn!;
  }

  /** The ARN of the permission set with this name. */
  permissionSetArn(name: string): string {
    const found = [...this.sets.values()].find((s) => s.name === name);
    if (!found) throw new Error(`no permission set ${name} (have: ${[...this.sets.values()].map((s) => s.name).join(', ') || 'none'})`);
    return found.arn;
  }

  /** The permission set's tags, as a record. */
  permissionSetTags(name: string): Record<string, string> {
    return Object.fromEntries(this.set(this.permissionSetArn(name)).tags.map((t) => [t.Key!, t.Value!]));
  }

  /** TagResource on the permission set. No event reaches the app: it would be in the management account, from sso.amazonaws.com. */
  tagPermissionSet(name: string, tags: Record<string, string>): void {
    const instance = this.requireInstance();
    this.tagResource(instance.region, { InstanceArn: instance.instanceArn, ResourceArn: this.permissionSetArn(name), Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }, false);
  }

  /** UntagResource on the permission set (no event reaches the app, as for tagging). */
  untagPermissionSet(name: string, keys: string[]): void {
    const instance = this.requireInstance();
    this.untagResource(instance.region, { InstanceArn: instance.instanceArn, ResourceArn: this.permissionSetArn(name), TagKeys: keys }, false);
  }

  /**
   * Assigns the permission set in `accountId` (to the sandbox's group, when `principal` is not
   * given), which provisions it there: Identity Center creates the role (IAM CreateRole, recorded
   * as made by sso.amazonaws.com). Assigning again changes nothing. Returns the role when the
   * account is the sandbox's.
   */
  provision(permissionSetName: string, accountId: string = this.accountId, principal?: { type: 'USER' | 'GROUP'; id: string }): ProvisionedRole | undefined {
    const instance = this.requireInstance();
    const arn = this.permissionSetArn(permissionSetName);
    const p = principal ?? { type: 'GROUP' as const, id: this.defaultGroup() };
    const already = this.assignments.some((a) => a.permissionSetArn === arn && a.accountId === accountId && a.principalType === p.type && a.principalId === p.id);
    if (!already) {
      this.createAccountAssignment(instance.region, { InstanceArn: instance.instanceArn, PermissionSetArn: arn, TargetId: accountId, TargetType: 'AWS_ACCOUNT', PrincipalType: p.type, PrincipalId: p.id }, false);
    }
    return this.role(permissionSetName, accountId);
  }

  /**
   * Provisions the permission set to the account again (ProvisionPermissionSet): the role is
   * deleted and created again — the same name, a new role ID. The issue's premise, unverified.
   */
  reprovision(permissionSetName: string, accountId: string = this.accountId): ProvisionedRole | undefined {
    const instance = this.requireInstance();
    this.provisionPermissionSet(instance.region, { InstanceArn: instance.instanceArn, PermissionSetArn: this.permissionSetArn(permissionSetName), TargetType: 'AWS_ACCOUNT', TargetId: accountId }, false);
    return this.role(permissionSetName, accountId);
  }

  /** Deletes every assignment of the permission set in the account; with the last one, Identity Center deletes the role. */
  unassign(permissionSetName: string, accountId: string = this.accountId): void {
    const instance = this.requireInstance();
    const arn = this.permissionSetArn(permissionSetName);
    for (const a of this.assignments.filter((x) => x.permissionSetArn === arn && x.accountId === accountId)) {
      this.deleteAccountAssignment(instance.region, { InstanceArn: instance.instanceArn, PermissionSetArn: arn, TargetId: accountId, TargetType: 'AWS_ACCOUNT', PrincipalType: a.principalType, PrincipalId: a.principalId }, false);
    }
  }

  /** The role provisioning created for the permission set in the sandbox's account, if it exists. */
  role(permissionSetName: string, accountId: string = this.accountId): ProvisionedRole | undefined {
    if (accountId !== this.accountId) return undefined;
    const set = this.set(this.permissionSetArn(permissionSetName));
    const name = this.roleNames.get(set.arn);
    const r = name ? this.iam.sessionRole(name) : undefined;
    return r && { roleName: r.name, roleId: r.id, arn: r.arn, path: r.path };
  }

  // ----- API operations (SDK shapes; `counted` false for the handle's own use) -----

  /** ListInstances: the account's instance in its Region; none elsewhere. */
  listInstances(region: string, input: ListInstancesRequest): ListInstancesResponse {
    return this.op('ListInstances', true, () => {
      const all = this.current && this.current.region === region ? [this.current] : [];
      const { items, next } = page(all, input.NextToken, input.MaxResults);
      return {
        Instances: items.map((i) => ({
          InstanceArn: i.instanceArn,
          IdentityStoreId: i.identityStoreId,
          OwnerAccountId: this.accountId,
          ...(i.name !== undefined ? { Name: i.name } : {}),
          CreatedDate: i.createdDate,
          Status: 'ACTIVE',
        })),
        ...(next ? { NextToken: next } : {}),
      };
    });
  }

  createPermissionSet(region: string, input: CreatePermissionSetRequest, counted = true): CreatePermissionSetResponse {
    return this.op('CreatePermissionSet', counted, () => {
      const instance = this.instanceFor(region, input.InstanceArn);
      const name = check(input.Name, 'name', PERMISSION_SET_NAME, 1, 32);
      const duration = input.SessionDuration ?? 'PT1H';
      if (!DURATION.test(duration)) throw errors.validation(constraintMessage(duration, 'sessionDuration', 'Member must be an ISO-8601 duration such as PT1H'));
      const tags = validateTags(input.Tags ?? [], 'tags');
      // Permission set names are unique within the instance (inferred: the API reference does not
      // say, but assignments and roles are keyed by name).
      if ([...this.sets.values()].some((s) => s.name === name)) throw errors.conflict(`A permission set named ${name} already exists in ${instance.instanceArn}.`);
      const set: PermissionSetState = {
        arn: `arn:aws:sso:::permissionSet/${instance.instanceId}/ps-${hex(8)}`,
        name,
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        sessionDuration: duration,
        createdDate: this.now(),
        tags,
        provisioned: new Set(),
      };
      this.sets.set(set.arn, set);
      return { PermissionSet: toPermissionSet(set) };
    });
  }

  /** ListPermissionSets, paged by NextToken/MaxResults (1–100), in creation order. */
  listPermissionSets(region: string, input: ListPermissionSetsRequest): ListPermissionSetsResponse {
    return this.op('ListPermissionSets', true, () => {
      this.instanceFor(region, input.InstanceArn);
      const { items, next } = page([...this.sets.keys()], input.NextToken, input.MaxResults);
      return { PermissionSets: items, ...(next ? { NextToken: next } : {}) };
    });
  }

  describePermissionSet(region: string, input: DescribePermissionSetRequest): DescribePermissionSetResponse {
    return this.op('DescribePermissionSet', true, () => {
      this.instanceFor(region, input.InstanceArn);
      return { PermissionSet: toPermissionSet(this.set(check(input.PermissionSetArn, 'permissionSetArn', PERMISSION_SET_ARN, 10, 1224))) };
    });
  }

  /** ListTagsForResource on a permission set or the instance, paged by NextToken. */
  listTagsForResource(region: string, input: ListTagsForResourceRequest): ListTagsForResourceResponse {
    return this.op('ListTagsForResource', true, () => {
      const tags = this.taggable(region, input.InstanceArn, input.ResourceArn);
      const { items, next } = page(tags.get(), input.NextToken, undefined);
      return { Tags: items.map((t) => ({ ...t })), ...(next ? { NextToken: next } : {}) };
    });
  }

  /** TagResource: a tag with an existing key (case-sensitive) replaces it. */
  tagResource(region: string, input: TagResourceRequest, counted = true): Record<string, never> {
    return this.op('TagResource', counted, () => {
      const tags = this.taggable(region, input.InstanceArn, input.ResourceArn);
      const add = validateTags(input.Tags ?? [], 'tags');
      const merged = [...tags.get()];
      for (const t of add) {
        const i = merged.findIndex((x) => x.Key === t.Key);
        if (i >= 0) merged[i] = t;
        else merged.push(t);
      }
      if (merged.length > MAX_TAGS) throw errors.quota(`The resource can have at most ${MAX_TAGS} tags.`);
      tags.set(merged);
      return {};
    });
  }

  /** UntagResource: removing a key that is not there is not an error. */
  untagResource(region: string, input: UntagResourceRequest, counted = true): Record<string, never> {
    return this.op('UntagResource', counted, () => {
      const tags = this.taggable(region, input.InstanceArn, input.ResourceArn);
      const keys = input.TagKeys ?? [];
      if (keys.length < 1 || keys.length > 75) throw errors.validation(constraintMessage(keys, 'tagKeys', 'Member must have length between 1 and 75'));
      keys.forEach((k, i) => check(k, `tagKeys.${i + 1}.member`, TAG_TEXT, 1, 128));
      tags.set(tags.get().filter((t) => !keys.includes(t.Key!)));
      return {};
    });
  }

  /** CreateAccountAssignment: records the assignment and provisions the permission set to the account if it is not yet. */
  createAccountAssignment(region: string, input: CreateAccountAssignmentRequest, counted = true): CreateAccountAssignmentResponse {
    return this.op('CreateAccountAssignment', counted, () => {
      const a = this.assignmentOf(region, input);
      const set = this.set(a.permissionSetArn);
      if (!this.assignments.some((x) => sameAssignment(x, a))) this.assignments.push(a);
      if (!set.provisioned.has(a.accountId)) this.createRoleFor(set, a.accountId);
      const status = this.record('create', { ...assignmentStatus(a), CreatedDate: this.now() });
      return { AccountAssignmentCreationStatus: status };
    });
  }

  /** DeleteAccountAssignment: with the account's last assignment of the permission set, its role is deleted. */
  deleteAccountAssignment(region: string, input: DeleteAccountAssignmentRequest, counted = true): DeleteAccountAssignmentResponse {
    return this.op('DeleteAccountAssignment', counted, () => {
      const a = this.assignmentOf(region, input);
      const i = this.assignments.findIndex((x) => sameAssignment(x, a));
      if (i < 0) throw errors.notFound(`No assignment of ${a.permissionSetArn} to ${a.principalType} ${a.principalId} in account ${a.accountId}.`);
      this.assignments.splice(i, 1);
      const set = this.set(a.permissionSetArn);
      if (!this.assignments.some((x) => x.permissionSetArn === a.permissionSetArn && x.accountId === a.accountId)) this.deleteRoleFor(set, a.accountId);
      const status = this.record('delete', { ...assignmentStatus(a), CreatedDate: this.now() });
      return { AccountAssignmentDeletionStatus: status };
    });
  }

  /**
   * ProvisionPermissionSet: to one account (AWS_ACCOUNT, TargetId required) or to every account
   * it is provisioned to (ALL_PROVISIONED_ACCOUNTS). An account that has the role gets it
   * re-created with a new ID (the issue's premise); one that has none gets it created.
   */
  provisionPermissionSet(region: string, input: ProvisionPermissionSetRequest, counted = true): ProvisionPermissionSetResponse {
    return this.op('ProvisionPermissionSet', counted, () => {
      this.instanceFor(region, input.InstanceArn);
      const set = this.set(check(input.PermissionSetArn, 'permissionSetArn', PERMISSION_SET_ARN, 10, 1224));
      let accounts: string[];
      if (input.TargetType === 'AWS_ACCOUNT') {
        accounts = [check(input.TargetId, 'targetId', ACCOUNT_ID, 12, 12)];
      } else if (input.TargetType === 'ALL_PROVISIONED_ACCOUNTS') {
        if (input.TargetId !== undefined) throw errors.validation('TargetId must not be given with TargetType ALL_PROVISIONED_ACCOUNTS.');
        accounts = [...set.provisioned];
      } else {
        throw errors.validation(constraintMessage(input.TargetType, 'targetType', 'Member must satisfy enum value set: [AWS_ACCOUNT, ALL_PROVISIONED_ACCOUNTS]'));
      }
      for (const account of accounts) {
        if (set.provisioned.has(account)) this.deleteRoleFor(set, account);
        this.createRoleFor(set, account);
      }
      const status = this.record('provision', {
        Status: 'IN_PROGRESS',
        RequestId: randomUUID(),
        ...(input.TargetType === 'AWS_ACCOUNT' ? { AccountId: accounts[0]! } : {}),
        PermissionSetArn: set.arn,
        CreatedDate: this.now(),
      });
      return { PermissionSetProvisioningStatus: status };
    });
  }

  describePermissionSetProvisioningStatus(region: string, input: DescribePermissionSetProvisioningStatusRequest): DescribePermissionSetProvisioningStatusResponse {
    return this.op('DescribePermissionSetProvisioningStatus', true, () => ({ PermissionSetProvisioningStatus: this.requestStatus(region, input.InstanceArn, input.ProvisionPermissionSetRequestId, 'provision') }));
  }

  describeAccountAssignmentCreationStatus(region: string, input: DescribeAccountAssignmentCreationStatusRequest): DescribeAccountAssignmentCreationStatusResponse {
    return this.op('DescribeAccountAssignmentCreationStatus', true, () => ({ AccountAssignmentCreationStatus: this.requestStatus(region, input.InstanceArn, input.AccountAssignmentCreationRequestId, 'create') }));
  }

  describeAccountAssignmentDeletionStatus(region: string, input: DescribeAccountAssignmentDeletionStatusRequest): DescribeAccountAssignmentDeletionStatusResponse {
    return this.op('DescribeAccountAssignmentDeletionStatus', true, () => ({ AccountAssignmentDeletionStatus: this.requestStatus(region, input.InstanceArn, input.AccountAssignmentDeletionRequestId, 'delete') }));
  }

  /**
   * The tags of a permission set or of the instance, by ARN, for IAM's request context
   * (aws:ResourceTag/…); undefined when this model has no such resource. Not an API call.
   */
  resourceTags(arn: string): Record<string, string> | undefined {
    const tags = this.current && arn === this.current.instanceArn ? this.instanceTags.tags : this.sets.get(arn)?.tags;
    return tags && Object.fromEntries(tags.map((t) => [t.Key!, t.Value!]));
  }

  /** Counts a call the HTTP service refused with ThrottlingException. */
  recordThrottled(operation: string): void {
    count(this.throttled, operation);
  }

  // ----- internals -----

  private defaultGroup(): string {
    // An identity store group ID: <10 hex>-<UUID> (the PrincipalId pattern).
    return (this.group ??= `${hex(5)}-${randomUUID()}`);
  }

  private op<T>(operation: string, counted: boolean, fn: () => T): T {
    if (counted) count(this.calls, operation);
    return structuredClone(fn());
  }

  private requireInstance(): Instance {
    if (!this.current) throw new Error('Identity Center is not enabled in the sandbox (seed identityCenter, or identityCenter.enable)');
    return this.current;
  }

  /** The instance a request names, checked against its pattern and the Region it was sent to. */
  private instanceFor(region: string, instanceArn: string | undefined): Instance {
    const arn = check(instanceArn, 'instanceArn', INSTANCE_ARN, 10, 1224);
    if (!this.current || this.current.instanceArn !== arn || this.current.region !== region) {
      throw errors.notFound(`Instance ${arn} is not found in ${region}.`);
    }
    return this.current;
  }

  private set(arn: string): PermissionSetState {
    const s = this.sets.get(arn);
    if (!s) throw errors.notFound(`Could not find PermissionSet with ARN ${arn}.`);
    return s;
  }

  /** The tags of a taggable resource this model has: a permission set or the instance. */
  private taggable(region: string, instanceArn: string | undefined, resourceArn: string | undefined): { get(): Tag[]; set(tags: Tag[]): void } {
    const arn = check(resourceArn, 'resourceArn', /^arn:aws(-[a-z]{1,5}){0,3}:sso::(:instance\/|:permissionSet\/|\d{12}:application\/|\d{12}:trustedTokenIssuer\/).+$/, 10, 2048);
    if (instanceArn !== undefined) this.instanceFor(region, instanceArn);
    const instance = this.current && this.current.region === region ? this.current : undefined;
    if (instance && arn === instance.instanceArn) {
      const holder = this.instanceTags;
      return { get: () => holder.tags, set: (t) => (holder.tags = t) };
    }
    if (PERMISSION_SET_ARN.test(arn) && instance && arn.includes(`/${instance.instanceId}/`)) {
      const s = this.set(arn);
      return { get: () => s.tags, set: (t) => (s.tags = t) };
    }
    throw errors.notFound(`Could not find resource ${arn}.`);
  }

  private assignmentOf(region: string, input: CreateAccountAssignmentRequest | DeleteAccountAssignmentRequest): Assignment {
    this.instanceFor(region, input.InstanceArn);
    const permissionSetArn = check(input.PermissionSetArn, 'permissionSetArn', PERMISSION_SET_ARN, 10, 1224);
    const accountId = check(input.TargetId, 'targetId', ACCOUNT_ID, 12, 12);
    if (input.TargetType !== 'AWS_ACCOUNT') throw errors.validation(constraintMessage(input.TargetType, 'targetType', 'Member must satisfy enum value set: [AWS_ACCOUNT]'));
    if (input.PrincipalType !== 'USER' && input.PrincipalType !== 'GROUP') {
      throw errors.validation(constraintMessage(input.PrincipalType, 'principalType', 'Member must satisfy enum value set: [USER, GROUP]'));
    }
    const principalId = check(input.PrincipalId, 'principalId', PRINCIPAL_ID, 1, 47);
    this.set(permissionSetArn);
    return { permissionSetArn, accountId, principalType: input.PrincipalType, principalId };
  }

  /** IAM CreateRole in the account, as Identity Center makes it (see the file's comment). */
  private createRoleFor(set: PermissionSetState, accountId: string): void {
    set.provisioned.add(accountId);
    if (accountId !== this.accountId) return;
    const region = this.requireInstance().region;
    const name = this.roleNames.get(set.arn) ?? `AWSReservedSSO_${set.name}_${hex(8)}`;
    this.roleNames.set(set.arn, name);
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
        Principal: { Federated: `arn:aws:iam::${this.accountId}:saml-provider/${SAML_PROVIDER}` },
        Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
      },
    });
    this.iam.asCaller(identityCenterCaller(this.accountId), () =>
      this.iam.createRole({ RoleName: name, Path: identityCenterRolePath(region), AssumeRolePolicyDocument: trust, MaxSessionDuration: sessionSeconds(set.sessionDuration) }),
    );
  }

  /** IAM DeleteRole in the account, made by Identity Center's service-linked role. */
  private deleteRoleFor(set: PermissionSetState, accountId: string): void {
    set.provisioned.delete(accountId);
    if (accountId !== this.accountId) return;
    const name = this.roleNames.get(set.arn);
    if (name && this.iam.sessionRole(name)) this.iam.asCaller(identityCenterCaller(this.accountId), () => this.iam.deleteRole({ RoleName: name }));
  }

  private record<S extends PermissionSetProvisioningStatus | AccountAssignmentOperationStatus>(kind: 'provision' | 'create' | 'delete', status: S): S {
    const requestId = status.RequestId ?? randomUUID();
    const answered = { ...status, RequestId: requestId };
    this.requests.set(requestId, { kind, status: { ...answered, Status: 'SUCCEEDED' } });
    return answered;
  }

  private requestStatus(region: string, instanceArn: string | undefined, requestId: string | undefined, kind: 'provision' | 'create' | 'delete'): PermissionSetProvisioningStatus & AccountAssignmentOperationStatus {
    this.instanceFor(region, instanceArn);
    const r = requestId === undefined ? undefined : this.requests.get(requestId);
    if (!r || r.kind !== kind) throw errors.notFound(`Could not find request ${requestId ?? ''}.`);
    return r.status;
  }
}

function sameAssignment(a: Assignment, b: Assignment): boolean {
  return a.permissionSetArn === b.permissionSetArn && a.accountId === b.accountId && a.principalType === b.principalType && a.principalId === b.principalId;
}

function assignmentStatus(a: Assignment): AccountAssignmentOperationStatus {
  return { Status: 'IN_PROGRESS', RequestId: randomUUID(), TargetId: a.accountId, TargetType: 'AWS_ACCOUNT', PermissionSetArn: a.permissionSetArn, PrincipalType: a.principalType, PrincipalId: a.principalId };
}

function toPermissionSet(s: PermissionSetState): PermissionSet {
  return {
    Name: s.name,
    PermissionSetArn: s.arn,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    CreatedDate: s.createdDate,
    SessionDuration: s.sessionDuration,
  };
}

/** Tags as the model's Tag shape allows them: key 1–128, value 0–256, its character class; at most 75 per request. */
function validateTags(tags: Tag[], field: string): Tag[] {
  if (tags.length > 75) throw errors.validation(constraintMessage(tags.map((t) => `${t.Key}=${t.Value}`), field, 'Member must have length less than or equal to 75'));
  const seen = new Set<string>();
  return tags.map((t, i) => {
    const k = check(t.Key, `${field}.${i + 1}.member.key`, TAG_TEXT, 1, 128);
    const v = typeof t.Value === 'string' ? t.Value : undefined;
    if (v === undefined || v.length > 256 || !TAG_TEXT.test(v)) throw errors.validation(constraintMessage(t.Value, `${field}.${i + 1}.member.value`, 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*'));
    // The aws: prefix is reserved for AWS's own tags (AWS General Reference, "Tagging AWS resources").
    if (k.toLowerCase().startsWith('aws:')) throw errors.validation(`Tag keys cannot start with the reserved prefix aws: (${k}).`);
    if (seen.has(k)) throw errors.validation(`Duplicate tag key ${k}.`);
    seen.add(k);
    return { Key: k, Value: v };
  });
}
