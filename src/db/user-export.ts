import { asc, gt } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";

/** What the users CSV holds of each user: never a secret, a hash or a code. */
export function exportPage(db: Db, afterId: number, limit: number) {
  return db
    .select({
      id: users.id,
      username: users.username,
      createdAt: users.createdAt,
      confirmedAt: users.confirmedAt,
      lastSuccessAt: users.lastSuccessAt,
      lockedUntil: users.lockedUntil,
      portalLockedUntil: users.portalLockedUntil,
      tokenSerial: users.tokenSerial,
    })
    .from(users)
    .where(gt(users.id, afterId))
    .orderBy(asc(users.id))
    .limit(limit);
}
