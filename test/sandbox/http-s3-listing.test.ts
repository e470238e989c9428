/**
 * Contract tests of S3's listings and deletes over HTTP: the real S3Client and its paginators
 * against the sandbox. Each pins a rule of the S3 API reference (ListBuckets, ListObjectsV2,
 * ListObjectVersions, DeleteObject, GetObject/HeadObject on delete markers) or the REST-XML wire
 * form, as an operator listing the backup bucket sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  paginateListBuckets,
  paginateListObjectsV2,
  type ListObjectVersionsOutput,
} from '@aws-sdk/client-s3';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { rejectionOf } from './world.ts';

const BUCKET = 'eks-access-pilot-backups';
const REGION = 'eu-west-1';

let sandbox: Sandbox;
let s3: S3Client;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: { s3: { buckets: [{ name: BUCKET }, { name: 'scratch-unversioned', versioned: false }, { name: 'another-bucket' }] } },
  });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  s3 = new S3Client({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  for (const key of ['backups/prod/e1/backup.json', 'backups/prod/e1/plan.json', 'backups/prod/e2/backup.json', 'backups/dev/e3/backup.json', 'plans/prod/p.json', 'a b+c.json', 'top.json']) {
    sandbox.model.s3.putObject({ Bucket: BUCKET, Key: key, Body: `{"key":"${key}"}` });
  }
});
afterAll(async () => {
  s3.destroy();
  await sandbox.stop();
});

const put = (Bucket: string, Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
/** A delete marker, made in-process: the listing tests do not depend on DeleteObject over HTTP. */
const deleteMarker = (Key: string) => sandbox.model.s3.deleteObject({ Bucket: BUCKET, Key });

