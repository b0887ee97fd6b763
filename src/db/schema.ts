import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * One population of users: createuser makes them, validate checks their tokens,
 * api.php lists, re-passwords and deletes them by username.
 */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    /** Uniqueness key: NFC, lower-cased when the username is an email address. */
    usernameKey: text("username_key").notNull().unique(),
    phone: text("phone"),
    email: text("email"),
    /** AES-GCM ciphertext of the TOTP secret ("iv.ciphertext", base64url), never the secret itself. */
    secretCiphertext: text("secret_ciphertext").notNull(),
    /** Which encryption key sealed the secret, so keys can be rotated. */
    secretKeyId: text("secret_key_id").notNull(),
    /** Highest TOTP time step ever accepted (RFC 6238 §5.2: a token is accepted at most once). */
    lastStep: integer("last_step").notNull().default(-1),
    /** Wrong codes since the last success (counted only after the code was checked; replays and faults count nothing). */
    failedAttempts: integer("failed_attempts").notNull().default(0),
    /** Unix milliseconds until which validation is refused without checking. */
    lockedUntil: integer("locked_until").notNull().default(0),
    /** PBKDF2 hash string of the local password, if one was set. */
    passwordHash: text("password_hash"),
    /** Registration time, Unix seconds. */
    createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [index("users_secret_key_id").on(t.secretKeyId)],
);

export const apiKeys = sqliteTable("api_keys", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  label: text("label").notNull().default(""),
  /** Lower-case hex SHA-256 of the key; the key itself is never stored. */
  keyHash: text("key_hash").notNull().unique(),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  revokedAt: integer("revoked_at"),
});

export type UserRow = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
