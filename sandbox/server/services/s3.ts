/**
 * S3 over REST-XML, path-style (`/{Bucket}/{Key+}`), served by the S3 model with versioning: what
 * the migration's document store uses — PutObject (with `If-None-Match: *`), GetObject (latest
 * or `?versionId=`), HeadObject — and what an operator runs against the backup bucket with the
 * SDK or the aws CLI: ListBuckets, ListObjectsV2, ListObjectVersions, DeleteObject. The SDK sends
 * path-style requests to an IP endpoint such as 127.0.0.1 without `forcePathStyle` (the S3
 * endpoint rules fall back to path-style for IP hosts), and so does botocore.
 *
 * The request is matched against every operation the S3 model declares (protocols/rest-xml.ts),
 * so one the sandbox does not serve is named and answered 501 NotImplemented — S3's own code for
 * functionality it does not implement (S3 API reference, "List of error codes"), which neither
 * the SDK nor botocore retries (a 500 would be retried as transient).
 *
 * Errors are S3's XML `<Error><Code>…</Code><Message>…</Message>…<RequestId>…</RequestId></Error>`
 * with the status of the error (S3 API reference, "Error responses"), and a HEAD request's error
 * has no body (HTTP forbids one), which the SDK reads as `NotFound` for 404.
 */
import { randomBytes } from 'node:crypto';
import * as s3Api from '@aws-sdk/client-s3';
import type { S3ErrorDetail, S3Model } from '#sandbox/model/s3';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { decodeRestXmlInput, operationsOf, restXmlHeaders, restXmlResult, restXmlRoute, selectRoute, type RestXmlRoute, type RestXmlServiceInfo } from '../protocols/rest-xml.ts';
import { errorShapes, members } from '../smithy.ts';

/** An input decoded from the wire against the operation's own schema, so it has the request's shape. */
type Input = Record<string, unknown>;
type Serve = (m: S3Model, input: Input, req: SandboxRequest) => object;

/** What each served operation does; every other S3 operation is recognised and answered 501. */
const SERVED: Record<string, Serve> = {
  PutObject: (m, i, req) => m.putObject({ ...(i as unknown as s3Api.PutObjectCommandInput), Body: new Uint8Array(payload(req)) }),
  GetObject: (m, i) => m.getObject(i as unknown as s3Api.GetObjectRequest),
  HeadObject: (m, i) => m.headObject(i as unknown as s3Api.HeadObjectRequest),
  DeleteObject: (m, i) => m.deleteObject(i as unknown as s3Api.DeleteObjectRequest),
  ListBuckets: (m, i) => m.listBuckets(i as s3Api.ListBucketsRequest),
  ListObjectsV2: (m, i) => m.listObjectsV2(i as unknown as s3Api.ListObjectsV2Request),
  ListObjectVersions: (m, i) => m.listObjectVersions(i as unknown as s3Api.ListObjectVersionsRequest),
};

const ROUTES = operationsOf(s3Api as unknown as Record<string, unknown>)
  .map(restXmlRoute)
  .filter((r): r is RestXmlRoute => r !== undefined);
/** Operations addressed to a bucket: their input has a `Bucket` member (a host label or the first path segment). */
const BUCKET_SCOPED = new Set(ROUTES.filter((r) => members(r.op.input).some(([name]) => name === 'Bucket')).map((r) => r.op.name));
const ERRORS = errorShapes(s3Api as unknown as Record<string, unknown>);