describe('S3 ListBuckets over HTTP', () => {
  it('lists the buckets by name with creation dates and the owner, filters by Prefix and pages by MaxBuckets', async () => {
    const all = await s3.send(new ListBucketsCommand({}));
    const names: string[] = [];
    const pages: number[] = [];
    for await (const page of paginateListBuckets({ client: s3, pageSize: 2 }, {})) {
      names.push(...(page.Buckets ?? []).map((b) => b.Name!));
      pages.push(page.Buckets?.length ?? 0);
    }
    const filtered = await s3.send(new ListBucketsCommand({ Prefix: 'eks-' }));

    expect(all.Buckets?.map((b) => b.Name)).toEqual(['another-bucket', BUCKET, 'scratch-unversioned']);
    expect(all.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(all.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    expect(all.ContinuationToken).toBeUndefined();
    expect(names).toEqual(['another-bucket', BUCKET, 'scratch-unversioned']);
    expect(pages).toEqual([2, 1]);
    expect(filtered).toMatchObject({ Buckets: [{ Name: BUCKET }], Prefix: 'eks-' });
  });
});

describe('S3 ListObjectsV2 over HTTP', () => {
  it('rolls keys up into CommonPrefixes at the delimiter, and counts keys and prefixes in KeyCount', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backups/prod/', Delimiter: '/' }));
    const top = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));

    expect(out).toMatchObject({ Name: BUCKET, Prefix: 'backups/prod/', Delimiter: '/', KeyCount: 2, MaxKeys: 1000, IsTruncated: false });
    expect(out.CommonPrefixes).toEqual([{ Prefix: 'backups/prod/e1/' }, { Prefix: 'backups/prod/e2/' }]);
    expect(out.Contents).toBeUndefined();
    expect(top.Contents?.map((o) => o.Key)).toEqual(['a b+c.json', 'top.json']);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['backups/', 'plans/']);
    expect(top.KeyCount).toBe(4);
  });

  it('describes each object: key, size, ETag, last modified, storage class', async () => {
    const written = await put(BUCKET, 'described/one.json', '{"size":10}');

    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'described/' }));

    expect(out.Contents).toEqual([{ Key: 'described/one.json', Size: 11, ETag: written.ETag, LastModified: expect.any(Date), StorageClass: 'STANDARD' }]);
  });

  it('pages by MaxKeys with NextContinuationToken, in UTF-8 binary order, a common prefix once across pages', async () => {
    const keys: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 2 }, { Bucket: BUCKET, Prefix: 'backups/' })) {
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      sizes.push(page.KeyCount ?? 0);
    }
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 1, Delimiter: '/' }));
    const prefixes: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1 }, { Bucket: BUCKET, Prefix: 'backups/', Delimiter: '/' })) {
      prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    }

    expect(keys).toEqual(['backups/dev/e3/backup.json', 'backups/prod/e1/backup.json', 'backups/prod/e1/plan.json', 'backups/prod/e2/backup.json']);
    expect(sizes).toEqual([2, 2]);
    expect(first).toMatchObject({ IsTruncated: true, KeyCount: 1, MaxKeys: 1, Contents: [{ Key: 'a b+c.json' }] });
    expect(first.NextContinuationToken).toEqual(expect.any(String));
    expect(prefixes).toEqual(['backups/dev/', 'backups/prod/']);
  });

  it('starts after StartAfter, echoes it and the continuation token, and refuses a token it did not issue', async () => {
    const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backups/', StartAfter: 'backups/prod/e1/plan.json' }));
    const first = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backups/', MaxKeys: 3 }));
    const second = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'backups/', ContinuationToken: first.NextContinuationToken }));
    const bad = await rejectionOf(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'not-a-token' })));

    expect(after).toMatchObject({ StartAfter: 'backups/prod/e1/plan.json', Contents: [{ Key: 'backups/prod/e2/backup.json' }] });
    expect(second).toMatchObject({ ContinuationToken: first.NextContinuationToken, IsTruncated: false, Contents: [{ Key: 'backups/prod/e2/backup.json' }] });
    expect(bad).toMatchObject({ name: 'InvalidArgument', message: 'The continuation token provided is incorrect', $metadata: { httpStatusCode: 400 } });
  });

  it('returns nothing, not truncated, for MaxKeys 0, and refuses a negative MaxKeys', async () => {
    const zero = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 0 }));
    const negative = await rejectionOf(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: -1 })));

    expect(zero).toMatchObject({ KeyCount: 0, MaxKeys: 0, IsTruncated: false });
    expect(zero.Contents).toBeUndefined();
    expect(negative).toMatchObject({ name: 'InvalidArgument', message: 'Argument maxKeys must be an integer between 0 and 2147483647', $metadata: { httpStatusCode: 400 } });
  });

  it('URL-encodes keys and prefixes for encoding-type=url (what botocore always asks for)', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, EncodingType: 'url', Prefix: 'a b', Delimiter: '/' }));

    expect(out).toMatchObject({ EncodingType: 'url', Prefix: 'a%20b', Contents: [{ Key: 'a%20b%2Bc.json' }] });
  });

  it('answers a missing bucket with NoSuchBucket', async () => {
    expect(await rejectionOf(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toBeInstanceOf(NoSuchBucket);
  });

  it('writes <ListBucketResult> in the S3 namespace, as the S3 API reference shows', async () => {
    const res = await signedFetch(sandbox, { service: 's3', region: REGION, path: `/${BUCKET}`, query: { 'list-type': '2', prefix: 'plans/' } });
    const body = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/xml');
    expect(body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
    expect(body).toContain('<Contents><Key>plans/prod/p.json</Key>');
    expect(body).toContain('<KeyCount>1</KeyCount>');
  });
});

describe('S3 delete markers over HTTP', () => {
  it('makes a plain DeleteObject in a versioned bucket a delete marker: the key reads as missing, older versions stay', async () => {
    const v1 = await put(BUCKET, 'deleted/doc.json', '{"v":1}');

    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deleted/doc.json' }));

    expect(deleted).toMatchObject({ DeleteMarker: true, VersionId: expect.stringMatching(/^\w+$/), $metadata: { httpStatusCode: 204 } });
    expect(await rejectionOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deleted/doc.json' })))).toBeInstanceOf(NoSuchKey);
    expect(await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'deleted/doc.json' })))).toBeInstanceOf(NotFound);
    const old = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deleted/doc.json', VersionId: v1.VersionId }));
    expect(await old.Body!.transformToString()).toBe('{"v":1}');
    // The marker's own version cannot be read: 405 (S3 API reference, GetObject).
    const marker = await rejectionOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deleted/doc.json', VersionId: deleted.VersionId })));
    expect(marker).toMatchObject({ name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'deleted/' }))).KeyCount).toBe(0);
  });

  it('removes a version for good when DeleteObject names it; deleting the marker brings the object back', async () => {
    await put(BUCKET, 'undelete/doc.json', '{"v":1}');
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'undelete/doc.json' }));

    const removed = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'undelete/doc.json', VersionId: marker.VersionId }));

    expect(removed).toMatchObject({ DeleteMarker: true, VersionId: marker.VersionId });
    const back = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'undelete/doc.json' }));
    expect(await back.Body!.transformToString()).toBe('{"v":1}');
    expect(sandbox.model.s3.versions(BUCKET, 'undelete/doc.json')).toHaveLength(1);
  });

  it('reports an existing object with HeadObject: size, ETag, version, content type', async () => {
    const written = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'head/doc.json', Body: '{}', ContentType: 'application/json' }));

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'head/doc.json' }));

    expect(head).toMatchObject({ ContentLength: 2, ETag: written.ETag, VersionId: written.VersionId, ContentType: 'application/json', LastModified: expect.any(Date) });
  });
});

