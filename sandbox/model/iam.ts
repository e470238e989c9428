// Stateful model of the slice of IAM the system uses: roles and users, their unique IDs and
// their tags, with IAM's own validation, errors and pagination. Methods take and return the
// SDK's request/response shapes so the same code can back aws-sdk-client-mock in-process and,
// later, the HTTP sandbox.
import { randomInt } from 'node:crypto';
import type {
  CreateRoleRequest,
  CreateRoleResponse,
  CreateUserRequest,
  CreateUserResponse,
  DeleteRoleRequest,
  DeleteUserRequest,
  EntityType,
  GetAccountAuthorizationDetailsRequest,
  GetAccountAuthorizationDetailsResponse,
  GetRoleRequest,
  GetRoleResponse,
  GetUserRequest,
  GetUserResponse,
  ListRolesRequest,
  ListRolesResponse,
  ListRoleTagsRequest,
  ListRoleTagsResponse,
  ListUsersRequest,
  ListUsersResponse,
  ListUserTagsRequest,
  ListUserTagsResponse,
  Role,
  RoleDetail,
  Tag,
  TagRoleRequest,
  TagUserRequest,
  UntagRoleRequest,
  UntagUserRequest,
  User,
  UserDetail,
} from '@aws-sdk/client-iam';
import { constraintMessage, count, decodeToken, encodeToken, iamErrors } from './errors.ts';

export const DEFAULT_ACCOUNT_ID = '111122223333';

/** What a write listener receives: enough to build a CloudTrail-shaped event later. */
export interface IamWriteEvent {
  eventName: string;
  /** The request, with CloudTrail's lowerCamel keys (`roleName`, `tags[].key`). */
  requestParameters: Record<string, unknown>;
  /** CloudTrail's shape: lowerCamel keys, dates as ISO strings; null for calls without output. */
  responseElements: Record<string, unknown> | null;
  /** Set when the call failed; the SDK exception's name. */
  errorCode?: string;
  errorMessage?: string;
  /** Who made the call, when not the sandbox's operator (an AWS service acting in the account). */
  caller?: WriteCaller;
}

/**
 * The caller CloudTrail records for a write an AWS service makes in the account on its own
 * behalf: its `userIdentity` (with `invokedBy`), `sourceIPAddress` and `userAgent`, as the record
 * shows them (sandbox/cloudtrail.ts puts them in the envelope).
 */
export interface WriteCaller {
  userIdentity: Record<string, unknown>;
  sourceIPAddress: string;
  userAgent: string;
}

/** An identity policy the sandbox enforces for sessions of a role (sandbox/iam/enforcer.ts). */
export interface RolePolicy {
  name: string;
  document: { Version?: string; Statement: Array<Record<string, unknown>> };
}

/** What STS needs of a role to let a caller assume it (sandbox/server/services/sts.ts). */
export interface SessionRole {
  name: string;
  path: string;
  arn: string;
  id: string;
  /** The trust policy as given to CreateRole (not URL-encoded). */
  assumeRolePolicyDocument?: string;
  maxSessionDuration: number;
  /** The identity policies the sandbox holds for the role (none: IAM's managed and inline policies are not modelled). */
  policies: RolePolicy[];
}

export type IamWriteListener = (event: IamWriteEvent) => void;

type Kind = 'role' | 'user';

interface Principal {
  kind: Kind;
  name: string;
  path: string;
  arn: string;
  id: string;
  createDate: Date;
  tags: Tag[];
  description?: string;
  maxSessionDuration?: number;
  assumeRolePolicyDocument?: string;
  /** Roles only: identity policies given to the sandbox (seed), enforced for the role's sessions. */
  policies?: RolePolicy[];
}

// Limits and patterns from the IAM API reference (CreateRole, Tag, TagRole).
const MAX_TAGS = 50;
const NAME_PATTERN = /^[\w+=,.@-]+$/;
const PATH_PATTERN = /^(\/|\/[\u0021-\u007e]+\/)$/;
// ListRoles/ListUsers `PathPrefix` (pathPrefixType in the IAM service model): 1–512 characters.
const PATH_PREFIX_PATTERN = /^\/[\u0021-\u007f]*$/;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_KEY_PATTERN_TEXT = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
const TAG_VALUE_PATTERN_TEXT = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const WRITE_OPERATIONS = new Set([
  'CreateRole',
  'DeleteRole',
  'TagRole',
  'UntagRole',
  'CreateUser',
  'DeleteUser',
  'TagUser',
  'UntagUser',
]);

