/**
 * The Kubernetes API of each EKS cluster at `https://127.0.0.1:<tls port>/k8s/<region>/<cluster>`
 * — the endpoint the sandbox's DescribeCluster returns — as far as the migration, `kubectl` and
 * `aws eks get-token` need it:
 *
 *   GET  /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/v1   discovery
 *   GET  /openapi/v3, /openapi/v3/api/v1                                    OpenAPI (kubectl apply, validation)
 *   GET                   /api/v1/namespaces[/<ns>]                         list, read (the built-in four)
 *   GET                   /api/v1/configmaps                                list in all namespaces
 *   GET|POST              /api/v1/namespaces/<ns>/configmaps                list, create
 *   GET|PUT|PATCH|DELETE  /api/v1/namespaces/<ns>/configmaps/<name>         read, replace, patch, delete
 *   POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews             kubectl auth can-i
 *   POST /apis/authentication.k8s.io/v1/selfsubjectreviews                  kubectl auth whoami
 *
 * Every request carries an EKS bearer token instead of a SigV4 signature, so this handler claims
 * its requests by path. Each is authenticated (sandbox/kubernetes/token.ts: the token verified
 * offline; sandbox/kubernetes/authn.ts: the identity mapped by the cluster's mode), then
 * authorized (sandbox/kubernetes/authz.ts), then served by the cluster's KubernetesModel. A token
 * that fails verification, or an identity nothing maps, is 401 Unauthorized (the reason is in the
 * `x-sandbox-refused` header, as the authenticator logs it); a request the user may not make is
 * 403 Forbidden; both with a `Status` body, as the API server answers.
 */
import { ApiException } from '@kubernetes/client-node';
import type { AwsModel } from '#sandbox/model/index';
import type { KubernetesModel, PatchType, WriteOptions } from '#sandbox/model/kubernetes';
import { configmaps, statusError } from '#sandbox/model/kubernetes';
import type { KubeUser } from '#sandbox/kubernetes/authn';
import type { Attributes } from '#sandbox/kubernetes/authz';
import { API_GROUPS, CORE_V1_RESOURCES, coreVersions, groupDocument, groupResources, isApiGroup, versionInfo } from '#sandbox/kubernetes/discovery';
import { managerOf } from '#sandbox/kubernetes/managed-fields';
import { openApiIndex, openApiCoreV1 } from '#sandbox/kubernetes/openapi';
import { isObject, type JsonObject } from '#sandbox/kubernetes/patch';
import { PROTOBUF, decodeConfigMap, decodeSelfSubjectAccessReview } from '#sandbox/kubernetes/protobuf';
import { configMapTable, wantsTable } from '#sandbox/kubernetes/table';
import { verifyEksToken } from '#sandbox/kubernetes/token';
import type { ResolvedCall, SandboxRequest, SandboxResponse, ServiceHandler } from '../router.ts';
import { callerIdentity } from './sts.ts';

/** Where the sandbox serves a cluster's Kubernetes API, under its TLS origin. */
export function kubernetesPath(region: string, clusterName: string): string {
  return `/k8s/${encodeURIComponent(region)}/${encodeURIComponent(clusterName)}`;
}

/** A Kubernetes `Status` object, the body of every API error (apimachinery metav1.Status). */
function status(code: number, reason: string, message: string, headers: Record<string, string> = {}): SandboxResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
  };
}

function ok(code: number, body: unknown, warnings: string[] = []): SandboxResponse {
  // The Warning header (RFC 7234 §5.5, as the API server sends it: `299 - "<text>"`).
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (warnings.length) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  return { status: code, headers, body: JSON.stringify(body) };
}

/** What a request names, below the cluster's prefix. */
interface Route {
  region: string;
  cluster: string;
  /** The path below the cluster's prefix, e.g. `/api/v1/namespaces/kube-system/configmaps/aws-auth`. */
  path: string;
  operation: string;
  namespace?: string;
  name?: string;
}

