/**
 * ISO-8601 durations as the configuration writes them (`maxAccessDuration`: `PT12H`, `P7D`,
 * `P1W`, `P1DT12H`). Pure.
 *
 * Only units of fixed length are accepted: weeks, days (24 hours: the tag contract's instants are
 * UTC, which has no daylight saving), hours, minutes and seconds, in whole numbers. Years and
 * months are refused rather than guessed: `P1M` is 28 to 31 days, and ISO-8601's `M` means months
 * before the `T` and minutes after it, a classic slip.
 */
const DURATION = /^P(?:(\d+)W|(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)$/;

const MS = { week: 604_800_000, day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1_000 } as const;

/** The duration in milliseconds, or a message saying what is wrong with it. */
export function parseIsoDuration(text: string): { ok: true; ms: number } | { ok: false; message: string } {
  if (/^P[^T]*\d+[YM]/.test(text)) {
    return { ok: false, message: `"${text}" uses years or months, which have no fixed length; write days or weeks (P30D, P4W)` };
  }
  const m = DURATION.exec(text);
  // `P` and `PT` alone match the pattern with every part absent.
  if (!m || text === 'P' || text.endsWith('T')) {
    return { ok: false, message: `"${text}" is not an ISO-8601 duration such as PT12H, P7D or P1DT12H (weeks, days, hours, minutes, seconds)` };
  }
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  const ms = w! * MS.week + d! * MS.day + h! * MS.hour + min! * MS.minute + s! * MS.second;
  if (ms <= 0) return { ok: false, message: `"${text}" is zero: give a positive duration` };
  return { ok: true, ms };
}
