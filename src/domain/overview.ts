import { readOverview, type RecentLock, type UserTotals } from "../db/overview";
import { HOUR_MS, type HourCount, VALIDATION_OUTCOMES, type ValidationOutcome } from "../db/validation-counts";
import type { Deps } from "./deps";

export type { ValidationOutcome };
export { VALIDATION_OUTCOMES };

/** One bar of a chart: the start of its hour or day (Unix ms) and its count per outcome. */
export interface Bucket {
  startMs: number;
  counts: Record<ValidationOutcome, number>;
}

const HOURS_CHARTED = 48;
const DAYS_CHARTED = 90;
const LOCKS_SHOWN = 10;

export interface Overview {
  totals: UserTotals;
  hours: Bucket[];
  days: Bucket[];
  locks: RecentLock[];
}

const zero = (): Record<ValidationOutcome, number> => ({ valid: 0, invalid: 0, locked: 0, replay: 0 });

/**
 * Buckets of `sizeHours` ending with the one that holds `nowHour`, oldest first; every bucket is
 * there, empty or not, so the chart's time axis is even.
 */
function bucketed(counts: HourCount[], nowHour: number, sizeHours: number, buckets: number): Bucket[] {
  const lastStart = nowHour - (nowHour % sizeHours);
  const firstStart = lastStart - (buckets - 1) * sizeHours;
  const out = Array.from({ length: buckets }, (_, i) => ({ startMs: (firstStart + i * sizeHours) * HOUR_MS, counts: zero() }));
  for (const row of counts) {
    const index = Math.floor((row.hour - firstStart) / sizeHours);
    if (index >= 0 && index < buckets) out[index]!.counts[row.outcome] += row.count;
  }
  return out;
}

/** What the console's home shows, read in one round trip. Days are UTC days. */
export async function readConsoleOverview(deps: Deps): Promise<Overview> {
  const nowMs = deps.now();
  const nowHour = Math.floor(nowMs / HOUR_MS);
  const firstDayHour = nowHour - (nowHour % 24) - (DAYS_CHARTED - 1) * 24;
  const { totals, counts, locks } = await readOverview(deps.db, nowMs, firstDayHour, LOCKS_SHOWN);
  return {
    totals,
    hours: bucketed(counts, nowHour, 1, HOURS_CHARTED),
    days: bucketed(counts, nowHour, 24, DAYS_CHARTED),
    locks,
  };
}
