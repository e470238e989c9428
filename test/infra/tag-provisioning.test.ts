// The shipped configuration (cdk.json: home region eu-west-1, ceiling edit) synthesized:
// what must hold for the tag provisioning to be safe and operable.
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ARN_PREFIX, RuntimeConfigSchema } from '#kernel/config';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE } from '#kernel/ownership';
import { iamEventPattern } from '#access/domain/event-filter';
import { buildApp, properties, roleStatements, shippedConfig, statement, type BuiltApp, type CfnResource } from './synth.ts';

let built: BuiltApp;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  built = buildApp(shippedConfig());
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const policy = (name: string) => `${POLICY_ARN_PREFIX}${name}`;

/**
 * IAM's ArnLike: the six colon-separated parts of the ARN compared one by one, each with
 * `*` (any characters) and `?` (one character), case-sensitively.
 */
function arnLike(pattern: string, arn: string): boolean {
  const parts = (a: string) => {
    const p = a.split(':');
    return [...p.slice(0, 5), p.slice(5).join(':')];
  };
  const [pp, ap] = [parts(pattern), parts(arn)];
  const glob = (p: string) => new RegExp('^' + p.replace(/[.+^$(){}|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return pp.every((p, i) => glob(p).test(ap[i]!));
}
const arnLikeAny = (patterns: string[], arn: string) => patterns.some((p) => arnLike(p, arn));

/** Replaces CloudFormation intrinsics in an Fn::Join with plausible values and joins. */
function resolveJoin(value: CfnResource): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = value['Fn::Join'] as [string, unknown[]];
  return parts
    .map((p) => (typeof p === 'string' ? p : `arn:aws:iam::111122223333:role/${JSON.stringify(p).replace(/\W/g, '')}`))
    .join(sep);
}

describe('the IAM event rule', () => {
  it('matches exactly iamEventPattern(tagPrefix): access-changing calls only, successful ones only', () => {
    // arrange
    const expected = iamEventPattern('eks-access');
    // act
    const rule = properties(built.main, 'AWS::Events::Rule', 'IamEventsRule');
    // assert
    expect(rule.EventPattern).toEqual(expected);
    expect(rule.EventPattern.detail.errorCode).toEqual([{ exists: false }]);
    expect(rule.EventBusName).toBeUndefined(); // the default bus
  });

  it('invokes the provisioner asynchronously with an EventBridge retry policy and a DLQ', () => {
    const rule = properties(built.main, 'AWS::Events::Rule', 'IamEventsRule');
    const [target] = rule.Targets;
    expect(target.Arn['Fn::GetAtt'][0]).toMatch(/Provisioner/);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 });
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/RuleDeliveryFailures/);
  });

  it('has Lambda retry function errors twice, then park the event in an SQS on-failure destination', () => {
    const config = properties(built.main, 'AWS::Lambda::EventInvokeConfig', 'Provisioner');
    expect(config.MaximumRetryAttempts).toBe(2);
    expect(config.MaximumEventAgeInSeconds).toBe(3600);
    expect(config.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0]).toMatch(/ProvisionerFailures/);
  });
});

