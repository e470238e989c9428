/**
 * EventBridge for the sandbox: the IAM model's writes become CloudTrail-shaped events
 * (sandbox/cloudtrail.ts) on the us-east-1 default bus and reach the provisioner only through a
 * rule whose pattern matches them. Delivery is asynchronous like EventBridge → Lambda async invoke:
 * `put` returns at once; a failed invocation is retried and then parked as a dead letter.
 *
 * Two ways to build one:
 *  - with `model` (the sandbox's account): the deployment decides, as in AWS. An IAM call becomes
 *    an event only if a trail records it (EventBridge User Guide, "Tutorial: Create an Amazon
 *    EventBridge rule for AWS CloudTrail API calls": "To record events with a detail-type value of
 *    AWS API Call via CloudTrail, a CloudTrail trail with logging enabled is required"; IAM's
 *    events are recorded in us-east-1: CloudTrail User Guide, "Global service events"); it reaches
 *    the targets of the enabled rules that match it (sandbox/model/events.ts: a deleted or
 *    disabled rule delivers nothing), following event-bus targets to another Region's bus (the
 *    forwarder stack); a Lambda target's failures are retried as its async-invoke settings say and
 *    then sent to its on-failure queue (sandbox/model/lambda.ts, sqs.ts);
 *  - without: one rule with `pattern` (default `iamEventPattern(tagPrefix)`, the very object the
 *    CDK rule is built from) and one target, every event recorded — the bus alone, for its unit
 *    tests and the benchmarks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { iamEventPattern } from '#access/domain/event-filter';
import { ConfigSchema } from '#kernel/config';
import { toEventBridgeEvent, type CloudTrailEnvelope } from './cloudtrail.ts';
import { matchesPattern, type EventPattern } from './event-pattern.ts';
import type { AwsModel } from '#sandbox/model/index';
import type { IamModel } from '#sandbox/model/iam';

export { matchesPattern, type EventPattern } from './event-pattern.ts';

/** Invokes a Lambda target; with a model, `functionArn` names the rule's target function. */
export type Target = (event: CloudTrailEnvelope, functionArn?: string) => Promise<unknown>;

export interface DeadLetter {
  event: CloudTrailEnvelope;
  /** The error of the last attempt. */
  error: Error;
  attempts: number;
  /** The function that failed (with a model). */
  functionArn?: string;
  /** The queue the invocation record was sent to, if the function has an on-failure destination. */
  queueArn?: string;
}

export interface EventBridgeOptions {
  /** Without a model: the one rule's pattern, by default the provisioner rule's `iamEventPattern(tagPrefix)`. */
  pattern?: EventPattern;
  /** Without a model and a `pattern`: the deployment's tag prefix (default: the configuration's default). */
  tagPrefix?: string;
  /** Retries after the first failed invocation; default: the function's async-invoke setting (2 without a model). */
  retryAttempts?: number;
  /** Wait before retry n is n times this (Lambda waits minutes; the sandbox does not). */
  retryDelayMs?: number;
  /** The caller recorded in the CloudTrail events. */
  callerArn?: string;
  /** The account whose trail, rules, functions and queues decide delivery (see above). */
  model?: AwsModel;
}

export interface EventBridgeStats {
  /** Events put on the bus. */
  put: number;
  /** Events a rule matched and sent to a Lambda target (one per target). */
  matched: number;
  /** Invocations that succeeded (first attempt or a retry). */
  delivered: number;
  /** Failed invocations, retries included. */
  failedAttempts: number;
}

// A chain of event-bus targets longer than this is a loop; the sandbox cuts it (inferred: the app
// forwards once, us-east-1 to the home Region).
const MAX_HOPS = 5;
const BUS_ARN = /^arn:[^:]+:events:([^:]+):\d{12}:event-bus\/(.+)$/;

export class EventBridge {
  readonly deadLetters: DeadLetter[] = [];
  /** Events no rule delivered anywhere, most recent last (for tests and the demo's narration). */
  readonly unmatched: CloudTrailEnvelope[] = [];
  /** IAM writes no trail recorded (with a model): they never became events. */
  notRecorded = 0;
  private readonly pattern: EventPattern;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: EventBridgeStats = { put: 0, matched: 0, delivered: 0, failedAttempts: 0 };

