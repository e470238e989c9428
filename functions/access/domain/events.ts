/**
 * What an IAM CloudTrail event, delivered by EventBridge, asks the provisioner to do.
 * Pure: plain input, no SDK.
 *
 * An event is only a hint (docs/architecture.md, "Where the work happens"): delivery is best effort, unordered and at least
 * once, `TagRole` carries only the changed keys and `DeleteRole` only the name. So the
 * answer is never "grant X" but "re-read this principal's current tags and converge" — or
 * "ignore", when the event provably cannot have changed anything we manage.
 */
import * as z from '#kernel/zod-mini';
import { isOwnTagKey } from './tags.ts';
import { formatIssues } from '#kernel/config';
import { MalformedEventError } from '#access/domain/errors';

/** The IAM calls that can change whether a principal exists or carries one of our tags. */
export const HANDLED_EVENT_NAMES = [
  'CreateRole',
  'CreateUser',
  'TagRole',
  'UntagRole',
  'TagUser',
  'UntagUser',
  'DeleteRole',
  'DeleteUser',
  // A new name or path changes the user's ARN (IAM API Reference, UpdateUser: "NewUserName",
  // "NewPath"), and access entries are keyed by ARN: the old one's entry must go, the new one
  // is granted what its tags say.
  'UpdateUser',
] as const;
export type HandledEventName = (typeof HANDLED_EVENT_NAMES)[number];

export const DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const SOURCE = 'aws.iam';
// CloudTrail's name for IAM, not a host: the same in the China Regions (EventBridge events
// reference, "Amazon Identity and Access Management events", docs.amazonaws.cn).
export const EVENT_SOURCE = 'iam.amazonaws.com';

export interface EventPrincipal {
  kind: 'role' | 'user';
  name: string;
  /**
   * The account whose IAM the call changed: CloudTrail's `recipientAccountId`, else the
   * EventBridge envelope's `account`. Not `userIdentity.accountId`, which is the caller's
   * account and differs for a cross-account caller (CloudTrail User Guide, "CloudTrail record
   * contents": recipientAccountId "may be different from the userIdentity accountId").
   */
  account: string;
  /** Only when the event carries it (CreateRole/CreateUser responses); never guessed from the name. */
  arn?: string;
}

export interface EventHint {
  action: 'reconcile' | 'ignore';
  /** The principal the call names (for UpdateUser, the user as named before the call). Null only when the event names no role or user. */
  principal: EventPrincipal | null;
  /**
   * Every principal whose access the call may have changed; the handler reconciles each. One
   * call names one principal, except an UpdateUser that renames or moves the user: its ARN
   * changes, so both the old name and the new one are listed. Empty for `ignore`.
   */
  principals: EventPrincipal[];
  reason: string;
  eventName: string;
}

// ---------------------------------------------------------------------------------------
// Schemas. Messages are short and say what was expected, so that with the path prepended
// (`detail.requestParameters.roleName: expected a string, got a number`) a person can fix
// the event. Objects are loose: CloudTrail adds fields over time (tlsDetails, …).

function kindOf(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  const t = typeof input;
  return t === 'object' ? 'an object' : `a ${t}`;
}

function expected(what: string) {
  return (issue: { code?: string; input?: unknown }) =>
    issue.code === 'invalid_type' ? `expected ${what}, got ${kindOf(issue.input)}` : undefined;
}

const str = () => z.string({ error: expected('a string') });
const nonEmpty = () => str().check(z.minLength(1, 'must not be empty'));
function obj<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.looseObject(shape, { error: expected('an object') });
}
function arr<T extends z.core.SomeType>(item: T) {
  return z.array(item, { error: expected('an array') });
}

/** The EventBridge envelope: every event EventBridge delivers has these fields. */
const EnvelopeSchema = obj({
  version: z.optional(str()),
  id: str(),
  'detail-type': str(),
  source: str(),
  account: str(),
  time: str(),
  region: str(),
  resources: z.optional(arr(z.unknown())),
  detail: obj({}),
});

