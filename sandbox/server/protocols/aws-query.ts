/**
 * The AWS query protocol (IAM, STS): a form-encoded request naming the operation in `Action`,
 * an XML response `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata>…` and errors as
 * `<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>…</Message></Error>
 * <RequestId>…</RequestId></ErrorResponse>` (Smithy awsQuery protocol specification; a real IAM
 * error body is quoted in legion-platform/legion#807).
 *
 * Requests are decoded by inverting the SDK's own QueryShapeSerializer (`Tags.member.1.Key`,
 * `Map.entry.1.key`, an empty list sent as `Name=`); responses are written by the SDK's own
 * XmlShapeSerializer, which escapes text and attributes, with the settings the SDK's
 * AwsQueryProtocol uses to read them back.
 */
import { randomUUID } from 'node:crypto';
import { XmlShapeSerializer } from '@aws-sdk/core/protocols';
import type { NormalizedSchema } from '@smithy/core/schema';
import type { SandboxResponse } from '../router.ts';
import { fromString, members, type ErrorShape, type Operation } from '../smithy.ts';

export interface QueryServiceInfo {
  /** Smithy namespace, e.g. `com.amazonaws.iam`. */
  namespace: string;
  /** The `xmlns` of every response, e.g. `https://iam.amazonaws.com/doc/2010-05-08/`. */
  xmlNamespace: string;
  version: string;
}

/** Timestamps as ISO 8601 date-time, the awsQuery default (AwsQueryProtocol's settings). */
const SETTINGS = { timestampFormat: { useTrait: true, default: 5 as const }, httpBindings: false, serializeEmptyLists: true };

/** The form parameters of a query request: the body of a POST, the query string of a GET. */
export function queryParams(method: string, body: Buffer, query: URLSearchParams): URLSearchParams {
  return method === 'POST' ? new URLSearchParams(body.toString('utf8')) : query;
}

/**
 * Decodes the operation's input from form parameters, the inverse of the SDK's
 * QueryShapeSerializer: struct members by (xmlName or) member name joined with `.`, lists as
 * `.member.N` (1-based; `.N` when flattened), maps as `.entry.N.key` / `.entry.N.value`.
 */
export function decodeQueryInput(op: Operation, params: URLSearchParams): Record<string, unknown> {
  const keys = new Set(params.keys());
  const has = (prefix: string) => keys.has(prefix) || [...keys].some((k) => k.startsWith(`${prefix}.`));
  const read = (ns: NormalizedSchema, key: string): unknown => {
    const traits = ns.getMergedTraits();
    if (ns.isStructSchema()) {
      const out: Record<string, unknown> = {};
      for (const [name, member, t] of members(ns)) {
        const value = read(member, key ? `${key}.${(t.xmlName as string | undefined) ?? name}` : ((t.xmlName as string | undefined) ?? name));
        if (value !== undefined) out[name] = value;
      }
      return key && !has(key) ? undefined : out;
    }
    if (ns.isListSchema()) {
      if (params.get(key) === '') return [];
      const item = ns.getValueSchema();
      const memberKey = (item.getMergedTraits().xmlName as string | undefined) ?? 'member';
      const items: unknown[] = [];
      for (let i = 1; ; i++) {
        const at = traits.xmlFlattened ? `${key}.${i}` : `${key}.${memberKey}.${i}`;
        if (!has(at)) break;
        items.push(read(item, at));
      }
      return items.length ? items : undefined;
    }
    if (ns.isMapSchema()) {
      const out: Record<string, unknown> = {};
      for (let i = 1; ; i++) {
        const at = traits.xmlFlattened ? `${key}.${i}` : `${key}.entry.${i}`;
        if (!has(at)) break;
        const k = params.get(`${at}.key`);
        if (k !== null) out[k] = read(ns.getValueSchema(), `${at}.value`);
      }
      return Object.keys(out).length ? out : undefined;
    }
    const raw = params.get(key);
    if (raw === null) return undefined;
    return ns.isBlobSchema() ? Buffer.from(raw, 'base64') : fromString(ns, raw);
  };
  return (read(op.input, '') as Record<string, unknown> | undefined) ?? {};
}

