import { and, eq, gt, isNull, lt, lte, type SQL } from "drizzle-orm";
import type { LockoutPolicy } from "./lockout";
import type { Sealed } from "../crypto/secret-box";
import type { Db } from "./client";
import { countFailure } from "./lockout";
import { clientMayLogIn, clientStandingColumns } from "./login-clients";
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
  /** The account's own lock (src/domain/login-limits.ts): for clients that never logged in. */
  accountLockedUntil: number;
  disabled: boolean;
  /** This client's lock on this admin; null: it never failed here. */
  clientLockedUntil: number | null;
  /** When this client last logged in as this admin; null: never. */
  clientTrustedAt: number | null;
}

/** The admin with this name and where `client` stands with them, in one query. */
export async function findAdminLogin(db: Db, name: string, client: string): Promise<AdminLogin | null> {
  const [row] = await db
    .select({ admin: admins, ...clientStandingColumns("admin", admins.id, client) })
    .from(admins)
    .where(eq(admins.name, name))
    .limit(1);
  if (!row) return null;
  const { admin } = row;
  return {
    id: admin.id,
    name: admin.name,
    passwordHash: admin.passwordHash,
    totp: admin.totpCiphertext && admin.totpKeyId ? { ciphertext: admin.totpCiphertext, sealKeyId: admin.totpKeyId } : null,
    lastStep: admin.lastStep,
    accountLockedUntil: admin.lockedUntil,
    disabled: admin.disabledAt !== null,
    clientLockedUntil: row.clientLockedUntil,
    clientTrustedAt: row.clientTrustedAt,
  };
}

/** The still-usable enrolment link with this token hash: not used, not expired, admin not disabled. */
export function openEnrolment(tokenHash: string, nowMs: number) {
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
      totpKeyId: totp.sealKeyId,
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
 * A login's compare-and-set: accepted only if the code's step is new, the client is not locked
 * out (by its own count, or by the account's unless it is trusted), the admin is not disabled, and
 * the TOTP secret is still the one the code was checked with (not reset meanwhile).
 */
export function acceptAdminLogin(db: Db, admin: AdminLogin, client: string, step: number, nowMs: number) {
  return db
    .update(admins)
    .set({ lastStep: step, failedAttempts: 0, lockedUntil: 0 })
    .where(
      and(
        eq(admins.id, admin.id),
        lt(admins.lastStep, step),
        clientMayLogIn("admin", admins.id, admins.lockedUntil, admin, client, nowMs),
        isNull(admins.disabledAt),
        eq(admins.totpCiphertext, admin.totp?.ciphertext ?? ""),
      ),
    )
    .returning({ id: admins.id });
}

/** Counts a failed login on the admin's own count while it is not locked (src/domain/login-limits.ts gives the policy). */
export function countAdminFailure(db: Db, adminId: number, nowMs: number, policy: LockoutPolicy, guard?: SQL) {
  const failure = countFailure(admins.failedAttempts, admins.lockedUntil, nowMs, policy);
  return db
    .update(admins)
    .set({ failedAttempts: failure.attempts, lockedUntil: failure.lockedUntil })
    .where(and(eq(admins.id, adminId), lte(admins.lockedUntil, nowMs), guard));
}
