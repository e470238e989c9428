/**
 * The eks-access-pilot stack in the home region: everything that runs, pages and keeps
 * state. Built from constructs so that later parts (the auth-mode migration workflow) are
 * added here next to the tag provisioning and share its alarm topic and system-role list.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from '#domain/config';
import { AlarmTopic } from '../constructs/operations.ts';
import { TagProvisioning } from '../constructs/tag-provisioning.ts';

export interface EksAccessPilotStackProps extends StackProps {
  readonly config: Config;
}

export class EksAccessPilotStack extends Stack {
  public readonly config: Config;
  public readonly alarms: AlarmTopic;
  public readonly provisioning: TagProvisioning;

  constructor(scope: Construct, id: string, props: EksAccessPilotStackProps) {
    super(scope, id, props);
    this.config = props.config;
    this.alarms = new AlarmTopic(this, 'Alarms', { exportName: `${this.stackName}-AlarmTopicArn` });
    this.provisioning = new TagProvisioning(this, 'TagProvisioning', { config: props.config, alarms: this.alarms });
  }
}
