// STS AssumeRole over HTTP (sandbox/server/services/sts.ts) with the real STSClient: allowed only
// when the caller's identity policy allows sts:AssumeRole on the role (the gate) AND the role's
// trust policy names the caller (sandbox/iam/trust.ts); the credentials it issues sign as the
// role's session and are held to the role's policies; STS's validation of the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListPermissionSetsCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-0123456789abcdef';
const READ_ROLE = `arn:aws:iam::${ACCOUNT}:role/IdentityCenterReadOnly`;
const CALLER_ROLE = `arn:aws:iam::${ACCOUNT}:role/team/caller`;
const NARROW_ROLE = `arn:aws:iam::${ACCOUNT}:role/narrow-trust`;
const EC2_ROLE = `arn:aws:iam::${ACCOUNT}:role/ec2-only`;
const mayAssume = { name: 'assume', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } };

let sandbox: Sandbox;
const clients: Array<{ destroy(): void }> = [];
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

function sts(credentials: Creds): STSClient {
  const c = new STSClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}
const operator = (): Creds => ({ accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! });
/** A session of the seeded role team/caller, with `policies` as its identity policies. */
const callerSession = (policies = [mayAssume]) => sandbox.iam!.issueSessionCredentials({ name: 'caller', arn: CALLER_ROLE }, 'alice', policies);
const denial = (who: string, role: string) => `User: ${who} is not authorized to perform: sts:AssumeRole on resource: ${role}`;
const asCreds = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds => ({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! });

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: {
        roles: [
          { name: 'caller', path: '/team/' },
          { name: 'ec2-only', policies: [mayAssume.policy].map((document) => ({ name: 'p', document })) },
          {
            name: 'narrow-trust',
            trustPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: CALLER_ROLE }, Action: 'sts:AssumeRole' }] },
            maxSessionDuration: 7200,
            policies: [{ name: 'read-roles', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }] } }],
          },
        ],
      },
      identityCenter: { instanceArn: INSTANCE_ARN, permissionSets: [{ name: 'PlatformReadOnly' }] },
    },
    iam: { config: { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }] } },
    identityCenterTps: false,
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sandbox.stop();
});

describe('STS AssumeRole, allowed', () => {
  it('issues credentials of a session of the role: GetCallerIdentity names it, with the role ID IAM reports', async () => {
    const answer = await sts(operator()).send(new AssumeRoleCommand({ RoleArn: READ_ROLE, RoleSessionName: 'eks-access-pilot' }));
    const roleId = (await new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: operator() }).send(new GetRoleCommand({ RoleName: 'IdentityCenterReadOnly' }))).Role!.RoleId!;

    expect(answer.AssumedRoleUser).toEqual({ AssumedRoleId: `${roleId}:eks-access-pilot`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/IdentityCenterReadOnly/eks-access-pilot` });
    expect(answer.Credentials).toMatchObject({ AccessKeyId: expect.stringMatching(/^ASIA/), SessionToken: expect.any(String) });
    expect(answer.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    const me = await sts(asCreds(answer.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({ Arn: answer.AssumedRoleUser!.Arn, UserId: answer.AssumedRoleUser!.AssumedRoleId, Account: ACCOUNT });
  });

  it('holds the session to the role policies: the read role may list permission sets and nothing else', async () => {
    const answer = await sts(operator()).send(new AssumeRoleCommand({ RoleArn: READ_ROLE, RoleSessionName: 'reader' }));
    const ssoAdmin = new SSOAdminClient({ region: REGION, endpoint: sandbox.url, credentials: asCreds(answer.Credentials), maxAttempts: 1 });
    const iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: asCreds(answer.Credentials), maxAttempts: 1 });
    clients.push(ssoAdmin, iam);

    expect((await ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE_ARN }))).PermissionSets).toHaveLength(1);
    const error = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'caller' })));
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });

  it('lets a caller the trust policy names by its role ARN (path included) assume the role', async () => {
    const answer = await sts(callerSession()).send(new AssumeRoleCommand({ RoleArn: NARROW_ROLE, RoleSessionName: 'chained' }));
    expect(answer.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/narrow-trust/chained`);
  });
});

