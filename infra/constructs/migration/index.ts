/**
 * The aws-auth → access-entries migration (docs/architecture.md, "The migration workflow"): the
 * state machine loaded from `workflows/auth-mode-migration.asl.json`, its task functions, and
 * the bucket that keeps backups, plans, approval requests and reports. One part per concern:
 *  - documents.ts      the versioned, encrypted, write-once document bucket and its access logs
 *  - task-grants.ts    what each task may call, as IAM statements with their sources
 *  - task-functions.ts the task functions (house construct) and their roles
 *  - state-machine.ts  the state machine, its substitutions, role grants, logs and alarms
 *
 * The parts build their resources directly in this construct, not in child constructs of
 * their own: another level in the construct path would change every logical ID, and a changed
 * logical ID replaces the deployed bucket and roles.
 *
 * The workflow reaches EKS in its own region only (the mode switches are direct SDK
 * integrations), so there is one per region with managed clusters: the home region's in the main
 * stack, the others in infra/stacks/migration.ts, each granted EKS actions on its own region's
 * managed clusters only.
 */
import { Annotations, CfnOutput, Stack, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Config } from '#kernel/config';
import type { MigrationPlaceholder } from '#workflows/manifest';
import type { HouseFunction } from '../function.ts';
import type { AlarmTopic } from '../operations.ts';
import { managedClusterArns } from '../permissions.ts';
import { MigrationDocuments } from './documents.ts';
import type { MigrationSetting, MigrationTask } from './placeholders.ts';
import { MigrationStateMachine } from './state-machine.ts';
import { MigrationTaskFunctions } from './task-functions.ts';

export type { MigrationSetting, MigrationTask } from './placeholders.ts';
export { MIGRATION_ASL_FILE } from './state-machine.ts';
export { MIGRATION_ENTRY_TYPES, MIGRATION_POLICY_NAMES } from './task-grants.ts';
export { migrationRoleNames } from './task-functions.ts';

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

/**
 * One region's aws-auth migration: documents, task functions and state machine, composed; on-call
 * and operators reach it through the stack outputs it adds (state machine, bucket, Kubernetes role).
 */
export class AuthModeMigration extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly bucket: s3.Bucket;
  /** Receives the bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  public readonly logGroup: logs.LogGroup;
  /** Encrypts the state machine's log group. */
  public readonly logsKey: kms.Key;
  public readonly functions: Record<MigrationTask, HouseFunction>;
  /** The identity the Kubernetes API sees (describe, backup, re-check, rollback): map it in aws-auth. */
  public readonly kubernetesRole: iam.Role;
  /** Every role of the task functions, once each: the tag provisioning must never touch them. */
  public readonly roles: iam.Role[];
  /** What was substituted into the ASL, by placeholder. */
  public readonly substitutions: Record<MigrationPlaceholder, string>;

  /**
   * @throws Error when the stack is in another region than the one migrated, when a setting or
   * the retention is not a whole number, or when a fixed role name is longer than IAM allows.
   */
  constructor(scope: Construct, id: string, props: AuthModeMigrationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config } = props;

    // First: it sets a feature flag on this construct, which needs it to have no children yet.
    const documents = new MigrationDocuments(this, { retentionDays: props.retentionDays });
    this.bucket = documents.bucket;
    this.accessLogsBucket = documents.accessLogsBucket;

    const region = props.region ?? config.homeRegion;
    if (!Token.isUnresolved(stack.region) && stack.region !== region) {
      throw new Error(`AuthModeMigration: the workflow for ${region} must be in a stack in ${region} (this stack is in ${stack.region}): its EKS calls reach only its own region`);
    }
    // The workflow's EKS calls reach only the state machine's region ("Validate input" rejects
    // other regions), so every EKS permission is limited to the managed clusters there.
    const clusters = config.clusters.filter((c) => c.region === region);
    if (clusters.length === 0) {
      Annotations.of(this).addWarningV2(
        'eks-access-pilot:migration-no-home-clusters',
        `no managed cluster is in ${region}: the migration workflow there is deployed without any EKS permission and can migrate nothing (it reaches only clusters in its own region)`,
      );
    }
    const clusterArns = managedClusterArns(this, clusters);

    const tasks = new MigrationTaskFunctions(this, { region, fixedRoleNames: props.fixedRoleNames ?? false, documents, clusters: clusterArns });
    this.functions = tasks.functions;
    this.kubernetesRole = tasks.kubernetesRole;
    this.roles = tasks.roles;

    const workflow = new MigrationStateMachine(this, {
      functions: tasks.functions,
      bucket: documents.bucket,
      clusterArns: clusterArns.clusters,
      alarms: props.alarms,
      settings: props.settings,
    });
    this.stateMachine = workflow.stateMachine;
    this.logGroup = workflow.logGroup;
    this.logsKey = workflow.logsKey;
    this.substitutions = workflow.substitutions;

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
}
