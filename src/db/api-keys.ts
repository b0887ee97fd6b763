import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys } from "./schema";

/** The active key with this hash, as a query that can also go into a `batch`. */
export function selectActiveKey(db: Db, keyHash: string) {
  return db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
    .limit(1);
}

/** An SQL condition true only when an active key has this hash, for guarding writes in one statement. */
export function activeKeyExists(keyHash: string) {
  return sql`exists (select 1 from ${apiKeys} where ${apiKeys.keyHash} = ${keyHash} and ${apiKeys.revokedAt} is null)`;
}

/** How fresh "last used" is: the key check refreshes it only when it is older than this. */
export const KEY_USE_RESOLUTION_S = 300;

/**
 * Records that the key with this hash is in use, for the console's "last used": a statement that
 * rides along in the batch of the key check (no round trip of its own) and writes only when the
 * recorded time is more than KEY_USE_RESOLUTION_S old, so not a write per request.
 */
export function touchKey(db: Db, keyHash: string) {
  return db
    .update(apiKeys)
    .set({ lastUsedAt: sql`unixepoch()` })
    .where(
      and(
        eq(apiKeys.keyHash, keyHash),
        isNull(apiKeys.revokedAt),
        sql`coalesce(${apiKeys.lastUsedAt}, 0) < unixepoch() - ${KEY_USE_RESOLUTION_S}`,
      ),
    );
}

export async function findActiveKeyId(db: Db, keyHash: string): Promise<number | null> {
  const [[row]] = await db.batch([selectActiveKey(db, keyHash), touchKey(db, keyHash)]);
  return row?.id ?? null;
}
