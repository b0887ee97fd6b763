import { desc, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { auditLog, type AuditRow } from "./schema";

/** An entry of its own (count 1, no aggregate). */
export type AuditEntry = Omit<AuditRow, "id" | "count" | "aggregate">;

/** An audit entry as a statement, to commit in the same batch as the action it records. */
export function insertAudit(db: Db, entry: AuditEntry) {
  return db.insert(auditLog).values(entry);
}

/** Newest first, keyset-paged by id: `beforeId` is the last id of the previous page. */
export function listAudit(db: Db, limit: number, beforeId?: number): Promise<AuditRow[]> {
  return db
    .select()
    .from(auditLog)
    .where(beforeId === undefined ? undefined : lt(auditLog.id, beforeId))
    .orderBy(desc(auditLog.id))
    .limit(limit);
}

/**
 * Counts an event into the one row of its aggregate (created by the first event): a flood of
 * refused logins under unknown names is a row per client and hour, not a row each.
 */
export function countAudit(db: Db, entry: AuditEntry, aggregate: string) {
  return db
    .insert(auditLog)
    .values({ ...entry, count: 1, aggregate })
    .onConflictDoUpdate({ target: auditLog.aggregate, set: { count: sql`${auditLog.count} + 1` } });
}
