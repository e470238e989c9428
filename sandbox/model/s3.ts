// Stateful model of the slice of S3 the migration uses: buckets with versioning, PutObject with
// the conditional `IfNoneMatch: '*'` (create only), GetObject (latest or a given version) and
// HeadObject. Rules are S3's documented behaviour: a conditional write onto an existing key fails
// with 412 PreconditionFailed ("At least one of the pre-conditions you specified did not hold",
// S3 User Guide, conditional writes); in a versioned bucket every write gets a new version ID and
// GetObject returns the latest unless VersionId is given; unknown keys are NoSuchKey, unknown
// buckets NoSuchBucket. Methods take the SDK's request shapes.
import { randomUUID, createHash } from 'node:crypto';
import {
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  S3ServiceException,
  type GetObjectRequest,
  type HeadObjectOutput,
  type HeadObjectRequest,
  type PutObjectCommandInput,
  type PutObjectOutput,
} from '@aws-sdk/client-s3';
import { count } from './errors.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

export const s3Errors = {
  noSuchBucket: (bucket: string) => new NoSuchBucket({ message: `The specified bucket does not exist: ${bucket}`, ...meta(404) }),
  noSuchKey: () => new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) }),
  notFound: () => new NotFound({ message: 'Not Found', ...meta(404) }),
  /** Not a modelled exception: the SDK reports it as its base class with the code as name. */
  preconditionFailed: () =>
    new S3ServiceException({
      name: 'PreconditionFailed',
      $fault: 'client',
      message: 'At least one of the pre-conditions you specified did not hold',
      ...meta(412),
    }),
};

export interface StoredVersion {
  versionId: string;
  body: Uint8Array;
  contentType?: string;
  etag: string;
  lastModified: Date;
}

interface Bucket {
  versioned: boolean;
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

export class S3Model {
  readonly calls = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
  }

  // ----- seeding and inspection (no API equivalent) -----

  createBucket(name: string, options: { versioned?: boolean } = {}): void {
    this.buckets.set(name, { versioned: options.versioned ?? true, objects: new Map() });
  }

  /** Every key of a bucket, sorted. */
  keys(bucket: string): string[] {
    return [...this.bucket(bucket).objects.keys()].sort();
  }

  versions(bucket: string, key: string): StoredVersion[] {
    return [...(this.bucket(bucket).objects.get(key) ?? [])];
  }

  /** The latest version's body parsed as JSON (test helper). */
  json<T = unknown>(bucket: string, key: string): T {
    const latest = this.bucket(bucket).objects.get(key)?.at(-1);
    if (!latest) throw s3Errors.noSuchKey();
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
        if (existing?.length) throw s3Errors.preconditionFailed();
      }
      const body = toBytes(input.Body);
      const version: StoredVersion = {
        versionId: b.versioned ? randomUUID().replace(/-/g, '') : 'null',
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
        return { ETag: v.etag, ContentLength: v.body.byteLength, LastModified: v.lastModified, ...(bucket.versioned ? { VersionId: v.versionId } : {}) };
      } catch (e) {
        // HEAD has no body, so S3 answers a bare 404 (NotFound) rather than NoSuchKey.
        if (e instanceof NoSuchKey) throw s3Errors.notFound();
        throw e;
      }
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

  private find(bucketName: string | undefined, key: string | undefined, versionId: string | undefined): { bucket: Bucket; v: StoredVersion } {
    const bucket = this.bucket(bucketName);
    const versions = bucket.objects.get(key ?? '') ?? [];
    const v = versionId === undefined ? versions.at(-1) : versions.find((x) => x.versionId === versionId);
    if (!v) throw s3Errors.noSuchKey();
    return { bucket, v };
  }
}

function toBytes(body: PutObjectCommandInput['Body']): Uint8Array {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return new Uint8Array(Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array) return new Uint8Array(body);
  throw new Error('S3Model: only string and Uint8Array bodies are modelled');
}
