/**
 * The Kubernetes API of each EKS cluster, as far as the migration uses it: the ConfigMap API
 * (`GET`/`PUT`/`PATCH /api/v1/namespaces/{ns}/configmaps/{name}`, `POST …/configmaps`) at
 * `https://127.0.0.1:<tls port>/k8s/<region>/<cluster>` — the endpoint the sandbox's
 * DescribeCluster returns. Requests carry no SigV4 signature but an EKS bearer token, so this
 * handler claims them by path.
 *
 * Authentication is what aws-iam-authenticator does on EKS (pkg/token/token.go, `Verify`): the
 * token must be at most 4096 bytes, start with `k8s-aws-v1.`, be unpadded base64url of an
 * `https` URL on an STS host with path `/`, carry only the whitelisted query parameters (each
 * once), `Action=GetCallerIdentity`, sign the `x-k8s-aws-id` header, have `X-Amz-Expires`
 * between 0 and 900, and an `X-Amz-Date` no more than 15 minutes old (the authenticator's
 * presignedURLExpiration; X-Amz-Expires itself is ignored). The authenticator then replays the
 * URL to STS with `x-k8s-aws-id: <cluster>`; STS checks the signature. The sandbox plays STS: it
 * recomputes the SigV4 signature with the secret of the access key in the credential (keys it
 * issued, AwsModel.addAccessKey) and this cluster's name, so a token made for another cluster,
 * or by a key the sandbox does not know, fails. Any failure is 401 Unauthorized, as the API
 * server answers when its authenticator webhook denies.
 *
 * Admission is the Kubernetes model's rule (sandbox/model/kubernetes.ts): an identity that is
 * neither mapped in aws-auth, nor the bootstrap admin, nor the principal of an access entry
 * (per the cluster's mode) is not authenticated at all on EKS, so it also gets 401 ("You must be
 * logged in to the server (Unauthorized)"); 403 is RBAC's answer to an authenticated user,
 * and RBAC is not modelled.
 */
import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsModel } from '#sandbox/model/index';
import type { ConfigMapApi } from '#sandbox/model/kubernetes';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';

/** Where the sandbox serves a cluster's Kubernetes API, under its TLS origin. */
export function kubernetesPath(region: string, clusterName: string): string {
  return `/k8s/${encodeURIComponent(region)}/${encodeURIComponent(clusterName)}`;
}

const PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4096;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
const EXPIRATION_MS = 15 * 60_000;
const WHITELIST = new Set(['action', 'version', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-security-token', 'x-amz-signature', 'x-amz-signedheaders']);
// STS hosts of the aws partition: global, regional and FIPS (the authenticator's list comes from
// the SDK's endpoint table).
const STS_HOST = /^sts(-fips)?(\.[a-z0-9-]+)?\.amazonaws\.com$/;

/** A Kubernetes `Status` object, the body of every API error (apimachinery metav1.Status). */
function status(code: number, reason: string, message: string, headers: Record<string, string> = {}): SandboxResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
  };
}

