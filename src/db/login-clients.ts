import { and, eq, gt, isNull, lt, lte, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { LockoutPolicy } from "./lockout";
import type { Db } from "./client";
import { countFailure, firstFailure } from "./lockout";
import { loginClients } from "./schema";

export type LoginRealm = (typeof loginClients.$inferSelect)["realm"];

/** A client quiet this long starts afresh (its row is dropped), unless it once logged in. */
const QUIET_CLIENT_MS = 24 * 3_600_000;

function clientRow(realm: LoginRealm, subjectId: SQLiteColumn | number, client: string) {
  return and(eq(loginClients.realm, realm), eq(loginClients.subjectId, subjectId), eq(loginClients.client, client));
}

/**
 * The client's lock and trust on an account, as columns of the account's own lookup (`subjectId`
 * is the account's id column), so that a login still reads everything in one round trip.
 */
export function clientStandingColumns(realm: LoginRealm, subjectId: SQLiteColumn, client: string) {
  const where = clientRow(realm, subjectId, client);
  return {
    clientLockedUntil: sql<number | null>`(select ${loginClients.lockedUntil} from ${loginClients} where ${where})`,
    clientTrustedAt: sql<number | null>`(select ${loginClients.trustedAt} from ${loginClients} where ${where})`,
  };
}

/**
 * For a login's compare-and-set: the client is not locked out of the account now, neither by its
 * own count nor, unless it is trusted there, by the account's (`accountLockedUntil`, its column).
 */
export function clientMayLogIn(
  realm: LoginRealm,
  subjectId: SQLiteColumn,
  accountLockedUntil: SQLiteColumn,
  login: { clientTrustedAt: number | null },
  client: string,
  nowMs: number,
): SQL {
  return and(
    clientNotLocked(realm, subjectId, client, nowMs),
    login.clientTrustedAt === null ? lte(accountLockedUntil, nowMs) : undefined,
  )!;
}

/** This client is not locked out of the account by its own count now. */
export function clientNotLocked(realm: LoginRealm, subjectId: SQLiteColumn | number, client: string, nowMs: number): SQL {
  return sql`not exists (select 1 from ${loginClients} where ${and(clientRow(realm, subjectId, client), gt(loginClients.lockedUntil, nowMs))})`;
}

/**
 * Counts one failure of this client on this account while the client is not locked there
 * (src/db/lockout.ts): the first failure inserts the row, later ones update it.
 */
export function countClientFailure(db: Db, realm: LoginRealm, subjectId: number, client: string, nowMs: number, policy: LockoutPolicy) {
  const first = firstFailure(nowMs, policy);
  const next = countFailure(loginClients.failedAttempts, loginClients.lockedUntil, nowMs, policy);
  return db
    .insert(loginClients)
    .values({ realm, subjectId, client, failedAttempts: first.attempts, lockedUntil: first.lockedUntil, lastFailureAt: nowMs })
    .onConflictDoUpdate({
      target: [loginClients.realm, loginClients.subjectId, loginClients.client],
      set: { failedAttempts: next.attempts, lockedUntil: next.lockedUntil, lastFailureAt: nowMs },
      setWhere: lte(loginClients.lockedUntil, nowMs),
    });
}

/** A successful login: the client's count is cleared, and it is trusted on this account from now on. */
export function trustClient(db: Db, realm: LoginRealm, subjectId: number, client: string, nowMs: number) {
  return db
    .insert(loginClients)
    .values({ realm, subjectId, client, trustedAt: nowMs })
    .onConflictDoUpdate({
      target: [loginClients.realm, loginClients.subjectId, loginClients.client],
      set: { failedAttempts: 0, lockedUntil: 0, trustedAt: nowMs },
    });
}

/** Lifts every client's lock on the account (an unlock); which clients are trusted stays. */
export function unlockClients(db: Db, realm: LoginRealm, subjectId: number) {
  return db
    .update(loginClients)
    .set({ failedAttempts: 0, lockedUntil: 0 })
    .where(and(eq(loginClients.realm, realm), eq(loginClients.subjectId, subjectId)));
}

/** Forgets the account's clients, trusted ones included (the account deleted), only while `guard` holds when given. */
export function forgetClients(db: Db, realm: LoginRealm, subjectId: number | SQL, guard?: SQL) {
  return db.delete(loginClients).where(and(eq(loginClients.realm, realm), eq(loginClients.subjectId, subjectId), guard));
}

/** Drops the rows of clients that never logged in and failed nothing for a day (run at each successful login). */
export function pruneQuietClients(db: Db, nowMs: number) {
  return db
    .delete(loginClients)
    .where(
      and(isNull(loginClients.trustedAt), lt(loginClients.lastFailureAt, nowMs - QUIET_CLIENT_MS), lte(loginClients.lockedUntil, nowMs)),
    );
}
