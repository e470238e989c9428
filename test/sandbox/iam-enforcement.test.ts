// IAM in the sandbox (sandbox/iam): requests are signed with credentials the sandbox issued for a
// role of the synthesized app, and that role's policies decide. With the product's own guards
// bypassed (these calls go straight to the API), IAM alone still refuses what the safety
// invariants forbid (docs/architecture.md, "Safety invariants" 1, 2, 3 and 5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedException,
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  EKSClient,
  ListAccessEntriesCommand,
} from '@aws-sdk/client-eks';
import type { S3ServiceException } from '@aws-sdk/client-s3';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const POLICY = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const role = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const OURS = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': 'AROAEXAMPLE' };
const CONFIG = {
  homeRegion: REGION,
  clusters: [{ name: 'prod', region: REGION }],
  allowedGroups: ['pod-readers'],
  protectedPrincipalArns: [role('/admin/', 'BreakGlassAdmin')],
};

let sandbox: Sandbox;
let provisioner: EKSClient;
let operator: EKSClient;

function clientAs(roleName: string): { eks: EKSClient; s3: S3Client } {
  const c = sandbox.iam!.issueRoleCredentials(roleName, 'test');
  const credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  return {
    eks: new EKSClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 }),
    s3: new S3Client({ region: REGION, endpoint: sandbox.url, credentials, forcePathStyle: true, maxAttempts: 1 }),
  };
}
const roleNamed = (part: string) => [...sandbox.iam!.app.roles.keys()].find((n) => n.includes(part))!;

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'team-a' }, { name: 'BreakGlassAdmin', path: '/admin/' }, { name: 'someone-else' }, { name: 'migrated' }] },
      clusters: [{ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }],
    },
    iam: { config: CONFIG },
  });
  provisioner = clientAs(roleNamed('ProvisionerRole')).eks;
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  operator = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  // Entries this system does not own, one of a protected principal, one of a migration.
  await operator.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'someone-else') }));
  await operator.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/admin/', 'BreakGlassAdmin'), tags: OURS }));
  await operator.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'migrated'), tags: { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'migration/run-1' } }));
});

afterAll(async () => {
  await sandbox.stop();
});

describe('the provisioner role, its code guards bypassed', () => {
  it('may create an owned STANDARD entry and associate a policy up to the ceiling', async () => {
    await provisioner.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'team-a'), tags: OURS }));
    await provisioner.send(new AssociateAccessPolicyCommand({ clusterName: 'prod', principalArn: role('/', 'team-a'), policyArn: POLICY('AmazonEKSEditPolicy'), accessScope: { type: 'cluster' } }));
  });

  it('is refused a policy above the ceiling (eks:policyArn), on its own entry', async () => {
    const e = await rejectionOf(provisioner.send(new AssociateAccessPolicyCommand({ clusterName: 'prod', principalArn: role('/', 'team-a'), policyArn: POLICY('AmazonEKSClusterAdminPolicy'), accessScope: { type: 'cluster' } })));
    expect(e).toBeInstanceOf(AccessDeniedException);
    expect(e.message).toMatch(/assumed-role\/.*ProvisionerRole.* is not authorized to perform: eks:AssociateAccessPolicy on resource: arn:aws:eks:eu-west-1:111122223333:access-entry\/prod\/role\//);
  });

  it('is refused any change to an entry it does not own', async () => {
    const e = await rejectionOf(provisioner.send(new DeleteAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'someone-else') })));
    expect(e).toBeInstanceOf(AccessDeniedException);
  });

  it("is refused a protected principal's entry even when it carries the ownership tags", async () => {
    const e = await rejectionOf(provisioner.send(new DeleteAccessEntryCommand({ clusterName: 'prod', principalArn: role('/admin/', 'BreakGlassAdmin') })));
    expect(e).toBeInstanceOf(AccessDeniedException);
  });

  it("is refused a migration's entry (source migration/<execution>)", async () => {
    const e = await rejectionOf(provisioner.send(new DeleteAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'migrated') })));
    expect(e).toBeInstanceOf(AccessDeniedException);
  });

  it('is refused a create that sets a username, even with the ownership tags (eks:username pinned absent)', async () => {
    const e = await rejectionOf(provisioner.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'someone'), username: 'admin', tags: OURS })));
    expect(e).toBeInstanceOf(AccessDeniedException);
    expect(e.message).toMatch(/ProvisionerRole.* is not authorized to perform: eks:CreateAccessEntry/);
  });

  it('is refused an untagged create (it could not own the entry)', async () => {
    const e = await rejectionOf(provisioner.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/', 'someone') })));
    expect(e).toBeInstanceOf(AccessDeniedException);
  });
});

describe('the backup bucket', () => {
  it('refuses an overwrite: a PutObject without If-None-Match is denied by the bucket policy, whoever asks', async () => {
    const { s3 } = clientAs(roleNamed('MigrationKubernetesRole'));
    const bucket = sandbox.iam!.app.stateMachines.get('eks-access-pilot-auth-mode-migration')!.substitutions.BackupBucket!;
    sandbox.model.s3.createBucket(bucket, { versioned: true });
    const e = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/prod/run-1/backup.json', Body: '{}' })));
    expect((e as S3ServiceException).name).toBe('AccessDenied');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'backups/prod/run-1/backup.json', Body: '{}', IfNoneMatch: '*' }));
  });
});

describe('authentication', () => {
  it('refuses a wrong secret (InvalidSignatureException) and an unknown key (UnrecognizedClientException)', async () => {
    const c = sandbox.iam!.issueRoleCredentials(roleNamed('ProvisionerRole'), 'forger');
    const forged = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: 'not-the-secret', sessionToken: c.sessionToken }, maxAttempts: 1 });
    expect((await rejectionOf(forged.send(new ListAccessEntriesCommand({ clusterName: 'prod' })))).name).toBe('InvalidSignatureException');
    const stranger = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' }, maxAttempts: 1 });
    expect((await rejectionOf(stranger.send(new ListAccessEntriesCommand({ clusterName: 'prod' })))).name).toBe('UnrecognizedClientException');
  });

  it("does not count the reads it makes for IAM's request context as the caller's API calls", async () => {
    const before = new Map(sandbox.model.eks.calls);
    await provisioner.send(new ListAccessEntriesCommand({ clusterName: 'prod' }));
    const after = new Map(sandbox.model.eks.calls);
    expect(after.get('ListAccessEntries')).toBe((before.get('ListAccessEntries') ?? 0) + 1);
    // Authorizing the call read the cluster's tags (DescribeCluster) without counting it.
    expect(after.get('DescribeCluster')).toBe(before.get('DescribeCluster'));
  });

  it('records every (role, action) decision it made', () => {
    const decided = [...sandbox.iam!.decisions.keys()];
    expect(decided).toContainEqual(expect.stringMatching(/ProvisionerRole.* eks:AssociateAccessPolicy$/));
    expect(sandbox.iam!.decisions.get([...sandbox.iam!.decisions.keys()].find((k) => k.endsWith('eks:AssociateAccessPolicy'))!)).toMatchObject({ allowed: 1, denied: 1 });
  });
});
