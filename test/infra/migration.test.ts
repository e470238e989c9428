// The aws-auth → access-entries migration as deployed (issue 3, item 8): the definition and its
// substitutions, the bucket, the grants of the state machine and of each task, logging,
// tracing, alarms, and the hand-off of its roles to the tag provisioning.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY } from '#kernel/ownership';
import { repoEntry } from '#infra/constructs/function';
import { AuthModeMigration, MIGRATION_ASL_FILE, type MigrationTask } from '#infra/constructs/migration/index';
import { AlarmTopic } from '#infra/constructs/operations';
import { MIGRATION_ASL_PATH, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';
import type { EksAccessPilotStack } from '#infra/stacks/main';
import { buildApp, properties, roleStatements, shippedConfig, statement, type BuiltApp, type CfnResource } from './synth.ts';

let built: BuiltApp;
let migration: AuthModeMigration;
let stack: EksAccessPilotStack;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  built = buildApp(shippedConfig());
  stack = built.stacks.main;
  migration = stack.migration;
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const placeholders = Object.keys(MIGRATION_SUBSTITUTIONS) as MigrationPlaceholder[];
const tasks = placeholders.filter((p): p is MigrationTask => MIGRATION_SUBSTITUTIONS[p].kind === 'function');
const stateMachine = () => properties(built.main, 'AWS::StepFunctions::StateMachine', 'MigrationStateMachine');
/** The CloudFormation expression a token becomes in this stack's template. */
const cfn = (token: string): unknown => stack.resolve(token);
/** Logical id of an IAM role, from its ARN token ({ Fn::GetAtt: [id, Arn] }). */
const roleId = (arn: string) => (cfn(arn) as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
/** Statements of a migration role without the house's log group and X-Ray grants. */
const ownStatements = (roleArn: string) =>
  roleStatements(built.main, roleId(roleArn)).filter((s) => ![s.Action].flat().every((a: string) => a.startsWith('logs:') || a.startsWith('xray:')));
const actionsOf = (statements: CfnResource[]) => [...new Set(statements.flatMap((s) => [s.Action].flat() as string[]))].sort();

describe('the state machine definition', () => {
  it('is loaded from the ASL file, resolved from the construct file\'s location, as an asset of its exact bytes', () => {
    // arrange
    const asset = migration.stateMachine.node.findChild('DefinitionBody') as s3assets.Asset;
    // act
    const staged = readFileSync(join(built.app.synth().directory, asset.assetPath), 'utf8');
    // assert
    expect(isAbsolute(MIGRATION_ASL_FILE)).toBe(true);
    expect(MIGRATION_ASL_FILE.endsWith(MIGRATION_ASL_PATH)).toBe(true);
    expect(staged).toBe(readFileSync(MIGRATION_ASL_FILE, 'utf8'));
    expect(stateMachine().DefinitionS3Location).toBeDefined();
  });

  it('substitutes exactly the placeholders of MIGRATION_SUBSTITUTIONS', () => {
    expect(Object.keys(stateMachine().DefinitionSubstitutions).sort()).toEqual([...placeholders].sort());
  });

  it('fills functions with their ARNs, the bucket with its name and settings with their defaults', () => {
    const subs = stateMachine().DefinitionSubstitutions;
    for (const task of tasks) expect(subs[task], task).toEqual(cfn(migration.functions[task].function.functionArn));
    expect(subs.BackupBucket).toEqual(cfn(migration.bucket.bucketName));
    for (const p of placeholders) {
      const sub = MIGRATION_SUBSTITUTIONS[p];
      if (sub.kind === 'setting') expect(subs[p], p).toBe(sub.default);
    }
  });

  it('leaves no ${…} in the definition once the substitutions are applied', () => {
    // arrange
    const subs = stateMachine().DefinitionSubstitutions as Record<string, unknown>;
    const text = readFileSync(MIGRATION_ASL_FILE, 'utf8');
    // act: CloudFormation replaces ${Name} by the value; tokens stand in as plain strings
    const resolved = text.replace(/\$\{([^}]*)\}/g, (whole, name: string) =>
      name in subs ? (typeof subs[name] === 'string' ? (subs[name] as string) : `resolved-${name}`) : whole,
    );
    // assert
    expect(resolved.match(/\$\{[^}]*\}/g) ?? []).toEqual([]);
    expect(() => JSON.parse(resolved) as unknown).not.toThrow();
  });

  it('accepts overrides of the settings and refuses values that are not whole numbers', () => {
    const make = (settings: Record<string, string>) => {
      const app = new App();
      app.node.setContext('aws:cdk:bundling-stacks', []);
      const s = new Stack(app, 'S', { env: { region: 'eu-west-1' } });
      const config = stack.config;
      return new AuthModeMigration(s, 'M', { config, alarms: new AlarmTopic(s, 'A', { exportName: 'x' }), settings });
    };
    expect(make({ MaxUpdatePolls: '10', ApprovalTimeoutSeconds: '604800' }).substitutions).toMatchObject({ MaxUpdatePolls: '10', ApprovalTimeoutSeconds: '604800', UpdatePollSeconds: '30' });
    expect(() => make({ UpdatePollSeconds: 'thirty' })).toThrow(/UpdatePollSeconds must be a whole number/);
    expect(() => make({ BackupBucket: 'other' })).toThrow(/BackupBucket is not a setting/);
  });
});

