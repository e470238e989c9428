// Home region us-east-1 (where IAM's events arrive) with a raised ceiling and no allowed
// groups: a single stack, and the IAM policy follows the configuration.
import { Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { iamEventPattern } from '#access/domain/event-filter';
import { buildApp, properties, shippedConfig, statement, type BuiltApp } from './synth.ts';

const MIGRATION_ROLE = 'arn:aws:iam::111122223333:role/eap-migration';
let built: BuiltApp;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  built = buildApp(
    { ...shippedConfig(), homeRegion: 'us-east-1', ceiling: 'admin', allowedGroups: [] },
    // What the migration workflow will do when it joins the stack with a role of its own.
    { extend: ({ main }) => main.provisioning.addSystemRoleArn(MIGRATION_ROLE) },
  );
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe('home region us-east-1', () => {
  it('has no forwarder: the main rule receives IAM events directly', () => {
    expect(built.stacks.forwarder).toBeUndefined();
    // The clusters in eu-west-1 get their migration stack there; no other stack.
    expect(built.app.node.children.filter((c) => c instanceof Stack).map((c) => c.node.id)).toEqual(['EksAccessPilot', 'EksAccessPilotMigration-eu-west-1']);
    expect(built.stacks.main.region).toBe('us-east-1');
    expect(properties(built.main, 'AWS::Events::Rule', 'IamEventsRule').EventPattern).toEqual(iamEventPattern('eks-access'));
  });
});

describe('ceiling admin', () => {
  it('lets the provisioner associate view, edit and admin, but never cluster-admin', () => {
    const s = statement(built.main, 'ProvisionerRole', 'AssociateGrantablePoliciesOnOwnedEntries');
    expect(s.Condition.ArnEquals['eks:policyArn']).toEqual(
      ['AmazonEKSViewPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSAdminPolicy'].map((p) => `${POLICY_ARN_PREFIX}${p}`),
    );
    expect(s.Condition.ArnEquals['eks:policyArn']).not.toContain(`${POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`);
  });
});

describe('no allowed groups', () => {
  it('allows creating entries only without Kubernetes groups', () => {
    const s = statement(built.main, 'ProvisionerRole', 'CreateOwnedStandardEntries');
    expect(s.Condition.Null).toEqual({ 'eks:kubernetesGroups': 'true', 'eks:username': 'true' });
    expect(s.Condition['ForAllValues:StringEquals']['eks:kubernetesGroups']).toBeUndefined();
  });
});

describe('a system role added after the tag provisioning (the migration)', () => {
  it('is handed to the functions and denied in the reconcile policy', () => {
    const env = properties(built.main, 'AWS::Lambda::Function', 'ProvisionerFunction').Environment.Variables;
    expect(JSON.stringify(env.EAP_CONFIG)).toContain(MIGRATION_ROLE);
    const deny = statement(built.main, 'ResyncRole', 'HandsOffProtectedAndSystemPrincipals');
    expect(deny.Condition.ArnLike['eks:principalArn']).toContain(MIGRATION_ROLE);
  });
});
