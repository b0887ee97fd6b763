import { and, desc, eq, gte, like, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { type admins, type apiKeys, auditLog, type AuditRow, users } from "./schema";

/**
 * Why a refusal was refused, as the trail stores and shows it: every refusal the Worker records
 * names one of these, and only these.
 */
export const AUDIT_REASONS = {
  unknownName: "no admin by that name",
  disabled: "admin disabled",
  notEnrolled: "admin not enrolled yet",
  locked: "login locked",
  wrongCredentials: "wrong password or code",
  secretUnreadable: "second factor cannot be read (key missing)",
  changedMeanwhile: "changed meanwhile by another request",
  wrongKey: "API key not valid",
  recoveryRefused: "wrong password or recovery code",
  self: "an admin cannot disable themselves",
  alreadyDisabled: "admin already disabled",
  lastAdmin: "the last active admin cannot be disabled",
} as const;
export type AuditReason = (typeof AUDIT_REASONS)[keyof typeof AUDIT_REASONS];

/** An entry of its own (count 1, no aggregate); the client address and the reason are optional. */
export type AuditEntry = Omit<AuditRow, "id" | "count" | "aggregate" | "client" | "reason"> & {
  client?: string | null;
  reason?: AuditReason | null;
};

/** An audit entry as a statement, to commit in the same batch as the action it records. */
export function insertAudit(db: Db, entry: AuditEntry) {
  return db.insert(auditLog).values(entry);
}

/** What the trail can be narrowed to; every field is optional, and they combine with AND. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  /** A part of the target's label ("user 12", "alice", "key 3"). */
  target?: string;
  outcome?: AuditRow["outcome"];
  /** Unix milliseconds, inclusive. */
  from?: number;
  /** Unix milliseconds, exclusive. */
  until?: number;
}

/** `like` with the filter's text taken literally (%, _ and \ are not wildcards). */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filterCondition(filter: AuditFilter, beforeId?: number): SQL | undefined {
  return and(
    beforeId === undefined ? undefined : lt(auditLog.id, beforeId),
    filter.actor === undefined ? undefined : eq(auditLog.actor, filter.actor),
    filter.action === undefined ? undefined : eq(auditLog.action, filter.action),
    filter.target === undefined ? undefined : sql`${like(auditLog.target, contains(filter.target))} escape '\\'`,
    filter.outcome === undefined ? undefined : eq(auditLog.outcome, filter.outcome),
    filter.from === undefined ? undefined : gte(auditLog.at, filter.from),
    filter.until === undefined ? undefined : lt(auditLog.at, filter.until),
  );
}

/** Newest first, keyset-paged by id: `beforeId` is the last id of the previous page. */
export function listAudit(db: Db, limit: number, beforeId?: number, filter: AuditFilter = {}): Promise<AuditRow[]> {
  return db.select().from(auditLog).where(filterCondition(filter, beforeId)).orderBy(desc(auditLog.id)).limit(limit);
}

/** The names that appear as actors, for the filter's choices (admins, "cli", "portal", API keys). */
export async function auditActors(db: Db): Promise<string[]> {
  const rows = await db.selectDistinct({ actor: auditLog.actor }).from(auditLog).orderBy(auditLog.actor).limit(200);
  return rows.map((row) => row.actor);
}

/**
 * Counts `count` events into the one row of their aggregate (created by the first): a flood of
 * refused logins under unknown names, or of wrong API keys, is a row per client and window.
 */
export function countAudit(db: Db, entry: AuditEntry, aggregate: string, count = 1) {
  return db
    .insert(auditLog)
    .values({ ...entry, count, aggregate })
    .onConflictDoUpdate({ target: auditLog.aggregate, set: { count: sql`${auditLog.count} + excluded.count` } });
}

/** An entry whose fields may be SQL read from the row it is about (see auditFromRow). */
export interface RowAuditEntry {
  at: number;
  actor: string | SQL;
  action: string;
  target: SQL;
  outcome: AuditRow["outcome"] | SQL;
  client: string | null;
  reason?: AuditReason | SQL | null;
}

/**
 * An entry about the row of `from` matching `where`, written only if that row exists when the
 * statement runs: placed before the write it records, under the write's own condition, it is
 * written exactly when the write happens (a batch is one transaction).
 */
export function auditFromRow(db: Db, entry: RowAuditEntry, from: typeof users | typeof admins | typeof apiKeys, where: SQL | undefined) {
  return db.insert(auditLog).select(
    db
      .select({
        id: sql<null>`null`.as("id"),
        at: sql<number>`${entry.at}`.as("at"),
        actor: sql<string>`${entry.actor}`.as("actor"),
        action: sql<string>`${entry.action}`.as("action"),
        target: sql<string>`${entry.target}`.as("target"),
        outcome: sql<string>`${entry.outcome}`.as("outcome"),
        count: sql<number>`1`.as("count"),
        aggregate: sql<null>`null`.as("aggregate"),
        client: sql<string | null>`${entry.client}`.as("client"),
        reason: sql<string | null>`${entry.reason ?? null}`.as("reason"),
      })
      .from(from)
      .where(where),
  );
}

/** An entry about the user row matching `where` ("user 12 alice@example.com"), see auditFromRow. */
export function userAuditStatement(db: Db, entry: Omit<RowAuditEntry, "target">, where: SQL) {
  return auditFromRow(db, { ...entry, target: sql`'user ' || ${users.id} || ' ' || ${users.username}` }, users, where);
}
