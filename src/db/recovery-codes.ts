import { and, count, eq, isNotNull, lte, type SQL, sql } from "drizzle-orm";
import { type Acceptance, stepAcceptance } from "./attempts";
import type { Db } from "./client";
import { recoveryCodes, sessions, users } from "./schema";

/** A stored code: the key and digest it is checked with. */
export interface StoredRecoveryCode {
  id: number;
  salt: string;
  hash: string;
}

/** What a recovery needs of the user a typed name means, read in one round trip with their codes. */
export interface RecoveryCandidate {
  username: string;
  usernameKey: string;
  ciphertext: string;
  codes: StoredRecoveryCode[];
}

export async function findRecoveryCandidate(db: Db, userId: number): Promise<RecoveryCandidate | null> {
  const [userRows, codes] = await db.batch([
    db
      .select({ username: users.username, usernameKey: users.usernameKey, ciphertext: users.secretCiphertext })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
    db
      .select({ id: recoveryCodes.id, salt: recoveryCodes.salt, hash: recoveryCodes.hash })
      .from(recoveryCodes)
      .where(eq(recoveryCodes.userId, userId)),
  ]);
  const user = userRows[0];
  return user ? { ...user, codes } : null;
}

/** The condition "this code still exists", for the guard of the write that spends it: a code works at most once. */
export function codeUnspent(userId: number, codeId: number): SQL {
  return sql`exists (select 1 from ${recoveryCodes} where ${recoveryCodes.id} = ${codeId} and ${recoveryCodes.userId} = ${userId})`;
}

/** The portal password still the one checked, and the portal login still not locked. */
export function portalLoginHolds(passwordHash: string, nowMs: number): SQL {
  return and(eq(users.passwordHash, passwordHash), lte(users.portalLockedUntil, nowMs))!;
}

/**
 * "The user's secret is now this ciphertext": a fresh ciphertext (random IV) is nobody else's, so
 * after the write that set it, in the same batch, this holds exactly when that write happened.
 */
function secretNow(userId: number, ciphertext: string): SQL {
  return sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.secretCiphertext} = ${ciphertext})`;
}

/** Deletes the user's set; with `secretIs`, only if the user's secret is that ciphertext (see secretNow). */
export function deleteRecoveryCodesStatement(db: Db, userId: number, secretIs?: string) {
  const after = secretIs === undefined ? undefined : secretNow(userId, secretIs);
  return db
    .delete(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), after))
    .returning({ id: recoveryCodes.id });
}

/** Ends the user's portal sessions once a recovery replaced the secret (see secretNow): a lost race ends nobody's. */
export function deletePortalSessionsStatement(db: Db, userId: number, secretIs: string) {
  return db.delete(sessions).where(and(eq(sessions.realm, "portal"), eq(sessions.subjectId, userId), secretNow(userId, secretIs)));
}

/** Clears the portal lock once a recovery re-enrolled the user (see secretNow). */
export function clearPortalLockStatement(db: Db, userId: number, secretIs: string) {
  return db
    .update(users)
    .set({ portalFailedAttempts: 0, portalLockedUntil: 0 })
    .where(and(eq(users.id, userId), eq(users.secretCiphertext, secretIs)));
}

/** A new set, in the batch that deletes the old one. */
export function insertRecoveryCodesStatement(db: Db, userId: number, codes: readonly { salt: string; hash: string }[], nowMs: number) {
  return db.insert(recoveryCodes).values(codes.map((code) => ({ userId, ...code, createdAt: nowMs })));
}

export async function countRecoveryCodes(db: Db, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  return row?.n ?? 0;
}

/** The logged-in user's password and portal lock, for a renewal of their set. */
export async function findPortalPassword(
  db: Db,
  userId: number,
): Promise<{ passwordHash: string | null; portalLockedUntil: number } | null> {
  const [row] = await db
    .select({ passwordHash: users.passwordHash, portalLockedUntil: users.portalLockedUntil })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row ?? null;
}

/**
 * Accepts a confirmed user's current code with validate's compare-and-set (stepAcceptance), for
 * the secret it was checked with: the code is spent for the API as well. False when the step was
 * taken, the user got locked or reset, or is gone.
 */
export async function acceptCurrentCode(db: Db, userId: number, ciphertext: string, accepted: Acceptance, nowMs: number): Promise<boolean> {
  const acceptance = stepAcceptance(accepted, nowMs);
  const rows = await db
    .update(users)
    .set(acceptance.set)
    .where(and(eq(users.id, userId), eq(users.secretCiphertext, ciphertext), isNotNull(users.confirmedAt), acceptance.condition))
    .returning({ id: users.id });
  return rows.length > 0;
}
