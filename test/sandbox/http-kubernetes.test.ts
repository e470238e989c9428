/**
 * Contract tests of the Kubernetes ConfigMap API each sandbox cluster serves over TLS: the
 * production client (`coreApi` with a real EKS token, `awsAuthStore`) at the endpoint and CA
 * that DescribeCluster returns. Each pins a rule of the API server, of aws-iam-authenticator's
 * token check, or of who EKS lets in.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ApiException, type CoreV1Api } from '@kubernetes/client-node';
import { eksToken } from '#migration/adapters/eks-token';
import { ConcurrentEditError, KubernetesAccessError, awsAuthStore, coreApi } from '#migration/adapters/aws-auth-store';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
/** The sandbox's own key signs as a session of the migration role, which prod's aws-auth maps. */
const WORKFLOW = { accessKeyId: 'AKIASANDBOXEXAMPLE01', secretAccessKey: 'sandbox/secret/not-checked' };
const OUTSIDER = { accessKeyId: 'AKIAOUTSIDEREXAMPLE', secretAccessKey: 'outsider-secret' };
const DEPLOYER = { accessKeyId: 'AKIADEPLOYEREXAMPLE', secretAccessKey: 'deployer-secret' };
const AWS_AUTH = {
  mapRoles: [{ rolearn: `arn:aws:iam::${ACCOUNT}:role/eks-access-pilot-MigrationRole`, username: 'eks-access-pilot-migration', groups: ['eks-access-pilot-aws-auth'] }],
};

let sandbox: Sandbox;
let eks: EKSClient;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'eks-access-pilot-MigrationRole', path: '/eks-access-pilot/' }, { name: 'deployer', path: '/teams/' }] },
      clusters: [
        { name: 'prod', region: REGION, authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12', awsAuth: AWS_AUTH },
        { name: 'staging', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12', awsAuth: AWS_AUTH },
      ],
      accessKeys: [
        { ...OUTSIDER, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/someone-else/s` },
        { ...DEPLOYER, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci` },
      ],
    },
  });
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

async function api(cluster: string, credentials = WORKFLOW): Promise<CoreV1Api> {
  return coreApi({ clusterName: cluster, region: REGION, ...(await endpointOf(cluster)), credentials });
}

