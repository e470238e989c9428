/**
 * The whole app's stacks from one validated configuration, and the policy-as-code checks
 * (docs/architecture.md, "How it is tested"). `infra/app.ts` is the thin entry; tests build the
 * same app.
 */
import { readFileSync } from 'node:fs';
import { CfnOutput, Validations, type App, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Config } from '#kernel/config';
import { IAM_EVENTS_REGION, IamEventForwarderStack } from './forwarder.ts';
import { migrationRoleNames } from '../constructs/migration/index.ts';
import { EksAccessPilotStack } from './main.ts';
import { RegionalMigrationStack } from './migration.ts';

export const MAIN_STACK_NAME = 'EksAccessPilot';
export const FORWARDER_STACK_NAME = 'EksAccessPilotIamEventForwarder';
/** The migration stack for the managed clusters of `region` (not the home region). */
export const migrationStackName = (region: string): string => `EksAccessPilotMigration-${region}`;

/** The output every stack carries: the version of the checkout that deployed it (`doctor` compares). */
export const VERSION_OUTPUT = 'Version';

/** package.json's version: what `doctor` compares a deployment with. */
export function appVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function addVersion(stack: Stack): void {
  new CfnOutput(stack, VERSION_OUTPUT, { value: appVersion(), description: 'eks-access-pilot version deployed (package.json); eks-access-pilot doctor compares it with the checkout' });
}

export interface EksAccessPilotStacks {
  main: EksAccessPilotStack;
  /** Only when the home region is not us-east-1. */
  forwarder?: IamEventForwarderStack;
  /** One per region, other than the home region, with managed clusters; in the order of `clusters`. */
  migrations: RegionalMigrationStack[];
}

/** Adds the stacks for `config` to `app`. */
export function defineStacks(app: App, config: Config): EksAccessPilotStacks {
  // The account stays env-agnostic (CDK_DEFAULT_ACCOUNT when the CLI has credentials):
  // synth works offline, and nothing needs a concrete account at synth time.
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const main = new EksAccessPilotStack(app, MAIN_STACK_NAME, {
    config,
    env: { account, region: config.homeRegion },
    description: 'eks-access-pilot: EKS access entries from IAM tags',
  });
  const migrations = defineRegionalMigrations(app, config, main, account);
  for (const stack of [main, ...migrations]) addVersion(stack);
  if (config.homeRegion === IAM_EVENTS_REGION) return { main, migrations };

  const forwarder = new IamEventForwarderStack(app, FORWARDER_STACK_NAME, {
    homeRegion: config.homeRegion,
    tagPrefix: config.tagPrefix,
    env: { account, region: IAM_EVENTS_REGION },
    description: `eks-access-pilot: forwards IAM events from ${IAM_EVENTS_REGION} to ${config.homeRegion}`,
  });
  // Deploy the receiving rule first; forwarding into a bus with no rule would only drop events.
  forwarder.addStackDependency(main, 'the home-region rule receives what this stack forwards');
  addVersion(forwarder);
  return { main, forwarder, migrations };
}

/**
 * A migration stack in every other region with managed clusters (the workflow reaches EKS in its
 * own region only), its roles registered with the home region's tag provisioning.
 */
function defineRegionalMigrations(app: App, config: Config, main: EksAccessPilotStack, account: string | undefined): RegionalMigrationStack[] {
  const regions = [...new Set(config.clusters.map((c) => c.region))].filter((r) => r !== config.homeRegion);
  return regions.map((region) => {
    const stack = new RegionalMigrationStack(app, migrationStackName(region), {
      config,
      region,
      env: { account },
      description: `eks-access-pilot: aws-auth to access entries migration for the managed clusters in ${region}`,
    });
    // The roles are the system's own (docs/architecture.md, "Safety invariants", invariant 3).
    // No reference crosses regions in CloudFormation, so the ARNs are built from the fixed
    // names, in the same account.
    for (const name of migrationRoleNames(region)) {
      main.provisioning.addSystemRoleArn(main.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name }));
    }
    // The hands-off list is deployed before the roles exist.
    stack.addStackDependency(main, 'the tag provisioning must know these roles as system roles before they exist');
    return stack;
  });
}

/** cdk-nag 3: unacknowledged findings make synth fail with the report. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
