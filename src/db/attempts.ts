import { and, eq, lt, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import type { LockoutPolicy } from "../config";
import type { Db } from "./client";
import { countFailure } from "./lockout";
import { activeKeyExists, selectActiveKey, touchKey } from "./api-keys";
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
    touchKey(db, keyHash),
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
 * How a conditional write of validate ended, read in the same round trip: `written` false means
 * the key is not valid (`keyId` null), the user is gone (`state` null), the user is locked, the
 * secret changed since the caller's copy (`state.ciphertext`), or (acceptance) the step was taken.
 */
export interface AttemptWrite {
  keyId: number | null;
  written: boolean;
  state: { lockedUntil: number; lastStep: number; ciphertext: string } | null;
}

/** What every write of validate is guarded by: the caller's key, and the secret it checked the token with. */
export interface WriteGuard {
  keyHash: string;
  ciphertext: string;
}

/**
 * Counts one failed attempt, only while the user is not locked; the attempt that reaches the
 * threshold sets the lock: base, doubling per further failure, at most max. Concurrent wrong
 * guesses are counted one by one, so at most `threshold` of them get an answer other than the lock.
 */
export async function recordFailure(
  db: Db,
  userId: number,
  guard: WriteGuard,
  nowMs: number,
  policy: LockoutPolicy,
): Promise<AttemptWrite> {
  const failure = countFailure(users.failedAttempts, users.lockedUntil, nowMs, policy);
  return guardedWrite(db, userId, guard, lte(users.lockedUntil, nowMs), {
    failedAttempts: failure.attempts,
    lockedUntil: failure.lockedUntil,
  });
}

/**
 * What accepting `step` means, for validate and for the portal's first code alike: allowed only
 * if that step or a later one was not accepted yet and the user is not locked (a compare-and-set,
 * so of concurrent requests with the same token exactly one wins); it clears the failure count
 * and any lock, and confirms the user if this is their first success.
 */
export function stepAcceptance(step: number, nowMs: number): { condition: SQL; set: SQLiteUpdateSetSource<typeof users> } {
  const nowSeconds = Math.floor(nowMs / 1000);
  return {
    condition: and(lt(users.lastStep, step), lte(users.lockedUntil, nowMs))!,
    set: {
      lastStep: step,
      failedAttempts: 0,
      lockedUntil: 0,
      confirmedAt: sql`coalesce(${users.confirmedAt}, ${nowSeconds})`,
      lastSuccessAt: nowSeconds,
    },
  };
}

/** Accepts `step` for validate (see stepAcceptance), under the caller's key. */
export async function acceptStep(db: Db, userId: number, guard: WriteGuard, step: number, nowMs: number): Promise<AttemptWrite> {
  const acceptance = stepAcceptance(step, nowMs);
  return guardedWrite(db, userId, guard, acceptance.condition, acceptance.set);
}

/**
 * One round trip: the key check, the update (only under a valid key, for the secret the token was
 * checked with, and when `condition` holds), and the state after it, so that a write that did not
 * happen can say why.
 */
async function guardedWrite(
  db: Db,
  userId: number,
  guard: WriteGuard,
  condition: SQL,
  set: SQLiteUpdateSetSource<typeof users>,
): Promise<AttemptWrite> {
  const [keyRows, updated, state] = await db.batch([
    selectActiveKey(db, guard.keyHash),
    db
      .update(users)
      .set(set)
      .where(and(eq(users.id, userId), eq(users.secretCiphertext, guard.ciphertext), activeKeyExists(guard.keyHash), condition))
      .returning({ id: users.id }),
    db
      .select({ lockedUntil: users.lockedUntil, lastStep: users.lastStep, ciphertext: users.secretCiphertext })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
    touchKey(db, guard.keyHash),
  ]);
  return { keyId: keyRows[0]?.id ?? null, written: updated.length > 0, state: state[0] ?? null };
}