/** The CloudTrail fields every IAM API call record has, and that decide what happens next. */
const CloudTrailSchema = obj({
  detail: obj({
    eventSource: str(),
    eventName: str(),
    errorCode: z.optional(str()),
    errorMessage: z.optional(str()),
  }),
});

// CloudTrail writes IAM tags with lowercase `key`/`value` (the API uses `Key`/`Value`).
const TagSchema = obj({ key: str(), value: str() });

const roleName = nonEmpty();
const userName = nonEmpty();

/** Wraps what a call needs from `detail`, so issue paths start at the event root. */
function callSchema<R extends z.core.$ZodLooseShape, P extends z.core.SomeType>(requestParameters: R, responseElements: P) {
  return obj({ detail: obj({ requestParameters: obj(requestParameters), responseElements }) });
}

// Only creates carry a response worth reading. CloudTrail can leave responseElements out
// (e.g. when they are too large), so even a successful create may come without the ARN.
const notRead = z.unknown();
const CreateRoleSchema = callSchema(
  { roleName },
  z.nullish(obj({ role: z.optional(obj({ roleName: nonEmpty(), path: str(), arn: nonEmpty() })) })),
);
const CreateUserSchema = callSchema(
  { userName },
  z.nullish(obj({ user: z.optional(obj({ userName: nonEmpty(), path: str(), arn: nonEmpty() })) })),
);
const TagRoleSchema = callSchema({ roleName, tags: arr(TagSchema) }, notRead);
const TagUserSchema = callSchema({ userName, tags: arr(TagSchema) }, notRead);
const UntagRoleSchema = callSchema({ roleName, tagKeys: arr(str()) }, notRead);
const UntagUserSchema = callSchema({ userName, tagKeys: arr(str()) }, notRead);
const DeleteRoleSchema = callSchema({ roleName }, notRead);
const DeleteUserSchema = callSchema({ userName }, notRead);
// CloudTrail records UpdateUser's request as the API takes it (IAM API Reference, UpdateUser:
// UserName required; NewUserName and NewPath optional), in camelCase like every IAM record.
const UpdateUserSchema = callSchema({ userName, newUserName: z.optional(nonEmpty()), newPath: z.optional(str()) }, notRead);

function parse<S extends z.ZodMiniType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new MalformedEventError(formatIssues(r.error).split('\n').join('; '), { cause: r.error });
  return r.data;
}
// ---------------------------------------------------------------------------------------

export function isHandled(name: string): name is HandledEventName {
  return (HANDLED_EVENT_NAMES as readonly string[]).includes(name);
}

/**
 * Service-linked roles are owned by an AWS service and are never given access (docs/architecture.md, "Safety invariants" 3,
 * hands off). Their path is `/aws-service-role/<service>/`, but only create responses
 * carry the path; Tag/Untag/DeleteRole events carry only the name, so the name prefix AWS
 * gives them (`AWSServiceRoleFor…`) is checked as well.
 */
function isServiceLinkedRole(principal: EventPrincipal | null, path: string | undefined): boolean {
  if (principal?.kind !== 'role') return false;
  return (path?.startsWith('/aws-service-role/') ?? false) || principal.name.startsWith('AWSServiceRoleFor');
}

/** Reads a string at `o.k1.k2…` without trusting any shape (events we do not handle are not validated). */
export function peek(o: unknown, ...keys: string[]): string | undefined {
  let cur = o;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'string' && cur !== '' ? cur : undefined;
}

/** Best-effort principal of an event we will not act on, for the explanation only. */
function peekPrincipal(detail: unknown, account: string): { principal: EventPrincipal | null; path: string | undefined } {
  const role = peek(detail, 'responseElements', 'role', 'roleName') ?? peek(detail, 'requestParameters', 'roleName');
  if (role) {
    const arn = peek(detail, 'responseElements', 'role', 'arn');
    return { principal: { kind: 'role', name: role, account, ...(arn ? { arn } : {}) }, path: peek(detail, 'responseElements', 'role', 'path') };
  }
  const user = peek(detail, 'responseElements', 'user', 'userName') ?? peek(detail, 'requestParameters', 'userName');
  if (user) {
    const arn = peek(detail, 'responseElements', 'user', 'arn');
    return { principal: { kind: 'user', name: user, account, ...(arn ? { arn } : {}) }, path: undefined };
  }
  return { principal: null, path: undefined };
}

