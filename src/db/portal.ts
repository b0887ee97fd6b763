import { and, eq, inArray, isNull, lte, type SQL, sql } from "drizzle-orm";
import type { LockoutPolicy } from "./lockout";
import type { Db } from "./client";
import type { TokenParams } from "../otp/totp";
import { type Acceptance, stepAcceptance } from "./attempts";
import { tokenColumns, tokenParamsOf } from "./token-params";
import { countFailure } from "./lockout";
import { clientMayLogIn, clientStandingColumns } from "./login-clients";
import { actorJson, type EventHead, userEventStatement } from "./outbox";
import { users } from "./schema";
import type { UserSecret } from "./users";

/** What a portal login needs to know of the user a typed name means, and where the client stands with them. */
export interface PortalLogin {
  id: number;
  /** Null until api.php changelocaluserpassword set one. */
  passwordHash: string | null;
  /** The portal's own count (src/domain/login-limits.ts): for clients that never logged in. */
  accountLockedUntil: number;
  clientLockedUntil: number | null;
  clientTrustedAt: number | null;
}

/** The user named by the first of `keys` that exists (the name as written wins over the phone number it spells). */
export async function findPortalLogin(db: Db, keys: readonly string[], client: string): Promise<PortalLogin | null> {
  const [row] = await db
    .select({
      id: users.id,
      passwordHash: users.passwordHash,
      accountLockedUntil: users.portalLockedUntil,
      ...clientStandingColumns("portal", users.id, client),
    })
    .from(users)
    .where(inArray(users.usernameKey, [...keys]))
    .orderBy(sql`${users.usernameKey} = ${keys[0]} desc`)
    .limit(1);
  return row ?? null;
}

/**
 * Counts a wrong portal password while the portal login is not locked: the shared lockout
 * arithmetic on the portal's own columns, so the OTP lock (failed_attempts, locked_until) never moves.
 */
export function countPortalFailure(db: Db, userId: number, nowMs: number, policy: LockoutPolicy, guard?: SQL) {
  const failure = countFailure(users.portalFailedAttempts, users.portalLockedUntil, nowMs, policy);
  return db
    .update(users)
    .set({ portalFailedAttempts: failure.attempts, portalLockedUntil: failure.lockedUntil })
    .where(and(eq(users.id, userId), lte(users.portalLockedUntil, nowMs), guard));
}

/**
 * A right password's compare-and-set: clears the portal count only if the client is still not
 * locked out (by its own count, or by the account's unless trusted) and the password is still the
 * one just checked. True when it did; only then may a session start.
 */
export async function acceptPortalLogin(db: Db, login: PortalLogin, passwordHash: string, client: string, nowMs: number): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ portalFailedAttempts: 0, portalLockedUntil: 0 })
    .where(
      and(
        eq(users.id, login.id),
        eq(users.passwordHash, passwordHash),
        clientMayLogIn("portal", users.id, users.portalLockedUntil, login, client, nowMs),
      ),
    )
    .returning({ id: users.id });
  return rows.length > 0;
}

/** A user's secret and enrolment state, as the portal page and hashqr read it on every request. */
export interface UserEnrolment extends UserSecret {
  /** Unix seconds of the first accepted code; null: not confirmed. */
  confirmedAt: number | null;
  lastStep: number;
  /** The OTP lock, shared with validate. */
  lockedUntil: number;
  token: TokenParams;
  /** The drift validate centres its window on (src/db/schema.ts, totp_drift). */
  drift: number;
}

export async function findUserEnrolment(db: Db, userId: number): Promise<UserEnrolment | null> {
  const [row] = await db
    .select({
      username: users.username,
      usernameKey: users.usernameKey,
      ciphertext: users.secretCiphertext,
      sealKeyId: users.secretKeyId,
      confirmedAt: users.confirmedAt,
      lastStep: users.lastStep,
      lockedUntil: users.lockedUntil,
      ...tokenColumns,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!row) return null;
  const { ciphertext, sealKeyId, algorithm, digits, period, ...rest } = row;
  return { ...rest, secret: { sealKeyId, ciphertext }, token: tokenParamsOf({ algorithm, digits, period }) };
}

/**
 * A wrong first code counts on the OTP lock exactly as validate's does: only while not locked,
 * and only for the secret the code was checked with (a reset meanwhile counts nothing). True when
 * it counted.
 */
export async function countCodeFailure(db: Db, userId: number, ciphertext: string, nowMs: number, policy: LockoutPolicy): Promise<boolean> {
  const failure = countFailure(users.failedAttempts, users.lockedUntil, nowMs, policy);
  const rows = await db
    .update(users)
    .set({ failedAttempts: failure.attempts, lockedUntil: failure.lockedUntil })
    .where(and(eq(users.id, userId), eq(users.secretCiphertext, ciphertext), lte(users.lockedUntil, nowMs)))
    .returning({ id: users.id });
  return rows.length > 0;
}

/**
 * Accepts the first code with validate's compare-and-set (stepAcceptance), for the secret it was
 * checked with, while the user is unconfirmed: the step is then spent for the API too. False when
 * the step was taken, the user got locked or confirmed, the secret was reset, or the user is gone.
 */
export async function acceptFirstCode(
  db: Db,
  userId: number,
  ciphertext: string,
  accepted: Acceptance,
  nowMs: number,
  event: EventHead,
): Promise<{ changed: boolean; eventRows: unknown[] }> {
  const acceptance = stepAcceptance(accepted, nowMs);
  const where = and(eq(users.id, userId), eq(users.secretCiphertext, ciphertext), isNull(users.confirmedAt), acceptance.condition)!;
  const [eventRows, rows] = await db.batch([
    // user.confirmed, under the acceptance's own condition and before it (docs/events.md).
    userEventStatement(db, event, actorJson({ type: "portal" }), where),
    db.update(users).set(acceptance.set).where(where).returning({ id: users.id }),
  ]);
  return { changed: rows.length > 0, eventRows };
}
