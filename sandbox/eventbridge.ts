/**
 * EventBridge for the sandbox: the IAM model's writes become CloudTrail-shaped events
 * (sandbox/cloudtrail.ts) on the default bus, and reach the target — the provisioner — only if
 * they match the rule's pattern, which is `iamEventPattern()`, the very object the CDK rule is
 * built from (one source of truth). Delivery is asynchronous like EventBridge → Lambda async
 * invoke: `put` returns at once; a failed invocation is retried twice and then parked as a
 * dead letter (the provisioner's `retryAttempts: 2` and on-failure destination in infra).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { iamEventPattern } from '#access/domain/events';
import { toEventBridgeEvent, type CloudTrailEnvelope } from './cloudtrail.ts';
import type { IamModel } from '#sandbox/model/iam';

/** An EventBridge event pattern (JSON form, as in `PutRule`). */
export type EventPattern = { [field: string]: EventPattern | unknown[] };

/**
 * Whether an event matches a pattern, per the EventBridge user guide ("Event patterns",
 * "Content filtering"): every field named in the pattern must match; a list matches if any of
 * its entries matches; against an array in the event, a match of any element is enough.
 * Supported: exact values (strings, numbers, booleans, null), `{ exists: bool }`,
 * `{ prefix: string }` and `{ "anything-but": value | value[] }`. Any other operator throws
 * rather than silently not matching. No installed package matches EventBridge patterns, and
 * the npm candidates are whole emulators (serverless-offline plugins), not matchers; hence
 * this subset, which covers what `iamEventPattern()` uses with room to spare.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  for (const [field, rule] of Object.entries(pattern)) {
    const present = isRecord(event) && field in event;
    const value = isRecord(event) ? event[field] : undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((r) => matchesValue(r, present, value))) return false;
    } else if (isRecord(rule)) {
      if (!present || !matchesPattern(rule, value)) return false;
    } else {
      throw new Error(`event pattern field ${field}: expected a list or an object`);
    }
  }
  return true;
}

function matchesValue(rule: unknown, present: boolean, value: unknown): boolean {
  if (isRecord(rule)) {
    const [op, arg] = Object.entries(rule)[0] ?? [];
    switch (op) {
      case 'exists':
        return arg === present;
      case 'prefix':
        return present && anyOf(value, (v) => typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg));
      case 'anything-but': {
        const excluded = Array.isArray(arg) ? arg : [arg];
        return present && anyOf(value, (v) => !excluded.includes(v));
      }
      default:
        throw new Error(`event pattern operator ${String(op)} is not supported by the sandbox`);
    }
  }
  return present && anyOf(value, (v) => v === rule);
}

function anyOf(value: unknown, test: (v: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.some(test) : test(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type Target = (event: CloudTrailEnvelope) => Promise<unknown>;

export interface DeadLetter {
  event: CloudTrailEnvelope;
  /** The error of the last attempt. */
  error: Error;
  attempts: number;
}

export interface EventBridgeOptions {
  /** Defaults to the provisioner rule's pattern, `iamEventPattern()`. */
  pattern?: EventPattern;
  /** Retries after the first failed invocation (Lambda async invoke: 2). */
  retryAttempts?: number;
  /** Wait before retry n is n times this (Lambda waits minutes; the sandbox does not). */
  retryDelayMs?: number;
  /** The caller recorded in the CloudTrail events. */
  callerArn?: string;
}

export interface EventBridgeStats {
  /** Events put on the bus. */
  put: number;
  /** Events the rule matched (and that went to the target). */
  matched: number;
  /** Invocations that succeeded (first attempt or a retry). */
  delivered: number;
  /** Failed invocations, retries included. */
  failedAttempts: number;
}

/** One rule with one target on a local default bus. */
export class EventBridge {
  readonly deadLetters: DeadLetter[] = [];
  /** Events the rule did not match, most recent last (for tests and the demo's narration). */
  readonly unmatched: CloudTrailEnvelope[] = [];
  private readonly pattern: EventPattern;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts: EventBridgeStats = { put: 0, matched: 0, delivered: 0, failedAttempts: 0 };

  constructor(
    private readonly target: Target,
    private readonly options: EventBridgeOptions = {},
  ) {
    this.pattern = options.pattern ?? (iamEventPattern() as unknown as EventPattern);
  }

  /** Puts every write of this IAM model on the bus, as CloudTrail would; returns an unsubscribe. */
  connect(iam: IamModel): () => void {
    return iam.onWrite((write) => {
      this.put(toEventBridgeEvent(write, { accountId: iam.accountId, ...(this.options.callerArn ? { callerArn: this.options.callerArn } : {}) }));
    });
  }

  /** Puts one event; returns whether the rule matched it. Delivery happens later. */
  put(event: CloudTrailEnvelope): boolean {
    this.counts.put += 1;
    if (!matchesPattern(this.pattern, event)) {
      this.unmatched.push(event);
      return false;
    }
    this.counts.matched += 1;
    const delivery = this.deliver(event).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
    return true;
  }

  /** Resolves once every delivery, including deliveries started meanwhile, has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  stats(): EventBridgeStats {
    return { ...this.counts };
  }

  private async deliver(event: CloudTrailEnvelope): Promise<void> {
    // Asynchronous like an async invoke: the IAM call that caused the event returns first.
    await sleep(0);
    const retries = this.options.retryAttempts ?? 2;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.target(structuredClone(event));
        this.counts.delivered += 1;
        return;
      } catch (e) {
        this.counts.failedAttempts += 1;
        if (attempt > retries) {
          this.deadLetters.push({ event, error: e instanceof Error ? e : new Error(String(e)), attempts: attempt });
          return;
        }
        await sleep((this.options.retryDelayMs ?? 10) * attempt);
      }
    }
  }
}