function label(p: EventPrincipal): string {
  return `${p.kind} ${p.name}`;
}

/**
 * Decides what the provisioner does with one EventBridge event.
 *
 * - A failed IAM call (`errorCode`), an event that is not an IAM CloudTrail call, an IAM call
 *   other than those in `HANDLED_EVENT_NAMES`, a service-linked role, and a Tag/Untag
 *   call that changed none of our keys (`<prefix>`, `<prefix>/…`, `<prefix>-namespaces`,
 *   `<prefix>-groups`, compared case-insensitively) → `ignore`.
 * - Everything else → `reconcile` the named principal (both names of a renamed user): the
 *   handler re-reads its current tags. The tag values in the event are never used.
 *
 * @throws MalformedEventError naming the field (`detail.requestParameters.roleName: …`) when
 *   the input is not an EventBridge event, or when a handled call lacks a field it needs.
 */
export function interpretEvent(raw: unknown, options: { tagPrefix: string }): EventHint {
  const envelope = parse(EnvelopeSchema, raw);
  const notOurs = (what: string): EventHint => ({
    action: 'ignore',
    principal: null,
    principals: [],
    reason: `${what}; the provisioner only handles IAM API calls recorded by CloudTrail`,
    eventName: peek(envelope.detail, 'eventName') ?? envelope['detail-type'],
  });
  if (envelope.source !== SOURCE) return notOurs(`the event comes from ${envelope.source}, not ${SOURCE}`);
  if (envelope['detail-type'] !== DETAIL_TYPE) return notOurs(`the event is a "${envelope['detail-type']}", not an "${DETAIL_TYPE}"`);

  const { detail } = parse(CloudTrailSchema, raw);
  const { eventName } = detail;
  const account = peek(detail, 'recipientAccountId') ?? envelope.account;
  if (detail.eventSource !== EVENT_SOURCE) return notOurs(`the call was made to ${detail.eventSource}, not ${EVENT_SOURCE}`);

  // Failed calls are recorded too, with the request as sent; nothing changed in IAM.
  if (detail.errorCode !== undefined) {
    return {
      action: 'ignore',
      principal: peekPrincipal(detail, account).principal,
      principals: [],
      reason: `the IAM call failed (${detail.errorCode}); nothing changed`,
      eventName,
    };
  }

  if (!isHandled(eventName)) {
    const { principal, path } = peekPrincipal(detail, account);
    const slr = isServiceLinkedRole(principal, path);
    return {
      action: 'ignore',
      principal,
      principals: [],
      reason:
        `${eventName} is not one of the IAM calls that can change a principal's ${options.tagPrefix} tags` +
        ` (${HANDLED_EVENT_NAMES.join(', ')})` +
        (slr ? `; besides, ${principal!.name} is a service-linked role, which is never given access` : ''),
      eventName,
    };
  }

  const { principal, path, changedKeys, renamedTo } = readCall(eventName, raw, account);

  if (isServiceLinkedRole(principal, path)) {
    return { action: 'ignore', principal, principals: [], reason: `${principal.name} is a service-linked role, which is never given access`, eventName };
  }

  // IAM tag keys are case-insensitive (docs/architecture.md, "The tag contract"): `EKS-Access` overwrites `eks-access`.
  // A per-cluster key in another spelling than the prefix's (`EKS-ACCESS/prod`) is ours too:
  // setting it makes the principal's tags invalid, removing it may make them valid again, so
  // either is reconciled (tags.ts, isOwnTagKey).
  if (changedKeys && !changedKeys.some((k) => isOwnTagKey(k, options.tagPrefix))) {
    return {
      action: 'ignore',
      principal,
      principals: [],
      reason: `no ${options.tagPrefix} tag changed (${eventName} of ${changedKeys.join(', ') || 'no keys'})`,
      eventName,
    };
  }

  const principals = renamedTo ? [principal, renamedTo] : [principal];
  return { action: 'reconcile', principal, principals, reason: reconcileReason(eventName, principal, renamedTo), eventName };
}

