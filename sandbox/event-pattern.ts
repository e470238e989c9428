/**
 * EventBridge's event-pattern matching, shared by the sandbox's EventBridge model (which rule
 * matches an event), its delivery (sandbox/eventbridge.ts) and `explain-event` (which reports an
 * event the rule drops as "filtered by the rule").
 *
 * It models exactly the operators the provisioner rule (`iamEventPattern()`) uses, and throws on
 * any other, so a pattern can never silently match more (or less) here than on AWS. Each rule
 * below is contract-tested with the documentation's own example (test/sandbox/event-pattern.test.ts).
 * Sources: EventBridge User Guide, "Creating event patterns" and "Comparison operators for use in
 * event patterns" (the operator table); "Arrays in Amazon EventBridge event patterns"; and, for
 * arrays of objects, which the user guide does not describe, the README of Event Ruler
 * (github.com/aws/event-ruler, "JSON Array Matching"), AWS's open-source matching library.
 * No npm package matches EventBridge patterns on its own (the candidates are whole emulators);
 * hence this small one.
 */
/** An EventBridge event pattern (JSON form, as in `PutRule`). */
export type EventPattern = { [field: string]: EventPattern | unknown[] };

/**
 * Whether an event matches a pattern:
 *  - every field named in the pattern must match ("For an event pattern to match an event, the
 *    event must contain all the field names listed in the event pattern"), and `$or` holds when
 *    any of its (two or more) sub-patterns matches the same object;
 *  - a list of values matches if any entry matches; against an array in the event, any element
 *    is enough ("the event pattern matches if the intersection of the event pattern array and the
 *    event array is non-empty");
 *  - a nested pattern against an array of objects matches if one element matches all of it (Event
 *    Ruler: the array structure is "crushed out", but `rulesForJSONEvent()` "will refuse to
 *    recognize any match in which any two fields are within JSON objects that are in different
 *    elements of the same array").
 * @throws Error naming the path of an operator or shape this model does not implement.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  validate(pattern, '');
  return matchObject(pattern, event);
}

/** Leaf operators, each with the user guide's rule syntax. */
const OPERATORS = {
  // "Exists": `"ProductName": [ { "exists": true } ]`. "Exists matching only works on leaf nodes. It
  // does not work on intermediate nodes" (content filtering, "Exists matching").
  exists: (arg: unknown) => typeof arg === 'boolean',
  // "Begins with": `"Region": [ {"prefix": "us-" } ]`; "Begins with (ignore case)":
  // `{"service" : [{ "prefix": { "equals-ignore-case": "eventb" }}]}`.
  prefix: (arg: unknown) => typeof arg === 'string' || (isRecord(arg) && onlyKey(arg) === 'equals-ignore-case' && typeof arg['equals-ignore-case'] === 'string'),
  // "Equals (ignore case)": `"Name": [ { "equals-ignore-case": "alice" } ]`.
  'equals-ignore-case': (arg: unknown) => typeof arg === 'string',
} as const;

function validate(pattern: unknown, path: string): void {
  if (!isRecord(pattern)) throw new Error(`event pattern ${path || '(root)'}: expected an object`);
  for (const [field, rule] of Object.entries(pattern)) {
    const at = path ? `${path}.${field}` : field;
    if (field === '$or') {
      // Event Ruler recognises "$or" only with "2+ objects in the $or array"; anything else would
      // be a field literally named "$or" there, which no event of ours has: refused here.
      if (!Array.isArray(rule) || rule.length < 2 || !rule.every(isRecord)) throw new Error(`event pattern ${at}: expected a list of two or more patterns`);
      rule.forEach((sub, i) => validate(sub, `${at}[${i}]`));
    } else if (Array.isArray(rule)) {
      if (rule.length === 0) throw new Error(`event pattern ${at}: an empty list matches nothing`);
      for (const r of rule) {
        if (!isRecord(r)) {
          if (r !== null && !['string', 'number', 'boolean'].includes(typeof r)) throw new Error(`event pattern ${at}: unexpected value ${JSON.stringify(r)}`);
          continue;
        }
        const op = onlyKey(r);
        if (op === undefined || !(op in OPERATORS)) throw new Error(`event pattern operator ${Object.keys(r).join(', ') || '{}'} at ${at} is not modelled by the sandbox`);
        if (!OPERATORS[op as keyof typeof OPERATORS](r[op])) throw new Error(`event pattern ${at}: unsupported argument for ${op}: ${JSON.stringify(r[op])}`);
      }
    } else if (isRecord(rule)) {
      validate(rule, at);
    } else {
      throw new Error(`event pattern field ${at}: expected a list or an object`);
    }
  }
}

function matchObject(pattern: EventPattern, event: unknown): boolean {
  const record = isRecord(event) ? event : {};
  for (const [field, rule] of Object.entries(pattern)) {
    if (field === '$or') {
      if (!(rule as EventPattern[]).some((sub) => matchObject(sub, record))) return false;
    } else if (Array.isArray(rule)) {
      const leaves = leafValues(record[field]);
      if (!rule.some((r) => matchesLeaf(r, leaves))) return false;
    } else {
      // A nested pattern: one object (or one element of an array of objects) must match all of it.
      // With no object there, only a pattern of `exists: false` can still match (against nothing).
      const candidates = objectValues(record[field]);
      if (!(candidates.length ? candidates : [{}]).some((c) => matchObject(rule as EventPattern, c))) return false;
    }
  }
  return true;
}

function matchesLeaf(rule: unknown, leaves: unknown[]): boolean {
  if (!isRecord(rule)) return leaves.some((v) => v === rule);
  if ('exists' in rule) return rule.exists === leaves.length > 0;
  if ('equals-ignore-case' in rule) {
    const want = (rule['equals-ignore-case'] as string).toLowerCase();
    return leaves.some((v) => typeof v === 'string' && v.toLowerCase() === want);
  }
  const arg = rule.prefix as string | { 'equals-ignore-case': string };
  if (typeof arg === 'string') return leaves.some((v) => typeof v === 'string' && v.startsWith(arg));
  const want = arg['equals-ignore-case'].toLowerCase();
  return leaves.some((v) => typeof v === 'string' && v.toLowerCase().startsWith(want));
}

/** The leaf values at a field: a scalar (null included), or the scalars of an array (of arrays); objects are not leaves. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined || isRecord(value)) return [];
  return Array.isArray(value) ? value.flatMap(leafValues) : [value];
}

/** The objects at a field: one object, or the objects of an array (of arrays). */
function objectValues(value: unknown): Record<string, unknown>[] {
  if (isRecord(value)) return [value];
  return Array.isArray(value) ? value.flatMap(objectValues) : [];
}

function onlyKey(o: Record<string, unknown>): string | undefined {
  const keys = Object.keys(o);
  return keys.length === 1 ? keys[0] : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
