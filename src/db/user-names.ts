import { inArray } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";

/** D1 binds at most 100 values per statement. */
const KEYS_PER_STATEMENT = 90;

/** The users whose username key is one of `keys`, in one round trip however many keys there are. */
export async function findUsersByKeys(
  db: Db,
  keys: readonly string[],
): Promise<Array<{ id: number; username: string; usernameKey: string }>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return [];
  const statements = [];
  for (let i = 0; i < unique.length; i += KEYS_PER_STATEMENT) {
    const chunk = unique.slice(i, i + KEYS_PER_STATEMENT);
    statements.push(
      db
        .select({ id: users.id, username: users.username, usernameKey: users.usernameKey })
        .from(users)
        .where(inArray(users.usernameKey, chunk)),
    );
  }
  const [first, ...rest] = statements;
  return (await db.batch([first!, ...rest])).flat();
}
