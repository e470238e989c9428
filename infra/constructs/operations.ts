/**
 * What on-call needs from every stack: dead-letter queues that are safe to hold event
 * payloads, and an alarm topic to page on. Shared by the main stack and the us-east-1
 * forwarder (CloudWatch alarm actions must be in the alarm's region, so each stack has its
 * own topic) and open to the constructs added later (the migration workflow).
 */
import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * An SQS queue that only ever receives failures (EventBridge target DLQ or Lambda on-failure
 * destination). SSE-SQS rather than a customer key: EventBridge and Lambda can deliver to it
 * without key-policy grants, and the payloads (IAM event metadata) need no separate key
 * custody. Kept for the SQS maximum of 14 days so a failure outlives a long weekend.
 */
export class DeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }
}

/**
 * An SNS topic for alarms, encrypted with its own KMS key. Not the AWS managed
 * `alias/aws/sns` key: CloudWatch cannot publish to a topic encrypted with it, because an
 * AWS managed key's policy cannot be extended to the cloudwatch.amazonaws.com principal.
 */
export class AlarmTopic extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;
  private readonly action: cwActions.SnsAction;

  constructor(scope: Construct, id: string, props: { exportName: string }) {
    super(scope, id);
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: 'eks-access-pilot alarm topic encryption',
      enableKeyRotation: true,
    });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'eks-access-pilot alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so CloudWatch is allowed explicitly.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.action = new cwActions.SnsAction(this.topic);

    new CfnOutput(this, 'TopicArn', {
      description: 'Subscribe on-call here: DLQ depth, function error and migration execution alarms of eks-access-pilot',
      value: this.topic.topicArn,
      exportName: props.exportName,
    });
  }

  /** Pages when anything is waiting in a dead-letter queue: each message is a lost grant or revoke until resync. */
  alarmOnQueue(queue: sqs.Queue, what: string): cloudwatch.Alarm {
    return this.add(
      new cloudwatch.Alarm(queue, 'DepthAlarm', {
        alarmDescription: `${what}: messages waiting in ${queue.node.path}; inspect, fix the cause, then redrive or let the resync repair`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Pages on any failed invocation: each one left some principal unreconciled. */
  alarmOnErrors(fn: lambda.Function, what: string): cloudwatch.Alarm {
    return this.add(
      new cloudwatch.Alarm(fn, 'ErrorsAlarm', {
        alarmDescription: `${what}: function errors; read its log group (one line per principal and cluster)`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Pages on executions that ended badly: failed (a Fail state, including a completed
   * rollback), and timed out or aborted (stopped by hand or by a timeout, so no rollback ran).
   */
  alarmOnExecutions(stateMachine: sfn.StateMachine, what: string): { failed: cloudwatch.Alarm; stopped: cloudwatch.Alarm } {
    const period = Duration.minutes(5);
    const failed = this.add(
      new cloudwatch.Alarm(stateMachine, 'FailedAlarm', {
        alarmDescription: `${what}: an execution failed; its Fail state's Error and Cause say which step, what was rolled back and where the backup is`,
        metric: stateMachine.metricFailed({ period, statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const stopped = this.add(
      new cloudwatch.Alarm(stateMachine, 'TimedOutOrAbortedAlarm', {
        alarmDescription: `${what}: an execution timed out or was aborted; no rollback ran, so check the cluster's mode, its access entries and aws-auth against the backup`,
        metric: new cloudwatch.MathExpression({
          expression: 'timedOut + aborted',
          usingMetrics: {
            timedOut: stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
            aborted: stateMachine.metricAborted({ period, statistic: 'Sum' }),
          },
          period,
          label: 'executions timed out or aborted',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    return { failed, stopped };
  }

  private add(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
