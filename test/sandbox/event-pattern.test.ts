/**
 * The sandbox's EventBridge matcher against the documentation: one contract per operator the
 * provisioner rule uses, each with the example the source gives (quoted), and a refusal of every
 * operator it does not model, so a pattern never matches more in the sandbox than on AWS.
 * Sources: EventBridge User Guide, "Creating event patterns", "Arrays in Amazon EventBridge event
 * patterns", "Content filtering in Amazon EventBridge event patterns" and "Comparison operators
 * for use in event patterns"; Event Ruler README (github.com/aws/event-ruler), "JSON Array
 * Matching" and "$or".
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, type EventPattern } from '#sandbox/event-pattern';

const match = (pattern: unknown, event: unknown) => matchesPattern(pattern as EventPattern, event);

describe('EventBridge pattern matching, as documented', () => {
  it('equals: "Name is \\"Alice\\"": "Name": [ "Alice" ]; a list matches any of its values ("aws.ec2" or "aws.fargate")', () => {
    expect(match({ Name: ['Alice'] }, { Name: 'Alice' })).toBe(true);
    expect(match({ Name: ['Alice'] }, { Name: 'alice' })).toBe(false); // "exact character-by-character matching"
    expect(match({ source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.fargate' })).toBe(true);
    expect(match({ source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.s3' })).toBe(false);
  });

  it('and: every field named must be in the event, with the same nesting ("Location": [ "New York" ], "Day": ["Monday"])', () => {
    const pattern = { Location: ['New York'], Day: ['Monday'] };
    expect(match(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
    expect(match(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
    expect(match(pattern, { Location: 'New York' })).toBe(false);
    expect(match({ detail: { state: ['terminated'] } }, { detail: { state: 'terminated' } })).toBe(true);
    expect(match({ detail: { state: ['terminated'] } }, { state: 'terminated' })).toBe(false);
  });

  it('arrays: "the event pattern matches if the intersection of the event pattern array and the event array is non-empty"', () => {
    const pattern = {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f', 'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(match(pattern, event)).toBe(true);
    expect(match(pattern, { resources: [event.resources[0]] })).toBe(false);
  });

  it('arrays of objects: { "employees": { "firstName": [ "Anna" ] } } matches, the Anna/Jones rule across two elements does not (Event Ruler)', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(match({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    // "rulesForJSONEvent() will refuse to recognize any match in which any two fields are within
    // JSON objects that are in different elements of the same array"
    expect(match({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
    expect(match({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    // "This works for multi-level arrays too"
    expect(match({ employees: { firstName: ['Peter'] } }, { employees: [[event.employees[0]], [event.employees[2]]] })).toBe(true);
  });

  it('begins with: "time": [ { "prefix": "2017-10-02" } ] matches "time": "2017-10-02T18:43:48Z"; only strings', () => {
    expect(match({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(match({ time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(match({ Region: [{ prefix: 'us-' }] }, { Region: 'US-east-1' })).toBe(false); // case-sensitive
    expect(match({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false); // "Prefix matching only works on string-valued fields"
  });

  it('begins with (ignore case): {"service" : [{ "prefix": { "equals-ignore-case": "eventb" }}]} — "regardless of case"', () => {
    const pattern = { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] };
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge']) expect(match(pattern, { service }), service).toBe(true);
    expect(match(pattern, { service: 'Events' })).toBe(false);
  });

  it('equals (ignore case): "Name": [ { "equals-ignore-case": "alice" } ] matches "Alice", not "Alicia"', () => {
    expect(match({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alice' })).toBe(true);
    expect(match({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' })).toBe(true);
    expect(match({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' })).toBe(false);
  });

  it('exists: { "detail": { "c-count": [ { "exists": false } ] } } — leaf nodes only, so an object c-count does not count', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(match(pattern, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    // "it would also match the following event because c-count is not a leaf node"
    expect(match(pattern, { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } })).toBe(true);
    expect(match(pattern, { detail: { 'c-count': 5 } })).toBe(false);
    // "ProductName exists": "ProductName": [ { "exists": true } ]
    expect(match({ ProductName: [{ exists: true }] }, { ProductName: 'Widget' })).toBe(true);
    expect(match({ ProductName: [{ exists: true }] }, {})).toBe(false);
    // "UserID is null": `"UserID": [ null ]` matches a null value (the operator table); that
    // `exists: true` holds for it too is inferred (null is a leaf value), not quoted
    expect(match({ UserID: [null] }, { UserID: null })).toBe(true);
    expect(match({ UserID: [{ exists: true }] }, { UserID: null })).toBe(true);
  });

  it('or: "$or": [ { "Location": [ "New York" ] }, { "Day": [ "Monday" ] } ], and-ed with the fields beside it', () => {
    const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(match(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
    expect(match(pattern, { Location: 'Paris', Day: 'Monday' })).toBe(true);
    expect(match(pattern, { Location: 'Paris', Day: 'Sunday' })).toBe(false);
    // Event Ruler: "source" && ("metricName" || "namespace")
    const normal = { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }] };
    expect(match(normal, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(match(normal, { source: 'aws.ec2', namespace: 'AWS/ES' })).toBe(false);
    // nested inside an object, as the provisioner rule uses it
    expect(match({ detail: { $or: [{ a: ['1'] }, { b: ['2'] }] } }, { detail: { b: '2' } })).toBe(true);
  });
});

describe('what the sandbox does not model', () => {
  it.each([
    ['anything-but', { state: [{ 'anything-but': 'initializing' }] }],
    ['suffix', { FileName: [{ suffix: '.png' }] }],
    ['numeric', { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }],
    ['cidr', { 'source-ip': [{ cidr: '10.0.0.0/24' }] }],
    ['wildcard', { FilePath: [{ wildcard: 'dir/*.png' }] }],
    ['anything-but inside prefix', { service: [{ prefix: { 'anything-but': 'x' } }] }],
    ['two operators in one object', { Name: [{ prefix: 'a', 'equals-ignore-case': 'b' }] }],
  ])('refuses %s rather than guessing', (_name, pattern) => {
    expect(() => match(pattern, {})).toThrow(/not modelled by the sandbox|unsupported argument/);
  });

  it('refuses an operator even where an earlier field already failed, and names its path', () => {
    expect(() => match({ source: ['aws.iam'], detail: { n: [{ numeric: ['>', 1] }] } }, { source: 'aws.ec2' })).toThrow('numeric at detail.n is not modelled');
  });

  it('refuses malformed patterns: $or with fewer than two patterns, an empty list, a bare value', () => {
    expect(() => match({ $or: [{ a: ['1'] }] }, {})).toThrow('$or: expected a list of two or more patterns');
    expect(() => match({ a: [] }, {})).toThrow('an empty list matches nothing');
    expect(() => match({ a: 'x' }, {})).toThrow('expected a list or an object');
  });
});
