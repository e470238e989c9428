// Stateful model of the slice of S3 the migration and its operators use: buckets with
// versioning, PutObject with the conditional `IfNoneMatch: '*'` (create only), GetObject (latest or
// a given version), HeadObject, DeleteObject (delete markers), and the listings an operator runs
// against the backup bucket (ListBuckets, ListObjectsV2, ListObjectVersions). Rules are S3's
// documented behaviour: a conditional write onto an existing key fails with 412
// PreconditionFailed ("At least one of the pre-conditions you specified did not hold", S3 User
// Guide, conditional writes); in a versioned bucket every write gets a new version ID and
// GetObject returns the latest unless VersionId is given; unknown keys are NoSuchKey, unknown
// buckets NoSuchBucket. Methods take and return the SDK's request/response shapes.
import { randomUUID, createHash } from 'node:crypto';
import {
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  S3ServiceException,
  type _Object,
  type Bucket as BucketEntry,
  type DeleteMarkerEntry,
  type DeleteObjectOutput,
  type DeleteObjectRequest,
  type GetObjectRequest,
  type HeadObjectOutput,
  type HeadObjectRequest,
  type ListBucketsOutput,
  type ListBucketsRequest,
  type ListObjectsV2Output,
  type ListObjectsV2Request,
  type ListObjectVersionsOutput,
  type ListObjectVersionsRequest,
  type ObjectVersion,
  type Owner,
  type PutObjectCommandInput,
  type PutObjectOutput,
} from '@aws-sdk/client-s3';
import { count } from './errors.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/**
 * What an S3 error response carries besides its code and message: more XML fields
 * (`ArgumentName`, `ArgumentValue`) and headers (`x-amz-delete-marker`). The HTTP layer writes
 * them; in-process callers may ignore them.
 */
export interface S3ErrorDetail {
  s3Fields?: Record<string, string>;
  s3Headers?: Record<string, string>;
}

/** Codes S3 answers that the SDK's model declares no class for: the base class, named by the code. */
function coded(name: string, message: string, status: number, detail: S3ErrorDetail = {}): S3ServiceException & S3ErrorDetail {
  return Object.assign(new S3ServiceException({ name, $fault: 'client', message, ...meta(status) }), detail);
}

export const s3Errors = {
  noSuchBucket: (bucket: string) => new NoSuchBucket({ message: `The specified bucket does not exist: ${bucket}`, ...meta(404) }),
  noSuchKey: (detail: S3ErrorDetail = {}) => Object.assign(new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) }), detail),
  notFound: (detail: S3ErrorDetail = {}) => Object.assign(new NotFound({ message: 'Not Found', ...meta(404) }), detail),
  preconditionFailed: () => coded('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412),
  /** S3 API reference, "List of error codes": InvalidArgument, 400, with the argument's name (and value, where S3 sends it). */
  invalidArgument: (message: string, name: string, value?: string) =>
    coded('InvalidArgument', message, 400, { s3Fields: { ArgumentName: name, ...(value !== undefined ? { ArgumentValue: value } : {}) } }),
  /** GetObject/HeadObject of a version that is a delete marker: 405 (S3 API reference, GetObject). */
  methodNotAllowed: (detail: S3ErrorDetail = {}) => coded('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, detail),
  /** S3 API reference, "List of error codes": NotImplemented, 501 — functionality S3 (here: the sandbox) does not implement. */
  notImplemented: (message: string) => coded('NotImplemented', message, 501),
};

export interface StoredVersion {
  versionId: string;
  /**
   * A delete marker: a version without data that makes the key read as deleted while older
   * versions stay (S3 User Guide, "Working with delete markers").
   */
  deleteMarker?: true;
  body: Uint8Array;
  contentType?: string;
  etag: string;
  lastModified: Date;
}

interface Bucket {
  versioned: boolean;
  createdAt: Date;
  /** Versions of each key, oldest first. */
  objects: Map<string, StoredVersion[]>;
}

export interface GetObjectResult {
  body: Uint8Array;
  VersionId?: string;
  ETag: string;
  ContentType?: string;
  ContentLength: number;
  LastModified: Date;
}

/**
 * The canonical user ID listings name as Owner: 64 hex digits, opaque (S3 API reference, Owner).
 * The sandbox has one owner; the value is its own.
 */
const OWNER: Owner = { ID: createHash('sha256').update('eks-access-pilot sandbox S3 owner').digest('hex') };

/** At most 1,000 keys per listing, whatever max-keys asks for (S3 API reference, ListObjectsV2 `MaxKeys`). */
const MAX_KEYS = 1000;
/** ListBuckets: MaxBuckets 1–10,000 (S3 API reference, ListBuckets `MaxBuckets`). */
const MAX_BUCKETS = 10_000;

/** "List results are always returned in UTF-8 binary order" (S3 API reference, ListObjectsV2). */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * `encoding-type=url`: key names in the listing are URL-encoded (S3 API reference,
 * ListObjectsV2/ListObjectVersions `EncodingType`). Encoded as Python's `urllib.parse.quote`
 * does, `/` kept (what moto 5.2 answers); botocore, which asks for it on every listing, decodes
 * with `unquote_plus` (botocore/handlers.py, decode_list_object_v2), so `+` must be `%2B`.
 */
function encoder(encodingType: string | undefined): (s: string) => string {
  if (encodingType === undefined) return (s) => s;
  if (encodingType !== 'url') throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
  return (s) =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%2F/g, '/');
}

