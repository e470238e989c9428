// The migration for clusters outside the home region: one migration stack per other region
// with managed clusters (the workflow's EKS SDK integrations reach only their own region), EKS
// permissions on that region's clusters only, its own alarm topic, and its roles — named across
// regions by fixed names — kept hands off by the home region's tag provisioning.
import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRuntimeConfig } from '#kernel/config';
import { planCluster } from '#access/domain/entries';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, PRINCIPAL_ID_KEY } from '#kernel/ownership';
import { migrationRoleNames } from '#infra/constructs/migration/index';
import { MIGRATION_STATE_MACHINE_NAME } from '#workflows/manifest';
import { buildApp, properties, roleStatements, shippedConfig, statement, type BuiltApp, type CfnResource } from './synth.ts';

const ACCOUNT = '111122223333';
let built: BuiltApp;
let regional: Template;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  // cdk.json: prod and staging in eu-west-1 (home), analytics in us-east-1.
  built = buildApp(shippedConfig());
  regional = built.migrations['us-east-1']!;
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** Every IAM role of a template: logical id → RoleName (undefined when generated). */
const roleNames = (t: Template): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(t.findResources('AWS::IAM::Role')).map(([id, r]) => [id, r.Properties.RoleName as string | undefined]));

/** A template value as deployed in ACCOUNT (aws partition): Fn::Join, Ref and Fn::GetAtt of roles resolved. */
function deployed(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(deployed).join(sep);
  }
  if (v.Ref === 'AWS::Partition') return 'aws';
  if (v.Ref === 'AWS::AccountId') return ACCOUNT;
  if (v['Fn::GetAtt']) return `arn:aws:iam::${ACCOUNT}:role/${(v['Fn::GetAtt'] as string[])[0]}`;
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

