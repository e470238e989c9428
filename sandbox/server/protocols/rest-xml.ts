/**
 * AWS restXml (S3): the operation is the HTTP method, the URI template and the query keys of its
 * `@http` trait; members are bound to URI labels, query parameters and headers by their
 * `@httpLabel`/`@httpQuery`/`@httpHeader` traits, the rest travel in an XML body whose root is
 * the output's `@xmlName` (`ListBucketResult`) in the service's `xmlns` (Smithy restXml protocol
 * specification, "HTTP bindings" and "XML shape serialization").
 *
 * Which operation a request names is decided against every operation the client module
 * declares — served or not — so a request for one the sandbox does not serve is recognised as
 * that operation (`PUT /{Key+}?tagging` is PutObjectTagging, not PutObject) and answered as
 * unimplemented instead of being mistaken for another. Bodies are written by the SDK's own
 * XmlShapeSerializer with the settings its AwsRestXmlProtocol uses to read them back.
 */
import { XmlShapeSerializer } from '@aws-sdk/core/protocols';
import type { SandboxRequest, SandboxResponse } from '../router.ts';
import { fromString, members, operationOf, type Operation, type StaticOperation } from '../smithy.ts';

export interface RestXmlServiceInfo {
  /** Smithy namespace, e.g. `com.amazonaws.s3`. */
  namespace: string;
  /** The `xmlns` of every response body, e.g. `http://s3.amazonaws.com/doc/2006-03-01/`. */
  xmlNamespace: string;
}

/** AwsRestXmlProtocol's settings: timestamps in bodies as ISO 8601 date-time, HTTP bindings honoured. */
const SETTINGS = { timestampFormat: { useTrait: true, default: 5 as const }, httpBindings: true };

export interface RestXmlRoute {
  op: Operation;
  method: string;
  /** The URI template's path, e.g. `/` or `/{Key+}`. */
  path: string;
  /**
   * The query keys that name the operation: the template's literals (`?versions`,
   * `?list-type=2`) and the required `@httpQuery` members (UploadPart's `partNumber`,
   * `uploadId`). `x-id` is kept apart: the JS SDK sends it, other clients (the aws CLI) do not.
   */
  literals: Array<[string, string]>;
  requiredQuery: string[];
  xId?: string;
  status: number;
}

/** Every operation schema a client module exports (`<Name>$`, a static tuple whose first element is 9). */
export function operationsOf(module: Record<string, unknown>): Operation[] {
  return Object.entries(module)
    .filter(([name, value]) => name.endsWith('$') && Array.isArray(value) && value[0] === 9)
    .map(([, value]) => operationOf(value as StaticOperation));
}

/**
 * Required members come first in a static structure tuple and its seventh element counts them
 * (`[3, namespace, name, traits, memberNames, memberSchemas, requiredCount]`, the form the
 * clients export); NormalizedSchema does not expose `@required` as a trait.
 */
function requiredMembers(op: Operation): Set<string> {
  const tuple = op.input.getSchema() as unknown;
  if (!Array.isArray(tuple) || !Array.isArray(tuple[4])) return new Set();
  const n = typeof tuple[6] === 'number' ? tuple[6] : 0;
  return new Set((tuple[4] as string[]).slice(0, n));
}

/** Compiles an operation's `@http` trait into a route, or undefined for one without. */
export function restXmlRoute(op: Operation): RestXmlRoute | undefined {
  const http = op.traits.http as [string, string, number] | undefined;
  if (!http) return undefined;
  const [method, uri, status] = http;
  const [path = '/', query = ''] = uri.split('?');
  const all = [...new URLSearchParams(query)];
  const required = requiredMembers(op);
  const requiredQuery = members(op.input)
    .filter(([name, , t]) => typeof t.httpQuery === 'string' && required.has(name))
    .map(([, , t]) => t.httpQuery as string);
  const xId = all.find(([k]) => k === 'x-id')?.[1];
  return { op, method, path, literals: all.filter(([k]) => k !== 'x-id'), requiredQuery, ...(xId !== undefined ? { xId } : {}), status };
}

/**
 * The route a request names among `routes` (all already filtered to the request's method and
 * path): the one whose naming query keys are all present, the most of them winning; an `x-id`
 * the request carries must agree. Ties go to a route `preferred` says yes to (a served one).
 */
export function selectRoute(routes: RestXmlRoute[], query: URLSearchParams, preferred: (r: RestXmlRoute) => boolean): RestXmlRoute | undefined {
  const xId = query.get('x-id');
  const score = (r: RestXmlRoute): number => {
    if (xId !== null && r.xId !== undefined && r.xId !== xId) return -1;
    if (!r.literals.every(([k, v]) => query.has(k) && (v === '' || query.get(k) === v))) return -1;
    if (!r.requiredQuery.every((k) => query.has(k))) return -1;
    return (r.literals.length + r.requiredQuery.length) * 4 + (xId !== null && r.xId === xId ? 2 : 0) + (preferred(r) ? 1 : 0);
  };
  let best: RestXmlRoute | undefined;
  let bestScore = -1;
  for (const r of routes) {
    const s = score(r);
    if (s > bestScore) [best, bestScore] = [r, s];
  }
  return best;
}

/** The operation's header- and query-bound input members, by their traits. */
export function decodeRestXmlInput(op: Operation, req: SandboxRequest): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, member, t] of members(op.input)) {
    if (typeof t.httpHeader === 'string') {
      const v = req.headers[t.httpHeader.toLowerCase()];
      if (typeof v === 'string') input[name] = fromString(member, v);
    } else if (typeof t.httpQuery === 'string') {
      const v = req.query.get(t.httpQuery);
      if (v !== null) input[name] = fromString(member, v);
    }
  }
  return input;
}

/** Output members bound to headers, under their header names (timestamps as HTTP dates, the restXml header default). */
export function restXmlHeaders(op: Operation, output: object): Record<string, string> {
  const values = output as Record<string, unknown>;
  const headers: Record<string, string> = {};
  for (const [name, , t] of members(op.output)) {
    const v = values[name];
    if (v === undefined || typeof t.httpHeader !== 'string') continue;
    headers[t.httpHeader.toLowerCase()] = v instanceof Date ? v.toUTCString() : String(v);
  }
  return headers;
}

/**
 * The operation's output: header-bound members as headers, the others as the XML body (with
 * the XML declaration S3 sends); no body when every member is bound elsewhere (HeadObject,
 * DeleteObject). A streaming `@httpPayload` (GetObject's Body) is the caller's to write.
 */
export function restXmlResult(info: RestXmlServiceInfo, route: RestXmlRoute, output: object, baseHeaders: Record<string, string>): SandboxResponse {
  const values = output as Record<string, unknown>;
  const headers = { ...baseHeaders, ...restXmlHeaders(route.op, output) };
  const body: Record<string, unknown> = {};
  let hasBody = false;
  for (const [name, , t] of members(route.op.output)) {
    if (typeof t.httpHeader === 'string' || t.httpPayload || t.httpResponseCode || t.httpPrefixHeaders !== undefined) continue;
    hasBody = true;
    if (values[name] !== undefined) body[name] = values[name];
  }
  if (!hasBody) return { status: route.status, headers, body: '' };
  const serializer = new XmlShapeSerializer({ ...SETTINGS, xmlNamespace: info.xmlNamespace, serviceNamespace: info.namespace });
  serializer.write(route.op.outputRef as Parameters<XmlShapeSerializer['write']>[0], body);
  return {
    status: route.status,
    headers: { ...headers, 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${String(serializer.flush())}`,
  };
}
