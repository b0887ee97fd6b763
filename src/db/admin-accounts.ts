import { and, asc, eq, isNotNull, isNull, ne, type SQL, sql } from "drizzle-orm";
import { AUDIT_REASONS, auditFromRow } from "./audit";
import type { Db } from "./client";
import { forgetClients } from "./login-clients";
import { actorJson, adminEventStatement, type EventHead } from "./outbox";
import { admins, auditLog } from "./schema";
import { deleteSessionsOf } from "./sessions";

/** An admin as the console's admins page shows them; never a hash or a secret. */
export interface AdminAccount {
  id: number;
  name: string;
  /** Unix seconds. */
  createdAt: number;
  /** Password and second factor set up. */
  enrolled: boolean;
  /** Unix ms until which an unused enrolment link works; null: none open. */
  enrolExpiresAt: number | null;
  /** Unix seconds; null: enabled. */
  disabledAt: number | null;
  /** Unix ms of the last successful login the audit trail keeps; null: none kept. */
  lastLoginAt: number | null;
}

function accountColumns() {
  return {
    id: admins.id,
    name: admins.name,
    createdAt: admins.createdAt,
    enrolled: sql<boolean>`${admins.totpCiphertext} is not null`.mapWith(Boolean),
    enrolExpiresAt: admins.enrolExpiresAt,
    disabledAt: admins.disabledAt,
    lastLoginAt: sql<
      number | null
    >`(select max(${auditLog.at}) from ${auditLog} where ${auditLog.actor} = ${admins.name} and ${auditLog.action} = 'login' and ${auditLog.outcome} = 'ok')`,
  };
}

export function listAdminAccounts(db: Db): Promise<AdminAccount[]> {
  return db.select(accountColumns()).from(admins).orderBy(asc(admins.name));
}

export async function findAdminAccount(db: Db, id: number): Promise<AdminAccount | null> {
  const [row] = await db.select(accountColumns()).from(admins).where(eq(admins.id, id)).limit(1);
  return row ?? null;
}

/** When and by whom a change is made, for its audit entry. */
export interface AdminChange {
  at: number;
  actor: string;
  client: string | null;
  /** The admin.changed event written with the change (docs/events.md). */
  event: EventHead;
}

const announce = (db: Db, change: AdminChange, what: string, where: SQL) =>
  adminEventStatement(db, change.event, actorJson({ type: "admin", name: change.actor }), what, where);

const adminLabel = sql`'admin ' || ${admins.name}`;

/** A new enrolment link for the admin: one statement, the link's hash as given, expiring at `expiresAt`. */
export function inviteStatements(db: Db, change: AdminChange, name: string, linkHash: string, expiresAt: number) {
  return [
    db
      .insert(admins)
      .values({ name, enrolTokenHash: linkHash, enrolExpiresAt: expiresAt })
      .onConflictDoNothing({ target: admins.name })
      .returning({ id: admins.id }),
    // The link's hash is new, so this row exists only if the insert just happened.
    auditFromRow(db, { ...change, action: "admin.create", target: adminLabel, outcome: "ok" }, admins, eq(admins.enrolTokenHash, linkHash)),
    announce(db, change, "invited", eq(admins.enrolTokenHash, linkHash)),
  ] as const;
}

/** What a reset sets (the console's and the CLI's): no password, no second factor, no lock, enabled, a new enrolment link. */
export const resetAdminSet = (linkHash: string, expiresAt: number) => ({
  passwordHash: null,
  totpCiphertext: null,
  totpKeyId: null,
  lastStep: -1,
  failedAttempts: 0,
  lockedUntil: 0,
  disabledAt: null,
  enrolTokenHash: linkHash,
  enrolExpiresAt: expiresAt,
});

/**
 * Clears the admin's password and second factor, enables them again and opens a new enrolment
 * link; their sessions and login counts go, in the same batch.
 */
export function resetStatements(db: Db, change: AdminChange, id: number, linkHash: string, expiresAt: number) {
  const happened = sql`exists (select 1 from ${admins} where ${and(eq(admins.id, id), eq(admins.enrolTokenHash, linkHash))})`;
  return [
    db.update(admins).set(resetAdminSet(linkHash, expiresAt)).where(eq(admins.id, id)).returning({ id: admins.id }),
    auditFromRow(db, { ...change, action: "admin.reset", target: adminLabel, outcome: "ok" }, admins, eq(admins.enrolTokenHash, linkHash)),
    announce(db, change, "reset", eq(admins.enrolTokenHash, linkHash)),
    deleteSessionsOf(db, "admin", id, happened),
    forgetClients(db, "admin", id, happened),
  ] as const;
}

/** Another admin who can log in (enabled and enrolled) exists besides `id`. */
const anotherActiveAdmin = (id: number) =>
  sql`exists (select 1 from "admins" as "other" where "other"."id" <> ${id} and "other"."disabled_at" is null and "other"."totp_ciphertext" is not null)`;

/**
 * Disables the admin unless it is the actor or the last active admin: the rule is the statement's
 * own condition, so two admins disabling each other at once cannot both succeed (a batch is one
 * transaction; the second sees the first's change). The audit entry comes first and says which
 * rule refused; the sessions end only if the admin is now disabled.
 */
export function disableStatements(db: Db, change: AdminChange & { actorId: number }, id: number) {
  const allowed = and(eq(admins.id, id), isNull(admins.disabledAt), ne(admins.id, change.actorId), anotherActiveAdmin(id))!;
  const reason: SQL = sql`case
    when ${allowed} then null
    when ${admins.id} = ${change.actorId} then ${AUDIT_REASONS.self}
    when ${admins.disabledAt} is not null then ${AUDIT_REASONS.alreadyDisabled}
    else ${AUDIT_REASONS.lastAdmin} end`;
  const outcome = sql`case when ${allowed} then 'ok' else 'refused' end`;
  return [
    auditFromRow(db, { ...change, action: "admin.disable", target: adminLabel, outcome, reason }, admins, eq(admins.id, id)),
    announce(db, change, "disabled", allowed),
    db
      .update(admins)
      .set({ disabledAt: Math.floor(change.at / 1000), enrolTokenHash: null, enrolExpiresAt: null })
      .where(allowed)
      .returning({ id: admins.id }),
    deleteSessionsOf(db, "admin", id, sql`exists (select 1 from ${admins} where ${and(eq(admins.id, id), isNotNull(admins.disabledAt))})`),
  ] as const;
}
