/**
 * The EKS bearer token check, as aws-iam-authenticator does it on EKS (kubernetes-sigs/
 * aws-iam-authenticator, pkg/token/token.go, `tokenVerifier.Verify`), with one difference: the
 * authenticator replays the presigned URL to STS to learn who signed it; the sandbox plays STS
 * itself and verifies the signature OFFLINE, re-computing it with the secret of the access key
 * named in the credential (keys the sandbox issued, AwsModel.addAccessKey) and with the header
 * `x-k8s-aws-id: <this cluster>` that the authenticator adds to the replayed request. A token made
 * for another cluster, by a key the sandbox does not know, or tampered with, fails as it would at
 * STS (SignatureDoesNotMatch / InvalidClientTokenId).
 *
 * The authenticator's format checks, in its order (token.go, `Verify`):
 *  - at most 4096 bytes (maxTokenLenBytes), prefix `k8s-aws-v1.` (v1Prefix), the rest unpadded
 *    base64url (base64.RawURLEncoding) of a URL;
 *  - scheme `https`; a host its verifier accepts for the cluster's partition (`verifyHost`, below);
 *    path `/`; no query parameter twice, in any case (`validateDuplicateParameters`); only the
 *    whitelisted parameters (parameterWhitelist), each with one value;
 *    `Action=GetCallerIdentity`; `x-k8s-aws-id` among `X-Amz-SignedHeaders`
 *    (hasSignedClusterIDHeader); `X-Amz-Expires` an integer from 0 to 900;
 *  - `X-Amz-Date` present and at most 15 minutes old (presignedURLExpiration = 15 * time.Minute:
 *    "presigned STS urls are valid for 15 minutes after timestamp in x-amz-date", whatever
 *    X-Amz-Expires says — clients send 60, "IT IS IGNORED"). Versions 0.3.0 and older also refused
 *    X-Amz-Expires above 60; the current one allows up to 900, and so does the sandbox.
 * Then what STS does with the replayed URL: the credential scope must be for `sts` in the region
 * of the host (us-east-1 for the global host) and the signature must match.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { dnsSuffix, isSupportedRegion, partitionOf, type Partition } from '#kernel/partition';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const MAX_TOKEN_BYTES = 4096;
const EXPIRATION_MS = 15 * 60_000;
const WHITELIST = new Set(['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-security-token', 'x-amz-signature', 'x-amz-signedheaders']);

/** An access key the sandbox knows, with who signs with it (what STS GetCallerIdentity answers). */
export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** An IAM user ARN or an STS assumed-role ARN. */
  arn: string;
}

/** Who a verified token identifies: token.go's `Identity`. */
export interface TokenIdentity {
  /** What STS GetCallerIdentity answered (an assumed-role session ARN for a role). */
  arn: string;
  accessKeyId: string;
  /** The STS host the URL was presigned for. */
  stsEndpoint: string;
}

export type TokenCheck = { identity: TokenIdentity } | { refused: string };

// The STS domains of each partition (pkg/endpoints/partitions.go, GetSTSPartitionDomain — the
// partition's DNS suffix, kernel/partition.ts — and GetSTSDualStackPartitionDomain).
const STS_DUAL_STACK_DOMAIN: Record<Partition, string> = { aws: 'api.aws', 'aws-cn': 'api.amazonwebservices.com.cn', 'aws-us-gov': 'api.aws' };
const domains = (p: Partition) => [dnsSuffix(p), STS_DUAL_STACK_DOMAIN[p]];
// token.go, validateInputRegion (ported from the Go SDK v1's region check).
const REGION_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** The region of an STS host: token.go, getStsRegion ("global" for sts.amazonaws.com). */
function stsRegionOf(host: string): string | undefined {
  const parts = host.split('.');
  if (parts.length < 3) return undefined;
  return host === 'sts.amazonaws.com' ? 'global' : parts[1];
}

/**
 * Why the authenticator of a cluster in `clusterRegion` refuses a URL presigned for `host`, or
 * undefined when it accepts it (token.go, `verifySTSHostnameFormat`): the global host only in the
 * aws partition; otherwise a host the SDK's STS endpoint resolver gives for the host's own region
 * (plain, FIPS, dual-stack; an unknown region resolves in the commercial format), or the default
 * host of the cluster's own region; and its domain must be the cluster partition's. So
 * `sts.us-east-1.amazonaws.com` is accepted in eu-west-1, `sts.cn-north-1.amazonaws.com.cn` is not.
 */
export function stsHostRefusal(host: string, clusterRegion: string): string | undefined {
  const partition = partitionOf(clusterRegion);
  const hostRegion = stsRegionOf(host);
  if (hostRegion === undefined) return `could not parse region for pre-signed URL ${host}, invalid host format: ${host}`;
  if (hostRegion === 'global') return partition === 'aws' ? undefined : `global endpoint unsupported in partition ${partition}`;
  if (!REGION_LABEL.test(hostRegion)) return `invalid region identifier format provided: ${hostRegion}`;
  // A region of a partition the sandbox does not serve (aws-iso*, …) resolves to no host of ours.
  const resolved = isSupportedRegion(hostRegion) ? ['sts', 'sts-fips'].flatMap((service) => domains(partitionOf(hostRegion)).map((d) => `${service}.${hostRegion}.${d}`)) : [];
  if (!resolved.includes(host)) {
    const defaults = domains(partition).map((d) => `sts.${clusterRegion}.${d}`);
    return defaults.includes(host) ? undefined : `unexpected hostname "${host}" in pre-signed URL`;
  }
  const domain = host.split('.').slice(2).join('.');
  if (!domains(partition).includes(domain)) return `partition {${partition}} does not support hostname ${host}`;
  return undefined;
}

