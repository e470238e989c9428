/**
 * The access-entry quota of one cluster during one run of the reconcile core (docs/architecture.md,
 * "The tag contract"; the quota and its source: kernel/quotas.ts). A grant that would create an
 * entry past the configured headroom is refused for that cluster only: nothing changes there.
 */
import { accessEntryLimit } from '#kernel/quotas';

export interface QuotaRefusal {
  /** Entries on the cluster as this run counts them (listed, plus this run's creates). */
  used: number;
  /** accessEntryLimit(headroom): the most entries the tag side lets a cluster hold. */
  limit: number;
}

/**
 * Counts a cluster's entries once per run, lazily: the first plan that would add an entry pays
 * for the count (ListAccessEntries, pages of 100), so a run that only updates or deletes never
 * lists. Each admitted create is then added locally instead of listing again, so a sweep that
 * creates many entries on one cluster holds each against the count so far at the cost of one
 * list. The check and the increment run with no `await` between them, so parallel creates of
 * one run cannot both take the last place.
 *
 * Deliberately simple and on the high side: deletes are not subtracted, and an admitted create
 * that then fails keeps its place, so the count can only overstate within a run (a refusal the
 * next run, which counts afresh, lifts). Entries created meanwhile by other invocations, by EKS
 * or by people are not seen: that is what the room between the headroom and the quota is for.
 */
export class QuotaGate {
  private counted: Promise<number> | undefined;
  private added = 0;
  readonly limit: number;

  /**
   * @param count reads the cluster's number of entries (called at most once)
   * @param known the number when the caller has already listed the entries (the resync)
   */
  constructor(
    private readonly count: () => Promise<number>,
    headroomPercent: number,
    known?: number,
  ) {
    this.limit = accessEntryLimit(headroomPercent);
    if (known !== undefined) this.counted = Promise.resolve(known);
  }

  /** Admits `n` new entries, or says why not. Throws what `count` throws. */
  async admit(n: number): Promise<QuotaRefusal | undefined> {
    this.counted ??= this.count();
    const used = (await this.counted) + this.added;
    if (used + n > this.limit) return { used, limit: this.limit };
    this.added += n;
    return undefined;
  }
}
