import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { type AuditEntry, auditFromRow } from "./audit";
import { resetAdminSet } from "./admin-accounts";
import type { Db } from "./client";
import { admins, loginClients, sessions } from "./schema";

// The admin CLI's statements (scripts/admin.ts; the console's are in admin-accounts.ts), one per change of an admin account. Each names
// the admin by name; the CLI runs them together with their audit entry and event in one D1 batch.

export const adminNamed = (name: string) => eq(admins.name, name);
/** The admin's id, as a query (also a subquery of the statements below). */
export const selectAdminId = (db: Db, name: string) => db.select({ id: admins.id }).from(admins).where(adminNamed(name));

/** A new admin with an enrolment link; nothing (and no id returned) when the name is taken. */
export function createAdminStatement(db: Db, name: string, linkHash: string, expiresAt: number) {
  return db
    .insert(admins)
    .values({ name, enrolTokenHash: linkHash, enrolExpiresAt: expiresAt })
    .onConflictDoNothing({ target: admins.name })
    .returning({ id: admins.id });
}

/** Clears the password and second factor, lifts locks and the disabling, and opens a new enrolment link. */
export function resetAdminStatement(db: Db, name: string, linkHash: string, expiresAt: number) {
  return db.update(admins).set(resetAdminSet(linkHash, expiresAt)).where(adminNamed(name)).returning({ id: admins.id });
}

/** Disables an enabled admin (Unix seconds) and closes any enrolment link. */
export function disableAdminStatement(db: Db, name: string) {
  return db
    .update(admins)
    .set({ disabledAt: sql`unixepoch()`, enrolTokenHash: null, enrolExpiresAt: null })
    .where(and(adminNamed(name), isNull(admins.disabledAt)))
    .returning({ id: admins.id });
}

/** Lifts the account's own lock. */
export function unlockAdminStatement(db: Db, name: string) {
  return db.update(admins).set({ failedAttempts: 0, lockedUntil: 0 }).where(adminNamed(name)).returning({ id: admins.id });
}

const adminClients = (db: Db, name: string) =>
  and(eq(loginClients.realm, "admin"), inArray(loginClients.subjectId, selectAdminId(db, name)));

/** Lifts every address's lock on the admin (a stranger's failures can lock addresses the admin never used). */
export function unlockAdminClientsStatement(db: Db, name: string) {
  return db.update(loginClients).set({ failedAttempts: 0, lockedUntil: 0 }).where(adminClients(db, name));
}

/** Forgets the admin's counts per address (src/db/login-clients.ts): new credentials start with none, and no trusted address. */
export function forgetAdminClientsStatement(db: Db, name: string) {
  return db.delete(loginClients).where(adminClients(db, name));
}

export function endAdminSessionsStatement(db: Db, name: string) {
  return db.delete(sessions).where(and(eq(sessions.realm, "admin"), inArray(sessions.subjectId, selectAdminId(db, name))));
}

/** Whether the statement just before changed a row (SQLite's `changes()`): the batch's audit and event follow only a change. */
export const changedJustBefore = sql`changes() = 1`;

/** The audit entry of an admin change, written only if the statement just before changed a row. */
export function auditAdminChangeStatement(db: Db, entry: Omit<AuditEntry, "target">, name: string, guard: SQL = changedJustBefore) {
  // The CLI has no client address.
  return auditFromRow(db, { ...entry, target: sql`${`admin ${name}`}`, client: null }, admins, and(adminNamed(name), guard));
}

/** The admin CLI's list (keys named as wrangler prints them, so computed ones need an alias): state columns, and how many addresses are locked out of each admin at `nowMs`. */
export function listAdminsStatement(db: Db, nowMs: number) {
  const lockedClients = db
    .select({ n: sql<number>`count(*)` })
    .from(loginClients)
    .where(and(eq(loginClients.realm, "admin"), eq(loginClients.subjectId, admins.id), gt(loginClients.lockedUntil, nowMs)));
  return db
    .select({
      name: admins.name,
      created_at: admins.createdAt,
      enrolled: sql<number>`${admins.totpCiphertext} is not null`.as("enrolled"),
      enrol_expires_at: admins.enrolExpiresAt,
      disabled_at: admins.disabledAt,
      locked_until: admins.lockedUntil,
      locked_clients: sql<number>`(${lockedClients})`.as("locked_clients"),
    })
    .from(admins)
    .orderBy(asc(admins.name));
}
