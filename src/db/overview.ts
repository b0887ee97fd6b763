import { desc, gt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";
import { countsSince, type HourCount } from "./validation-counts";

export interface UserTotals {
  users: number;
  confirmed: number;
  imported: number;
  codesLocked: number;
  portalLocked: number;
}

export interface RecentLock {
  id: number;
  username: string;
  lockedUntil: number;
  failedAttempts: number;
}

/**
 * The overview's figures in one round trip: the totals (one pass over the users table), the
 * validation counts since `fromHour`, and the users whose codes are locked now, latest lock end first
 * (a range of users_locked_until).
 */
export async function readOverview(db: Db, nowMs: number, fromHour: number, lockLimit: number) {
  const [[totals], counts, locks] = await db.batch([
    db
      .select({
        users: sql<number>`count(*)`,
        confirmed: sql<number>`count(${users.confirmedAt})`,
        imported: sql<number>`count(${users.importedAt})`,
        codesLocked: sql<number>`coalesce(sum(${users.lockedUntil} > ${nowMs}), 0)`,
        portalLocked: sql<number>`coalesce(sum(${users.portalLockedUntil} > ${nowMs}), 0)`,
      })
      .from(users),
    countsSince(db, fromHour),
    db
      .select({ id: users.id, username: users.username, lockedUntil: users.lockedUntil, failedAttempts: users.failedAttempts })
      .from(users)
      .where(gt(users.lockedUntil, nowMs))
      .orderBy(desc(users.lockedUntil), desc(users.id))
      .limit(lockLimit),
  ]);
  return { totals: totals as UserTotals, counts: counts as HourCount[], locks: locks as RecentLock[] };
}
