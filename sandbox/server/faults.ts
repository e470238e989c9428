/**
 * Fault knobs for tests, the demo and benchmarks: latency on every call, throttling on a fraction
 * of calls or above a rate, and failure of named operations. Settable at runtime; a seed makes
 * the throttled fraction the same calls on every run.
 */

export interface ThrottleFault {
  /** Throttle this fraction of matching calls (0–1). */
  fraction?: number;
  /**
   * Throttle matching calls above this many per second, per service and operation: a token
   * bucket that holds one second's worth, as AWS's own API rate limits are token buckets
   * (IAM: "IAM and AWS STS independently implement a token bucket algorithm", AWS support
   * quoted in hashicorp/terraform-provider-aws#44853).
   */
  ratePerSecond?: number;
  /** Only these operations (`TagRole` or `iam:TagRole`); all when absent. */
  operations?: string[];
}

export interface Faults {
  /** Added before every call is served. */
  latencyMs?: number;
  throttle?: ThrottleFault;
  /**
   * Fail these operations (`TagRole` or `iam:TagRole`) with an error code: the SDK exception
   * name (`ServiceFailureException`) or the service's wire code (`ServiceFailure`).
   */
  fail?: Record<string, string>;
  /** Seed for the throttled fraction; without it the choice is random. */
  seed?: number;
}

/** mulberry32: a small, well-known 32-bit PRNG, enough to pick the same calls on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function applies(list: string[] | undefined, service: string, operation: string): boolean {
  return !list || list.includes(operation) || list.includes(`${service}:${operation}`);
}

export class FaultInjector {
  private faults: Faults = {};
  private random: () => number = Math.random;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Replaces the knobs (and restarts the seeded sequence and the rate buckets). */
  set(faults: Faults): void {
    this.faults = structuredClone(faults);
    this.random = faults.seed === undefined ? Math.random : mulberry32(faults.seed);
    this.buckets.clear();
  }

  get(): Faults {
    return structuredClone(this.faults);
  }

  latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }

  /** Whether this call is throttled. Consumes a random draw and a rate token for matching calls. */
  throttles(service: string, operation: string): boolean {
    const t = this.faults.throttle;
    if (!t || !applies(t.operations, service, operation)) return false;
    if (t.ratePerSecond !== undefined && !this.takeToken(`${service}:${operation}`, t.ratePerSecond)) return true;
    return t.fraction !== undefined && t.fraction > 0 && this.random() < t.fraction;
  }

  /** The error code this call must fail with, if any. */
  failure(service: string, operation: string): string | undefined {
    const fail = this.faults.fail ?? {};
    return fail[`${service}:${operation}`] ?? fail[operation];
  }

  private takeToken(key: string, rate: number): boolean {
    const now = this.now();
    const capacity = Math.max(rate, 1);
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
