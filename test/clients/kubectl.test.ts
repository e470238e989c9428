/**
 * The real `kubectl` (1.32) and `aws eks get-token` (aws-cli v1) against a sandbox of its own: the
 * RUNBOOK's procedure (`aws eks update-kubeconfig`, then kubectl get/patch/apply/replace/edit on
 * aws-auth) and the README's grant for the migration workflow (`kubectl auth can-i`), with the
 * identities EKS would see — the workflow's role mapped in aws-auth, the cluster creator, a team
 * role mapped without rights, an identity nothing maps, an access entry with a view policy.
 * Self-contained — it starts and stops its own sandbox and keeps both CLIs away from ~/.aws and
 * ~/.kube — so it can run as its own suite. It fails naming the binary when one is not on PATH.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSandbox, type Sandbox } from '#sandbox/server/index';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const PROD = 'prod';
const STAGING = 'staging';
/** Each kubectl call runs `aws eks get-token` (a Python start): about a second on the 2-core CI machine. */
const TIMEOUT = 90_000;

const role = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const session = (name: string, s: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${s}`;
/** The identities kubectl runs as: an access key each, signing as the ARN. */
const IDS = {
  /** The sandbox's own key: a session of the workflow's role, mapped in aws-auth to the README's group. */
  workflow: undefined,
  creator: { accessKeyId: 'AKIACREATOREXAMPLE01', secretAccessKey: 'creator-secret', arn: session('platform-admin', 'alice') },
  team: { accessKeyId: 'AKIATEAMEXAMPLE00001', secretAccessKey: 'team-secret', arn: session('payments-deployer', 'ci@corp') },
  outsider: { accessKeyId: 'AKIAOUTSIDEREXAMPLE1', secretAccessKey: 'outsider-secret', arn: session('data-pipeline', 'x') },
  viewer: { accessKeyId: 'AKIAVIEWEREXAMPLE001', secretAccessKey: 'viewer-secret', arn: session('search-readers', 'bob') },
} as const;
type Who = keyof typeof IDS;

let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary with the test's environment (plus `extra`); never rejects but for a missing binary. */
function run(bin: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env: { ...env, ...extra }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`the \`${bin}\` binary is not on PATH (${process.env.PATH ?? ''}); these tests run the real ${bin === 'aws' ? 'aws-cli v1' : 'kubectl 1.32'} against the sandbox`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr });
    });
  });
}

/** The credentials of an identity, as environment variables (kubectl passes its environment to the exec plugin). */
function as(who: Who): NodeJS.ProcessEnv {
  const key = IDS[who];
  return key ? { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey } : {};
}

const kubeconfig = (cluster: string) => join(dir, `kubeconfig-${cluster}`);

/** `kubectl` against a cluster's kubeconfig, as an identity. */
function kubectl(who: Who, cluster: string, ...args: string[]): Promise<Run> {
  return run('kubectl', ['--kubeconfig', kubeconfig(cluster), ...args], as(who));
}

/** `kubectl …` that must succeed; its stdout. */
async function ok(who: Who, cluster: string, ...args: string[]): Promise<string> {
  const r = await kubectl(who, cluster, ...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} as ${who} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

interface ConfigMapYaml {
  data?: Record<string, string>;
  metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: Array<{ manager: string }> };
}

async function getConfigMap(who: Who, cluster: string, name: string, ...flags: string[]): Promise<ConfigMapYaml> {
  return parse(await ok(who, cluster, 'get', 'configmap', name, '-n', 'kube-system', '-o', 'yaml', ...flags)) as ConfigMapYaml;
}

