import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "./client";
import { activeKeyExists, selectActiveKey, touchKey } from "./api-keys";
import { forgetClients } from "./login-clients";
import { deleteSessionsOf } from "./sessions";
import { apiKeyActor, type EventHead, userEventStatement } from "./outbox";
import { apiKeys, users } from "./schema";
import { userAuditStatement } from "./audit";

/** When and from where an api.php change came, for its audit entry. */
export interface ApiChange {
  at: number;
  client: string | null;
}

/** The audit entry's actor for a request made with an API key ("api key 3"), read in the statement that writes it. */
const apiKeyAuditActor = (keyHash: string) =>
  sql`'api key ' || (select ${apiKeys.id} from ${apiKeys} where ${apiKeys.keyHash} = ${keyHash})`;

export interface KeyedLookup {
  /** The active key's id, or null when the key is not valid. */
  apiKeyId: number | null;
  /** The user, when the key is valid and the user exists. */
  user: { id: number; usernameKey: string } | null;
}

/**
 * The user named by the first of `keys` that exists (a name can mean itself or the phone number
 * it spells: the name as written wins), as a subquery for reads and guarded writes alike.
 */
function userNamed(db: Db, keys: readonly string[]) {
  return db
    .select({ id: users.id, usernameKey: users.usernameKey })
    .from(users)
    .where(inArray(users.usernameKey, [...keys]))
    .orderBy(sql`${users.usernameKey} = ${keys[0]} desc`)
    .limit(1);
}

/** Checks the API key and finds a user by its uniqueness keys, in one round trip. */
export async function lookupUserByName(db: Db, keyHash: string, keys: readonly string[]): Promise<KeyedLookup> {
  const [keyRows, userRows] = await db.batch([selectActiveKey(db, keyHash), userNamed(db, keys), touchKey(db, keyHash)]);
  const apiKeyId = keyRows[0]?.id ?? null;
  return { apiKeyId, user: apiKeyId === null ? null : (userRows[0] ?? null) };
}

/**
 * Stores a new password hash for the user, still guarded by the key: false when the user was
 * deleted (or the key revoked) since the lookup, so a deleted user is never half-resurrected. The
 * user's portal sessions end in the same batch, if the change happened.
 */
export async function setPasswordHash(
  db: Db,
  keyHash: string,
  userId: number,
  usernameKey: string,
  passwordHash: string,
  event: EventHead,
  change: ApiChange,
): Promise<{ changed: boolean; eventRows: unknown[] }> {
  const where = and(eq(users.id, userId), eq(users.usernameKey, usernameKey), activeKeyExists(keyHash))!;
  // One batch is still one round trip: the event and the audit entry are written under the update's own condition.
  const [eventRows, , rows] = await db.batch([
    userEventStatement(db, event, apiKeyActor(keyHash), where),
    userAuditStatement(db, { ...change, actor: apiKeyAuditActor(keyHash), action: "user.set-password", outcome: "ok" }, where),
    db.update(users).set({ passwordHash }).where(where).returning({ id: users.id }),
    deleteSessionsOf(
      db,
      "portal",
      userId,
      sql`exists (select 1 from ${users} where ${and(eq(users.id, userId), eq(users.passwordHash, passwordHash))})`,
    ),
  ]);
  return { changed: rows.length > 0, eventRows };
}

export interface KeyedDeletion {
  /** The active key's id, or null when the key is not valid (and nothing was deleted). */
  apiKeyId: number | null;
  deleted: boolean;
  /** What user.deleted's outbox statement returned. */
  eventRows: unknown[];
}

/**
 * Deletes the user's one row (secret, password, replay and lock state go with it) in a single
 * statement that only runs under a valid key: there is no half-deleted user to be seen.
 */
