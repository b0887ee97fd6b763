import { and, eq, lt, lte, sql } from "drizzle-orm";
import type { LockoutPolicy } from "../config";
import type { Db } from "./client";
import { selectActiveKey } from "./api-keys";
import { users } from "./schema";
import type { UserSecret } from "./users";

/** What validate needs to know before it checks a token, read in one round trip with the key check. */
export interface AttemptState {
  /** The active key's id, or null when the key is not valid. */
  keyId: number | null;
  /** The user, when the key is valid and the user exists. */
  user: (UserSecret & { lastStep: number; lockedUntil: number }) | null;
}

export async function readAttemptState(db: Db, keyHash: string, userId: number): Promise<AttemptState> {
  const [keyRows, userRows] = await db.batch([
    selectActiveKey(db, keyHash),
    db
      .select({
        username: users.username,
        usernameKey: users.usernameKey,
        ciphertext: users.secretCiphertext,
        keyId: users.secretKeyId,
        lastStep: users.lastStep,
        lockedUntil: users.lockedUntil,
      })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
  ]);
  const keyId = keyRows[0]?.id ?? null;
  const row = keyId === null ? undefined : userRows[0];
  return {
    keyId,
    user: row
      ? {
          username: row.username,
          usernameKey: row.usernameKey,
          secret: { keyId: row.keyId, ciphertext: row.ciphertext },
          lastStep: row.lastStep,
          lockedUntil: row.lockedUntil,
        }
      : null,
  };
}

/**
 * How a conditional write of validate ended. `written` false means another request got there first:
 * the user is gone (`lockedUntil` null), locked meanwhile, or (acceptance) the step was taken.
 */
export interface AttemptWrite {
  written: boolean;
  lockedUntil: number | null;
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

/**
 * Counts one failed attempt, only while the user is not locked; the attempt that reaches the
 * threshold sets the lock: base, doubling per further failure, at most max. Concurrent wrong
 * guesses are counted one by one, so at most `threshold` of them get an answer other than the lock.
 */
export async function recordFailure(db: Db, userId: number, nowMs: number, policy: LockoutPolicy): Promise<AttemptWrite> {
  const attempts = sql`${users.failedAttempts} + 1`;
  const [updated, state] = await db.batch([
    db
      .update(users)
      .set({
        failedAttempts: attempts,
        lockedUntil: sql`case when ${attempts} >= ${policy.threshold}
          then ${nowMs} + min(${policy.maxMs}, ${policy.baseMs} << min(${attempts} - ${policy.threshold}, ${maxDoublings(policy)}))
          else ${users.lockedUntil} end`,
      })
      .where(and(eq(users.id, userId), lte(users.lockedUntil, nowMs)))
      .returning({ id: users.id }),
    lockState(db, userId),
  ]);
  return { written: updated.length > 0, lockedUntil: state[0]?.lockedUntil ?? null };
}

/**
 * Accepts `step` unless that step or a later one was already accepted or the user got locked:
 * one compare-and-set, so of concurrent requests with the same token exactly one wins. A success
 * clears the failure count and any lock. (Not guarded by the ciphertext: re-sealing under a new
 * key changes it without changing the secret, and must not fail a right code.)
 */
export async function acceptStep(db: Db, userId: number, step: number, nowMs: number): Promise<AttemptWrite> {
  const [updated, state] = await db.batch([
    db
      .update(users)
      .set({ lastStep: step, failedAttempts: 0, lockedUntil: 0 })
      .where(and(eq(users.id, userId), lt(users.lastStep, step), lte(users.lockedUntil, nowMs)))
      .returning({ id: users.id }),
    lockState(db, userId),
  ]);
  return { written: updated.length > 0, lockedUntil: state[0]?.lockedUntil ?? null };
}

function lockState(db: Db, userId: number) {
  return db.select({ lockedUntil: users.lockedUntil }).from(users).where(eq(users.id, userId)).limit(1);
}