/** The URL inside an EKS token (k8s-aws-v1. + unpadded base64url). */
const presignedUrl = (token: string) => Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubectl-test-'));
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: {
        roles: [
          { name: 'platform-admin' },
          { name: 'payments-deployer', path: '/teams/payments/' },
          { name: 'search-readers', path: '/teams/search/' },
          { name: 'data-pipeline', path: '/teams/data/' },
          { name: 'eks-access-pilot-MigrationRole', path: '/eks-access-pilot/' },
        ],
      },
      clusters: [
        {
          name: PROD,
          region: REGION,
          authenticationMode: 'CONFIG_MAP',
          version: '1.31',
          platformVersion: 'eks.12',
          creatorArn: role('platform-admin'),
          awsAuth: {
            mapRoles: [
              // aws-auth matches roles without their path (README, "Migrating a cluster …").
              { rolearn: role('eks-access-pilot-MigrationRole'), username: 'eks-access-pilot-migration', groups: ['eks-access-pilot-aws-auth'] },
              { rolearn: role('payments-deployer'), username: 'payments:{{SessionName}}', groups: ['payments-deployers'] },
            ],
          },
        },
        { name: STAGING, region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12', creatorArn: role('platform-admin') },
      ],
      accessKeys: Object.values(IDS).filter((k) => k !== undefined),
    },
  });
  // The viewer reads kube-system on staging through an access entry and a namespace-scoped policy.
  sandbox.model.eks.createAccessEntry(REGION, { clusterName: STAGING, principalArn: role('search-readers', '/teams/search/') });
  sandbox.model.eks.associateAccessPolicy(REGION, {
    clusterName: STAGING,
    principalArn: role('search-readers', '/teams/search/'),
    policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
    accessScope: { type: 'namespace', namespaces: ['kube-system'] },
  });
  sandbox.model.kubernetes(REGION, STAGING).seedConfigMap('kube-system', 'aws-auth', { mapRoles: '[]\n' });

  // Only the sandbox's environment: no AWS setting of the developer's, no ~/.aws, no ~/.kube (HOME holds kubectl's discovery cache).
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'KUBECONFIG'));
  Object.assign(env, sandbox.env, { HOME: dir, AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials') });
  const [aws, kube] = await Promise.all([run('aws', ['--version']), run('kubectl', ['version', '--client'])]);
  if (!/aws-cli\/1\./.test(aws.stdout + aws.stderr)) throw new Error(`expected aws-cli v1 on PATH, found: ${aws.stdout}${aws.stderr}`);
  if (!/Client Version: v1\.3\d/.test(kube.stdout)) throw new Error(`expected kubectl 1.3x on PATH, found: ${kube.stdout}${kube.stderr}`);

  for (const cluster of [PROD, STAGING]) {
    // The RUNBOOK's step, then the one the sandbox adds (what `npm run sandbox` prints): the
    // token's STS URL must be the regional STS host, as on AWS, not the sandbox's AWS_ENDPOINT_URL_STS.
    const updated = await run('aws', ['eks', 'update-kubeconfig', '--name', cluster, '--region', REGION, '--kubeconfig', kubeconfig(cluster)]);
    if (updated.code !== 0) throw new Error(`aws eks update-kubeconfig failed: ${updated.stderr}`);
    const arn = `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${cluster}`;
    await ok('workflow', cluster, 'config', 'set-credentials', arn, `--exec-env=AWS_ENDPOINT_URL_STS=https://sts.${REGION}.amazonaws.com`);
  }
}, TIMEOUT);
afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('aws eks get-token', () => {
  it('presigns for whatever AWS_ENDPOINT_URL_STS says: the sandbox URL, which the API server refuses like a non-STS host', async () => {
    const printed = await run('aws', ['eks', 'get-token', '--cluster-name', PROD, '--region', REGION, '--output', 'json']);
    const regional = await run('aws', ['eks', 'get-token', '--cluster-name', PROD, '--region', REGION, '--output', 'json'], { AWS_ENDPOINT_URL_STS: `https://sts.${REGION}.amazonaws.com` });
    const raw = kubeconfig('raw');
    await run('aws', ['eks', 'update-kubeconfig', '--name', PROD, '--region', REGION, '--kubeconfig', raw]);
    const refused = await run('kubectl', ['--kubeconfig', raw, 'get', 'configmap', 'aws-auth', '-n', 'kube-system']);

    const token = (r: Run) => (JSON.parse(r.stdout) as { status: { token: string } }).status.token;
    expect(presignedUrl(token(printed))).toMatch(new RegExp(`^${sandbox.url}/\\?Action=GetCallerIdentity&`));
    expect(presignedUrl(token(regional))).toMatch(new RegExp(`^https://sts\\.${REGION}\\.amazonaws\\.com/\\?Action=GetCallerIdentity&.*X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&`));
    expect(refused.code).not.toBe(0);
    // kubectl words a 401 after re-running the exec plugin as "the server has asked for the client to provide credentials".
    expect(refused.stderr).toMatch(/error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
  }, TIMEOUT);
});

describe('kubectl against the sandbox (RUNBOOK "Restore aws-auth", README "Migrating a cluster")', () => {
  it('get -o yaml: aws-auth with the metadata the API server keeps', async () => {
    const cm = await getConfigMap('workflow', PROD, 'aws-auth');

    expect(cm.data?.mapRoles).toContain('eks-access-pilot-MigrationRole');
    expect(cm.metadata).toMatchObject({ name: 'aws-auth', resourceVersion: expect.stringMatching(/^\d+$/) });
    expect(cm.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(cm.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(cm.metadata.managedFields).toBeUndefined();
  }, TIMEOUT);

  it('auth can-i: the README grant gives the workflow group get and update on aws-auth, nothing else', async () => {
    const can = async (...args: string[]) => (await kubectl('workflow', PROD, 'auth', 'can-i', ...args, '-n', 'kube-system')).stdout.trim();

    expect(await can('get', 'configmaps/aws-auth')).toBe('yes');
    expect(await can('update', 'configmaps/aws-auth')).toBe('yes');
    expect(await can('patch', 'configmaps/aws-auth')).toBe('no');
    expect(await can('list', 'configmaps')).toBe('no');
    expect(await can('get', 'configmaps/other')).toBe('no');
  }, TIMEOUT);

  it('patch --type merge as the cluster creator: a new resourceVersion, the uid kept, the manager recorded', async () => {
    const before = await getConfigMap('creator', PROD, 'aws-auth');

    const out = await ok('creator', PROD, 'patch', 'configmap', 'aws-auth', '-n', 'kube-system', '--type', 'merge', '-p', '{"metadata":{"labels":{"owner":"platform"}},"data":{"mapAccounts":"[]\\n"}}');
    const after = await getConfigMap('creator', PROD, 'aws-auth', '--show-managed-fields');

    expect(out.trim()).toBe('configmap/aws-auth patched');
    expect(after.data?.mapAccounts).toBe('[]\n');
    expect(after.metadata.labels).toEqual({ owner: 'platform' });
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.creationTimestamp).toBe(before.metadata.creationTimestamp);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(after.metadata.managedFields?.map((m) => m.manager)).toContain('kubectl-patch');
  }, TIMEOUT);

  it('patch as the workflow role is 403 Forbidden: the README grants get and update, not patch', async () => {
    const r = await kubectl('workflow', PROD, 'patch', 'configmap', 'aws-auth', '-n', 'kube-system', '--type', 'merge', '-p', '{"data":{"x":"y"}}');

    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps "aws-auth" is forbidden: User "eks-access-pilot-migration" cannot patch resource "configmaps" in API group "" in the namespace "kube-system"',
    );
  }, TIMEOUT);

  it('replace -f with the resourceVersion just read (RUNBOOK step 3); the same file again is 409 Conflict', async () => {
    const current = await getConfigMap('workflow', PROD, 'aws-auth');
    const file = join(dir, 'restore.yaml');
    writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'ConfigMap', ...current, data: { ...current.data, mapUsers: '[]\n' } }));

    const replaced = await kubectl('workflow', PROD, 'replace', '-f', file);
    const again = await kubectl('workflow', PROD, 'replace', '-f', file);
    const after = await getConfigMap('workflow', PROD, 'aws-auth');

    expect(replaced.stdout.trim()).toBe('configmap/aws-auth replaced');
    expect(after.data?.mapUsers).toBe('[]\n');
    expect(after.metadata.labels).toEqual(current.metadata.labels);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('Error from server (Conflict)');
    expect(again.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again');
  }, TIMEOUT);

  it('apply -f creates, then patches with the last-applied configuration (strategic merge patch from OpenAPI v3)', async () => {
    const file = join(dir, 'team.yaml');
    const manifest = (data: Record<string, string>) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'team-settings', namespace: 'kube-system', labels: { app: 'team' } }, data });
    writeFileSync(file, manifest({ a: '1', b: '2' }));

    const created = await ok('creator', PROD, 'apply', '-f', file);
    writeFileSync(file, manifest({ a: '1', c: '3' }));
    const configured = await ok('creator', PROD, 'apply', '-f', file);
    const unchanged = await ok('creator', PROD, 'apply', '-f', file);
    const cm = await getConfigMap('creator', PROD, 'team-settings', '--show-managed-fields');

    expect([created.trim(), configured.trim(), unchanged.trim()]).toEqual(['configmap/team-settings created', 'configmap/team-settings configured', 'configmap/team-settings unchanged']);
    // b was in the last applied configuration and is not any more: apply removes it.
    expect(cm.data).toEqual({ a: '1', c: '3' });
    expect(cm.metadata.labels).toEqual({ app: 'team' });
    expect(JSON.parse(cm.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}')).toMatchObject({ data: { a: '1', c: '3' } });
    expect(cm.metadata.managedFields?.map((m) => m.manager)).toEqual(['kubectl-client-side-apply']);
  }, TIMEOUT);

  it('edit: the change made in the editor is sent as a patch', async () => {
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/^  c: "3"$/  c: "edited"/' "$1"\n`);
    chmodSync(editor, 0o755);

    const r = await run('kubectl', ['--kubeconfig', kubeconfig(PROD), 'edit', 'configmap', 'team-settings', '-n', 'kube-system'], { ...as('creator'), KUBE_EDITOR: editor });
    const cm = await getConfigMap('creator', PROD, 'team-settings');

    expect(r.stdout.trim()).toBe('configmap/team-settings edited');
    expect(cm.data?.c).toBe('edited');
  }, TIMEOUT);

  it('an identity nothing maps is 401 Unauthorized; one aws-auth maps without rights is 403 Forbidden', async () => {
    const outsider = await kubectl('outsider', PROD, 'get', 'configmap', 'aws-auth', '-n', 'kube-system');
    const team = await kubectl('team', PROD, 'get', 'configmap', 'aws-auth', '-n', 'kube-system');
    const whoami = await ok('team', PROD, 'auth', 'whoami', '-o', 'json');

    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
    expect(team.code).not.toBe(0);
    expect(team.stderr.trim()).toBe('Error from server (Forbidden): configmaps "aws-auth" is forbidden: User "payments:ci-corp" cannot get resource "configmaps" in API group "" in the namespace "kube-system"');
    // {{SessionName}} with "@" turned into "-" (aws-iam-authenticator server.go renderTemplate).
    expect(JSON.parse(whoami)).toMatchObject({ status: { userInfo: { username: 'payments:ci-corp', groups: ['payments-deployers', 'system:authenticated'] } } });
  }, TIMEOUT);

  it('API mode: an access entry with AmazonEKSViewPolicy on kube-system reads aws-auth, writes nothing', async () => {
    const cm = await getConfigMap('viewer', STAGING, 'aws-auth');
    const can = async (...args: string[]) => (await kubectl('viewer', STAGING, 'auth', 'can-i', ...args)).stdout.trim();
    const patch = await kubectl('viewer', STAGING, 'patch', 'configmap', 'aws-auth', '-n', 'kube-system', '--type', 'merge', '-p', '{"data":{"x":"y"}}');

    expect(cm.data).toEqual({ mapRoles: '[]\n' });
    expect(await can('list', 'configmaps', '-n', 'kube-system')).toBe('yes');
    expect(await can('get', 'configmaps', '-n', 'default')).toBe('no');
    expect(patch.stderr).toContain('Error from server (Forbidden)');
    // aws-auth is not read in API mode: the workflow role it would map is not let in.
    expect((await kubectl('workflow', STAGING, 'get', 'configmap', 'aws-auth', '-n', 'kube-system')).stderr).toContain('(Unauthorized)');
  }, TIMEOUT);

  it('create configmap (kubectl sends it as protobuf) lands in its namespace; get -A lists every namespace', async () => {
    const created = await ok('creator', PROD, 'create', 'configmap', 'notes', '-n', 'default', '--from-literal=owner=platform');
    const missing = await kubectl('creator', PROD, 'create', 'configmap', 'notes', '-n', 'team-z', '--from-literal=owner=platform');
    const all = await ok('creator', PROD, 'get', 'configmaps', '-A');

    expect(created.trim()).toBe('configmap/notes created');
    expect(missing.stderr).toContain('namespaces "team-z" not found');
    expect(all).toMatch(/^NAMESPACE +NAME +DATA +AGE$/m);
    expect(all).toMatch(/^default +notes +1 +\d+s$/m);
    expect(all).toMatch(/^kube-system +aws-auth +\d+ +\d+s$/m);
  }, TIMEOUT);

  it('reads the kubeconfig aws eks update-kubeconfig wrote: the endpoint and CA from DescribeCluster, the exec plugin', () => {
    const config = parse(readFileSync(kubeconfig(PROD), 'utf8')) as { clusters: Array<{ cluster: { server: string } }>; users: Array<{ user: { exec: { command: string; args: string[] } } }> };

    expect(config.clusters[0]!.cluster.server).toBe(`${sandbox.kubernetesUrl}/k8s/${REGION}/${PROD}`);
    expect(config.users[0]!.user.exec).toMatchObject({ command: 'aws', args: ['--region', REGION, 'eks', 'get-token', '--cluster-name', PROD, '--output', 'json'] });
  });
});