interface CallFacts {
  principal: EventPrincipal;
  /** Path of a created role, from the response; no other event carries it. */
  path?: string | undefined;
  /** Tag keys a Tag/Untag call changed; undefined for other calls. */
  changedKeys?: string[];
  /** The user under its new name, when an UpdateUser changed its name or path (its ARN). */
  renamedTo?: EventPrincipal | undefined;
}

/** Validates the fields one handled call needs and reads them. */
function readCall(eventName: HandledEventName, raw: unknown, account: string): CallFacts {
  const role = (name: string, arn?: string): EventPrincipal => ({ kind: 'role', name, account, ...(arn ? { arn } : {}) });
  const user = (name: string, arn?: string): EventPrincipal => ({ kind: 'user', name, account, ...(arn ? { arn } : {}) });
  switch (eventName) {
    case 'CreateRole': {
      const d = parse(CreateRoleSchema, raw).detail;
      const created = d.responseElements?.role;
      return { principal: role(d.requestParameters.roleName, created?.arn), path: created?.path };
    }
    case 'CreateUser': {
      const d = parse(CreateUserSchema, raw).detail;
      return { principal: user(d.requestParameters.userName, d.responseElements?.user?.arn) };
    }
    case 'TagRole': {
      const r = parse(TagRoleSchema, raw).detail.requestParameters;
      return { principal: role(r.roleName), changedKeys: r.tags.map((t) => t.key) };
    }
    case 'TagUser': {
      const r = parse(TagUserSchema, raw).detail.requestParameters;
      return { principal: user(r.userName), changedKeys: r.tags.map((t) => t.key) };
    }
    case 'UntagRole': {
      const r = parse(UntagRoleSchema, raw).detail.requestParameters;
      return { principal: role(r.roleName), changedKeys: r.tagKeys };
    }
    case 'UntagUser': {
      const r = parse(UntagUserSchema, raw).detail.requestParameters;
      return { principal: user(r.userName), changedKeys: r.tagKeys };
    }
    case 'DeleteRole':
      return { principal: role(parse(DeleteRoleSchema, raw).detail.requestParameters.roleName) };
    case 'DeleteUser':
      return { principal: user(parse(DeleteUserSchema, raw).detail.requestParameters.userName) };
    case 'UpdateUser': {
      const r = parse(UpdateUserSchema, raw).detail.requestParameters;
      // Without a new name the user keeps its name; a new path alone still changes the ARN,
      // and re-reading the user by name finds it under the new one. The old ARN's entry, whose
      // path the event does not carry, is left to the resync, which removes an orphan by ARN.
      const newName = r.newUserName;
      return { principal: user(r.userName), ...(newName !== undefined && newName !== r.userName ? { renamedTo: user(newName) } : {}) };
    }
  }
}

function reconcileReason(eventName: HandledEventName, p: EventPrincipal, renamedTo: EventPrincipal | undefined): string {
  if (renamedTo) {
    return (
      `${eventName} renamed ${label(p)} to ${renamedTo.name}, which changes its ARN: the provisioner re-reads both names;` +
      ` the old one no longer exists, so the access entries it owns for it are removed, and the new one is granted what its tags say` +
      ` on every managed cluster`
    );
  }
  const hint = `${eventName} is only a hint: the provisioner re-reads the current tags of ${label(p)}`;
  if (eventName === 'UpdateUser') {
    return `${hint} and reconciles every managed cluster; an entry under the ARN of its old path, which the event does not carry, is removed by the resync`;
  }
  if (eventName === 'DeleteRole' || eventName === 'DeleteUser') {
    return `${hint} (a deleted ${p.kind} has none) and removes the access entries it owns for it on every managed cluster`;
  }
  // A delivered create is reconciled whatever its tags say now: a principal recreated under an old
  // name has a new unique ID, and an entry made for the old one no longer works until it is
  // replaced. (The rule delivers a create only with an access tag key, event-filter.ts; an untagged
  // re-create leaves the old entry to its DeleteRole event or the resync. That entry is bound to
  // the old ID, so it grants nobody anything meanwhile.)
  return `${hint} and reconciles every managed cluster; the tag values in the event are not used`;
}
