/**
 * The aws-auth → access-entries migration (design.md §4, issue 3): the state machine loaded
 * from `workflows/auth-mode-migration.asl.json`, its ten task functions, and the bucket that
 * keeps backups, plans, approval requests and reports.
 *
 * Everything the ASL references is filled in from MIGRATION_SUBSTITUTIONS
 * (functions/migration/workflow.ts), the one list of its `${Placeholder}`s: a placeholder
 * added there without a function, bucket or setting here fails to compile (the task table
 * below is keyed by it) or fails synth.
 *
 * Step Functions infers no permissions from a definition file, so every grant is explicit.
 * Permissions follow the Service Authorization Reference (SAR):
 *  - EKS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html):
 *    DescribeCluster, ListAccessEntries, UpdateClusterConfig and DescribeUpdate act on the
 *    `cluster` resource; DescribeAccessEntry, ListAssociatedAccessPolicies, DeleteAccessEntry
 *    and AssociateAccessPolicy on `access-entry` (whose ARN ends in a UUID EKS assigns, hence
 *    `access-entry/<cluster>/*`), with aws:ResourceTag/${TagKey} being the entry's own tags.
 *    CreateAccessEntry acts on `cluster` and supports aws:RequestTag/${TagKey}, aws:TagKeys,
 *    eks:accessEntryType, eks:kubernetesGroups; the SAR's API-operations table lists
 *    eks:TagResource (tags on create) and iam:PassRole with iam:PassedToService
 *    ec2.amazonaws.com (node-type entries) as the actions CreateAccessEntry authorizes.
 *    AssociateAccessPolicy supports eks:policyArn and eks:accessScope. UpdateClusterConfig
 *    supports eks:authenticationMode.
 *  - S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
 *    PutObject and GetObject act on `object`; a GetObject with a VersionId is authorized as
 *    s3:GetObjectVersion. The If-None-Match header of a conditional write is the
 *    s3:if-none-match condition key (S3 user guide, "Enforce conditional writes").
 *  - IAM (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html):
 *    GetRole/GetUser act on `role`/`user`.
 *  - STS GetCallerIdentity (the EKS token is a presigned GetCallerIdentity, and the describe
 *    step asks who it is) needs no permission: "No permissions are required to perform this
 *    operation" (STS API reference).
 *
 * The workflow reaches EKS in its own region only (the mode switches are direct SDK
 * integrations), so there is one per region with managed clusters: the home region's in the main
 * stack, the others in infra/stacks/migration.ts, each granted EKS actions on its own region's
 * managed clusters only.
 *
 * Kubernetes access (reading and patching aws-auth) is not an IAM permission: the cluster
 * admits an IAM principal mapped in aws-auth (or with an access entry). The four tasks that
 * call the Kubernetes API — describe (checks it can read aws-auth), backup (reads it), the
 * re-check before API (reads it again) and rollback (restores it) — therefore run as ONE role,
 * `kubernetesRole`: the aws-auth row the describe step asks the operator to add is then exactly
 * what backup, re-check and rollback need, and
 * a rollback can never be locked out of a cluster the describe step got into.
 */
