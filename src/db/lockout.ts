import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { LockoutPolicy } from "../config";

/**
 * How many times the first lock may double before it reaches the maximum: the smallest k with
 * base·2^k ≥ max. Capping the shift by it keeps `base << k` below 2·max (< 2^31 for every allowed
 * setting), where a fixed cap of 40 wrapped SQLite's 64-bit integers for bases from 8,389 s on
 * and set locks in the past.
 */
export function maxDoublings(policy: LockoutPolicy): number {
  let doublings = 0;
  while (policy.baseMs * 2 ** doublings < policy.maxMs) doublings++;
  return doublings;
}

/**
 * The one lockout arithmetic of every secret a person types (codes on validate, admin logins,
 * portal passwords), as the SET values of an UPDATE that counts one failure: the failure that
 * reaches the threshold locks for `base`, each further one doubles it, up to `max`. The UPDATE
 * must be guarded by "not locked now", so concurrent failures are counted one by one.
 */
export function countFailure(
  attempts: SQLiteColumn,
  lockedUntil: SQLiteColumn,
  nowMs: number,
  policy: LockoutPolicy,
): { attempts: SQL; lockedUntil: SQL } {
  const next = sql`${attempts} + 1`;
  return {
    attempts: next,
    lockedUntil: sql`case when ${next} >= ${policy.threshold}
      then ${nowMs} + min(${policy.maxMs}, ${policy.baseMs} << min(${next} - ${policy.threshold}, ${maxDoublings(policy)}))
      else ${lockedUntil} end`,
  };
}
