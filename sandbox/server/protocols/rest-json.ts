/**
 * AWS restJson1 (EKS): the operation is the HTTP method and URI template of its `@http` trait
 * (`GET /clusters/{clusterName}/access-entries/{principalArn}`), members are bound to URI labels,
 * query parameters and headers by their `@httpLabel`/`@httpQuery`/`@httpHeader` traits, the rest
 * travel in a JSON body. Errors: the status of the error's `@httpError` trait, the shape name in
 * the `x-amzn-errortype` header and the error's members in a JSON body (Smithy restJson1
 * protocol specification, "Operation error serialization").
 *
 * Bodies are read and written by the SDK's own JSON shape (de)serializers with the settings its
 * AwsRestJsonProtocol uses: timestamps as epoch seconds, `jsonName` honoured.
 */
import { JsonShapeDeserializer, JsonShapeSerializer } from '@aws-sdk/core/protocols';
import type { SandboxRequest, SandboxResponse } from '../router.ts';
import { fromString, members, type ErrorShape, type Operation } from '../smithy.ts';

const SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, httpBindings: true, jsonName: true };

type Segment = { literal: string } | { label: string; greedy: boolean };

export interface RestRoute<T> {
  op: Operation;
  method: string;
  segments: Segment[];
  /** Literal query parameters of the URI template (`/path?versioning`): must be present. */
  queryLiterals: Array<[string, string]>;
  status: number;
  target: T;
}

/** Compiles an operation's `@http` trait into a route. */
export function restRoute<T>(op: Operation, target: T): RestRoute<T> {
  const http = op.traits.http as [string, string, number] | undefined;
  if (!http) throw new Error(`${op.name} has no @http trait: not a REST operation`);
  const [method, uri, status] = http;
  const [path = '', query = ''] = uri.split('?');
  const segments = path
    .split('/')
    .slice(1)
    .map((s): Segment => {
      const m = /^\{(\w+)(\+?)\}$/.exec(s);
      return m ? { label: m[1]!, greedy: m[2] === '+' } : { literal: s };
    });
  const queryLiterals = [...new URLSearchParams(query)];
  return { op, method, segments, queryLiterals, status, target };
}

/** The route the request's method and path select, with the decoded URI labels. */
export function matchRoute<T>(routes: RestRoute<T>[], req: SandboxRequest): { route: RestRoute<T>; labels: Record<string, string> } | undefined {
  const parts = req.rawPath.split('/').slice(1);
  for (const route of routes) {
    if (route.method !== req.method) continue;
    if (!route.queryLiterals.every(([k, v]) => req.query.has(k) && (v === '' || req.query.get(k) === v))) continue;
    const labels: Record<string, string> = {};
    let ok = true;
    let i = 0;
    for (const seg of route.segments) {
      if ('literal' in seg) {
        if (parts[i] === undefined || decodeURIComponent(parts[i]!) !== seg.literal) ok = false;
        i++;
      } else if (seg.greedy) {
        labels[seg.label] = parts.slice(i).map(decodeURIComponent).join('/');
        i = parts.length;
      } else {
        // The SDK percent-encodes labels, slashes included (`arn%3Aaws%3Aiam%3A%3A…%3Arole%2Fteam`),
        // so a label is exactly one segment of the raw path.
        if (!parts[i]) ok = false;
        else labels[seg.label] = decodeURIComponent(parts[i]!);
        i++;
      }
      if (!ok) break;
    }
    if (ok && i === parts.length) return { route, labels };
  }
  return undefined;
}

/** Assembles the operation's input from URI labels, query parameters, headers and the JSON body. */
export function decodeRestJsonInput(op: Operation, req: SandboxRequest, labels: Record<string, string>): Record<string, unknown> {
  const text = req.body.toString('utf8');
  const body: unknown = text.trim() ? JSON.parse(text) : {};
  const input = (new JsonShapeDeserializer(SETTINGS).readObject(op.input, body as never) ?? {}) as Record<string, unknown>;
  for (const [name, member, t] of members(op.input)) {
    if (t.httpLabel) {
      delete input[name];
      if (labels[name] !== undefined) input[name] = fromString(member, labels[name]!);
    } else if (typeof t.httpQuery === 'string') {
      delete input[name];
      const values = req.query.getAll(t.httpQuery);
      if (member.isListSchema()) {
        if (values.length) input[name] = values.map((v) => fromString(member.getValueSchema(), v));
      } else if (values[0] !== undefined) {
        input[name] = fromString(member, values[0]);
      }
    } else if (typeof t.httpHeader === 'string') {
      delete input[name];
      const value = req.headers[t.httpHeader.toLowerCase()];
      if (typeof value === 'string') input[name] = fromString(member, value);
    }
  }
  return input;
}

function json(status: number, headers: Record<string, string>, body: string, requestId: string): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...headers }, body };
}

/** The operation's output: header-bound members as headers, the rest as the JSON body. */
export function restJsonResult(route: RestRoute<unknown>, output: object, requestId: string): SandboxResponse {
  const headers: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  const bound = new Map(members(route.op.output).map(([name, , t]) => [name, t]));
  for (const [name, value] of Object.entries(output)) {
    if (value === undefined) continue;
    const t = bound.get(name);
    if (typeof t?.httpHeader === 'string') headers[t.httpHeader.toLowerCase()] = String(value);
    else body[name] = value;
  }
  if (route.op.output.isUnitSchema()) return json(route.status, headers, '{}', requestId);
  const serializer = new JsonShapeSerializer(SETTINGS);
  serializer.write(route.op.output, body);
  return json(route.status, headers, String(serializer.flush()), requestId);
}

/**
 * An error as restJson1 sends it. `shape` is the modelled error (its members are written from
 * `fields`, `message` included); without one, the name travels in the header with 400 or 500.
 */
export function restJsonError(
  name: string,
  fields: Record<string, unknown>,
  requestId: string,
  shape?: ErrorShape,
  fault: 'client' | 'server' = 'client',
  statusOverride?: number,
): SandboxResponse {
  const status = statusOverride ?? shape?.traits.httpError ?? ((shape?.traits.error ?? fault) === 'server' ? 500 : 400);
  let body = JSON.stringify({ message: fields.message ?? '' });
  if (shape) {
    const serializer = new JsonShapeSerializer(SETTINGS);
    serializer.write(shape.schema, fields);
    body = String(serializer.flush());
  }
  return json(status, { 'x-amzn-errortype': name }, body, requestId);
}