import { fileURLToPath } from 'node:url';
import { Annotations, ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Config } from '#kernel/config';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SOURCE_KEY } from '#kernel/ownership';
import { migrationSource, migrationTags } from '#kernel/ownership';
import { MIGRATION_ASL_PATH, MIGRATION_STATE_MACHINE_NAME, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';
import { HouseFunction } from './function.ts';
import type { AlarmTopic } from './operations.ts';

type Substitutions = typeof MIGRATION_SUBSTITUTIONS;
type PlaceholderOf<K extends Substitutions[MigrationPlaceholder]['kind']> = {
  [P in MigrationPlaceholder]: Substitutions[P]['kind'] extends K ? P : never;
}[MigrationPlaceholder];

/** `${…FunctionArn}` placeholders: one task function each. */
export type MigrationTask = PlaceholderOf<'function'>;
/** `${ApprovalTimeoutSeconds}`, `${UpdatePollSeconds}`, `${MaxUpdatePolls}`. */
export type MigrationSetting = PlaceholderOf<'setting'>;

/** The ASL, absolute, from this file's location (never the working directory). */
export const MIGRATION_ASL_FILE = fileURLToPath(new URL(`../../${MIGRATION_ASL_PATH}`, import.meta.url));

/** Entry types the conversion creates (design.md §4); FARGATE_LINUX entries are EKS's own. */
export const MIGRATION_ENTRY_TYPES = ['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS'] as const;

/**
 * The one access policy a conversion associates: `system:masters` rows become
 * AmazonEKSClusterAdminPolicy at cluster scope (as eksctl's migrator does). Unlike the tag
 * provisioner, whose ceiling keeps admin out of its policy, the migration must be allowed this
 * one: it re-grants, as an access entry, exactly the admin that aws-auth already grants today,
 * and a row it could not re-grant would lose access at the switch to API.
 */
export const MIGRATION_POLICY_NAMES = ['AmazonEKSClusterAdminPolicy'] as const;

/** IAM's limit on a role name. */
const ROLE_NAME_LIMIT = 64;

/**
 * The fixed names of a regional migration's roles (`fixedRoleNames`): the Kubernetes role
 * and one per task that does not call the Kubernetes API. Role names are global to the account,
 * hence the region in each. The home stack registers `arn:…:role/<name>` as system roles, so
 * this list and the roles the construct creates must stay one and the same (checked at synth).
 */
export function migrationRoleNames(region: string): string[] {
  const ids = ['Kubernetes', ...(Object.keys(TASKS) as MigrationTask[]).filter((t) => !TASKS[t].kubernetes).map(taskId)];
  return ids.map((id) => migrationRoleName(region, id));
}

function migrationRoleName(region: string, id: string): string {
  const name = `eks-access-pilot-migration-${region}-${id}`;
  if (name.length > ROLE_NAME_LIMIT) throw new Error(`AuthModeMigration: role name ${name} is longer than IAM's ${ROLE_NAME_LIMIT} characters`);
  return name;
}

export interface AuthModeMigrationProps {
  readonly config: Config;
  readonly alarms: AlarmTopic;
  /**
   * The region whose managed clusters this workflow migrates: the stack's own region, the only
   * one its direct EKS SDK integrations reach.
   * @default config.homeRegion
   */
  readonly region?: string;
  /**
   * Gives every role a fixed name (`migrationRoleNames(region)`), so that another stack (the
   * home region's tag provisioning) can name these roles without a cross-stack reference. Off
   * in the home stack, whose roles already exist: renaming a role replaces it, and the
   * Kubernetes role is mapped in aws-auth by its ARN.
   * @default false
   */
  readonly fixedRoleNames?: boolean;
  /**
   * Overrides of the workflow's settings (whole numbers, as strings), e.g. from a `migration`
   * section of the configuration. They are checked again by "Validate input" at run time.
   * @default the defaults in MIGRATION_SUBSTITUTIONS
   */
  readonly settings?: Partial<Record<MigrationSetting, string>>;
  /**
   * Days a document (backup, plan, approval request, report) is kept, and then days a
   * replaced or deleted version is kept.
   * @default 365
   */
  readonly retentionDays?: number;
}

/** Everything one task function needs from the construct. */
interface TaskSpec {
  readonly timeout: Duration;
  /** Runs as the shared Kubernetes-API identity instead of a role of its own. */
  readonly kubernetes?: boolean;
  readonly grants: readonly Grant[];
}

type Grant =
  | 'describeClusters'
  | 'readEntries'
  | 'createEntries'
  | 'deleteOwnEntries'
  | 'readPrincipals'
  | { read: DocumentKind }
  | { write: DocumentKind };

/** Top-level key prefixes of the bucket (functions/shared/domain/migration-state.ts, documentKey). */
type DocumentKind = 'backups' | 'plans' | 'approvals' | 'reports';

/**
 * Backups are read by the version ID the backup step recorded (a GetObject with VersionId is
 * s3:GetObjectVersion); the other documents by key.
 */
const VERSIONED_READS: ReadonlySet<DocumentKind> = new Set(['backups']);

/** What each task calls (functions/migration/<task>.ts and the adapters it uses). */
const TASKS: Record<MigrationTask, TaskSpec> = {
  // Pure validation of the input and settings: no AWS call.
  ValidateInputFunctionArn: { timeout: Duration.seconds(30), grants: [] },
  // DescribeCluster; reads aws-auth (Kubernetes API); STS GetCallerIdentity (no permission).
  DescribeClusterFunctionArn: { timeout: Duration.minutes(1), kubernetes: true, grants: ['describeClusters'] },
  // Reads aws-auth and every entry with its policies; writes the backup once (a retry reads it back).
  BackupFunctionArn: {
    timeout: Duration.minutes(5),
    kubernetes: true,
    grants: ['readEntries', { write: 'backups' }, { read: 'backups' }],
  },
  // Reads the backup (by version), resolves path-less ARNs (GetRole/GetUser), writes the plan once.
  PlanFunctionArn: {
    timeout: Duration.minutes(5),
    grants: [{ read: 'backups' }, 'readPrincipals', { write: 'plans' }, { read: 'plans' }],
  },
  // Lists the entries after the switch and compares them with the backup.
  RelistEntriesFunctionArn: { timeout: Duration.minutes(5), grants: ['readEntries', { read: 'backups' }] },
  // Reads the plan; creates tagged entries and associates their policies.
  CreateEntriesFunctionArn: { timeout: Duration.minutes(10), grants: [{ read: 'plans' }, 'readEntries', 'createEntries'] },
  // Reads the plan and the entries.
  VerifyEntriesFunctionArn: { timeout: Duration.minutes(5), grants: [{ read: 'plans' }, 'readEntries'] },
  // Just before the switch to API: reads aws-auth again (Kubernetes API), the backup (by version),
  // the plan and the entries, and compares them.
  RecheckFunctionArn: {
    timeout: Duration.minutes(5),
    kubernetes: true,
    grants: ['readEntries', { read: 'backups' }, { read: 'plans' }],
  },
  // Writes the approval request (with the task token) once.
  RequestApprovalFunctionArn: { timeout: Duration.seconds(30), grants: [{ write: 'approvals' }] },
  // DescribeCluster for the final mode; writes the report once.
  ReportFunctionArn: { timeout: Duration.minutes(1), grants: ['describeClusters', { write: 'reports' }] },
  // DescribeCluster; deletes this execution's entries; reads the backup (by version); patches aws-auth.
  RollbackFunctionArn: {
    timeout: Duration.minutes(10),
    kubernetes: true,
    grants: ['describeClusters', 'readEntries', 'deleteOwnEntries', { read: 'backups' }],
  },
};

const DEFAULT_RETENTION_DAYS = 365;

/** `ValidateInputFunctionArn` → `ValidateInput`: construct ids, so logical ids read like the state names. */
function taskId(placeholder: MigrationTask): string {
  return placeholder.replace(/FunctionArn$/, '');
}

function isSetting(p: MigrationPlaceholder): p is MigrationSetting {
  return MIGRATION_SUBSTITUTIONS[p].kind === 'setting';
}

export class AuthModeMigration extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly bucket: s3.Bucket;
  /** Receives the bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  public readonly logGroup: logs.LogGroup;
  public readonly functions: Record<MigrationTask, HouseFunction>;
  /** The identity the Kubernetes API sees (describe, backup, re-check, rollback): map it in aws-auth. */
  public readonly kubernetesRole: iam.Role;
  /** Every role of the task functions, once each: the tag provisioning must never touch them. */
  public readonly roles: iam.Role[];
  /** What was substituted into the ASL, by placeholder. */
  public readonly substitutions: Record<MigrationPlaceholder, string>;

  constructor(scope: Construct, id: string, props: AuthModeMigrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config } = props;
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`AuthModeMigration: retentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
    }

    // ----- the bucket -----
    // Server access logs are delivered under a bucket policy for logging.s3.amazonaws.com, not
    // the legacy log-delivery ACL, so both buckets keep ACLs disabled (BucketOwnerEnforced).
    // The feature flag is set here, before any child exists, rather than app-wide.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to a bucket with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'retention', expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the server access logs of the migration bucket; logging it into itself would log its own log deliveries, and into another bucket would only move the question.',
    });

    // SSE-S3, not a customer key: the documents are access configuration (ARNs, usernames,
    // group names) that anyone with eks:DescribeAccessEntry or the aws-auth ConfigMap can read
    // already; a key would add key-policy coupling for every reader (operators reviewing a
    // plan) without narrowing who can read beyond this bucket's IAM and policy. (An approval
    // request holds a task token, but answering it also takes states:SendTaskSuccess.) Integrity
    // is what matters for a backup, and that comes from versioning and write-once writes.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'migration-bucket/',
      lifecycleRules: [
        {
          id: 'retention',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // The backups are the only copy of aws-auth as it was: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Backups are never overwritten (design.md §3.5): the code writes with If-None-Match: *,
    // and the bucket refuses any write without it, from anyone, so an overwrite cannot happen
    // through a bug, a copy or a console upload either. (Multipart uploads carry no
    // conditional header on their parts and are refused too; the documents are small JSON.)
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WriteOnceDocuments',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );

    // ----- the task functions -----
    const region = props.region ?? config.homeRegion;
    if (!Token.isUnresolved(stack.region) && stack.region !== region) {
      throw new Error(`AuthModeMigration: the workflow for ${region} must be in a stack in ${region} (this stack is in ${stack.region}): its EKS calls reach only its own region`);
    }
    const roleName = (id: string): string | undefined => (props.fixedRoleNames ? migrationRoleName(region, id) : undefined);
    this.kubernetesRole = new iam.Role(this, 'KubernetesRole', {
      roleName: roleName('Kubernetes'),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'eks-access-pilot migration: the identity that reads and restores aws-auth (map it in aws-auth)',
    });

    // The workflow's EKS calls reach only the state machine's region ("Validate input" rejects
    // other regions), so every EKS permission is limited to the managed clusters there.
    const clusters = config.clusters.filter((c) => c.region === region);
    if (clusters.length === 0) {
      Annotations.of(this).addWarningV2(
        'eks-access-pilot:migration-no-home-clusters',
        `no managed cluster is in ${region}: the migration workflow there is deployed without any EKS permission and can migrate nothing (it reaches only clusters in its own region)`,
      );
    }
    const clusterArns = clusters.map((c) => stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: c.name }));
    const entryArns = clusters.map((c) => stack.formatArn({ service: 'eks', resource: 'access-entry', resourceName: `${c.name}/*` }));

    const functions = {} as Record<MigrationTask, HouseFunction>;
    // Per role: statement id → statement, so the shared role gets each statement once and two
    // different statements can never hide behind one id.
    const granted = new Map<iam.Role, Map<string, string>>();
    for (const placeholder of Object.keys(TASKS) as MigrationTask[]) {
      const spec = TASKS[placeholder];
      const sub = MIGRATION_SUBSTITUTIONS[placeholder];
      const fn = new HouseFunction(this, taskId(placeholder), {
        name: `migration ${sub.entry.replace(/^.*\/|\.ts$/g, '')}`,
        entry: sub.entry,
        description: `eks-access-pilot migration task "${sub.description}"`,
        timeout: spec.timeout,
        role: spec.kubernetes ? this.kubernetesRole : undefined,
        roleName: spec.kubernetes ? undefined : roleName(taskId(placeholder)),
      });
      const done = granted.get(fn.role) ?? new Map<string, string>();
      granted.set(fn.role, done);
      for (const grant of spec.grants) {
        for (const statement of this.statementsFor(grant, clusterArns, entryArns)) {
          const sid = statement.sid!;
          const json = JSON.stringify(stack.resolve(statement.toStatementJson()));
          if (done.has(sid)) {
            if (done.get(sid) !== json) throw new Error(`AuthModeMigration: two different statements named ${sid} on one role`);
            continue;
          }
          done.set(sid, json);
          fn.role.addToPrincipalPolicy(statement);
        }
      }
      // Invoked synchronously by Step Functions, which retries and catches per the ASL.
      Validations.of(fn.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Invoked synchronously by the state machine, which retries transient errors and routes failures to the rollback; a DLQ only applies to asynchronous invocations.',
      });
      functions[placeholder] = fn;
    }
    this.functions = functions;
    this.roles = [...granted.keys()];
    if (props.fixedRoleNames) {
      const names = this.roles.map((r) => (r.node.defaultChild as iam.CfnRole).roleName).sort();
      const expected = migrationRoleNames(region).sort();
      if (JSON.stringify(names) !== JSON.stringify(expected)) {
        throw new Error(`AuthModeMigration: the roles (${names.join(', ')}) are not migrationRoleNames(${region}) (${expected.join(', ')})`);
      }
    }
    for (const role of this.roles) this.acknowledgeWildcards(role, new Set(granted.get(role)!.keys()), clusters.map((c) => c.name));

    // ----- the state machine -----
    const settings = props.settings ?? {};
    for (const [key, value] of Object.entries(settings)) {
      if (!(key in MIGRATION_SUBSTITUTIONS) || !isSetting(key as MigrationPlaceholder)) {
        throw new Error(`AuthModeMigration: ${key} is not a setting of the migration workflow`);
      }
      if (typeof value !== 'string' || !/^\d+$/.test(value)) {
        throw new Error(`AuthModeMigration: setting ${key} must be a whole number as a string (got ${JSON.stringify(value)})`);
      }
    }
    const substitutions = {} as Record<MigrationPlaceholder, string>;
    for (const placeholder of Object.keys(MIGRATION_SUBSTITUTIONS) as MigrationPlaceholder[]) {
      const sub: Substitutions[MigrationPlaceholder] = MIGRATION_SUBSTITUTIONS[placeholder];
      switch (sub.kind) {
        case 'function':
          substitutions[placeholder] = functions[placeholder as MigrationTask].function.functionArn;
          break;
        case 'bucket':
          substitutions[placeholder] = this.bucket.bucketName;
          break;
        case 'setting':
          substitutions[placeholder] = settings[placeholder as MigrationSetting] ?? sub.default;
          break;
      }
    }
    this.substitutions = substitutions;

    // The execution history holds the data on-call reads; it is kept for 90 days only, so the
    // log group is the durable record. It carries the approval task token among the execution
    // data, hence a customer key: reading it needs kms:Decrypt on this key as well.
    const logKey = new kms.Key(this, 'LogsKey', {
      description: 'eks-access-pilot migration state machine logs',
      enableKeyRotation: true,
    });
    // Step Functions vended logs: the /aws/vendedlogs/ prefix keeps CloudWatch Logs from
    // growing its account-wide resource policy for each log group. A literal name, so the key
    // policy can name the log group without a dependency cycle.
    const logGroupName = `/aws/vendedlogs/states/${stack.stackName}-auth-mode-migration`;
    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName,
      encryptionKey: logKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisLogGroup',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // A fixed name: operators find it in the console, and the CLI by name.
      stateMachineName: MIGRATION_STATE_MACHINE_NAME,
      comment: 'eks-access-pilot: aws-auth to access entries migration',
      definitionBody: sfn.DefinitionBody.fromFile(MIGRATION_ASL_FILE),
      definitionSubstitutions: substitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // ALL with execution data: on-call reconstructs a migration from the log (which state,
      // with which references and counts) after the 90-day execution history is gone. The
      // states carry S3 references and counts, not the documents.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantStateMachine(clusterArns);
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs vended-log delivery actions (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions ("*" is the only form; Step Functions developer guide, "Logging using CloudWatch Logs").',
    });

    props.alarms.alarmOnExecutions(this.stateMachine, 'aws-auth migration');

    new CfnOutput(this, 'StateMachineArn', {
      description: 'Start a migration here (console: Start execution, input {"clusterName", "region", "targetMode", "dryRun"})',
      value: this.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'BucketName', {
      description: 'Backups, plans, approval requests and reports of the migration',
      value: this.bucket.bucketName,
    });
    new CfnOutput(this, 'KubernetesRoleArn', {
      description: 'Map this role in aws-auth (mapRoles) before migrating a CONFIG_MAP cluster; the describe step quotes the exact row',
      value: this.kubernetesRole.roleArn,
    });
  }

  /** The policy statements behind one grant of the task table. */
  private statementsFor(grant: Grant, clusterArns: string[], entryArns: string[]): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const objects = (kind: DocumentKind) => this.bucket.arnForObjects(`${kind}/*`);
    const capital = (kind: DocumentKind) => kind[0]!.toUpperCase() + kind.slice(1);
    if (typeof grant === 'object') {
      if ('write' in grant) {
        // PutObject only: no tagging, ACL or retention actions; the bucket policy requires If-None-Match.
        return [new iam.PolicyStatement({ sid: `Write${capital(grant.write)}`, actions: ['s3:PutObject'], resources: [objects(grant.write)] })];
      }
      return [
        new iam.PolicyStatement({
          sid: `Read${capital(grant.read)}`,
          actions: VERSIONED_READS.has(grant.read) ? ['s3:GetObject', 's3:GetObjectVersion'] : ['s3:GetObject'],
          resources: [objects(grant.read)],
        }),
      ];
    }
    // With no managed cluster in the home region there is nothing to name; the workflow
    // then cannot reach any cluster and its EKS calls are denied.
    if (clusterArns.length === 0 && grant !== 'readPrincipals') return [];
    const owned = { [`aws:ResourceTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE };
    const fromAMigration = { [`aws:ResourceTag/${SOURCE_KEY}`]: migrationSource('*') };
    switch (grant) {
      case 'describeClusters':
        return [new iam.PolicyStatement({ sid: 'DescribeManagedClusters', actions: ['eks:DescribeCluster'], resources: clusterArns })];
      case 'readEntries':
        return [
          new iam.PolicyStatement({ sid: 'ListManagedClusterEntries', actions: ['eks:ListAccessEntries'], resources: clusterArns }),
          new iam.PolicyStatement({
            sid: 'ReadManagedClusterEntries',
            actions: ['eks:DescribeAccessEntry', 'eks:ListAssociatedAccessPolicies'],
            resources: entryArns,
          }),
        ];
      case 'readPrincipals':
        return [
          new iam.PolicyStatement({
            sid: 'ResolvePrincipalPaths',
            // aws-auth names roles without their path; the real ARN is looked up by name, and
            // the principal may live under any path.
            actions: ['iam:GetRole', 'iam:GetUser'],
            resources: [
              stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' }),
              stack.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' }),
            ],
          }),
        ];
      case 'deleteOwnEntries':
        return [
          new iam.PolicyStatement({
            sid: 'DeleteMigrationEntriesOnly',
            // Only entries a migration created (managed-by and source=migration/<execution>);
            // the code narrows that to this execution, which IAM cannot express.
            actions: ['eks:DeleteAccessEntry'],
            resources: entryArns,
            conditions: { StringEquals: owned, StringLike: fromAMigration },
          }),
        ];
      case 'createEntries': {
        const tagKeys = Object.keys(migrationTags('placeholder'));
        const requestTags = {
          StringEquals: { [`aws:RequestTag/${MANAGED_BY_KEY}`]: MANAGED_BY_VALUE },
          StringLike: { [`aws:RequestTag/${SOURCE_KEY}`]: migrationSource('*') },
        };
        return [
          new iam.PolicyStatement({
            sid: 'CreateTaggedMigrationEntries',
            actions: ['eks:CreateAccessEntry'],
            resources: clusterArns,
            conditions: {
              StringEquals: { ...requestTags.StringEquals, 'eks:accessEntryType': [...MIGRATION_ENTRY_TYPES] },
              StringLike: requestTags.StringLike,
              'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys },
              // The conversion turns system:masters into a policy and flags other system: groups.
              'ForAllValues:StringNotLike': { 'eks:kubernetesGroups': ['system:*'] },
            },
          }),
          new iam.PolicyStatement({
            sid: 'TagMigrationEntriesOnCreate',
            // CreateAccessEntry with tags is also authorized as eks:TagResource on the new entry.
            // EKS has no tag-on-create condition; the code never calls TagResource itself.
            //
            // The ...IfExists conditions on the entry's own tags keep a direct TagResource from
            // re-tagging an entry that already has another owner's managed-by or source (a tag
            // provisioner's source=tag entry, another tool's) as migration/*, which would let
            // this role associate cluster admin to it and the rollback delete it. At create time
            // the entry has no tags yet, so they pass. Still open: an entry with neither key (a
            // person's, or one EKS created) can be claimed; IAM cannot tell that from
            // tag-on-create. The SCP / permissions boundary that would close it is described at
            // TagOnCreateWithOwnershipTags (infra/constructs/tag-provisioning.ts).
            actions: ['eks:TagResource'],
            resources: entryArns,
            conditions: {
              ...requestTags,
              StringEqualsIfExists: owned,
              StringLikeIfExists: fromAMigration,
              'ForAllValues:StringEquals': { 'aws:TagKeys': tagKeys },
            },
          }),
          new iam.PolicyStatement({
            sid: 'AssociateClusterAdminOnMigrationEntries',
            actions: ['eks:AssociateAccessPolicy'],
            resources: entryArns,
            conditions: {
              ArnEquals: {
                'eks:policyArn': MIGRATION_POLICY_NAMES.map((name) =>
                  stack.formatArn({ service: 'eks', region: '', account: 'aws', resource: 'cluster-access-policy', resourceName: name }),
                ),
              },
              StringEquals: { ...owned, 'eks:accessScope': 'cluster' },
              StringLike: fromAMigration,
            },
          }),
          new iam.PolicyStatement({
            sid: 'PassNodeRolesToNodeEntries',
            // Node-type entries (EC2_LINUX, EC2_WINDOWS) name an instance role; the SAR lists
            // iam:PassRole to ec2.amazonaws.com as authorized by CreateAccessEntry. This role can
            // launch nothing, so passing a role gives it no new capability.
            actions: ['iam:PassRole'],
            resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
            conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          }),
        ];
      }
    }
  }

  /**
   * The state machine's own calls: the ten tasks (Lambda ARNs as Task resources and the
   * waitForTaskToken invoke), and the two direct EKS SDK integrations.
   */
  private grantStateMachine(clusterArns: string[]): void {
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeMigrationTasks',
        actions: ['lambda:InvokeFunction'],
        // Unqualified ARNs, exactly as substituted into the ASL: no versions or aliases.
        resources: Object.values(this.functions).map((f) => f.function.functionArn),
      }),
    );
    if (clusterArns.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SwitchAuthenticationMode',
        // Only authentication-mode changes, only forward: a request without accessConfig
        // (endpoint, logging, networking changes) has no eks:authenticationMode and is denied.
        actions: ['eks:UpdateClusterConfig'],
        resources: clusterArns,
        conditions: { StringEquals: { 'eks:authenticationMode': ['API_AND_CONFIG_MAP', 'API'] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PollModeSwitch', actions: ['eks:DescribeUpdate'], resources: clusterArns }),
    );
  }

  /** cdk-nag IAM5, one acknowledgement per wildcard resource the role really has, each with its reason. */
  private acknowledgeWildcards(role: iam.Role, sids: Set<string>, clusterNames: string[]): void {
    const ack = (resource: string, reason: string) => Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    const bucket = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    const documents: Record<string, string> = {
      backups: 'backups/<cluster>/<execution>/backup.json',
      plans: 'plans/<cluster>/<execution>/plan.json',
      approvals: 'approvals/<cluster>/<execution>/request.json',
      reports: 'reports/<cluster>/<execution>/report.json',
    };
    for (const [kind, key] of Object.entries(documents)) {
      const capital = kind[0]!.toUpperCase() + kind.slice(1);
      if (sids.has(`Write${capital}`) || sids.has(`Read${capital}`)) {
        ack(
          `<${bucket}.Arn>/${kind}/*`,
          `Documents are keyed ${key}, one per execution and cluster, unknown until run time; limited to the ${kind}/ prefix of the migration bucket.`,
        );
      }
    }
    const touchesEntries = ['ReadManagedClusterEntries', 'DeleteMigrationEntriesOnly', 'TagMigrationEntriesOnCreate'].some((s) => sids.has(s));
    if (touchesEntries) {
      const region = Token.isUnresolved(Stack.of(this).region) ? '<AWS::Region>' : Stack.of(this).region;
      for (const name of clusterNames) {
        ack(
          `arn:<AWS::Partition>:eks:${region}:<AWS::AccountId>:access-entry/${name}/*`,
          `Access entry ARNs end in a UUID EKS assigns at creation; scoped to managed cluster ${name}, writes further limited by the managed-by and source=migration/* tags (and, for associations, the policy ARN).`,
        );
      }
    }
    if (sids.has('ResolvePrincipalPaths') || sids.has('PassNodeRolesToNodeEntries')) {
      ack(
        'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*',
        'aws-auth names roles without their path, so the role is looked up by name under any path (iam:GetRole, read-only); node roles can be any role of the account (iam:PassRole, only to ec2.amazonaws.com, by a role that cannot launch instances).',
      );
    }
    if (sids.has('ResolvePrincipalPaths')) {
      ack('arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*', 'aws-auth names users without their path; looked up by name under any path (iam:GetUser, read-only).');
    }
  }
}
