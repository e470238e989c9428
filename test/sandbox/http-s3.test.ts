/**
 * Contract tests of S3 over HTTP: the real S3Client (and the production document store) against
 * the sandbox. Each pins a REST-XML wire rule or a modelled S3 rule as the SDK sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ObjectExistsError, ObjectMissingError, documentStore } from '#migration/adapters/documents';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { rejectionOf } from './world.ts';

const BUCKET = 'eks-access-pilot-backups';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

let sandbox: Sandbox;
let s3: S3Client;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { s3: { buckets: [{ name: BUCKET }, { name: 'unversioned', versioned: false }] } }, operator: credentials });
  // No forcePathStyle: against an IP endpoint the SDK uses path-style requests by itself.
  s3 = new S3Client({ region: 'eu-west-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  s3.destroy();
  await sandbox.stop();
});

const put = (Key: string, Body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType: 'application/json', ...extra }));

describe('S3 over HTTP (REST-XML, path-style)', () => {
  it('gives every write to a versioned bucket a new version ID, and reads the latest or a given version', async () => {
    const first = await put('docs/a.json', '{"v":1}');
    const second = await put('docs/a.json', '{"v":2}');

    expect(first.VersionId).toMatch(/^\w+$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const latest = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/a.json' }));
    expect(await latest.Body!.transformToString()).toBe('{"v":2}');
    expect(latest).toMatchObject({ VersionId: second.VersionId, ContentType: 'application/json', ContentLength: 7 });
    const old = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/a.json', VersionId: first.VersionId }));
    expect(await old.Body!.transformToString()).toBe('{"v":1}');
  });

  it('refuses a create-only write (If-None-Match: *) onto an existing key with 412 PreconditionFailed', async () => {
    await put('docs/once.json', '{}', { IfNoneMatch: '*' });

    const e = await rejectionOf(put('docs/once.json', '{"again":true}', { IfNoneMatch: '*' }));

    expect(e).toBeInstanceOf(S3ServiceException);
    expect(e).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(sandbox.model.s3.versions(BUCKET, 'docs/once.json')).toHaveLength(1);
  });

  it('answers a missing key with NoSuchKey, a HEAD of one with a bare 404 NotFound, a missing bucket with NoSuchBucket', async () => {
    expect(await rejectionOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nope.json' })))).toBeInstanceOf(NoSuchKey);
    expect(await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope.json' })))).toBeInstanceOf(NotFound);
    expect(await rejectionOf(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'a' })))).toBeInstanceOf(NoSuchBucket);
  });

  it('reports an object with HEAD (size, ETag, version) without its body', async () => {
    const written = await put('docs/head.json', '{"size":10}');

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'docs/head.json' }));

    expect(head).toMatchObject({ ContentLength: 11, ETag: written.ETag, VersionId: written.VersionId });
  });

  it('writes an XML error body with the code, message and key, and S3 request IDs in headers', async () => {
    const res = await signedFetch(sandbox, { service: 's3', region: 'eu-west-1', path: `/${BUCKET}/missing%20key.json`, query: { 'x-id': 'GetObject' } });

    expect(res.status).toBe(404);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    const body = await res.text();
    expect(body).toContain('<Code>NoSuchKey</Code>');
    expect(body).toContain('<Key>missing key.json</Key>');
  });

  it('serves the production document store: a backup is written once and read back by version', async () => {
    const store = documentStore(s3);
    const stored = await store.createJson(BUCKET, 'backups/prod/exec-1/backup.json', { formatVersion: 1 });

    const again = await rejectionOf(store.createJson(BUCKET, 'backups/prod/exec-1/backup.json', { formatVersion: 2 }));
    const read = await store.getJson<{ formatVersion: number }>(BUCKET, 'backups/prod/exec-1/backup.json', stored.versionId);

    expect(again).toBeInstanceOf(ObjectExistsError);
    expect(read).toEqual({ value: { formatVersion: 1 }, versionId: stored.versionId });
    expect(await rejectionOf(store.getJson(BUCKET, 'backups/prod/none.json'))).toBeInstanceOf(ObjectMissingError);
  });

  it('has no version IDs in a bucket without versioning', async () => {
    const out = await s3.send(new PutObjectCommand({ Bucket: 'unversioned', Key: 'k', Body: 'x' }));

    expect(out.VersionId).toBeUndefined();
  });

  it('throttles with the 503 SlowDown of S3', async () => {
    sandbox.faults.set({ throttle: { fraction: 1, operations: ['s3:GetObject'] } });
    try {
      const e = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'docs/a.json' })));
      expect(e).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    } finally {
      sandbox.faults.set({});
    }
  });
});
