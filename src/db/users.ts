import { getTableColumns, is, Placeholder, SQL, sql } from "drizzle-orm";
import type { Sealed } from "../crypto/secret-box";
import { selectActiveKey, touchKey } from "./api-keys";
import { type Db, preparedBatch } from "./client";
import { apiKeyActor, userEventStatement } from "./outbox";
import { users } from "./schema";

export interface NewUser {
  username: string;
  usernameKey: string;
  phone: string | null;
  email: string | null;
  secret: Sealed;
  createdAt: number;
}

/** How a guarded insert ended: `apiKeyId` null means the key was refused (nothing inserted), `userId` null that the username is taken. */
export interface KeyedInsert {
  apiKeyId: number | null;
  userId: number | null;
  /** What user.created's outbox statement returned (a row if it was written). */
  eventRows: readonly unknown[] | undefined;
}

/** The columns createuser sets; the others get their defaults. */
const INSERTED = ["username", "usernameKey", "phone", "email", "secretCiphertext", "secretKeyId", "createdAt"] as const;

/**
 * createuser's one round trip: the key check, the INSERT … SELECT from the caller's active key (no
 * row without one), so the insert holds only under that key (as validate's writes do) and only
 * while the username is free, decided by the UNIQUE index, so races are safe; and the key's "last
 * used". Its SQL is built once per isolate (preparedBatch).
 */
const createUserBatch = preparedBatch((db) => {
  // The key check's queries take the key hash as a string; here it is the placeholder for it.
  const keyHash = sql.placeholder("keyHash") as unknown as string;
  const row = insertSelection(Object.fromEntries(INSERTED.map((name) => [name, sql.placeholder(name)])));
  return [
    selectActiveKey(db, keyHash),
    db
      .insert(users)
      // SQLite takes ON CONFLICT after INSERT … SELECT for the upsert clause only when the SELECT has a WHERE.
      .select(db.select(row).from(selectActiveKey(db, keyHash).as("caller_key")).where(sql`true`))
      .onConflictDoNothing({ target: users.usernameKey })
      .returning({ id: users.id }),
    touchKey(db, keyHash),
    // user.created: the new row is the one with this request's ciphertext (a random IV makes it unique).
    userEventStatement(
      db,
      { id: sql`${sql.placeholder("eventId")}`, type: "user.created", at: sql`${sql.placeholder("eventAt")}` },
      apiKeyActor(keyHash),
      sql`${users.usernameKey} = ${sql.placeholder("usernameKey")} and ${users.secretCiphertext} = ${sql.placeholder("secretCiphertext")}`,
    ),
  ];
});

/** `event` is user.created's id and time (Unix ms), written with the user. */
export async function insertUserUnderKey(db: Db, keyHash: string, user: NewUser, event: { id: string; at: number }): Promise<KeyedInsert> {
  const values: Record<(typeof INSERTED)[number] | "keyHash" | "eventId" | "eventAt", string | number | null> = {
    keyHash,
    eventId: event.id,
    eventAt: event.at,
    username: user.username,
    usernameKey: user.usernameKey,
    phone: user.phone,
    email: user.email,
    secretCiphertext: user.secret.ciphertext,
    secretKeyId: user.secret.sealKeyId,
    createdAt: user.createdAt,
  };
  const [keyRows, inserted, , announced] = await createUserBatch<{ id: number }>(db, values);
  return { apiKeyId: keyRows?.results[0]?.id ?? null, userId: inserted?.results[0]?.id ?? null, eventRows: announced?.results };
}

/**
 * The selection of an INSERT … SELECT: drizzle asks for every column of the table, in order, so
 * each column gets its placeholder, or its default as drizzle's `values()` would fill it in (a
 * column added later needs no change here).
 */
function insertSelection(set: Partial<Record<keyof UserColumns, Placeholder>>): Record<keyof UserColumns, SQL.Aliased> {
  const selection = Object.entries(getTableColumns(users)).map(([name, column]) => {
    // The SQL is built once per isolate: a $defaultFn would give every user the same value.
    if (column.defaultFn && !(name in set)) throw new Error(`users.${name} has a $defaultFn: createuser must set it per request`);
    const value = set[name as keyof UserColumns] ?? column.default;
    if (value === undefined || value === null) return [name, sql`null`.as(column.name)];
    if (is(value, SQL) || is(value, Placeholder)) return [name, sql`${value}`.as(column.name)];
    return [name, sql`${sql.param(value, column)}`.as(column.name)];
  });
  return Object.fromEntries(selection) as Record<keyof UserColumns, SQL.Aliased>;
}

type UserColumns = typeof users.$inferInsert;

export interface UserSecret {
  username: string;
  usernameKey: string;
  secret: Sealed;
}