/**
 * A structure schema in the static form the clients export (`[3, namespace, name, traits,
 * memberNames, memberSchemas]`; 0 is a string). Not @smithy/core's `struct()`: in this
 * version NormalizedSchema does not read its class instances as structures (checked:
 * `NormalizedSchema.of(struct(…)).isStructSchema()` is false), only the static tuples.
 */
function struct(namespace: string, name: string, memberNames: string[], memberSchemas: unknown[]): XmlSchema {
  return [3, namespace, name, 0, memberNames, memberSchemas] as unknown as XmlSchema;
}
type XmlSchema = Parameters<XmlShapeSerializer['write']>[0];

function xml(status: number, body: string, requestId: string): SandboxResponse {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** `<OpResponse xmlns=…><OpResult>output</OpResult><ResponseMetadata><RequestId>…` */
export function queryResult(info: QueryServiceInfo, op: Operation, output: object, requestId: string): SandboxResponse {
  const metadata = struct(info.namespace, 'ResponseMetadata', ['RequestId'], [0]);
  const unit = op.output.isUnitSchema();
  // Operations without output (DeleteRole, TagRole) answer with the metadata alone.
  const envelope = unit
    ? struct(info.namespace, `${op.name}Response`, ['ResponseMetadata'], [metadata])
    : struct(info.namespace, `${op.name}Response`, [`${op.name}Result`, 'ResponseMetadata'], [op.outputRef, metadata]);
  const serializer = new XmlShapeSerializer({ ...SETTINGS, xmlNamespace: info.xmlNamespace, serviceNamespace: info.namespace });
  serializer.write(envelope, unit ? { ResponseMetadata: { RequestId: requestId } } : { [`${op.name}Result`]: output, ResponseMetadata: { RequestId: requestId } });
  return xml(200, String(serializer.flush()), requestId);
}

/** `<ErrorResponse><Error><Type>…</Type><Code>…</Code><Message>…</Message></Error><RequestId>…` */
export function queryError(
  info: QueryServiceInfo,
  error: { code: string; status: number; message: string; sender: boolean },
  requestId: string = randomUUID(),
): SandboxResponse {
  const detail = struct(info.namespace, 'Error', ['Type', 'Code', 'Message'], [0, 0, 0]);
  const envelope = struct(info.namespace, 'ErrorResponse', ['Error', 'RequestId'], [detail, 0]);
  const serializer = new XmlShapeSerializer({ ...SETTINGS, xmlNamespace: info.xmlNamespace, serviceNamespace: info.namespace });
  serializer.write(envelope, { Error: { Type: error.sender ? 'Sender' : 'Receiver', Code: error.code, Message: error.message }, RequestId: requestId });
  return xml(error.status, String(serializer.flush()), requestId);
}

/**
 * The wire form of an error the model threw. The SDK class name maps back to the wire code and
 * status through the shape's `awsQueryError` trait (`NoSuchEntityException` → `NoSuchEntity`,
 * 404), which is how the SDK maps it forward. Codes the model does not declare (IAM's
 * `ValidationError`) travel as they are, with 400 for client faults.
 */
export function queryErrorOf(error: unknown, shapes: Map<string, ErrorShape>): { code: string; status: number; message: string; sender: boolean } {
  const e = error as { name?: string; message?: string; $fault?: 'client' | 'server' };
  if (!e || typeof e !== 'object' || e.$fault === undefined) {
    // Not an AWS error: a rule the model does not implement or a sandbox bug. Say so loudly.
    return { code: 'ServiceFailure', status: 500, message: `sandbox: ${e?.message ?? String(error)}`, sender: false };
  }
  return codedError(e.name ?? 'UnknownError', e.message ?? '', shapes, e.$fault);
}

/** The wire code and status for an error named by SDK class name or wire code. */
export function codedError(
  name: string,
  message: string,
  shapes: Map<string, ErrorShape>,
  fault?: 'client' | 'server',
): { code: string; status: number; message: string; sender: boolean; shape?: ErrorShape } {
  const shape = shapes.get(name) ?? [...shapes.values()].find((s) => s.traits.awsQueryError?.[0] === name);
  const f = shape?.traits.error ?? fault ?? 'client';
  const [code, status] = shape?.traits.awsQueryError ?? [name, shape?.traits.httpError ?? (f === 'server' ? 500 : 400)];
  return { code, status, message, sender: f === 'client', ...(shape ? { shape } : {}) };
}
