/**
 * EventBridge's event-pattern matching, shared by the sandbox's EventBridge model (which rule
 * matches an event) and its delivery (sandbox/eventbridge.ts).
 */
/** An EventBridge event pattern (JSON form, as in `PutRule`). */
export type EventPattern = { [field: string]: EventPattern | unknown[] };

/**
 * Whether an event matches a pattern, per the EventBridge user guide ("Event patterns",
 * "Content filtering"): every field named in the pattern must match; a list matches if any of
 * its entries matches; against an array in the event, a match of any element is enough.
 * Supported: exact values (strings, numbers, booleans, null), `{ exists: bool }`,
 * `{ prefix: string }` and `{ "anything-but": value | value[] }`. Any other operator throws
 * rather than silently not matching. No installed package matches EventBridge patterns, and
 * the npm candidates are whole emulators (serverless-offline plugins), not matchers; hence
 * this subset, which covers what `iamEventPattern()` uses with room to spare.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  for (const [field, rule] of Object.entries(pattern)) {
    const present = isRecord(event) && field in event;
    const value = isRecord(event) ? event[field] : undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((r) => matchesValue(r, present, value))) return false;
    } else if (isRecord(rule)) {
      if (!present || !matchesPattern(rule, value)) return false;
    } else {
      throw new Error(`event pattern field ${field}: expected a list or an object`);
    }
  }
  return true;
}

function matchesValue(rule: unknown, present: boolean, value: unknown): boolean {
  if (isRecord(rule)) {
    const [op, arg] = Object.entries(rule)[0] ?? [];
    switch (op) {
      case 'exists':
        return arg === present;
      case 'prefix':
        return present && anyOf(value, (v) => typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg));
      case 'anything-but': {
        const excluded = Array.isArray(arg) ? arg : [arg];
        return present && anyOf(value, (v) => !excluded.includes(v));
      }
      default:
        throw new Error(`event pattern operator ${String(op)} is not supported by the sandbox`);
    }
  }
  return present && anyOf(value, (v) => v === rule);
}

function anyOf(value: unknown, test: (v: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.some(test) : test(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