describe('the migration bucket', () => {
  const bucket = () => properties(built.main, 'AWS::S3::Bucket', 'MigrationBucket');

  it('is versioned, encrypted and blocks all public access', () => {
    expect(bucket().VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket().BucketEncryption.ServerSideEncryptionConfiguration).toEqual([{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }]);
    expect(bucket().PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('refuses plain HTTP and any write that could overwrite a document', () => {
    const policy = properties(built.main, 'AWS::S3::BucketPolicy', 'MigrationBucketPolicy').PolicyDocument.Statement as CfnResource[];
    expect(policy).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const writeOnce = policy.find((s) => s.Sid === 'WriteOnceDocuments');
    expect(writeOnce).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: { Null: { 's3:if-none-match': 'true' } } });
  });

  it('keeps documents and replaced versions for the retention period, logs access and outlives the stack', () => {
    expect(bucket().LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 365 } }),
    );
    expect(bucket().LoggingConfiguration.DestinationBucketName).toEqual(cfn(migration.accessLogsBucket.bucketName));
    const [, resource] = Object.entries(built.main.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('MigrationBucket'))!;
    expect(resource.DeletionPolicy).toBe('Retain');
  });
});

describe('the state machine role', () => {
  const smRole = () => migration.stateMachine.role.roleArn;

  it('can invoke exactly the eleven task functions, unqualified', () => {
    const invoke = statement(built.main, roleId(smRole()), 'InvokeMigrationTasks');
    expect(invoke.Action).toBe('lambda:InvokeFunction');
    expect(invoke.Resource).toHaveLength(11);
    expect(invoke.Resource).toEqual(expect.arrayContaining(tasks.map((t) => cfn(migration.functions[t].function.functionArn))));
    const elsewhere = roleStatements(built.main, roleId(smRole())).filter((s) => s !== invoke && JSON.stringify(s.Action).includes('lambda:'));
    expect(elsewhere).toEqual([]);
  });

  it('switches the authentication mode (with the entries EKS creates on the switch), and only that, on the managed clusters of the home region', () => {
    const update = statement(built.main, roleId(smRole()), 'SwitchAuthenticationMode');
    expect(update.Action).toBe('eks:UpdateClusterConfig');
    expect(update.Condition).toEqual({ StringEquals: { 'eks:authenticationMode': ['API_AND_CONFIG_MAP', 'API'] } });
    const poll = statement(built.main, roleId(smRole()), 'PollModeSwitch');
    expect(poll.Action).toBe('eks:DescribeUpdate');
    for (const s of [update, poll]) {
      const arns = JSON.stringify(s.Resource);
      expect(arns).toContain(':eks:eu-west-1:');
      expect(arns).toContain(':cluster/prod');
      expect(arns).toContain(':cluster/staging');
      expect(arns).not.toContain('analytics'); // us-east-1: out of the workflow's reach
      expect(arns).not.toContain('*');
    }
    const eks = roleStatements(built.main, roleId(smRole())).flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('eks:'));
    expect(eks.sort()).toEqual(['eks:CreateAccessEntry', 'eks:DescribeUpdate', 'eks:UpdateClusterConfig']);
  });
});

