/**
 * The migration's documents in S3 (backup, plan, report, approval request). Writes are
 * create-only: `IfNoneMatch: '*'` makes S3 refuse to replace an existing object with
 * 412 PreconditionFailed (S3 conditional writes, PutObject `If-None-Match`), so a backup is never
 * overwritten, whatever the bucket policy says. The bucket is versioned, so a version ID is
 * returned with every write.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { EksAccessPilotError } from '#kernel/errors';
import { s3Client } from '#platform/clients';


/** An object already exists at a key that must be written once. */
export class ObjectExistsError extends EksAccessPilotError {
  constructor(readonly bucket: string, readonly key: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${key} already exists and is never overwritten`, options);
    this.name = 'ObjectExistsError';
  }
}

export class ObjectMissingError extends EksAccessPilotError {
  constructor(readonly bucket: string, readonly key: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${key} does not exist`, options);
    this.name = 'ObjectMissingError';
  }
}

export interface StoredObject {
  bucket: string;
  key: string;
  versionId?: string;
}

export interface DocumentStore {
  /** Writes JSON to a key that must not exist yet; ObjectExistsError when it does. */
  createJson(bucket: string, key: string, value: unknown): Promise<StoredObject>;
  /** Reads JSON; ObjectMissingError when there is none. */
  getJson<T>(bucket: string, key: string, versionId?: string): Promise<{ value: T; versionId?: string }>;
}

/**
 * S3's answer to a failed `If-None-Match: *`: 412 PreconditionFailed, or 409
 * ConditionalRequestConflict while a concurrent conditional write is in flight. Neither is a
 * modelled exception class, so the SDK reports them by name and status.
 */
function isCreateConflict(e: unknown): boolean {
  if (!(e instanceof S3ServiceException)) return false;
  return e.name === 'PreconditionFailed' || e.name === 'ConditionalRequestConflict' || e.$metadata?.httpStatusCode === 412;
}

export function documentStore(client: S3Client = s3Client()): DocumentStore {
  return {
    async createJson(bucket, key, value) {
      try {
        const out = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(value, null, 2),
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
        return { bucket, key, versionId: out.VersionId };
      } catch (e) {
        if (isCreateConflict(e)) throw new ObjectExistsError(bucket, key, { cause: e });
        throw e;
      }
    },

    async getJson<T>(bucket: string, key: string, versionId?: string) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
        const text = (await out.Body?.transformToString('utf-8')) ?? '';
        return { value: JSON.parse(text) as T, versionId: out.VersionId };
      } catch (e) {
        if (e instanceof NoSuchKey) throw new ObjectMissingError(bucket, key, { cause: e });
        throw e;
      }
    },
  };
}
