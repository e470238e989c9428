/**
 * The auth-mode migration for managed clusters outside the home region. Its mode switches are
 * direct Step Functions SDK integrations (`aws-sdk:eks:updateClusterConfig`, `describeUpdate`),
 * which call EKS in the state machine's own region only, so each region with managed clusters
 * gets its own copy of the workflow: the same construct, state machine name, bucket and
 * functions, with EKS permissions on that region's managed clusters only. The home region's
 * copy stays in the main stack.
 *
 * Its roles have fixed names (`migrationRoleNames(region)`): the main stack registers them as
 * the system's own roles by ARN, computed from the names, because CloudFormation allows no
 * reference across regions.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Config } from '#kernel/config';
import { AuthModeMigration } from '../constructs/migration/index.ts';
import { AlarmTopic } from '../constructs/operations.ts';

export interface RegionalMigrationStackProps extends StackProps {
  readonly config: Config;
  /** The region of the clusters this stack migrates; the stack is deployed there. */
  readonly region: string;
}

export class RegionalMigrationStack extends Stack {
  public readonly alarms: AlarmTopic;
  public readonly migration: AuthModeMigration;

  constructor(scope: Construct, id: string, props: RegionalMigrationStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: props.region } });
    const { config, region } = props;
    if (region === config.homeRegion) {
      throw new Error(`the migration for the home region ${region} is part of the main stack`);
    }
    if (!config.clusters.some((c) => c.region === region)) {
      throw new Error(`no managed cluster is in ${region}: a migration stack there could migrate nothing`);
    }
    // Alarm actions must be in the alarm's region: this stack pages through its own topic.
    this.alarms = new AlarmTopic(this, 'Alarms', { exportName: `${this.stackName}-AlarmTopicArn` });
    this.migration = new AuthModeMigration(this, 'Migration', { config, alarms: this.alarms, region, fixedRoleNames: true });
  }
}
