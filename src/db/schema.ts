import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { OTP_ALGORITHMS } from "../otp/hmac";

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
    /** First successful validation (API or portal) since the secret was issued, Unix seconds; null: not confirmed. */
    confirmedAt: integer("confirmed_at"),
    /** Latest successful validation, Unix seconds. */
    lastSuccessAt: integer("last_success_at"),
    /** Wrong portal passwords since the last portal login: a lock of its own, so a password guesser cannot lock anyone's codes. */
    portalFailedAttempts: integer("portal_failed_attempts").notNull().default(0),
    /** Unix milliseconds until which portal logins are refused without checking. */
    portalLockedUntil: integer("portal_locked_until").notNull().default(0),
    /**
     * What the user's token computes (RFC 6238 §1.2): createuser's SHA1/6/30, or an imported
     * token's own. It changes only together with the secret (a console reset), so whatever is
     * guarded by the ciphertext is guarded by these too. No CHECK: adding one rebuilds the table.
     */
    totpAlgorithm: text("totp_algorithm", { enum: OTP_ALGORITHMS }).notNull().default("SHA1"),
    /** 6 or 8, 30 or 60: src/db/token-params.ts tokenParamsOf refuses anything else. */
    totpDigits: integer("totp_digits").notNull().default(6),
    totpPeriod: integer("totp_period").notNull().default(30),
    /**
     * RFC 6238 §6: the last accepted step minus the server's step at that moment, in the user's
     * steps. Validate centres a window on it, so a token whose clock drifts keeps working.
     */
    totpDrift: integer("totp_drift").notNull().default(0),
    /** The serial of the hardware token whose seed this user holds (a PSKC import); null: an app. */
    tokenSerial: text("token_serial"),
    /** When `npm run import` wrote this user, Unix seconds (src/db/imported-users.ts); null: createuser made them. */
    importedAt: integer("imported_at"),
  },
  // locked_until: the console's "who is locked" list reads a range of this index, not the table.
  (t) => [
    index("users_secret_key_id").on(t.secretKeyId),
    index("users_locked_until").on(t.lockedUntil),
    uniqueIndex("users_token_serial").on(t.tokenSerial),
  ],
);

/**
 * Hardware tokens imported from a PSKC file (RFC 6030) that nobody holds yet. Assigning one (the
 * console) moves its seed into the user's row, resealed for that user, and deletes it here.
 */
export const hardwareTokens = sqliteTable("hardware_tokens", {
  /** Only grows (AUTOINCREMENT): key rotation re-seals in id order (src/db/sealed-columns.ts). */
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** The vendor's serial number, as printed on the token. */
  serial: text("serial").notNull().unique(),
  /** AES-GCM ciphertext of the seed, bound to "token:SERIAL" (users' seeds are bound to their username key). */
  secretCiphertext: text("secret_ciphertext").notNull(),
  secretKeyId: text("secret_key_id").notNull(),
  totpAlgorithm: text("totp_algorithm", { enum: OTP_ALGORITHMS }).notNull().default("SHA1"),
  totpDigits: integer("totp_digits").notNull().default(6),
  totpPeriod: integer("totp_period").notNull().default(30),
  /** The token's clock offset in steps (PSKC TimeDrift), the user's drift once assigned. */
  totpDrift: integer("totp_drift").notNull().default(0),
  /** Unix seconds. */
  importedAt: integer("imported_at").notNull(),
});

export const apiKeys = sqliteTable("api_keys", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  label: text("label").notNull().default(""),
  /** Lower-case hex SHA-256 of the key; the key itself is never stored. */
  keyHash: text("key_hash").notNull().unique(),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
  revokedAt: integer("revoked_at"),
  /** Unix seconds, refreshed at most every KEY_USE_RESOLUTION_S by the key check itself (never a write of its own). */
  lastUsedAt: integer("last_used_at"),
});

