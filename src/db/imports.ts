import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { hardwareTokens, users } from "./schema";

// The import's bulk statements (scripts/lib/import-write.ts): many rows each, and a row that
// exists is skipped, so that importing a file twice adds nobody.

export type ImportedUser = typeof users.$inferInsert;
export type InventoryToken = Omit<typeof hardwareTokens.$inferInsert, "id">;

/** Users; no conflict target: an existing username, userid or serial all skip the row. Returns the new rows' id and username. */
export function insertImportedUsers(db: Db, rows: ImportedUser[]) {
  return db.insert(users).values(rows).onConflictDoNothing().returning({ id: users.id, username: users.username });
}

/**
 * Tokens for the inventory, except one whose serial is taken (waiting there, or a user's). Returns
 * the new rows' serials. The rows go in as a VALUES table, so that one statement filters them all.
 */
export function insertInventoryTokens(db: Db, rows: InventoryToken[]) {
  const values = sql.join(
    rows.map(
      (t) =>
        sql`(${t.serial}, ${t.secretCiphertext}, ${t.secretKeyId}, ${t.totpAlgorithm}, ${t.totpDigits}, ${t.totpPeriod}, ${t.totpDrift}, ${t.importedAt})`,
    ),
    sql`, `,
  );
  const column = (n: number) => sql.raw(`column${n}`);
  const tokens = db
    .select({
      id: sql<null>`null`.as("id"),
      serial: sql<string>`${column(1)}`.as("serial"),
      secretCiphertext: sql<string>`${column(2)}`.as("secret_ciphertext"),
      secretKeyId: sql<string>`${column(3)}`.as("secret_key_id"),
      totpAlgorithm: sql<string>`${column(4)}`.as("totp_algorithm"),
      totpDigits: sql<number>`${column(5)}`.as("totp_digits"),
      totpPeriod: sql<number>`${column(6)}`.as("totp_period"),
      totpDrift: sql<number>`${column(7)}`.as("totp_drift"),
      importedAt: sql<number>`${column(8)}`.as("imported_at"),
    })
    .from(sql`(values ${values})`)
    // SQLite takes the upsert clause after INSERT … SELECT only when the SELECT has a WHERE.
    .where(sql`${column(1)} not in (select ${users.tokenSerial} from ${users} where ${users.tokenSerial} is not null)`);
  return db
    .insert(hardwareTokens)
    .select(tokens as never)
    .onConflictDoNothing({ target: hardwareTokens.serial })
    .returning({ serial: hardwareTokens.serial });
}
