/**
 * IAM is global: its CloudTrail events reach EventBridge only on the us-east-1 default bus
 * (and only while a trail logs management events). When the home region is another one,
 * this small stack in us-east-1 forwards exactly the provisioner's events — same pattern,
 * from `#domain/events` — to the home region's default bus, where the main stack's rule
 * matches them again. Events forwarded bus-to-bus keep their source `aws.iam`, so one
 * pattern serves both rules. Nothing here reads or writes EKS or IAM.
 */
import { Aws, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AlarmTopic, DeadLetterQueue } from '../constructs/operations.ts';
import { cdkEventPattern } from '../constructs/tag-provisioning.ts';

/** Where IAM's CloudTrail events are delivered to EventBridge. */
export const IAM_EVENTS_REGION = 'us-east-1';

export interface IamEventForwarderStackProps extends StackProps {
  /** The main stack's region; its default bus receives the forwarded events. */
  readonly homeRegion: string;
  /** The deployment's tag prefix: the pattern forwards only events that carry its keys (tag-provisioning.ts, cdkEventPattern). */
  readonly tagPrefix: string;
}

export class IamEventForwarderStack extends Stack {
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: DeadLetterQueue;
  public readonly alarms: AlarmTopic;
  /** ARN of the home region's default event bus (the rule's target). */
  public readonly homeBusArn: string;

  constructor(scope: Construct, id: string, props: IamEventForwarderStackProps) {
    super(scope, id, props);
    if (props.homeRegion === IAM_EVENTS_REGION) {
      throw new Error(`no forwarder is needed when the home region is ${IAM_EVENTS_REGION}`);
    }

    // Alarm actions must be in the alarm's region: this stack pages through its own topic.
    this.alarms = new AlarmTopic(this, 'Alarms', { exportName: `${this.stackName}-AlarmTopicArn` });

    this.deadLetterQueue = new DeadLetterQueue(this, 'ForwardingFailures');
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the forwarding rule; it is alarmed on depth instead.' },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the dead-letter queue of the forwarding rule; it is alarmed on depth instead.' },
    );
    this.alarms.alarmOnQueue(this.deadLetterQueue, `IAM events that could not be forwarded to ${props.homeRegion}`);

    // Same account, so the receiving default bus needs no resource policy; the account is a
    // deploy-time token, which keeps the app synthesizable without credentials.
    this.homeBusArn = `arn:${Aws.PARTITION}:events:${props.homeRegion}:${Aws.ACCOUNT_ID}:event-bus/default`;
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus', this.homeBusArn);

    // The target adds events:PutEvents on the home bus only.
    const role = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Forwards IAM events from ${IAM_EVENTS_REGION} to the ${props.homeRegion} default bus`,
    });

    this.rule = new events.Rule(this, 'ForwardIamEvents', {
      description: `IAM role/user tag and lifecycle calls (CloudTrail) to eks-access-pilot in ${props.homeRegion}`,
      eventPattern: cdkEventPattern(props.tagPrefix),
    });
    this.rule.addTarget(new targets.EventBus(homeBus, { role, deadLetterQueue: this.deadLetterQueue }));
  }
}
