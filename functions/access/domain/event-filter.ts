/**
 * The filter in front of the provisioner: the EventBridge pattern of the rule that feeds it, and
 * why an event does not match it, in words (for `explain-event`). Pure: plain input, no SDK.
 */
import { IDENTITY_CENTER_PATH_PREFIX } from '#kernel/identity-center';
import { DETAIL_TYPE, EVENT_SOURCE, HANDLED_EVENT_NAMES, isHandled, peek, SOURCE, type HandledEventName } from './events.ts';
import { isOwnTagKey, ownFixedTagKeys } from './tags.ts';

/** An EventBridge matcher for one tag key (EventBridge User Guide, "Comparison operators for use in event patterns"). */
export type TagKeyMatcher = { 'equals-ignore-case': string } | { prefix: { 'equals-ignore-case': string } };

export interface IamEventPattern {
  source: string[];
  'detail-type': string[];
  detail: {
    eventSource: string[];
    errorCode: [{ exists: false }];
    $or: Array<Record<string, unknown>>;
  };
}

/** The calls that always reach the provisioner: the event carries only the name, never the tags the principal had. */
const ALWAYS_DELIVERED: readonly HandledEventName[] = ['DeleteRole', 'DeleteUser', 'UpdateUser'];
/** The calls that carry the tags they set (`requestParameters.tags`, `[{key, value}]`). */
const TAG_SETTING: readonly HandledEventName[] = ['CreateRole', 'CreateUser', 'TagRole', 'TagUser'];
/** The calls that carry the keys they remove (`requestParameters.tagKeys`, strings). */
const TAG_REMOVING: readonly HandledEventName[] = ['UntagRole', 'UntagUser'];
/** Identity Center creates its roles itself (sandbox/model/identity-center.ts cites the CloudTrail records). */
const IDENTITY_CENTER_CALLER = 'sso.amazonaws.com';

/**
 * One matcher per key the tag contract reads (tags.ts, ownFixedTagKeys and isOwnTagKey): the fixed keys compared
 * ignoring case, as IAM compares tag keys, and any `<prefix>/…` per-cluster key in any spelling
 * (a misspelt one is still ours: the handler refuses it and says why). Case-insensitive equality
 * and prefix are both EventBridge operators ("Equals (ignore case)", "Begins with (ignore case)").
 */
export function accessTagKeyMatchers(tagPrefix: string): TagKeyMatcher[] {
  return [...ownFixedTagKeys(tagPrefix).map((k) => ({ 'equals-ignore-case': k })), { prefix: { 'equals-ignore-case': `${tagPrefix}/` } }];
}

/**
 * The EventBridge pattern of the rule that feeds the provisioner, in EventBridge's own JSON
 * form (`detail-type`, not CDK's `detailType`): the one definition the CDK app deploys, the
 * sandbox delivers by, doctor compares with and `explain-event` evaluates. EventBridge applies it
 * before any invocation, at no cost, so an IAM call that cannot change access never wakes the
 * provisioner (issue 14: with 30 clusters an unrelated CreateRole used to cost ~60 EKS reads):
 *  - DeleteRole, DeleteUser, UpdateUser: always (a stale entry must go; the event says nothing
 *    about tags);
 *  - CreateRole, CreateUser, TagRole, TagUser: only when `requestParameters.tags` has an access
 *    key. CloudTrail records tags as an array of `{key, value}` objects; a nested pattern on an array of objects matches when
 *    one element matches (Event Ruler README, "JSON Array Matching": `{ "employees": {
 *    "firstName": [ "Anna" ] } }` matches an array of employee objects). That behaviour is
 *    documented for Event Ruler, AWS's open-source matcher, not in the EventBridge user guide:
 *    listed as unverified in docs/architecture.md; the resync grants what such an event would have;
 *  - UntagRole, UntagUser: only when `requestParameters.tagKeys` (strings) has an access key
 *    ("If the value in the event is an array, then the event pattern matches if the intersection
 *    … is non-empty": EventBridge User Guide, "Arrays in Amazon EventBridge event patterns");
 *  - CreateRole by Identity Center (its path, or `invokedBy` sso.amazonaws.com): the role carries
 *    no tags, its access comes from the permission set's.
 * Each branch is a `$or` alternative ("Or": `"$or": [ { "Location": [ "New York" ] }, { "Day":
 * [ "Monday" ] } ]`). Failed calls never pass (`errorCode` absent); `interpretEvent` checks
 * again because an event can also arrive by hand (CLI, local invoke, console test). Its size stays
 * under EventBridge's 2,048-character pattern quota for any valid prefix (tested).
 */