  constructor(
    private readonly target: Target,
    private readonly options: EventBridgeOptions = {},
  ) {
    this.pattern = options.pattern ?? (iamEventPattern(options.tagPrefix ?? ConfigSchema.shape.tagPrefix.parse(undefined)) as unknown as EventPattern);
  }

  /** Puts every write of this IAM model on the bus, as CloudTrail would; returns an unsubscribe. */
  connect(iam: IamModel): () => void {
    return iam.onWrite((write) => {
      if (this.options.model && !this.options.model.cloudtrail.recordsIamWrite(write.eventName)) {
        this.notRecorded += 1;
        return;
      }
      this.put(toEventBridgeEvent(write, { accountId: iam.accountId, ...(this.options.callerArn ? { callerArn: this.options.callerArn } : {}) }));
    });
  }

  /** Puts one event on its Region's default bus; returns whether a rule sent it to a target. Delivery happens later. */
  put(event: CloudTrailEnvelope): boolean {
    this.counts.put += 1;
    const model = this.options.model;
    const reached = model ? this.route(model, event, event.region, 'default', 0) : matchesPattern(this.pattern, event) && this.start(event, undefined);
    if (!reached) this.unmatched.push(event);
    return reached;
  }

  /** Resolves once every delivery, including deliveries started meanwhile, has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  stats(): EventBridgeStats {
    return { ...this.counts };
  }

  /** Sends `event` to the targets of the rules of `region`'s `bus` that match it; whether any Lambda target got it. */
  private route(model: AwsModel, event: CloudTrailEnvelope, region: string, bus: string, hops: number): boolean {
    const readOnly = event['detail-type'] === 'AWS API Call via CloudTrail' && event.detail.readOnly === true;
    let reached = false;
    for (const rule of model.events.matchingRules(region, bus, event, { readOnlyManagementEvent: readOnly })) {
      for (const t of rule.targets) {
        const arn = t.Arn ?? '';
        const toBus = BUS_ARN.exec(arn);
        if (toBus) reached = (hops < MAX_HOPS && this.route(model, event, toBus[1]!, toBus[2]!, hops + 1)) || reached;
        else if (/^arn:[^:]+:lambda:/.test(arn)) reached = this.start(event, arn) || reached;
        // Other target types are not part of the app: not modelled.
      }
    }
    return reached;
  }

  private start(event: CloudTrailEnvelope, functionArn: string | undefined): true {
    this.counts.matched += 1;
    const delivery = this.deliver(event, functionArn).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    return true;
  }

  private async deliver(event: CloudTrailEnvelope, functionArn: string | undefined): Promise<void> {
    // Asynchronous like an async invoke: the IAM call that caused the event returns first.
    await sleep(0);
    const config = functionArn && this.options.model ? this.options.model.lambda.eventInvokeConfig(functionArn) : undefined;
    const retries = this.options.retryAttempts ?? config?.maximumRetryAttempts ?? 2;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.target(structuredClone(event), functionArn);
        this.counts.delivered += 1;
        return;
      } catch (e) {
        this.counts.failedAttempts += 1;
        if (attempt > retries) {
          const error = e instanceof Error ? e : new Error(String(e));
          this.deadLetters.push({ event, error, attempts: attempt, ...(functionArn ? { functionArn } : {}), ...(config?.onFailure ? { queueArn: config.onFailure } : {}) });
          if (config?.onFailure && functionArn) this.options.model!.sqs.sendToArn(config.onFailure, JSON.stringify(invocationRecord(event, functionArn, error, attempt)));
          return;
        }
        await sleep((this.options.retryDelayMs ?? 10) * attempt);
      }
    }
  }
}

/**
 * What Lambda sends an on-failure destination once retries are exhausted (Lambda Developer Guide,
 * "Capturing records of Lambda asynchronous invocations": version, timestamp, requestContext with
 * condition RetriesExhausted and approximateInvokeCount, requestPayload, responseContext,
 * responsePayload).
 */
function invocationRecord(event: CloudTrailEnvelope, functionArn: string, error: Error, attempts: number): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: randomUUID(), functionArn: `${functionArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: error.name, errorMessage: error.message },
  };
}