/**
 * max-keys: an integer from 0 to 2^31-1, default 1,000; a larger value still returns at most
 * 1,000 and 0 returns nothing, not truncated. The API reference gives no error; S3's answer to an
 * invalid value, as quoted from real responses in floci-io/floci#3510 and brekkylab/backlot#192,
 * is 400 InvalidArgument "Argument maxKeys must be an integer between 0 and 2147483647" (the
 * same PR cites ceph's s3-tests, run against AWS, for max-keys=0).
 */
function maxKeys(value: number | undefined): { requested: number; page: number } {
  const requested = value ?? MAX_KEYS;
  if (!Number.isInteger(requested) || requested < 0 || requested > 2_147_483_647) {
    throw s3Errors.invalidArgument('Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys', String(value));
  }
  return { requested, page: Math.min(requested, MAX_KEYS) };
}

/**
 * The common prefix a key rolls up into: the prefix plus everything up to and including the
 * first delimiter after it (S3 API reference, ListObjectsV2 `Delimiter` and `CommonPrefixes`).
 */
function rollup(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/**
 * Continuation tokens are opaque ("NextContinuationToken is obfuscated and is not a real key",
 * S3 API reference); this one carries the last key (or common prefix) returned, so a listing
 * resumes correctly even when keys were written between pages.
 */
function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64');
}

function decodeCursor(token: string, argument: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (parsed && typeof parsed === 'object' && typeof (parsed as { after?: unknown }).after === 'string') return (parsed as { after: string }).after;
  } catch {
    // fall through: not a token the sandbox issued
  }
  // S3's answer, quoted from real responses in versity/versitygw#993 and aws/aws-sdk-js-v3#1636
  // (no ArgumentValue); the API reference lists no error.
  throw s3Errors.invalidArgument('The continuation token provided is incorrect', argument);
}

