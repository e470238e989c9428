/**
 * The sandbox's account as a healthy deployment leaves it: a trail that records IAM's calls, and
 * what the synthesized app deploys besides its roles — the EventBridge rules with their targets,
 * the SQS dead-letter and on-failure queues, the schedule groups, the functions' async-invoke settings and the
 * CloudFormation stacks with their outputs and resources (sandbox/iam/deployed.ts). What `doctor`
 * reads comes from here; a test breaks one piece through the models or the APIs the sandbox serves.
 */
import type { DeployedApp } from '#sandbox/iam/deployed';
import type { AwsModel } from '#sandbox/model/index';

/** The seeded trail's name. */
export const SANDBOX_TRAIL = 'management-events';

/**
 * One multi-region trail in the home Region, logging every management event, read and write — the
 * trail the CloudTrail console creates by default (CloudTrail User Guide, "Creating a trail with the
 * console": multi-region, management events Read and Write). Multi-region, it records IAM's global
 * service events in us-east-1, where EventBridge receives them.
 */
export function seedTrail(model: AwsModel, homeRegion: string): void {
  model.cloudtrail.addTrail({
    name: SANDBOX_TRAIL,
    homeRegion,
    isMultiRegionTrail: true,
    s3BucketName: `aws-cloudtrail-logs-${model.accountId}-sandbox`,
  });
}

/** Creates what the app deploys, each in its stack's Region, as CloudFormation would. */
export function seedDeployment(model: AwsModel, app: DeployedApp): void {
  for (const q of app.queues) model.sqs.createQueue({ name: q.name, region: q.region, attributes: q.attributes });
  for (const r of app.rules) {
    model.events.putRule({
      name: r.name,
      region: r.region,
      eventBusName: r.eventBusName,
      state: r.state,
      targets: r.targets,
      ...(r.eventPattern !== undefined ? { eventPattern: r.eventPattern } : {}),
      ...(r.scheduleExpression !== undefined ? { scheduleExpression: r.scheduleExpression } : {}),
      ...(r.description !== undefined ? { description: r.description } : {}),
    });
  }
  for (const g of app.scheduleGroups) model.scheduler.seedGroup(g.region, g.name);
  for (const c of app.invokeConfigs) {
    model.lambda.putEventInvokeConfig(c.functionArn, { maximumRetryAttempts: c.maximumRetryAttempts, ...(c.onFailure ? { onFailure: c.onFailure } : {}) });
  }
  for (const s of app.stacks) {
    model.cloudformation.addStack({
      name: s.name,
      region: s.region,
      ...(s.description !== undefined ? { description: s.description } : {}),
      outputs: s.outputs,
      tags: s.tags,
      parameters: s.parameters,
      // A queue's physical ID is its URL, which points at the sandbox once it serves SQS (the SDK sends each call to its QueueUrl's host).
      resources: s.resources.map((r) => (r.type === 'AWS::SQS::Queue' ? { ...r, physicalId: model.sqs.url(s.region, r.physicalId.split('/').at(-1)!) } : r)),
    });
  }
}
