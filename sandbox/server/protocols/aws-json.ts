/**
 * The awsJson1_0 / awsJson1_1 protocols (Step Functions, CloudTrail, EventBridge, SQS): `POST /`
 * with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; the answer is the output as JSON, or
 * an error with the shape name in `__type` (`{"__type":"com.amazonaws.cloudtrail#TrailNotFoundException",
 * "message":…}`) and status 400 unless the error's `@httpError` says otherwise (Smithy awsJson1_0
 * and awsJson1_1 protocol specifications, "Operation error serialization"). A service marked
 * `@awsQueryCompatible` (SQS) also sends its query-protocol code and fault in the
 * `x-amzn-query-error` header (`AWS.SimpleQueueService.NonExistentQueue;Sender`), which the SDK and
 * botocore read to name the error (Smithy, "aws.protocols#awsQueryCompatible").
 *
 * Bodies are read and written by the SDK's own JSON shape (de)serializers with the settings its
 * AwsJsonRpcProtocol uses: timestamps as epoch seconds, member names as they are (no jsonName).
 */
import { JsonShapeDeserializer, JsonShapeSerializer } from '@aws-sdk/core/protocols';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, operationOf, type ErrorShape, type Operation, type StaticOperation } from '../smithy.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are decoded from the wire against the operation's schema
export type JsonInput = any;
/** Serves one operation: the output object, or throws the SDK exception the service would answer. */
export type JsonServe<M> = (model: M, input: JsonInput, region: string) => object | Promise<object>;

export interface JsonServiceInfo {
  /** Key for call counts and fault knobs. */
  service: string;
  /** The SigV4 signing name. */
  signingName: string;
  /** Smithy namespace of the error shapes, e.g. `com.amazonaws.cloudtrail`. */
  namespace: string;
  /** `1.0` or `1.1`: the content type `application/x-amz-json-<version>`. */
  version: '1.0' | '1.1';
  /**
   * Accepted X-Amz-Target prefixes: the SDK's `serviceTarget` and, where they differ, botocore's
   * `targetPrefix` (CloudTrail: `CloudTrail_20131101` and
   * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`).
   */
  targetPrefixes: string[];
  /** The client module (`import * as api from '@aws-sdk/client-…'`), for its error shapes. */
  client: Record<string, unknown>;
  queryCompatible?: boolean;
  /** The error a throttled call gets (each service's "Common Errors" page). */
  throttling: string;
  /** The Region of a request whose credential scope names none. */
  defaultRegion: string;
}

const SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

export interface JsonProtocol {
  /** An error response as the protocol sends it; `name` is the shape name (the SDK exception class) or an undeclared code. */
  error(name: string, message: string, requestId: string, fault?: 'client' | 'server', namespace?: string): SandboxResponse;
}

/** The protocol's answers for one service (errors also serve the IAM gate's refusals, ../../iam/denied.ts). */
export function jsonProtocol(info: Pick<JsonServiceInfo, 'namespace' | 'version' | 'client' | 'queryCompatible'>): JsonProtocol {
  const errors = errorShapes(info.client);
  const contentType = `application/x-amz-json-${info.version}`;
  return {
    error(name, message, requestId, fault = 'client', namespace = info.namespace) {
      const shape: ErrorShape | undefined = errors.get(name);
      const f = shape?.traits.error ?? fault;
      const status = shape?.traits.httpError ?? (f === 'server' ? 500 : 400);
      const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': requestId };
      if (info.queryCompatible) headers['x-amzn-query-error'] = `${shape?.traits.awsQueryError?.[0] ?? name};${f === 'server' ? 'Receiver' : 'Sender'}`;
      return { status, headers, body: JSON.stringify({ __type: `${namespace}#${name}`, message }) };
    },
  };
}

/** A service handler that serves `operations` over the awsJson protocol from `model`. */
export function awsJsonService<M>(info: JsonServiceInfo, model: M, operations: Array<[StaticOperation, JsonServe<M>]>): ServiceHandler {
  const byName = new Map<string, { op: Operation; serve: JsonServe<M> }>(
    operations.map(([schema, serve]) => {
      const op = operationOf(schema);
      return [op.name, { op, serve }];
    }),
  );
  const protocol = jsonProtocol(info);
  const ok = (body: string, requestId: string): SandboxResponse => ({
    status: 200,
    headers: { 'content-type': `application/x-amz-json-${info.version}`, 'x-amzn-requestid': requestId },
    body,
  });
  return {
    service: info.service,
    signingName: info.signingName,

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.lastIndexOf('.');
      const entry = dot > 0 && info.targetPrefixes.includes(target.slice(0, dot)) ? byName.get(target.slice(dot + 1)) : undefined;
      if (req.method !== 'POST' || !entry) {
        // The JSON protocols' answer to a target the service does not have: 400, the type in the
        // service framework's namespace, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`
        // (quoted in aws/aws-sdk-go#3689; aws/aws-sdk-net#1536 shows the 400). Clients do not retry it.
        return protocol.error('UnknownOperationException', `the sandbox serves no ${info.service} operation ${target || '(no X-Amz-Target)'}`, req.requestId, 'client', 'com.amazon.coral.service');
      }
      let input: Record<string, unknown>;
      try {
        const text = req.body.toString('utf8');
        input = (new JsonShapeDeserializer(SETTINGS).readObject(entry.op.input, (text.trim() ? JSON.parse(text) : {}) as never) ?? {}) as Record<string, unknown>;
      } catch (e) {
        return protocol.error('SerializationException', `Could not parse the request body: ${(e as Error).message}`, req.requestId);
      }
      const region = req.region ?? info.defaultRegion;
      return {
        operation: entry.op.name,
        input,
        serve: async () => {
          try {
            const output = await entry.serve(model, input, region);
            // Operations without output (DeleteRule, StopLogging…) answer an empty object.
            if (entry.op.output.isUnitSchema()) return ok('{}', req.requestId);
            const serializer = new JsonShapeSerializer(SETTINGS);
            serializer.write(entry.op.output, output);
            return ok(String(serializer.flush() || '{}'), req.requestId);
          } catch (e) {
            const err = e as Error & { $fault?: 'client' | 'server' };
            if (err.$fault === undefined) return protocol.error('InternalFailure', `sandbox: ${err.message}`, req.requestId, 'server');
            return protocol.error(err.name, err.message, req.requestId, err.$fault);
          }
        },
      };
    },

    throttled(req) {
      return protocol.error(info.throttling, 'Rate exceeded', req.requestId);
    },

    failed(req, call, code) {
      return protocol.error(code, `${call.operation} failed on purpose (sandbox fault knob)`, req.requestId);
    },
  };
}
