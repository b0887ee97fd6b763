import { desc, lt } from "drizzle-orm";
import type { Db } from "./client";
import { auditLog, type AuditRow } from "./schema";

export type AuditEntry = Omit<AuditRow, "id">;

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