/**
 * In-memory IAM for one account. Names are unique per kind without regard to case (IAM:
 * "Names are not distinguished by case", CreateRole API reference), and lookups by name ignore
 * case too. Every create mints a new unique ID, so a role deleted and created again keeps its
 * ARN but gets a new `RoleId` — the reason EKS access entries of recreated roles stop working.
 */
export class IamModel {
  readonly accountId: string;
  /** Calls per operation, including failed ones. */
  readonly calls = new Map<string, number>();
  private readonly roles = new Map<string, Principal>();
  private readonly users = new Map<string, Principal>();
  private readonly issuedIds = new Set<string>();
  private readonly listeners: IamWriteListener[] = [];
  private readonly now: () => Date;
  /** The caller recorded for the writes made inside `asCaller` (model calls are synchronous). */
  private caller: WriteCaller | undefined;

  constructor(accountId: string = DEFAULT_ACCOUNT_ID, options: { now?: () => Date } = {}) {
    this.accountId = accountId;
    this.now = options.now ?? (() => new Date());
  }

  /** Registers a listener for every write call (successful or not); returns an unsubscribe. */
  onWrite(listener: IamWriteListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // ----- roles -----

  createRole(input: CreateRoleRequest): CreateRoleResponse {
    return this.call('CreateRole', input, () => {
      const name = validateName(input.RoleName, 'roleName', 64);
      const path = validatePath(input.Path);
      const tags = validateTagList(input.Tags ?? [], 'tags');
      if (this.roles.has(key(name))) throw iamErrors.entityAlreadyExists(`Role with name ${name} already exists.`);
      const role: Principal = {
        kind: 'role',
        name,
        path,
        arn: `arn:aws:iam::${this.accountId}:role${path}${name}`,
        id: this.mintId('AROA'),
        createDate: this.now(),
        tags,
        description: input.Description,
        maxSessionDuration: input.MaxSessionDuration ?? 3600,
        assumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      };
      this.roles.set(key(role.name), role);
      return { Role: toRole(role) };
    });
  }

  getRole(input: GetRoleRequest): GetRoleResponse {
    return this.call('GetRole', input, () => ({ Role: toRole(this.role(input.RoleName)) }));
  }

  deleteRole(input: DeleteRoleRequest): Record<string, never> {
    return this.call('DeleteRole', input, () => {
      this.roles.delete(key(this.role(input.RoleName).name));
      return {};
    });
  }

  tagRole(input: TagRoleRequest): Record<string, never> {
    return this.call('TagRole', input, () => {
      // Request validation comes before the lookup, as in IAM's front end.
      const tags = validateTagList(input.Tags ?? [], 'tags');
      mergeTags(this.role(input.RoleName), tags, 'TagsPerRole');
      return {};
    });
  }

  untagRole(input: UntagRoleRequest): Record<string, never> {
    return this.call('UntagRole', input, () => {
      const keys = validateTagKeys(input.TagKeys ?? []);
      removeTags(this.role(input.RoleName), keys);
      return {};
    });
  }

  listRoleTags(input: ListRoleTagsRequest): ListRoleTagsResponse {
    return this.call('ListRoleTags', input, () => pageTags(this.role(input.RoleName), input.Marker, input.MaxItems));
  }

  /**
   * IAM API reference, ListRoles: the roles whose path starts with `PathPrefix` (default `/`),
   * paged by Marker/MaxItems (default 100, at most 1,000) with IsTruncated. A listing returns a
   * subset of each role: no PermissionsBoundary, RoleLastUsed or Tags ("IAM resource-listing
   * operations return a subset of the available attributes"). Order: by name, case-insensitively
   * (inferred: the reference promises none).
   */
  listRoles(input: ListRolesRequest): ListRolesResponse {
    return this.call('ListRoles', input, () => {
      const prefix = validatePathPrefix(input.PathPrefix);
      const { items, marker } = page(sorted(this.roles).filter((p) => p.path.startsWith(prefix)), input.Marker, input.MaxItems);
      return { Roles: items.map((p) => withoutTags(toRole(p))), IsTruncated: marker !== undefined, ...(marker !== undefined ? { Marker: marker } : {}) };
    });
  }

  // ----- users -----

  createUser(input: CreateUserRequest): CreateUserResponse {
    return this.call('CreateUser', input, () => {
      const name = validateName(input.UserName, 'userName', 64);
      const path = validatePath(input.Path);
      const tags = validateTagList(input.Tags ?? [], 'tags');
      if (this.users.has(key(name))) throw iamErrors.entityAlreadyExists(`User with name ${name} already exists.`);
      const user: Principal = {
        kind: 'user',
        name,
        path,
        arn: `arn:aws:iam::${this.accountId}:user${path}${name}`,
        id: this.mintId('AIDA'),
        createDate: this.now(),
        tags,
      };
      this.users.set(key(user.name), user);
      return { User: toUser(user) };
    });
  }

  getUser(input: GetUserRequest): GetUserResponse {
    // Without UserName, real IAM answers for the caller; the model has no caller identity.
    if (input.UserName === undefined) throw new Error('IamModel.getUser: UserName is required by the model');
    const name = input.UserName;
    return this.call('GetUser', input, () => ({ User: toUser(this.user(name)) }));
  }

  deleteUser(input: DeleteUserRequest): Record<string, never> {
    return this.call('DeleteUser', input, () => {
      this.users.delete(key(this.user(input.UserName).name));
      return {};
    });
  }

  tagUser(input: TagUserRequest): Record<string, never> {
    return this.call('TagUser', input, () => {
      const tags = validateTagList(input.Tags ?? [], 'tags');
      mergeTags(this.user(input.UserName), tags, 'TagsPerUser');
      return {};
    });
  }

  untagUser(input: UntagUserRequest): Record<string, never> {
    return this.call('UntagUser', input, () => {
      const keys = validateTagKeys(input.TagKeys ?? []);
      removeTags(this.user(input.UserName), keys);
      return {};
    });
  }

  listUserTags(input: ListUserTagsRequest): ListUserTagsResponse {
    return this.call('ListUserTags', input, () => pageTags(this.user(input.UserName), input.Marker, input.MaxItems));
  }

  /**
   * IAM API reference, ListUsers: as ListRoles, for users; a listed user has no
   * PermissionsBoundary or Tags.
   */
  listUsers(input: ListUsersRequest): ListUsersResponse {
    return this.call('ListUsers', input, () => {
      const prefix = validatePathPrefix(input.PathPrefix);
      const { items, marker } = page(sorted(this.users).filter((p) => p.path.startsWith(prefix)), input.Marker, input.MaxItems);
      return { Users: items.map((p) => withoutTags(toUser(p))), IsTruncated: marker !== undefined, ...(marker !== undefined ? { Marker: marker } : {}) };
    });
  }

  // ----- account -----

  /**
   * Users, then roles (groups and policies are not modelled and always come back empty),
   * paginated across the combined list as IAM does: MaxItems counts entities of all kinds.
   */
  getAccountAuthorizationDetails(input: GetAccountAuthorizationDetailsRequest): GetAccountAuthorizationDetailsResponse {
    return this.call('GetAccountAuthorizationDetails', input, () => {
      const filter: EntityType[] = input.Filter?.length ? input.Filter : ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'];
      const all: Principal[] = [
        ...(filter.includes('User') ? sorted(this.users) : []),
        ...(filter.includes('Role') ? sorted(this.roles) : []),
      ];
      const { items, marker } = page(all, input.Marker, input.MaxItems);
      return {
        UserDetailList: items.filter((p) => p.kind === 'user').map(toUserDetail),
        GroupDetailList: [],
        RoleDetailList: items.filter((p) => p.kind === 'role').map(toRoleDetail),
        Policies: [],
        IsTruncated: marker !== undefined,
        ...(marker !== undefined ? { Marker: marker } : {}),
      };
    });
  }

  /**
   * Records a write that failed before it reached the model — throttled or failed on purpose by
   * the HTTP sandbox's fault knobs — so write listeners (CloudTrail) see it as they see any
   * failed call: the request, no response, the error code. Reads and unknown operations are
   * not recorded, as for calls the model serves itself.
   */
  recordFailedWrite(operation: string, input: object, errorCode: string, errorMessage: string): void {
    if (!WRITE_OPERATIONS.has(operation)) return;
    this.emit({ eventName: operation, requestParameters: cloudTrailShape(input) as Record<string, unknown>, responseElements: null, errorCode, errorMessage });
  }

  // ----- model-side queries (no API equivalent; used to wire EKS to IAM) -----

  /** True when a role or user with exactly this ARN (path included) exists now. */
  principalExists(arn: string): boolean {
    return this.findByArn(arn) !== undefined;
  }

  /** The current unique ID (AROA…/AIDA…) of the principal with this ARN. */
  principalId(arn: string): string | undefined {
    return this.findByArn(arn)?.id;
  }

  /**
   * The current RoleId of the role with this name, whatever its path: an STS assumed-role ARN
   * names the role without its path (`assumed-role/<name>/<session>`), and names are unique.
   */
  roleIdByName(name: string): string | undefined {
    return this.roles.get(key(name))?.id;
  }

  /** The role with this name, as STS needs it; undefined when there is none. */
  sessionRole(name: string): SessionRole | undefined {
    const r = this.roles.get(key(name));
    if (!r) return undefined;
    return {
      name: r.name,
      path: r.path,
      arn: r.arn,
      id: r.id,
      ...(r.assumeRolePolicyDocument !== undefined ? { assumeRolePolicyDocument: r.assumeRolePolicyDocument } : {}),
      maxSessionDuration: r.maxSessionDuration ?? 3600,
      policies: structuredClone(r.policies ?? []),
    };
  }

  /**
   * Gives the sandbox the identity policies of a role outside the deployed app (a seeded role),
   * which its sessions are held to. IAM's own policy APIs are not modelled; this has no API
   * equivalent. The policies go with the role: a role deleted and created again has none.
   */
  setRolePolicies(name: string, policies: RolePolicy[]): void {
    this.role(name).policies = structuredClone(policies);
  }

  /**
   * Runs `fn` with its writes recorded as made by `caller` (an AWS service acting in the
   * account, e.g. IAM Identity Center creating a permission set's role), not by the operator.
   */
  asCaller<T>(caller: WriteCaller, fn: () => T): T {
    const before = this.caller;
    this.caller = caller;
    try {
      return fn();
    } finally {
      this.caller = before;
    }
  }

  // ----- internals -----

  private findByArn(arn: string): Principal | undefined {
    for (const p of [...this.roles.values(), ...this.users.values()]) if (p.arn === arn) return p;
    return undefined;
  }

  private role(name: string | undefined): Principal {
    const role = name === undefined ? undefined : this.roles.get(key(name));
    if (!role) throw iamErrors.noSuchEntity(`The role with name ${name} cannot be found.`);
    return role;
  }

  private user(name: string | undefined): Principal {
    const user = name === undefined ? undefined : this.users.get(key(name));
    if (!user) throw iamErrors.noSuchEntity(`The user with name ${name} cannot be found.`);
    return user;
  }

  private mintId(prefix: 'AROA' | 'AIDA'): string {
    // Unique IDs are 21 characters: a 4-letter type prefix and 17 upper-case base32 characters.
    for (;;) {
      let id = prefix;
      for (let i = 0; i < 17; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
      if (!this.issuedIds.has(id)) {
        this.issuedIds.add(id);
        return id;
      }
    }
  }

  private call<I extends object, O extends object>(operation: string, input: I, fn: () => O): O {
    count(this.calls, operation);
    const isWrite = WRITE_OPERATIONS.has(operation);
    try {
      const output = fn();
      if (isWrite) {
        const response = Object.keys(output).length ? (cloudTrailShape(output) as Record<string, unknown>) : null;
        this.emit({ eventName: operation, requestParameters: cloudTrailShape(input) as Record<string, unknown>, responseElements: response });
      }
      return structuredClone(output);
    } catch (error) {
      if (isWrite) {
        const e = error as Error;
        this.emit({
          eventName: operation,
          requestParameters: cloudTrailShape(input) as Record<string, unknown>,
          responseElements: null,
          errorCode: e.name,
          errorMessage: e.message,
        });
      }
      throw error;
    }
  }

  private emit(event: IamWriteEvent): void {
    if (this.caller && event.caller === undefined) event.caller = structuredClone(this.caller);
    for (const listener of [...this.listeners]) listener(structuredClone(event));
  }
}

// ----- validation -----

function key(name: string): string {
  return name.toLowerCase();
}

function validateName(name: string | undefined, field: string, max: number): string {
  if (name === undefined || name.length < 1 || name.length > max) {
    throw iamErrors.validation(constraintMessage(name, field, `Member must have length less than or equal to ${max}`));
  }
  if (!NAME_PATTERN.test(name)) {
    throw iamErrors.validation(constraintMessage(name, field, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+'));
  }
  return name;
}

function validatePathPrefix(prefix: string | undefined): string {
  const p = prefix ?? '/';
  if (p.length > 512 || !PATH_PREFIX_PATTERN.test(p)) {
    throw iamErrors.validation(constraintMessage(p, 'pathPrefix', 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*'));
  }
  return p;
}

function validatePath(path: string | undefined): string {
  const p = path ?? '/';
  if (p.length > 512 || !PATH_PATTERN.test(p)) {
    throw iamErrors.validation(
      constraintMessage(p, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)'),
    );
  }
  return p;
}

/**
 * Checks one request's tags. Syntax errors are `ValidationError` (see errors.ts); keys that repeat
 * in any case are `InvalidInput` with IAM's own wording (seen in kubernetes/kops#11727 and
 * github-aws-runners/terraform-aws-github-runner#1346).
 */
function validateTagList(tags: Tag[], field: string): Tag[] {
  if (tags.length > MAX_TAGS) {
    throw iamErrors.validation(constraintMessage(tags.map((t) => `${t.Key}=${t.Value}`), field, `Member must have length less than or equal to ${MAX_TAGS}`));
  }
  const seen = new Set<string>();
  tags.forEach((tag, i) => {
    const k = tag.Key ?? '';
    const v = tag.Value ?? '';
    const at = `${field}.${i + 1}.member`;
    if (k.length < 1 || k.length > 128) {
      throw iamErrors.validation(constraintMessage(k, `${at}.key`, 'Member must have length less than or equal to 128'));
    }
    if (!TAG_KEY_PATTERN.test(k)) {
      throw iamErrors.validation(constraintMessage(k, `${at}.key`, `Member must satisfy regular expression pattern: ${TAG_KEY_PATTERN_TEXT}`));
    }
    if (v.length > 256) {
      throw iamErrors.validation(constraintMessage(v, `${at}.value`, 'Member must have length less than or equal to 256'));
    }
    // Commas (and anything else outside the pattern) are rejected here: why the tag contract
    // separates lists with spaces.
    if (!TAG_VALUE_PATTERN.test(v)) {
      throw iamErrors.validation(constraintMessage(v, `${at}.value`, `Member must satisfy regular expression pattern: ${TAG_VALUE_PATTERN_TEXT}`));
    }
    // The IAM user guide reserves the aws: prefix; the exact error IAM returns is unverified.
    if (k.toLowerCase().startsWith('aws:')) {
      throw iamErrors.invalidInput('User-defined tag keys cannot begin with the reserved prefix aws:.');
    }
    if (seen.has(k.toLowerCase())) {
      throw iamErrors.invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    }
    seen.add(k.toLowerCase());
  });
  return tags.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

/**
 * TagRole/TagUser semantics for roles and users: keys match without regard to case and a tag
 * with a matching key replaces the old one — key spelling included. The IAM user guide
 * (id_tags.md, "Case sensitivity") says the new tag replaces the first; aws/aws-cdk#26253 shows
 * it live: tagging `Test=1` then `test=1` leaves only `test`.
 */
function mergeTags(p: Principal, tags: Tag[], quota: string): void {
  const merged = [...p.tags];
  for (const tag of tags) {
    const i = merged.findIndex((t) => key(t.Key ?? '') === key(tag.Key ?? ''));
    if (i >= 0) merged[i] = tag;
    else merged.push(tag);
  }
  if (merged.length > MAX_TAGS) {
    // Wording follows IAM's other quota errors ("Cannot exceed quota for PoliciesPerRole: 10");
    // the code (LimitExceeded) is IAM's documented error for TagRole/TagUser.
    throw iamErrors.limitExceeded(`Cannot exceed quota for ${quota}: ${MAX_TAGS}`);
  }
  p.tags = merged;
}

function validateTagKeys(list: string[]): string[] {
  if (list.length > MAX_TAGS) {
    throw iamErrors.validation(constraintMessage(list, 'tagKeys', `Member must have length less than or equal to ${MAX_TAGS}`));
  }
  list.forEach((k, i) => {
    if (k.length < 1 || k.length > 128 || !TAG_KEY_PATTERN.test(k)) {
      throw iamErrors.validation(constraintMessage(k, `tagKeys.${i + 1}.member`, `Member must satisfy regular expression pattern: ${TAG_KEY_PATTERN_TEXT}`));
    }
  });
  return list;
}

function removeTags(p: Principal, list: string[]): void {
  // Removing a key that is not there is not an error.
  const drop = new Set(list.map(key));
  p.tags = p.tags.filter((t) => !drop.has(key(t.Key ?? '')));
}

// ----- pagination -----

function page<T>(all: T[], marker: string | undefined, maxItems: number | undefined): { items: T[]; marker?: string } {
  const max = maxItems ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw iamErrors.validation(constraintMessage(max, 'maxItems', 'Member must have value less than or equal to 1000'));
  }
  let start = 0;
  if (marker !== undefined) {
    const decoded = decodeToken(marker);
    if (decoded === undefined) throw iamErrors.invalidInput('Invalid Marker.');
    start = decoded;
  }
  const items = all.slice(start, start + max);
  const next = start + max < all.length ? encodeToken(start + max) : undefined;
  return next === undefined ? { items } : { items, marker: next };
}

function pageTags(p: Principal, marker: string | undefined, maxItems: number | undefined): ListRoleTagsResponse {
  const { items, marker: next } = page(p.tags, marker, maxItems);
  return { Tags: items, IsTruncated: next !== undefined, ...(next !== undefined ? { Marker: next } : {}) };
}

function sorted(map: Map<string, Principal>): Principal[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

// ----- output shapes -----

// The query protocol omits empty lists, so the SDK yields `Tags: undefined` for an untagged
// role; the model does the same so callers handle the absent case.
function tagsField(p: Principal): { Tags?: Tag[] } {
  return p.tags.length ? { Tags: p.tags.map((t) => ({ ...t })) } : {};
}

function withoutTags<T extends { Tags?: Tag[] }>(entity: T): T {
  const listed = { ...entity };
  delete listed.Tags;
  return listed;
}

function toRole(p: Principal): Role {
  return {
    Path: p.path,
    RoleName: p.name,
    RoleId: p.id,
    Arn: p.arn,
    CreateDate: p.createDate,
    // IAM returns the trust policy URL-encoded and the SDK does not decode it.
    ...(p.assumeRolePolicyDocument !== undefined ? { AssumeRolePolicyDocument: encodeURIComponent(p.assumeRolePolicyDocument) } : {}),
    ...(p.description !== undefined ? { Description: p.description } : {}),
    ...(p.maxSessionDuration !== undefined ? { MaxSessionDuration: p.maxSessionDuration } : {}),
    ...tagsField(p),
  };
}

function toUser(p: Principal): User {
  return { Path: p.path, UserName: p.name, UserId: p.id, Arn: p.arn, CreateDate: p.createDate, ...tagsField(p) };
}

function toRoleDetail(p: Principal): RoleDetail {
  return {
    Path: p.path,
    RoleName: p.name,
    RoleId: p.id,
    Arn: p.arn,
    CreateDate: p.createDate,
    ...(p.assumeRolePolicyDocument !== undefined ? { AssumeRolePolicyDocument: encodeURIComponent(p.assumeRolePolicyDocument) } : {}),
    InstanceProfileList: [],
    RolePolicyList: [],
    AttachedManagedPolicies: [],
    ...tagsField(p),
  };
}

function toUserDetail(p: Principal): UserDetail {
  return {
    Path: p.path,
    UserName: p.name,
    UserId: p.id,
    Arn: p.arn,
    CreateDate: p.createDate,
    UserPolicyList: [],
    GroupList: [],
    AttachedManagedPolicies: [],
    ...tagsField(p),
  };
}

/** CloudTrail records API shapes with lowerCamel keys and ISO dates. */
function cloudTrailShape(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(cloudTrailShape);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k.charAt(0).toLowerCase() + k.slice(1)] = cloudTrailShape(v);
    }
    return out;
  }
  return value;
}