describe('the task functions', () => {
  it('are one per task of MIGRATION_SUBSTITUTIONS, built from its entry', () => {
    expect(Object.keys(migration.functions).sort()).toEqual([...tasks].sort());
    for (const task of tasks) expect(existsSync(repoEntry(MIGRATION_SUBSTITUTIONS[task].entry)), task).toBe(true);
    built.main.resourcePropertiesCountIs('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^eks-access-pilot migration task') }, tasks.length);
  });

  it('call the Kubernetes API as one identity (describe, backup, re-check, rollback), the others each as its own', () => {
    const k8s = ['DescribeClusterFunctionArn', 'BackupFunctionArn', 'RecheckFunctionArn', 'RollbackFunctionArn'] as const;
    for (const t of k8s) expect(migration.functions[t].role, t).toBe(migration.kubernetesRole);
    const others = tasks.filter((t) => !(k8s as readonly string[]).includes(t)).map((t) => migration.functions[t].role);
    expect(new Set(others).size).toBe(others.length);
    expect(migration.roles).toHaveLength(others.length + 1);
  });

  it('have exactly the AWS permissions their task calls for', () => {
    const read = ['eks:DescribeAccessEntry', 'eks:ListAccessEntries', 'eks:ListAssociatedAccessPolicies'];
    const expected: Record<string, string[]> = {
      ValidateInputFunctionArn: [],
      DescribeClusterFunctionArn: ['eks:DeleteAccessEntry', 'eks:DescribeCluster', ...read, 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      PlanFunctionArn: ['iam:GetRole', 'iam:GetUser', 'iam:ListRoles', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      RelistEntriesFunctionArn: [...read, 's3:GetObject', 's3:GetObjectVersion'],
      CreateEntriesFunctionArn: ['eks:AssociateAccessPolicy', 'eks:CreateAccessEntry', ...read, 'eks:TagResource', 'iam:PassRole', 's3:GetObject'],
      VerifyEntriesFunctionArn: [...read, 's3:GetObject'],
      RequestApprovalFunctionArn: ['s3:PutObject'],
      ReportFunctionArn: ['eks:DescribeCluster', 's3:PutObject'],
    };
    for (const [task, actions] of Object.entries(expected)) {
      expect(actionsOf(ownStatements(migration.functions[task as MigrationTask].role.roleArn)), task).toEqual([...actions].sort());
    }
  });

  it('write documents only under their own prefix of the bucket', () => {
    const writes: Record<string, string> = {
      DescribeClusterFunctionArn: 'backups', // the Kubernetes role: the backup step writes
      PlanFunctionArn: 'plans',
      RequestApprovalFunctionArn: 'approvals',
      ReportFunctionArn: 'reports',
    };
    for (const [task, prefix] of Object.entries(writes)) {
      const puts = ownStatements(migration.functions[task as MigrationTask].role.roleArn).filter((s) => s.Action === 's3:PutObject');
      expect(puts, task).toHaveLength(1);
      expect(JSON.stringify(puts[0]!.Resource), task).toMatch(new RegExp(`/${prefix}/\\*"`));
    }
  });

  it('reach EKS only on the managed clusters of the home region', () => {
    for (const role of migration.roles) {
      for (const s of ownStatements(role.roleArn).filter((x) => JSON.stringify(x.Action).includes('eks:'))) {
        const arns = JSON.stringify(s.Resource);
        expect(arns, s.Sid).toContain(':eks:eu-west-1:');
        expect(arns, s.Sid).not.toContain('analytics');
        expect(arns, s.Sid).not.toMatch(/cluster\/\*|"\*"/);
      }
    }
  });

  it('roll back by deleting only entries a migration created (ownership and source tags)', () => {
    const del = statement(built.main, roleId(migration.kubernetesRole.roleArn), 'DeleteMigrationEntriesOnly');
    expect(del.Action).toBe('eks:DeleteAccessEntry');
    expect(del.Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE },
      StringLike: { [`aws:ResourceTag/${SOURCE_KEY}`]: 'migration/*' },
    });
    const deleters = migration.roles.filter((r) => actionsOf(ownStatements(r.roleArn)).includes('eks:DeleteAccessEntry'));
    expect(deleters).toEqual([migration.kubernetesRole]);
  });

  it('create only tagged entries of the converted types, without system: groups', () => {
    const role = roleId(migration.functions.CreateEntriesFunctionArn.role.roleArn);
    const create = statement(built.main, role, 'CreateTaggedMigrationEntries');
    expect(create.Condition.StringEquals).toEqual({
      [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE,
      'eks:accessEntryType': ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS'],
    });
    expect(create.Condition.StringLike).toEqual({ [`aws:RequestTag/${SOURCE_KEY}`]: 'migration/*' });
    expect(create.Condition['ForAllValues:StringEquals']['aws:TagKeys'].sort()).toEqual([MANAGED_BY_KEY, SOURCE_KEY].sort());
    expect(create.Condition['ForAllValues:StringNotLike']).toEqual({ 'eks:kubernetesGroups': ['system:*'] });
    const tag = statement(built.main, role, 'TagMigrationEntriesOnCreate');
    expect(tag.Action).toBe('eks:TagResource');
    expect(tag.Condition.StringEquals).toEqual({ [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE });
    expect(tag.Condition.StringLike).toEqual({ [`aws:RequestTag/${SOURCE_KEY}`]: 'migration/*' });
    const pass = statement(built.main, role, 'PassNodeRolesToNodeEntries');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  });

  it("tag only with the migration's tags, and never over another owner's managed-by or source", () => {
    const tag = statement(built.main, roleId(migration.functions.CreateEntriesFunctionArn.role.roleArn), 'TagMigrationEntriesOnCreate');
    // IfExists: a new entry (tag-on-create) has no tags yet; an existing one must already be a migration's.
    expect(tag.Condition.StringEqualsIfExists).toEqual({ [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE });
    expect(tag.Condition.StringLikeIfExists).toEqual({ [`aws:ResourceTag/${SOURCE_KEY}`]: 'migration/*' });
    expect(tag.Condition['ForAllValues:StringEquals']['aws:TagKeys'].sort()).toEqual([MANAGED_BY_KEY, SOURCE_KEY].sort());
    const taggers = migration.roles.filter((r) => actionsOf(ownStatements(r.roleArn)).includes('eks:TagResource'));
    expect(taggers).toEqual([migration.functions.CreateEntriesFunctionArn.role]);
  });

  it('associate only AmazonEKSClusterAdminPolicy at cluster scope (what system:masters becomes), on migration entries', () => {
    const assoc = statement(built.main, roleId(migration.functions.CreateEntriesFunctionArn.role.roleArn), 'AssociateClusterAdminOnMigrationEntries');
    const policies = JSON.stringify(assoc.Condition.ArnEquals['eks:policyArn']);
    expect(policies).toContain(':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy');
    expect(policies.match(/cluster-access-policy/g)).toHaveLength(1);
    expect(assoc.Condition.StringEquals).toEqual({ [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE, 'eks:accessScope': 'cluster' });
    expect(assoc.Condition.StringLike).toEqual({ [`aws:ResourceTag/${SOURCE_KEY}`]: 'migration/*' });
  });
});

describe('logging and tracing', () => {
  it('traces with X-Ray and logs ALL events with execution data to its own log group', () => {
    expect(stateMachine().TracingConfiguration).toEqual({ Enabled: true });
    expect(stateMachine().LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: true,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: cfn(migration.logGroup.logGroupArn) } }],
    });
  });

  it('keeps the log for a year, encrypted with a rotating key that CloudWatch Logs may use for this group only', () => {
    const group = properties(built.main, 'AWS::Logs::LogGroup', 'MigrationStateMachineLogs');
    expect(group.RetentionInDays).toBe(365);
    expect(group.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
    const keyId = (group.KmsKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = built.main.findResources('AWS::KMS::Key')[keyId]!.Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const forLogs = (key.KeyPolicy.Statement as CfnResource[]).find((s) => s.Sid === 'CloudWatchLogsEncryptsThisLogGroup');
    expect(JSON.stringify(forLogs?.Principal)).toContain('logs.');
    expect(JSON.stringify(forLogs?.Condition)).toContain(':log-group:/aws/vendedlogs/states/');
  });
});