export function iamEventPattern(tagPrefix: string): IamEventPattern {
  const keys = () => accessTagKeyMatchers(tagPrefix);
  return {
    source: [SOURCE],
    'detail-type': [DETAIL_TYPE],
    detail: {
      eventSource: [EVENT_SOURCE],
      errorCode: [{ exists: false }],
      $or: [
        { eventName: [...ALWAYS_DELIVERED] },
        { eventName: [...TAG_SETTING], requestParameters: { tags: { key: keys() } } },
        { eventName: [...TAG_REMOVING], requestParameters: { tagKeys: keys() } },
        { eventName: ['CreateRole'], requestParameters: { path: [{ prefix: IDENTITY_CENTER_PATH_PREFIX }] } },
        { eventName: ['CreateRole'], userIdentity: { invokedBy: [IDENTITY_CENTER_CALLER] } },
      ],
    },
  };
}

/**
 * Why the rule does not deliver an event, in words, for `explain-event`; undefined when it does.
 * It restates `iamEventPattern()` clause by clause; a test checks that the two agree on every
 * sample event and on generated ones, through the sandbox's matcher.
 */
export function ruleDropReason(raw: unknown, tagPrefix: string): string | undefined {
  const source = peek(raw, 'source');
  if (source !== SOURCE) return `it comes from ${source ?? 'no source'}, not ${SOURCE}`;
  const detailType = peek(raw, 'detail-type');
  if (detailType !== DETAIL_TYPE) return `it is a "${detailType ?? 'no detail-type'}", not an "${DETAIL_TYPE}"`;
  const detail = isRecord(raw) ? raw.detail : undefined;
  const eventSource = peek(detail, 'eventSource');
  if (eventSource !== EVENT_SOURCE) return `the call was made to ${eventSource ?? 'no service'}, not ${EVENT_SOURCE}`;
  const errorCode = leaves(isRecord(detail) ? detail.errorCode : undefined);
  if (errorCode.length) return `the IAM call failed (${errorCode.map(String).join(', ')}); nothing changed`;
  const eventName = peek(detail, 'eventName') ?? '';
  if (!isHandled(eventName)) return `${eventName || 'the call'} is not one of the IAM calls that can change access (${HANDLED_EVENT_NAMES.join(', ')})`;
  if (ALWAYS_DELIVERED.includes(eventName)) return undefined;
  const params = isRecord(detail) && isRecord(detail.requestParameters) ? detail.requestParameters : {};
  const own = (k: unknown) => typeof k === 'string' && isOwnTagKey(k, tagPrefix);
  if (TAG_REMOVING.includes(eventName)) {
    return leaves(params.tagKeys).some(own) ? undefined : `${eventName} removed no ${tagPrefix} tag key (${keyList(leaves(params.tagKeys))})`;
  }
  const keys = objects(params.tags).map((t) => t.key);
  if (keys.some(own)) return undefined;
  if (eventName === 'CreateRole') {
    const path = peek(params, 'path');
    if (path?.startsWith(IDENTITY_CENTER_PATH_PREFIX)) return undefined;
    if (leaves(isRecord(detail) && isRecord(detail.userIdentity) ? detail.userIdentity.invokedBy : undefined).includes(IDENTITY_CENTER_CALLER)) return undefined;
  }
  return `${eventName} set no ${tagPrefix} tag key (${keyList(keys)}); a ${eventName.endsWith('User') ? 'user' : 'role'} without one has no access to grant`;
}

function keyList(keys: unknown[]): string {
  const named = keys.filter((k): k is string => typeof k === 'string');
  return named.length ? `keys: ${named.join(', ')}` : 'no tag keys';
}

/** Scalars at a field (the matcher's leaves): one value or the scalars of an array. */
function leaves(v: unknown): unknown[] {
  if (v === undefined || isRecord(v)) return [];
  return Array.isArray(v) ? v.flatMap(leaves) : [v];
}
function objects(v: unknown): Record<string, unknown>[] {
  if (isRecord(v)) return [v];
  return Array.isArray(v) ? v.flatMap(objects) : [];
}
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
