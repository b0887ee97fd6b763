import { and, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { Sealed } from "../crypto/secret-box";
import { DEFAULT_TOKEN, type TokenParams } from "../otp/totp";
import { tokenColumns, tokenParamsOf } from "./token-params";
import { AUDIT_REASONS, type AuditEntry } from "./audit";
import type { Db } from "./client";
import { type AuditRow, auditLog, recoveryCodes, users } from "./schema";

/** Everything the console shows of one user, and the sealed secret; never the password hash. */
export interface ConsoleUserRow {
  id: number;
  username: string;
  usernameKey: string;
  phone: string | null;
  email: string | null;
  createdAt: number;
  confirmedAt: number | null;
  lastSuccessAt: number | null;
  failedAttempts: number;
  lockedUntil: number;
  portalFailedAttempts: number;
  portalLockedUntil: number;
  hasPassword: boolean;
  /** Recovery codes that still work (src/db/recovery-codes.ts). */
  recoveryCodes: number;
  secret: Sealed;
  token: TokenParams;
  /** Steps, see src/db/schema.ts totp_drift. */
  drift: number;
  lastStep: number;
  /** The hardware token the user holds (assigned from the inventory, or imported with its serial). */
  tokenSerial: string | null;
}

export async function findConsoleUser(db: Db, id: number): Promise<ConsoleUserRow | null> {
  const [row] = await db
    .select({
      id: users.id,
      username: users.username,
      usernameKey: users.usernameKey,
      phone: users.phone,
      email: users.email,
      createdAt: users.createdAt,
      confirmedAt: users.confirmedAt,
      lastSuccessAt: users.lastSuccessAt,
      failedAttempts: users.failedAttempts,
      lockedUntil: users.lockedUntil,
      portalFailedAttempts: users.portalFailedAttempts,
      portalLockedUntil: users.portalLockedUntil,
      hasPassword: sql<number>`${users.passwordHash} is not null`,
      recoveryCodes: sql<number>`(select count(*) from ${recoveryCodes} as rc where rc.user_id = ${users}.id)`,
      ciphertext: users.secretCiphertext,
      sealKeyId: users.secretKeyId,
      lastStep: users.lastStep,
      tokenSerial: users.tokenSerial,
      ...tokenColumns,
    })
    .from(users)
    .where(eq(users.id, id))
    .limit(1);
  if (!row) return null;
  const { ciphertext, sealKeyId, hasPassword, algorithm, digits, period, ...rest } = row;
  return {
    ...rest,
    hasPassword: hasPassword === 1,
    secret: { ciphertext, sealKeyId },
    token: tokenParamsOf({ algorithm, digits, period }),
  };
}

/**
 * The state an action was confirmed on: the user still exists and, for a reset or a delete, still
 * has the secret the admin saw. Each write below happens only while it holds, and so does its
 * audit entry's "ok" (auditActionStatement).
 */
export interface UserGuard {
  id: number;
  ciphertext?: string;
  /** What else the write needs (a resync: validate's acceptance condition). */
  condition?: SQL;
}

/** The guard as a WHERE condition on the user's row. */
export function holds(guard: UserGuard): SQL {
  return and(
    eq(users.id, guard.id),
    guard.ciphertext === undefined ? undefined : eq(users.secretCiphertext, guard.ciphertext),
    guard.condition,
  )!;
}

/**
 * The audit entry of an action: `done` ("ok", or "failed" for a resync's wrong codes, which are
 * counted) if `guard` holds, else "refused" (the action will do nothing). It must come before the
 * action's write in the same batch: a batch is one transaction, so the guard cannot change in
 * between, and the entry says exactly whether the write happened.
 */
export function auditActionStatement(db: Db, entry: Omit<AuditEntry, "outcome">, guard: UserGuard, done: "ok" | "failed" = "ok") {
  const values: { [K in keyof AuditRow]: SQL } = {
    id: sql`null`,
    at: sql`${entry.at}`,
    actor: sql`${entry.actor}`,
    action: sql`${entry.action}`,
    target: sql`${entry.target}`,
    outcome: sql`case when exists (select 1 from ${users} where ${holds(guard)}) then ${done} else 'refused' end`,
    count: sql`1`,
    aggregate: sql`null`,
    client: sql`${entry.client ?? null}`,
    reason: sql`case when exists (select 1 from ${users} where ${holds(guard)}) then null else ${AUDIT_REASONS.changedMeanwhile} end`,
  };
  // INSERT … SELECT lists every column in the table's order (a new column fails to compile above).
  const columns = Object.keys(getTableColumns(auditLog)) as (keyof AuditRow)[];
  return db.insert(auditLog).select(
    sql`select ${sql.join(
      columns.map((column) => values[column]),
      sql`, `,
    )}`,
  );
}

export const idOnly = { id: users.id };

/** Clears both locks and both failure counts. */
export function unlockStatement(db: Db, guard: UserGuard) {
  return db
    .update(users)
    .set({ failedAttempts: 0, lockedUntil: 0, portalFailedAttempts: 0, portalLockedUntil: 0 })
    .where(holds(guard))
    .returning(idOnly);
}

/** A new local password, and the portal lock that wrong passwords may have set is lifted. */
export function setPasswordStatement(db: Db, guard: UserGuard, passwordHash: string) {
  return db.update(users).set({ passwordHash, portalFailedAttempts: 0, portalLockedUntil: 0 }).where(holds(guard)).returning(idOnly);
}

/**
 * Replaces the secret, guarded by the old ciphertext (a compare-and-set: of two resets that
 * confirmed the same secret, one wins). Every write of validate is guarded by the ciphertext its
 * code was checked with, so once this commits no code of the old secret is accepted. The user is
 * unconfirmed again (the portal lets them enrol), with no replay step and no lock of their codes.
 * The new secret is for an authenticator app, so it gets createuser's parameters and no drift
 * (a hardware token's seed cannot be replaced: an imported token's user moves to an app).
 */
export function replaceSecretStatement(db: Db, guard: Required<Pick<UserGuard, "id" | "ciphertext">>, secret: Sealed) {
  return db
    .update(users)
    .set({
      secretCiphertext: secret.ciphertext,
      secretKeyId: secret.sealKeyId,
      lastStep: -1,
      confirmedAt: null,
      failedAttempts: 0,
      lockedUntil: 0,
      totpAlgorithm: DEFAULT_TOKEN.algorithm,
      totpDigits: DEFAULT_TOKEN.digits,
      totpPeriod: DEFAULT_TOKEN.period,
      totpDrift: 0,
    })
    .where(holds(guard))
    .returning(idOnly);
}

/** Deletes the user, guarded by the secret the admin confirmed deleting. */
export function deleteUserStatement(db: Db, guard: Required<Pick<UserGuard, "id" | "ciphertext">>) {
  return db.delete(users).where(holds(guard)).returning(idOnly);
}