/** Operation per method and path (client-go / CoreV1Api method names, for call counts and fault knobs). */
function routeOf(method: string, path: string): { operation: string; namespace?: string; name?: string } | undefined {
  const cm = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?\/?$/.exec(path);
  if (cm) {
    const namespace = decodeURIComponent(cm[1]!);
    if (cm[2] === undefined) {
      const op = { GET: 'listNamespacedConfigMap', POST: 'createNamespacedConfigMap' }[method];
      return op ? { operation: op, namespace } : undefined;
    }
    const op = { GET: 'readNamespacedConfigMap', PUT: 'replaceNamespacedConfigMap', PATCH: 'patchNamespacedConfigMap', DELETE: 'deleteNamespacedConfigMap' }[method];
    return op ? { operation: op, namespace, name: decodeURIComponent(cm[2]) } : undefined;
  }
  if (method === 'GET' && path === '/api/v1/configmaps') return { operation: 'listConfigMapForAllNamespaces' };
  const ns = /^\/api\/v1\/namespaces(?:\/([^/]+))?\/?$/.exec(path);
  if (ns && method === 'GET') return ns[1] === undefined ? { operation: 'listNamespace' } : { operation: 'readNamespace', name: decodeURIComponent(ns[1]) };
  if (method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') return { operation: 'createSelfSubjectAccessReview' };
  if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') return { operation: 'createSelfSubjectReview' };
  if (method !== 'GET') return undefined;
  if (path === '/version' || path === '/version/') return { operation: 'getCode' };
  if (path === '/api' || path === '/apis') return { operation: 'getAPIVersions' };
  if (path === '/api/v1' || /^\/apis\/[^/]+(\/v1)?$/.test(path)) return { operation: 'getAPIResources' };
  if (path.startsWith('/openapi/')) return { operation: 'getOpenAPI' };
  return undefined;
}

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

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export function kubernetesService(model: AwsModel): ServiceHandler {
  return {
    service: 'kubernetes',
    signingName: 'kubernetes',

    claims: (req) => req.signingService === undefined && req.rawPath.startsWith('/k8s/'),

    resolve(req: SandboxRequest): ResolvedCall | SandboxResponse {
      const m = /^\/k8s\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.rawPath);
      if (!m) return status(404, 'NotFound', 'the server could not find the requested resource');
      const path = m[3] ?? '/';
      const known = routeOf(req.method, path);
      const route: Route = { region: decodeURIComponent(m[1]!), cluster: decodeURIComponent(m[2]!), path, operation: known?.operation ?? 'unknown', ...known };
      return {
        operation: route.operation,
        input: { region: route.region, cluster: route.cluster, ...(route.namespace ? { namespace: route.namespace } : {}), ...(route.name ? { name: route.name } : {}) },
        serve: async () => {
          if (!model.eks.hasCluster(route.region, route.cluster)) {
            return status(404, 'NotFound', `the sandbox has no cluster ${route.cluster} in ${route.region}`);
          }
          const auth = req.headers.authorization;
          const checked = await verifyEksToken(typeof auth === 'string' ? auth : undefined, { name: route.cluster, region: route.region }, (id) => model.accessKey(id));
          if ('refused' in checked) return status(401, 'Unauthorized', 'Unauthorized', { 'x-sandbox-refused': checked.refused });
          const k8s = model.kubernetes(route.region, route.cluster);
          const { arn, accessKeyId } = checked.identity;
          try {
            const user = k8s.authenticate({ arn, accessKeyId, userId: callerIdentity(arn, model.iam).UserId });
            return await serve(k8s, user, route, req);
          } catch (e) {
            if (e instanceof ApiException) {
              return { status: e.code, headers: { 'content-type': 'application/json', ...e.headers }, body: String(e.body) };
            }
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

function writeOptions(req: SandboxRequest): WriteOptions {
  const v = req.query.get('fieldValidation');
  const ua = req.headers['user-agent'];
  return {
    fieldManager: managerOf(req.query.get('fieldManager') ?? undefined, typeof ua === 'string' ? ua : undefined),
    dryRun: req.query.getAll('dryRun').includes('All'),
    ...(v === 'Strict' || v === 'Warn' || v === 'Ignore' ? { fieldValidation: v } : {}),
  };
}

/** The JSON body, or a protobuf ConfigMap as JSON (kubectl create configmap sends protobuf). */
function bodyOf(req: SandboxRequest): unknown {
  if (String(req.headers['content-type'] ?? '').startsWith(PROTOBUF)) {
    try {
      return decodeConfigMap(req.body);
    } catch (e) {
      throw statusError(400, 'BadRequest', `the body of the request is not a protobuf ConfigMap: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(req.body.toString('utf8') || 'null');
  } catch (e) {
    throw statusError(400, 'BadRequest', `the request body is not JSON: ${(e as Error).message}`);
  }
}

/** A review's resourceAttributes or nonResourceAttributes as authorization attributes. */
function attributesOf(spec: unknown): Attributes | undefined {
  if (!isObject(spec)) return undefined;
  const r = spec.resourceAttributes;
  if (isObject(r)) {
    const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
    return { verb: s('verb'), group: s('group'), resource: s('resource'), ...(s('subresource') ? { subresource: s('subresource') } : {}), ...(s('namespace') ? { namespace: s('namespace') } : {}), ...(s('name') ? { name: s('name') } : {}) };
  }
  const n = spec.nonResourceAttributes;
  if (isObject(n)) return { verb: String(n.verb ?? ''), path: String(n.path ?? '') };
  return undefined;
}

async function serve(k8s: KubernetesModel, user: KubeUser, route: Route, req: SandboxRequest): Promise<SandboxResponse> {
  const { namespace = '', name = '' } = route;
  const table = (o: JsonObject) => (wantsTable(req.headers.accept) ? configMapTable(o) : o);
  switch (route.operation) {
    case 'readNamespacedConfigMap':
      return ok(200, table(k8s.read(user, namespace, name)));
    case 'listNamespacedConfigMap':
      return ok(200, table(k8s.list(user, namespace)));
    case 'listConfigMapForAllNamespaces':
      return ok(200, table(k8s.list(user)));
    case 'readNamespace':
      return ok(200, k8s.readNamespace(user, name));
    case 'listNamespace':
      return ok(200, k8s.listNamespaces(user));
    case 'createNamespacedConfigMap': {
      const a = k8s.create(user, namespace, bodyOf(req), writeOptions(req));
      return ok(201, a.body, a.warnings);
    }
    case 'replaceNamespacedConfigMap': {
      const a = k8s.replace(user, namespace, name, bodyOf(req), writeOptions(req));
      return ok(200, a.body, a.warnings);
    }
    case 'patchNamespacedConfigMap': {
      // Authorization comes first (it is a filter before the handler), then the media type.
      k8s.authorize(user, configmaps('patch', namespace, name));
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const patchType = PATCH_TYPES[type];
      if (!patchType) {
        // Server-side apply (application/apply-patch+yaml) is not modelled: kubectl apply without --server-side does not need it.
        return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
      }
      const a = k8s.patch(user, namespace, name, patchType, bodyOf(req), writeOptions(req));
      return ok(200, a.body, a.warnings);
    }
    case 'deleteNamespacedConfigMap':
      return ok(200, k8s.remove(user, namespace, name, writeOptions(req)));
    case 'createSelfSubjectAccessReview': {
      k8s.authorize(user, { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' });
      let review: unknown;
      if (String(req.headers['content-type'] ?? '').startsWith(PROTOBUF)) {
        try {
          review = decodeSelfSubjectAccessReview(req.body);
        } catch (e) {
          return status(400, 'BadRequest', `the body of the request is not a protobuf SelfSubjectAccessReview: ${(e as Error).message}`);
        }
      } else {
        review = bodyOf(req);
      }
      const attributes = attributesOf(isObject(review) ? review.spec : undefined);
      if (!isObject(review) || !attributes) {
        return status(422, 'Invalid', 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
      }
      return ok(201, { ...review, metadata: { creationTimestamp: null }, status: k8s.review(user, attributes) });
    }
    case 'createSelfSubjectReview':
      k8s.authorize(user, { verb: 'create', group: 'authentication.k8s.io', resource: 'selfsubjectreviews' });
      return ok(201, {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        status: { userInfo: { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra } },
      });
    case 'unknown':
      return status(404, 'NotFound', 'the server could not find the requested resource');
    default:
      return discovery(k8s, user, route, req);
  }
}

/** The discovery and OpenAPI documents; every authenticated user may read them (system:discovery). */
function discovery(k8s: KubernetesModel, user: KubeUser, route: Route, req: SandboxRequest): SandboxResponse {
  const path = route.path.replace(/\/$/, '') || '/';
  k8s.authorize(user, { verb: 'get', path: route.path });
  const notFound = () => status(404, 'NotFound', 'the server could not find the requested resource');
  if (path === '/version') return ok(200, versionInfo(k8s.version()));
  if (path === '/api') return ok(200, coreVersions(String(req.headers.host ?? '127.0.0.1')));
  if (path === '/api/v1') return ok(200, CORE_V1_RESOURCES);
  if (path === '/apis') return ok(200, API_GROUPS);
  const group = /^\/apis\/([^/]+)(\/v1)?$/.exec(path);
  if (group) {
    const g = group[1]!;
    if (!isApiGroup(g)) return notFound();
    return ok(200, group[2] ? groupResources(g) : groupDocument(g));
  }
  const prefix = kubernetesPath(route.region, route.cluster);
  if (path === '/openapi/v3') return ok(200, openApiIndex(prefix));
  if (path === '/openapi/v3/api/v1') return ok(200, openApiCoreV1());
  return notFound();
}