// The client's protocol settings (S3Client runtimeConfig: defaultNamespace, xmlNamespace).
const INFO: RestXmlServiceInfo = { namespace: 'com.amazonaws.s3', xmlNamespace: 'http://s3.amazonaws.com/doc/2006-03-01/' };

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
  MethodNotAllowed: 405,
  NotImplemented: 501,
  ServiceUnavailable: 503,
};

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function s3Headers(requestId: string): Record<string, string> {
  return { 'x-amz-request-id': requestId.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': randomBytes(48).toString('base64') };
}

function s3Error(req: SandboxRequest, code: string, message: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): SandboxResponse {
  const base = { ...s3Headers(req.requestId), ...headers };
  const status = STATUS[code] ?? ERRORS.get(code)?.traits.httpError ?? (ERRORS.get(code)?.traits.error === 'client' ? 400 : 500);
  if (req.method === 'HEAD') return { status, headers: base, body: '' };
  const fields = Object.entries(extra).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>${fields}<RequestId>${base['x-amz-request-id']}</RequestId><HostId>${base['x-amz-id-2']}</HostId></Error>`;
  return { status, headers: { ...base, 'content-type': 'application/xml' }, body };
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

/**
 * Bucket and key from a path-style path (`/`, `/bucket`, `/bucket/`, `/bucket/a/b`); clients
 * percent-encode both. An empty key (`/bucket/`) addresses the bucket.
 */
function bucketAndKey(rawPath: string): { bucket?: string; key?: string } {
  const [first = '', ...rest] = rawPath.split('/').slice(1);
  const key = rest.length && rest.join('/') !== '' ? rest.map(decodeURIComponent).join('/') : undefined;
  return { ...(first ? { bucket: decodeURIComponent(first) } : {}), ...(key !== undefined ? { key } : {}) };
}

/**
 * The operations this path can name: without a bucket, those whose input has no `Bucket`
 * (ListBuckets); with one, the bucket-level (`/`) or the object-level (`/{Key+}`) templates.
 */
function candidates(method: string, where: { bucket?: string; key?: string }): RestXmlRoute[] {
  return ROUTES.filter((r) => {
    if (r.method !== method) return false;
    const bucketScoped = BUCKET_SCOPED.has(r.op.name);
    if (where.bucket === undefined) return !bucketScoped && r.path === '/';
    if (!bucketScoped) return false;
    return where.key === undefined ? r.path === '/' : r.path === '/{Key+}';
  });
}

export function s3Service(model: S3Model): ServiceHandler {
  const run = (req: SandboxRequest, where: { bucket?: string; key?: string }, fn: () => SandboxResponse): SandboxResponse => {
    try {
      return fn();
    } catch (e) {
      const err = e as Error & { $fault?: string } & S3ErrorDetail;
      if (err.$fault === undefined) return s3Error(req, 'InternalError', `sandbox: ${err.message}`);
      const extra: Record<string, string> =
        err.name === 'NoSuchKey'
          ? { Key: where.key ?? '' }
          : err.name === 'NoSuchBucket'
            ? { BucketName: where.bucket ?? '' }
            : err.name === 'PreconditionFailed'
              ? { Condition: 'If-None-Match' }
              : {};
      return s3Error(req, err.name, err.message, { ...extra, ...err.s3Fields }, err.s3Headers);
    }
  };

  return {
    service: 's3',
    signingName: 's3',

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const where = bucketAndKey(req.rawPath);
      const route = selectRoute(candidates(req.method, where), req.query, (r) => r.op.name in SERVED);
      if (!route) return s3Error(req, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const serve = SERVED[route.op.name];
      if (!serve) {
        return s3Error(req, 'NotImplemented', `the sandbox does not serve S3 ${route.op.name} (${req.method} ${req.rawPath})`);
      }
      const input: Record<string, unknown> = {
        ...decodeRestXmlInput(route.op, req),
        ...(where.bucket !== undefined ? { Bucket: where.bucket } : {}),
        ...(where.key !== undefined ? { Key: where.key } : {}),
      };
      return {
        operation: route.op.name,
        input,
        serve: () =>
          run(req, where, () => {
            const headers = s3Headers(req.requestId);
            const output = serve(model, input, req);
            if (route.op.name === 'GetObject') {
              const { body, ...out } = output as ReturnType<S3Model['getObject']>;
              return {
                status: 200,
                headers: { ...headers, ...restXmlHeaders(route.op, { ...out, ContentType: out.ContentType ?? 'binary/octet-stream' }) },
                body: Buffer.from(body).toString('utf8'),
              };
            }
            return restXmlResult(INFO, route, output, headers);
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