/** The region STS signs for at a host: the host's region, us-east-1 for the global endpoint. */
function signingRegionOf(host: string): string {
  const r = stsRegionOf(host);
  return r === undefined || r === 'global' ? 'us-east-1' : r;
}

/**
 * Checks an `Authorization` header's bearer token for `clusterName` (in `clusterRegion`) and
 * returns the identity that signed it, or why it is refused (the authenticator's wording; the
 * API server answers any refusal with 401 Unauthorized).
 */
export async function verifyEksToken(
  authorization: string | undefined,
  cluster: { name: string; region: string },
  keyOf: (accessKeyId: string) => SigningKey | undefined,
  now: Date = new Date(),
): Promise<TokenCheck> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!bearer) return { refused: 'no bearer token' };
  if (bearer.length > MAX_TOKEN_BYTES) return { refused: 'token is too large' };
  if (!bearer.startsWith(TOKEN_PREFIX)) return { refused: `token is missing expected "${TOKEN_PREFIX}" prefix` };
  const encoded = bearer.slice(TOKEN_PREFIX.length);
  // Go's base64.RawURLEncoding: the URL-safe alphabet and no padding.
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { refused: 'illegal base64 data' };
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { refused: 'the token is not a URL' };
  }
  if (url.protocol !== 'https:') return { refused: `unexpected scheme "${url.protocol.slice(0, -1)}" in pre-signed URL` };
  const hostRefusal = stsHostRefusal(url.host, cluster.region);
  if (hostRefusal) return { refused: hostRefusal };
  if (url.pathname !== '/') return { refused: 'unexpected path in pre-signed URL' };
  const seen = new Set<string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (seen.has(key.toLowerCase())) return { refused: `duplicate query parameter found: "${key}"` };
    seen.add(key.toLowerCase());
  }
  const lower = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!WHITELIST.has(key.toLowerCase())) return { refused: `non-whitelisted query parameter "${key}"` };
    const values = url.searchParams.getAll(key);
    if (values.length !== 1) return { refused: 'query parameter with multiple values not supported' };
    lower.set(key.toLowerCase(), values[0]!);
  }
  if (lower.get('action') !== 'GetCallerIdentity') return { refused: 'unexpected action parameter in pre-signed URL' };
  const signedHeaders = (lower.get('x-amz-signedheaders') ?? '').split(';').map((h) => h.toLowerCase());
  if (!signedHeaders.includes(CLUSTER_ID_HEADER)) return { refused: `client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL` };
  const expires = Number(lower.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900) return { refused: `invalid X-Amz-Expires parameter in pre-signed URL: ${lower.get('x-amz-expires')}` };
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(lower.get('x-amz-date') ?? '');
  if (!date) return { refused: 'X-Amz-Date parameter must be present in pre-signed URL' };
  const signedAt = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!));
  if (now.getTime() > signedAt.getTime() + EXPIRATION_MS) return { refused: `X-Amz-Date parameter is expired (15 minute expiration) ${signedAt.toISOString()}` };

  // ----- what STS does with the replayed URL -----
  const stsRegion = signingRegionOf(url.host);
  const sts = (code: string, detail = '') => ({ refused: `sts getCallerIdentity failed: error from AWS (expected 200, got 403) on ${stsRegion} endpoint: ${code}${detail}` });
  // STS refuses a signature dated too far ahead ("Signature not yet current").
  if (signedAt.getTime() > now.getTime() + EXPIRATION_MS) return sts('SignatureDoesNotMatch', ' (Signature not yet current)');
  const [accessKeyId = '', , scopeRegion, scopeService] = (lower.get('x-amz-credential') ?? '').split('/');
  const key = keyOf(accessKeyId);
  // Temporary credentials are valid only with their session token, and a long-term key with none.
  if (!key || (lower.get('x-amz-security-token') ?? '') !== (key.sessionToken ?? '')) return sts('InvalidClientTokenId');
  if (scopeService !== 'sts' || scopeRegion !== stsRegion) return sts('SignatureDoesNotMatch', ` (Credential should be scoped to a valid region and service, not '${scopeRegion}/${scopeService}')`);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!k.toLowerCase().startsWith('x-amz-')) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region: stsRegion,
    service: 'sts',
    sha256: Sha256,
  });
  const expected = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: 'https:', hostname: url.host, path: '/', headers: { host: url.host, [CLUSTER_ID_HEADER]: cluster.name }, query }),
    { signingDate: signedAt, expiresIn: expires, unhoistableHeaders: new Set([CLUSTER_ID_HEADER]) },
  );
  if (expected.query?.['X-Amz-Signature'] !== lower.get('x-amz-signature')) {
    return sts('SignatureDoesNotMatch', ` (the token was not signed for cluster ${cluster.name}, or not with this key's secret)`);
  }
  return { identity: { arn: key.arn, accessKeyId, stsEndpoint: url.host } };
}
