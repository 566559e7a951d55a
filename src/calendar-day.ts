// Whether a YYYY-MM-DD names a day that exists. Shared by the audit's date
// parsing (inventory rows) and the waivers file's expiry: both refuse
// 2026-02-30 rather than let Date.parse roll it over into March.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True for a YYYY-MM-DD that exists (Date.parse would roll 2026-09-31 over into October). Arithmetic only: it runs per date of 100,000 rows. */
export function isCalendarDay(ymd: string): boolean {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  if (!(m >= 1 && m <= 12 && d >= 1)) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!);
}
