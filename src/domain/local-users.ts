import { hashPassword } from "../crypto/passwords";
import { deleteUserByName, listUsersJsonPage, lookupUserByName, setPasswordHash } from "../db/local-users";
import { ApiError } from "../errors";
import type { Deps } from "./deps";
import { acceptKeyId, type Caller, callerKeyHash, requireApiKey } from "./api-key";
import { usernameKeys } from "./identity";

/** The seed's own rule: "password too short (we expect at least 6 chars)". */
export const MIN_PASSWORD_CHARS = 6;

/** Sets a user's local password, stored only as a salted PBKDF2 hash. */
export async function changeLocalPassword(deps: Deps, caller: Caller, username: string, password: string): Promise<void> {
  const keyHash = await callerKeyHash(deps, caller);
  const found = await lookupUserByName(deps.db, keyHash, usernameKeys(username));
  await acceptKeyId(deps, caller, found.keyId, keyHash);
  // Characters, as the seed says, not UTF-16 units or bytes.
  if ([...password].length < MIN_PASSWORD_CHARS) throw ApiError.passwordTooShort(MIN_PASSWORD_CHARS);
  if (found.user === null) throw ApiError.localUserMissing();
  // The slow hash runs only for a user that exists: unknown names cost the server nothing.
  const passwordHash = await hashPassword(password, deps.config.passwordIterations);
  if (!(await setPasswordHash(deps.db, keyHash, found.user.id, found.user.usernameKey, passwordHash))) throw ApiError.localUserMissing();
}

export async function deleteLocalUser(deps: Deps, caller: Caller, username: string): Promise<void> {
  const keyHash = await callerKeyHash(deps, caller);
  const result = await deleteUserByName(deps.db, keyHash, usernameKeys(username));
  await acceptKeyId(deps, caller, result.keyId, keyHash);
  if (!result.deleted) throw ApiError.localUserMissing();
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
 * time in Unix seconds), serialized by D1.
 */
export async function listUsersJson(deps: Deps, caller: Caller, window: ListWindow = {}): Promise<AsyncIterable<string>> {
  await requireApiKey(deps, caller);
  return pages(deps, window);
}

async function* pages(deps: Deps, { limit = Infinity, offset = 0 }: ListWindow): AsyncGenerator<string> {
  let afterId = 0;
  let remaining = limit;
  let skip = offset;
  while (remaining > 0) {
    const size = Math.min(LIST_PAGE_SIZE, remaining);
    const page = await listUsersJsonPage(deps.db, afterId, size, skip);
    skip = 0;
    if (!page) return;
    yield page.json;
    if (page.count < size) return;
    afterId = page.lastId;
    remaining -= page.count;
  }
}
