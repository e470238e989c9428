/**
 * The sandbox's EKS token check (sandbox/kubernetes/token.ts) on its own: the format rules of
 * aws-iam-authenticator's pkg/token/token.go `Verify`, the STS hosts its verifier accepts per
 * partition, and the offline signature check that stands in for the authenticator's call to STS.
 * Tokens are made the way `aws eks get-token` makes them (the production eksToken adapter, and a
 * presigned URL built by hand where the adapter would not make the case).
 */
import { describe, expect, it } from 'vitest';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { eksToken } from '#migration/adapters/eks-token';
import { stsHostRefusal, verifyEksToken, type SigningKey } from '#sandbox/kubernetes/token';

const KEY: SigningKey = { accessKeyId: 'AKIAWORKFLOWEXAMPLE1', secretAccessKey: 'workflow-secret', arn: 'arn:aws:sts::111122223333:assumed-role/eks-access-pilot-MigrationRole/s' };
const SESSION: SigningKey = { ...KEY, accessKeyId: 'ASIASESSIONEXAMPLE01', sessionToken: 'session-token' };
const keys = (id: string) => [KEY, SESSION].find((k) => k.accessKeyId === id);
const PROD = { name: 'prod', region: 'eu-west-1' };
const NOW = new Date('2026-12-02T12:00:00Z');

/** A presigned GetCallerIdentity URL as aws-cli's botocore makes it, for any host and region. */
async function presign(host: string, o: { region?: string; cluster?: string; key?: SigningKey; at?: Date; expires?: number } = {}): Promise<string> {
  const key = o.key ?? KEY;
  const signer = new SignatureV4({ credentials: key, region: o.region ?? 'eu-west-1', service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: 'https:', hostname: host, path: '/', headers: { host, 'x-k8s-aws-id': o.cluster ?? 'prod' }, query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }),
    { signingDate: o.at ?? NOW, expiresIn: o.expires ?? 60, unhoistableHeaders: new Set(['x-k8s-aws-id']) },
  );
  return `https://${host}/?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
}

const bearer = (url: string) => `Bearer k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
/** 'admitted as <arn>' or the reason for the refusal. */
async function check(authorization: string, cluster = PROD, now = NOW): Promise<string> {
  const r = await verifyEksToken(authorization, cluster, keys, now);
  return 'identity' in r ? `admitted as ${r.identity.arn}` : r.refused;
}