describe('the us-east-1 forwarder (home region eu-west-1)', () => {
  it('filters on the deployment\'s own tag prefix, in both rules', () => {
    const custom = buildApp({ ...shippedConfig(), tagPrefix: 'platform-access' });
    const main = properties(custom.main, 'AWS::Events::Rule', 'IamEventsRule').EventPattern;
    expect(main).toEqual(iamEventPattern('platform-access'));
    expect(JSON.stringify(main)).not.toContain('eks-access');
    expect(properties(custom.forwarder!, 'AWS::Events::Rule', 'ForwardIamEvents').EventPattern).toEqual(main);
  });

  it('exists and uses the same pattern', () => {
    expect(built.forwarder).toBeDefined();
    expect(built.stacks.forwarder?.region).toBe('us-east-1');
    const rule = properties(built.forwarder!, 'AWS::Events::Rule', 'ForwardIamEvents');
    expect(rule.EventPattern).toEqual(iamEventPattern('eks-access'));
  });

  it('targets the home region default bus with its own role and a DLQ', () => {
    const rule = properties(built.forwarder!, 'AWS::Events::Rule', 'ForwardIamEvents');
    const [target] = rule.Targets;
    expect(JSON.stringify(target.Arn)).toContain(':events:eu-west-1:');
    expect(JSON.stringify(target.Arn)).toContain(':event-bus/default');
    expect(target.RoleArn['Fn::GetAtt'][0]).toMatch(/ForwardRole/);
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/ForwardingFailures/);
  });

  it('lets its role put events on the home bus and nothing else', () => {
    const statements = Object.values(built.forwarder!.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as CfnResource[],
    );
    expect(statements).toHaveLength(1);
    const put = statements[0]!;
    expect(put.Action).toBe('events:PutEvents');
    expect(JSON.stringify(put.Resource)).toContain(':events:eu-west-1:');
  });
});