const ok = (code: number, body: unknown): SandboxResponse => ({ status: code, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Why a token is refused (the authenticator's wording), or the caller it identifies. */
export async function verifyEksToken(
  authorization: string | undefined,
  clusterName: string,
  model: AwsModel,
  now: Date = new Date(),
): Promise<{ arn: string } | { refused: string }> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!bearer) return { refused: 'no bearer token' };
  if (bearer.length > MAX_TOKEN_BYTES) return { refused: 'token is too large' };
  if (!bearer.startsWith(PREFIX)) return { refused: `token is missing expected "${PREFIX}" prefix` };
  const encoded = bearer.slice(PREFIX.length);
  // Go's base64.RawURLEncoding: the URL-safe alphabet and no padding.
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return { refused: 'illegal base64 data' };
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { refused: 'the token is not a URL' };
  }
  if (url.protocol !== 'https:') return { refused: `unexpected scheme "${url.protocol.slice(0, -1)}" in pre-signed URL` };
  if (!STS_HOST.test(url.host)) return { refused: `unexpected hostname "${url.host}" in pre-signed URL` };
  if (url.pathname !== '/') return { refused: 'unexpected path in pre-signed URL' };
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
  // STS itself refuses a signature dated too far ahead ("Signature not yet current").
  if (signedAt.getTime() > now.getTime() + EXPIRATION_MS) return { refused: 'sts getCallerIdentity failed: Signature not yet current' };

  // ----- what STS does with the replayed URL -----
  const [accessKeyId, , region, service] = (lower.get('x-amz-credential') ?? '').split('/');
  const key = model.accessKey(accessKeyId ?? '');
  if (!key) return { refused: 'sts getCallerIdentity failed: error from AWS (expected 200, got 403): InvalidClientTokenId' };
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!k.toLowerCase().startsWith('x-amz-')) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
    region: region ?? '',
    service: service ?? 'sts',
    sha256: Sha256,
  });
  const expected = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: 'https:', hostname: url.host, path: '/', headers: { host: url.host, [CLUSTER_ID_HEADER]: clusterName }, query }),
    { signingDate: signedAt, expiresIn: expires, unhoistableHeaders: new Set([CLUSTER_ID_HEADER]) },
  );
  if (expected.query?.['X-Amz-Signature'] !== lower.get('x-amz-signature')) {
    return { refused: `sts getCallerIdentity failed: error from AWS (expected 200, got 403): SignatureDoesNotMatch (the token was not signed for cluster ${clusterName})` };
  }
  return { arn: key.arn };
}

interface Target {
  region: string;
  cluster: string;
  namespace: string;
  name?: string;
}

/** `/k8s/<region>/<cluster>/api/v1/namespaces/<ns>/configmaps[/<name>]` */
function parsePath(rawPath: string): Target | undefined {
  const m = /^\/k8s\/([^/]+)\/([^/]+)\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?\/?$/.exec(rawPath);
  if (!m) return undefined;
  return { region: decodeURIComponent(m[1]!), cluster: decodeURIComponent(m[2]!), namespace: decodeURIComponent(m[3]!), ...(m[4] ? { name: decodeURIComponent(m[4]) } : {}) };
}

const OPERATIONS: Record<string, string> = {
  'GET item': 'readNamespacedConfigMap',
  'PUT item': 'replaceNamespacedConfigMap',
  'PATCH item': 'patchNamespacedConfigMap',
  'POST collection': 'createNamespacedConfigMap',
};

/** HTTP status per Status reason, for the fault knob (`fail: { replaceNamespacedConfigMap: 'Conflict' }`). */
const REASONS: Record<string, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  AlreadyExists: 409,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** RFC 6902 JSON Patch on a ConfigMap's data: add/replace/remove/test of `/data/<key>` and a test of `/metadata/resourceVersion`. */
function applyJsonPatch(current: V1ConfigMap, ops: unknown): { data: Record<string, string> } | SandboxResponse {
  if (!Array.isArray(ops)) return status(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const data = { ...(current.data ?? {}) };
  for (const op of ops as Array<{ op?: string; path?: string; value?: unknown }>) {
    const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
    if (op.path === '/metadata/resourceVersion' && op.op === 'test') {
      if (op.value !== current.metadata?.resourceVersion) return status(422, 'Invalid', `testing value /metadata/resourceVersion failed: test failed`);
      continue;
    }
    if (op.path === '/data' && (op.op === 'add' || op.op === 'replace') && typeof op.value === 'object' && op.value !== null) {
      for (const k of Object.keys(data)) delete data[k];
      Object.assign(data, op.value);
      continue;
    }
    const key = /^\/data\/(.+)$/.exec(op.path ?? '')?.[1];
    if (key === undefined) return status(422, 'Invalid', `the sandbox patches only /data/<key> and tests /metadata/resourceVersion, not ${op.path}`);
    const k = unescape(key);
    if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && !(k in data)) return status(422, 'Invalid', `replace operation does not apply: doc is missing key: ${op.path}`);
      if (typeof op.value !== 'string') return status(400, 'BadRequest', `ConfigMap.data values must be strings (${op.path})`);
      data[k] = op.value;
    } else if (op.op === 'remove') {
      if (!(k in data)) return status(422, 'Invalid', `remove operation does not apply: doc is missing path: ${op.path}`);
      delete data[k];
    } else if (op.op === 'test') {
      if (data[k] !== op.value) return status(422, 'Invalid', `testing value ${op.path} failed: test failed`);
    } else {
      return status(422, 'Invalid', `the sandbox does not support JSON patch op ${op.op}`);
    }
  }
  return { data };
}