describe('STS AssumeRole, refused with 403 AccessDenied', () => {
  it('when no identity policy of the caller allows sts:AssumeRole on the role (the gate)', async () => {
    const error = await rejectionOf(sts(callerSession([])).send(new AssumeRoleCommand({ RoleArn: READ_ROLE, RoleSessionName: 'nope' })));
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(error.message).toBe(`${denial(`arn:aws:sts::${ACCOUNT}:assumed-role/caller/alice`, READ_ROLE)} because no identity-based policy allows the sts:AssumeRole action`);
  });

  it('when the role trust policy does not name the caller, though its identity policy allows the call', async () => {
    const caller = sts(callerSession());
    const ec2 = await rejectionOf(caller.send(new AssumeRoleCommand({ RoleArn: EC2_ROLE, RoleSessionName: 'nope' })));
    // An Identity Center role trusts only its SAML provider.
    sandbox.identityCenter.provision('PlatformReadOnly');
    const ssoRole = sandbox.identityCenter.role('PlatformReadOnly')!.arn;
    const saml = await rejectionOf(caller.send(new AssumeRoleCommand({ RoleArn: ssoRole, RoleSessionName: 'nope' })));

    expect(ec2).toMatchObject({ name: 'AccessDenied', message: denial(`arn:aws:sts::${ACCOUNT}:assumed-role/caller/alice`, EC2_ROLE) });
    expect(saml).toMatchObject({ name: 'AccessDenied', message: denial(`arn:aws:sts::${ACCOUNT}:assumed-role/caller/alice`, ssoRole) });
  });

  it('when the trust names another principal: the session of another role is refused', async () => {
    const other = sandbox.iam!.issueSessionCredentials({ name: 'ec2-only', arn: EC2_ROLE }, 'bob', [mayAssume]);
    const error = await rejectionOf(sts(other).send(new AssumeRoleCommand({ RoleArn: NARROW_ROLE, RoleSessionName: 'nope' })));
    expect(error).toMatchObject({ name: 'AccessDenied', message: denial(`arn:aws:sts::${ACCOUNT}:assumed-role/ec2-only/bob`, NARROW_ROLE) });
  });

  it('alike for a role that does not exist and for a role ARN with the wrong path', async () => {
    const caller = sts(operator());
    const missing = await rejectionOf(caller.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/missing`, RoleSessionName: 'nope' })));
    const wrongPath = await rejectionOf(caller.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/other/IdentityCenterReadOnly`, RoleSessionName: 'nope' })));
    expect(missing).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(wrongPath).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});

describe('STS AssumeRole, refused with 400 ValidationError', () => {
  it('for a session name outside [\\w+=,.@-]{2,64}', async () => {
    const error = await rejectionOf(sts(operator()).send(new AssumeRoleCommand({ RoleArn: READ_ROLE, RoleSessionName: 'has space' })));
    expect(error).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(error.message).toMatch(/at 'roleSessionName' failed to satisfy constraint/);
  });

  it('for a duration above the role MaxSessionDuration, and above one hour when a role session assumes another role', async () => {
    const tooLong = await rejectionOf(sts(operator()).send(new AssumeRoleCommand({ RoleArn: READ_ROLE, RoleSessionName: 'long', DurationSeconds: 7200 })));
    const chained = await rejectionOf(sts(callerSession()).send(new AssumeRoleCommand({ RoleArn: NARROW_ROLE, RoleSessionName: 'chained', DurationSeconds: 3601 })));
    expect(tooLong).toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' });
    // narrow-trust allows 7200 seconds, but not to a session of another role.
    expect(chained).toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' });
  });
});
