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

export async function findActiveKeyId(db: Db, keyHash: string): Promise<number | null> {
  const [row] = await selectActiveKey(db, keyHash);
  return row?.id ?? null;
}