/** Operators of the console (/admin): not API users, and not visible to the API. */
export const admins = sqliteTable("admins", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** Lower-case login name. */
  name: text("name").notNull().unique(),
  /** PBKDF2 hash string; null until the enrolment link was followed. */
  passwordHash: text("password_hash"),
  /** Sealed TOTP secret (AES-GCM, bound to "admin:NAME"); null until enrolled. */
  totpCiphertext: text("totp_ciphertext"),
  totpKeyId: text("totp_key_id"),
  /** Highest accepted TOTP step: an admin's code, too, is accepted at most once. */
  lastStep: integer("last_step").notNull().default(-1),
  /** Failed logins (wrong password or wrong code) since the last login. */
  failedAttempts: integer("failed_attempts").notNull().default(0),
  /** Unix milliseconds until which logins are refused without checking. */
  lockedUntil: integer("locked_until").notNull().default(0),
  /** SHA-256 (hex) of the one-time enrolment token; null once used. */
  enrolTokenHash: text("enrol_token_hash").unique(),
  /** Unix milliseconds after which the enrolment link no longer works. */
  enrolExpiresAt: integer("enrol_expires_at"),
  /** Unix seconds; a disabled admin cannot log in and has no sessions. */
  disabledAt: integer("disabled_at"),
  createdAt: integer("created_at").notNull().default(sql`(unixepoch())`),
});

/**
 * Browser sessions of the console (realm "admin", subject an admin id) and the portal (realm
 * "portal", subject a user id). Only the SHA-256 of the session id is stored.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    realm: text("realm", { enum: ["admin", "portal"] }).notNull(),
    subjectId: integer("subject_id").notNull(),
    /** The CSRF token every form of this session carries. */
    csrfToken: text("csrf_token").notNull(),
    /** Unix milliseconds: the absolute expiry counts from here. */
    createdAt: integer("created_at").notNull(),
    /** Unix milliseconds of the last request (refreshed at most once a minute): the idle expiry counts from here. */
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [index("sessions_subject").on(t.realm, t.subjectId)],
);

/**
 * Failed logins per account and client address (src/domain/login-limits.ts): realm "admin"
 * (subject an admin id) or "portal" (a user id), the client as src/http/client-address.ts keys it.
 * The account's own columns count the failures of clients that never logged in, up to a ceiling.
 */
export const loginClients = sqliteTable(
  "login_clients",
  {
    realm: text("realm", { enum: ["admin", "portal"] }).notNull(),
    subjectId: integer("subject_id").notNull(),
    client: text("client").notNull(),
    /** Failures from this client since its last success (the lockout arithmetic of src/db/lockout.ts). */
    failedAttempts: integer("failed_attempts").notNull().default(0),
    /** Unix milliseconds until which this client's logins to this account are refused without checking. */
    lockedUntil: integer("locked_until").notNull().default(0),
    /** Unix milliseconds of the latest failure: rows of clients quiet for a day are dropped. */
    lastFailureAt: integer("last_failure_at").notNull().default(0),
    /** Unix milliseconds of this client's latest successful login; set: the account's ceiling does not apply to it. */
    trustedAt: integer("trusted_at"),
  },
  (t) => [primaryKey({ columns: [t.realm, t.subjectId, t.client] }), index("login_clients_last_failure").on(t.lastFailureAt)],
);

/** What was done in the console and who logged in: never a secret, a password or a code. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Unix milliseconds. */
    at: integer("at").notNull(),
    /** The admin's name, or "cli" for the admin CLI; "-" for a login attempt under an unknown name. */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    /** The user, key or admin acted on, as a readable label. */
    target: text("target"),
    outcome: text("outcome", { enum: ["ok", "refused", "failed"] }).notNull(),
    /** How many events this row stands for: refused logins under unknown names are one row per client and hour. */
    count: integer("count").notNull().default(1),
    /** The aggregate a counted row stands for ("login-unknown CLIENT HOUR"); null for an event of its own. */
    aggregate: text("aggregate"),
    /** The client address the request came from (src/http/client-address.ts); null when unknown or from a CLI. */
    client: text("client"),
    /** Why a refusal was refused, one of AUDIT_REASONS (src/db/audit.ts); null for other outcomes. */
    reason: text("reason"),
  },
  (t) => [uniqueIndex("audit_log_aggregate").on(t.aggregate)],
);