describe('the reconcile permissions (ceiling edit)', () => {
  for (const role of ['ProvisionerRole', 'ResyncRole']) {
    describe(role, () => {
      it('associates only the policies of levels up to the ceiling, and only on owned entries', () => {
        const s = statement(built.main, role, 'AssociateGrantablePoliciesOnOwnedEntries');
        expect(s.Action).toBe('eks:AssociateAccessPolicy');
        expect(s.Condition.ArnEquals['eks:policyArn']).toEqual([policy('AmazonEKSViewPolicy'), policy('AmazonEKSEditPolicy')]);
        expect(s.Condition.ArnEquals['eks:policyArn']).not.toContain(policy('AmazonEKSAdminPolicy'));
        expect(s.Condition.ArnEquals['eks:policyArn']).not.toContain(policy('AmazonEKSClusterAdminPolicy'));
        expect(s.Condition.StringEquals).toEqual({ [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, 'aws:ResourceTag/eks-access-pilot/source': 'tag' });
      });

      it("deletes and disassociates only entries the tag provisioner owns (not a migration's)", () => {
        const s = statement(built.main, role, 'ChangeOwnedEntriesOnly');
        expect(s.Action).toEqual(['eks:DeleteAccessEntry', 'eks:DisassociateAccessPolicy']);
        expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/managed-by': 'eks-access-pilot', 'aws:ResourceTag/eks-access-pilot/source': 'tag' } });
        expect(JSON.stringify(s.Resource)).toContain(':access-entry/prod/*');
      });

      it('holds no UpdateAccessEntry, allowed or as a wildcard: IAM cannot bound the groups an update sets', () => {
        // The SAR lists no condition keys for UpdateAccessEntry (eks:kubernetesGroups is a key of
        // the access-entry resource there: the groups the entry already has), so groups change by
        // delete and re-create, bounded by CreateAccessEntry's request key.
        const updates = roleStatements(built.main, role).filter((x) => [x.Action].flat().some((a) => /^eks:(UpdateAccessEntry|Update\*|\*)$|^\*$/.test(String(a))));
        expect(updates).toEqual([]);
      });

      it('creates only STANDARD entries that carry the ownership tag and allowed groups', () => {
        const s = statement(built.main, role, 'CreateOwnedStandardEntries');
        expect(s.Action).toBe('eks:CreateAccessEntry');
        expect(s.Condition.StringEquals).toEqual({ 'aws:RequestTag/managed-by': 'eks-access-pilot', 'aws:RequestTag/eks-access-pilot/source': 'tag', 'eks:accessEntryType': 'STANDARD' });
        expect(s.Condition['ForAllValues:StringEquals']['eks:kubernetesGroups']).toEqual(['pod-readers', 'log-readers']);
        expect(s.Condition['ForAllValues:StringEquals']['aws:TagKeys']).toContain('managed-by');
        const t = statement(built.main, role, 'TagOnCreateWithOwnershipTags');
        expect(t.Condition.StringEquals).toEqual({ 'aws:RequestTag/managed-by': 'eks-access-pilot', 'aws:RequestTag/eks-access-pilot/source': 'tag' });
      });

      it('creates no entry with a username (the tag contract never sets one; eks:username is a CreateAccessEntry request key)', () => {
        const s = statement(built.main, role, 'CreateOwnedStandardEntries');
        expect(s.Condition.Null).toEqual({ 'eks:username': 'true' });
      });

      it("tags only with the ownership tags, and never over another owner's managed-by or source", () => {
        const t = statement(built.main, role, 'TagOnCreateWithOwnershipTags');
        expect(t.Action).toBe('eks:TagResource');
        // IfExists: a new entry (tag-on-create) has no tags yet; an existing one must already be ours.
        expect(t.Condition.StringEqualsIfExists).toEqual({ 'aws:ResourceTag/managed-by': 'eks-access-pilot', 'aws:ResourceTag/eks-access-pilot/source': 'tag' });
        expect(t.Condition['ForAllValues:StringEquals']['aws:TagKeys']).toEqual(['managed-by', 'eks-access-pilot/source', 'eks-access-pilot/principal-id']);
      });

      it('is scoped to the managed clusters and their entries', () => {
        const reads = statement(built.main, role, 'ReadManagedClusters');
        const arns = JSON.stringify(reads.Resource);
        expect(arns).toContain(':eks:eu-west-1:');
        expect(arns).toContain(':cluster/prod');
        expect(arns).toContain(':eks:us-east-1:');
        expect(arns).toContain(':cluster/analytics');
        expect(arns).not.toContain('cluster/*');
      });

      it('denies any write that names a protected principal, under any path, or one of the system roles', () => {
        const s = statement(built.main, role, 'HandsOffProtectedAndSystemPrincipals');
        expect(s.Effect).toBe('Deny');
        expect(s.Condition.ArnEquals).toBeUndefined();
        const principals = s.Condition.ArnLike['eks:principalArn'] as unknown[];
        // Configured without a path (cdk.json): matched with and without one.
        expect(principals).toEqual(expect.arrayContaining(['arn:aws:iam::111122223333:role/BreakGlassAdmin', 'arn:aws:iam::111122223333:role/*/BreakGlassAdmin']));
        const patterns = principals.filter((p): p is string => typeof p === 'string');
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/BreakGlassAdmin')).toBe(true);
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/ops/BreakGlassAdmin')).toBe(true);
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/ops/emergency/BreakGlassAdmin')).toBe(true);
        // Not a prefix or suffix match, not another kind, not another account.
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/NotBreakGlassAdmin')).toBe(false);
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/ops/NotBreakGlassAdmin')).toBe(false);
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:role/BreakGlassAdmin2')).toBe(false);
        expect(arnLikeAny(patterns, 'arn:aws:iam::111122223333:user/BreakGlassAdmin')).toBe(false);
        expect(arnLikeAny(patterns, 'arn:aws:iam::444455556666:role/BreakGlassAdmin')).toBe(false);
        expect(JSON.stringify(principals)).toMatch(/ProvisionerRole.*ResyncRole/);
      });
    });
  }

  it('lets only the resync list every principal', () => {
    expect(() => statement(built.main, 'ResyncRole', 'ListPrincipalsWithTags')).not.toThrow();
    expect(() => statement(built.main, 'ProvisionerRole', 'ListPrincipalsWithTags')).toThrow();
  });
});

describe('the functions', () => {
  it('run on nodejs24.x, arm64, with active tracing and the house environment', () => {
    built.main.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'eks-access-pilot',
          POWERTOOLS_METRICS_NAMESPACE: 'EksAccessPilot',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('hand over EAP_CONFIG that parses with RuntimeConfigSchema, listing their own and the migration\'s roles', () => {
    for (const fn of ['Provisioner', 'Resync']) {
      // arrange
      const env = properties(built.main, 'AWS::Lambda::Function', `${fn}Function`).Environment.Variables;
      // act
      const runtime = RuntimeConfigSchema.parse(JSON.parse(resolveJoin(env.EAP_CONFIG)));
      // assert
      expect(runtime.config.ceiling).toBe('edit');
      expect(runtime.config.clusters.map((c) => c.name)).toEqual(['prod', 'staging', 'analytics']);
      const regionalRoles = built.stacks.migrations.flatMap((m) => m.migration.roles);
      // Their own two, the role EventBridge Scheduler invokes the provisioner with, the migrations'.
      expect(runtime.systemRoleArns).toHaveLength(3 + built.stacks.main.migration.roles.length + regionalRoles.length);
      expect(runtime.systemRoleArns.join()).toMatch(/ProvisionerRole.*ResyncRole.*ExpirySchedulerRole/);
    }
  });

  it('log to their own log groups with a retention', () => {
    built.main.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
    const functionLogs = Object.entries(built.main.findResources('AWS::Logs::LogGroup')).filter(([id]) => !id.includes('StateMachine'));
    for (const [id, group] of functionLogs) expect(group.Properties.RetentionInDays, id).toBe(30);
  });

  it('run the resync on the configured schedule with a 15 minute timeout', () => {
    const schedule = properties(built.main, 'AWS::Events::Rule', 'ResyncSchedule');
    expect(schedule.ScheduleExpression).toBe('rate(30 minutes)');
    expect(schedule.Targets[0].DeadLetterConfig).toBeDefined();
    expect(properties(built.main, 'AWS::Lambda::Function', 'ResyncFunction').Timeout).toBe(900);
  });
});

describe('dead-letter queues and alarms', () => {
  const queueIds = ['ProvisionerFailures', 'ResyncFailures', 'RuleDeliveryFailures', 'ScheduleDeliveryFailures', 'ExpiryDeliveryFailures'];

  it('encrypt every queue and refuse plain-HTTP access', () => {
    for (const template of [built.main, built.forwarder!]) {
      template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
      for (const [, qp] of Object.entries(template.findResources('AWS::SQS::QueuePolicy'))) {
        expect(qp.Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    }
    expect(Object.keys(built.main.findResources('AWS::SQS::QueuePolicy'))).toHaveLength(queueIds.length);
  });

  it('alarm on the depth of each DLQ and on the errors of each function, to the encrypted topic', () => {
    const alarms = Object.entries(built.main.findResources('AWS::CloudWatch::Alarm'));
    for (const q of queueIds) {
      const alarm = alarms.find(([id]) => id.includes(q));
      expect(alarm?.[1].Properties.MetricName, q).toBe('ApproximateNumberOfMessagesVisible');
    }
    for (const fn of ['Provisioner', 'Resync']) {
      const alarm = alarms.find(([id]) => id.includes(`${fn}Function`));
      expect(alarm?.[1].Properties.MetricName, fn).toBe('Errors');
    }
    for (const [, a] of alarms) expect(JSON.stringify(a.Properties.AlarmActions)).toMatch(/AlarmsTopic/);
    const forwarderAlarm = Object.values(built.forwarder!.findResources('AWS::CloudWatch::Alarm'));
    expect(forwarderAlarm.map((a) => a.Properties.MetricName)).toEqual(['ApproximateNumberOfMessagesVisible']);
  });

  it('encrypt the alarm topic with a rotating customer key that CloudWatch may use, and export it', () => {
    built.main.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    built.main.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    built.main.hasOutput('*', { Export: { Name: 'EksAccessPilot-AlarmTopicArn' } });
  });
});

describe('protected principals configured with a path, a user, another account', () => {
  const PROTECTED = ['arn:aws:iam::111122223333:role/admins/BreakGlassAdmin', 'arn:aws:iam::444455556666:user/people/alice'];
  let other: BuiltApp;
  beforeAll(() => {
    vi.stubEnv('CDK_VALIDATION', 'false');
    other = buildApp({ ...shippedConfig(), protectedPrincipalArns: PROTECTED });
  });

  it('denies them by kind, account and name whatever the path, and nobody else', () => {
    for (const role of ['ProvisionerRole', 'ResyncRole']) {
      const principals = statement(other.main, role, 'HandsOffProtectedAndSystemPrincipals').Condition.ArnLike['eks:principalArn'] as unknown[];
      expect(principals, role).toEqual(
        expect.arrayContaining([
          'arn:aws:iam::111122223333:role/BreakGlassAdmin',
          'arn:aws:iam::111122223333:role/*/BreakGlassAdmin',
          'arn:aws:iam::444455556666:user/alice',
          'arn:aws:iam::444455556666:user/*/alice',
        ]),
      );
      const patterns = principals.filter((p): p is string => typeof p === 'string');
      for (const arn of [
        'arn:aws:iam::111122223333:role/BreakGlassAdmin',
        'arn:aws:iam::111122223333:role/admins/BreakGlassAdmin',
        'arn:aws:iam::111122223333:role/other/BreakGlassAdmin',
        'arn:aws:iam::444455556666:user/alice',
        'arn:aws:iam::444455556666:user/people/alice',
      ]) {
        expect(arnLikeAny(patterns, arn), arn).toBe(true);
      }
      for (const arn of [
        'arn:aws:iam::111122223333:role/NotBreakGlassAdmin',
        'arn:aws:iam::111122223333:role/admins/NotBreakGlassAdmin',
        'arn:aws:iam::444455556666:user/malice',
        'arn:aws:iam::444455556666:role/alice',
        'arn:aws:iam::111122223333:user/alice',
      ]) {
        expect(arnLikeAny(patterns, arn), arn).toBe(false);
      }
    }
  });
});

// Issue 12: roles Identity Center creates get access from their permission set's tags, with the
// configured username and source identity-center (infra/constructs/reconcile-permissions.ts).
describe('Identity Center', () => {
  const READ_ROLE = 'arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read';
  const IDENTITY_CENTER = {
    instanceArn: 'arn:aws:sso:::instance/ssoins-0123456789abcdef',
    region: 'eu-west-1',
    readRoleArn: READ_ROLE,
    permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }],
  };
  const SSO_ROLE = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789';
  const SSO_ROLE_NO_REGION = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789';
  const TAG_ONLY_SIDS = [
    'ReadPrincipalTags',
    'ReadManagedClusters',
    'ReadManagedClusterEntries',
    'CreateOwnedStandardEntries',
    'TagOnCreateWithOwnershipTags',
    'AssociateGrantablePoliciesOnOwnedEntries',
    'ChangeOwnedEntriesOnly',
    'HandsOffProtectedAndSystemPrincipals',
    // Time-bound access (test/infra/expiry.test.ts), with or without Identity Center; the resync
    // also lists the group's schedules (ListExpirySchedules, filtered out below with its other list).
    'ManageExpirySchedules',
    'PassSchedulerRoleToScheduler',
  ];
  const sidsOf = (template: BuiltApp['main'], role: string) => roleStatements(template, role).map((s) => s.Sid as string).filter((sid) => sid !== undefined);
  let withSso: BuiltApp;
  beforeAll(() => {
    vi.stubEnv('CDK_VALIDATION', 'false');
    withSso = buildApp({ ...shippedConfig(), identityCenter: IDENTITY_CENTER });
  });

  describe('not configured', () => {
    for (const role of ['ProvisionerRole', 'ResyncRole']) {
      it(`${role}: the policy is the tag-only one: no Identity Center create, no AssumeRole, source tag only`, () => {
        // arrange
        const statements = roleStatements(built.main, role);
        // act
        const json = JSON.stringify(statements);
        // assert
        expect(sidsOf(built.main, role).filter((sid) => sid !== 'ListPrincipalsWithTags' && sid !== 'ListExpirySchedules')).toEqual(TAG_ONLY_SIDS);
        expect(json).not.toContain('identity-center');
        expect(json).not.toContain('sts:');
        expect(json).not.toContain('aws-reserved');
        for (const sid of ['TagOnCreateWithOwnershipTags', 'AssociateGrantablePoliciesOnOwnedEntries', 'ChangeOwnedEntriesOnly']) {
          const s = statement(built.main, role, sid);
          expect(JSON.stringify(s.Condition), sid).toContain('"aws:ResourceTag/eks-access-pilot/source":"tag"');
        }
      });
    }
  });

  describe('configured', () => {
    for (const role of ['ProvisionerRole', 'ResyncRole']) {
      describe(role, () => {
        it('creates an Identity Center entry only as STANDARD, tagged source=identity-center, with exactly the configured username', () => {
          const s = statement(withSso.main, role, 'CreateOwnedIdentityCenterEntries');
          expect(s.Effect).toBe('Allow');
          expect(s.Action).toBe('eks:CreateAccessEntry');
          expect(JSON.stringify(s.Resource)).toContain(':cluster/prod');
          expect(s.Condition.StringEquals).toEqual({
            'aws:RequestTag/managed-by': 'eks-access-pilot',
            'aws:RequestTag/eks-access-pilot/source': 'identity-center',
            'eks:accessEntryType': 'STANDARD',
            'eks:username': 'sso:{{SessionName}}',
          });
          expect(s.Condition['ForAllValues:StringEquals']).toEqual({
            'aws:TagKeys': ['managed-by', 'eks-access-pilot/source', 'eks-access-pilot/principal-id'],
            'eks:kubernetesGroups': ['pod-readers', 'log-readers'],
          });
          expect(s.Condition.Null).toBeUndefined();
        });

        it("creates it only for a role under Identity Center's path, in either path form", () => {
          const pattern = statement(withSso.main, role, 'CreateOwnedIdentityCenterEntries').Condition.ArnLike['eks:principalArn'] as string;
          expect(pattern).toBe('arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*');
          expect(arnLike(pattern, SSO_ROLE)).toBe(true);
          expect(arnLike(pattern, SSO_ROLE_NO_REGION)).toBe(true);
          for (const arn of [
            'arn:aws:iam::111122223333:role/doctor-example-team',
            'arn:aws:iam::111122223333:role/teams/AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789',
            'arn:aws:iam::111122223333:role/aws-reserved/AWSReservedSSO_PlatformReadOnly_0a1b2c3d4e5f6789',
            'arn:aws:iam::111122223333:user/aws-reserved/sso.amazonaws.com/alice',
          ]) {
            expect(arnLike(pattern, arn), arn).toBe(false);
          }
        });

        it('keeps the tag create at source=tag with no username', () => {
          const s = statement(withSso.main, role, 'CreateOwnedStandardEntries');
          expect(s.Condition.StringEquals).toEqual({ 'aws:RequestTag/managed-by': 'eks-access-pilot', 'aws:RequestTag/eks-access-pilot/source': 'tag', 'eks:accessEntryType': 'STANDARD' });
          expect(s.Condition.Null).toEqual({ 'eks:username': 'true' });
        });

        it("acts on existing entries of both its sources, never a migration's or another owner's", () => {
          const both = ['tag', 'identity-center'];
          const owned = { 'aws:ResourceTag/managed-by': 'eks-access-pilot', 'aws:ResourceTag/eks-access-pilot/source': both };
          expect(statement(withSso.main, role, 'ChangeOwnedEntriesOnly').Condition).toEqual({ StringEquals: owned });
          const associate = statement(withSso.main, role, 'AssociateGrantablePoliciesOnOwnedEntries');
          expect(associate.Condition.StringEquals).toEqual(owned);
          expect(associate.Condition.ArnEquals['eks:policyArn']).toEqual([policy('AmazonEKSViewPolicy'), policy('AmazonEKSEditPolicy')]);
          const tagging = statement(withSso.main, role, 'TagOnCreateWithOwnershipTags');
          expect(tagging.Condition.StringEquals).toEqual({ 'aws:RequestTag/managed-by': 'eks-access-pilot', 'aws:RequestTag/eks-access-pilot/source': both });
          expect(tagging.Condition.StringEqualsIfExists).toEqual(owned);
          // Exact values under StringEquals: migration/<execution> is not among them.
          expect(JSON.stringify(roleStatements(withSso.main, role).map((x) => x.Condition ?? {}))).not.toMatch(/migration\/|source":"\*|source":\[[^\]]*\*/);
        });

        it('assumes exactly the configured read role, and no other', () => {
          const s = statement(withSso.main, role, 'AssumeIdentityCenterReadRole');
          expect(s).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: READ_ROLE });
          expect(roleStatements(withSso.main, role).filter((x) => [x.Action].flat().some((a) => String(a).startsWith('sts:')))).toHaveLength(1);
        });

        it('adds exactly these two statements to the tag-only policy, whose other statements differ only in the sources they accept', () => {
          const tagOnly = roleStatements(built.main, role);
          const normalize = (statements: CfnResource[]) =>
            JSON.parse(JSON.stringify(statements.filter((s) => !['CreateOwnedIdentityCenterEntries', 'AssumeIdentityCenterReadRole'].includes(s.Sid as string))).replaceAll('["tag","identity-center"]', '"tag"')) as unknown;
          expect(normalize(roleStatements(withSso.main, role))).toEqual(normalize(tagOnly));
          expect(sidsOf(withSso.main, role).length).toBe(sidsOf(built.main, role).length + 2);
        });

        it('still denies writes for protected and system principals, Identity Center creates included', () => {
          const s = statement(withSso.main, role, 'HandsOffProtectedAndSystemPrincipals');
          expect(s.Effect).toBe('Deny');
          expect(s.Action).toContain('eks:CreateAccessEntry');
        });
      });
    }

    it('follows a configured username, sets no groups without allowed groups, and holds no AssumeRole without a read role', () => {
      // arrange
      const staticOnly = buildApp({
        ...shippedConfig(),
        allowedGroups: [],
        identityCenter: { permissionSets: IDENTITY_CENTER.permissionSets, username: 'people:{{SessionName}}' },
      });
      // act
      const s = statement(staticOnly.main, 'ProvisionerRole', 'CreateOwnedIdentityCenterEntries');
      // assert
      expect(s.Condition.StringEquals['eks:username']).toBe('people:{{SessionName}}');
      expect(s.Condition.Null).toEqual({ 'eks:kubernetesGroups': 'true' });
      expect(s.Condition['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['managed-by', 'eks-access-pilot/source', 'eks-access-pilot/principal-id'] });
      expect(() => statement(staticOnly.main, 'ProvisionerRole', 'AssumeIdentityCenterReadRole')).toThrow();
      expect(JSON.stringify(roleStatements(staticOnly.main, 'ResyncRole'))).not.toContain('sts:');
    });

    it('exposes the provisioner and resync role ARNs, which the read role trusts', () => {
      for (const template of [built.main, withSso.main]) {
        const outputs = Object.entries(template.findOutputs('*'));
        for (const fn of ['Provisioner', 'Resync']) {
          const found = outputs.filter(([id]) => id.startsWith(`TagProvisioning${fn}RoleArn`));
          expect(found, fn).toHaveLength(1);
          expect(found[0]![1].Value['Fn::GetAtt'][0]).toMatch(new RegExp(`^TagProvisioning${fn}Role[0-9A-F]{8}$`));
        }
      }
    });
  });
});
