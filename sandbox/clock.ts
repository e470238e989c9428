/**
 * The sandbox's clock: real time plus an offset the sandbox controls. It is "now" for EventBridge
 * Scheduler's schedules (sandbox/model/scheduler.ts) and for the deployed functions, whose
 * execution environments read it as their wall clock (sandbox/lambda/worker.mjs): the offset lives
 * in a SharedArrayBuffer every worker reads at each `Date.now()` / `new Date()`, so moving the
 * clock moves the functions' "now" at once, without restarting them and without any code in
 * functions/ knowing about it. Real time keeps passing, so a schedule a few seconds ahead fires by
 * itself (a timer), and a test that moves the clock past it fires it at once.
 */

export class SandboxClock {
  /** Milliseconds added to real time; shared with the functions' workers. */
  readonly shared = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  private readonly offset = new BigInt64Array(this.shared);
  private readonly listeners = new Set<() => Promise<void>>();

  /** The sandbox's current time. */
  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now() + this.offsetMs();
  }

  /** How far the sandbox's time is from real time. */
  offsetMs(): number {
    return Number(Atomics.load(this.offset, 0));
  }

  /**
   * Moves time forward by `ms` (≥ 0: time never runs backwards here, as schedules that fired
   * cannot un-fire); resolves once everything that came due meanwhile has run (schedules fired,
   * their targets returned).
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`the sandbox clock only moves forward (advance(${ms}))`);
    Atomics.add(this.offset, 0, BigInt(Math.round(ms)));
    await this.changed();
  }

  /** Moves time forward to `date` (an instant not before now); resolves as `advance` does. */
  async set(date: Date): Promise<void> {
    await this.advance(Math.max(0, date.getTime() - this.nowMs()));
  }

  /** Called after every move of the clock; the returned promise is awaited by `advance`/`set`. */
  onChange(listener: () => Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async changed(): Promise<void> {
    await Promise.all([...this.listeners].map((l) => l()));
  }
}
