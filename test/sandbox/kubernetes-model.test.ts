/**
 * Contract tests of the Kubernetes API model in process (sandbox/model/kubernetes.ts, wired to
 * EKS by AwsModel.kubernetes): who EKS lets in by authentication mode (aws-iam-authenticator's
 * aws-auth rules; access entries first in API_AND_CONFIG_MAP), what each may do (system:masters,
 * access policies, the README's RBAC for the workflow group), and how the API server keeps a
 * ConfigMap (uid, creationTimestamp, resourceVersion, labels, managedFields, patch types). The
 * client is the CoreV1Api-shaped `api(callerArn)` the migration's aws-auth adapter uses.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApiException, V1ConfigMap } from '@kubernetes/client-node';
import { AwsModel } from '#sandbox/model/index';
import { KubernetesModel, configmaps } from '#sandbox/model/kubernetes';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const role = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const session = (name: string, s = 'session') => `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${s}`;
const policy = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const WORKFLOW = session('eks-access-pilot-MigrationRole', 'eks-access-pilot-backup');
const AWS_AUTH = {
  mapRoles: `- rolearn: ${role('eks-access-pilot-MigrationRole')}
  username: eks-access-pilot-migration
  groups:
    - eks-access-pilot-aws-auth
- rolearn: ${role('team-a', '/teams/')}
  username: team-a
  groups:
    - system:masters
- rolearn: ${role('platform-admin')}
  username: platform:{{SessionName}}
  groups:
    - system:masters
- rolearn: ${role('deployer')}
  username: first
  groups:
    - system:masters
- rolearn: ${role('deployer')}
  username: second
  groups:
    - deployers
`,
  mapUsers: `- userarn: arn:aws:iam::${ACCOUNT}:user/Alice
  username: alice
  groups:
    - system:masters
`,
};

let model: AwsModel;

/** A cluster in `mode` created by ClusterCreator, with aws-auth, and its API server. */
function cluster(mode: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API', name = 'prod'): KubernetesModel {
  model.eks.addCluster({ name, region: REGION, authenticationMode: mode, version: '1.31', platformVersion: 'eks.12', creatorArn: role('ClusterCreator') });
  const k8s = model.kubernetes(REGION, name);
  k8s.seedConfigMap('kube-system', 'aws-auth', AWS_AUTH);
  return k8s;
}

