import { and, eq, gt, isNull, lt, lte } from "drizzle-orm";
import type { LockoutPolicy } from "../config";
import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { countFailure } from "./lockout";
import { admins } from "./schema";

/** What a login needs to know of an admin, read in one query. */
export interface AdminLogin {
  id: number;
  name: string;
  /** Null until enrolled. */
  passwordHash: string | null;
  /** Null until enrolled. */
  totp: Sealed | null;
  lastStep: number;
  lockedUntil: number;
  disabled: boolean;
}

export async function findAdminLogin(db: Db, name: string): Promise<AdminLogin | null> {
  const [row] = await db.select().from(admins).where(eq(admins.name, name)).limit(1);
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.passwordHash,
    totp: row.totpCiphertext && row.totpKeyId ? { ciphertext: row.totpCiphertext, keyId: row.totpKeyId } : null,
    lastStep: row.lastStep,
    lockedUntil: row.lockedUntil,
    disabled: row.disabledAt !== null,
  };
}

/** The still-usable enrolment link with this token hash: not used, not expired, admin not disabled. */
function openEnrolment(tokenHash: string, nowMs: number) {
  return and(eq(admins.enrolTokenHash, tokenHash), gt(admins.enrolExpiresAt, nowMs), isNull(admins.disabledAt));
}

export async function findEnrolment(db: Db, tokenHash: string, nowMs: number): Promise<{ id: number; name: string } | null> {
  const [row] = await db.select({ id: admins.id, name: admins.name }).from(admins).where(openEnrolment(tokenHash, nowMs)).limit(1);
  return row ?? null;
}

/**
 * Completes an enrolment and spends its link in one conditional statement: of two concurrent
 * submissions of the same link, one enrols and the other finds the link used. The confirming
 * code's step counts as accepted, so that code cannot also log in.
 */
export function completeEnrolment(db: Db, tokenHash: string, nowMs: number, passwordHash: string, totp: Sealed, step: number) {
  return db
    .update(admins)
    .set({
      passwordHash,
      totpCiphertext: totp.ciphertext,
      totpKeyId: totp.keyId,
      lastStep: step,
      failedAttempts: 0,
      lockedUntil: 0,
      enrolTokenHash: null,
      enrolExpiresAt: null,
    })
    .where(openEnrolment(tokenHash, nowMs))
    .returning({ id: admins.id, name: admins.name });
}

/**
 * A login's compare-and-set: accepted only if the code's step is new, the admin is not locked or
 * disabled, and the TOTP secret is still the one the code was checked with (not reset meanwhile).
 */
export function acceptAdminLogin(db: Db, admin: AdminLogin, step: number, nowMs: number) {
  return db
    .update(admins)
    .set({ lastStep: step, failedAttempts: 0, lockedUntil: 0 })
    .where(
      and(
        eq(admins.id, admin.id),
        lt(admins.lastStep, step),
        lte(admins.lockedUntil, nowMs),
        isNull(admins.disabledAt),
        eq(admins.totpCiphertext, admin.totp?.ciphertext ?? ""),
      ),
    )
    .returning({ id: admins.id });
}

/** Counts a failed login while the admin is not locked (the same arithmetic as validate). */
export function countAdminFailure(db: Db, adminId: number, nowMs: number, policy: LockoutPolicy) {
  const failure = countFailure(admins.failedAttempts, admins.lockedUntil, nowMs, policy);
  return db
    .update(admins)
    .set({ failedAttempts: failure.attempts, lockedUntil: failure.lockedUntil })
    .where(and(eq(admins.id, adminId), lte(admins.lockedUntil, nowMs)));
}
