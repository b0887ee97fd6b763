import { hashPassword } from "../crypto/passwords";
import type { Db } from "../db/client";
import {
  deleteUserByName,
  firstUsersJsonPage,
  listUsersJsonPage,
  lookupUserByName,
  setPasswordHash,
  type UsersJsonPage,
} from "../db/local-users";
import { ApiError } from "../errors";
import type { Deps } from "./deps";
import { newEvent, written } from "./events";
import { acceptKeyId, type Caller, callerKeyHash } from "./api-key";
import { usernameKeys } from "./identity";

/** The audit entry's time and client address of an api.php change. */
const apiChange = (deps: Deps) => ({ at: deps.now(), client: deps.client.address ?? null });

/** The seed's own rule: "password too short (we expect at least 6 chars)". */
export const MIN_PASSWORD_CHARS = 6;

/** Sets a user's local password, stored only as a salted PBKDF2 hash. */
export async function changeLocalPassword(deps: Deps, caller: Caller, username: string, password: string): Promise<void> {
  const keyHash = await callerKeyHash(deps, caller);
  const found = await lookupUserByName(deps.db, keyHash, usernameKeys(username));
  await acceptKeyId(deps, caller, found.apiKeyId, keyHash);
  // Characters, as the seed says, not UTF-16 units or bytes.
  if ([...password].length < MIN_PASSWORD_CHARS) throw ApiError.passwordTooShort(MIN_PASSWORD_CHARS);
  if (found.user === null) throw ApiError.localUserMissing();
  // The slow hash runs only for a user that exists: unknown names cost the server nothing.
  const passwordHash = await hashPassword(password, deps.config.passwordIterations);
  const event = newEvent(deps, "user.password_changed");
  const set = await setPasswordHash(deps.db, keyHash, found.user.id, found.user.usernameKey, passwordHash, event, apiChange(deps));
  if (!set.changed) throw ApiError.localUserMissing();
  written(deps, event, set.eventRows);
}

export async function deleteLocalUser(deps: Deps, caller: Caller, username: string): Promise<void> {
  const keyHash = await callerKeyHash(deps, caller);
  const event = newEvent(deps, "user.deleted");
  const result = await deleteUserByName(deps.db, keyHash, usernameKeys(username), event, apiChange(deps));
  await acceptKeyId(deps, caller, result.apiKeyId, keyHash);
  if (!result.deleted) throw ApiError.localUserMissing();
  written(deps, event, result.eventRows);
}

export interface ListWindow {
  /** At most this many users (extension); all by default. */
  limit?: number;
  /** Skip this many users first (extension). */
  offset?: number;
}

/** Users come from D1 a page at a time, so memory stays bounded whatever the population. */
const LIST_PAGE_SIZE = 1000;

/**
 * Checks the key up front (its error must precede any output), then yields the users page by
 * page as comma-separated JSON objects `{"userid":…,"username":…,"timestamp":…}` (registration
 * time in Unix seconds), serialized by D1. One round trip per page: the first page is read in
 * the key check's batch, on the primary; the session that starts there reads the later pages
 * from any replica at least as fresh (D1 Sessions API, "first-primary"), so the list is one
 * consistent, growing view.
 */
export async function listUsersJson(
  deps: Deps,
  caller: Caller,
  { limit = Infinity, offset = 0 }: ListWindow = {},
): Promise<AsyncIterable<string>> {
  const keyHash = await callerKeyHash(deps, caller);
  const db = deps.replica("first-primary") ?? deps.db;
  const first = await firstUsersJsonPage(db, keyHash, Math.min(LIST_PAGE_SIZE, limit), offset);
  await acceptKeyId(deps, caller, first.apiKeyId, keyHash);
  return pages(db, first.page, limit);
}

async function* pages(db: Db, first: UsersJsonPage | null, limit: number): AsyncGenerator<string> {
  let page = first;
  let remaining = limit;
  while (page) {
    yield page.json;
    remaining -= page.count;
    if (!page.more || remaining <= 0) return;
    page = await listUsersJsonPage(db, page.lastId, Math.min(LIST_PAGE_SIZE, remaining));
  }
}
