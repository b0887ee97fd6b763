import { and, inArray, isNotNull, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import type { SessionTimes } from "./sessions";
import { admins, auditLog, eventOutbox, loginClients, sessions, webhookDeliveries } from "./schema";
import { HOUR_MS, pruneCountsStatement } from "./validation-counts";

const DAY_MS = 86_400_000;
/** Events and their delivery records are kept this long after they were sent or settled: the console's "recent deliveries". */
const EVENT_DAYS = 30;
/** The overview charts 90 days of validation counts (src/routes/admin/overview.tsx); a few more are kept so a day is never cut short. */
const COUNT_DAYS = 100;

export interface RetentionPolicy {
  /** Audit rows older than this are deleted. */
  auditMs: number;
  sessions: SessionTimes;
  /** Rows of each kind one run deletes at most: a run stays short however large a backlog a flood left. */
  batch: number;
}

/**
 * What a scheduled run removes, as one D1 batch: rows that no request can use any more. Sessions
 * past their idle or absolute expiry (findLiveSession refuses them), enrolment links past their
 * expiry (cleared; the admin stays), audit rows older than the retention, and the login counts of
clients that never signed in, failed nothing for a day and are not locked (a flood from many
addresses leaves one such row per address and account), events sent and delivery records settled
more than EVENT_DAYS ago, and validation counts of hours more than COUNT_DAYS ago. Each DELETE takes
 * at most `batch` rows, chosen by rowid in a subselect (D1's SQLite has no DELETE … LIMIT).
 */
export function pruneStatements(db: Db, nowMs: number, policy: RetentionPolicy) {
  const rowid = sql<number>`rowid`;
  const oldest = (table: SQLiteTable, expired: ReturnType<typeof and>) =>
    db.select({ rowid }).from(table).where(expired).orderBy(rowid).limit(policy.batch);
  const expiredSession = or(
    lt(sessions.seenAt, nowMs - policy.sessions.idleMs),
    lt(sessions.createdAt, nowMs - policy.sessions.absoluteMs),
  );
  const expiredLink = and(isNotNull(admins.enrolTokenHash), lt(admins.enrolExpiresAt, nowMs));
  const eventsBefore = nowMs - EVENT_DAYS * DAY_MS;
  const quietStranger = and(
    isNull(loginClients.trustedAt),
    lt(loginClients.lastFailureAt, nowMs - DAY_MS),
    lte(loginClients.lockedUntil, nowMs),
  );
  return [
    db.delete(sessions).where(inArray(rowid, oldest(sessions, expiredSession))),
    db
      .update(admins)
      .set({ enrolTokenHash: null, enrolExpiresAt: null })
      .where(inArray(admins.id, db.select({ id: admins.id }).from(admins).where(expiredLink).orderBy(admins.id).limit(policy.batch))),
    db.delete(auditLog).where(inArray(rowid, oldest(auditLog, lt(auditLog.at, nowMs - policy.auditMs)))),
    db.delete(loginClients).where(inArray(rowid, oldest(loginClients, quietStranger))),
    db
      .delete(eventOutbox)
      .where(inArray(rowid, oldest(eventOutbox, and(isNotNull(eventOutbox.dispatchedAt), lt(eventOutbox.at, eventsBefore))))),
    db
      .delete(webhookDeliveries)
      .where(
        inArray(
          rowid,
          oldest(webhookDeliveries, and(ne(webhookDeliveries.status, "retrying"), lt(webhookDeliveries.updatedAt, eventsBefore))),
        ),
      ),
    pruneCountsStatement(db, Math.floor(nowMs / HOUR_MS) - COUNT_DAYS * 24, policy.batch),
  ] as const;
}