export class S3Model {
  readonly calls = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
  }

  // ----- seeding and inspection (no API equivalent) -----

  createBucket(name: string, options: { versioned?: boolean } = {}): void {
    this.buckets.set(name, { versioned: options.versioned ?? true, createdAt: this.now(), objects: new Map() });
  }

  /** Every key whose current version is an object (not a delete marker), in S3's listing order. */
  keys(bucket: string): string[] {
    return this.entries(this.bucket(bucket))
      .filter(([, versions]) => !versions.at(-1)?.deleteMarker)
      .map(([key]) => key);
  }

  /** Every version of a key, delete markers included, oldest first. */
  versions(bucket: string, key: string): StoredVersion[] {
    return [...(this.bucket(bucket).objects.get(key) ?? [])];
  }

  /** The latest version's body parsed as JSON (test helper). */
  json<T = unknown>(bucket: string, key: string): T {
    const latest = this.bucket(bucket).objects.get(key)?.at(-1);
    if (!latest || latest.deleteMarker) throw s3Errors.noSuchKey();
    return JSON.parse(Buffer.from(latest.body).toString('utf8')) as T;
  }

  // ----- API -----

  putObject(input: PutObjectCommandInput): PutObjectOutput {
    return this.call('PutObject', () => {
      const b = this.bucket(input.Bucket);
      const key = input.Key ?? '';
      const existing = b.objects.get(key);
      if (input.IfNoneMatch !== undefined) {
        // Only '*' is supported for If-None-Match on PUT.
        if (input.IfNoneMatch !== '*') throw new Error('S3Model: IfNoneMatch only supports "*"');
        // Conditions are evaluated against the current version only (S3 User Guide, "How to perform
        // conditional deletes", said of deletes; inferred for writes): a delete marker is no object.
        const current = existing?.at(-1);
        if (current && !current.deleteMarker) throw s3Errors.preconditionFailed();
      }
      const body = toBytes(input.Body);
      const version: StoredVersion = {
        versionId: b.versioned ? newVersionId() : 'null',
        body,
        contentType: input.ContentType,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        lastModified: this.now(),
      };
      b.objects.set(key, b.versioned ? [...(existing ?? []), version] : [version]);
      return { ETag: version.etag, ...(b.versioned ? { VersionId: version.versionId } : {}) };
    });
  }

  getObject(input: GetObjectRequest): GetObjectResult {
    return this.call('GetObject', () => {
      const { bucket, v } = this.find(input.Bucket, input.Key, input.VersionId);
      return {
        body: v.body,
        ETag: v.etag,
        ContentType: v.contentType,
        ContentLength: v.body.byteLength,
        LastModified: v.lastModified,
        ...(bucket.versioned ? { VersionId: v.versionId } : {}),
      };
    });
  }

  headObject(input: HeadObjectRequest): HeadObjectOutput {
    return this.call('HeadObject', () => {
      try {
        const { bucket, v } = this.find(input.Bucket, input.Key, input.VersionId);
        return {
          ETag: v.etag,
          ContentLength: v.body.byteLength,
          // HeadObject returns the object's metadata, Content-Type included (S3 API reference, HeadObject).
          ContentType: v.contentType ?? 'binary/octet-stream',
          LastModified: v.lastModified,
          ...(bucket.versioned ? { VersionId: v.versionId } : {}),
        };
      } catch (e) {
        // HEAD has no body, so S3 answers a bare 404 (NotFound) rather than NoSuchKey.
        if (e instanceof NoSuchKey) throw s3Errors.notFound({ s3Headers: (e as S3ErrorDetail).s3Headers ?? {} });
        throw e;
      }
    });
  }

  /**
   * S3 API reference, DeleteObject: without a version ID, a versioned bucket gets a new delete
   * marker as the current version (DeleteMarker true, its VersionId) and an unversioned bucket
   * loses the object; with one, that version is removed for good (DeleteMarker true when it
   * was a marker). Deleting what is not there succeeds (204).
   */
  deleteObject(input: DeleteObjectRequest): DeleteObjectOutput {
    return this.call('DeleteObject', () => {
      const b = this.bucket(input.Bucket);
      const key = input.Key ?? '';
      const versions = b.objects.get(key) ?? [];
      if (input.VersionId !== undefined) {
        const i = versions.findIndex((v) => v.versionId === input.VersionId);
        if (i < 0) return { VersionId: input.VersionId };
        const [removed] = versions.splice(i, 1);
        if (!versions.length) b.objects.delete(key);
        return { VersionId: removed!.versionId, ...(removed!.deleteMarker ? { DeleteMarker: true } : {}) };
      }
      if (!b.versioned) {
        b.objects.delete(key);
        return {};
      }
      const marker: StoredVersion = { versionId: newVersionId(), deleteMarker: true, body: new Uint8Array(), etag: '', lastModified: this.now() };
      b.objects.set(key, [...versions, marker]);
      return { DeleteMarker: true, VersionId: marker.versionId };
    });
  }

  /**
   * S3 API reference, ListBuckets: the caller's buckets in name order with their creation
   * dates and the owner; `Prefix` filters and is echoed; `MaxBuckets` (1–10,000) pages, and a
   * `ContinuationToken` in the answer means there is more.
   */
  listBuckets(input: ListBucketsRequest): ListBucketsOutput {
    return this.call('ListBuckets', () => {
      // Buckets have no region in this model; filtering by one would answer wrongly.
      if (input.BucketRegion !== undefined) throw s3Errors.notImplemented('the sandbox does not model bucket regions (ListBuckets BucketRegion)');
      const max = input.MaxBuckets ?? MAX_BUCKETS;
      if (!Number.isInteger(max) || max < 1 || max > MAX_BUCKETS) {
        // The wording is inferred (modelled on S3's maxKeys message); the bounds are the reference's.
        throw s3Errors.invalidArgument(`Argument max-buckets must be an integer between 1 and ${MAX_BUCKETS}`, 'max-buckets', String(input.MaxBuckets));
      }
      const after = input.ContinuationToken === undefined ? undefined : decodeCursor(input.ContinuationToken, 'continuation-token');
      const names = [...this.buckets.keys()]
        .filter((n) => n.startsWith(input.Prefix ?? '') && (after === undefined || byUtf8(n, after) > 0))
        .sort(byUtf8);
      const page = names.slice(0, max);
      const buckets: BucketEntry[] = page.map((n) => ({ Name: n, CreationDate: this.buckets.get(n)!.createdAt }));
      return {
        Buckets: buckets,
        Owner: { ...OWNER },
        ...(page.length < names.length ? { ContinuationToken: encodeCursor(page.at(-1)!) } : {}),
        ...(input.Prefix !== undefined ? { Prefix: input.Prefix } : {}),
      };
    });
  }

  /**
   * S3 API reference, ListObjectsV2: current objects (not delete markers) under `Prefix`, keys
   * after `StartAfter` or the continuation token, in UTF-8 binary order. With `Delimiter`, keys
   * that hold it after the prefix roll up into CommonPrefixes, each counting once against
   * `MaxKeys`; `KeyCount` counts keys and common prefixes returned (as moto 5.2 does; the
   * reference says "the number of keys returned"); `IsTruncated` and `NextContinuationToken`
   * when there is more. `ContinuationToken`, `StartAfter` and `EncodingType` are echoed.
   */
  listObjectsV2(input: ListObjectsV2Request): ListObjectsV2Output {
    return this.call('ListObjectsV2', () => {
      const b = this.bucket(input.Bucket);
      const encode = encoder(input.EncodingType);
      const { requested, page } = maxKeys(input.MaxKeys);
      const prefix = input.Prefix ?? '';
      // The token wins over StartAfter: it already lies after it.
      const after = input.ContinuationToken !== undefined ? decodeCursor(input.ContinuationToken, 'continuation-token') : input.StartAfter;
      const contents: _Object[] = [];
      const prefixes: string[] = [];
      let last: string | undefined;
      let truncated = false;
      for (const [key, versions] of page === 0 ? [] : this.entries(b)) {
        const current = versions.at(-1);
        if (!current || current.deleteMarker || !key.startsWith(prefix)) continue;
        if (after !== undefined && byUtf8(key, after) <= 0) continue;
        const common = rollup(key, prefix, input.Delimiter);
        // A prefix already returned (on this page, or as the last item of the previous one).
        if (common !== undefined && (common === prefixes.at(-1) || common === after)) continue;
        if (contents.length + prefixes.length === page) {
          truncated = true;
          break;
        }
        if (common !== undefined) prefixes.push((last = common));
        else contents.push(objectEntry((last = key), current, encode));
      }
      return {
        Name: input.Bucket,
        Prefix: encode(prefix),
        MaxKeys: requested,
        KeyCount: contents.length + prefixes.length,
        IsTruncated: truncated,
        ...(input.Delimiter ? { Delimiter: encode(input.Delimiter) } : {}),
        ...(contents.length ? { Contents: contents } : {}),
        ...(prefixes.length ? { CommonPrefixes: prefixes.map((p) => ({ Prefix: encode(p) })) } : {}),
        ...(input.ContinuationToken !== undefined ? { ContinuationToken: input.ContinuationToken } : {}),
        ...(truncated && last !== undefined ? { NextContinuationToken: encodeCursor(last) } : {}),
        ...(input.StartAfter !== undefined ? { StartAfter: encode(input.StartAfter) } : {}),
        ...(input.EncodingType !== undefined ? { EncodingType: input.EncodingType } : {}),
      };
    });
  }

  /**
   * S3 API reference, ListObjectVersions: every version and delete marker under `Prefix`, keys
   * in UTF-8 binary order and each key's versions newest first, `IsLatest` on the current one;
   * versions and markers count together (with common prefixes) against `MaxKeys`. A truncated
   * answer names where it stopped in `NextKeyMarker` and `NextVersionIdMarker` (the last item
   * returned; no version marker when that was a common prefix), which the next request sends as
   * `KeyMarker`/`VersionIdMarker`: the listing resumes after that version, or after the whole
   * key when only `KeyMarker` is given (botocore's paginator passes both; moto 5.2 reads them
   * the same way). Unversioned objects have the version ID `null`.
   */
  listObjectVersions(input: ListObjectVersionsRequest): ListObjectVersionsOutput {
    return this.call('ListObjectVersions', () => {
      const b = this.bucket(input.Bucket);
      const encode = encoder(input.EncodingType);
      const { requested, page } = maxKeys(input.MaxKeys);
      const prefix = input.Prefix ?? '';
      const keyMarker = input.KeyMarker || undefined;
      const versionMarker = input.VersionIdMarker || undefined;
      if (versionMarker !== undefined && keyMarker === undefined) {
        // S3's answer, quoted from a real response in versity/versitygw#2174; the API reference lists no errors here.
        throw s3Errors.invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', versionMarker);
      }
      const versions: ObjectVersion[] = [];
      const markers: DeleteMarkerEntry[] = [];
      const prefixes: string[] = [];
      let returned = 0;
      let next: { key: string; versionId?: string } | undefined;
      let truncated = false;
      outer: for (const [key, stored] of page === 0 ? [] : this.entries(b)) {
        if (!key.startsWith(prefix)) continue;
        if (keyMarker !== undefined) {
          const order = byUtf8(key, keyMarker);
          if (order < 0 || (order === 0 && versionMarker === undefined)) continue;
        }
        const common = rollup(key, prefix, input.Delimiter);
        if (common !== undefined) {
          if (common === prefixes.at(-1) || common === keyMarker) continue;
          if (returned === page) {
            truncated = true;
            break;
          }
          prefixes.push(common);
          returned++;
          next = { key: common };
          continue;
        }
        let newestFirst = [...stored].reverse().map((v, i) => ({ v, latest: i === 0 }));
        if (versionMarker !== undefined && key === keyMarker) {
          // Resume after the marker's version; a version since deleted leaves nothing of this key (inferred).
          const at = newestFirst.findIndex((x) => x.v.versionId === versionMarker);
          newestFirst = at < 0 ? [] : newestFirst.slice(at + 1);
        }
        for (const { v, latest } of newestFirst) {
          if (returned === page) {
            truncated = true;
            break outer;
          }
          const entry = { Key: encode(key), VersionId: v.versionId, IsLatest: latest, LastModified: v.lastModified, Owner: { ...OWNER } };
          if (v.deleteMarker) markers.push(entry);
          else versions.push({ ...entry, ETag: v.etag, Size: v.body.byteLength, StorageClass: 'STANDARD' });
          returned++;
          next = { key, versionId: v.versionId };
        }
      }
      return {
        Name: input.Bucket,
        Prefix: encode(prefix),
        KeyMarker: encode(keyMarker ?? ''),
        VersionIdMarker: versionMarker ?? '',
        MaxKeys: requested,
        IsTruncated: truncated,
        ...(input.Delimiter ? { Delimiter: encode(input.Delimiter) } : {}),
        ...(versions.length ? { Versions: versions } : {}),
        ...(markers.length ? { DeleteMarkers: markers } : {}),
        ...(prefixes.length ? { CommonPrefixes: prefixes.map((p) => ({ Prefix: encode(p) })) } : {}),
        ...(truncated && next ? { NextKeyMarker: encode(next.key), ...(next.versionId !== undefined ? { NextVersionIdMarker: next.versionId } : {}) } : {}),
        ...(input.EncodingType !== undefined ? { EncodingType: input.EncodingType } : {}),
      };
    });
  }

  // ----- internals -----

  private call<O>(operation: string, fn: () => O): O {
    count(this.calls, operation);
    return fn();
  }

  private bucket(name: string | undefined): Bucket {
    const b = name === undefined ? undefined : this.buckets.get(name);
    if (!b) throw s3Errors.noSuchBucket(String(name));
    return b;
  }

  /** The bucket's keys with their versions, in UTF-8 binary order. */
  private entries(b: Bucket): Array<[string, StoredVersion[]]> {
    return [...b.objects.entries()].sort(([x], [y]) => byUtf8(x, y));
  }

  /**
   * S3 API reference, GetObject: when the current version is a delete marker the key reads as
   * missing (404 NoSuchKey, `x-amz-delete-marker: true`); asking for a marker's version ID is
   * 405 MethodNotAllowed, with the same header.
   */
  private find(bucketName: string | undefined, key: string | undefined, versionId: string | undefined): { bucket: Bucket; v: StoredVersion } {
    const bucket = this.bucket(bucketName);
    const versions = bucket.objects.get(key ?? '') ?? [];
    const v = versionId === undefined ? versions.at(-1) : versions.find((x) => x.versionId === versionId);
    if (!v) throw s3Errors.noSuchKey();
    if (v.deleteMarker) {
      const s3Headers = { 'x-amz-delete-marker': 'true', ...(bucket.versioned ? { 'x-amz-version-id': v.versionId } : {}) };
      throw versionId === undefined ? s3Errors.noSuchKey({ s3Headers }) : s3Errors.methodNotAllowed({ s3Headers });
    }
    return { bucket, v };
  }
}

function newVersionId(): string {
  return randomUUID().replace(/-/g, '');
}

function objectEntry(key: string, v: StoredVersion, encode: (s: string) => string): _Object {
  return { Key: encode(key), LastModified: v.lastModified, ETag: v.etag, Size: v.body.byteLength, StorageClass: 'STANDARD' };
}

function toBytes(body: PutObjectCommandInput['Body']): Uint8Array {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return new Uint8Array(Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array) return new Uint8Array(body);
  throw new Error('S3Model: only string and Uint8Array bodies are modelled');
}