/** A raw HTTPS call that trusts the cluster CA (to send exactly the token or patch under test). */
async function raw(cluster: string, path: string, init: { method?: string; token?: string; body?: unknown; contentType?: string } = {}): Promise<{ status: number; body: Record<string, unknown>; refused?: string }> {
  const { endpoint, caData } = await endpointOf(cluster);
  const url = new URL(`${endpoint}${path}`);
  const token = init.token ?? (await eksToken({ clusterName: cluster, region: REGION, credentials: WORKFLOW }));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        ca: Buffer.from(caData, 'base64'),
        headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': init.contentType ?? 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
            // Why the token was refused: the sandbox says so in a header, as the authenticator logs it.
            ...(typeof res.headers['x-sandbox-refused'] === 'string' ? { refused: res.headers['x-sandbox-refused'] } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}

const AWS_AUTH_PATH = '/api/v1/namespaces/kube-system/configmaps/aws-auth';

describe('Kubernetes ConfigMap API over TLS', () => {
  it('is where DescribeCluster says, behind the CA it returns (the client verifies TLS)', async () => {
    const { endpoint, caData } = await endpointOf('prod');

    expect(endpoint).toBe(`${sandbox.kubernetesUrl}/k8s/${REGION}/prod`);
    expect(Buffer.from(caData, 'base64').toString('utf8')).toBe(sandbox.kubernetesCaPem);
    const store = awsAuthStore(await api('prod'));
    expect(await store.read()).toMatchObject({ exists: true, data: { mapRoles: expect.stringContaining('eks-access-pilot-MigrationRole') } });
  });

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
    const e = await rejectionOf((await api('prod')).readNamespacedConfigMap({ name: 'nope', namespace: 'kube-system' }));

    expect(e).toBeInstanceOf(ApiException);
    expect((e as ApiException<string>).code).toBe(404);
    expect(JSON.parse((e as ApiException<string>).body)).toMatchObject({ reason: 'NotFound', message: 'configmaps "nope" not found' });
  });

  it('applies a JSON merge patch, with resourceVersion as a precondition', async () => {
    const before = sandbox.model.kubernetes(REGION, 'prod').configMap('kube-system', 'aws-auth')!;

    const ok = await raw('prod', AWS_AUTH_PATH, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { mapAccounts: '[]\n' } } });
    const stale = await raw('prod', AWS_AUTH_PATH, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: before.resourceVersion }, data: { x: 'y' } } });

    expect(ok.status).toBe(200);
    expect((ok.body.data as Record<string, string>).mapAccounts).toBe('[]\n');
    expect(stale).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
  });

  it('applies the client library default patch (JSON patch)', async () => {
    const client = await api('prod');

    const cm = await client.patchNamespacedConfigMap({ name: 'aws-auth', namespace: 'kube-system', body: [{ op: 'add', path: '/data/patched', value: 'yes' }] });

    expect(cm.data?.patched).toBe('yes');
  });

  it('refuses with 401 a caller that neither aws-auth, nor an access entry, nor the bootstrap admin lets in', async () => {
    const e = await rejectionOf(awsAuthStore(await api('prod', OUTSIDER)).read());

    expect(e).toBeInstanceOf(KubernetesAccessError);
    expect((e.cause as ApiException<string>).code).toBe(401);
  });

  it('in API mode ignores aws-auth and admits the principal of an access entry, whatever its path', async () => {
    const refused = await rejectionOf(awsAuthStore(await api('staging')).read());
    sandbox.model.eks.createAccessEntry(REGION, { clusterName: 'staging', principalArn: `arn:aws:iam::${ACCOUNT}:role/teams/deployer` });

    const read = await awsAuthStore(await api('staging', DEPLOYER)).read();

    expect(refused).toBeInstanceOf(KubernetesAccessError);
    expect(read.exists).toBe(true);
  });

  describe('token check (aws-iam-authenticator rules, STS signature)', () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    const url = async (cluster = 'prod', signingDate?: Date) =>
      Buffer.from((await eksToken({ clusterName: cluster, region: REGION, credentials: WORKFLOW, ...(signingDate ? { signingDate } : {}) })).slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');
    /** 'admitted', or the status and why the token was refused. */
    const refused = async (token: string) => {
      const r = await raw('prod', AWS_AUTH_PATH, { token });
      return r.status === 200 ? 'admitted' : `${r.status} ${r.refused ?? ''}`;
    };

    it('accepts the token the production code makes', async () => {
      expect(await refused(`k8s-aws-v1.${b64(await url())}`)).toBe('admitted');
    });

    it('refuses a token without the k8s-aws-v1. prefix, with padding, or not a URL', async () => {
      const u = await url();
      expect(await refused(b64(u))).toBe('401 token is missing expected "k8s-aws-v1." prefix');
      expect(await refused(`k8s-aws-v1.${Buffer.from(u).toString('base64')}`)).toBe('401 illegal base64 data');
      expect(await refused(`k8s-aws-v1.${b64('not a url')}`)).toBe('401 the token is not a URL');
    });

    it('refuses another action, an extra parameter, a host that is not STS, or http', async () => {
      const u = await url();
      expect(await refused(`k8s-aws-v1.${b64(u.replace('Action=GetCallerIdentity', 'Action=GetSessionToken'))}`)).toBe('401 unexpected action parameter in pre-signed URL');
      expect(await refused(`k8s-aws-v1.${b64(`${u}&Extra=1`)}`)).toBe('401 non-whitelisted query parameter "Extra"');
      expect(await refused(`k8s-aws-v1.${b64(u.replace('sts.eu-west-1.amazonaws.com', 'sts.example.com'))}`)).toBe('401 unexpected hostname "sts.example.com" in pre-signed URL');
      expect(await refused(`k8s-aws-v1.${b64(u.replace('https://', 'http://'))}`)).toBe('401 unexpected scheme "http" in pre-signed URL');
    });

    it('refuses a token older than 15 minutes, and accepts one 14 minutes old', async () => {
      expect(await refused(`k8s-aws-v1.${b64(await url('prod', new Date(Date.now() - 16 * 60_000)))}`)).toMatch(/^401 X-Amz-Date parameter is expired/);
      expect(await refused(`k8s-aws-v1.${b64(await url('prod', new Date(Date.now() - 14 * 60_000)))}`)).toBe('admitted');
    });

    it('refuses a token signed for another cluster (the x-k8s-aws-id header is in the signature)', async () => {
      expect(await refused(`k8s-aws-v1.${b64(await url('staging'))}`)).toMatch(/^401 .*SignatureDoesNotMatch/);
    });

    it('refuses a token whose signature does not cover x-k8s-aws-id, or of a key STS does not know', async () => {
      const u = await url();
      expect(await refused(`k8s-aws-v1.${b64(u.replace(/X-Amz-SignedHeaders=[^&]+/, 'X-Amz-SignedHeaders=host'))}`)).toBe('401 client did not sign the x-k8s-aws-id header in the pre-signed URL');
      expect(await refused(`k8s-aws-v1.${b64(u.replace('AKIASANDBOXEXAMPLE01', 'AKIAUNKNOWNEXAMPLE1'))}`)).toMatch(/^401 .*InvalidClientTokenId/);
    });
  });
});