describe('S3 ListObjectVersions over HTTP', () => {
  it('lists every version newest first with IsLatest, and delete markers beside them', async () => {
    const v1 = await put(BUCKET, 'versions/a.json', '{"v":1}');
    const v2 = await put(BUCKET, 'versions/a.json', '{"v":22}');
    const b1 = await put(BUCKET, 'versions/b.json', '{}');
    const gone = deleteMarker('versions/b.json');

    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'versions/' }));

    expect(out).toMatchObject({ Name: BUCKET, Prefix: 'versions/', IsTruncated: false, MaxKeys: 1000 });
    expect(out.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).toEqual([
      ['versions/a.json', v2.VersionId, true, 8],
      ['versions/a.json', v1.VersionId, false, 7],
      ['versions/b.json', b1.VersionId, false, 2],
    ]);
    expect(out.Versions?.[0]).toMatchObject({ ETag: v2.ETag, StorageClass: 'STANDARD', LastModified: expect.any(Date), Owner: { ID: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(out.DeleteMarkers).toEqual([{ Key: 'versions/b.json', VersionId: gone.VersionId, IsLatest: true, LastModified: expect.any(Date), Owner: { ID: expect.any(String) } }]);
  });

  it('pages with NextKeyMarker/NextVersionIdMarker: every version and marker exactly once, in order', async () => {
    for (let i = 0; i < 3; i++) await put(BUCKET, 'paged/x.json', `{"i":${i}}`);
    await put(BUCKET, 'paged/y.json', '{}');
    deleteMarker('paged/y.json');
    const all = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/' }));
    const expected = [...(all.Versions ?? []), ...(all.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`).sort();

    // The JS SDK has no paginator for two-token listings; this loop is botocore's (paginators-1.json:
    // input KeyMarker+VersionIdMarker from NextKeyMarker+NextVersionIdMarker while IsTruncated).
    const seen: string[] = [];
    let pages = 0;
    let page: ListObjectVersionsOutput | undefined;
    do {
      page = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/', MaxKeys: 2, KeyMarker: page?.NextKeyMarker, VersionIdMarker: page?.NextVersionIdMarker }));
      pages++;
      seen.push(...[...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => `${v.Key}@${v.VersionId}`));
    } while (page.IsTruncated);
    const first = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/', MaxKeys: 2 }));

    expect(seen.sort()).toEqual(expected);
    expect(expected).toHaveLength(5);
    expect(pages).toBe(3);
    expect(first).toMatchObject({ IsTruncated: true, NextKeyMarker: 'paged/x.json', NextVersionIdMarker: first.Versions?.[1]?.VersionId });
    const rest = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/', KeyMarker: first.NextKeyMarker, VersionIdMarker: first.NextVersionIdMarker }));
    expect(rest).toMatchObject({ KeyMarker: 'paged/x.json', VersionIdMarker: first.NextVersionIdMarker, IsTruncated: false });
    expect(rest.Versions?.map((v) => v.Key)).toEqual(['paged/x.json', 'paged/y.json']);
  });

  it('starts after the whole key when only KeyMarker is given, and refuses a version marker without a key marker', async () => {
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/', KeyMarker: 'paged/x.json' }));
    const bad = await rejectionOf(s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, VersionIdMarker: 'abc' })));

    expect([...(after.Versions ?? []), ...(after.DeleteMarkers ?? [])].map((v) => v.Key)).toEqual(['paged/y.json', 'paged/y.json']);
    expect(bad).toMatchObject({ name: 'InvalidArgument', $metadata: { httpStatusCode: 400 } });
  });

  it('rolls keys into CommonPrefixes with a delimiter, and gives unversioned objects the version ID null', async () => {
    await put('scratch-unversioned', 'k.json', '{}');

    const grouped = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'backups/', Delimiter: '/' }));
    const plain = await s3.send(new ListObjectVersionsCommand({ Bucket: 'scratch-unversioned' }));

    expect(grouped.CommonPrefixes).toEqual([{ Prefix: 'backups/dev/' }, { Prefix: 'backups/prod/' }]);
    expect(grouped.Versions).toBeUndefined();
    expect(plain.Versions).toEqual([expect.objectContaining({ Key: 'k.json', VersionId: 'null', IsLatest: true })]);
  });

  it('writes <ListVersionsResult> with <Version> and <DeleteMarker> elements', async () => {
    const res = await signedFetch(sandbox, { service: 's3', region: REGION, path: `/${BUCKET}`, query: { versions: '', prefix: 'versions/b' } });
    const body = await res.text();

    expect(res.status).toBe(200);
    expect(body).toMatch(/<ListVersionsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
    expect(body).toMatch(/<Version><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>.*<Key>versions\/b.json<\/Key>/);
    expect(body).toMatch(/<DeleteMarker><Owner><ID>[0-9a-f]{64}<\/ID><\/Owner><Key>versions\/b.json<\/Key>/);
  });
});
