import { and, eq, lt, lte, sql } from "drizzle-orm";
import type { LockoutPolicy } from "../config";
import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { activeKeyExists, selectActiveKey } from "./api-keys";
import { users } from "./schema";

export interface NewUser {
  username: string;
  usernameKey: string;
  phone: string | null;
  email: string | null;
  secret: Sealed;
  createdAt: number;
}

/** Inserts unless the username is taken; null means taken (decided by the UNIQUE index, so races are safe). */
export async function insertUser(db: Db, user: NewUser): Promise<number | null> {
  const rows = await db
    .insert(users)
    .values({
      username: user.username,
      usernameKey: user.usernameKey,
      phone: user.phone,
      email: user.email,
      secretCiphertext: user.secret.ciphertext,
      secretKeyId: user.secret.keyId,
      createdAt: user.createdAt,
    })
    .onConflictDoNothing({ target: users.usernameKey })
    .returning({ id: users.id });
  return rows[0]?.id ?? null;
}

export interface UserSecret {
  username: string;
  usernameKey: string;
  secret: Sealed;
}

export async function findUserSecret(db: Db, id: number): Promise<UserSecret | null> {
  const [row] = await db
    .select({ username: users.username, usernameKey: users.usernameKey, ciphertext: users.secretCiphertext, keyId: users.secretKeyId })
    .from(users)
    .where(eq(users.id, id))
    .limit(1);
  return row ? { username: row.username, usernameKey: row.usernameKey, secret: { keyId: row.keyId, ciphertext: row.ciphertext } } : null;
}

export interface AttemptReservation {
  /** The active key's id, or null when the key is not valid. */
  keyId: number | null;
  /** Present when the attempt was reserved: the user exists, is not locked, and the key is valid. */
  user: (UserSecret & { lastStep: number }) | null;
  /** Present when the user exists: its lock time after the reservation. */
  lockedUntil: number | null;
}

/**
 * Checks the API key and reserves one attempt in a single round trip. The attempt counts as a
 * failure until a success resets it, so concurrent guesses cannot outrun the lock: each one is
 * counted before its token is checked, and the one that reaches the threshold sets the lock.
 */
export async function reserveAttempt(
  db: Db,
  keyHash: string,
  userId: number,
  nowMs: number,
  policy: LockoutPolicy,
): Promise<AttemptReservation> {
  const attempts = sql`${users.failedAttempts} + 1`;
  const [keyRows, reserved, state] = await db.batch([
    selectActiveKey(db, keyHash),
    db
      .update(users)
      .set({
        failedAttempts: attempts,
        lockedUntil: sql`case when ${attempts} >= ${policy.threshold}
          then ${nowMs} + min(${policy.maxMs}, ${policy.baseMs} << min(${attempts} - ${policy.threshold}, 40))
          else ${users.lockedUntil} end`,
      })
      .where(and(eq(users.id, userId), lte(users.lockedUntil, nowMs), activeKeyExists(keyHash)))
      .returning({
        username: users.username,
        usernameKey: users.usernameKey,
        ciphertext: users.secretCiphertext,
        keyId: users.secretKeyId,
        lastStep: users.lastStep,
      }),
    db.select({ lockedUntil: users.lockedUntil }).from(users).where(eq(users.id, userId)).limit(1),
  ]);
  const row = reserved[0];
  return {
    keyId: keyRows[0]?.id ?? null,
    user: row
      ? {
          username: row.username,
          usernameKey: row.usernameKey,
          secret: { keyId: row.keyId, ciphertext: row.ciphertext },
          lastStep: row.lastStep,
        }
      : null,
    lockedUntil: state[0]?.lockedUntil ?? null,
  };
}

/**
 * Accepts `step` for the user unless that step or a later one was already accepted: one
 * compare-and-set, so of concurrent requests with the same token exactly one wins.
 */
export async function acceptStep(db: Db, userId: number, step: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ lastStep: step, failedAttempts: 0, lockedUntil: 0 })
    .where(and(eq(users.id, userId), lt(users.lastStep, step)))
    .returning({ id: users.id });
  return rows.length > 0;
}