/** The HTTP status and Status body of a refused call. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  const e = (await rejectionOf(p)) as ApiException<string>;
  return { code: e.code, body: JSON.parse(e.body) as Record<string, unknown> };
}

const read = (k8s: KubernetesModel, caller: string) => k8s.api(caller).readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });

beforeEach(() => {
  model = new AwsModel({ accountId: ACCOUNT });
  for (const [name, path] of [['ClusterCreator', '/'], ['eks-access-pilot-MigrationRole', '/eks-access-pilot/'], ['team-a', '/teams/'], ['platform-admin', '/'], ['deployer', '/'], ['viewer', '/teams/']] as const) {
    model.iam.createRole({ RoleName: name, Path: path, AssumeRolePolicyDocument: '{}' });
  }
});

describe('Kubernetes API model: who is let in (authentication)', () => {
  it('CONFIG_MAP: the creator is an implicit system:masters admin; aws-auth maps the others; nobody else gets in (401)', async () => {
    const k8s = cluster('CONFIG_MAP');

    const creator = k8s.authenticate({ arn: session('ClusterCreator', 'alice') });
    const platform = k8s.authenticate({ arn: session('platform-admin', 'bob@example.com') });
    const outsider = await refusal(read(k8s, session('nobody')));

    expect(creator).toMatchObject({ username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'], via: 'cluster creator' });
    expect(platform).toMatchObject({ username: 'platform:bob-example.com', via: 'aws-auth' });
    expect(outsider).toEqual({ code: 401, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
  });

  it('aws-auth: a role session matches a rolearn without path, never one written with its path; users match ignoring case; the last row for a role wins', async () => {
    const k8s = cluster('CONFIG_MAP');

    expect(k8s.authenticate({ arn: WORKFLOW }).username).toBe('eks-access-pilot-migration');
    expect((await refusal(read(k8s, session('team-a')))).code).toBe(401);
    expect(k8s.authenticate({ arn: `arn:aws:iam::${ACCOUNT}:user/alice` }).username).toBe('alice');
    expect(k8s.authenticate({ arn: session('deployer') })).toMatchObject({ username: 'second', groups: ['deployers', 'system:authenticated'] });
  });

  it('aws-auth mapAccounts: any principal of the account is authenticated as its ARN, with no groups (so 403, not 401)', async () => {
    const k8s = cluster('CONFIG_MAP');
    k8s.edit('kube-system', 'aws-auth', (d) => ({ ...d, mapAccounts: `- "${ACCOUNT}"\n` }));

    const user = k8s.authenticate({ arn: session('nobody') });
    const r = await refusal(read(k8s, session('nobody')));

    expect(user).toMatchObject({ username: role('nobody'), groups: ['system:authenticated'] });
    expect(r.code).toBe(403);
  });

  it('API_AND_CONFIG_MAP: an access entry takes precedence over the aws-auth row of the same role', async () => {
    const k8s = cluster('API_AND_CONFIG_MAP');
    const before = k8s.authenticate({ arn: session('platform-admin') });
    model.eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: role('platform-admin'), kubernetesGroups: ['viewers'] });
    model.eks.associateAccessPolicy(REGION, { clusterName: 'prod', principalArn: role('platform-admin'), policyArn: policy('AmazonEKSViewPolicy'), accessScope: { type: 'cluster' } });

    const after = k8s.authenticate({ arn: session('platform-admin', 'bob') });
    const write = await refusal(k8s.api(session('platform-admin', 'bob')).patchNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: { data: { x: 'y' } } }));

    expect(before).toMatchObject({ via: 'aws-auth', groups: ['system:masters', 'system:authenticated'] });
    // EKS's default username for a role entry: its session ARN (creating-access-entries).
    expect(after).toMatchObject({ via: 'access entry', username: session('platform-admin', 'bob'), groups: ['viewers', 'system:authenticated'] });
    expect((await read(k8s, session('platform-admin', 'bob'))).data).toBeDefined();
    expect(write.code).toBe(403);
  });

  it('API: aws-auth is not read; the creator is admin through the entry EKS made, and is out once it is deleted', async () => {
    const k8s = cluster('API');

    const workflow = await refusal(read(k8s, WORKFLOW));
    const creator = k8s.authenticate({ arn: session('ClusterCreator') });
    model.eks.deleteAccessEntry(REGION, { clusterName: 'prod', principalArn: role('ClusterCreator') });
    const gone = await refusal(read(k8s, session('ClusterCreator')));

    expect(workflow.code).toBe(401);
    expect(creator).toMatchObject({ via: 'access entry', accessPolicies: [{ policyArn: policy('AmazonEKSClusterAdminPolicy'), scope: { type: 'cluster' } }] });
    expect(gone.code).toBe(401);
  });

  it('reads access entries without counting EKS API calls (tests count those)', () => {
    const k8s = cluster('API');
    const before = new Map(model.eks.calls);

    k8s.authenticate({ arn: session('ClusterCreator') });
    k8s.version();

    expect(model.eks.calls).toEqual(before);
  });
});

describe('Kubernetes API model: what they may do (authorization)', () => {
  it('the workflow group gets exactly the README grant: get and update on kube-system/aws-auth', async () => {
    const k8s = cluster('CONFIG_MAP');
    const api = k8s.api(WORKFLOW);
    const user = k8s.authenticate({ arn: WORKFLOW });

    const cm = await api.readNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system' });
    const replaced = await api.replaceNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: { ...cm, data: { ...cm.data, mapUsers: '[]\n' } } });
    const patch = await refusal(api.patchNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: { data: { x: 'y' } } }));
    const create = await refusal(api.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'aws-auth-copy' } } }));

    expect(replaced.data?.mapUsers).toBe('[]\n');
    expect(patch).toEqual({
      code: 403,
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
    // A rule with resourceNames never allows create or list (the request names no object).
    expect(create.body.message).toBe('configmaps is forbidden: User "eks-access-pilot-migration" cannot create resource "configmaps" in API group "" in the namespace "kube-system"');
    expect(k8s.review(user, configmaps('list', 'kube-system'))).toEqual({ allowed: false });
    expect(k8s.review(user, configmaps('get', 'kube-system', 'aws-auth'))).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "eks-access-pilot-aws-auth/kube-system" of Role "eks-access-pilot-aws-auth" to Group "eks-access-pilot-aws-auth"',
    });
    expect(k8s.review(user, configmaps('get', 'default', 'aws-auth')).allowed).toBe(false);
  });

  it('access policies apply within their scope: edit on kube-system writes there and nowhere else', () => {
    const k8s = cluster('API');
    model.eks.createAccessEntry(REGION, { clusterName: 'prod', principalArn: role('viewer', '/teams/') });
    model.eks.associateAccessPolicy(REGION, { clusterName: 'prod', principalArn: role('viewer', '/teams/'), policyArn: policy('AmazonEKSEditPolicy'), accessScope: { type: 'namespace', namespaces: ['kube-system'] } });
    const user = k8s.authenticate({ arn: session('viewer') });

    expect(k8s.review(user, configmaps('patch', 'kube-system', 'aws-auth')).allowed).toBe(true);
    expect(k8s.review(user, configmaps('patch', 'default', 'x')).allowed).toBe(false);
    expect(k8s.review(user, { verb: 'list', group: '', resource: 'namespaces' }).allowed).toBe(false);
    expect(k8s.review(user, { verb: 'get', group: '', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }).allowed).toBe(true);
  });

  it('system:masters may do anything; every authenticated user may read discovery and review itself', () => {
    const k8s = cluster('CONFIG_MAP');
    const admin = k8s.authenticate({ arn: `arn:aws:iam::${ACCOUNT}:user/Alice` });
    const workflow = k8s.authenticate({ arn: WORKFLOW });

    expect(k8s.review(admin, { verb: 'delete', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'x' }).allowed).toBe(true);
    expect(k8s.review(workflow, { verb: 'get', path: '/apis/authorization.k8s.io/v1' }).allowed).toBe(true);
    expect(k8s.review(workflow, { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }).allowed).toBe(true);
    expect(k8s.review(workflow, { verb: 'get', path: '/metrics' }).allowed).toBe(false);
  });

  it('a model told only that an entry exists (hasAccessEntry) lets its principal do everything', async () => {
    const k8s = new KubernetesModel({ authMode: () => 'API', hasAccessEntry: (arn) => arn === role('deployer').toLowerCase() });
    k8s.seedConfigMap('kube-system', 'aws-auth', {});

    const patched = await k8s.api(session('deployer')).patchNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: { data: { x: 'y' } } });

    expect(patched.data).toEqual({ x: 'y' });
    expect((await refusal(read(k8s, session('other')))).code).toBe(401);
  });
});

describe('Kubernetes API model: ConfigMaps as the API server keeps them', () => {
  const admin = `arn:aws:iam::${ACCOUNT}:user/Alice`;
  const name = 'settings';
  let k8s: KubernetesModel;
  beforeEach(() => {
    k8s = cluster('CONFIG_MAP');
  });
  const api = () => k8s.api(admin);
  const create = (body: V1ConfigMap = { metadata: { name, labels: { app: 'x' }, annotations: { note: 'n' } }, data: { a: '1' } }) =>
    api().createNamespacedConfigMap({ namespace: 'kube-system', body, fieldManager: 'creator' });

  it('gives a UUID and a creationTimestamp at creation and keeps both; a new resourceVersion per change, none for a write that changes nothing', async () => {
    const created = await create();
    const changed = await api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name, labels: { app: 'x' }, annotations: { note: 'n' } }, data: { a: '2' } } });
    const same = await api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name, labels: { app: 'x' }, annotations: { note: 'n' } }, data: { a: '2' } } });

    expect(created.metadata?.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(changed.metadata?.uid).toBe(created.metadata?.uid);
    expect(changed.metadata?.creationTimestamp).toEqual(created.metadata?.creationTimestamp);
    expect(Number(changed.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    expect(same.metadata?.resourceVersion).toBe(changed.metadata?.resourceVersion);
  });

  it('keeps the labels and annotations a replace or a patch sends', async () => {
    await create();

    const replaced = await api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name, labels: { app: 'y' } }, data: { a: '1' } } });
    const patched = await api().patchNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { annotations: { added: 'yes' } } } });

    expect(replaced.metadata?.labels).toEqual({ app: 'y' });
    expect(replaced.metadata?.annotations).toBeUndefined();
    expect(patched.metadata?.labels).toEqual({ app: 'y' });
    expect(patched.metadata?.annotations).toEqual({ added: 'yes' });
  });

  it('answers a stale resourceVersion or another uid with 409 Conflict, and writes without one unconditionally', async () => {
    const created = await create();
    await api().patchNamespacedConfigMap({ name, namespace: 'kube-system', body: { data: { b: '2' } } });

    const stale = await refusal(api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name, resourceVersion: created.metadata?.resourceVersion }, data: {} } }));
    const stalePatch = await refusal(api().patchNamespacedConfigMap({ name, namespace: 'kube-system', body: [{ op: 'replace', path: '/metadata/resourceVersion', value: created.metadata?.resourceVersion }] }));
    const otherUid = await refusal(api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name, uid: '00000000-0000-4000-8000-000000000000' }, data: {} } }));
    const unconditional = await api().replaceNamespacedConfigMap({ name, namespace: 'kube-system', body: { metadata: { name }, data: { c: '3' } } });

    expect(stale).toMatchObject({ code: 409, body: { reason: 'Conflict', message: `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again` } });
    expect(stalePatch.code).toBe(409);
    expect(otherUid.body.message).toContain('Precondition failed: UID in precondition: 00000000-0000-4000-8000-000000000000');
    expect(unconditional.data).toEqual({ c: '3' });
  });

  it('records a managedFields entry per manager, and moves a field to whoever changed it last', async () => {
    await create();
    await api().patchNamespacedConfigMap({ name, namespace: 'kube-system', body: { data: { a: '9', b: '2' } }, fieldManager: 'kubectl-patch' });

    const { object } = k8s.configMap('kube-system', name)!;
    const managed = (object.metadata as { managedFields: Array<{ manager: string; operation: string; fieldsV1: unknown; time: string }> }).managedFields;

    expect(managed.map((m) => [m.manager, m.operation])).toEqual([['creator', 'Update'], ['kubectl-patch', 'Update']]);
    expect(managed[0]!.fieldsV1).toEqual({ 'f:data': { '.': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} }, 'f:annotations': { '.': {}, 'f:note': {} } } });
    expect(managed[1]!.fieldsV1).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} } });
    expect(managed[1]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it('applies merge, strategic merge and JSON patches', async () => {
    await create({ metadata: { name }, data: { a: '1', b: '2' } });
    const user = k8s.authenticate({ arn: admin });

    const merged = k8s.patch(user, 'kube-system', name, 'merge', { data: { a: null, c: '3' } }, {}).body;
    const replacedMap = k8s.patch(user, 'kube-system', name, 'strategic', { data: { $patch: 'replace', only: 'this' } }, {}).body;
    const json = k8s.patch(user, 'kube-system', name, 'json', [{ op: 'add', path: '/data/added', value: 'v' }, { op: 'move', from: '/data/only', path: '/data/moved' }], {}).body;
    const failedTest = await refusal(Promise.resolve().then(() => k8s.patch(user, 'kube-system', name, 'json', [{ op: 'test', path: '/data/moved', value: 'other' }], {})));

    expect(merged.data).toEqual({ b: '2', c: '3' });
    expect(replacedMap.data).toEqual({ only: 'this' });
    expect(json.data).toEqual({ added: 'v', moved: 'this' });
    expect(failedTest).toMatchObject({ code: 422, body: { reason: 'Invalid', message: 'testing value /data/moved failed: test failed' } });
  });

  it('validates like the API server: bad keys and names are 422, non-string data 400, unknown fields refused under Strict', async () => {
    const user = k8s.authenticate({ arn: admin });
    const attempt = (body: unknown, strict = false) => refusal(Promise.resolve().then(() => k8s.create(user, 'kube-system', body, strict ? { fieldValidation: 'Strict' } : {})));

    expect((await attempt({ metadata: { name: 'ok' }, data: { 'bad key': 'x' } })).body).toMatchObject({ code: 422, reason: 'Invalid', message: expect.stringContaining("data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.'") });
    expect((await attempt({ metadata: { name: 'Not_A_Name' } })).code).toBe(422);
    expect((await attempt({ metadata: { name: 'n' }, data: { a: 1 } })).body).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect((await attempt({ metadata: { name: 'n' }, spec: {} }, true)).body.message).toBe('strict decoding error: unknown field "spec"');
    expect(k8s.create(user, 'kube-system', { metadata: { name: 'warned' }, spec: {} }, {}).warnings).toEqual(['unknown field "spec"']);
  });

  it('refuses to change an immutable ConfigMap; creates only in a namespace that exists, and only once', async () => {
    await create({ metadata: { name }, data: { a: '1' }, immutable: true });

    const change = await refusal(api().patchNamespacedConfigMap({ name, namespace: 'kube-system', body: { data: { a: '2' } } }));
    const again = await refusal(create());
    const missing = await refusal(api().createNamespacedConfigMap({ namespace: 'team-z', body: { metadata: { name } } }));

    expect(change.body.message).toBe(`ConfigMap "${name}" is invalid: data: Forbidden: field is immutable when \`immutable\` is set`);
    expect(again).toMatchObject({ code: 409, body: { reason: 'AlreadyExists' } });
    expect(missing).toMatchObject({ code: 404, body: { message: 'namespaces "team-z" not found' } });
  });
});
