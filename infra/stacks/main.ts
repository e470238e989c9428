/**
 * The eks-access-pilot stack in the home region: everything that runs, pages and keeps
 * state. Built from constructs: the tag provisioning and the auth-mode migration workflow
 * share the alarm topic, and the migration's roles join the provisioner's system-role list.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from '#kernel/config';
import { AuthModeMigration } from '../constructs/migration/index.ts';
import { AlarmTopic } from '../constructs/operations.ts';
import { TagProvisioning } from '../constructs/tag-provisioning.ts';

export interface EksAccessPilotStackProps extends StackProps {
  readonly config: Config;
}

export class EksAccessPilotStack extends Stack {
  public readonly config: Config;
  public readonly alarms: AlarmTopic;
  public readonly provisioning: TagProvisioning;
  public readonly migration: AuthModeMigration;

  constructor(scope: Construct, id: string, props: EksAccessPilotStackProps) {
    super(scope, id, props);
    this.config = props.config;
    this.alarms = new AlarmTopic(this, 'Alarms', { exportName: `${this.stackName}-AlarmTopicArn` });
    this.provisioning = new TagProvisioning(this, 'TagProvisioning', { config: props.config, alarms: this.alarms });
    this.migration = new AuthModeMigration(this, 'Migration', { config: props.config, alarms: this.alarms });
    // The migration's roles are the system's own (docs/architecture.md, "Safety invariants",
    // invariant 3): the reconcile never gives them entries or touches theirs, even when a tag
    // on them says otherwise.
    for (const role of this.migration.roles) this.provisioning.addSystemRoleArn(role.roleArn);
  }
}