export async function deleteUserByName(
  db: Db,
  keyHash: string,
  keys: readonly string[],
  event: EventHead,
  change: ApiChange,
): Promise<KeyedDeletion> {
  const named = userNamed(db, keys);
  const namedId = sql`(select ${sql.identifier("id")} from (${named}))`;
  const where = and(eq(users.id, namedId), activeKeyExists(keyHash))!;
  const [keyRows, , , eventRows, , deleted] = await db.batch([
    selectActiveKey(db, keyHash),
    // Before the row goes (the subquery finds it only until then): its portal sessions, login counts, the event and the audit entry.
    deleteSessionsOf(db, "portal", namedId, activeKeyExists(keyHash)),
    forgetClients(db, "portal", namedId, activeKeyExists(keyHash)),
    userEventStatement(db, event, apiKeyActor(keyHash), where),
    userAuditStatement(db, { ...change, actor: apiKeyAuditActor(keyHash), action: "user.delete", outcome: "ok" }, where),
    db.delete(users).where(where).returning({ id: users.id }),
    touchKey(db, keyHash),
  ]);
  return { apiKeyId: keyRows[0]?.id ?? null, deleted: deleted.length > 0, eventRows };
}

export interface UsersJsonPage {
  /** The page's users as comma-separated JSON objects `{"userid":…,"username":…,"timestamp":…}`. */
  json: string;
  count: number;
  lastId: number;
  /** Whether users follow this page: a listing then never spends a round trip on an empty page. */
  more: boolean;
}

/**
 * One page of users after `afterId` in id order, serialized by SQLite itself: a listing of
 * 10,000 users then costs the Worker almost no CPU (decoding rows and JSON.stringify in the
 * isolate cost ~4 µs a user). `offset` skips rows (the first page of a listing only); `keyHash`
 * reads nothing unless that key is active. A query builder, not raw SQL: drizzle's D1 batch
 * cannot take raw SQL with parameters.
 */
function usersJsonPage(db: Db, afterId: number, limit: number, offset: number, keyHash?: string) {
  const page = db
    .select({ id: users.id, username: users.username, createdAt: users.createdAt })
    .from(users)
    .where(and(gt(users.id, afterId), keyHash === undefined ? undefined : activeKeyExists(keyHash)))
    .orderBy(users.id)
    .limit(limit)
    .offset(offset)
    .as("page");
  return db
    .select({
      json: sql<
        string | null
      >`group_concat(json_object('userid', ${page.id}, 'username', ${page.username}, 'timestamp', ${page.createdAt}), ',' order by ${page.id})`,
      count: sql<number>`count(*)`,
      lastId: sql<number | null>`max(${page.id})`,
      // Whether a user follows the page: the row after it, found as cheaply as the page itself.
      more: sql<number>`exists (select 1 from ${users} where ${users.id} > ${afterId} order by ${users.id} limit 1 offset ${offset + limit})`,
    })
    .from(page);
}

function pageOf([row]: Array<{ json: string | null; count: number; lastId: number | null; more: number }>): UsersJsonPage | null {
  return row && row.count > 0 && row.json !== null && row.lastId !== null
    ? { json: row.json, count: row.count, lastId: row.lastId, more: row.more === 1 }
    : null;
}

/** A page after the first (see usersJsonPage). */
export async function listUsersJsonPage(db: Db, afterId: number, limit: number): Promise<UsersJsonPage | null> {
  return pageOf(await usersJsonPage(db, afterId, limit, 0));
}

/** Checks the API key and reads the first page of users under it, in one round trip. */
export async function firstUsersJsonPage(
  db: Db,
  keyHash: string,
  limit: number,
  offset: number,
): Promise<{ apiKeyId: number | null; page: UsersJsonPage | null }> {
  const [keyRows, row] = await db.batch([
    selectActiveKey(db, keyHash),
    usersJsonPage(db, 0, limit, offset, keyHash),
    touchKey(db, keyHash),
  ]);
  const apiKeyId = keyRows[0]?.id ?? null;
  return { apiKeyId, page: apiKeyId === null ? null : pageOf(row) };
}