describe('stacks for clusters in two regions', () => {
  it('adds one migration stack, in the other region, next to the main stack and the forwarder', () => {
    const stacks = built.app.node.children.filter((c): c is Stack => c instanceof Stack);
    expect(stacks.map((s) => [s.node.id, s.region])).toEqual([
      ['EksAccessPilot', 'eu-west-1'],
      ['EksAccessPilotMigration-us-east-1', 'us-east-1'],
      ['EksAccessPilotIamEventForwarder', 'us-east-1'],
    ]);
    expect(built.stacks.migrations.map((s) => s.stackName)).toEqual(['EksAccessPilotMigration-us-east-1']);
  });

  it('runs the same workflow there under the same name, with its own bucket', () => {
    expect(properties(regional, 'AWS::StepFunctions::StateMachine', 'MigrationStateMachine').StateMachineName).toBe(MIGRATION_STATE_MACHINE_NAME);
    expect(properties(regional, 'AWS::S3::Bucket', 'MigrationBucket').VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('lets the state machine switch modes and poll only on that region\'s managed clusters', () => {
    const smRole = Object.keys(roleNames(regional)).find((id) => id.startsWith('MigrationStateMachineRole'))!;
    const eks = roleStatements(regional, smRole).filter((s) => JSON.stringify(s.Action).includes('eks:'));
    expect(eks.map((s) => s.Action).sort()).toEqual(['eks:CreateAccessEntry', 'eks:DescribeUpdate', 'eks:UpdateClusterConfig']);
    for (const s of eks) {
      expect(deployed(s.Resource)).toBe(`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/analytics`);
    }
    expect(statement(regional, smRole, 'SwitchAuthenticationMode').Condition).toEqual({
      StringEquals: { 'eks:authenticationMode': ['API_AND_CONFIG_MAP', 'API'] },
    });
  });

  it('gives the task roles EKS permissions on that region\'s managed clusters only', () => {
    const statements = Object.values(regional.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as CfnResource[])
      .filter((s) => JSON.stringify(s.Action).includes('eks:'));
    expect(statements.length).toBeGreaterThan(2);
    for (const s of statements) {
      const arns = [s.Resource].flat().map(deployed);
      for (const arn of arns) expect(arn, s.Sid).toMatch(new RegExp(`^arn:aws:eks:us-east-1:${ACCOUNT}:(cluster|access-entry)/analytics(/\\*)?$`));
    }
  });

  it('pages through an alarm topic in its own region', () => {
    const topics = Object.keys(regional.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const alarms = Object.values(regional.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.length).toBeGreaterThanOrEqual(2);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topics[0] }]);
  });

  it('keeps the home region\'s workflow in the main stack, for the home region\'s clusters', () => {
    const smRole = Object.keys(roleNames(built.main)).find((id) => id.startsWith('MigrationStateMachineRole'))!;
    expect(JSON.stringify(statement(built.main, smRole, 'SwitchAuthenticationMode').Resource)).not.toContain('analytics');
  });

  it('is deployed after the main stack, which must know its roles first', () => {
    expect(built.stacks.migrations[0]!.dependencies).toContain(built.stacks.main);
  });
});

describe('the regional roles as system roles of the tag provisioning', () => {
  const runtime = () =>
    parseRuntimeConfig(deployed(properties(built.main, 'AWS::Lambda::Function', 'ProvisionerFunction').Environment.Variables.EAP_CONFIG));
  const regionalRoleArns = () => Object.values(roleNames(regional)).filter((n) => n !== undefined).map((n) => `arn:aws:iam::${ACCOUNT}:role/${n}`);

  it('names every task role of the regional stack with the fixed names the main stack computes', () => {
    const names = roleNames(regional);
    const named = Object.entries(names).filter(([, n]) => n !== undefined);
    // All but the state machine's role, which only Step Functions assumes.
    expect(Object.keys(names).filter((id) => names[id] === undefined).every((id) => id.startsWith('MigrationStateMachineRole'))).toBe(true);
    expect(named.map(([, n]) => n).sort()).toEqual(migrationRoleNames('us-east-1').sort());
    expect(built.stacks.migrations[0]!.migration.roles).toHaveLength(named.length);
  });

  it('hands them to the provisioner and the resync in EAP_CONFIG, as deployed', () => {
    expect(runtime().systemRoleArns).toEqual(expect.arrayContaining(regionalRoleArns()));
  });

  it('never plans a change for them, even when they carry an access tag and an entry of ours', () => {
    const ctx = { protectedPrincipalArns: runtime().config.protectedPrincipalArns, systemRoleArns: runtime().systemRoleArns };
    for (const arn of regionalRoleArns()) {
      const name = arn.split('/').pop()!;
      const principal = { kind: 'role' as const, name, arn, path: '/', id: 'AROANEW', tags: { 'eks-access': 'view' } };
      const view = { level: 'view', policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', scope: { type: 'cluster' as const }, groups: [] };
      const entry = {
        principalArn: arn,
        type: 'STANDARD',
        kubernetesGroups: [],
        tags: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [PRINCIPAL_ID_KEY]: 'AROAOLD' },
        policies: [],
      };
      for (const input of [
        { principal, desired: view, actual: undefined },
        { principal, desired: null, actual: entry },
        { principal: null, desired: null, actual: entry },
      ]) {
        expect(planCluster({ ...input, ctx }).ops, name).toEqual([]);
      }
    }
  });

  it('denies the reconcile any EKS write on their entries in IAM', () => {
    for (const fn of ['ProvisionerRole', 'ResyncRole']) {
      const deny = statement(built.main, fn, 'HandsOffProtectedAndSystemPrincipals');
      const denied = (deny.Condition.ArnLike['eks:principalArn'] as unknown[]).map(deployed);
      expect(denied, fn).toEqual(expect.arrayContaining(regionalRoleArns()));
    }
  });
});

describe('with every managed cluster in the home region', () => {
  it('adds no migration stack', () => {
    const config = { ...shippedConfig(), clusters: [{ name: 'prod', region: 'eu-west-1' }] };
    const one = buildApp(config);
    expect(one.stacks.migrations).toEqual([]);
    expect(one.app.node.children.filter((c) => c instanceof Stack).map((c) => c.node.id)).toEqual(['EksAccessPilot', 'EksAccessPilotIamEventForwarder']);
  });
});

describe('with clusters in three regions', () => {
  it('adds one migration stack per other region, each for its own clusters', () => {
    const config = {
      ...shippedConfig(),
      clusters: [
        { name: 'prod', region: 'eu-west-1' },
        { name: 'analytics', region: 'us-east-1' },
        { name: 'tokyo', region: 'ap-northeast-1' },
        { name: 'batch', region: 'us-east-1' },
      ],
    };
    const three = buildApp(config);
    expect(three.stacks.migrations.map((s) => s.region)).toEqual(['us-east-1', 'ap-northeast-1']);
    const tokyo = JSON.stringify(three.migrations['ap-northeast-1']!.findResources('AWS::IAM::Policy'));
    expect(tokyo).toContain(':cluster/tokyo');
    expect(tokyo).not.toMatch(/analytics|batch|prod/);
  });
});

describe('cdk-nag', () => {
  it('passes on the regional migration stack, every finding acknowledged with a reason', () => {
    expect(() => buildApp(shippedConfig(), { nag: true })).not.toThrow();
  });
});
