/**
 * The migration's state machine: loaded from `workflows/auth-mode-migration.asl.json` with its
 * `${Placeholder}`s filled by `definitionSubstitutions`, its role's grants, its encrypted log
 * group and its alarms.
 *
 * Step Functions infers no permissions from a definition file, so the role's grants are
 * explicit. UpdateClusterConfig and DescribeUpdate act on the EKS `cluster` resource, and
 * UpdateClusterConfig supports the eks:authenticationMode condition key (Service Authorization
 * Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelastickubernetesservice.html).
 */
import { fileURLToPath } from 'node:url';
import { ArnFormat, Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { MIGRATION_ASL_PATH, MIGRATION_STATE_MACHINE_NAME, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';
import type { HouseFunction } from '../function.ts';
import type { AlarmTopic } from '../operations.ts';
import { isSetting, type MigrationSetting, type MigrationTask } from './placeholders.ts';

/** The ASL, absolute, from this file's location (never the working directory). */
export const MIGRATION_ASL_FILE = fileURLToPath(new URL(`../../../${MIGRATION_ASL_PATH}`, import.meta.url));

export interface MigrationStateMachineProps {
  /** The task functions, by placeholder: their ARNs are substituted into the ASL. */
  readonly functions: Record<MigrationTask, HouseFunction>;
  /** The document bucket, substituted as `${BackupBucket}`. */
  readonly bucket: s3.IBucket;
  /** The managed clusters the mode switches may reach; none grants no EKS action at all. */
  readonly clusterArns: readonly string[];
  readonly alarms: AlarmTopic;
  /** Overrides of the workflow's settings (whole numbers, as strings). */
  readonly settings?: Partial<Record<MigrationSetting, string>>;
}

/**
 * The state machine, its logs and their key, built directly in `scope` (ids `LogsKey`,
 * `StateMachineLogs`, `StateMachine`).
 */
export class MigrationStateMachine {
  public readonly stateMachine: sfn.StateMachine;
  /** The durable record of every execution. */
  public readonly logGroup: logs.LogGroup;
  /** Encrypts the log group (it carries approval task tokens). */
  public readonly logsKey: kms.Key;
  /** What was substituted into the ASL, by placeholder. */
  public readonly substitutions: Record<MigrationPlaceholder, string>;

  constructor(scope: Construct, props: MigrationStateMachineProps) {
    const stack = Stack.of(scope);
    this.substitutions = substitutionsFor(props);

    // The execution history holds the data on-call reads; it is kept for 90 days only, so the
    // log group is the durable record. It carries the approval task token among the execution
    // data, hence a customer key: reading it needs kms:Decrypt on this key as well.
    this.logsKey = new kms.Key(scope, 'LogsKey', {
      description: 'eks-access-pilot migration state machine logs',
      enableKeyRotation: true,
    });
    // Step Functions vended logs: the /aws/vendedlogs/ prefix keeps CloudWatch Logs from
    // growing its account-wide resource policy for each log group. A literal name, so the key
    // policy can name the log group without a dependency cycle.
    const logGroupName = `/aws/vendedlogs/states/${stack.stackName}-auth-mode-migration`;
    this.logGroup = new logs.LogGroup(scope, 'StateMachineLogs', {
      logGroupName,
      encryptionKey: this.logsKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs may use the key for this log group only: the encryption context names it
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    this.logsKey.addToResourcePolicy(
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

    this.stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
      // A fixed name: operators find it in the console, and the CLI by name.
      stateMachineName: MIGRATION_STATE_MACHINE_NAME,
      comment: 'eks-access-pilot: aws-auth to access entries migration',
      definitionBody: sfn.DefinitionBody.fromFile(MIGRATION_ASL_FILE),
      definitionSubstitutions: this.substitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // ALL with execution data: on-call reconstructs a migration from the log (which state,
      // with which references and counts) after the 90-day execution history is gone. The
      // states carry S3 references and counts, not the documents.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantTaskCalls(props.functions, props.clusterArns);
    // The statements behind this finding are CDK's own (added for `logs` and `tracingEnabled`
    // above), so the acknowledgement sits on the role that holds them.
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by CDK for logging and tracing: the CloudWatch Logs vended-log delivery actions (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) support no resource-level permissions ("*" is the only form; Step Functions developer guide, "Logging using CloudWatch Logs").',
    });

    props.alarms.alarmOnExecutions(this.stateMachine, 'aws-auth migration');
  }

  /**
   * The state machine's own calls: the task functions (Lambda ARNs as Task resources and the
   * waitForTaskToken invoke), and the two direct EKS SDK integrations.
   */
  private grantTaskCalls(functions: Record<MigrationTask, HouseFunction>, clusterArns: readonly string[]): void {
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeMigrationTasks',
        actions: ['lambda:InvokeFunction'],
        // Unqualified ARNs, exactly as substituted into the ASL: no versions or aliases.
        resources: Object.values(functions).map((f) => f.function.functionArn),
      }),
    );
    if (clusterArns.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SwitchAuthenticationMode',
        // Only authentication-mode changes, only forward: a request without accessConfig
        // (endpoint, logging, networking changes) has no eks:authenticationMode and is denied.
        actions: ['eks:UpdateClusterConfig'],
        resources: [...clusterArns],
        conditions: { StringEquals: { 'eks:authenticationMode': ['API_AND_CONFIG_MAP', 'API'] } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ModeSwitchCreatesEntries',
        // The SAR's API-operations table lists UpdateClusterConfig as also authorized as
        // eks:CreateAccessEntry: turning the access-entry API on makes EKS create the node-group,
        // Fargate and creator entries for the caller. Without it the switch to API_AND_CONFIG_MAP
        // is refused (the sandbox, which enforces this app's policies, showed it). No condition
        // key of CreateAccessEntry describes that implicit create, so the grant is limited to the
        // managed clusters; the ASL makes no other call that could use it. Listed as unverified in
        // docs/architecture.md, "Sources and unverified rules".
        actions: ['eks:CreateAccessEntry'],
        resources: [...clusterArns],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PollModeSwitch', actions: ['eks:DescribeUpdate'], resources: [...clusterArns] }),
    );
  }
}

/**
 * Every placeholder of MIGRATION_SUBSTITUTIONS with its value: a function's ARN, the bucket's
 * name, a setting's override or default.
 * @throws Error naming an override that is not a setting or not a whole number.
 */
function substitutionsFor(props: MigrationStateMachineProps): Record<MigrationPlaceholder, string> {
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
    const sub: (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder] = MIGRATION_SUBSTITUTIONS[placeholder];
    switch (sub.kind) {
      case 'function':
        substitutions[placeholder] = props.functions[placeholder as MigrationTask].function.functionArn;
        break;
      case 'bucket':
        substitutions[placeholder] = props.bucket.bucketName;
        break;
      case 'setting':
        substitutions[placeholder] = settings[placeholder as MigrationSetting] ?? sub.default;
        break;
    }
  }
  return substitutions;
}
