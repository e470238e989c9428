// The permission cases doctor simulates in a real account (infra/authorization/cases.ts), made here
// as real signed calls under each deployed role: the sandbox's IAM must answer each one as the case
// expects. So a case doctor reports on is a case the sandbox enforces, written once.
// EKS, IAM and EventBridge Scheduler cases are made as calls; the S3 and Lambda cases are exercised
// by the migration's flows (iam-mutation.test.ts) and by doctor's own test through
// iam:SimulatePrincipalPolicy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as eksApi from '@aws-sdk/client-eks';
import * as iamApi from '@aws-sdk/client-iam';
import * as schedulerApi from '@aws-sdk/client-scheduler';
import { parseConfig } from '#kernel/config';
import { exampleIdentityCenterRoleArn, permissionCases, roleKindOf, type PermissionCase } from '#infra/authorization/cases';
import { startSandbox, type Sandbox } from '#sandbox/server/index';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CONFIG = {
  homeRegion: REGION,
  clusters: [{ name: 'prod', region: REGION }],
  allowedGroups: ['pod-readers'],
  protectedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/admin/BreakGlassAdmin`],
  // The static mapping (no instance to read here): the Identity Center cases need only the
  // create statement it brings, with the default username.
  identityCenter: { permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }] },
};
// The role Identity Center created for PlatformReadOnly, in the regional path form; the cases'
// example Identity Center role (exampleIdentityCenterRoleArn).
const SSO_ROLE = { name: 'AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789', path: `/aws-reserved/sso.amazonaws.com/${REGION}/` };

let sandbox: Sandbox;
let cases: PermissionCase[];

type Client = { send(command: unknown): Promise<unknown> };
const MODULES: Record<string, Record<string, unknown>> = {
  eks: eksApi as unknown as Record<string, unknown>,
  iam: iamApi as unknown as Record<string, unknown>,
  scheduler: schedulerApi as unknown as Record<string, unknown>,
};

function commandOf(c: PermissionCase): unknown {
  const Command = MODULES[c.call.service]?.[`${c.call.operation}Command`] as (new (input: unknown) => unknown) | undefined;
  if (!Command) throw new Error(`no ${c.call.service} command ${c.call.operation}`);
  return new Command(c.call.input);
}

function clientAs(roleKind: string, service: string): Client {
  const role = [...sandbox.iam!.app.roles.values()].find((r) => r.stack === 'EksAccessPilot' && roleKindOf(r.logicalId) === roleKind)!;
  const c = sandbox.iam!.issueRoleCredentials(role.name, 'cases');
  const credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  if (service === 'eks') return new eksApi.EKSClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  if (service === 'scheduler') return new schedulerApi.SchedulerClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  return new iamApi.IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
}

let operator: eksApi.EKSClient;

/** Puts the case's entry in place (as the operator), or makes sure none is there. */
async function arrange(c: PermissionCase): Promise<void> {
  const { clusterName, principalArn } = c.call.input as { clusterName?: string; principalArn?: string };
  if (!clusterName || !principalArn) return;
  await operator.send(new eksApi.DeleteAccessEntryCommand({ clusterName, principalArn })).catch(() => undefined);
  if (c.existing) await operator.send(new eksApi.CreateAccessEntryCommand({ clusterName, principalArn, tags: c.existing.tags }));
}

beforeAll(async () => {
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'doctor-example-team' }, { name: 'BreakGlassAdmin', path: '/admin/' }, SSO_ROLE] },
      clusters: [{ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }],
    },
    iam: { config: CONFIG },
  });
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  operator = new eksApi.EKSClient({ region: REGION, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  cases = permissionCases({ config: parseConfig(CONFIG), accountId: ACCOUNT, partition: 'aws', migrations: [{ region: REGION, bucket: 'unused-here', functionArns: [] }] }).filter((c) => ['eks', 'iam', 'scheduler'].includes(c.call.service));
}, 60_000);

afterAll(async () => {
  await sandbox.stop();
});

describe('the permission cases, as real calls under the deployed roles', () => {
  it('are answered by IAM exactly as each case expects (allowed: not AccessDenied; denied: AccessDenied)', async () => {
    const wrong: string[] = [];
    for (const c of cases) {
      await arrange(c);
      let denied = false;
      try {
        await clientAs(c.role, c.call.service).send(commandOf(c));
      } catch (e) {
        // Any other error (say, DescribeUpdate of an unknown update) means IAM let the call through.
        denied = /^AccessDenied/.test((e as Error).name);
      }
      if (denied !== (c.expect === 'denied')) wrong.push(`${c.role}: ${c.what} was ${denied ? 'denied' : 'allowed'}`);
    }
    expect(wrong).toEqual([]);
    // The Identity Center cases ran, against the seeded role.
    const ctx = { config: parseConfig(CONFIG), accountId: ACCOUNT, partition: 'aws' as const, migrations: [] };
    expect(exampleIdentityCenterRoleArn(ctx)).toBe(`arn:aws:iam::${ACCOUNT}:role${SSO_ROLE.path}${SSO_ROLE.name}`);
    expect(cases.filter((c) => /Identity Center/.test(c.what)).map((c) => `${c.role}: ${c.what}: ${c.expect}`)).toEqual(
      ['TagProvisioningProvisionerRole', 'TagProvisioningResyncRole'].flatMap((role) => [
        `${role}: create an Identity Center role's entry with the configured username on prod: allowed`,
        `${role}: create an Identity Center entry for a role outside the Identity Center path on prod: denied`,
        `${role}: create an Identity Center entry with another username on prod: denied`,
        `${role}: create an Identity Center entry without a username on prod: denied`,
        `${role}: delete an owned Identity Center entry on prod: allowed`,
        `${role}: associate the ceiling's policy to an owned Identity Center entry on prod: allowed`,
      ]),
    );
    // The expiry schedule cases ran as Scheduler calls (infra/constructs/expiry.ts).
    expect(cases.filter((c) => c.call.service === 'scheduler').map((c) => `${c.role}: ${c.what}: ${c.expect}`)).toEqual(
      ['TagProvisioningProvisionerRole', 'TagProvisioningResyncRole'].flatMap((role) => [
        `${role}: create an expiry schedule in the group: allowed`,
        `${role}: move an expiry schedule in the group: allowed`,
        `${role}: read an expiry schedule in the group: allowed`,
        `${role}: delete an expiry schedule in the group: allowed`,
        ...(role === 'TagProvisioningResyncRole' ? [`${role}: list the group's schedules: allowed`] : []),
        `${role}: create a schedule in another group: denied`,
        `${role}: delete a schedule in another group: denied`,
        `${role}: create a schedule that passes another role: denied`,
      ]),
    );
    // Both kinds are exercised, for the tag side's roles and the migration's.
    expect(new Set(cases.map((c) => `${c.role}:${c.expect}`))).toEqual(
      new Set([
        'TagProvisioningProvisionerRole:allowed',
        'TagProvisioningProvisionerRole:denied',
        'TagProvisioningResyncRole:allowed',
        'TagProvisioningResyncRole:denied',
        'MigrationKubernetesRole:allowed',
        'MigrationKubernetesRole:denied',
        'MigrationPlanRole:allowed',
        'MigrationRelistEntriesRole:allowed',
        'MigrationCreateEntriesRole:allowed',
        'MigrationCreateEntriesRole:denied',
        'MigrationVerifyEntriesRole:allowed',
        'MigrationStateMachineRole:allowed',
      ]),
    );
  });
});
