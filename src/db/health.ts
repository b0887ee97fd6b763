import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys } from "./schema";

/** One read through the api_keys primary key: proves D1 answers and the schema is migrated. */
export async function pingDatabase(db: Db): Promise<boolean> {
  await db.select({ one: sql<number>`1` }).from(apiKeys).where(sql`${apiKeys.id} = 0`).limit(1);
  return true;
}