/**
 * A user's recovery codes (the portal's "lost your phone?"): only a keyed hash of each, never the
 * code. Using one re-enrols the user and deletes the whole set (a new set comes with the new
 * secret), so a row that exists is a code that still works. Rows go with their user.
 */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** 16 random bytes, base64url: the HMAC key of this code's hash (src/domain/recovery-codes.ts). */
    salt: text("salt").notNull(),
    /** HMAC-SHA256(salt, code as normalised), base64url. */
    hash: text("hash").notNull(),
    /** Unix milliseconds when the set was issued. */
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("recovery_codes_user").on(t.userId)],
);

export type UserRow = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AdminRow = typeof admins.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

// --- Events (issue 26: docs/events.md) ---------------------------------------------------------

/**
 * Events waiting for or done with delivery. A row is written in the same batch as the change it
 * reports (its INSERT … SELECT guarded like the write), so an event exists exactly when the
 * change happened; its id is the `webhook-id` of every delivery and retry.
 */
export const eventOutbox = sqliteTable(
  "event_outbox",
  {
    /** "msg_" + 24 random base64url characters: the Standard Webhooks message id. */
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    /** Unix milliseconds of the change. */
    at: integer("at").notNull(),
    /** The payload's `data` as JSON: never a secret, code, password or key. */
    data: text("data").notNull(),
    /** Unix milliseconds when the queue consumer first took it; null: the sweeper sends it again. */
    dispatchedAt: integer("dispatched_at"),
  },
  (t) => [index("event_outbox_undispatched").on(t.dispatchedAt, t.at)],
);

/** Where events are POSTed: the secret only sealed (AES-GCM, context "webhook:ID"). */
export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  /** Only grows (AUTOINCREMENT): key rotation re-seals in this order (src/db/sealed-columns.ts). */
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  /** "ep_" + random characters. */
  id: text("id").notNull().unique(),
  url: text("url").notNull(),
  /** JSON array of the event types it is subscribed to. */
  events: text("events").notNull(),
  secretCiphertext: text("secret_ciphertext").notNull(),
  secretKeyId: text("secret_key_id").notNull(),
  /** The secret before the last rotation, signed with too until `previousUntil` (Unix ms). */
  previousCiphertext: text("previous_ciphertext"),
  previousKeyId: text("previous_key_id"),
  previousUntil: integer("previous_until"),
  /** Unix ms; a disabled endpoint gets nothing. */
  disabledAt: integer("disabled_at"),
  createdAt: integer("created_at").notNull(),
});

/** One event to one endpoint: attempts and the last answer (the console's "recent deliveries"). */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    /** "retrying" until a 2xx ("delivered") or the dead-letter queue ("failed"). */
    status: text("status", { enum: ["retrying", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull(),
    /** The last HTTP status, or null when there was none (timeout, refused connection). */
    lastStatus: integer("last_status"),
    /** Why the last attempt failed, in a few words ("timeout", "redirect refused"). */
    lastError: text("last_error"),
    /** Unix ms of the last attempt. */
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.endpointId] }), index("webhook_deliveries_endpoint").on(t.endpointId, t.updatedAt)],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

// --- Validation counts (issue 25: the console's overview) --------------------------------------

/**
 * How many validations ended each way per hour: validate's own batches add one here
 * (src/db/validation-counts.ts), so the overview's chart costs no request anything but a statement.
 */
export const validationCounts = sqliteTable(
  "validation_counts",
  {
    /** Unix milliseconds divided by 3,600,000 (whole hours since 1970, UTC). */
    hour: integer("hour").notNull(),
    outcome: text("outcome", { enum: ["valid", "invalid", "locked", "replay"] }).notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.hour, t.outcome] })],
);