describe('alarms', () => {
  const alarms = () => Object.values(built.main.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const toTopic = (a: CfnResource) => JSON.stringify(a.AlarmActions).includes('AlarmsTopic');

  it('pages on any failed execution, to the alarm topic', () => {
    const failed = alarms().find((a) => a.MetricName === 'ExecutionsFailed');
    expect(failed).toMatchObject({ Namespace: 'AWS/States', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
    expect(failed!.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: cfn(migration.stateMachine.stateMachineArn) }]);
    expect(toTopic(failed!)).toBe(true);
  });

  it('pages on timed-out or aborted executions (no rollback ran), to the alarm topic', () => {
    const stopped = alarms().find((a) => JSON.stringify(a.Metrics ?? []).includes('ExecutionsAborted'));
    expect(JSON.stringify(stopped?.Metrics)).toContain('ExecutionsTimedOut');
    expect(stopped).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(toTopic(stopped!)).toBe(true);
  });
});

describe('hand-off to the tag provisioning', () => {
  it('lists every migration role among the system roles in EAP_CONFIG and in the reconcile\'s deny', () => {
    const env = JSON.stringify(properties(built.main, 'AWS::Lambda::Function', 'ProvisionerFunction').Environment.Variables.EAP_CONFIG);
    const deny = JSON.stringify(statement(built.main, 'ResyncRole', 'HandsOffProtectedAndSystemPrincipals').Condition);
    for (const role of migration.roles) {
      expect(env).toContain(roleId(role.roleArn));
      expect(deny).toContain(roleId(role.roleArn));
    }
  });
});

describe('with no managed cluster in the home region', () => {
  it('grants no EKS action at all', () => {
    const config = { ...shippedConfig(), homeRegion: 'ap-southeast-2' };
    const other = buildApp(config);
    const eks = Object.values(other.main.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('Migration'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as CfnResource[])
      .flatMap((s) => [s.Action].flat())
      .filter((a: string) => a.startsWith('eks:'));
    expect(eks).toEqual([]);
  });
});

describe('cdk-nag', () => {
  it('passes on the app with the migration, every finding acknowledged with a reason', () => {
    expect(() => buildApp(shippedConfig(), { nag: true })).not.toThrow();
  });
});
