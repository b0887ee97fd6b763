import { and, asc, desc, eq, getTableColumns, gt, or, type SQL, sql } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import type { Sealed } from "../crypto/secret-box";
import { DEFAULT_TOKEN, type TokenParams } from "../otp/totp";
import { tokenColumns, tokenOf } from "./attempts";
import { AUDIT_REASONS, type AuditEntry } from "./audit";
import type { Db } from "./client";
import { type AuditRow, auditLog, recoveryCodes, users } from "./schema";

/** Keys from `from` (inclusive) to `to` (exclusive; none: to the end), in SQLite's BINARY order. */
export interface KeyRange {
  from: string;
  to?: string;
}

/** Where the locked list continues: after this lock end and id (it is ordered by both, newest lock first). */
export interface LockCursor {
  lockedUntil: number;
  id: number;
}

/**
 * What the console's user list shows. "name": ordered by username_key, read as ranges of its
 * UNIQUE index (one per prefix form, merged by SQLite). "locked": users whose code lock (not the
 * portal lock, which has no index) runs past `nowMs`, read as a range of users_locked_until.
 */
export type UserListQuery =
  | { order: "name"; ranges: readonly KeyRange[]; after?: string; limit: number }
  | { order: "locked"; nowMs: number; ranges: readonly KeyRange[]; after?: LockCursor; limit: number };

const listFields = {
  id: users.id,
  username: users.username,
  usernameKey: users.usernameKey,
  createdAt: users.createdAt,
  confirmedAt: users.confirmedAt,
  lockedUntil: users.lockedUntil,
  portalLockedUntil: users.portalLockedUntil,
};

export type UserListRow = { [K in keyof typeof listFields]: (typeof users.$inferSelect)[K] };

/** `plain`: compared as `+username_key`, which SQLite does not look up in the key's index. */
function inRange(range: KeyRange, plain = false): SQL {
  const key = plain ? sql`+${users.usernameKey}` : sql`${users.usernameKey}`;
  return range.to === undefined ? sql`${key} >= ${range.from}` : sql`(${key} >= ${range.from} and ${key} < ${range.to})`;
}

/**
 * The list's one query, at most `limit` rows (the caller asks one more than a page to know whether
 * there is a next one). Never OFFSET: a page starts after the previous page's last key.
 */
export function userListQuery(db: Db, query: UserListQuery) {
  if (query.order === "locked") {
    // Names are only a filter here: the lock index gives the order, so SQLite must not pick the name index.
    const after = query.after && sql`(${users.lockedUntil}, ${users.id}) < (${query.after.lockedUntil}, ${query.after.id})`;
    return db
      .select(listFields)
      .from(users)
      .where(and(gt(users.lockedUntil, query.nowMs), or(...query.ranges.map((r) => inRange(r, true))), after))
      .orderBy(desc(users.lockedUntil), desc(users.id))
      .limit(query.limit);
  }
  const after = query.after === undefined ? undefined : gt(users.usernameKey, query.after);
  const side = (range: KeyRange | undefined) =>
    db
      .select(listFields)
      .from(users)
      .where(and(range && inRange(range), after));
  const [first, second, ...more] = query.ranges;
  if (second === undefined) return side(first).orderBy(asc(users.usernameKey)).limit(query.limit);
  // UNION under ORDER BY … LIMIT: SQLite merges the ordered index ranges and stops at the limit.
  return union(side(first), side(second), ...more.map(side))
    .orderBy(asc(users.usernameKey))
    .limit(query.limit);
}

export function listUsers(db: Db, query: UserListQuery): Promise<UserListRow[]> {
  return userListQuery(db, query);
}

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
      keyId: users.secretKeyId,
      lastStep: users.lastStep,
      tokenSerial: users.tokenSerial,
      ...tokenColumns,
    })
    .from(users)
    .where(eq(users.id, id))
    .limit(1);
  if (!row) return null;
  const { ciphertext, keyId, hasPassword, algorithm, digits, period, ...rest } = row;
  return { ...rest, hasPassword: hasPassword === 1, secret: { ciphertext, keyId }, token: tokenOf({ algorithm, digits, period }) };
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
      secretKeyId: secret.keyId,
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
