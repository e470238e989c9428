/**
 * S3 over REST-XML, path-style (`/{Bucket}/{Key+}`): what the migration's document store uses —
 * PutObject (with `If-None-Match: *`), GetObject (latest or `?versionId=`), HeadObject — served
 * by the S3 model with versioning. The SDK sends path-style requests to an IP endpoint such as
 * 127.0.0.1 without `forcePathStyle` (the S3 endpoint rules fall back to path-style for IP hosts),
 * and appends `?x-id=<Operation>`; routes do not require it, so other clients work too.
 *
 * Members come from the operations' own schemas (`@httpHeader`, `@httpQuery`, `@httpPayload`);
 * errors are S3's XML `<Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId></Error>`
 * with the status of the error (S3 API reference, "Error responses"), and a HEAD request's error
 * has no body (HTTP forbids one), which the SDK reads as `NotFound` for 404.
 */
import { randomBytes } from 'node:crypto';
import * as s3Api from '@aws-sdk/client-s3';
import { GetObject$, HeadObject$, PutObject$ } from '@aws-sdk/client-s3';
import type { S3Model } from '#sandbox/model/s3';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { errorShapes, fromString, members, operationOf, type Operation } from '../smithy.ts';

const PUT = operationOf(PutObject$);
const GET = operationOf(GetObject$);
const HEAD = operationOf(HeadObject$);
const ERRORS = errorShapes(s3Api as unknown as Record<string, unknown>);

/** The error codes the model raises, with S3's statuses (S3 API reference, "List of error codes"). */
const STATUS: Record<string, number> = {
  NoSuchKey: 404,
  NoSuchBucket: 404,
  NotFound: 404,
  PreconditionFailed: 412,
  SlowDown: 503,
  InternalError: 500,
  AccessDenied: 403,
  InvalidArgument: 400,
  ServiceUnavailable: 503,
};

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function s3Headers(requestId: string): Record<string, string> {
  return { 'x-amz-request-id': requestId.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': randomBytes(48).toString('base64') };
}

function s3Error(req: SandboxRequest, code: string, message: string, extra: Record<string, string> = {}): SandboxResponse {
  const headers = s3Headers(req.requestId);
  const status = STATUS[code] ?? ERRORS.get(code)?.traits.httpError ?? (ERRORS.get(code)?.traits.error === 'client' ? 400 : 500);
  if (req.method === 'HEAD') return { status, headers, body: '' };
  const fields = Object.entries(extra).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>${fields}<RequestId>${headers['x-amz-request-id']}</RequestId><HostId>${headers['x-amz-id-2']}</HostId></Error>`;
  return { status, headers: { ...headers, 'content-type': 'application/xml' }, body };
}

/**
 * The body as sent. The SDK may stream a payload with `Content-Encoding: aws-chunked` (chunks
 * `<hex size>[;chunk-signature=…]\r\n<data>\r\n`, a zero chunk, then trailing checksum headers;
 * S3 user guide, "Signature calculations for the Authorization header: transferring payload in
 * multiple chunks"); the stored object is the decoded data.
 */
function payload(req: SandboxRequest): Buffer {
  const encoding = String(req.headers['content-encoding'] ?? '');
  if (!encoding.split(',').map((s) => s.trim()).includes('aws-chunked')) return req.body;
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = req.body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(req.body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    out.push(req.body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Bucket and key from a path-style path; labels are percent-encoded by the SDK. */
function bucketAndKey(rawPath: string): { bucket: string; key?: string } | undefined {
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(rawPath);
  if (!m) return undefined;
  const key = m[2] === undefined || m[2] === '' ? undefined : m[2].split('/').map(decodeURIComponent).join('/');
  return { bucket: decodeURIComponent(m[1]!), ...(key !== undefined ? { key } : {}) };
}

/** Header- and query-bound input members of an operation, by their traits. */
function boundInput(op: Operation, req: SandboxRequest): Record<string, unknown> {
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

/** Output members bound to headers, written under their header names (dates as HTTP dates). */
function headersOf(op: Operation, output: Record<string, unknown>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, , t] of members(op.output)) {
    const v = output[name];
    if (v === undefined || typeof t.httpHeader !== 'string') continue;
    headers[t.httpHeader.toLowerCase()] = v instanceof Date ? v.toUTCString() : String(v);
  }
  return headers;
}

export function s3Service(model: S3Model): ServiceHandler {
  const run = (req: SandboxRequest, fn: () => SandboxResponse): SandboxResponse => {
    try {
      return fn();
    } catch (e) {
      const err = e as Error & { $fault?: string };
      if (err.$fault === undefined) return s3Error(req, 'InternalError', `sandbox: ${err.message}`);
      const where = bucketAndKey(req.rawPath);
      const extra: Record<string, string> =
        err.name === 'NoSuchKey' ? { Key: where?.key ?? '' } : err.name === 'NoSuchBucket' ? { BucketName: where?.bucket ?? '' } : err.name === 'PreconditionFailed' ? { Condition: 'If-None-Match' } : {};
      return s3Error(req, err.name, err.message, extra);
    }
  };

  return {
    service: 's3',
    signingName: 's3',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const where = bucketAndKey(req.rawPath);
      if (!where?.key) {
        // Bucket-level operations (ListObjectsV2, …) are not used by the system.
        return s3Error(req, 'NotImplemented', `the sandbox serves no S3 bucket operation at ${req.method} ${req.rawPath}`);
      }
      const { bucket, key } = where;
      const op = req.method === 'PUT' ? PUT : req.method === 'GET' ? GET : req.method === 'HEAD' ? HEAD : undefined;
      if (!op) return s3Error(req, 'MethodNotAllowed', `The specified method is not allowed against this resource.`);
      const input = { ...boundInput(op, req), Bucket: bucket, Key: key };
      return {
        operation: op.name,
        input,
        serve: () =>
          run(req, () => {
            const headers = s3Headers(req.requestId);
            if (op === PUT) {
              const out = model.putObject({ ...input, Body: new Uint8Array(payload(req)) } as s3Api.PutObjectCommandInput);
              return { status: 200, headers: { ...headers, ...headersOf(PUT, out as Record<string, unknown>) }, body: '' };
            }
            if (op === GET) {
              const { body, ...out } = model.getObject(input as s3Api.GetObjectRequest);
              return {
                status: 200,
                headers: { ...headers, ...headersOf(GET, { ...out, ContentType: out.ContentType ?? 'binary/octet-stream' }) },
                body: Buffer.from(body).toString('utf8'),
              };
            }
            const out = model.headObject(input as s3Api.HeadObjectRequest);
            return { status: 200, headers: { ...headers, ...headersOf(HEAD, out as Record<string, unknown>) }, body: '' };
          }),
      };
    },

    throttled(req) {
      // S3 throttles with 503 SlowDown (S3 user guide, "Best practices design patterns: optimizing performance").
      return s3Error(req, 'SlowDown', 'Please reduce your request rate.');
    },

    failed(req, call, code) {
      return s3Error(req, code, `${call.operation} failed on purpose (sandbox fault knob)`);
    },
  };
}
