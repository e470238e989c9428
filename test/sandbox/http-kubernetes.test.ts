/**
 * Contract tests of the Kubernetes API each sandbox cluster serves over TLS, with
 * @kubernetes/client-node and real EKS tokens (the production `coreApi` and `eksToken`) at the
 * endpoint and CA that DescribeCluster returns: discovery, the ConfigMap API with the three patch
 * types, SelfSubjectAccessReview, and the API server's answers to an unauthenticated (401) and an
 * unauthorized (403) caller. The token rules themselves are pinned in kubernetes-token.test.ts,
 * the authorization and object rules in kubernetes-model.test.ts; the real kubectl in
 * test/clients/kubectl.test.ts.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  ApisApi,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
  type ApiException,
  type CoreV1Api as CoreV1ApiType,
} from '@kubernetes/client-node';
import { eksToken } from '#migration/adapters/eks-token';
import { ConcurrentEditError, KubernetesAccessError, awsAuthStore, coreApi } from '#migration/adapters/aws-auth-store';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ADMIN = { accessKeyId: 'AKIAADMINEXAMPLE0001', secretAccessKey: 'admin-secret' };
const OUTSIDER = { accessKeyId: 'AKIAOUTSIDEREXAMPLE', secretAccessKey: 'outsider-secret' };
const DEPLOYER = { accessKeyId: 'AKIADEPLOYEREXAMPLE', secretAccessKey: 'deployer-secret' };
type Credentials = { accessKeyId: string; secretAccessKey: string };
const AWS_AUTH = {
  mapRoles: [
    { rolearn: `arn:aws:iam::${ACCOUNT}:role/eks-access-pilot-MigrationRole`, username: 'eks-access-pilot-migration', groups: ['eks-access-pilot-aws-auth'] },
    { rolearn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`, username: 'platform:{{SessionName}}', groups: ['system:masters'] },
  ],
};
const AWS_AUTH_PATH = '/api/v1/namespaces/kube-system/configmaps/aws-auth';

let sandbox: Sandbox;
let eks: EKSClient;
/** The sandbox's own key (its printed exports): it signs as a session of the migration role, which prod's aws-auth maps to the README's group. */
let WORKFLOW: Credentials;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'eks-access-pilot-MigrationRole', path: '/eks-access-pilot/' }, { name: 'deployer', path: '/teams/' }, { name: 'platform-admin' }] },
      clusters: [
        { name: 'prod', region: REGION, authenticationMode: 'CONFIG_MAP', version: '1.30', platformVersion: 'eks.12', awsAuth: AWS_AUTH },
        { name: 'staging', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12', awsAuth: AWS_AUTH },
      ],
      accessKeys: [
        { ...ADMIN, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/platform-admin/alice` },
        { ...OUTSIDER, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/someone-else/s` },
        { ...DEPLOYER, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci` },
      ],
    },
  });
  WORKFLOW = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  eks = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials: WORKFLOW, maxAttempts: 1 });
});
afterAll(async () => {
  eks.destroy();
  await sandbox.stop();
});

/** The cluster's endpoint and CA, from DescribeCluster, as the migration gets them. */
async function endpointOf(cluster: string): Promise<{ endpoint: string; caData: string }> {
  const { cluster: c } = await eks.send(new DescribeClusterCommand({ name: cluster }));
  return { endpoint: c!.endpoint!, caData: c!.certificateAuthority!.data! };
}

async function api(cluster: string, credentials?: Credentials): Promise<CoreV1ApiType> {
  return coreApi({ clusterName: cluster, region: REGION, ...(await endpointOf(cluster)), credentials: credentials ?? WORKFLOW });
}

/** A client-node KubeConfig for `cluster` with a fresh EKS token, for the APIs coreApi does not make. */
async function kubeConfig(cluster: string, credentials?: Credentials): Promise<KubeConfig> {
  const { endpoint, caData } = await endpointOf(cluster);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: cluster, server: endpoint, caData, skipTLSVerify: false }],
    users: [{ name: 'u', token: await eksToken({ clusterName: cluster, region: REGION, credentials: credentials ?? WORKFLOW }) }],
    contexts: [{ name: cluster, cluster, user: 'u' }],
    currentContext: cluster,
  });
  return kc;
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** A raw HTTPS call that trusts the cluster CA (to send exactly the token, headers or body under test). */
async function raw(cluster: string, path: string, init: { method?: string; credentials?: Credentials; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Raw> {
  const { endpoint, caData } = await endpointOf(cluster);
  const token = init.token ?? (await eksToken({ clusterName: cluster, region: REGION, credentials: init.credentials ?? WORKFLOW }));
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`${endpoint}${path}`),
      { method: init.method ?? 'GET', ca: Buffer.from(caData, 'base64'), headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}

describe('Kubernetes API over TLS: discovery', () => {
  it('is where DescribeCluster says, behind the CA it returns, and reports the cluster version', async () => {
    const { endpoint, caData } = await endpointOf('prod');
    const version = await (await kubeConfig('prod')).makeApiClient(VersionApi).getCode();

    expect(endpoint).toBe(`${sandbox.kubernetesUrl}/k8s/${REGION}/prod`);
    expect(Buffer.from(caData, 'base64').toString('utf8')).toBe(sandbox.kubernetesCaPem);
    expect(version).toMatchObject({ major: '1', minor: '30', gitVersion: expect.stringMatching(/^v1\.30\.\d+-eks-/) });
  });

  it('lists ConfigMaps (with their verbs) in core/v1 and the self-review APIs in /apis', async () => {
    const kc = await kubeConfig('prod');

    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const authorization = await raw('prod', '/apis/authorization.k8s.io/v1');

    expect(core.resources.find((r) => r.name === 'configmaps')).toMatchObject({ kind: 'ConfigMap', namespaced: true, verbs: expect.arrayContaining(['get', 'update', 'patch', 'create']) });
    expect(groups.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['authorization.k8s.io', 'authentication.k8s.io']));
    expect(authorization.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'authorization.k8s.io/v1', resources: [{ name: 'selfsubjectaccessreviews', verbs: ['create'] }] });
  });

  it('serves the OpenAPI v3 document kubectl reads: ConfigMap with its GVK, PATCH with fieldValidation', async () => {
    const index = await raw('prod', '/openapi/v3');
    const url = (index.body.paths as Record<string, { serverRelativeURL: string }>)['api/v1']!.serverRelativeURL;
    const doc = await raw('prod', url.replace(/^\/k8s\/[^/]+\/[^/]+/, ''));

    expect(url).toMatch(new RegExp(`^/k8s/${REGION}/prod/openapi/v3/api/v1\\?hash=`));
    const patch = (doc.body.paths as Record<string, { patch?: { parameters: Array<{ name: string }>; 'x-kubernetes-group-version-kind': unknown } }>)['/api/v1/namespaces/{namespace}/configmaps/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'ConfigMap', version: 'v1' });
    expect(patch.parameters.map((p) => p.name)).toContain('fieldValidation');
  });
});

describe('Kubernetes API over TLS: ConfigMaps', () => {
  it('writes with the resourceVersion that was read, and answers a stale one with 409 Conflict', async () => {
    const store = awsAuthStore(await api('prod'));
    const read = await store.read();

    const next = await store.write({ ...read.data, mapUsers: '[]\n' }, read.resourceVersion);
    const stale = await rejectionOf(store.write(read.data, read.resourceVersion));

    expect(next).not.toBe(read.resourceVersion);
    expect(stale).toBeInstanceOf(ConcurrentEditError);
    expect((stale.cause as ApiException<string>).code).toBe(409);
    expect(JSON.parse((stale.cause as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
  });

  it('answers a missing ConfigMap with a 404 Status', async () => {
    const e = await rejectionOf((await api('prod', ADMIN)).readNamespacedConfigMap({ name: 'nope', namespace: 'kube-system' }));

    expect((e as ApiException<string>).code).toBe(404);
    expect(JSON.parse((e as ApiException<string>).body)).toMatchObject({ reason: 'NotFound', message: 'configmaps "nope" not found' });
  });

  it('applies the three patch types client-node sends, with metadata kept and the field manager recorded', async () => {
    const client = await api('prod', ADMIN);
    const target = { name: 'aws-auth', namespace: 'kube-system' };
    const before = await client.readNamespacedConfigMap(target);

    const json = await client.patchNamespacedConfigMap({ ...target, body: [{ op: 'add', path: '/metadata/labels', value: { owner: 'platform' } }] });
    const merge = await client.patchNamespacedConfigMap({ ...target, body: { data: { mapAccounts: '[]\n' } }, fieldManager: 'merger' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const strategic = await client.patchNamespacedConfigMap({ ...target, body: { data: { mapAccounts: null } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));

    expect(json.metadata?.labels).toEqual({ owner: 'platform' });
    expect(merge.data?.mapAccounts).toBe('[]\n');
    expect(strategic.data?.mapAccounts).toBeUndefined();
    expect(strategic.metadata?.labels).toEqual({ owner: 'platform' });
    expect(strategic.metadata?.uid).toBe(before.metadata?.uid);
    expect(merge.metadata?.managedFields?.map((m) => m.manager)).toEqual(['sandbox-seed', 'node-fetch', 'merger']);
    // The strategic patch removed the one field "merger" owned, so its entry is gone.
    expect(strategic.metadata?.managedFields?.map((m) => m.manager)).toEqual(['sandbox-seed', 'node-fetch']);
  });

  it('refuses server-side apply (not modelled) with 415, and warns about unknown fields', async () => {
    const apply = await raw('prod', AWS_AUTH_PATH, { method: 'PATCH', credentials: ADMIN, body: {}, headers: { 'content-type': 'application/apply-patch+yaml' } });
    const warned = await raw('prod', AWS_AUTH_PATH, { method: 'PATCH', credentials: ADMIN, body: { data: { w: 'x' }, spec: {} }, headers: { 'content-type': 'application/merge-patch+json' } });

    expect(apply).toMatchObject({ status: 415, body: { reason: 'UnsupportedMediaType' } });
    expect(warned.status).toBe(200);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"spec\\""');
  });

  it('answers kubectl get as a Table when asked (NAME, DATA, AGE)', async () => {
    const r = await raw('prod', '/api/v1/namespaces/kube-system/configmaps', { credentials: ADMIN, headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' } });

    expect(r.body).toMatchObject({ kind: 'Table', columnDefinitions: [{ name: 'Name' }, { name: 'Data' }, { name: 'Age' }], rows: [{ cells: ['aws-auth', expect.any(Number), expect.stringMatching(/^\d+[smhd]$/)] }] });
  });
});

describe('Kubernetes API over TLS: who may do what', () => {
  it('401 with a Status body for a caller nothing maps; the reason in x-sandbox-refused', async () => {
    const e = await rejectionOf(awsAuthStore(await api('prod', OUTSIDER)).read());
    const r = await raw('prod', AWS_AUTH_PATH, { credentials: OUTSIDER });

    expect(e).toBeInstanceOf(KubernetesAccessError);
    expect(r).toMatchObject({ status: 401, body: { kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
    expect(r.headers['x-sandbox-refused']).toBe(`arn:aws:iam::${ACCOUNT}:role/someone-else is not mapped in aws-auth`);
  });

  it('403 with the API server Status body for what RBAC does not grant (the workflow group may not patch)', async () => {
    const r = await raw('prod', AWS_AUTH_PATH, { method: 'PATCH', body: { data: { x: 'y' } }, headers: { 'content-type': 'application/merge-patch+json' } });

    expect(r).toEqual({
      status: 403,
      headers: expect.anything(),
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'configmaps "aws-auth" is forbidden: User "eks-access-pilot-migration" cannot patch resource "configmaps" in API group "" in the namespace "kube-system"',
        reason: 'Forbidden',
        details: { name: 'aws-auth', kind: 'configmaps' },
        code: 403,
      },
    });
  });

  it('answers SelfSubjectAccessReview and SelfSubjectReview for the caller', async () => {
    const kc = await kubeConfig('prod');
    const review = (verb: string) =>
      kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: 'kube-system', verb, resource: 'configmaps', name: 'aws-auth' } } } });

    const [get, patch] = await Promise.all([review('get'), review('patch')]);
    const me = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });

    expect(get.status).toMatchObject({ allowed: true, reason: expect.stringContaining('RoleBinding "eks-access-pilot-aws-auth/kube-system"') });
    expect(patch.status?.allowed).toBe(false);
    expect(me.status?.userInfo).toMatchObject({ username: 'eks-access-pilot-migration', groups: ['eks-access-pilot-aws-auth', 'system:authenticated'] });
  });

  it('in API mode ignores aws-auth and admits the principal of an access entry, whatever its path, with its policy', async () => {
    const refused = await rejectionOf(awsAuthStore(await api('staging')).read());
    sandbox.model.eks.createAccessEntry(REGION, { clusterName: 'staging', principalArn: `arn:aws:iam::${ACCOUNT}:role/teams/deployer` });
    const noPolicy = await rejectionOf(awsAuthStore(await api('staging', DEPLOYER)).read());
    sandbox.model.eks.associateAccessPolicy(REGION, {
      clusterName: 'staging',
      principalArn: `arn:aws:iam::${ACCOUNT}:role/teams/deployer`,
      policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
      accessScope: { type: 'namespace', namespaces: ['kube-system'] },
    });

    const read = await awsAuthStore(await api('staging', DEPLOYER)).read();

    expect((refused.cause as ApiException<string>).code).toBe(401);
    expect((noPolicy.cause as ApiException<string>).code).toBe(403);
    expect(read.exists).toBe(true);
  });

  it('checks the token first: one made for another cluster is 401, whoever signed it', async () => {
    const token = await eksToken({ clusterName: 'staging', region: REGION, credentials: ADMIN });
    const r = await raw('prod', AWS_AUTH_PATH, { token });

    expect(r.status).toBe(401);
    expect(r.headers['x-sandbox-refused']).toMatch(/SignatureDoesNotMatch \(the token was not signed for cluster prod/);
  });
});
