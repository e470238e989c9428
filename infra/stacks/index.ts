/**
 * The whole app's stacks from one validated configuration, and the policy-as-code checks
 * (style.md item 10). `infra/app.ts` is the thin entry; tests build the same app.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Config } from '#domain/config';
import { IAM_EVENTS_REGION, IamEventForwarderStack } from './forwarder.ts';
import { EksAccessPilotStack } from './main.ts';

export const MAIN_STACK_NAME = 'EksAccessPilot';
export const FORWARDER_STACK_NAME = 'EksAccessPilotIamEventForwarder';

export interface EksAccessPilotStacks {
  main: EksAccessPilotStack;
  /** Only when the home region is not us-east-1. */
  forwarder?: IamEventForwarderStack;
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
  if (config.homeRegion === IAM_EVENTS_REGION) return { main };

  const forwarder = new IamEventForwarderStack(app, FORWARDER_STACK_NAME, {
    homeRegion: config.homeRegion,
    env: { account, region: IAM_EVENTS_REGION },
    description: `eks-access-pilot: forwards IAM events from ${IAM_EVENTS_REGION} to ${config.homeRegion}`,
  });
  // Deploy the receiving rule first; forwarding into a bus with no rule would only drop events.
  forwarder.addStackDependency(main, 'the home-region rule receives what this stack forwards');
  return { main, forwarder };
}

/** cdk-nag 3: unacknowledged findings make synth fail with the report. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
