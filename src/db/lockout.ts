import { type Placeholder, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** The lock arithmetic's settings (LOCKOUT_* in src/config.ts). */
export interface LockoutPolicy {
  /** Consecutive failures after which the user is locked. */
  threshold: number;
  /** First lock; doubles with every further failure. */
  baseMs: number;
  maxMs: number;
}

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

/** A figure of the arithmetic: a number, or a placeholder in a batch whose SQL is built once (src/db/attempts.ts). */
type Figure = number | Placeholder;

/**
 * The one lockout arithmetic of every secret a person types (codes on validate, admin logins,
 * portal passwords), as the SET values of an UPDATE that counts one failure: the failure that
 * reaches the threshold locks for `base`, each further one doubles it, up to `max`. The UPDATE
 * must be guarded by "not locked now", so concurrent failures are counted one by one. With
 * placeholders for the policy, `doublings` must be given (maxDoublings of the real policy).
 */
export function countFailure(
  attempts: SQLiteColumn,
  lockedUntil: SQLiteColumn,
  nowMs: Figure,
  policy: LockoutPolicy | { threshold: Placeholder; baseMs: Placeholder; maxMs: Placeholder },
  doublings?: Placeholder,
): { attempts: SQL; lockedUntil: SQL } {
  const cap = doublings ?? maxDoublings(policy as LockoutPolicy);
  const next = sql`${attempts} + 1`;
  return {
    attempts: next,
    lockedUntil: sql`case when ${next} >= ${policy.threshold}
      then ${nowMs} + min(${policy.maxMs}, ${policy.baseMs} << min(${next} - ${policy.threshold}, ${cap}))
      else ${lockedUntil} end`,
  };
}

/**
 * The same arithmetic for a counter that does not exist yet (a row inserted by its first failure):
 * one failure, locked for `base` only when the threshold is 1.
 */
export function firstFailure(nowMs: number, policy: LockoutPolicy): { attempts: number; lockedUntil: number } {
  return { attempts: 1, lockedUntil: policy.threshold <= 1 ? nowMs + policy.baseMs : 0 };
}

/** The lock that the failure numbered `failures` (1-based) sets, in ms; 0 below the threshold. The numbers of countFailure's SQL. */
function lockAfter(failures: number, policy: LockoutPolicy): number {
  if (failures < policy.threshold) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - policy.threshold, maxDoublings(policy)));
}

const DAY_MS = 86_400_000;

/**
 * Failures an attacker can have counted against one user within 24 h that start with the counter
 * at 0 (the most in any 24 h: the threshold's burst comes first): the burst at once, then one
 * each time a lock ends. A success resets the counter, so each reset the real user makes gives
 * the attacker another burst (SECURITY.md, "Who attacks", 1).
 */
export function guessesPerDay(policy: LockoutPolicy): number {
  let guesses = 0;
  for (let at = 0; at < DAY_MS; at += lockAfter(guesses, policy)) guesses++;
  return guesses;
}
