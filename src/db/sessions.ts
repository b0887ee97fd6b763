import { and, eq, gt, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import { admins, sessions, users } from "./schema";

export type Realm = (typeof sessions.$inferSelect)["realm"];

export interface SessionTimes {
  /** A session unused for this long is over. */
  idleMs: number;
  /** A session this old is over, however busy. */
  absoluteMs: number;
  /** `seen_at` is refreshed only when older than this: not a write per page. */
  seenResolutionMs: number;
}

export interface SessionRow {
  idHash: string;
  realm: Realm;
  subjectId: number;
  /** The admin's name or the user's username, read with the session: a disabled admin or a deleted user has none. */
  subjectName: string;
  csrfToken: string;
}

export function insertSession(db: Db, row: Omit<SessionRow, "subjectName">, nowMs: number) {
  return db.insert(sessions).values({ ...row, createdAt: nowMs, seenAt: nowMs });
}

/**
 * The live session with this id hash, in one round trip that also refreshes its idle clock. Its
 * subject must still be there: an enabled admin, or an existing user.
 */
export async function findLiveSession(
  db: Db,
  realm: Realm,
  idHash: string,
  nowMs: number,
  times: SessionTimes,
): Promise<SessionRow | null> {
  const live = and(
    eq(sessions.idHash, idHash),
    eq(sessions.realm, realm),
    gt(sessions.seenAt, nowMs - times.idleMs),
    gt(sessions.createdAt, nowMs - times.absoluteMs),
  );
  const subjectName =
    realm === "admin"
      ? sql<
          string | null
        >`(select ${admins.name} from ${admins} where ${admins.id} = ${sessions.subjectId} and ${admins.disabledAt} is null)`
      : sql<string | null>`(select ${users.username} from ${users} where ${users.id} = ${sessions.subjectId})`;
  const [rows] = await db.batch([
    db.select({ subjectId: sessions.subjectId, csrfToken: sessions.csrfToken, subjectName }).from(sessions).where(live).limit(1),
    db
      .update(sessions)
      .set({ seenAt: nowMs })
      .where(and(live, lt(sessions.seenAt, nowMs - times.seenResolutionMs))),
  ]);
  const row = rows[0];
  if (!row || row.subjectName === null) return null;
  return { idHash, realm, subjectId: row.subjectId, subjectName: row.subjectName, csrfToken: row.csrfToken };
}

export function deleteSession(db: Db, idHash: string) {
  return db.delete(sessions).where(eq(sessions.idHash, idHash));
}

/**
 * Ends every session of a subject (an admin disabled or reset; a user re-passworded, reset or
 * deleted), only while `guard` holds when given (the change it goes with happened).
 */
export function deleteSessionsOf(db: Db, realm: Realm, subjectId: number | SQL, guard?: SQL) {
  return db.delete(sessions).where(and(eq(sessions.realm, realm), eq(sessions.subjectId, subjectId), guard));
}

/** Drops sessions past their absolute expiry (run when a new session starts, so the table stays small). */
export function deleteExpiredSessions(db: Db, nowMs: number, times: SessionTimes) {
  return db.delete(sessions).where(lt(sessions.createdAt, nowMs - times.absoluteMs));
}