describe('EKS token check', () => {
  it('admits the token the production adapter makes, as the key that signed it', async () => {
    const token = await eksToken({ clusterName: 'prod', region: 'eu-west-1', credentials: KEY, signingDate: NOW });

    expect(await check(`Bearer ${token}`)).toBe(`admitted as ${KEY.arn}`);
  });

  it('admits a session key whose token is in the URL, and refuses the URL without it', async () => {
    const url = await presign('sts.eu-west-1.amazonaws.com', { key: SESSION });

    expect(await check(bearer(url))).toBe(`admitted as ${SESSION.arn}`);
    expect(await check(bearer(url.replace(/&X-Amz-Security-Token=[^&]+/, '')))).toMatch(/InvalidClientTokenId$/);
  });

  it.each([
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com', undefined],
    ['eu-west-1', 'sts.amazonaws.com', undefined],
    ['eu-west-1', 'sts.us-east-1.amazonaws.com', undefined],
    ['eu-west-1', 'sts-fips.us-east-1.amazonaws.com', undefined],
    ['eu-west-1', 'sts.eu-west-1.api.aws', undefined],
    ['eu-west-1', 'sts.cn-north-1.amazonaws.com.cn', 'partition {aws} does not support hostname sts.cn-north-1.amazonaws.com.cn'],
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com.evil.example', 'unexpected hostname "sts.eu-west-1.amazonaws.com.evil.example" in pre-signed URL'],
    ['eu-west-1', '127.0.0.1:4566', 'unexpected hostname "127.0.0.1:4566" in pre-signed URL'],
    ['eu-west-1', 'localhost:4566', 'could not parse region for pre-signed URL localhost:4566, invalid host format: localhost:4566'],
    ['eu-west-1', 'sts.eu-west-1.amazonaws.com:443', 'unexpected hostname "sts.eu-west-1.amazonaws.com:443" in pre-signed URL'],
    ['cn-north-1', 'sts.cn-north-1.amazonaws.com.cn', undefined],
    ['cn-north-1', 'sts.amazonaws.com', 'global endpoint unsupported in partition aws-cn'],
    ['cn-north-1', 'sts.eu-west-1.amazonaws.com', 'partition {aws-cn} does not support hostname sts.eu-west-1.amazonaws.com'],
    ['us-gov-west-1', 'sts.us-gov-west-1.amazonaws.com', undefined],
    ['us-gov-west-1', 'sts.amazonaws.com', 'global endpoint unsupported in partition aws-us-gov'],
  ])('a cluster in %s: STS host %s → %s', (clusterRegion, host, refusal) => {
    expect(stsHostRefusal(host, clusterRegion)).toBe(refusal);
  });

  it('refuses a URL presigned for the sandbox itself (what get-token makes under AWS_ENDPOINT_URL_STS=http://127.0.0.1:…)', async () => {
    const url = (await presign('sts.eu-west-1.amazonaws.com')).replace('https://sts.eu-west-1.amazonaws.com/', 'http://127.0.0.1:4566/');

    expect(await check(bearer(url))).toBe('unexpected scheme "http" in pre-signed URL');
  });

  it('refuses a bad prefix, padding, a path, another action, an extra or repeated parameter, an unsigned x-k8s-aws-id', async () => {
    const url = await presign('sts.eu-west-1.amazonaws.com');

    expect(await check(`Bearer ${Buffer.from(url).toString('base64url')}`)).toBe('token is missing expected "k8s-aws-v1." prefix');
    expect(await check(`Bearer k8s-aws-v1.${Buffer.from(url).toString('base64')}=`)).toBe('illegal base64 data');
    expect(await check(bearer(url.replace('.com/?', '.com/x?')))).toBe('unexpected path in pre-signed URL');
    expect(await check(bearer(url.replace('GetCallerIdentity', 'GetSessionToken')))).toBe('unexpected action parameter in pre-signed URL');
    expect(await check(bearer(`${url}&Extra=1`))).toBe('non-whitelisted query parameter "Extra"');
    expect(await check(bearer(`${url}&action=GetCallerIdentity`))).toBe('duplicate query parameter found: "action"');
    expect(await check(bearer(url.replace(/X-Amz-SignedHeaders=[^&]+/, 'X-Amz-SignedHeaders=host')))).toBe('client did not sign the x-k8s-aws-id header in the pre-signed URL');
    expect(await check(`Bearer k8s-aws-v1.${'a'.repeat(4100)}`)).toBe('token is too large');
  });

  it('takes X-Amz-Expires up to 900 and ignores it: the token lives 15 minutes from X-Amz-Date', async () => {
    const signed = (minutesAgo: number, expires = 60) => presign('sts.eu-west-1.amazonaws.com', { at: new Date(NOW.getTime() - minutesAgo * 60_000), expires });

    expect(await check(bearer(await signed(14)))).toBe(`admitted as ${KEY.arn}`);
    expect(await check(bearer(await signed(14, 900)))).toBe(`admitted as ${KEY.arn}`);
    expect(await check(bearer(await signed(16)))).toBe('X-Amz-Date parameter is expired (15 minute expiration) 2026-12-02T11:44:00.000Z');
    expect(await check(bearer(await signed(1, 901)))).toBe('invalid X-Amz-Expires parameter in pre-signed URL: 901');
  });

  it('plays STS offline: another cluster, another secret, an unknown key, a scope for another region all fail', async () => {
    const forStaging = await presign('sts.eu-west-1.amazonaws.com', { cluster: 'staging' });
    const wrongSecret = await presign('sts.eu-west-1.amazonaws.com', { key: { ...KEY, secretAccessKey: 'guessed' } });
    const unknown = await presign('sts.eu-west-1.amazonaws.com', { key: { ...KEY, accessKeyId: 'AKIAUNKNOWNEXAMPLE01' } });
    const wrongScope = await presign('sts.eu-west-1.amazonaws.com', { region: 'us-east-1' });

    expect(await check(bearer(forStaging))).toMatch(/^sts getCallerIdentity failed: .*SignatureDoesNotMatch \(the token was not signed for cluster prod/);
    expect(await check(bearer(wrongSecret))).toMatch(/SignatureDoesNotMatch/);
    expect(await check(bearer(unknown))).toMatch(/InvalidClientTokenId$/);
    expect(await check(bearer(wrongScope))).toMatch(/Credential should be scoped to a valid region/);
    expect(await check(bearer(forStaging), { name: 'staging', region: 'eu-west-1' })).toBe(`admitted as ${KEY.arn}`);
  });

  it('accepts the global endpoint with a us-east-1 scope, as aws-cli signs it with AWS_STS_REGIONAL_ENDPOINTS=legacy', async () => {
    expect(await check(bearer(await presign('sts.amazonaws.com', { region: 'us-east-1' })))).toBe(`admitted as ${KEY.arn}`);
  });
});