export function kubernetesService(model: AwsModel): ServiceHandler {
  return {
    service: 'kubernetes',
    signingName: 'kubernetes',

    claims: (req) => req.signingService === undefined && req.rawPath.startsWith('/k8s/'),

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const target = parsePath(req.rawPath);
      const operation = target && OPERATIONS[`${req.method} ${target.name === undefined ? 'collection' : 'item'}`];
      if (!target || !operation) {
        // What an API server answers for a path or verb it does not serve.
        return status(404, 'NotFound', 'the server could not find the requested resource');
      }
      return {
        operation,
        input: { ...target },
        serve: async () => {
          if (!model.eks.hasCluster(target.region, target.cluster)) {
            return status(404, 'NotFound', `the sandbox has no cluster ${target.cluster} in ${target.region}`);
          }
          const auth = req.headers.authorization;
          const who = await verifyEksToken(typeof auth === 'string' ? auth : undefined, target.cluster, model);
          if ('refused' in who) return status(401, 'Unauthorized', 'Unauthorized', { 'x-sandbox-refused': who.refused });
          const api = model.kubernetes(target.region, target.cluster).api(who.arn);
          try {
            return await serve(api, operation, target, req);
          } catch (e) {
            if (e instanceof ApiException) return { status: e.code, headers: { 'content-type': 'application/json' }, body: String(e.body) };
            throw e;
          }
        },
      };
    },

    throttled() {
      // The API server's priority and fairness answer (429 with Retry-After), which clients retry.
      return status(429, 'TooManyRequests', 'Too many requests, please try again later.', { 'retry-after': '1' });
    },

    failed(_req, call, code) {
      return status(REASONS[code] ?? 500, code, `${call.operation} failed on purpose (sandbox fault knob)`);
    },
  };
}

async function serve(api: ConfigMapApi, operation: string, t: Target, req: SandboxRequest): Promise<SandboxResponse> {
  const name = t.name ?? '';
  const parse = (): unknown => JSON.parse(req.body.toString('utf8') || 'null');
  let body: unknown;
  if (req.method !== 'GET') {
    try {
      body = parse();
    } catch (e) {
      return status(400, 'BadRequest', `the request body is not JSON: ${(e as Error).message}`);
    }
  }
  switch (operation) {
    case 'readNamespacedConfigMap':
      return ok(200, await api.readNamespacedConfigMap({ name, namespace: t.namespace }));
    case 'replaceNamespacedConfigMap': {
      const cm = body as V1ConfigMap;
      if (cm?.metadata?.name !== undefined && cm.metadata.name !== name) {
        return status(400, 'BadRequest', `the name of the object (${cm.metadata.name}) does not match the name on the URL (${name})`);
      }
      return ok(200, await api.replaceNamespacedConfigMap({ name, namespace: t.namespace, body: cm }));
    }
    case 'createNamespacedConfigMap':
      return ok(201, await api.createNamespacedConfigMap({ namespace: t.namespace, body: body as V1ConfigMap }));
    default: {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
        return ok(200, await api.patchNamespacedConfigMap({ name, namespace: t.namespace, body }));
      }
      if (type === 'application/json-patch+json') {
        const current = await api.readNamespacedConfigMap({ name, namespace: t.namespace });
        const patched = applyJsonPatch(current, body);
        if ('status' in patched) return patched;
        // The read's resourceVersion makes the write conditional: a change in between is a 409.
        return ok(200, await api.replaceNamespacedConfigMap({ name, namespace: t.namespace, body: { metadata: { name, resourceVersion: current.metadata?.resourceVersion }, data: patched.data } }));
      }
      return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    }
  }
}
