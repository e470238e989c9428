// Which events a trail's event selectors select (CloudTrail API reference, EventSelector and
// AdvancedEventSelector), for the management events the sandbox records: IAM's calls.
import type { AdvancedEventSelector, AdvancedFieldSelector, EventSelector } from '@aws-sdk/client-cloudtrail';

/** An API call as CloudTrail sees it when deciding which trails record it. */
export interface RecordedCall {
  /** Where the event is recorded: IAM's global events land in us-east-1 (aws partition). */
  region: string;
  eventSource: string;
  eventName: string;
  readOnly: boolean;
  /** A global service's event (IAM, STS, CloudFront): recorded only by trails that include them. */
  global: boolean;
}

/**
 * A basic selector selects a management event when it includes management events, its
 * ReadWriteType covers the call, and the call's source is not excluded (CloudTrail API reference,
 * EventSelector).
 */
export function basicSelects(s: EventSelector, call: RecordedCall): boolean {
  if (s.IncludeManagementEvents === false) return false;
  const rw = s.ReadWriteType ?? 'All';
  if (rw === 'ReadOnly' && !call.readOnly) return false;
  if (rw === 'WriteOnly' && call.readOnly) return false;
  return !(s.ExcludeManagementEventSources ?? []).includes(call.eventSource);
}

/**
 * An advanced selector selects an event when every field selector matches it; a field selector
 * matches when each of its operators holds (CloudTrail API reference, AdvancedFieldSelector:
 * Equals, StartsWith and EndsWith include on any value; NotEquals, NotStartsWith and NotEndsWith
 * exclude on any value). The fields a management event has: eventCategory, readOnly,
 * eventSource, eventName. A selector on any other field (resources.type …) selects data events,
 * never a management event.
 */
export function advancedSelects(s: AdvancedEventSelector, call: RecordedCall): boolean {
  const fields: Record<string, string> = { eventCategory: 'Management', readOnly: String(call.readOnly), eventSource: call.eventSource, eventName: call.eventName };
  return (s.FieldSelectors ?? []).every((f: AdvancedFieldSelector) => {
    const value = fields[f.Field ?? ''];
    if (value === undefined) return false;
    const any = (list: string[] | undefined, test: (x: string) => boolean) => list === undefined || list.some(test);
    const none = (list: string[] | undefined, test: (x: string) => boolean) => list === undefined || !list.some(test);
    return (
      any(f.Equals, (x) => x === value) &&
      any(f.StartsWith, (x) => value.startsWith(x)) &&
      any(f.EndsWith, (x) => value.endsWith(x)) &&
      none(f.NotEquals, (x) => x === value) &&
      none(f.NotStartsWith, (x) => value.startsWith(x)) &&
      none(f.NotEndsWith, (x) => value.endsWith(x))
    );
  });
}
